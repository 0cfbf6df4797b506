import { BacktestConfig, FaultWindow, VenueModel } from './config';
import { Decimal, TIMES_IN_FORCE, VENUE_ORDER_TYPES } from '@oms/domain';
import { VirtualClock } from '@oms/platform';
import { SimulatedVenue } from '@oms/venues';

/** A simulated venue as a backtest's venue model describes it (latency, queue, fees, liquidity). */
export function venueOf(
  model: VenueModel,
  index: number,
  config: BacktestConfig,
  instruments: BacktestConfig['instruments'],
  clock: VirtualClock,
): { venue: SimulatedVenue; model: VenueModel } {
  const latency =
    model.latency.model === 'recorded'
      ? { fixedMs: 0, jitterMs: 0, recorded: true }
      : model.latency.model === 'jitter'
        ? { fixedMs: model.latency.ms, jitterMs: model.latency.jitterMs }
        : { fixedMs: model.latency.ms, jitterMs: 0 };
  const venue = new SimulatedVenue({
    capabilities: {
      venueId: model.id,
      orderTypes: VENUE_ORDER_TYPES,
      timesInForce: TIMES_IN_FORCE,
      postOnly: true,
      iceberg: true,
      instruments: Object.fromEntries(
        instruments.map((i) => [
          i.instrumentId,
          { symbol: i.symbol, tickSize: i.tickSize, lotSize: i.lotSize },
        ]),
      ),
      rateLimit: model.rateLimit,
      fees: model.fees,
    },
    clock,
    // Each venue its own stream of chance, all from the one seed.
    seed: config.seed * 1_000 + index,
    latency,
    delayMarketData: true,
    queueModel: model.queue,
    faults: { rejectProbability: model.rejectProbability },
    liquidityScale: model.liquidityShare.eq(Decimal.ONE) ? undefined : model.liquidityShare,
  });
  return { venue, model };
}

/**
 * A venue's scheduled faults on the clock. Windows may overlap: at each start and end the venue's
 * state is worked out from every window open then (down while any outage or disconnect is open, its
 * market halted while any outage is; the largest latency spike; the highest drop-ack and reject
 * probabilities, never below the venue's own). `endAll` closes whatever is still open (the data ran
 * out), so the OMS can reconnect and reconcile before the report.
 */
export class FaultSchedule {
  private readonly windows: FaultWindow[] = [];
  private readonly timers: unknown[] = [];
  private ended = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly venue: SimulatedVenue,
    private readonly model: VenueModel,
  ) {}

  add(window: FaultWindow): void {
    this.windows.push(window);
    for (const edge of [window.from, window.to])
      this.timers.push(this.clock.setTimeout(() => this.apply(), Math.max(0, edge - this.clock.now())));
  }

  endAll(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.ended = true;
    this.apply();
  }

  /**
   * The venue as every window open now says, whatever order windows meeting at one instant were
   * listed in (one that ends as another starts never lets the line up in between).
   */
  private apply(): void {
    const now = this.clock.now();
    const open = this.ended ? [] : this.windows.filter((w) => w.from <= now && now < w.to);
    const down = open.some((w) => w.type === 'outage' || w.type === 'disconnect');
    this.venue.haltMarket(open.some((w) => w.type === 'outage'));
    this.venue.setExtraLatency(Math.max(0, ...open.map((w) => (w.type === 'latency-spike' ? w.extraMs : 0))));
    const highest = (type: 'drop-acks' | 'rejects', floor: number) =>
      Math.max(floor, ...open.map((w) => (w.type === type ? w.probability : 0)));
    this.venue.setFaults({
      rejectProbability: highest('rejects', this.model.rejectProbability),
      dropAckProbability: highest('drop-acks', 0),
    });
    if (down && this.venue.connected) void this.venue.disconnect();
    if (!down && !this.venue.connected) void this.venue.connect();
  }
}
