/**
 * The composition root: reads the environment, opens KV, builds the app and serves it.
 * The only module that performs I/O at start-up.
 * @module
 */
import { createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./lib/config.ts";
import { kvDirectory, kvLocation } from "./lib/kv_location.ts";
import { closeRealtime, createServices, type Services } from "./lib/services.ts";

/** A running instance. */
export interface RunningServer {
  config: Config;
  services: Services;
  server: Deno.HttpServer<Deno.NetAddr>;
  /**
   * Closes every WebSocket with 1012, stops expiry timers and the sweep, stops accepting and
   * drains in-flight requests, then releases watches and KV.
   */
  shutdown(): Promise<void>;
}

/** Longest a shutdown waits for in-flight requests after waits and sockets were ended. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Waits for `promise`, but no longer than `ms`. */
async function atMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens KV; a location that cannot be opened is a configuration error naming `KV_PATH`. */
async function openKv(location: string | undefined): Promise<Deno.Kv> {
  try {
    const dir = kvDirectory(location);
    if (dir) await Deno.mkdir(dir, { recursive: true });
    return await Deno.openKv(location);
  } catch (error) {
    throw new ConfigError(
      `KV_PATH: cannot open ${location ?? "the managed KV"}: ${reasonOf(error)}`,
    );
  }
}

/** Deno.serve's start-up failures, as configuration errors naming the variable to change. */
function serveError(error: unknown, config: Config): unknown {
  const where = `${config.hostname}:${config.port}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new ConfigError(`PORT: ${where} is already in use; choose another PORT`);
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new ConfigError(`HOSTNAME: ${config.hostname} is not an address of this machine`);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new ConfigError(`PORT: not allowed to listen on ${where}: ${reasonOf(error)}`);
  }
  return error;
}

/** The first line of an error's message, without Deno's hints. */
function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** Starts the service for an environment; throws {@link ConfigError} for a bad one. */
export async function startServer(env: Record<string, string | undefined>): Promise<RunningServer> {
  const config = loadConfig(env);
  const kvPath = kvLocation(config.kvPath, Boolean(env.DENO_DEPLOYMENT_ID));
  const kv = await openKv(kvPath);
  const services = createServices(config, kv);
  const app = createApp(services);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: config.port,
      hostname: config.hostname,
      onListen: ({ hostname, port }) =>
        services.log.info("listening", {
          hostname,
          port,
          publicBaseUrl: config.publicBaseUrl,
          kv: kvPath ?? "managed",
        }),
    }, app.fetch);
  } catch (error) {
    services.hub.close();
    kv.close();
    throw serveError(error, config);
  }

  // Expires sessions nobody watches; watched ones have their own timers.
  services.expiry.startSweep();
  // Delivers notifications from the KV outbox, off the request path (lib/notify/sweep.ts).
  services.notify.startSweep();
  // Deno reads a whole WebSocket message before the service sees it and cannot cap it; a text
  // message above V8's longest string (~512 MiB, sent in fragments) makes its socket loop reject
  // (denoland/deno#15809). That drops the one socket; it must not end the process.
  const oversizedMessage = (event: PromiseRejectionEvent) => {
    const reason = event.reason;
    if (reason instanceof TypeError && /exceeds maximum length/.test(reason.message)) {
      event.preventDefault();
      services.log.warn("websocket message too large for a string: socket dropped");
    }
  };
  globalThis.addEventListener("unhandledrejection", oversizedMessage);

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      services.log.info("shutting down");
      // Waits and sockets first (1012: reconnect elsewhere), since they would hold the drain.
      await closeRealtime(services);
      await atMost(server.shutdown(), DRAIN_TIMEOUT_MS);
      services.hub.close();
      kv.close();
      globalThis.removeEventListener("unhandledrejection", oversizedMessage);
    })();
  return { config, services, server, shutdown };
}

/** Runs until SIGINT/SIGTERM (Deno Deploy sends SIGINT before it stops an instance). */
export async function serveUntilSignalled(env: Record<string, string | undefined>) {
  let running: RunningServer;
  try {
    running = await startServer(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(1);
    }
    throw error;
  }
  let signals = 0;
  const stop = async () => {
    // A second signal means "now": do not wait for the drain again.
    if (++signals > 1) Deno.exit(1);
    await running.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  return running;
}

if (import.meta.main) await serveUntilSignalled(Deno.env.toObject());
