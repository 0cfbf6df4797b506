import 'reflect-metadata';
import { Decimal } from '@oms/domain';

// Two Decimals are equal when their values are (1.50 equals 1.5), whatever their internal scale.
// @types/jest 29 lags jest 29.4+, which has addEqualityTesters.
(expect as unknown as { addEqualityTesters(testers: unknown[]): void }).addEqualityTesters([
  function decimalEquality(a: unknown, b: unknown): boolean | undefined {
    if (a instanceof Decimal && b instanceof Decimal) return a.eq(b);
    if (a instanceof Decimal || b instanceof Decimal) return false;
    return undefined;
  },
]);
