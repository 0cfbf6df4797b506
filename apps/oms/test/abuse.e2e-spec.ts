import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { IncomingMessage, request as httpRequest } from 'http';
import WebSocket from 'ws';
import { RunningOms, eventually, startOms } from './harness';

jest.setTimeout(60_000);

type Errors = { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown };
const codes = (r: Errors) => (r.errors ?? []).map((e) => e.extensions?.code);
/** An answer that is expected to come (a refusal), waited for with the suite's deadline and a message. */
async function eventuallyAnswer(answer: Promise<unknown>, what: string): Promise<unknown> {
  let answered: { value: unknown } | null = null;
  void answer.then((value) => (answered = { value }));
  const settled = await eventually(
    async () => answered,
    (a) => a !== null,
    what,
  );
  return settled?.value;
}

/**
 * Abuse limits (issue 13): one request cannot place a burst of orders or read without bound, free text
 * is bounded and clean, and malformed references are errors. Each refusal is one coded error, with a
 * sentence and no stack trace, and appends nothing.
 */
describe('abuse limits of the API', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms();
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  const place = (i: number) =>
    `o${i}: placeOrder(input: {accountId: "demo", clientOrderId: "burst-${i}", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600"}) { accepted }`;

  it('200 aliases of placeOrder in one request: one coded error, nothing appended', async () => {
    const before = await oms.eventCount();
    const burst = await oms.gql<unknown>(
      `mutation { ${Array.from({ length: 200 }, (_, i) => place(i)).join(' ')} }`,
    );
    expect(codes(burst as Errors)).toEqual(['TOO_MANY_MUTATIONS']);
    expect((burst as Errors).errors?.[0].message).toMatch(/at most 10 mutations/);
    expect(await oms.eventCount()).toBe(before);
    // Ten is fine.
    const ten = await oms.gql<Record<string, { accepted: boolean }>>(
      `mutation { ${Array.from({ length: 10 }, (_, i) => place(1000 + i)).join(' ')} }`,
    );
    expect(Object.values(ten.data ?? {}).every((r) => r.accepted)).toBe(true);
  });

  it('many aliases of one read in one request: refused before it runs', async () => {
    const reads = Array.from({ length: 100 }, (_, i) => `h${i}: orderHistory(orderId: "x") { data }`).join(
      ' ',
    );
    const response = (await oms.gql<unknown>(`{ ${reads} }`)) as Errors;
    expect(codes(response)).toContain('TOO_MANY_ROOT_FIELDS');
  });

  it('the response budget counts lists at their bounds, aliases each time, and a variable page size at its maximum', async () => {
    const before = await oms.eventCount();
    // 20 histories of 500 events' data each could be 610,000 values: refused before anything runs.
    const histories = Array.from({ length: 20 }, (_, i) => `h${i}: orderHistory(orderId: "x") { data }`).join(
      ' ',
    );
    const amplified = (await oms.gql<unknown>(`{ ${histories} }`)) as Errors;
    expect(codes(amplified)).toEqual(['RESPONSE_BUDGET_EXCEEDED']);
    expect(amplified.errors?.[0].message).toMatch(
      /up to 610,000 values; one request may ask for at most 250,000/,
    );
    // A page size from a variable is counted at its maximum: the document is judged once, whatever
    // variables come with it.
    const page = `query P($n: Int) { a: orders(first: $n) { edges { node { id fills { execId price quantity fee venueId } } } }
      b: orders(first: $n) { edges { node { id fills { execId price quantity fee venueId } } } } }`;
    expect(codes((await oms.gql<unknown>(page, { n: 1 })) as Errors)).toEqual(['RESPONSE_BUDGET_EXCEEDED']);
    // What a front-end asks for fits.
    const fits = (await oms.gql<unknown>(
      '{ orders(first: 100) { edges { node { id status quantity filledQuantity fills { price quantity } rejections { code message } } } } }',
    )) as Errors;
    expect(fits.errors).toBeUndefined();
    expect(await oms.eventCount()).toBe(before);
  });

  it('introspection answers the standard query, and cannot be multiplied by aliases or by recursing through types', async () => {
    const standard = (await oms.gql<unknown>(getIntrospectionQuery())) as Errors;
    expect(standard.errors).toBeUndefined();
    const T =
      'fragment T on __Type { ' + Array.from({ length: 20 }, (_, i) => `n${i}: name`).join(' ') + ' }';
    const aliased = (await oms.gql<unknown>(
      `{ __schema { types { f0: fields { type { ...T } } f1: fields { type { ...T } } } } } ${T}`,
    )) as Errors;
    expect(codes(aliased)).toEqual(['INTROSPECTION_TOO_WIDE']);
    const recursive = (await oms.gql<unknown>(
      '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }',
    )) as Errors;
    expect(codes(recursive)).toContain('INTROSPECTION_TOO_WIDE');
    expect(recursive.errors?.map((e) => e.message).join(' ')).toMatch(/Introspection lists/);
  });

  it('over graphql-ws a subscription is held to the same limits, and one socket to 20 subscriptions', async () => {
    const client = createClient({
      url: `${oms.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${oms.keys.trader}` },
    });
    const answer = (query: string) =>
      new Promise<unknown>((resolve) =>
        client.subscribe({ query }, { next: resolve, error: resolve, complete: () => resolve('completed') }),
      );
    const R =
      'fragment R on Rejection { ' + Array.from({ length: 280 }, (_, i) => `c${i}: code`).join(' ') + ' }';
    const fan = Array.from({ length: 110 }, (_, i) => `r${i}: rejections { ...R }`).join(' ');
    const wide = await answer(`subscription { orderUpdated(accountId: "demo") { id ${fan} } } ${R}`);
    expect(JSON.stringify(wide)).toContain('RESPONSE_BUDGET_EXCEEDED');
    // Twenty at once on one socket; the twenty-first is refused.
    const subscriptions = Array.from({ length: 20 }, () => {
      let settled: unknown = null;
      const stop = client.subscribe(
        { query: 'subscription { orderUpdated(accountId: "demo") { id } }' },
        { next: () => undefined, error: (e) => (settled = e), complete: () => undefined },
      );
      return { stop, settled: () => settled };
    });
    const extra = await eventuallyAnswer(
      answer('subscription { orderUpdated(accountId: "demo") { id } }'),
      'the twenty-first subscription refused',
    );
    expect(JSON.stringify(extra)).toContain('TOO_MANY_SUBSCRIPTIONS');
    subscriptions.forEach((s) => s.stop());
    await client.dispose();
  });

  it('free text is bounded and clean: a long or control-laden reason is refused with a code, nothing appended', async () => {
    const before = await oms.eventCount();
    const long = (await oms.gql<unknown>(
      `mutation { haltTrading(scope: GLOBAL, reason: "${'x'.repeat(90_000)}") }`,
      undefined,
      oms.as('riskOfficer'),
    )) as Errors;
    expect(codes(long)).toEqual(['TEXT_TOO_LONG']);
    const nul = (await oms.gql<unknown>(
      'mutation H($r: String!) { haltTrading(scope: GLOBAL, reason: $r) }',
      { r: 'stop\u0000now' },
      oms.as('riskOfficer'),
    )) as Errors;
    expect(codes(nul)).toEqual(['INVALID_TEXT']);
    const cancel = (await oms.gql<unknown>(
      'mutation C($r: String) { cancelOrder(orderId: "x", reason: $r) { status } }',
      {
        r: 'y'.repeat(501),
      },
    )) as Errors;
    expect(codes(cancel)).toEqual(['TEXT_TOO_LONG']);
    expect(await oms.eventCount()).toBe(before);
    expect(JSON.stringify([long, nul, cancel])).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('no string anywhere in a request carries control, bidirectional or separator characters, nor runs past 1,000 characters: a coded error, never an internal one', async () => {
    const before = await oms.eventCount();
    const bad = [
      '\u0000',
      '\u001b[31m',
      '\u009b',
      '\u202e',
      '\u2028',
      '\u2066',
      '\u200b',
      '\ufeff',
      '\u061c',
      '\udc00',
      '\ud800x',
    ];
    for (const ch of bad) {
      for (const [query, variables] of [
        ['query O($id: ID!) { order(id: $id) { id } }', { id: `x${ch}` }],
        ['query H($id: ID!) { orderHistory(orderId: $id) { type } }', { id: `x${ch}` }],
        ['query P($a: ID!) { positions(accountId: $a) { quantity } }', { a: `demo${ch}` }],
        [
          'query T($a: String!) { auditTrail(filter: { actor: $a }) { edges { cursor } } }',
          { a: `user:${ch}` },
        ],
        [
          'mutation V($v: String) { placeOrder(input: {accountId: "demo", clientOrderId: "ctl", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600", venueId: $v}) { accepted } }',
          { v: `SIM-A${ch}` },
        ],
      ] as const) {
        const answer = (await oms.gql<unknown>(query, variables, oms.as('auditor'))) as Errors;
        expect([query.slice(0, 20), JSON.stringify(ch), codes(answer)]).toEqual([
          query.slice(0, 20),
          JSON.stringify(ch),
          ['INVALID_TEXT'],
        ]);
      }
    }
    const reason = (await oms.gql<unknown>(
      'mutation H($r: String!) { haltTrading(scope: GLOBAL, reason: $r) }',
      { r: 'halt \udc00 now' },
      oms.as('riskOfficer'),
    )) as Errors;
    expect(codes(reason)).toEqual(['INVALID_TEXT']);
    const literal = (await oms.gql<unknown>('{ order(id: "x\\u0000") { id } }')) as Errors;
    expect(codes(literal)).toEqual(['INVALID_TEXT']);
    const long = (await oms.gql<unknown>('query O($id: ID!) { order(id: $id) { id } }', {
      id: 'x'.repeat(1_001),
    })) as Errors;
    expect(codes(long)).toEqual(['TEXT_TOO_LONG']);
    expect(await oms.eventCount()).toBe(before);
  });

  it('a venue id and allowed instruments are ids: their shape and number are bounded', async () => {
    const venue = (await oms.gql<unknown>(
      'mutation { placeOrder(input: {accountId: "demo", clientOrderId: "v-shape", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600", venueId: "SIM A!"}) { accepted } }',
    )) as Errors;
    expect(codes(venue)).toEqual(['BAD_USER_INPUT']);
    const many = JSON.stringify(Array.from({ length: 1_001 }, (_, i) => `I${i}`));
    const limits = (await oms.gql<unknown>(
      `mutation { setRiskLimits(accountId: "demo", limits: { maxOrderQuantity: "5", maxOrderNotional: "50000", maxPosition: "10", maxOpenNotional: "250000", priceCollarPercent: "5", staleReferenceAfterMs: 10000, maxOrdersPerWindow: 50, orderRateWindowMs: 1000, maxDailyLoss: "5000", allowedInstruments: ${many} }) { accountId } }`,
      undefined,
      oms.as('riskOfficer'),
    )) as Errors;
    expect(codes(limits)).toEqual(['BAD_USER_INPUT']);
  });

  it('fragments that spread each other twice over, level on level, are judged at once, not walked 2^n times', async () => {
    // 40 levels: walked spread by spread, this would take longer than the universe has.
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1
        ? `fragment F${i} on PrincipalView { principalId }`
        : `fragment F${i} on PrincipalView { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    // Judged at once (and refused: counted as written, 2^39 values, before fields merge).
    const answer = (await oms.gql<unknown>(`{ me { ...F0 } } ${fragments}`)) as Errors;
    expect(codes(answer)).toContain('RESPONSE_BUDGET_EXCEEDED');
    const shape = (await oms.gql<unknown>(
      `{ __schema { types { ...T0 } } } ${Array.from({ length: levels }, (_, i) =>
        i === levels - 1
          ? `fragment T${i} on __Type { name }`
          : `fragment T${i} on __Type { ...T${i + 1} ...T${i + 1} }`,
      ).join(' ')}`,
    )) as Errors;
    // Answered at once too: the spreads merge into one name per type.
    expect(shape.errors).toBeUndefined();
  });

  it('a graphql-ws message larger than 64 KB closes the socket before it is read whole (no key needed to try)', async () => {
    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${oms.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      socket.on('open', () =>
        socket.send(JSON.stringify({ type: 'connection_init', payload: { junk: 'x'.repeat(1_000_000) } })),
      );
      socket.on('close', (code) => resolve(code));
      socket.on('error', () => undefined);
    });
    expect(closed).toBe(1009);
  });

  it('a made-up anchor is refused, not reported as holding', async () => {
    for (const count of [0, -5]) {
      const answer = (await oms.gql<unknown>(
        `{ auditVerification(anchorCount: ${count}, anchorHash: "${'0'.repeat(64)}") { ok } }`,
        undefined,
        oms.as('auditor'),
      )) as Errors;
      expect(codes(answer)).toEqual(['INVALID_ANCHOR']);
    }
  });

  it('a correlation id is carried into every event, so it is bounded too', async () => {
    const correlation = (await oms.gql<unknown>('{ venues { id } }', undefined, {
      'x-correlation-id': 'c'.repeat(15_000),
    })) as Errors;
    expect(codes(correlation)).toEqual(['INVALID_CORRELATION_ID']);
  });

  it('a malformed cursor and a revision beyond the end are errors, not silently something else', async () => {
    const cursor = (await oms.gql<unknown>(
      '{ orders(accountId: "demo", first: 5, after: "garbage") { edges { cursor } } }',
    )) as Errors;
    expect(codes(cursor)).toEqual(['INVALID_CURSOR']);
    const placed = await oms.gql<{ placeOrder: { order: { id: string } } }>(
      `mutation { placeOrder(input: {accountId: "demo", clientOrderId: "asof", instrumentId: "BTCUSDT", side: BUY, type: LIMIT, quantity: "0.001", limitPrice: "9600"}) { order { id } } }`,
    );
    const id = placed.data!.placeOrder.order.id;
    const beyond = (await oms.gql<unknown>(
      `{ orderAsOf(orderId: "${id}", revision: 99) { status } }`,
    )) as Errors;
    expect(codes(beyond)).toEqual(['REVISION_NOT_FOUND']);
  });
});

describe('a production server does not describe itself', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };
  const before = process.env.NODE_ENV;

  beforeAll(async () => {
    process.env.NODE_ENV = 'production';
    oms = await startOms();
  });

  afterAll(async () => {
    process.env.NODE_ENV = before;
    await oms?.stop();
    await oms?.database.drop();
  });

  it('no introspection, and no field-name suggestions in errors', async () => {
    const schema = (await oms.gql<unknown>('{ __schema { types { name } } }')) as Errors;
    expect(schema.errors?.[0].message).toMatch(/introspection/i);
    const typo = (await oms.gql<unknown>('{ ordrs(accountId: "demo") { edges { cursor } } }')) as Errors;
    expect(typo.errors?.[0].message).not.toMatch(/Did you mean/);
  });
});

describe('a server on the loopback answers only to its own names (DNS rebinding)', () => {
  let oms: RunningOms & { database: { drop(): Promise<void> } };

  beforeAll(async () => {
    oms = await startOms();
  });

  afterAll(async () => {
    await oms?.stop();
    await oms?.database.drop();
  });

  it('a request whose Host is another name is refused with a code; localhost and 127.0.0.1 are served', async () => {
    const port = new URL(oms.url).port;
    const ask = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/graphql',
            method: 'POST',
            headers: { host, 'content-type': 'application/json', ...oms.as('auditor') },
          },
          (response: IncomingMessage) => {
            let body = '';
            response.on('data', (chunk) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify({ query: '{ venues { id } }' }));
      });
    const rebound = await ask(`rebind.evil.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('HOST_NOT_ALLOWED');
    expect((await ask(`localhost:${port}`)).status).toBe(200);
    expect((await ask(`127.0.0.1:${port}`)).status).toBe(200);
  });
});
