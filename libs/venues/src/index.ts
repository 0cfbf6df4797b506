/**
 * Venues and what they need (ARCHITECTURE section 6): the market-data model and readers (tardis CSV,
 * the synthetic demo feed), books, and — as the execution issue proceeds — the matching engine, the
 * venue port, simulated venues and the FIX adapter.
 */
export * from './market-data/market-data';
export * from './market-data/tardis';
export * from './market-data/l2-book';
export * from './market-data/synthetic';
export * from './matching/matching-engine';
export * from './venue';
export * from './resilience/token-bucket';
export * from './resilience/circuit-breaker';
export * from './simulated/simulated-venue';
export * from './market-data/market-data-handler';
export * from './routing/router';
export * from './routing/replace-plan';
export * from './execution/venue-line';
export * from './execution/report-to-command';
export * from './execution/reconciliation';
export { FIX_VERSIONS, type FixVersion } from './fix/fix-protocol';
export { FixVenue, type FixFaults, type FixVenueSettings } from './fix/fix-venue';
