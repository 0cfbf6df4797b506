import 'reflect-metadata';
import { OmsRuntime } from '../../api/src/runtime/oms-runtime';
import { loadSettings } from '../../api/src/runtime/settings';

/**
 * The execution gateway as its own process, for docker compose: `OMS_ROLES` defaults to `gateway`
 * here. Run one instance (it owns the venue sessions).
 */
async function main(): Promise<void> {
  const settings = loadSettings({ OMS_ROLES: 'gateway', OMS_SEED_DEMO: 'false', ...process.env });
  const runtime = await OmsRuntime.start(settings, (line) => console.log(line));
  await runtime.whenReady();
  console.log(`OMS ${[...settings.roles].join(' + ')} connected and running`);
  const stop = async () => {
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
