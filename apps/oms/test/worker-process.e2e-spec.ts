import { ChildProcess, fork } from 'child_process';
import { join } from 'path';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@oms/event-store/testing/test-database';

jest.setTimeout(60_000);

interface Worker {
  child: ChildProcess;
  healthUrl: string;
  exited: Promise<number | null>;
}

/** Starts the OMS with some roles, as docker compose runs a service (its own process), on a free port. */
async function startWorker(roles: string, databaseUrl: string): Promise<Worker> {
  const entry = join(__dirname, '../src/main.ts');
  const child = fork(entry, [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      OMS_ROLES: roles,
      OMS_SEED_DEMO: 'false',
      OMS_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  const healthUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /caught up and running \(health (http:\/\/localhost:\d+\/health)\)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`${roles} exited with ${code}: ${output}`)));
  });
  return { child, healthUrl, exited };
}

async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null) return;
  worker.child.kill('SIGTERM');
  await worker.exited;
}

describe('worker processes (the docker compose services without the GraphQL API)', () => {
  let database: TestDatabase;
  const workers: Worker[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const worker of workers) await stopWorker(worker);
    await database.drop();
  });

  it('the projector and ledger worker answers GET /health for the orchestrator', async () => {
    const worker = await startWorker('projector,ledger', database.connectionString);
    workers.push(worker);
    const response = await fetch(worker.healthUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      api: 'not in this process',
      projector: 'ok',
      ledger: 'ok',
      haltEnforcer: 'ok',
      gateway: 'not in this process',
    });
    expect((await fetch(worker.healthUrl.replace('/health', '/other'))).status).toBe(404);
  });

  it('the gateway worker is healthy while it sends, and exits (for a restart) once its lock session ends', async () => {
    const worker = await startWorker('gateway', database.connectionString);
    workers.push(worker);
    const response = await fetch(worker.healthUrl);
    // Both at once, so that a failure shows what the gateway said.
    expect({ status: response.status, body: await response.json() }).toMatchObject({
      status: 200,
      body: { gateway: 'ok' },
    });

    const client = new Client({ connectionString: database.connectionString });
    await client.connect();
    // Every session that holds an advisory lock: the gateway's, and the projector worker's (projector
    // and ledger carry on without theirs: their writes are idempotent).
    const { rows } = await client.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { pid } of rows) await client.query('SELECT pg_terminate_backend($1)', [pid]);
    await client.end();
    expect(await worker.exited).toBe(1);
  });
});
