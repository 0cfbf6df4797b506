import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The OMS's metrics, in one registry, defined once here so their names, labels and help texts are
 * documented in one place (the README's table follows this file). Every process serves them as
 * Prometheus text on `GET /metrics`. Latencies are in seconds, as Prometheus expects.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'oms_process_' });

/** Latency buckets from 100 µs to 10 s. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Pre-trade decisions take microseconds. */
const DECISION_BUCKETS = [
  0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.01,
];

const registers = [metricsRegistry];

export const placeOrderSeconds = new Histogram({
  name: 'oms_place_order_seconds',
  help: 'placeOrder command, from dispatch to answer, by outcome (accepted, rejected by risk, refused, failed)',
  labelNames: ['outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const preTradeDecisionSeconds = new Histogram({
  name: 'oms_pre_trade_decision_seconds',
  help: 'One pre-trade risk decision on the hot account (all checks, in memory)',
  buckets: DECISION_BUCKETS,
  registers,
});

export const preTradeRejections = new Counter({
  name: 'oms_pre_trade_rejections_total',
  help: 'Failed pre-trade checks, by reason code (an order refused for two reasons counts twice)',
  labelNames: ['code'] as const,
  registers,
});

export const eventStoreAppendSeconds = new Histogram({
  name: 'oms_event_store_append_seconds',
  help: 'One append to the event store, from call to durable commit',
  labelNames: ['outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const orderToVenueSeconds = new Histogram({
  name: 'oms_order_to_venue_seconds',
  help: "From a slice's write-ahead append to its handover to the venue (rate limit and breaker included)",
  labelNames: ['venue'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const venueAckSeconds = new Histogram({
  name: 'oms_venue_ack_seconds',
  help: "From sending a slice to the venue's acknowledgement",
  labelNames: ['venue'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const venueFillSeconds = new Histogram({
  name: 'oms_venue_fill_seconds',
  help: 'From sending a slice to each execution reported for it',
  labelNames: ['venue'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const projectionLagSeconds = new Histogram({
  name: 'oms_projection_lag_seconds',
  help: 'From an event being recorded to the read models holding it (committed)',
  buckets: LATENCY_BUCKETS,
  registers,
});

export const ordersCompleted = new Counter({
  name: 'oms_orders_completed_total',
  help: 'Orders that reached a final status, by status (as the projector recorded them)',
  labelNames: ['status'] as const,
  registers,
});

export const venueErrors = new Counter({
  name: 'oms_venue_errors_total',
  help: 'Requests a venue could not take (not sent, refused, timed out), by venue and kind',
  labelNames: ['venue', 'kind'] as const,
  registers,
});

export const reconciliationFindings = new Counter({
  name: 'oms_reconciliation_findings_total',
  help: 'What reconciliation with a venue found and put right or reported, by venue and kind',
  labelNames: ['venue', 'kind'] as const,
  registers,
});

export const gatewayBacklog = new Gauge({
  name: 'oms_gateway_backlog',
  help: 'Accepted orders the execution gateway has read but not yet routed',
  registers,
});

export const processorLagSeconds = new Gauge({
  name: 'oms_processor_lag_seconds',
  help: 'Age of the newest event a processor (projector, ledger, gateway) has handled when it handled it; 0 when caught up',
  labelNames: ['processor'] as const,
  registers,
});

export const processorFailures = new Counter({
  name: 'oms_processor_failures_total',
  help: 'Batches a processor failed to handle (it follows again from its checkpoint after a backoff)',
  labelNames: ['processor'] as const,
  registers,
});

/** What a gauge of per-venue state reads when scraped. */
export interface VenueGaugeSource {
  venueGauges(): { venue: string; breakerState: 0 | 1 | 2; rateLimitUsage: number }[];
}

const venueSources = new Set<VenueGaugeSource>();

/** The active gateway registers its venue lines while it runs. */
export function registerVenueGauges(source: VenueGaugeSource): () => void {
  venueSources.add(source);
  return () => venueSources.delete(source);
}

export const venueBreakerState = new Gauge({
  name: 'oms_venue_breaker_state',
  help: "A venue's circuit breaker: 0 closed, 1 half-open, 2 open",
  labelNames: ['venue'] as const,
  registers,
  collect() {
    this.reset();
    for (const source of venueSources)
      for (const v of source.venueGauges()) this.set({ venue: v.venue }, v.breakerState);
  },
});

export const venueRateLimitUsage = new Gauge({
  name: 'oms_venue_rate_limit_usage',
  help: "Share of a venue's rate-limit burst in use, 0 to 1",
  labelNames: ['venue'] as const,
  registers,
  collect() {
    this.reset();
    for (const source of venueSources)
      for (const v of source.venueGauges()) this.set({ venue: v.venue }, v.rateLimitUsage);
  },
});

/** Seconds since `startedAt` (a performance.now() reading). */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

export const authenticationFailures = new Counter({
  name: 'oms_authentication_failures_total',
  help: 'Requests refused because they did not prove who they were, by reason (missing, malformed, unknown, revoked, wrong secret, busy, invalid token)',
  labelNames: ['reason'] as const,
  registers,
});

export const authorisationDenials = new Counter({
  name: 'oms_authorisation_denials_total',
  help: 'Requests from a known principal refused because its roles or grants do not allow them, by permission',
  labelNames: ['permission'] as const,
  registers,
});

export const rateLimitedRequests = new Counter({
  name: 'oms_rate_limited_requests_total',
  help: 'Requests refused because their principal went over its request rate',
  registers,
});
