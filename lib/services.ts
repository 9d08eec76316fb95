/**
 * The long-lived pieces one instance shares between its transports, built once from the
 * configuration and an open KV handle.
 * @module
 */
import { createTokenVerifier, type TokenVerifier } from "./auth/jwt.ts";
import type { Config } from "./config.ts";
import { ExpiryScheduler } from "./feedback/expiry.ts";
import { FeedbackService } from "./feedback/service.ts";
import { createLogger, type Logger } from "./log.ts";
import { RateLimiter } from "./rate_limit.ts";
import { guardKv } from "./storage_guard.ts";
import { WatchHub } from "./watch_hub.ts";
import { SocketRegistry } from "./ws/registry.ts";

/** What every transport receives. */
export interface Services {
  config: Config;
  kv: Deno.Kv;
  feedback: FeedbackService;
  hub: WatchHub;
  verifyToken: TokenVerifier;
  log: Logger;
  /** Per-owner and per-address request budgets, counted in KV across instances. */
  rateLimiter: RateLimiter;
  /** Every WebSocket of this instance: limits, idle timeout, 1012 on shutdown. */
  sockets: SocketRegistry;
  /** Expiry timers for watched sessions and the sweep for the rest (started by `main.ts`). */
  expiry: ExpiryScheduler;
}

/** Options of {@link createServices}. */
export interface ServicesOptions {
  log?: Logger;
  /** Clock override, for expiry tests. */
  now?: () => number;
}

/** Wires the services of one instance. */
export function createServices(
  config: Config,
  kv: Deno.Kv,
  options: ServicesOptions = {},
): Services {
  kv = guardKv(kv); // a failing store answers 503 SERVICE_UNAVAILABLE, never 500
  const log = options.log ?? createLogger(config.logLevel);
  const hub = new WatchHub(kv, log);
  const feedback = new FeedbackService({
    kv,
    limits: config.feedback,
    hub,
    quotas: config.ownerQuotas,
    now: options.now,
    cursorSecret: config.jwt.secret,
  });
  return {
    config,
    kv,
    hub,
    log,
    verifyToken: createTokenVerifier(config.jwt),
    feedback,
    rateLimiter: new RateLimiter(kv, config.rateLimits, options.now),
    sockets: new SocketRegistry({
      maxSockets: config.ws.maxSockets,
      maxPerScope: config.ws.maxSocketsPerSession,
      maxPerOwner: config.ownerQuotas.maxSockets,
      idleTimeoutMs: config.ws.idleTimeout * 1000,
      log,
    }),
    expiry: new ExpiryScheduler(feedback, {
      sweepIntervalMs: config.expirySweepInterval * 1000,
      log,
    }),
  };
}

/**
 * Releases what the live side holds, before the hub and KV close: every wait in progress ends
 * (it answers with the session's current state), every socket is closed with 1012 (and given a
 * moment to finish its closing handshake), then expiry timers and the sweep stop and KV work they
 * started completes.
 */
export async function closeRealtime(services: Services): Promise<void> {
  services.feedback.close();
  await services.sockets.closeAll();
  await services.expiry.close();
}
