import { BacktestConfig, FaultWindow, VenueModel } from './config';
import { Decimal, ORDER_TYPES, TIMES_IN_FORCE } from '@oms/domain';
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
      orderTypes: ORDER_TYPES,
      timesInForce: TIMES_IN_FORCE,
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

/** A fault window on the clock: the venue changes at its start and goes back at its end. */
export function scheduleFault(
  clock: VirtualClock,
  venue: SimulatedVenue,
  model: VenueModel,
  w: FaultWindow,
): void {
  const at = (time: number, act: () => void) => clock.setTimeout(act, Math.max(0, time - clock.now()));
  const base = { rejectProbability: model.rejectProbability };
  switch (w.type) {
    case 'outage':
      at(w.from, () => {
        venue.haltMarket(true);
        void venue.disconnect();
      });
      at(w.to, () => {
        venue.haltMarket(false);
        void venue.connect();
      });
      break;
    case 'disconnect':
      at(w.from, () => void venue.disconnect());
      at(w.to, () => void venue.connect());
      break;
    case 'latency-spike':
      at(w.from, () => venue.setExtraLatency(w.extraMs));
      at(w.to, () => venue.setExtraLatency(0));
      break;
    case 'drop-acks':
      at(w.from, () => venue.setFaults({ ...base, dropAckProbability: w.probability }));
      at(w.to, () => venue.setFaults(base));
      break;
    case 'rejects':
      at(w.from, () => venue.setFaults({ ...base, rejectProbability: w.probability }));
      at(w.to, () => venue.setFaults(base));
      break;
  }
}
