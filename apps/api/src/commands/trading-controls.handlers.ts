import {
  CONTROLS_STREAM,
  CommandContext,
  CommandSide,
  Refusal,
  instrumentStream,
  accountStream,
  metadataOf,
  orderStream,
} from '@oms/application';
import {
  AccountCommand,
  AccountState,
  HaltTerms,
  RiskLimitsData,
  controlsDecider,
  accountDecider,
  instrumentDecider,
  orderDecider,
} from '@oms/domain';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { COMMAND_SIDE } from './command-side.token';
import {
  CancelAllOrdersCommand,
  DefineInstrumentCommand,
  HaltScope,
  HaltTradingCommand,
  OpenAccountCommand,
  ResumeTradingCommand,
  SetRiskLimitsCommand,
} from './commands';

const ACCOUNT_ID = /^[A-Za-z0-9_.:]{1,64}$/;

/** An account command on the hot account; a refusal becomes a Refusal. */
async function onAccount(
  side: CommandSide,
  accountId: string,
  ctx: CommandContext,
  command: AccountCommand,
  mustExist: boolean,
): Promise<AccountState> {
  const outcome = await side.accounts.decide(accountId, () => command, metadataOf(ctx), mustExist);
  if (outcome.rejections.length > 0) throw Refusal.of(outcome.rejections);
  return outcome.state;
}

/** Risk limits of an account (the account comes into being with its first limits). */
@CommandHandler(SetRiskLimitsCommand)
export class SetRiskLimitsHandler implements ICommandHandler<SetRiskLimitsCommand, AccountState> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ accountId, limits, ctx, mustExist }: SetRiskLimitsCommand): Promise<AccountState> {
    return setLimits(this.side, accountId, limits, ctx, mustExist);
  }
}

function setLimits(
  side: CommandSide,
  accountId: string,
  limits: RiskLimitsData,
  ctx: CommandContext,
  mustExist: boolean,
): Promise<AccountState> {
  if (!ACCOUNT_ID.test(accountId)) {
    throw new Refusal('INVALID_ACCOUNT_ID', 'accountId: 1–64 letters, digits, "_", "." or ":".');
  }
  const now = new Date(side.clock.now());
  return onAccount(
    side,
    accountId,
    ctx,
    { type: 'SetRiskLimits', data: { accountId, limits }, metadata: { now } },
    mustExist,
  );
}

/** An account comes into being with its first limits, opened by an admin. */
@CommandHandler(OpenAccountCommand)
export class OpenAccountHandler implements ICommandHandler<OpenAccountCommand, AccountState> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ accountId, limits, ctx }: OpenAccountCommand): Promise<AccountState> {
    if (ACCOUNT_ID.test(accountId)) {
      const { revision } = await this.side.aggregates.load(accountDecider, accountStream(accountId));
      if (revision !== null) throw new Refusal('ACCOUNT_EXISTS', `Account ${accountId} is open already.`);
    }
    return setLimits(this.side, accountId, limits, ctx, false);
  }
}

/**
 * The kill switch at one scope, halted with a reason or resumed: the global controls stream, the
 * account, or the instrument. Reference data in memory is refreshed before the command returns, so the
 * very next order sees it.
 */
