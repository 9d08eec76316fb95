/**
 * The long-lived pieces one instance shares between its transports, built once from the
 * configuration and an open KV handle.
 * @module
 */
import { createTokenVerifier, type TokenVerifier } from "./auth/jwt.ts";
import type { Config } from "./config.ts";
import { FeedbackService } from "./feedback/service.ts";
import { createLogger, type Logger } from "./log.ts";
import { WatchHub } from "./watch_hub.ts";

/** What every transport receives. */
export interface Services {
  config: Config;
  kv: Deno.Kv;
  feedback: FeedbackService;
  hub: WatchHub;
  verifyToken: TokenVerifier;
  log: Logger;
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
  const log = options.log ?? createLogger(config.logLevel);
  const hub = new WatchHub(kv, log);
  return {
    config,
    kv,
    hub,
    log,
    verifyToken: createTokenVerifier(config.jwt),
    feedback: new FeedbackService({ kv, limits: config.feedback, hub, now: options.now }),
  };
}
