import { CommandContext, PlaceOrderListRequest, PlaceOrderRequest } from '@oms/application';
import { AccessChange, Decimal, HaltLevel, InstrumentDefinition, RiskLimitsData, Side } from '@oms/domain';

/** The commands the API dispatches on the CommandBus: one handler each, one use case each. */

export class PlaceOrderCommand {
  constructor(
    readonly request: PlaceOrderRequest,
    readonly ctx: CommandContext,
  ) {}
}

export class CancelOrderCommand {
  constructor(
    readonly orderId: string,
    readonly reason: string | null,
    readonly ctx: CommandContext,
  ) {}
}

export class ReplaceOrderCommand {
  constructor(
    readonly orderId: string,
    readonly quantity: Decimal | null,
    readonly limitPrice: Decimal | null,
    readonly ctx: CommandContext,
    /** A held order's new trigger price (moving a stop). */
    readonly stopPrice: Decimal | null = null,
  ) {}
}

export class SetRiskLimitsCommand {
  constructor(
    readonly accountId: string,
    readonly limits: RiskLimitsData,
    readonly ctx: CommandContext,
    /** A risk officer changes the limits of an account an admin opened; the seed may open it. */
    readonly mustExist = false,
  ) {}
}

/** A new account with its first risk limits (ACCOUNT_EXISTS when it is there already). */
export class OpenAccountCommand {
  constructor(
    readonly accountId: string,
    readonly limits: RiskLimitsData,
    readonly ctx: CommandContext,
  ) {}
}

export const HALT_SCOPES = ['GLOBAL', 'ACCOUNT', 'INSTRUMENT'] as const;
export type HaltScope = (typeof HALT_SCOPES)[number];

export class HaltTradingCommand {
  constructor(
    readonly scope: HaltScope,
    readonly id: string | null,
    readonly reason: string,
    readonly ctx: CommandContext,
    /** REDUCING: only orders that shrink a position; HALTED: cancels only. */
    readonly state: HaltLevel = 'HALTED',
    /** Cancel the working orders the halt forbids (the halt enforcer does, with the halt as cause). */
    readonly cancelWorking = true,
  ) {}
}

/** Cancel every working order of an account, optionally of one instrument and one side. */
export class CancelAllOrdersCommand {
  constructor(
    readonly accountId: string,
    readonly instrumentId: string | null,
    readonly side: Side | null,
    readonly ctx: CommandContext,
  ) {}
}

export class ResumeTradingCommand {
  constructor(
    readonly scope: HaltScope,
    readonly id: string | null,
    readonly ctx: CommandContext,
  ) {}
}

export class DefineInstrumentCommand {
  constructor(
    readonly definition: InstrumentDefinition,
    readonly ctx: CommandContext,
  ) {}
}

/** A change of principals or grants (not keys): decided on the access stream. */
export class ChangeAccessCommand {
  constructor(
    readonly change: Exclude<AccessChange, { type: 'IssueApiKey' }>,
    readonly ctx: CommandContext,
  ) {}
}

/** A new API key for a principal; its secret is in the answer and nowhere else. */
export class IssueApiKeyCommand {
  constructor(
    readonly principalId: string,
    readonly label: string,
    readonly ctx: CommandContext,
  ) {}
}

export class PlaceOrderListCommand {
  constructor(
    readonly request: PlaceOrderListRequest,
    readonly ctx: CommandContext,
  ) {}
}

export class ReplaceOrderListCommand {
  constructor(
    readonly listId: string,
    readonly quantity: Decimal,
    readonly ctx: CommandContext,
  ) {}
}

export class CancelOrderListCommand {
  constructor(
    readonly listId: string,
    readonly reason: string,
    readonly ctx: CommandContext,
  ) {}
}
