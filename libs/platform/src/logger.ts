import pino, { Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON; the default when stdout is a terminal. */
  pretty?: boolean;
}

/**
 * The process's root logger: JSON lines on stdout (one object per line, `level` as a name), or
 * coloured lines for a person at a terminal. Components take a child logger that carries their
 * context (`component`, `orderId`, `venueId`, `correlationId`, …) on every line.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    base: undefined,
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.pretty ?? process.stdout.isTTY === true) {
    return pino(base, pretty({ colorize: true, sync: true, ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ fd: 1, sync: true }));
}

/** A logger that drops everything (tests, benchmarks, library defaults). */
export const silentLogger: Logger = pino({ level: 'silent' });
