import {
  ApiModule,
  CommandsModule,
  DefineInstrumentCommand,
  SetRiskLimitsCommand,
  graphiqlMiddleware,
  hostAllowed,
  limitSocketMessages,
} from '@oms/api';
import { BTCUSDT, DEMO_ACCOUNT, DEMO_LIMITS } from '@oms/application';
import { DynamicModule, INestApplication, Module, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { HealthController } from './health.controller';
import { NestLogger } from './nest-logger';
import { bootstrapCredentials } from './credentials';
import { OmsRuntime } from './oms-runtime';

/**
 * The HTTP surface of every OMS process: `/health` and `/metrics` always; the CommandBus always (it
 * seeds the demo); GraphQL (with GraphiQL) when the process has the `api` role.
 */
@Module({})
export class OmsAppModule {
  static register(runtime: OmsRuntime): DynamicModule {
    const api = runtime.roles.has('api')
      ? ApiModule.register(runtime.commandSide, {
          dataSource: runtime.dataSource,
          store: runtime.store,
          prices: runtime.prices,
          orderUpdates: runtime.orderUpdates,
          allowedOrigins: runtime.settings.allowedOrigins,
          listenHost: runtime.settings.host,
          allowedHosts: runtime.settings.allowedHosts,
          production: process.env.NODE_ENV === 'production',
          requestsPerSecond: runtime.settings.requestsPerSecond,
          responseBudget: runtime.settings.responseBudget,
          jwt: runtime.settings.jwt,
          venues: () => runtime.venues(),
          marketData: runtime.marketDataView,
          marketDataRate: runtime.settings.marketDataRate,
          logger: runtime.logger,
        })
      : CommandsModule.register(runtime.commandSide);
    return {
      module: OmsAppModule,
      imports: [api],
      controllers: [HealthController],
      providers: [{ provide: OmsRuntime, useValue: runtime }],
    };
  }
}

/** Seeds the demo through the CommandBus, idempotently (identical definitions and limits are no-ops). */
export async function seedDemo(commands: CommandBus): Promise<void> {
  const ctx = { actor: 'system:seed', correlationId: 'seed-demo' };
  await commands.execute(new DefineInstrumentCommand(BTCUSDT, ctx));
  await commands.execute(new SetRiskLimitsCommand(DEMO_ACCOUNT, DEMO_LIMITS, ctx));
}

/**
 * The Nest application over a built runtime: seeds the demo if asked, starts the runtime's roles,
 * and is ready to listen. Used by `main` and by the tests that run the OMS over HTTP.
 */
interface HostRefusal {
  status(code: number): { json(body: unknown): void };
}

export async function createOmsApp(runtime: OmsRuntime): Promise<INestApplication> {
  const app = await NestFactory.create(OmsAppModule.register(runtime), {
    logger: new NestLogger(runtime.logger),
  });
  // class-validator on inputs; `transform: false` keeps Decimal values as the scalar parsed them.
  app.useGlobalPipes(new ValidationPipe({ transform: false, forbidUnknownValues: false }));
  // Every path (GraphQL, health, metrics): a name this server does not answer to is refused.
  const { host, allowedHosts } = runtime.settings;
  app.use((req: { headers: { host?: string } }, res: HostRefusal, next: () => void) => {
    if (hostAllowed(req.headers.host, host, allowedHosts)) return next();
    runtime.logger.warn(
      { host: req.headers.host?.slice(0, 100) },
      'request for a host name this server does not answer to',
    );
    res.status(403).json({
      errors: [
        {
          message: 'This server does not answer to that host name.',
          extensions: { code: 'HOST_NOT_ALLOWED' },
        },
      ],
    });
  });
  if (runtime.roles.has('api')) app.use('/graphql', graphiqlMiddleware('/graphql'));
  await app.init();
  if (runtime.roles.has('api')) limitSocketMessages(app);
  if (runtime.settings.seedDemo) await seedDemo(app.get(CommandBus));
  if (runtime.roles.has('api')) {
    runtime.credentials = await bootstrapCredentials(
      runtime.commandSide.access,
      runtime.settings,
      runtime.logger,
    );
  }
  await runtime.startRoles();
  return app;
}
