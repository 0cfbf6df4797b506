import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { runMigrations } from '@oms/migrations';

export interface TestDatabase {
  connectionString: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one suite, on this jest worker's throw-away server
 * (test/global-setup.ts), dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const servers = (process.env.OMS_TEST_POSTGRES_URLS ?? '').split(',').filter(Boolean);
  if (servers.length === 0) {
    throw new Error(
      'OMS_TEST_POSTGRES_URLS is not set: run the tests with `npm test` (jest globalSetup starts PostgreSQL).',
    );
  }
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  const serverUrl = servers[(worker - 1) % servers.length];
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  await runMigrations(connectionString);
  return {
    connectionString,
    async drop() {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
