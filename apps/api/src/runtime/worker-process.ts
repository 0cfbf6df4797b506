import { createServer } from 'http';
import { AddressInfo } from 'net';
import { healthOf } from './health';
import { OmsRuntime } from './oms-runtime';
import { loadSettings } from './settings';

/**
 * A process that runs parts of the OMS without the GraphQL API (the projector, the gateway, for docker
 * compose): `defaultRoles` unless OMS_ROLES says otherwise, no demo seeding, `GET /health` on PORT for
 * the orchestrator, stopped cleanly on a signal.
 */
export function runWorkerProcess(defaultRoles: string): void {
  const main = async () => {
    const settings = loadSettings({ OMS_ROLES: defaultRoles, OMS_SEED_DEMO: 'false', ...process.env });
    const runtime = await OmsRuntime.start(settings, (line) => console.log(line));
    const health = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/health') {
        res.writeHead(404).end();
        return;
      }
      const { ready, body } = healthOf(runtime, false);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => health.listen(settings.port, resolve));
    await runtime.whenReady();
    const { port } = health.address() as AddressInfo;
    console.log(
      `OMS ${[...settings.roles].join(' + ')} caught up and running (health http://localhost:${port}/health)`,
    );
    const stop = async () => {
      health.close();
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
