import {
  ControlsState,
  InstrumentState,
  PreTradeRequest,
  controlsDecider,
  instrumentDecider,
} from '@oms/domain';
import { EventStore, Subscription } from '@oms/event-store';
import { AggregateStore, Loaded } from '../aggregates/aggregate-store';
import { CONTROLS_STREAM, instrumentStream } from '../streams';
import { ReferencePriceSource } from './reference-prices';

const INSTRUMENT_PREFIX = instrumentStream('');

/**
 * Instrument definitions and halts, and the global kill switch, held in memory for pre-trade risk so
 * an order does not read them from the log. They follow the log through a subscription to the
 * `instrument` and `controls` streams, which wakes on every append; a write made through this process
 * is read back before its command returns, so here a halt holds for the very next order. Another
 * process's halt arrives with its commit notification (milliseconds).
 */
export class ReferenceData {
  private readonly instruments = new Map<string, Loaded<InstrumentState>>();
  private controls: Loaded<ControlsState> = { state: controlsDecider.initialState(), revision: null };
  private subscription: Subscription | null = null;
  private started: Promise<void> | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly aggregates: AggregateStore,
  ) {}

  /** Caught up with the log (the first call starts following it). */
  ready(): Promise<void> {
    this.started ??= (async () => {
      this.subscription = this.store.subscribeToAll(
        { filter: { streamCategories: ['instrument', 'controls'] } },
        async (events) => {
          for (const stream of new Set(events.map((e) => e.streamName))) await this.refresh(stream);
        },
      );
      await Promise.race([this.subscription.caughtUp, this.subscription.done]);
    })();
    return this.started;
  }

  /** Every instrument defined so far, by id. */
  instrumentIds(): string[] {
    return [...this.instruments.keys()].sort();
  }

  instrument(instrumentId: string): InstrumentState {
    return this.instruments.get(instrumentId)?.state ?? instrumentDecider.initialState();
  }

  get globalControls(): ControlsState {
    return this.controls.state;
  }

  /** What pre-trade risk needs besides the order and the account: reference data, halts, a price. */
  async preTradeInputs(
    instrumentId: string,
    prices: ReferencePriceSource,
    now: Date,
  ): Promise<Omit<PreTradeRequest, 'order'>> {
    await this.ready();
    const instrument = this.instrument(instrumentId);
    return {
      instrument: instrument.instrument,
      instrumentHalt: instrument.halt,
      globalHalt: this.controls.state.halt,
      referencePrice: prices.referencePrice(instrumentId, now),
    };
  }

  /** Folds in what was appended to one of these streams since the revision held. */
  async refresh(stream: string): Promise<void> {
    if (stream === CONTROLS_STREAM) {
      const loaded = await this.aggregates.load(controlsDecider, stream, this.controls);
      if (isNewer(loaded, this.controls)) this.controls = loaded;
    } else if (stream.startsWith(INSTRUMENT_PREFIX)) {
      const instrumentId = stream.slice(INSTRUMENT_PREFIX.length);
      const held = this.instruments.get(instrumentId);
      const loaded = await this.aggregates.load(instrumentDecider, stream, held);
      // Two refreshes of one stream may overlap; the one that read further wins.
      const current = this.instruments.get(instrumentId);
      if (!current || isNewer(loaded, current)) this.instruments.set(instrumentId, loaded);
    }
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}

function isNewer<S>(candidate: Loaded<S>, held: Loaded<S>): boolean {
  return (candidate.revision ?? -1n) > (held.revision ?? -1n);
}
