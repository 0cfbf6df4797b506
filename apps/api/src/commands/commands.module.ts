import { CommandSide } from '@oms/application';
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CancelOrderHandler } from './cancel-order.handler';
import { COMMAND_SIDE } from './command-side.token';
import { ACCESS_HANDLERS } from './access.handlers';
import { PlaceOrderHandler } from './place-order.handler';
import {
  CancelOrderListHandler,
  OrderListEffects,
  PlaceOrderListHandler,
  ReplaceOrderListHandler,
} from './order-list.handlers';
import { ReplaceOrderHandler } from './replace-order.handler';
import {
  CancelAllOrdersHandler,
  DefineInstrumentHandler,
  HaltTradingHandler,
  OpenAccountHandler,
  ResumeTradingHandler,
  SetRiskLimitsHandler,
} from './trading-controls.handlers';

export const COMMAND_HANDLERS = [
  PlaceOrderHandler,
  CancelOrderHandler,
  ReplaceOrderHandler,
  SetRiskLimitsHandler,
  HaltTradingHandler,
  ResumeTradingHandler,
  DefineInstrumentHandler,
  CancelAllOrdersHandler,
  OpenAccountHandler,
  PlaceOrderListHandler,
  CancelOrderListHandler,
  ReplaceOrderListHandler,
  ...ACCESS_HANDLERS,
];

/** The CommandBus and its handlers over a process's command side. */
@Module({})
export class CommandsModule {
  static register(side: CommandSide): DynamicModule {
    return {
      module: CommandsModule,
      imports: [CqrsModule.forRoot()],
      providers: [{ provide: COMMAND_SIDE, useValue: side }, OrderListEffects, ...COMMAND_HANDLERS],
    };
  }
}
