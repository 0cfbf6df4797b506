import { ReferencePriceSource } from '@oms/application';
import { MarketDataView } from '@oms/domain';
import { EventStore } from '@oms/event-store';
import { Logger } from '@oms/platform';
import { VenueSession } from '@oms/venues';
import { EventEmitter } from 'events';
import { DataSource } from 'typeorm';
import { JwtSettings } from './jwt';

/** A venue as the gateway of this process reports it (none in a process without the gateway). */
export interface VenueView {
  id: string;
  connected: boolean;
  breaker: string;
  rateLimitUsage: number;
  lastError: string | null;
  unexplainedOrders: string[];
  /** A FIX venue's session; null for the others. */
  session: VenueSession | null;
  /** When the gateway reported this (ms since the epoch): now in its own process. */
  reportedAt: number;
}

/** What the API reads besides the CommandBus: read models, the log, prices, order updates, venues. */
export interface ApiDeps {
  dataSource: DataSource;
  store: EventStore;
  prices: ReferencePriceSource;
  /** Emits 'order' with an OrderUpdate whenever the projector records a change. */
  orderUpdates: EventEmitter;
  venues(): VenueView[];
  /** Books and trades: the gateway's own in its process, what it publishes elsewhere. */
  marketData: MarketDataView;
  /** Updates per second one market-data subscription may receive (OMS_MARKET_DATA_RATE). */
  marketDataRate?: number;
  logger: Logger;
  /** Browser origins besides the API's own that may open subscriptions (OMS_ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
  /** The interface the server listens on, and the host names it answers to (DNS rebinding). */
  listenHost?: string;
  allowedHosts?: string[];
  /** NODE_ENV=production: no introspection, no "did you mean" field suggestions. */
  production?: boolean;
  /** Requests per second one principal may make on this instance (OMS_RATE_LIMIT). */
  requestsPerSecond?: number;
  /** Values one response may hold (OMS_RESPONSE_BUDGET). */
  responseBudget?: number;
  /** Tokens from the firm's identity provider, besides API keys (OMS_JWT_*). */
  jwt?: JwtSettings | null;
}

export const API_DEPS = Symbol('ApiDeps');
