/**
 * Test factories: a configuration, services on a fresh in-memory KV, tokens, and request helpers.
 * Every test gets its own KV, so tests never see each other's data.
 */
import { createApp } from "../app.ts";
import { signToken } from "../lib/auth/jwt.ts";
import { type Config, loadConfig } from "../lib/config.ts";
import { createLogger } from "../lib/log.ts";
import { closeRealtime, createServices, type Services } from "../lib/services.ts";

/** The secret every test configuration uses. */
export const TEST_SECRET = "test-secret-test-secret-test-secret-0123456789";

/** A configuration with test defaults; `env` overrides any variable. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: "silent",
    FEEDBACK_MIN_TIMEOUT: "1",
    PUBLIC_BASE_URL: "http://localhost:8000",
    // Off unless a test turns one on: tests share one client address ("unknown").
    RATE_LIMIT_CREATE: "0",
    RATE_LIMIT_READ: "0",
    RATE_LIMIT_SUBMIT: "0",
    RATE_LIMIT_PAGE: "0",
    ...env,
  });
}

/** A test instance: services and app on its own KV; dispose it to release watches and KV. */
export interface TestInstance extends AsyncDisposable {
  services: Services;
  app: ReturnType<typeof createApp>;
  kv: Deno.Kv;
}

/** Options of {@link createTestInstance}. */
export interface TestInstanceOptions {
  env?: Record<string, string>;
  /** Share this KV (to stand in for a second Deno Deploy instance); it is not closed on dispose. */
  kv?: Deno.Kv;
  /** KV path to open (for restart tests); defaults to `:memory:`. */
  kvPath?: string;
  now?: () => number;
}

/** Builds services and the app on a fresh in-memory KV (or the given one). */
export async function createTestInstance(options: TestInstanceOptions = {}): Promise<TestInstance> {
  const ownsKv = !options.kv;
  const kv = options.kv ?? await Deno.openKv(options.kvPath ?? ":memory:");
  const config = testConfig(options.env);
  const services = createServices(config, kv, { log: createLogger("silent"), now: options.now });
  const app = createApp(services);
  return {
    services,
    app,
    kv,
    async [Symbol.asyncDispose]() {
      await closeRealtime(services);
      services.hub.close();
      if (ownsKv) kv.close();
    },
  };
}

/** A valid token for `owner`, signed with the test secret. */
export function tokenFor(owner: string, ttl = 3600): Promise<string> {
  return signToken(TEST_SECRET, { subject: owner, ttl });
}

/** A random owner name, so tests never collide. */
export function randomOwner(): string {
  return `owner-${crypto.randomUUID().slice(0, 8)}`;
}

/** JSON request headers with a bearer token. */
export function authHeaders(token: string): HeadersInit {
  return { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
}

/** Creates a session through the REST API and returns its `data`. */
export async function createSessionViaApi(
  instance: TestInstance,
  token: string,
  body: Record<string, unknown> = { message: "Ship it?", predefinedOptions: ["Yes", "No"] },
): Promise<{ sessionId: string; feedbackUrl: string; expiresAt: string; wsUrl: string }> {
  const res = await instance.app.request("/api/feedback/create", {
    method: "POST",
    headers: authHeaders(token),
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** POSTs JSON through the app (with a token when given) and returns `data`; fails unless 200. */
export async function postOk(
  instance: TestInstance,
  path: string,
  body: unknown,
  token?: string,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const res = await instance.app.request(path, {
    method: "POST",
    headers: token ? authHeaders(token) : { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** A test instance, a random owner's token, and one question that owner asked. */
export interface TestSession {
  instance: TestInstance;
  token: string;
  sessionId: string;
}

/** Options of {@link createTestSession}: the instance's, and the question to ask. */
export interface TestSessionOptions extends TestInstanceOptions {
  /** The create body; {@link createSessionViaApi}'s default question when absent. */
  question?: Record<string, unknown>;
}

/**
 * A test instance with one question asked through the REST API by a random owner. The caller
 * disposes `instance` (`await using _ = instance`).
 */
export async function createTestSession(options: TestSessionOptions = {}): Promise<TestSession> {
  const { question, ...instanceOptions } = options;
  const instance = await createTestInstance(instanceOptions);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token, question);
  return { instance, token, sessionId };
}

/** A test instance served on a real socket at the origin its configuration names. */
export interface ServedTestInstance extends AsyncDisposable {
  instance: TestInstance;
  /** `http://127.0.0.1:PORT`, also the instance's `PUBLIC_BASE_URL`. */
  origin: string;
}

/**
 * Serves a test instance on 127.0.0.1, port 0, with `PUBLIC_BASE_URL` set to its own origin (so
 * its links, cookies and origin checks match what a browser sees); dispose to stop both.
 */
export async function serveTestInstance(
  options: TestInstanceOptions = {},
): Promise<ServedTestInstance> {
  // The origin is known only once the server listens, and the configuration needs it: until the
  // app exists, requests are answered 503.
  let fetchApp: (request: Request) => Response | Promise<Response> = () =>
    new Response("starting", { status: 503 });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (request) => fetchApp(request),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const instance = await createTestInstance({
    ...options,
    env: { ...options.env, PUBLIC_BASE_URL: origin },
  });
  fetchApp = instance.app.fetch;
  return {
    instance,
    origin,
    async [Symbol.asyncDispose]() {
      // The instance first: closing its realtime hub ends the sockets the server would wait for.
      await instance[Symbol.asyncDispose]();
      await server.shutdown();
    },
  };
}
