import { createTestDatabase, TestDatabase } from '@oms/event-store/testing/test-database';
import { describeWithQuickFix } from '../../../test/with-quickfix';
import { RunningAcceptor, startAcceptor, tagOf } from '@oms/venues/fix/testing/quickfix';
import { ChildProcess, fork } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { waitFor } from '../../../test/wait-for';

jest.setTimeout(90_000);

/**
 * Crashes of the OMS around a FIX venue (QuickFIX's executor), each a real `kill -9` of a real OMS
 * process at a chosen point (test/fixtures/oms-with-fix-fault.ts), then a restart on the same data.
 */

interface Oms {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

const FIXTURE = join(__dirname, 'fixtures/oms-with-fix-fault.ts');

function start(env: Record<string, string>): Promise<Oms> {
  const child = fork(FIXTURE, [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise<Oms>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url, exited });
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`the OMS exited with ${code} before serving: ${output}`)));
  });
}

async function stop(oms: Oms | null): Promise<void> {
  if (!oms || oms.child.exitCode !== null || oms.child.signalCode !== null) return;
  oms.child.kill('SIGTERM');
  await oms.exited;
}

describeWithQuickFix('OMS crashes around a FIX venue (kill -9, restart)', () => {
  let acceptor: RunningAcceptor;
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  const running: Oms[] = [];

  beforeEach(async () => {
    acceptor = await startAcceptor('executor', [
      { beginString: 'FIX.4.4', senderCompId: 'EXECUTOR', targetCompId: 'OMS' },
    ]);
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'oms-fix-crash-'));
    const venues = join(dataDir, 'venues.json');
    writeFileSync(
      venues,
      JSON.stringify([
        {
          id: 'EXEC',
          type: 'fix',
          port: acceptor.port,
          targetCompId: 'EXECUTOR',
          supports: { orderTypes: ['LIMIT'] },
        },
      ]),
    );
    env = {
      DATABASE_URL: database.connectionString,
      OMS_DATA_DIR: dataDir,
      OMS_VENUES: venues,
      OMS_LOG_FORMAT: 'json',
      OMS_TEST_FIX_CRASH: '',
    };
  });

  afterEach(async () => {
    for (const oms of running.splice(0)) await stop(oms);
    await acceptor.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const gql = async <T>(oms: Oms, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const { trader } = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as {
      trader: string;
    };
    const response = await fetch(`${oms.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${trader}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data as T;
  };

  const place = (oms: Oms, clientOrderId: string) =>
    gql<{ placeOrder: { accepted: boolean; order: { id: string } } }>(
      oms,
      `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { accepted order { id } } }`,
      {
        input: {
          accountId: 'demo',
          clientOrderId,
          instrumentId: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          quantity: '0.01',
          limitPrice: '9675',
          venueId: 'EXEC',
        },
      },
    );

  interface OrderNode {
    clientOrderId: string;
    status: string;
    fills: { execId: string }[];
  }
  const orderOf = async (oms: Oms, clientOrderId: string) => {
    const data = await gql<{ orders: { edges: { node: OrderNode }[] } }>(
      oms,
      `{ orders(accountId: "demo", first: 10) { edges { node { clientOrderId status fills { execId } } } } }`,
    );
    return data.orders.edges.map((e) => e.node).find((o) => o.clientOrderId === clientOrderId) ?? null;
  };

  it('Killed after journaling a NewOrderSingle, before it went out: restarted, it answers the executor’s ResendRequest with the real order (PossDup) and the executor holds exactly one order', async () => {
    const first = await start({ ...env, OMS_TEST_FIX_CRASH: 'after-journal:D' });
    running.push(first);
    await place(first, 'crash-1').catch(() => undefined); // the answer may not make it out
    await first.exited;
    expect(acceptor.received().filter((m) => tagOf(m, 35) === 'D')).toHaveLength(0);

    const second = await start(env);
    running.push(second);
    const order = await waitFor(
      () => orderOf(second, 'crash-1'),
      (o) => o?.status === 'FILLED',
      'the order FILLED after the restart',
      30_000,
    );
    const orders = await acceptor.seen('received', 'D');
    expect(orders).toHaveLength(1);
    expect(tagOf(orders[0], 43)).toBe('Y');
    expect(tagOf(orders[0], 122)).not.toBeNull();
    await acceptor.seen('sent', '2');
    const [fill] = await acceptor.seen('sent', '8');
    expect(order?.fills).toEqual([{ execId: tagOf(fill, 17) }]);
  });

  it('Killed as a fill arrived, before it was applied: restarted, it asks for the missed reports (ResendRequest) and applies the fill once', async () => {
    const first = await start({ ...env, OMS_TEST_FIX_CRASH: 'on-receive:8' });
    running.push(first);
    await place(first, 'crash-2').catch(() => undefined);
    await first.exited;
    expect(await acceptor.seen('sent', '8')).toHaveLength(1);

    const second = await start(env);
    running.push(second);
    const order = await waitFor(
      () => orderOf(second, 'crash-2'),
      (o) => o?.status === 'FILLED',
      'the order FILLED after the restart',
      30_000,
    );
    await acceptor.seen('received', '2');
    expect(await acceptor.seen('received', 'D')).toHaveLength(1);
    expect(order?.fills).toHaveLength(1);
  });
});
