import { ChildSlice, Decimal, Order, SliceReplaceTarget, WORKING_CHILD_STATUSES } from '@oms/domain';

export type ReplacePlan =
  | { slices: SliceReplaceTarget[]; rationale: string }
  | { refused: string }
  /** The slices already work at the new terms (only quantity nobody was working changed). */
  | { nothingToSend: true };

const d = (v: string) => Decimal.parse(v);
const leavesOf = (c: ChildSlice) => d(c.quantity).minus(d(c.cumQty));
const samePrice = (a: string | null, b: Decimal | null) =>
  a === null || b === null ? a === null && b === null : d(a).eq(b);

/**
 * How a parent's pending replace reaches its working slices. The new limit price goes to every one;
 * the new open quantity (new quantity less what has filled) is made the slices' total: more goes to
 * the slice with most left to work, less comes off the last slices first. A slice is never replaced
 * below one lot (down to nothing would be a cancel): a replace that needs that is refused, with why.
 */
export function planReplace(order: Order, lotOf: (venueId: string) => Decimal): ReplacePlan {
  const target = order.pendingReplace;
  if (!target) return { refused: 'no replace is pending' };
  const working = Object.values(order.children)
    .filter((c) => WORKING_CHILD_STATUSES.includes(c.status))
    .sort((a, b) => (a.childId < b.childId ? -1 : 1));
  if (working.length === 0) return { refused: 'no slice of the order is working at a venue' };

  const quantities = new Map(working.map((c) => [c.childId, d(c.quantity)]));
  const workingLeaves = working.reduce((sum, c) => sum.plus(leavesOf(c)), Decimal.ZERO);
  const newLeaves = target.quantity.minus(order.cumQty);
  let change = newLeaves.minus(workingLeaves);
  let how: string;
  if (change.isPositive()) {
    const widest = working.reduce((best, c) => (leavesOf(c).gt(leavesOf(best)) ? c : best));
    quantities.set(widest.childId, d(widest.quantity).plus(change));
    how = `+${change} on ${widest.childId} at ${widest.venueId} (most left to work)`;
  } else if (change.isNegative()) {
    const cuts: string[] = [];
    for (const c of [...working].reverse()) {
      if (change.isZero()) break;
      // Each slice keeps at least one lot: replacing a slice down to nothing would be a cancel.
      const room = leavesOf(c).minus(lotOf(c.venueId));
      if (!room.isPositive()) continue;
      const cut = Decimal.min(change.negated(), room);
      quantities.set(c.childId, d(c.quantity).minus(cut));
      cuts.push(`-${cut} on ${c.childId} at ${c.venueId}`);
      change = change.plus(cut);
    }
    if (!change.isZero()) {
      return {
        refused: `the working slices cannot give up ${workingLeaves.minus(newLeaves)} and each keep a lot; cancel the order, or reduce it less`,
      };
    }
    how = cuts.join(', ');
  } else {
    how = 'quantity working unchanged';
  }
  // An order without a limit of its own (a protected MARKET, a native STOP) keeps each slice's: the
  // protection price it went out at.
  const limitOf = (c: ChildSlice) =>
    target.limitPrice === null ? c.limitPrice : target.limitPrice.toString();
  const slices = working
    .filter(
      (c) =>
        !quantities.get(c.childId)?.eq(d(c.quantity)) ||
        (target.limitPrice !== null && !samePrice(c.limitPrice, target.limitPrice)),
    )
    .map((c) => ({
      childId: c.childId,
      quantity: (quantities.get(c.childId) as Decimal).toString(),
      limitPrice: limitOf(c),
    }));
  if (slices.length === 0) return { nothingToSend: true };
  const price = target.limitPrice === null ? '' : `; limit ${target.limitPrice} on ${slices.length} slice(s)`;
  return {
    slices,
    rationale: `open quantity ${workingLeaves} → ${newLeaves}: ${how}${price}`,
  };
}
