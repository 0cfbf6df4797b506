import { Decimal } from '@oms/domain';
import { describeWithQuickFix } from '../../../../test/with-quickfix';
import { mkdtempSync, rmSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { waitFor, waitUntil } from '../../../../test/wait-for';
import { ExecutionReport, VenueOrderRequest } from '../venue';
import { FixVenue, FixVenueSettings } from './fix-venue';
import { AcceptorSession, RunningAcceptor, startAcceptor, tagOf } from './testing/quickfix';

/**
 * The FIX adapter against real QuickFIX acceptors (executor: FIX 4.4; ordermatch: FIX 4.2). In CI
 * these always run (.ci/run installs and builds QuickFIX); elsewhere, without QuickFIX, they say NOT
 * RUN and why.
 */
jest.setTimeout(60_000);
const d = (s: string) => Decimal.parse(s);

function settings(
  acceptor: RunningAcceptor,
  session: AcceptorSession,
  storeDirectory: string,
  extra: Partial<FixVenueSettings> = {},
): FixVenueSettings {
  return {
    venueId: `fix-${session.senderCompId.toLowerCase()}`,
    host: '127.0.0.1',
    port: acceptor.port,
    beginString: session.beginString,
    senderCompId: session.targetCompId,
    targetCompId: session.senderCompId,
    heartbeatSeconds: 30,
    storeDirectory,
    instruments: { BTCUSDT: { symbol: 'BTC/USDT', tickSize: d('0.01'), lotSize: d('0.00001') } },
    orderTypes: ['LIMIT'],
    timesInForce: ['DAY'],
    rateLimit: { perSecond: 50, burst: 50 },
    fees: { maker: d('0'), taker: d('0.0005') },
    statusTimeoutMs: 3_000,
    reconnect: { firstMs: 100, longestMs: 1_000 },
    ...extra,
  };
}

function order(childId: string, extra: Partial<VenueOrderRequest> = {}): VenueOrderRequest {
  return {
    clientOrderId: childId,
    instrumentId: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'DAY',
    quantity: d('0.25'),
    limitPrice: d('96500.5'),
    ...extra,
  };
}

function recorder(venue: FixVenue): ExecutionReport[] {
  const reports: ExecutionReport[] = [];
  venue.onReport((r) => {
    reports.push(r);
  });
  return reports;
}

describe('FIX adapter against a counterparty that never answers', () => {
  it('a venue that takes the connection and never answers the Logon is left after the logon timeout, and retried', async () => {
    let connections = 0;
    const silent = createServer((socket) => {
      connections += 1;
      socket.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'oms-fix-silent-'));
    const venue = new FixVenue({
      ...settings(
        { port: (silent.address() as AddressInfo).port } as RunningAcceptor,
        { beginString: 'FIX.4.4', senderCompId: 'SILENT', targetCompId: 'OMS' },
        dir,
      ),
      logonTimeoutMs: 300,
    });
    try {
      await venue.connect(); // resolves once the first attempt has failed
      expect(venue.connected).toBe(false);
      expect(venue.session().lastError).toMatch(/no Logon answer within 300 ms/);
      await waitUntil(() => connections >= 2, 'a second attempt after the backoff');
    } finally {
      await venue.disconnect(); // also ends an attempt under way
      await new Promise((resolve) => silent.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithQuickFix('FIX 4.4 adapter against QuickFIX executor', () => {
  const session: AcceptorSession = {
    beginString: 'FIX.4.4',
    senderCompId: 'EXECUTOR',
    targetCompId: 'OMS',
  };
  let acceptor: RunningAcceptor;
  let dir: string;
  const venues: FixVenue[] = [];
  const open = (extra: Partial<FixVenueSettings> = {}) => {
    const venue = new FixVenue(settings(acceptor, session, join(dir, 'store'), extra));
    venues.push(venue);
    return venue;
  };

  beforeEach(async () => {
    acceptor = await startAcceptor('executor', [session]);
    dir = mkdtempSync(join(tmpdir(), 'oms-fix-'));
  });

  afterEach(async () => {
    for (const venue of venues.splice(0)) await venue.disconnect();
    await acceptor.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('New order, filled: the executor fills a LIMIT order at once, with its ExecID, price and quantity', async () => {
    const venue = open();
    const reports = recorder(venue);
    await venue.connect();
    expect(venue.session()).toMatchObject({ state: 'logged on', protocol: 'FIX.4.4', senderCompId: 'OMS' });
    await venue.submit(order('ord-1.1'));
    const fill = await waitFor(
      () => reports.find((r) => r.kind === 'fill'),
      (r) => r !== undefined,
      'a fill from the executor',
    );
    if (fill?.kind !== 'fill') throw new Error('no fill');
    const [sentFill] = await acceptor.seen('sent', '8');
    expect(fill.clientOrderId).toBe('ord-1.1');
    expect(fill.execId).toBe(tagOf(sentFill, 17));
    expect(fill.quantity.toString()).toBe('0.25');
    expect(fill.price.toString()).toBe('96500.5');
    expect(fill.leavesQuantity.isZero()).toBe(true);
    expect(reports.map((r) => r.kind)).toEqual(['ack', 'fill']);
  });

  it('A market order is refused by the executor: rejected with the venue reason, never filled', async () => {
    const venue = open({ orderTypes: ['LIMIT', 'MARKET'] });
    const reports = recorder(venue);
    await venue.connect();
    await venue.submit(order('ord-2.1', { type: 'MARKET', limitPrice: null }));
    const rejected = await waitFor(
      () => reports.find((r) => r.kind === 'rejected'),
      (r) => r !== undefined,
      'the market order rejected',
    );
    expect(rejected).toMatchObject({ clientOrderId: 'ord-2.1', kind: 'rejected' });
    expect(reports.some((r) => r.kind === 'fill')).toBe(false);
  });

  it('Crash after journaling a NewOrderSingle, before it went out: the restarted session answers the ResendRequest with the real order (PossDup), and the executor holds it once', async () => {
    const crashing = open({ faults: { afterJournal: (msgType) => (msgType === 'D' ? 'drop' : 'send') } });
    await crashing.connect();
    await crashing.submit(order('ord-3.1'));
    await waitUntil(() => !crashing.connected, 'the connection dropped as in a crash');
    await crashing.disconnect();
    expect(acceptor.received().filter((m) => tagOf(m, 35) === 'D')).toHaveLength(0);

    const restarted = open();
    const reports = recorder(restarted);
    await restarted.connect();
    await waitFor(
      () => reports.find((r) => r.kind === 'fill'),
      (r) => r !== undefined,
      'the re-sent order filled',
    );
    const orders = await acceptor.seen('received', 'D');
    expect(orders).toHaveLength(1);
    expect(tagOf(orders[0], 11)).toBe('ord-3.1');
    expect(tagOf(orders[0], 43)).toBe('Y');
    expect(tagOf(orders[0], 122)).not.toBeNull();
    expect(acceptor.received().some((m) => tagOf(m, 35) === '2')).toBe(false); // we asked for nothing
    await acceptor.seen('sent', '2'); // it asked us
  });

  it('The acceptor restarted mid-session: the adapter reconnects, resumes its sequence numbers and trades on', async () => {
    const venue = open();
    const reports = recorder(venue);
    await venue.connect();
    await venue.submit(order('ord-4.1'));
    await waitUntil(() => reports.some((r) => r.kind === 'fill'), 'the first fill');
    const before = venue.session().nextSenderSeqNum;
    await acceptor.kill();
    await waitUntil(() => !venue.connected, 'the adapter noticed');
    await acceptor.start();
    await waitUntil(() => venue.connected, 'logged on again', 20_000);
    expect(venue.session().nextSenderSeqNum).toBeGreaterThan(before);
    await venue.submit(order('ord-4.2'));
    await waitUntil(
      () => reports.some((r) => r.kind === 'fill' && r.clientOrderId === 'ord-4.2'),
      'the second order filled after the reconnect',
    );
    expect(acceptor.sent().filter((m) => tagOf(m, 35) === '5')).toHaveLength(0); // never logged out for bad sequence
  });

  it('A mass status request the executor does not support fails (reconciliation then asks slice by slice)', async () => {
    const venue = open({ massStatus: true });
    await venue.connect();
    await expect(venue.openOrders()).rejects.toThrow(/refused a mass status request/);
    expect(tagOf((await acceptor.seen('received', 'AF'))[0], 585)).toBe('7');
    expect(await open({ venueId: 'fix-plain' }).openOrders()).toEqual([]); // not declared: not asked
  });

  it('A status request the executor does not support fails as unknown, never as a guess', async () => {
    const venue = open();
    await venue.connect();
    await venue.submit(order('ord-5.1'));
    await expect(venue.queryOrder('ord-5.1')).rejects.toThrow(/refused a status request/);
    const asked = (await acceptor.seen('received', 'H')).length;
    // Refused once, refused for the rest of the session: the next slice is not made to wait.
    await expect(venue.queryOrder('ord-5.1')).rejects.toThrow(/refused a status request/);
    expect(acceptor.received().filter((m) => tagOf(m, 35) === 'H')).toHaveLength(asked);
    await expect(venue.queryOrder('never-sent.1')).resolves.toBeNull();
  });
});

describeWithQuickFix('FIX 4.2 adapter against QuickFIX ordermatch', () => {
  const sessions: AcceptorSession[] = [
    { beginString: 'FIX.4.2', senderCompId: 'MATCH', targetCompId: 'OMS1' },
    { beginString: 'FIX.4.2', senderCompId: 'MATCH', targetCompId: 'OMS2' },
  ];
  let acceptor: RunningAcceptor;
  let dir: string;
  const venues: FixVenue[] = [];
  const open = (session: AcceptorSession) => {
    const venue = new FixVenue(
      settings(acceptor, session, join(dir, session.targetCompId), {
        venueId: `match-${session.targetCompId.toLowerCase()}`,
        instruments: { BTCUSDT: { symbol: 'BTCUSDT', tickSize: d('0.01'), lotSize: d('1') } },
      }),
    );
    venues.push(venue);
    return venue;
  };

  beforeEach(async () => {
    acceptor = await startAcceptor('ordermatch', sessions);
    dir = mkdtempSync(join(tmpdir(), 'oms-fix42-'));
  });

  afterEach(async () => {
    for (const venue of venues.splice(0)) await venue.disconnect();
    await acceptor.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('A resting limit order is acknowledged (New) and canceled (Canceled)', async () => {
    const venue = open(sessions[0]);
    const reports = recorder(venue);
    await venue.connect();
    await venue.submit(order('rest-1.1', { quantity: d('5'), limitPrice: d('100') }));
    await waitUntil(() => reports.some((r) => r.kind === 'ack'), 'acknowledged');
    await venue.cancel('rest-1.1');
    const canceled = await waitFor(
      () => reports.find((r) => r.kind === 'canceled'),
      (r) => r !== undefined,
      'canceled',
    );
    expect(canceled).toMatchObject({ clientOrderId: 'rest-1.1' });
  });

  it('Two orders on opposite sides at crossing prices, from two sessions, fill each other', async () => {
    const buyer = open(sessions[0]);
    const seller = open(sessions[1]);
    const bought = recorder(buyer);
    const sold = recorder(seller);
    await buyer.connect();
    await seller.connect();
    await buyer.submit(order('buy-1.1', { quantity: d('3'), limitPrice: d('101') }));
    await waitUntil(() => bought.some((r) => r.kind === 'ack'), 'the bid rests');
    await seller.submit(order('sell-1.1', { side: 'SELL', quantity: d('3'), limitPrice: d('100') }));
    await waitUntil(
      () => bought.some((r) => r.kind === 'fill') && sold.some((r) => r.kind === 'fill'),
      'both filled',
    );
    const buy = bought.find((r) => r.kind === 'fill');
    const sell = sold.find((r) => r.kind === 'fill');
    if (buy?.kind !== 'fill' || sell?.kind !== 'fill') throw new Error('no fills');
    expect(buy.quantity.toString()).toBe('3');
    expect(sell.quantity.toString()).toBe('3');
    expect(buy.price.toString()).toBe(sell.price.toString());
  });

  it('An order it refuses (GTC: it takes Day only) ends rejected with its reason', async () => {
    const venue = open(sessions[0]);
    const reports = recorder(venue);
    await venue.connect();
    await venue.submit(order('gtc-1.1', { timeInForce: 'GTC', quantity: d('1'), limitPrice: d('100') }));
    const rejected = await waitFor(
      () => reports.find((r) => r.kind === 'rejected'),
      (r) => r !== undefined,
      'rejected',
    );
    expect(rejected).toMatchObject({
      clientOrderId: 'gtc-1.1',
      reason: expect.stringContaining('Unsupported TIF'),
    });
  });
});
