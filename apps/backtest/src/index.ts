/**
 * The backtest runner's own parts (ARCHITECTURE section 2): the strategy interface and the built-in
 * strategies, the configuration, the market-data replay, and the report with its charts. The run
 * itself is composed in apps/oms (the one place that wires the OMS's apps together).
 */
export * from './strategy';
export * from './config';
export * from './market-replay';
export * from './report';
export * from './strategies';
export * from './charts';
export * from './html';
