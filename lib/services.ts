/**
 * The long-lived pieces one instance shares between its transports, built once from the
 * configuration and an open KV handle.
 * @module
 */
import { createTokenVerifier, type TokenVerifier } from "./auth/jwt.ts";
import type { Config } from "./config.ts";
import { ExpiryScheduler } from "./feedback/expiry.ts";
import { FeedbackService } from "./feedback/service.ts";
import { LiveConnections } from "./live_connections.ts";
import { createLogger, type Logger } from "./log.ts";
import { NotifyService } from "./notify/service.ts";
import { RateLimiter } from "./rate_limit.ts";
import { guardKv } from "./storage_guard.ts";
import { WatchHub } from "./watch_hub.ts";

/** What every transport receives. */
export interface Services {
  config: Config;
  kv: Deno.Kv;
  feedback: FeedbackService;
  hub: WatchHub;
  /**
   * The instance's clock (epoch ms): `Date.now` unless a test injects one. The feedback service
   * and expiry run on it, so timestamps sent to clients and pages agree with their deadlines.
   */
  now: () => number;
  verifyToken: TokenVerifier;
  log: Logger;
  /** Per-owner and per-address request budgets, counted in KV across instances. */
  rateLimiter: RateLimiter;
  /**
   * Every WebSocket of this instance, closed with 1012 at shutdown. The WebSocket transport owns
   * its registry (limits, idle timeout) and adds it here when it is built.
   */
  sockets: LiveConnections;
  /** Expiry timers for watched sessions and the sweep for the rest (started by `main.ts`). */
  expiry: ExpiryScheduler;
  /** Notification channels and the delivery sweep (started by `main.ts`). */
  notify: NotifyService;
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
  const hub = new WatchHub(kv, { log });
  const now = options.now ?? Date.now;
  const feedback = new FeedbackService({
    kv,
    limits: config.feedback,
    hub,
    quotas: config.ownerQuotas,
    now,
    cursorSecret: config.jwt.secret,
  });
  return {
    config,
    kv,
    hub,
    now,
    log,
    verifyToken: createTokenVerifier(config.jwt),
    feedback,
    rateLimiter: new RateLimiter(kv, config.rateLimits, { now: options.now }),
    sockets: new LiveConnections(),
    expiry: new ExpiryScheduler(feedback, {
      sweepIntervalMs: config.expirySweepInterval * 1000,
      now,
      log,
    }),
    notify: new NotifyService({
      kv,
      config: config.notify,
      publicBaseUrl: config.publicBaseUrl,
      now,
      log,
      readAnswer: async (id) => {
        const [session] = await feedback.getMany([id]);
        const answer = session?.feedback;
        return answer && {
          selectedOptions: answer.selectedOptions,
          freeText: answer.freeText,
          combinedFeedback: answer.combinedFeedback,
        };
      },
      pendingOf: async (ids) => {
        const sessions = await feedback.getMany(ids);
        return new Set(sessions.filter((s) => s?.status === "pending").map((s) => s!.id));
      },
    }),
  };
}

/**
 * Releases what the live side holds, before the hub and KV close: every wait in progress ends
 * (it answers with the session's current state), every socket is closed with 1012 (and given a
 * moment to finish its closing handshake), then expiry timers and the sweep stop and KV work they
 * started completes, and the notification sweep stops (deliveries in flight are cut short and
 * left due, for the next instance).
 */
export async function closeRealtime(services: Services): Promise<void> {
  services.feedback.close();
  await services.sockets.closeAll();
  await services.expiry.close();
  await services.notify.close();
}