async function switchTrading(
  side: CommandSide,
  scope: HaltScope,
  id: string | null,
  halt: ({ reason: string } & HaltTerms) | null,
  ctx: CommandContext,
): Promise<void> {
  const now = new Date(side.clock.now());
  const requireId = () => {
    if (!id) throw new Refusal('ID_REQUIRED', `A ${scope} halt needs the id of the ${scope.toLowerCase()}.`);
    return id;
  };
  if (scope === 'GLOBAL') {
    const outcome = await side.aggregates.execute(
      controlsDecider,
      CONTROLS_STREAM,
      halt === null
        ? { type: 'ResumeGlobalTrading', data: {}, metadata: { now } }
        : { type: 'HaltGlobalTrading', data: halt, metadata: { now } },
      metadataOf(ctx),
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    await side.reference.refresh(CONTROLS_STREAM);
  } else if (scope === 'ACCOUNT') {
    const accountId = requireId();
    await onAccount(
      side,
      accountId,
      ctx,
      halt === null
        ? { type: 'ResumeTrading', data: { accountId }, metadata: { now } }
        : { type: 'HaltTrading', data: { accountId, ...halt }, metadata: { now } },
      true,
    );
  } else {
    const instrumentId = requireId();
    const outcome = await side.aggregates.execute(
      instrumentDecider,
      instrumentStream(instrumentId),
      halt === null
        ? { type: 'ResumeInstrument', data: { instrumentId }, metadata: { now } }
        : { type: 'HaltInstrument', data: { instrumentId, ...halt }, metadata: { now } },
      metadataOf(ctx),
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    await side.reference.refresh(instrumentStream(instrumentId));
  }
}

@CommandHandler(HaltTradingCommand)
export class HaltTradingHandler implements ICommandHandler<HaltTradingCommand, void> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ scope, id, reason, ctx, state, cancelWorking }: HaltTradingCommand): Promise<void> {
    return switchTrading(this.side, scope, id, { reason, state, cancelWorking }, ctx);
  }
}

@CommandHandler(ResumeTradingCommand)
export class ResumeTradingHandler implements ICommandHandler<ResumeTradingCommand, void> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ scope, id, ctx }: ResumeTradingCommand): Promise<void> {
    return switchTrading(this.side, scope, id, null, ctx);
  }
}

/** Reference data of an instrument (tick, lot, bounds, venue symbols): defined, or redefined. */
@CommandHandler(DefineInstrumentCommand)
export class DefineInstrumentHandler implements ICommandHandler<DefineInstrumentCommand, void> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ definition, ctx }: DefineInstrumentCommand): Promise<void> {
    const stream = instrumentStream(definition.instrumentId);
    const outcome = await this.side.aggregates.execute(
      instrumentDecider,
      stream,
      { type: 'DefineInstrument', data: definition, metadata: { now: new Date(this.side.clock.now()) } },
      metadataOf(ctx),
    );
    if (!outcome.accepted) throw Refusal.of(outcome.rejections);
    await this.side.reference.refresh(stream);
  }
}

/**
 * Mass cancel: every working order of the account (of one instrument, of one side, when given). The
 * account's reservations are exactly its working orders, so none is missed; each is asked to cancel
 * as a client cancel would be, with this request as its cause. Answers how many were asked.
 */
@CommandHandler(CancelAllOrdersCommand)
export class CancelAllOrdersHandler implements ICommandHandler<CancelAllOrdersCommand, number> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ accountId, instrumentId, side, ctx }: CancelAllOrdersCommand): Promise<number> {
    if (!ACCOUNT_ID.test(accountId)) {
      throw new Refusal('INVALID_ACCOUNT_ID', 'accountId: 1–64 letters, digits, "_", "." or ":".');
    }
    const { state } = await this.side.aggregates.load(accountDecider, accountStream(accountId));
    if (state.accountId === null)
      throw new Refusal('ACCOUNT_NOT_FOUND', `Account ${accountId} does not exist.`);
    const orders = [...state.reservations.values()].filter(
      (r) => (instrumentId === null || r.instrumentId === instrumentId) && (side === null || r.side === side),
    );
    let asked = 0;
    for (const { orderId } of orders) {
      const outcome = await this.side.orderQueue.run(orderId, () =>
        this.side.aggregates.execute(
          orderDecider,
          orderStream(orderId),
          {
            type: 'RequestCancel',
            data: { orderId, reason: 'mass cancel' },
            metadata: { now: new Date(this.side.clock.now()) },
          },
          metadataOf(ctx),
        ),
      );
      // Refused: it ended, or a cancel is already pending; either way nothing works on for long.
      if (outcome.accepted && outcome.events.length > 0) asked++;
    }
    return asked;
  }
}
