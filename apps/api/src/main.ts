import 'reflect-metadata';
import { createApiApp } from './app';
import { OmsRuntime } from './runtime/oms-runtime';
import { SettingsError, loadSettings } from './runtime/settings';

/** `npm start`: api + projector + account ledger in one process, on embedded PostgreSQL by default. */
async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch (error) {
    if (error instanceof SettingsError || (error as Error).name === 'EventStoreConfigError') {
      console.error(`Configuration error: ${(error as Error).message}`);
      process.exit(2);
    }
    throw error;
  }
  const runtime = await OmsRuntime.start(settings, (line) => console.log(line));
  const app = await createApiApp(runtime);
  let stopping = false;
  const stop = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await app.close();
    await runtime.stop();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // An OMS that accepts orders with no gateway to send them is worse than one that stops and says why.
  void runtime.gatewayStopped.then(async (reason) => {
    console.error(`the execution gateway stopped (${reason}); stopping, start again to resume`);
    await stop('gateway stopped', 1);
  });
  await app.listen(settings.port);
  await runtime.whenReady();
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  console.log(
    `OMS ready: GraphQL ${url}/graphql (GraphiQL in a browser), health ${url}/health, data in ${settings.databaseUrl ? 'DATABASE_URL' : settings.dataDir}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
