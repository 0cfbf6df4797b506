import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { buildVenues, parseVenueConfig } from '@oms/gateway';
import { silentLogger } from '@oms/platform';
import {
  AcceptorSession,
  QuickFixApp,
  RunningAcceptor,
  startAcceptor,
} from '@oms/venues/fix/testing/quickfix';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { waitFor } from '../../../test/wait-for';
import { RunningOms, startOms } from './harness';

export interface OmsOnQuickFix {
  oms: RunningOms;
  acceptor: RunningAcceptor;
  stop(): Promise<void>;
}

/**
 * A QuickFIX acceptor on a free port and the whole OMS (every role, fixed reference prices) with the
 * venues file entries given, each FIX entry pointed at the acceptor; resolves once every session is
 * logged on (the API serves while the gateway starts).
 */
export async function startOmsOnQuickFix(
  app: QuickFixApp,
  sessions: AcceptorSession[],
  venues: Record<string, unknown>[],
): Promise<OmsOnQuickFix> {
  const acceptor = await startAcceptor(app, sessions);
  const dataDir = mkdtempSync(join(tmpdir(), `oms-on-${app}-`));
  const definitions = parseVenueConfig(
    venues.map((v) => ({ ...v, type: 'fix', port: acceptor.port })),
    'test',
  );
  const oms = await startOms(undefined, ['api', 'projector', 'ledger', 'gateway'], {
    referencePrices: fixedPrices(),
    venues: (clock) =>
      buildVenues(definitions, { clock, dataDir, marketDataFile: null, logger: silentLogger }),
  });
  await waitFor(
    async () =>
      (await oms.gql<{ venues: { connected: boolean }[] }>(`{ venues { connected } }`)).data?.venues ?? [],
    (connected) => connected.length === venues.length && connected.every((v) => v.connected),
    'the FIX sessions logged on',
  );
  return {
    oms,
    acceptor,
    async stop() {
      await oms.stop();
      await oms.database.drop();
      await acceptor.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
