/** What every process and library shares: one clock, one retry, one logger, one metrics registry. */
export * from './clock';
export * from './retry';
export * from './logger';
export * from './metrics';
