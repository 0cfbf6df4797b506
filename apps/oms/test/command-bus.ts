import {
  CancelOrderCommand,
  CommandsModule,
  DefineInstrumentCommand,
  HaltScope,
  HaltTradingCommand,
  PlaceOrderCommand,
  ReplaceOrderCommand,
  ResumeTradingCommand,
  SetRiskLimitsCommand,
} from '@oms/api';
import {
  BTCUSDT,
  CommandContext,
  CommandSide,
  DEMO_ACCOUNT,
  DEMO_LIMITS,
  PlaceOrderOutcome,
  PlaceOrderRequest,
  ReferencePriceSource,
  createCommandSide,
} from '@oms/application';
import { fixedPrices } from '@oms/application/testing/fixed-prices';
import { AccountState, Decimal, InstrumentDefinition, Order, RiskLimitsData } from '@oms/domain';
import { EventStore } from '@oms/event-store';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { Clock, systemClock } from '@oms/platform';

/**
 * The command side as the API runs it — the CommandBus and its handlers over the application's
 * machinery — for tests that give the gateway, the projector or the ledger something to work on.
 * Every order goes through the same handlers as over GraphQL.
 */
export interface TestCommands {
  bus: CommandBus;
  side: CommandSide;
  placeOrder(request: PlaceOrderRequest, ctx: CommandContext): Promise<PlaceOrderOutcome>;
  cancelOrder(orderId: string, reason: string | null, ctx: CommandContext): Promise<Order>;
  replaceOrder(
    orderId: string,
    quantity: Decimal | null,
    limitPrice: Decimal | null,
    ctx: CommandContext,
  ): Promise<Order>;
  setRiskLimits(accountId: string, limits: RiskLimitsData, ctx: CommandContext): Promise<AccountState>;
  defineInstrument(definition: InstrumentDefinition, ctx: CommandContext): Promise<void>;
  haltTrading(scope: HaltScope, id: string | null, reason: string, ctx: CommandContext): Promise<void>;
  resumeTrading(scope: HaltScope, id: string | null, ctx: CommandContext): Promise<void>;
  /** The demo account and BTCUSDT, as `npm start` seeds them. */
  seedDemo(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCommands(
  store: EventStore,
  options: { prices?: ReferencePriceSource; clock?: Clock } = {},
): Promise<TestCommands> {
  const side = createCommandSide(store, options.prices ?? fixedPrices(), options.clock ?? systemClock);
  await side.reference.ready();
  const context: INestApplicationContext = await NestFactory.createApplicationContext(
    CommandsModule.register(side),
    { logger: false },
  );
  await context.init();
  const bus = context.get(CommandBus);
  const ctx = { actor: 'system:seed', correlationId: 'seed-demo' };
  return {
    bus,
    side,
    placeOrder: (request, c) => bus.execute(new PlaceOrderCommand(request, c)),
    cancelOrder: (orderId, reason, c) => bus.execute(new CancelOrderCommand(orderId, reason, c)),
    replaceOrder: (orderId, quantity, limitPrice, c) =>
      bus.execute(new ReplaceOrderCommand(orderId, quantity, limitPrice, c)),
    setRiskLimits: (accountId, limits, c) => bus.execute(new SetRiskLimitsCommand(accountId, limits, c)),
    defineInstrument: (definition, c) => bus.execute(new DefineInstrumentCommand(definition, c)),
    haltTrading: (scope, id, reason, c) => bus.execute(new HaltTradingCommand(scope, id, reason, c)),
    resumeTrading: (scope, id, c) => bus.execute(new ResumeTradingCommand(scope, id, c)),
    async seedDemo() {
      await bus.execute(new DefineInstrumentCommand(BTCUSDT, ctx));
      await bus.execute(new SetRiskLimitsCommand(DEMO_ACCOUNT, DEMO_LIMITS, ctx));
    },
    async stop() {
      await context.close();
      await side.reference.stop();
    },
  };
}
