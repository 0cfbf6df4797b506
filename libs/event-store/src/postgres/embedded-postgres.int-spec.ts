import { mkdtempSync, rmSync, statSync, readFileSync, chmodSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { spawn } from 'child_process';
import { Client } from 'pg';

jest.setTimeout(120_000);

/**
 * The embedded server's superuser (issue 13): a random password per data directory, kept in a file only
 * its owner may read, so other local users cannot connect with a known password and rewrite the log.
 */
describe('embedded PostgreSQL credentials', () => {
  let parent: string;

  beforeAll(() => {
    parent = mkdtempSync(join(tmpdir(), 'oms-pg-credentials-'));
    chmodSync(parent, 0o755); // the server runs as the postgres user
  });

  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  /**
   * The package is ESM-only, which jest's module system cannot require: the server is started by a
   * child Node process (as the OMS starts it), which prints its connection string and keeps it running
   * until told to stop.
   */
  async function start(dataDir: string): Promise<{ connectionString: string; stop: () => Promise<void> }> {
    const code = `
      require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs', moduleResolution: 'node' } });
      const { startEmbeddedPostgres } = require(${JSON.stringify(join(__dirname, 'embedded-postgres.ts'))});
      startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} }).then((s) => {
        console.log(JSON.stringify({ connectionString: s.connectionString }));
        process.stdin.on('data', () => s.stop().then(() => process.exit(0)));
      }, (e) => { console.error(String(e)); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line: string = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('exit', (code: number) => reject(new Error(`embedded PostgreSQL exited with ${code}`)));
    });
    const { connectionString } = JSON.parse(line) as { connectionString: string };
    return {
      connectionString,
      stop: () =>
        new Promise<void>((resolve) => {
          child.on('exit', () => resolve());
          child.stdin.write('stop\n');
        }),
    };
  }

  it('a new data directory gets a random superuser password in a 0600 file; postgres/postgres does not connect', async () => {
    const dataDir = join(parent, 'data');
    const server = await start(dataDir);
    try {
      const file = join(dataDir, 'oms-superuser-password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(server.connectionString).toContain(encodeURIComponent(password));
      const port = new URL(server.connectionString.split('?')[0]).port;
      const guess = new Client({
        connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
      });
      await expect(guess.connect()).rejects.toThrow(/password authentication failed/);
      await guess.end().catch(() => undefined);
      // Started again (or found running by a tool), it connects with the same password.
      const again = await start(dataDir);
      const client = new Client({ connectionString: again.connectionString });
      await client.connect();
      await client.end();
      await again.stop();
    } finally {
      await server.stop();
    }
  });
});
