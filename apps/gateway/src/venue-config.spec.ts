import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DEMO_VENUES, VenueConfigError, parseVenueConfig, readVenueConfig } from './venue-config';

const refused = (entries: unknown) => {
  try {
    parseVenueConfig(entries, 'OMS_VENUES=v.yaml');
  } catch (error) {
    if (error instanceof VenueConfigError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('venue configuration (OMS_VENUES)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'oms-venues-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and JSON alike; every setting but id and type has a default', () => {
    const yaml = join(dir, 'venues.yaml');
    writeFileSync(
      yaml,
      [
        'venues:',
        '  - id: SIM-A',
        '    type: simulated',
        '  - id: EXEC',
        '    type: fix',
        '    port: 5001',
        '    targetCompId: EXECUTOR',
        '    symbols: { BTCUSDT: BTC/USDT }',
        '    fees: { taker: "0.0005" }',
        '    supports: { orderTypes: [LIMIT], massStatus: true }',
      ].join('\n'),
    );
    const [sim, fix] = readVenueConfig(yaml);
    expect(sim).toMatchObject({
      id: 'SIM-A',
      type: 'simulated',
      rateLimit: 50,
      symbols: { BTCUSDT: 'BTCUSDT' },
    });
    expect(fix).toMatchObject({
      id: 'EXEC',
      type: 'fix',
      host: '127.0.0.1',
      port: 5001,
      beginString: 'FIX.4.4',
      senderCompId: 'OMS',
      targetCompId: 'EXECUTOR',
      heartbeatSeconds: 30,
      symbols: { BTCUSDT: 'BTC/USDT' },
      orderTypes: ['LIMIT'],
      massStatus: true,
    });
    if (fix.type !== 'fix') throw new Error('not fix');
    expect(fix.fees.taker.toString()).toBe('0.0005');
    expect(fix.fees.maker.isZero()).toBe(true);
    const json = join(dir, 'venues.json');
    writeFileSync(json, JSON.stringify([{ id: 'SIM-A', type: 'simulated' }]));
    expect(readVenueConfig(json)).toMatchObject([{ id: 'SIM-A', type: 'simulated' }]);
  });

  it('names the entry and the field of every problem, in sentences', () => {
    const message = refused([
      { id: 'EXEC', type: 'fix', port: 70000, beginString: 'FIX.5.0', fees: { taker: 0.0005 } },
      { id: 'SIM A', type: 'simulated', host: 'x' },
      { id: 'X', type: 'carrier-pigeon' },
      { id: 'EXEC', type: 'fix', hots: 'typo' },
      { id: 'OLD', type: 'fix', beginString: 'FIX.4.2', supports: { massStatus: true } },
    ]);
    expect(message).toMatch(/^OMS_VENUES=v\.yaml: /);
    expect(message).toContain('venues[0] (EXEC): port must not be greater than 65535');
    expect(message).toContain('venues[0] (EXEC): beginString must be one of FIX.4.2, FIX.4.4');
    expect(message).toContain('venues[0] (EXEC).fees: taker must be a decimal ≥ 0 written as a string');
    expect(message).toContain('venues[1] (SIM A): id must be 1–32 letters');
    expect(message).toContain('venues[1] (SIM A): host is not a setting of simulated venues');
    expect(message).toContain('venues[2] (X): type must be one of simulated, fix');
    expect(message).toContain('venues[3] (EXEC): property hots should not exist');
    expect(message).toContain('venues[3]: id EXEC is used twice');
    expect(message).toContain('venues[4] (OLD): supports.massStatus needs FIX.4.4');
  });

  it('a venue that holds stops declares STOP_LIMIT; a STOP alone is refused (the OMS never sends a stop-market)', () => {
    const [sim] = parseVenueConfig(
      [{ id: 'SIM-S', type: 'simulated', supports: { orderTypes: ['MARKET', 'LIMIT', 'STOP_LIMIT'] } }],
      'OMS_VENUES=v.yaml',
    );
    expect(sim.orderTypes).toEqual(['MARKET', 'LIMIT', 'STOP_LIMIT']);
    expect(
      refused([{ id: 'SIM-S', type: 'simulated', supports: { orderTypes: ['LIMIT', 'STOP'] } }]),
    ).toContain(
      'orderTypes may hold MARKET, LIMIT, STOP_LIMIT: with STOP_LIMIT the venue holds STOP and STOP_LIMIT orders itself',
    );
  });

  it('refuses an empty list, a file it cannot read and one it cannot parse', () => {
    expect(refused([])).toMatch(/expected a non-empty list of venues/);
    expect(() => readVenueConfig(join(dir, 'missing.yaml'))).toThrow(/is not a file this process can read/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ venues: ');
    expect(() => readVenueConfig(bad)).toThrow(/is not valid JSON/);
  });

  it('the demo venues are two simulated venues on BTCUSDT', () => {
    expect(DEMO_VENUES.map((v) => [v.id, v.type])).toEqual([
      ['SIM-A', 'simulated'],
      ['SIM-B', 'simulated'],
    ]);
  });
});
