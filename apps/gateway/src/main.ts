import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GatewayModule } from './gateway.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(GatewayModule);
  app.enableShutdownHooks();
  console.log('OMS gateway started');
}

void bootstrap();
