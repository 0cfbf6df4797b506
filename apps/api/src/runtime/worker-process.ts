import { OmsRuntime } from './oms-runtime';
import { loadSettings } from './settings';

/**
 * A process that runs parts of the OMS without the HTTP API (the projector, the gateway, for docker
 * compose): `defaultRoles` unless OMS_ROLES says otherwise, no demo seeding, stopped cleanly on a signal.
 */
export function runWorkerProcess(defaultRoles: string): void {
  const main = async () => {
    const settings = loadSettings({ OMS_ROLES: defaultRoles, OMS_SEED_DEMO: 'false', ...process.env });
    const runtime = await OmsRuntime.start(settings, (line) => console.log(line));
    await runtime.whenReady();
    console.log(`OMS ${[...settings.roles].join(' + ')} caught up and running`);
    const stop = async () => {
      await runtime.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
    // Crash-only: a gateway that had to stop exits, and its restart stands by or takes over cleanly.
    void runtime.gatewayStopped.then(async (reason) => {
      console.error(`exiting: the execution gateway stopped (${reason})`);
      await runtime.stop();
      process.exit(1);
    });
  };
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
