import { Decimal, OrderTerms } from '@oms/domain';
import { Refusal } from '../refusal';
import { ListLegRequest, legTemplatesOf, withPricesOf } from './order-lists';

const leg = (over: Partial<ListLegRequest> = {}): ListLegRequest => ({
  key: 'A',
  role: 'MEMBER',
  instrumentId: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: Decimal.parse('1'),
  limitPrice: Decimal.parse('100'),
  venueId: null,
  ...over,
});

const refusal = (legs: ListLegRequest[]) => {
  try {
    legTemplatesOf('OCO', legs);
  } catch (error) {
    if (error instanceof Refusal) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('accepted');
};

describe('a list’s legs as it records them', () => {
  it('a leg carrying a field its type cannot use is refused with a code, as the same order placed alone is', () => {
    expect(refusal([leg({ triggerType: 'BID_ASK' })])).toBe(
      'FIELD_NOT_ALLOWED: Leg A: A LIMIT order takes no triggerType.',
    );
    expect(refusal([leg({ type: 'STOP', limitPrice: null })])).toBe(
      'STOP_PRICE_REQUIRED: Leg A: A STOP order needs a stopPrice.',
    );
  });

  it('each leg’s terms are those placing it would make: its defaults explicit, a bracket exit sized as its entry', () => {
    const [entry, stop] = legTemplatesOf('BRACKET', [
      leg({ key: 'in', role: 'ENTRY' }),
      leg({
        key: 'sl',
        role: 'STOP_LOSS',
        side: 'SELL',
        type: 'STOP',
        limitPrice: null,
        quantity: null,
        stopPrice: Decimal.parse('90'),
      }),
    ]);
    expect(entry.terms).toEqual({
      instrumentId: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '1',
      limitPrice: '100',
      venueId: null,
    });
    expect(stop.terms).toMatchObject({ type: 'STOP', quantity: '1', stopPrice: '90', triggerType: 'LAST' });
  });
  it('a leg placed again goes out at the prices its earlier order had last: a moved stop-loss stays moved', () => {
    const [stop] = legTemplatesOf('BRACKET', [
      leg({
        key: 'sl',
        role: 'STOP_LOSS',
        side: 'SELL',
        type: 'STOP',
        limitPrice: null,
        stopPrice: Decimal.parse('90'),
      }),
    ]);
    const earlier = { ...stop.terms, stopPrice: '95', quantity: '0.5' } as OrderTerms;
    expect(withPricesOf(stop, earlier).terms).toMatchObject({ stopPrice: '95', quantity: '1' });
    expect(withPricesOf(stop, null)).toBe(stop);
  });
  it('a trailing stop-limit leg placed again takes no limit price from its earlier order (it had one only once released)', () => {
    const [sl] = legTemplatesOf('BRACKET', [
      leg({
        key: 'sl',
        role: 'STOP_LOSS',
        side: 'SELL',
        type: 'TRAILING_STOP_LIMIT',
        limitPrice: null,
        trailingOffset: Decimal.parse('5'),
        limitOffset: Decimal.parse('1'),
      }),
    ]);
    const earlier = { ...sl.terms, limitPrice: '94' } as OrderTerms;
    expect(withPricesOf(sl, earlier).terms.limitPrice).toBeNull();
  });
});
