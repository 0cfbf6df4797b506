/**
 * Venue port, simulated venues, FIX adapter, smart order router, rate limiter, circuit breaker and
 * market-data normalisation (ARCHITECTURE section 6). Empty until the execution issue builds them.
 */
export {};
