import { Order, RiskLimitsData } from '@oms/domain';
import { Decimal } from '@oms/domain';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OmsRuntime } from '../runtime/oms-runtime';
import { CommandContext, HaltScope, PlaceOrderOutcome, PlaceOrderRequest } from './order-commands';

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
  ) {}
}
export class SetRiskLimitsCommand {
  constructor(
    readonly accountId: string,
    readonly limits: RiskLimitsData,
    readonly ctx: CommandContext,
  ) {}
}
export class HaltTradingCommand {
  constructor(
    readonly scope: HaltScope,
    readonly id: string | null,
    readonly reason: string,
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

// Each handler is one line: the command side (OrderCommands) loads, decides, appends and retries.

@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand, PlaceOrderOutcome> {
  constructor(private readonly oms: OmsRuntime) {}
  execute(c: PlaceOrderCommand): Promise<PlaceOrderOutcome> {
    return this.oms.commands.placeOrder(c.request, c.ctx);
  }
}

@CommandHandler(CancelOrderCommand)
export class CancelOrderHandler implements ICommandHandler<CancelOrderCommand, Order> {
  constructor(private readonly oms: OmsRuntime) {}
  execute(c: CancelOrderCommand): Promise<Order> {
    return this.oms.commands.cancelOrder(c.orderId, c.reason, c.ctx);
  }
}

@CommandHandler(ReplaceOrderCommand)
export class ReplaceOrderHandler implements ICommandHandler<ReplaceOrderCommand, Order> {
  constructor(private readonly oms: OmsRuntime) {}
  execute(c: ReplaceOrderCommand): Promise<Order> {
    return this.oms.commands.replaceOrder(c.orderId, c.quantity, c.limitPrice, c.ctx);
  }
}

@CommandHandler(SetRiskLimitsCommand)
export class SetRiskLimitsHandler implements ICommandHandler<SetRiskLimitsCommand> {
  constructor(private readonly oms: OmsRuntime) {}
  execute(c: SetRiskLimitsCommand) {
    return this.oms.commands.setRiskLimits(c.accountId, c.limits, c.ctx);
  }
}

@CommandHandler(HaltTradingCommand)
export class HaltTradingHandler implements ICommandHandler<HaltTradingCommand, void> {
  constructor(private readonly oms: OmsRuntime) {}
  execute(c: HaltTradingCommand): Promise<void> {
    return this.oms.commands.haltTrading(c.scope, c.id, c.reason, c.ctx);
  }
}

@CommandHandler(ResumeTradingCommand)
export class ResumeTradingHandler implements ICommandHandler<ResumeTradingCommand, void> {
  constructor(private readonly oms: OmsRuntime) {}
  execute(c: ResumeTradingCommand): Promise<void> {
    return this.oms.commands.resumeTrading(c.scope, c.id, c.ctx);
  }
}

export const COMMAND_HANDLERS = [
  PlaceOrderHandler,
  CancelOrderHandler,
  ReplaceOrderHandler,
  SetRiskLimitsHandler,
  HaltTradingHandler,
  ResumeTradingHandler,
];
