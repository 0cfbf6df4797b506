import { Decimal } from '@oms/domain';
import { BacktestConfigError, currenciesOf, parseBacktestConfig, timeOf } from './config';
import { commonStep, instrumentIdOf } from './market-replay';

const d = (v: string) => Decimal.parse(v);

describe('backtest configuration', () => {
  it('every field has a default: two venues sharing the data, best-price routing, seed 1', () => {
    const config = parseBacktestConfig({}, 'defaults', 2);
    expect(config.seed).toBe(1);
    expect(config.routing).toBe('best-price');
    expect(config.venues.map((v) => [v.id, v.data, v.liquidityShare.toString(), v.latency.model])).toEqual([
      ['SIM-A', [0, 1], '1', 'fixed'],
      ['SIM-B', [0, 1], '0.5', 'jitter'],
    ]);
    expect(config.instruments).toEqual([]);
    expect(config.limits.maxPosition).toBe('1000');
  });

  it('venue models, faults and limits as written', () => {
    const config = parseBacktestConfig(
      {
        seed: 42,
        routing: 'X',
        venues: [
          {
            id: 'X',
            data: [1],
            liquidityShare: '0.25',
            latency: { model: 'recorded' },
            queue: 'probabilistic',
            fees: { maker: '-0.0001', taker: '0.0005' },
            faults: [{ type: 'latency-spike', from: '+10s', to: '+20s', extraMs: 250 }],
          },
        ],
        limits: { maxPosition: '3' },
      },
      'test',
      2,
    );
    expect(config.routing).toBe('X');
    expect(config.venues[0]).toMatchObject({
      id: 'X',
      data: [1],
      queue: 'probabilistic',
      latency: { model: 'recorded' },
    });
    expect(config.limits.maxPosition).toBe('3');
    expect(config.limits.priceCollarPercent).toBe('5');
  });

  it('a bad file gets every problem in sentences that name the field', () => {
    const bad = () =>
      parseBacktestConfig(
        {
          venues: [
            { id: 'A', latency: { model: 'telepathic' }, data: [3] },
            { id: 'A', faults: [{ type: 'latency-spike', from: 'yesterday', to: '+1s' }] },
          ],
          routing: 'nowhere',
          colour: 'blue',
        },
        'bt.yaml',
        1,
      );
    expect(bad).toThrow(BacktestConfigError);
    expect(bad).toThrow(/latency\.model must be one of fixed, jitter, recorded/);
    expect(bad).toThrow(/from must be ISO-8601 UTC/);
    expect(bad).toThrow(/venues\[1\]: id A is used twice/);
    expect(bad).toThrow(/data index 3, but only 1 --data file/);
    expect(bad).toThrow(/a latency-spike needs extraMs/);
    expect(bad).toThrow(/routing must be best-price or one of the venues/);
    expect(bad).toThrow(/colour/);
  });

  it('bounds every number and refuses settings that belong to another model', () => {
    const bad = () =>
      parseBacktestConfig(
        {
          instruments: [
            { instrumentId: 'X', tickSize: '0', lotSize: '0.001' },
            { instrumentId: 'X', tickSize: '0.01', lotSize: '0.001' },
          ],
          venues: [
            {
              id: 'A',
              liquidityShare: '0',
              fees: { maker: '-5', taker: '1000' },
              latency: { model: 'fixed', ms: 5, jitterMs: 3 },
              faults: [
                { type: 'outage', from: '+1s', to: '+99999999999999999999h', extraMs: 5 },
                {
                  type: 'rejects',
                  from: '2020-02-30T99:00:00Z',
                  to: '2020-02-30T00:00:00Z',
                  probability: 0.5,
                },
              ],
            },
          ],
        },
        'bt.yaml',
        1,
      );
    expect(bad).toThrow(/tickSize must be a decimal > 0/);
    expect(bad).toThrow(/instrumentId X is named twice/);
    expect(bad).toThrow(/liquidityShare must be a decimal above 0 and at most 100/);
    expect(bad).toThrow(/maker must be a fraction of notional from -0.01/);
    expect(bad).toThrow(/taker must be a fraction of notional/);
    expect(bad).toThrow(/latency.jitterMs is a setting of the jitter model/);
    expect(bad).toThrow(/extraMs is a setting of latency-spike faults/);
    expect(bad).toThrow(/faults\[0\].to \+99999999999999999999h is not a time within reach/);
    expect(bad).toThrow(/faults\[1\].from 2020-02-30T99:00:00Z is not a time within reach/);
    expect(bad).toThrow(/faults\[1\].to 2020-02-30T00:00:00Z is not a time within reach \(a real ISO-8601/);
  });

  it('times: offsets from the data start, or ISO-8601 UTC', () => {
    expect(timeOf('+90s', 1_000)).toBe(91_000);
    expect(timeOf('+1500ms', 0)).toBe(1_500);
    expect(timeOf('+2m', 0)).toBe(120_000);
    expect(timeOf('2020-02-22T00:01:00Z', 0)).toBe(Date.parse('2020-02-22T00:01:00Z'));
  });
});

describe('instruments inferred from the data', () => {
  it('tick and lot: the greatest common step of the prices and sizes seen', () => {
    expect(commonStep([d('9682'), d('9681.92'), d('9681.83')]).toString()).toBe('0.01');
    expect(commonStep([d('6421.5'), d('6422'), d('6423.5')]).toString()).toBe('0.5');
    expect(commonStep([d('0.84'), d('0.003'), d('0.67')]).toString()).toBe('0.001');
    expect(commonStep([d('0.84'), d('0.003'), d('1.2')]).toString()).toBe('0.003');
    expect(commonStep([d('18640'), d('1190'), d('20')]).toString()).toBe('10');
    expect(commonStep([]).toString()).toBe('1');
  });

  it('currencies and ids from the symbol', () => {
    expect(currenciesOf('BTCUSDT')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(currenciesOf('BTC-PERPETUAL')).toEqual({ base: 'BTC', quote: 'USD' });
    expect(currenciesOf('ETH/BTC')).toEqual({ base: 'ETH', quote: 'BTC' });
    expect(instrumentIdOf('BTC/USD 2020')).toBe('BTC_USD_2020');
  });
});
