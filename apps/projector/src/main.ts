import 'reflect-metadata';
import { OmsRuntime } from '../../api/src/runtime/oms-runtime';
import { loadSettings } from '../../api/src/runtime/settings';

/**
 * The projector (and the account ledger) as their own process, for docker compose and scale-out:
 * `OMS_ROLES` defaults to `projector,ledger` here. One instance of each should run.
 */
async function main(): Promise<void> {
  const settings = loadSettings({ OMS_ROLES: 'projector,ledger', OMS_SEED_DEMO: 'false', ...process.env });
  const runtime = await OmsRuntime.start(settings, (line) => console.log(line));
  await runtime.whenReady();
  console.log(`OMS ${[...settings.roles].join(' + ')} caught up and running`);
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
