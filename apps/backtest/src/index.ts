/**
 * The backtest runner's own parts (ARCHITECTURE section 2): the strategy interface and the built-in
 * strategies, the configuration, the market-data replay, the simulated venues as the config models
 * them, the virtual-clock driver, and the report with its charts. The run itself is composed in
 * apps/oms (the one place that wires the OMS's apps together).
 */
export * from './strategy';
export * from './config';
export * from './market-replay';
export * from './report';
export * from './strategies';
export * from './simulation';
export * from './venues';
export * from './charts';
export * from './html';
