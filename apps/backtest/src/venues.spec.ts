import { Decimal } from '@oms/domain';
import { VirtualClock } from '@oms/platform';
import { FaultWindow, parseBacktestConfig } from './config';
import { FaultSchedule, venueOf } from './venues';

describe('scheduled venue faults', () => {
  const config = parseBacktestConfig({}, 'test', 1);
  const instruments = [
    {
      instrumentId: 'BTCUSDT',
      symbol: 'BTCUSDT',
      tickSize: Decimal.parse('0.01'),
      lotSize: Decimal.parse('0.001'),
      baseCurrency: 'BTC',
      quoteCurrency: 'USDT',
    },
  ];

  async function lineChanges(windows: FaultWindow[], endAllAt?: number): Promise<string[]> {
    const clock = new VirtualClock(0);
    const { venue, model } = venueOf(config.venues[0], 0, config, instruments, clock);
    await venue.connect();
    const changes: string[] = [];
    venue.onConnection((up) => changes.push(`${clock.now()} ${up ? 'up' : 'down'}`));
    const schedule = new FaultSchedule(clock, venue, model);
    for (const w of windows) schedule.add(w);
    if (endAllAt !== undefined) {
      clock.advance(endAllAt);
      schedule.endAll();
    }
    clock.advance(100 - (endAllAt ?? 0));
    return changes;
  }

  it('windows that meet at one instant keep the line down through it, in whatever order they are listed', async () => {
    const disconnect: FaultWindow = { type: 'disconnect', from: 10, to: 20 };
    const outage: FaultWindow = { type: 'outage', from: 20, to: 30 };
    expect(await lineChanges([disconnect, outage])).toEqual(['10 down', '30 up']);
    expect(await lineChanges([outage, disconnect])).toEqual(['10 down', '30 up']);
  });

  it('overlapping windows: the line is up again only when the last has ended', async () => {
    expect(
      await lineChanges([
        { type: 'outage', from: 10, to: 50 },
        { type: 'disconnect', from: 20, to: 30 },
      ]),
    ).toEqual(['10 down', '50 up']);
  });

  it('the data ends inside a window: it ends then, and one not yet begun never does', async () => {
    expect(
      await lineChanges(
        [
          { type: 'outage', from: 10, to: 90 },
          { type: 'outage', from: 60, to: 70 },
        ],
        40,
      ),
    ).toEqual(['10 down', '40 up']);
  });
});
