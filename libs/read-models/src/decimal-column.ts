import { Decimal } from '@oms/domain';
import { ValueTransformer } from 'typeorm';

/** NUMERIC columns come back from pg as strings; they become Decimals, never JS numbers. */
export const decimalTransformer: ValueTransformer = {
  to: (value: Decimal | null | undefined) =>
    value === null || value === undefined ? value : value.toString(),
  from: (value: string | null) => (value === null ? null : Decimal.parse(value)),
};

export const DECIMAL_COLUMN = { type: 'numeric' as const, transformer: decimalTransformer };
