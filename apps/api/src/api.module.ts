import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { CommandSide, Refusal } from '@oms/application';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  DocumentNode,
  GraphQLError,
  GraphQLSchema,
  ValidationContext,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { CommandsModule } from './commands';
import { API_DEPS, ApiDeps } from './graphql/api-deps';
import { ResolverErrorFilter, graphQLErrorFormatter } from './graphql/errors';
import { OmsResolver } from './graphql/resolvers';
import { MarketDataResolver } from './graphql/market-data.resolver';
import { OrderListResolver } from './graphql/order-lists.resolver';
import { AccessResolver } from './graphql/access.resolver';
import { Identity, RequestContext, abandonmentOf } from './graphql/identity';
import { JwtVerifier } from './graphql/jwt';
import { COMMAND_SIDE } from './commands/command-side.token';
import { OmsQueries } from './graphql/views';
import { firstTextProblem, requestLimitsRule, textLiteralsRule, textVariablesPlugin } from './graphql/limits';
import {
  DEFAULT_RESPONSE_BUDGET,
  introspectionShapeRule,
  responseBudgetRule,
} from './graphql/response-budget';

/** graphql-armor rules report through the validation context, so clients get GRAPHQL_VALIDATION_FAILED. */
function reportAsValidationError(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(error);
}

/** What makes a document unfit for the graphql-ws socket; nothing when it is a plain subscription. */
export function subscriptionProblems(query: string, production: boolean): GraphQLError[] | undefined {
  let document;
  try {
    document = parse(query, { maxTokens: 2_000 });
  } catch (error) {
    return [error instanceof GraphQLError ? error : new GraphQLError('The document does not parse.')];
  }
  const refuse = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];
  for (const definition of document.definitions) {
    if (definition.kind !== 'OperationDefinition') continue;
    if (definition.operation !== 'subscription') {
      return refuse(
        'Only subscriptions go over graphql-ws; send queries and mutations over HTTP.',
        'SUBSCRIPTIONS_ONLY',
      );
    }
  }
  if (production && /\b__(schema|type)\b/.test(query)) {
    return refuse('Introspection is off on this server.', 'INTROSPECTION_DISABLED');
  }
  return undefined;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/**
 * DNS rebinding: a page from a name that resolves to this machine must not reach a server listening on
 * the loopback. Such a server answers only to its loopback names and OMS_ALLOWED_HOSTS; one listening
 * on other interfaces answers to any name unless OMS_ALLOWED_HOSTS lists them.
 */
export function hostAllowed(hostHeader: string | undefined, listenHost: string, allowed: string[]): boolean {
  const loopback = LOOPBACK_NAMES.includes(listenHost.toLowerCase());
  if (!loopback && allowed.length === 0) return true;
  if (!hostHeader) return false;
  const name = hostHeader.toLowerCase().replace(/:\d+$/, '');
  return allowed.includes(name) || (loopback && LOOPBACK_NAMES.includes(name));
}

/** No Origin (not a browser), the API's own origin, or one allowed by configuration. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: string[],
): boolean {
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** What graphql-ws keeps per socket: the upgrade request, and who the connection authenticated as. */
interface SocketExtra {
  request: { headers: Record<string, string | undefined> };
  context?: RequestContext;
}

/** Subscriptions one graphql-ws connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;

/** Requests per second one principal may make on one instance, unless configured (OMS_RATE_LIMIT). */
export const DEFAULT_REQUESTS_PER_SECOND = 1_000;

