import { controlsDecider } from '../controls/controls';
import { deciderSpec } from '../testing/decider-spec';
import { at, btcDefinition, iso } from '../testing/fixtures';
import { InstrumentEvent, instrumentDecider } from './instrument';

const instruments = deciderSpec(instrumentDecider);
const controls = deciderSpec(controlsDecider);
const defined: InstrumentEvent = { type: 'InstrumentDefined', data: { ...btcDefinition, definedAt: iso() } };

describe('instrument reference data', () => {
  it('defines an instrument; an identical re-definition (seeding again) is a no-op', () => {
    const state = instruments
      .given()
      .when({ type: 'DefineInstrument', data: btcDefinition, metadata: at() })
      .then(defined);
    expect(state.instrument?.tickSize.toString()).toBe('0.01');
    instruments
      .given(defined)
      .when({ type: 'DefineInstrument', data: { ...btcDefinition, tickSize: '0.010' }, metadata: at() })
      .thenNothing();
  });

  it('refuses a malformed definition, naming each problem', () => {
    const [r] = instruments
      .given()
      .when({
        type: 'DefineInstrument',
        data: {
          ...btcDefinition,
          instrumentId: 'BTC-USDT',
          tickSize: '0',
          minQuantity: '5',
          maxQuantity: 'x',
        },
        metadata: at(),
      })
      .thenRejects('INVALID_INSTRUMENT');
    expect(r.message).toMatch(/instrumentId.*tickSize.*maxQuantity/);
  });

  it('halts and resumes an instrument; repeats are no-ops; unknown instruments are refused', () => {
    const halted: InstrumentEvent = {
      type: 'InstrumentHalted',
      data: {
        instrumentId: 'BTCUSDT',
        reason: 'news',
        haltedAt: iso(),
        state: 'HALTED',
        cancelWorking: true,
      },
    };
    instruments
      .given(defined)
      .when({ type: 'HaltInstrument', data: { instrumentId: 'BTCUSDT', reason: 'news' }, metadata: at() })
      .then(halted);
    instruments
      .given(defined, halted)
      .when({ type: 'HaltInstrument', data: { instrumentId: 'BTCUSDT', reason: 'x' }, metadata: at() })
      .thenNothing();
    const state = instruments
      .given(defined, halted)
      .when({ type: 'ResumeInstrument', data: { instrumentId: 'BTCUSDT' }, metadata: at() })
      .then({ type: 'InstrumentResumed', data: { instrumentId: 'BTCUSDT', resumedAt: iso() } });
    expect(state.halt).toBeNull();
    instruments
      .given()
      .when({ type: 'HaltInstrument', data: { instrumentId: 'X', reason: 'x' }, metadata: at() })
      .thenRejects('UNKNOWN_INSTRUMENT');
    instruments
      .given()
      .when({ type: 'ResumeInstrument', data: { instrumentId: 'X' }, metadata: at() })
      .thenRejects('UNKNOWN_INSTRUMENT');
    instruments
      .given(defined)
      .when({ type: 'ResumeInstrument', data: { instrumentId: 'BTCUSDT' }, metadata: at() })
      .thenNothing();
  });
});

describe('global kill switch', () => {
  it('halts and resumes all trading; repeats are no-ops', () => {
    const state = controls
      .given()
      .when({ type: 'HaltGlobalTrading', data: { reason: 'market-wide outage' }, metadata: at() })
      .then({
        type: 'GlobalTradingHalted',
        data: { reason: 'market-wide outage', haltedAt: iso(), state: 'HALTED', cancelWorking: true },
      });
    expect(state.halt?.reason).toBe('market-wide outage');
    const halted = { type: 'GlobalTradingHalted' as const, data: { reason: 'x', haltedAt: iso() } };
    controls
      .given(halted)
      .when({ type: 'HaltGlobalTrading', data: { reason: 'y' }, metadata: at() })
      .thenNothing();
    controls
      .given(halted)
      .when({ type: 'ResumeGlobalTrading', data: {}, metadata: at() })
      .then({ type: 'GlobalTradingResumed', data: { resumedAt: iso() } });
    controls.given().when({ type: 'ResumeGlobalTrading', data: {}, metadata: at() }).thenNothing();
  });
});
