import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiModule } from './api.module';
import { graphiqlMiddleware } from './graphql/graphiql';
import { OmsRuntime } from './runtime/oms-runtime';

/** The Nest application over a started runtime (used by main and by the HTTP tests). */
export async function createApiApp(
  runtime: OmsRuntime,
  options: { logger?: false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(ApiModule.forRuntime(runtime), {
    logger: options.logger ?? ['error', 'warn', 'log'],
  });
  // class-validator on inputs; `transform: false` keeps Decimal values as the scalar parsed them.
  app.useGlobalPipes(new ValidationPipe({ transform: false, forbidUnknownValues: false }));
  app.use('/graphql', graphiqlMiddleware('/graphql'));
  return app;
}