/** The GraphQL API: queries, mutations dispatched on the CommandBus, graphql-ws subscriptions. */
@Module({})
export class ApiModule {
  static register(side: CommandSide, deps: ApiDeps): DynamicModule {
    const logger = deps.logger.child({ component: 'api' });
    const formatError = graphQLErrorFormatter(logger);
    // The same rules over HTTP and graphql-ws (whose own validation runs only GraphQL's built-in rules).
    const validationRules = [
      requestLimitsRule(),
      maxDepthRule({
        n: 10,
        exposeLimits: true,
        propagateOnRejection: false,
        onReject: [reportAsValidationError],
      }),
      // Every value the answer could hold, lists at their bounds and aliases each time.
      responseBudgetRule({
        ...DEFAULT_RESPONSE_BUDGET,
        maxValues: deps.responseBudget ?? DEFAULT_RESPONSE_BUDGET.maxValues,
      }),
      introspectionShapeRule(),
      textLiteralsRule(),
    ];
    const identity = new Identity(
      side.access,
      logger,
      deps.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND,
      side.clock,
      deps.jwt ? new JwtVerifier(deps.jwt) : null,
    );
    return {
      module: ApiModule,
      imports: [
        CommandsModule.register(side),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          graphiql: false,
          // A production server does not describe itself to whoever asks, nor suggest field names.
          introspection: !deps.production,
          hideSchemaDetailsFromClientErrors: deps.production ?? false,
          includeStacktraceInErrorResponses: false,
          formatError,
          validationRules,
          plugins: [textVariablesPlugin()],
          // No automatic persisted queries: every request carries its document.
          persistedQueries: false,
          subscriptions: {
            // graphql-ws's own hooks (onError, onNext) are passed through to its server as they are.
            'graphql-ws': <GraphQLWsSubscriptionsConfig>{
              path: '/graphql',
              // A browser page from another site must not ride a user's session: its Origin is checked
              // (same origin as the API, or one allowed by OMS_ALLOWED_ORIGINS); refused with 4403.
              // Then the connection authenticates with `connectionParams.authorization` ("Bearer <key>").
              // Either refused: closed with 4403.
              onConnect: async (ctx: { extra: unknown; connectionParams?: unknown }) => {
                const extra = ctx.extra as SocketExtra;
                const { origin, host } = extra.request.headers;
                const allowed =
                  hostAllowed(host, deps.listenHost ?? '127.0.0.1', deps.allowedHosts ?? []) &&
                  originAllowed(origin, host, deps.allowedOrigins ?? []);
                if (!allowed) {
                  logger.warn({ origin }, 'graphql-ws connection from a foreign origin refused');
                  return false;
                }
                const identified = await identity.ofSocket(ctx.connectionParams);
                if (identified instanceof Refusal) return false;
                extra.context = identified;
                return true;
              },
              // The socket is for subscriptions only, held to the same limits as HTTP (its own validation
              // runs only GraphQL's built-in rules): queries and mutations go over HTTP.
              onSubscribe: (
                ctx: { subscriptions: Record<string, unknown> },
                _id: string,
                payload: { query?: string; variables?: unknown },
              ) => {
                // This one is counted already.
                if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
                  return [
                    new GraphQLError(
                      `One connection may hold at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions; end one first.`,
                      { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
                    ),
                  ];
                }
                const text = firstTextProblem(payload.variables ?? {});
                if (text) return [new GraphQLError(text.message, { extensions: { code: text.code } })];
                return subscriptionProblems(payload.query ?? '', deps.production ?? false);
              },
              validate: (schema: GraphQLSchema, document: DocumentNode) =>
                validate(schema, document, [...specifiedRules, ...validationRules]),
              // Errors on the socket read as they do over HTTP: a code and a sentence, nothing internal.
              onError: (_ctx: unknown, _id: string, _payload: unknown, errors: readonly GraphQLError[]) =>
                errors.map((e) => formatError(e.toJSON(), e)),
              onNext: (
                _ctx: unknown,
                _id: string,
                _payload: unknown,
                _args: unknown,
                result: { errors?: readonly GraphQLError[] },
              ) =>
                result.errors
                  ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) }
                  : undefined,
            },
          },
          // Who is asking is established once per request, before anything resolves: HTTP by its
          // Authorization header, a graphql-ws subscription by its connection's.
          context: async (arg: {
            req?: { headers: Record<string, string | string[] | undefined> };
            res?: Parameters<typeof abandonmentOf>[0];
          }) => {
            if (arg.req) {
              const context = await identity.ofHttpRequest(arg.req.headers);
              return arg.res ? { ...context, signal: abandonmentOf(arg.res) } : context;
            }
            const socket = (arg as { extra?: SocketExtra }).extra;
            if (!socket?.context)
              throw new GraphQLError('Not authenticated.', { extensions: { code: 'UNAUTHENTICATED' } });
            await identity.withinRate(socket.context.principal);
            return socket.context;
          },
        }),
      ],
      providers: [
        { provide: API_DEPS, useValue: deps },
        { provide: COMMAND_SIDE, useValue: side },
        { provide: Identity, useValue: identity },
        AccessResolver,
        { provide: OmsQueries, useValue: new OmsQueries(deps.dataSource, deps.store, deps.prices) },
        { provide: APP_FILTER, useValue: new ResolverErrorFilter(logger) },
        OmsResolver,
        MarketDataResolver,
        OrderListResolver,
      ],
    };
  }
}

/** The largest graphql-ws message a client may send (a subscription document is a few KB). */
export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024;

/**
 * Caps graphql-ws messages: Nest builds the socket server with ws's default (100 MiB, read whole
 * before any check), and offers no setting for it, so the cap is set on the server Nest made, once the
 * application is initialised. Fails loudly if that server is no longer where it was.
 */
export function limitSocketMessages(app: INestApplicationContext, maxBytes = MAX_SOCKET_MESSAGE_BYTES): void {
  const adapter = app.get(GraphQLModule, { strict: false }).graphQlAdapter as unknown as {
    _subscriptionService?: { wss?: { options: { maxPayload?: number } } };
  };
  const server = adapter._subscriptionService?.wss;
  if (!server) throw new Error('the graphql-ws server was not found: its message size could not be capped');
  server.options.maxPayload = maxBytes;
}
