import { LoggerService } from '@nestjs/common';
import { Logger } from '@oms/platform';

/**
 * Nest's own messages through the process's logger: its start-up chatter (modules, routes) at debug,
 * its warnings and errors as such, so the output stays one JSON object per line.
 */
export class NestLogger implements LoggerService {
  private readonly out: Logger;

  constructor(logger: Logger) {
    this.out = logger.child({ component: 'nest' });
  }

  log(message: unknown, context?: string): void {
    this.out.debug({ context }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.out.warn({ context }, String(message));
  }

  error(message: unknown, stack?: string, context?: string): void {
    this.out.error({ context, stack }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.out.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.out.trace({ context }, String(message));
  }
}
