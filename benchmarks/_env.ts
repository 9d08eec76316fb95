/**
 * Settings every benchmark shares: rate limits and per-owner caps off, since one client on
 * loopback sends far more than a real user's budget and the figures must measure the service, not
 * the limiter.
 */
export const BENCH_ENV = {
  RATE_LIMIT_CREATE: "0",
  RATE_LIMIT_READ: "0",
  RATE_LIMIT_SUBMIT: "0",
  RATE_LIMIT_PAGE: "0",
  // One owner ("bench") holds thousands of sessions, waits and sockets.
  OWNER_MAX_PENDING: "0",
  OWNER_MAX_WAITS: "0",
  OWNER_MAX_SOCKETS: "0",
} as const;
