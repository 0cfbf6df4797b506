import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { SettingsError, loadSettings } from './settings';

const refused = (env: NodeJS.ProcessEnv) => {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error('the settings were accepted');
};

describe('settings, checked once at start-up', () => {
  it('defaults to every role on embedded PostgreSQL, listening on 127.0.0.1:4000', () => {
    expect(loadSettings({})).toMatchObject({
      roles: new Set(['api', 'projector', 'ledger', 'gateway']),
      port: 4000,
      host: '127.0.0.1',
      allowedOrigins: [],
      allowedHosts: [],
      databaseUrl: null,
      eventStore: 'postgres',
      seedDemo: true,
      marketDataFile: null,
      logLevel: 'info',
    });
  });

  it('reads the market-data subscription rate, and refuses one that is not a small whole number', () => {
    expect(loadSettings({}).marketDataRate).toBe(10);
    expect(loadSettings({ OMS_MARKET_DATA_RATE: '25' }).marketDataRate).toBe(25);
    expect(refused({ OMS_MARKET_DATA_RATE: '0' })).toContain(
      'OMS_MARKET_DATA_RATE="0" must be a whole number of updates a second (1–999).',
    );
    expect(refused({ OMS_MARKET_DATA_RATE: '1e3' })).toContain('OMS_MARKET_DATA_RATE');
  });

  it('refuses a market-data file that is not there, naming the setting', () => {
    expect(refused({ OMS_MARKET_DATA: '/nowhere/trades.csv' })).toBe(
      'OMS_MARKET_DATA="/nowhere/trades.csv" is not a file this process can read (a tardis CSV file, gzipped or not).',
    );
    const file = join(__dirname, '../../../package.json');
    expect(loadSettings({ OMS_MARKET_DATA: file }).marketDataFile).toBe(file);
  });

  it('reads the venues from OMS_VENUES and stops the start on a bad one, naming the entry and the field', () => {
    expect(loadSettings({}).venues.map((v) => v.id)).toEqual(['SIM-A', 'SIM-B']);
    expect(refused({ OMS_VENUES: '/nowhere/venues.yaml' })).toBe(
      'OMS_VENUES=/nowhere/venues.yaml is not a file this process can read.',
    );
    const dir = mkdtempSync(join(tmpdir(), 'oms-settings-'));
    try {
      const file = join(dir, 'venues.json');
      writeFileSync(file, JSON.stringify([{ id: 'EXEC', type: 'fix', port: 'five' }]));
      expect(refused({ OMS_VENUES: file })).toBe(
        `OMS_VENUES=${file}: venues[0] (EXEC): port must be an integer number.`,
      );
      writeFileSync(
        file,
        JSON.stringify([{ id: 'EXEC', type: 'fix', port: 5001, targetCompId: 'EXECUTOR' }]),
      );
      expect(loadSettings({ OMS_VENUES: file }).venues).toMatchObject([{ id: 'EXEC', port: 5001 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every bad setting in one sentence each', () => {
    expect(refused({ PORT: '99999', OMS_ROLES: 'api,trader', OMS_SEED_DEMO: 'yes' })).toBe(
      [
        'PORT="99999" is not a TCP port (0–65535).',
        'OMS_ROLES="api,trader" must list some of api, projector, ledger, gateway, separated by commas.',
        'OMS_SEED_DEMO="yes" must be true or false.',
      ].join(' '),
    );
    expect(refused({ DATABASE_URL: 'mysql://x' })).toBe(
      'DATABASE_URL="mysql://x" must be a postgres:// connection string.',
    );
    expect(refused({ EVENT_STORE: 'kafka' })).toMatch(
      /^EVENT_STORE="kafka" is not a known event store; use one of /,
    );
    expect(refused({ EVENT_STORE: 'kurrentdb' })).toMatch(/needs KURRENTDB_CONNECTION_STRING/);
    expect(refused({ EVENT_STORE: 'eventstoredb' })).toMatch(
      /^EventStoreDB is now KurrentDB: set EVENT_STORE=kurrentdb/,
    );
  });

  it('reads the roles a docker compose service runs, and treats empty values as unset', () => {
    const settings = loadSettings({ OMS_ROLES: ' projector , ledger ', PORT: '', HOST: '0.0.0.0' });
    expect([...settings.roles]).toEqual(['projector', 'ledger']);
    expect([settings.port, settings.host]).toEqual([4000, '0.0.0.0']);
  });
  it('reads the browser origins allowed to subscribe, and refuses what is not one', () => {
    expect(
      loadSettings({ OMS_ALLOWED_ORIGINS: 'https://desk.example.com, http://localhost:3000' }).allowedOrigins,
    ).toEqual(['https://desk.example.com', 'http://localhost:3000']);
    expect(() => loadSettings({ OMS_ALLOWED_ORIGINS: 'desk' })).toThrow(
      /not a comma-separated list of origins/,
    );
  });
  it('reads the host names the server answers to (DNS rebinding), and refuses what is not a list of names', () => {
    expect(loadSettings({ OMS_ALLOWED_HOSTS: 'OMS.example.com, desk' }).allowedHosts).toEqual([
      'oms.example.com',
      'desk',
    ]);
    expect(() => loadSettings({ OMS_ALLOWED_HOSTS: 'a b' })).toThrow(
      /not a comma-separated list of host names/,
    );
  });

  it('takes an admin key only if it is long and plain, and never repeats it in the message', () => {
    const weak = refused({ OMS_ADMIN_KEY: 'hunter2' });
    expect(weak).toMatch(/^OMS_ADMIN_KEY must be 32–256 printable characters/);
    expect(weak).not.toContain('hunter2');
    const key = 'k'.repeat(40);
    expect(loadSettings({ OMS_ADMIN_KEY: key }).adminKey).toBe(key);
    // Read as a token where JWTs are taken: refused as a key.
    expect(refused({ OMS_ADMIN_KEY: `${'a'.repeat(12)}.${'b'.repeat(12)}.${'c'.repeat(12)}` })).toMatch(
      /OMS_ADMIN_KEY/,
    );
  });

  it('accepts JWTs only with an issuer, an audience, and one way to check signatures', () => {
    expect(loadSettings({}).jwt).toBeNull();
    expect(refused({ OMS_JWT_ISSUER: 'https://idp/' })).toBe(
      'JWTs need both OMS_JWT_ISSUER and OMS_JWT_AUDIENCE.',
    );
    expect(refused({ OMS_JWT_ISSUER: 'https://idp/', OMS_JWT_AUDIENCE: 'oms' })).toMatch(
      /one of OMS_JWT_JWKS_URI/,
    );
    expect(
      loadSettings({
        OMS_JWT_ISSUER: 'https://idp/',
        OMS_JWT_AUDIENCE: 'oms',
        OMS_JWT_JWKS_URI: 'https://idp/jwks',
      }).jwt,
    ).toEqual({
      issuer: 'https://idp/',
      audience: 'oms',
      jwksUri: 'https://idp/jwks',
      secret: null,
      algorithms: ['RS256'],
      principalClaim: 'sub',
    });
    expect(
      loadSettings({ OMS_JWT_ISSUER: 'i', OMS_JWT_AUDIENCE: 'a', OMS_JWT_SECRET: 's'.repeat(32) }).jwt
        ?.algorithms,
    ).toEqual(['HS256']);
  });
});
