import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { GraphQLModule } from '@nestjs/graphql';
import { GraphQLError, ValidationContext } from 'graphql';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { COMMAND_HANDLERS } from './commands/handlers';
import { formatGraphQLError } from './graphql/errors';
import { OmsResolver } from './graphql/resolvers';
import { OmsQueries } from './graphql/views';
import { HealthController } from './health.controller';
import { OmsRuntime } from './runtime/oms-runtime';

/** graphql-armor rules report through the validation context, so clients get GRAPHQL_VALIDATION_FAILED. */
function reportAsValidationError(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(error);
}

/** The HTTP edge: GraphQL (queries, mutations, graphql-ws subscriptions) and /health over one runtime. */
@Module({})
export class ApiModule {
  static forRuntime(runtime: OmsRuntime): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CqrsModule.forRoot(),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          graphiql: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          formatError: formatGraphQLError,
          validationRules: [
            maxDepthRule({
              n: 10,
              exposeLimits: true,
              propagateOnRejection: false,
              onReject: [reportAsValidationError],
            }),
            // Cost counts list sizes (`first`): one full 500-order page costs about 22,000.
            costLimitRule({
              maxCost: 50_000,
              exposeLimits: true,
              propagateOnRejection: false,
              onReject: [reportAsValidationError],
            }),
          ],
          subscriptions: { 'graphql-ws': { path: '/graphql' } },
          context: ({ req }: { req?: unknown }) => ({ req }),
        }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: OmsRuntime, useValue: runtime },
        {
          provide: OmsQueries,
          useFactory: () => new OmsQueries(runtime.dataSource, runtime.store, runtime.prices),
        },
        OmsResolver,
        ...COMMAND_HANDLERS,
      ],
    };
  }
}
