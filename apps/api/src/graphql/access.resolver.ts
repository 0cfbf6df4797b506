import { AccessState, Principal, haltLevel, readableAccounts } from '@oms/domain';
import { CommandSide } from '@oms/application';
import { RiskLimitsRow } from '@oms/read-models';
import { Inject } from '@nestjs/common';
import { Args, Context, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { In } from 'typeorm';
import {
  ChangeAccessCommand,
  DefineInstrumentCommand,
  IssueApiKeyCommand,
  OpenAccountCommand,
} from '../commands';
import { COMMAND_SIDE } from '../commands/command-side.token';
import { API_DEPS, ApiDeps } from './api-deps';
import {
  AccountSummary,
  InstrumentInput,
  InstrumentView,
  IssuedApiKey,
  PRINCIPAL_ID,
  PrincipalInput,
  PrincipalView,
} from './access.types';
import { Identity, RequestContext, commandContext } from './identity';
import { boundedText } from './limits';
import { RiskLimits, RiskLimitsInput } from './types';
import { riskLimitsData } from './resolvers';
import { Refusal } from '@oms/application';

function principalView(p: Principal): PrincipalView {
  return {
    principalId: p.principalId,
    name: p.name,
    roles: p.roles,
    accounts: p.accounts,
    createdAt: new Date(p.createdAt),
    disabledAt: p.disabledAt ? new Date(p.disabledAt) : null,
    keys: p.keys.map((k) => ({
      keyId: k.keyId,
      label: k.label,
      issuedAt: new Date(k.issuedAt),
      revokedAt: k.revokedAt ? new Date(k.revokedAt) : null,
    })),
  };
}

const principalId = (id: string) => {
  if (!PRINCIPAL_ID.test(id)) {
    throw new Refusal(
      'INVALID_PRINCIPAL_ID',
      'principalId: 1–64 lower-case letters, digits, ".", "_" or "-".',
    );
  }
  return id;
};
const reasonOf = (reason: string) => boundedText('A reason', reason, 500, 3);

/**
 * Administration (ADMIN): principals, keys, grants, accounts and instruments. Every change is an event
 * with its actor and reason; a key's secret is in the answer that issues it and nowhere else.
 */
@Resolver()
export class AccessResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly identity: Identity,
    @Inject(COMMAND_SIDE) private readonly side: CommandSide,
    @Inject(API_DEPS) private readonly deps: ApiDeps,
  ) {}

  @Query(() => PrincipalView, { description: 'Who this request is.' })
  me(@Context() context: RequestContext): PrincipalView {
    return principalView(context.principal);
  }

  @Query(() => [PrincipalView], {
    description: 'Every principal with its roles, grants and keys (ADMIN, AUDITOR).',
  })
  async principals(@Context() context: RequestContext): Promise<PrincipalView[]> {
    if (!context.principal.roles.includes('AUDITOR')) this.identity.require(context, 'administer');
    const state = await this.side.access.current();
    return [...state.principals.values()]
      .sort((a, b) => a.principalId.localeCompare(b.principalId))
      .map(principalView);
  }

  @Mutation(() => PrincipalView)
  async createPrincipal(
    @Args('input') input: PrincipalInput,
    @Context() context: RequestContext,
  ): Promise<PrincipalView> {
    this.identity.require(context, 'administer');
    const name = boundedText('A name', input.name, 100, 1);
    return this.change(context, input.principalId, {
      type: 'CreatePrincipal',
      data: { principalId: principalId(input.principalId), name, roles: input.roles },
    });
  }

  @Mutation(() => PrincipalView, {
    description: 'Disables a principal: every key of it stops working at once.',
  })
  async disablePrincipal(
    @Args('principalId', { type: () => ID }) id: string,
    @Args('reason') reason: string,
    @Context() context: RequestContext,
  ): Promise<PrincipalView> {
    this.identity.require(context, 'administer');
    return this.change(context, id, {
      type: 'DisablePrincipal',
      data: { principalId: principalId(id), reason: reasonOf(reason) },
    });
  }

  @Mutation(() => IssuedApiKey, { description: 'A new key for a principal, shown once.' })
  async issueApiKey(
    @Args('principalId', { type: () => ID }) id: string,
    @Args('label') label: string,
    @Context() context: RequestContext,
  ): Promise<IssuedApiKey> {
    this.identity.require(context, 'administer');
    const issued = await this.commands.execute<IssueApiKeyCommand, { keyId: string; key: string }>(
      new IssueApiKeyCommand(principalId(id), boundedText('A label', label, 100, 1), commandContext(context)),
    );
    return { principalId: id, ...issued };
  }

  @Mutation(() => PrincipalView, {
    description: 'Revokes a key: it stops working at once, on every instance.',
  })
  async revokeApiKey(
    @Args('keyId', { type: () => ID }) keyId: string,
    @Args('reason') reason: string,
    @Context() context: RequestContext,
  ): Promise<PrincipalView> {
    this.identity.require(context, 'administer');
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(keyId))
      throw new Refusal('KEY_NOT_FOUND', `No API key ${keyId} exists.`);
    const state = await this.commands.execute<ChangeAccessCommand, AccessState>(
      new ChangeAccessCommand(
        { type: 'RevokeApiKey', data: { keyId, reason: reasonOf(reason) } },
        commandContext(context),
      ),
    );
    return principalView(state.principals.get(state.keyOwners.get(keyId)!)!);
  }

  @Mutation(() => PrincipalView, { description: 'Lets a TRADER trade and read an open account.' })
  async grantAccount(
    @Args('principalId', { type: () => ID }) id: string,
    @Args('accountId', { type: () => ID }) accountId: string,
    @Args('reason') reason: string,
    @Context() context: RequestContext,
  ): Promise<PrincipalView> {
    this.identity.require(context, 'administer');
    return this.change(context, id, {
      type: 'GrantAccount',
      data: { principalId: principalId(id), accountId, reason: reasonOf(reason) },
    });
  }

  @Mutation(() => PrincipalView)
  async revokeAccountGrant(
    @Args('principalId', { type: () => ID }) id: string,
    @Args('accountId', { type: () => ID }) accountId: string,
    @Args('reason') reason: string,
    @Context() context: RequestContext,
  ): Promise<PrincipalView> {
    this.identity.require(context, 'administer');
    return this.change(context, id, {
      type: 'RevokeAccountGrant',
      data: { principalId: principalId(id), accountId, reason: reasonOf(reason) },
    });
  }

  @Mutation(() => RiskLimits, { description: 'Opens an account with its first risk limits.' })
  async openAccount(
    @Args('accountId', { type: () => ID }) accountId: string,
    @Args('limits') limits: RiskLimitsInput,
    @Context() context: RequestContext,
  ): Promise<RiskLimits> {
    this.identity.require(context, 'administer');
    await this.commands.execute(
      new OpenAccountCommand(accountId, riskLimitsData(limits), commandContext(context)),
    );
    return {
      accountId,
      ...limits,
      positionLimits: limits.positionLimits ?? [],
      allowedInstruments: limits.allowedInstruments ?? null,
      halted: false,
      haltReason: null,
      tradingState: 'ACTIVE',
    };
  }

  @Query(() => [AccountSummary], { description: 'Open accounts this request may see (all, for ADMIN).' })
  async accounts(@Context() context: RequestContext): Promise<AccountSummary[]> {
    const readable = context.principal.roles.includes('ADMIN') ? 'ALL' : readableAccounts(context.principal);
    if (readable !== 'ALL' && readable.length === 0) return [];
    const rows = await this.deps.dataSource.getRepository(RiskLimitsRow).find({
      where: readable === 'ALL' ? {} : { accountId: In([...readable]) },
      order: { accountId: 'ASC' },
      take: 10_000,
    });
    return rows.map((r) => ({ accountId: r.accountId, tradingState: r.tradingState }));
  }

  @Mutation(() => InstrumentView, { description: 'Defines (or redefines) an instrument’s reference data.' })
  async defineInstrument(
    @Args('input') input: InstrumentInput,
    @Context() context: RequestContext,
  ): Promise<InstrumentView> {
    this.identity.require(context, 'administer');
    await this.commands.execute(
      new DefineInstrumentCommand(
        {
          instrumentId: input.instrumentId,
          baseCurrency: input.baseCurrency,
          quoteCurrency: input.quoteCurrency,
          tickSize: input.tickSize.toString(),
          lotSize: input.lotSize.toString(),
          minQuantity: input.minQuantity.toString(),
          maxQuantity: input.maxQuantity.toString(),
          pricePrecision: input.pricePrecision,
          tradable: input.tradable,
          venueSymbols: Object.fromEntries(input.venueSymbols.map((v) => [v.venueId, v.symbol])),
        },
        commandContext(context),
      ),
    );
    return this.instrumentView(input.instrumentId) as InstrumentView;
  }

  @Query(() => [InstrumentView], { description: 'Every instrument defined.' })
  instruments(): InstrumentView[] {
    return this.side.reference
      .instrumentIds()
      .map((id) => this.instrumentView(id))
      .filter((v): v is InstrumentView => v !== null);
  }

  private instrumentView(instrumentId: string): InstrumentView | null {
    const { instrument, halt } = this.side.reference.instrument(instrumentId);
    if (!instrument) return null;
    return {
      ...instrument,
      venueSymbols: Object.entries(instrument.venueSymbols).map(([venueId, symbol]) => ({ venueId, symbol })),
      tradingState: haltLevel(halt),
    };
  }

  private async change(
    context: RequestContext,
    id: string,
    change: ChangeAccessCommand['change'],
  ): Promise<PrincipalView> {
    const state = await this.commands.execute<ChangeAccessCommand, AccessState>(
      new ChangeAccessCommand(change, commandContext(context)),
    );
    return principalView(state.principals.get(id)!);
  }
}
