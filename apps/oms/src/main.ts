import 'reflect-metadata';
import { createLogger } from '@oms/platform';
import { createOmsApp } from './oms-app';
import { OmsRuntime } from './oms-runtime';
import { SettingsError, loadSettings } from './settings';

/**
 * The one entry point: `npm start` runs every role in this process on embedded PostgreSQL; docker
 * compose runs one service per role set (`OMS_ROLES`). Every process serves /health and /metrics;
 * the `api` role adds GraphQL.
 */
async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: settings.logLevel, pretty: settings.prettyLogs ?? undefined });
  const runtime = await OmsRuntime.start(settings, logger);
  const app = await createOmsApp(runtime);
  let stopping = false;
  const stop = async (why: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason: why }, 'stopping');
    await Promise.all([app.close(), runtime.stop()]);
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A failure nobody handled is a fault: say so in one JSON line and stop (a restart recovers), except
  // while stopping, when the database may already be going away under work still finishing.
  process.on('unhandledRejection', (error) => {
    if (stopping) return logger.warn({ err: error }, 'while stopping');
    logger.fatal({ err: error }, 'unhandled failure; exiting');
    void stop('unhandled failure', 1);
  });
  // Crash-only: a gateway that lost its lock stops, and so does its process; a restart stands by or
  // takes over cleanly. An OMS that accepts orders with no gateway to send them is worse.
  void runtime.gatewayStopped.then((reason) => {
    logger.error({ reason }, 'the execution gateway stopped; exiting (start again to resume)');
    void stop('gateway stopped', 1);
  });
  await app.listen(settings.port, settings.host);
  await runtime.whenReady();
  // The API serves while a gateway recovers (it says when it is active); a worker is running once it is.
  if (!settings.roles.has('api')) await runtime.whenGatewaySettled();
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  const { credentials } = runtime;
  if (credentials?.adminKeyFile) logger.info(`ADMIN key in ${credentials.adminKeyFile}`);
  if (credentials?.demoFile) {
    logger.info(
      `demo keys (trader, riskOfficer, auditor, admin) in ${credentials.demoFile}: send one as "Authorization: Bearer <key>"`,
    );
  }
  const roles = [...settings.roles].join(' + ');
  const data = settings.databaseUrl ? 'DATABASE_URL' : settings.dataDir;
  logger.info(
    { roles: [...settings.roles], url, data },
    settings.roles.has('api')
      ? `OMS ready: GraphQL ${url}/graphql (GraphiQL in a browser), health ${url}/health, metrics ${url}/metrics, data in ${data}`
      : `OMS ${roles} caught up and running (health ${url}/health)`,
  );
}

main().catch((error: unknown) => {
  createLogger().fatal({ err: error }, 'the OMS could not start');
  process.exit(1);
});
