import fc from 'fast-check';
import { Decimal, dec } from '../decimal/decimal';
import { Side } from '../shared/trading';
import { Position, applyFill, flatPosition, summarizePnl, unrealizedPnl } from './position';

const buy = (quantity: string, price: string, fee = '0') => ({
  side: 'BUY' as Side,
  quantity: dec(quantity),
  price: dec(price),
  fee: dec(fee),
});
const sell = (quantity: string, price: string, fee = '0') => ({
  ...buy(quantity, price, fee),
  side: 'SELL' as Side,
});

function run(...fills: ReturnType<typeof buy>[]): Position {
  return fills.reduce(applyFill, flatPosition('BTCUSDT'));
}

const show = (p: Position) => ({
  quantity: p.quantity.toString(),
  averagePrice: p.averagePrice.toString(),
  realizedPnl: p.realizedPnl.toString(),
  fees: p.fees.toString(),
});

describe('position (average cost)', () => {
  it('averages the price while adding', () => {
    expect(show(run(buy('1', '100'), buy('3', '104', '0.5')))).toEqual({
      quantity: '4',
      averagePrice: '103',
      realizedPnl: '0',
      fees: '0.5',
    });
  });

  it('realises P&L on a reduction and keeps the average', () => {
    expect(show(run(buy('4', '103'), sell('1', '110')))).toEqual({
      quantity: '3',
      averagePrice: '103',
      realizedPnl: '7',
      fees: '0',
    });
  });

  it('realises on a short being bought back', () => {
    expect(show(run(sell('2', '100'), buy('2', '90')))).toEqual({
      quantity: '0',
      averagePrice: '0',
      realizedPnl: '20',
      fees: '0',
    });
  });

  it('flips through zero: closes everything, opens the rest at the fill price', () => {
    expect(show(run(buy('2', '100'), sell('5', '95')))).toEqual({
      quantity: '-3',
      averagePrice: '95',
      realizedPnl: '-10',
      fees: '0',
    });
  });

  it('marks unrealised P&L for longs and shorts', () => {
    expect(unrealizedPnl(run(buy('2', '100')), dec('103')).toString()).toBe('6');
    expect(unrealizedPnl(run(sell('2', '100')), dec('103')).toString()).toBe('-6');
    expect(unrealizedPnl(flatPosition('X'), dec('103')).toString()).toBe('0');
  });

  it('summarises P&L net of fees and names positions it could not mark', () => {
    const a = { ...run(buy('1', '100', '1'), sell('1', '110', '1')), instrumentId: 'A' };
    const b = { ...run(buy('2', '50', '0.5')), instrumentId: 'B' };
    const c = { ...run(buy('1', '10')), instrumentId: 'C' };
    const s = summarizePnl([a, b, c], new Map([['B', dec('51')]]));
    expect([s.realized, s.unrealized, s.fees, s.net].map(String)).toEqual(['10', '2', '2.5', '9.5']);
    expect(s.unmarked).toEqual(['C']);
  });
});

// ---- brute force, exact rationals from the fill list alone ----
type Rational = { n: bigint; d: bigint };
const SCALE = 10n ** 8n;
const toRational = (x: Decimal): Rational => ({ n: BigInt(x.times(dec(SCALE)).toString()), d: SCALE });
const norm = (r: Rational): Rational => (r.d < 0n ? { n: -r.n, d: -r.d } : r);
const mul = (a: Rational, b: Rational): Rational => norm({ n: a.n * b.n, d: a.d * b.d });
const add = (a: Rational, b: Rational): Rational => norm({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const neg = (a: Rational): Rational => ({ n: -a.n, d: a.d });
const ZERO: Rational = { n: 0n, d: 1n };
const close = (actual: Decimal, expected: Rational) => {
  // |actual − expected| ≤ 1e-7: averages are rounded to 16 places, and this check reads 8 of them.
  const diff = add(toRational(actual.round(8)), neg(expected));
  return (diff.n < 0n ? -diff.n : diff.n) * 10n ** 7n <= diff.d;
};

describe('position maths against a brute-force recomputation (property)', () => {
  const fill = fc
    .tuple(
      fc.constantFrom<Side>('BUY', 'SELL'),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 9000_00, max: 10000_00 }),
      fc.integer({ min: 0, max: 100 }),
    )
    .map(([side, q, p, f]) => ({
      side,
      quantity: dec(q).dividedBy(dec(1000), 3),
      price: dec(p).dividedBy(dec(100), 2),
      fee: dec(f).dividedBy(dec(100), 2),
    }));

  it('quantity, fees, average price and realised P&L agree', () => {
    fc.assert(
      fc.property(
        fc.array(fill, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 9000_00, max: 10000_00 }),
        (fills, markCents) => {
          const position = fills.reduce(applyFill, flatPosition('BTCUSDT'));
          // Quantity and fees are plain sums.
          let qty = ZERO;
          let cash = ZERO;
          let fees = ZERO;
          for (const f of fills) {
            const signed = f.side === 'BUY' ? toRational(f.quantity) : neg(toRational(f.quantity));
            qty = add(qty, signed);
            cash = add(cash, neg(mul(signed, toRational(f.price))));
            fees = add(fees, toRational(f.fee));
          }
          expect(close(position.quantity, qty)).toBe(true);
          expect(close(position.fees, fees)).toBe(true);
          // Average cost replayed in exact rationals over a signed cost basis (no rounding anywhere).
          let q: Rational = ZERO;
          let cost: Rational = ZERO;
          let realized: Rational = ZERO;
          for (const f of fills) {
            const signed = f.side === 'BUY' ? toRational(f.quantity) : neg(toRational(f.quantity));
            const px = toRational(f.price);
            if (q.n === 0n || q.n > 0n === signed.n > 0n) {
              q = add(q, signed);
              cost = add(cost, mul(signed, px));
              continue;
            }
            const held = q.n < 0n ? neg(q) : q;
            const size = toRational(f.quantity);
            const closing = size.n * held.d <= held.n * size.d ? size : held;
            const avg: Rational = norm({ n: cost.n * q.d, d: cost.d * q.n });
            const direction = q.n > 0n ? 1n : -1n;
            realized = add(realized, mul({ n: direction * closing.n, d: closing.d }, add(px, neg(avg))));
            const remainder = add(size, neg(closing));
            if (remainder.n === 0n) {
              q = add(q, signed);
              cost = add(cost, mul({ n: -direction * closing.n, d: closing.d }, avg));
            } else {
              q = f.side === 'BUY' ? remainder : neg(remainder);
              cost = mul(q, px);
            }
          }
          expect(close(position.realizedPnl, realized)).toBe(true);
          if (q.n === 0n) expect(position.averagePrice.isZero()).toBe(true);
          else expect(close(position.averagePrice, norm({ n: cost.n * q.d, d: cost.d * q.n }))).toBe(true);
          // Total P&L identity: realised + unrealised = cash flow + position value at the mark.
          const mark = dec(markCents).dividedBy(dec(100), 2);
          const total = position.realizedPnl.plus(unrealizedPnl(position, mark));
          expect(close(total, add(cash, mul(qty, toRational(mark))))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
