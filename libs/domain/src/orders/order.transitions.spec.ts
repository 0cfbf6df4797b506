import { readFileSync } from 'fs';
import { join } from 'path';
import { ORDER_STATUSES } from './order';
import { ORDER_TRANSITIONS, transitionProblem, transitionTableMarkdown } from './order.transitions';

describe('the order state machine (one table)', () => {
  it('names only real statuses, and every status has a row', () => {
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
    for (const row of Object.values(ORDER_TRANSITIONS)) {
      for (const to of Object.values(row)) for (const s of to ?? []) expect(ORDER_STATUSES).toContain(s);
    }
  });

  it('terminal statuses never become working again', () => {
    const working = ['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'PENDING_REPLACE'];
    for (const status of ['CANCELED', 'REJECTED', 'EXPIRED'] as const) {
      for (const to of Object.values(ORDER_TRANSITIONS[status])) {
        expect((to ?? []).filter((s) => working.includes(s))).toEqual([]);
      }
    }
  });

  it('says why a transition is not in it', () => {
    expect(transitionProblem('CANCELED', 'OrderCancelRequested', 'PENDING_CANCEL')).toBe(
      'OrderCancelRequested cannot happen to a CANCELED order.',
    );
    expect(transitionProblem('NEW', 'OrderFilled', 'CANCELED')).toBe(
      'OrderFilled cannot take a NEW order to CANCELED (allowed: PARTIALLY_FILLED, FILLED).',
    );
    expect(transitionProblem(null, 'OrderFilled', 'FILLED')).toBe(
      'OrderFilled cannot happen to an order that does not exist.',
    );
    expect(transitionProblem('NEW', 'OrderFilled', 'PARTIALLY_FILLED')).toBeNull();
  });

  it('is the table the README shows', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    expect(readme).toContain(transitionTableMarkdown());
  });
});
