import { at, iso, limits, preTrade } from '../testing/fixtures';
import { AccountEvent, AccountState } from './account';
import { AccountCommand, accountDecider } from './account.decide';
import {
  ACCOUNT_STATE_VERSION,
  AccountSnapshot,
  accountFromSnapshot,
  accountSnapshot,
} from './account.snapshot';

const accountId = 'acc';

/** An account after limits, reservations, fills and a halt: every part of the state holds something. */
function busyAccount(): AccountState {
  let state = accountDecider.initialState();
  const run = (command: AccountCommand) => {
    const decision = accountDecider.decide(command, state);
    if (!decision.accepted) throw new Error(JSON.stringify(decision.rejections));
    state = decision.events.reduce(accountDecider.evolve, state);
  };
  const event = (e: AccountEvent) => (state = accountDecider.evolve(state, e));
  event({ type: 'RiskLimitsSet', data: { accountId, limits, setAt: iso() } });
  run({
    type: 'ReserveExposure',
    data: { accountId, request: preTrade({ quantity: '1', limitPrice: '9680.5' }) },
    metadata: at(1),
  });
  run({
    type: 'ReserveExposure',
    data: {
      accountId,
      request: preTrade({
        orderId: 'o2',
        clientOrderId: 'c2',
        side: 'SELL',
        quantity: '0.3',
        limitPrice: '9690.25',
      }),
    },
    metadata: at(2),
  });
  run({
    type: 'BookFill',
    data: {
      accountId,
      orderId: 'o1',
      execId: 'x1',
      instrumentId: 'BTCUSDT',
      side: 'BUY',
      quantity: '0.4',
      price: '9680.1',
      fee: '0.0123',
      feeCurrency: 'BNB',
      executedAt: iso(3),
      sourceSequence: '00000000000000000001/00000000000000000001',
    },
    metadata: at(3),
  });
  run({ type: 'HaltTrading', data: { accountId, reason: 'desk check', state: 'REDUCING' }, metadata: at(4) });
  return state;
}

describe('account snapshots', () => {
  it('hold the whole state exactly, through JSON, and decide as the state they were taken of', () => {
    const state = busyAccount();
    const snapshot = JSON.parse(JSON.stringify(accountSnapshot(state))) as AccountSnapshot;
    const restored = accountFromSnapshot(snapshot);

    expect(restored).not.toBeNull();
    expect(accountSnapshot(restored!)).toEqual(accountSnapshot(state));
    expect(snapshot.positions.BTCUSDT).toMatchObject({
      quantity: '0.4',
      costBasis: '3872.04',
      otherFees: { BNB: '0.0123' },
    });
    // The next decisions are the same whichever state they are made on.
    const next: AccountCommand = {
      type: 'ReserveExposure',
      data: {
        accountId,
        request: preTrade({
          orderId: 'o3',
          clientOrderId: 'c3',
          side: 'SELL',
          quantity: '0.1',
          limitPrice: '9680',
        }),
      },
      metadata: at(5),
    };
    expect(accountDecider.decide(next, restored!)).toEqual(accountDecider.decide(next, state));
  });

  it('of another version are not used: the account is rebuilt from its events', () => {
    const snapshot = accountSnapshot(busyAccount());
    expect(accountFromSnapshot({ ...snapshot, version: ACCOUNT_STATE_VERSION + 1 })).toBeNull();
  });
});
