/**
 * The log never carries a capability: no session id, no token, no owner name. One test runs the
 * real service as a subprocess at `LOG_LEVEL=debug`, drives every path that logs (error paths
 * included) and searches the whole of its stdout and stderr; the others reach error paths a
 * healthy process cannot (a failing KV watch, a closed KV under an expiry timer, a page that
 * throws) with a logger that records the raw fields, before any redaction in the logger itself.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { signToken } from "../lib/auth/jwt.ts";
import { ExpiryScheduler } from "../lib/feedback/expiry.ts";
import { FeedbackService } from "../lib/feedback/service.ts";
import type { Logger } from "../lib/log.ts";
import { createServices } from "../lib/services.ts";
import { WatchHub } from "../lib/watch_hub.ts";
import { errorPage } from "../routes/_404.tsx";
import { TEST_SECRET, testConfig } from "./_helpers.ts";
import { TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

const ROOT = new URL("../", import.meta.url);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `main.ts` in a child process; every byte it writes to stdout and stderr is kept. */
class ServiceProcess {
  output = "";
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<void>[];

  constructor(env: Record<string, string>) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts"],
      cwd: ROOT,
      // Only what the test sets (and what Deno itself needs): no variable of the runner's leaks in.
      clearEnv: true,
      env: {
        ...Object.fromEntries(
          ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((name) => {
            const value = Deno.env.get(name);
            return value === undefined ? [] : [[name, value]];
          }),
        ),
        ...env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = [this.#child.stdout, this.#child.stderr].map(async (stream) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this.output += text;
    });
  }

  /** The port from the `listening` line. */
  async port(): Promise<number> {
    let port = 0;
    await eventually(
      () => {
        const line = this.output.split("\n").find((l) => l.includes('"message":"listening"'));
        if (line) port = JSON.parse(line).port;
        return port > 0;
      },
      { what: "the listening line", timeoutMs: 30_000 },
    );
    return port;
  }

  /** SIGTERM (the graceful shutdown), then the rest of the output. */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* it already exited: its status and output say why */ }
    const status = await this.#child.status;
    await Promise.all(this.#pumps);
    return status;
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("a whole run of the service at debug level logs no session id, token or owner name", async () => {
  const secret = `log-redaction-secret-${crypto.randomUUID()}`;
  const owner = `owner-secret-name-${crypto.randomUUID().slice(0, 8)}`;
  const otherOwner = `owner-secret-other-${crypto.randomUUID().slice(0, 8)}`;
  const token = await signToken(secret, { subject: owner, ttl: 3600 });
  const otherToken = await signToken(secret, { subject: otherOwner, ttl: 3600 });
  const forged = await signToken(`${secret}-wrong`, { subject: owner, ttl: 3600 });
  const kvDir = await Deno.makeTempDir({ prefix: "log_redaction_" });
  const service = new ServiceProcess({
    NO_COLOR: "1",
    JWT_SECRET: secret,
    KV_PATH: `${kvDir}/feedback.kv`,
    LOG_LEVEL: "debug",
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    FEEDBACK_MIN_TIMEOUT: "1",
    EXPIRY_SWEEP_INTERVAL: "1",
  });
  /** Every value that must not appear in the log. */
  const secrets = new Set<string>([secret, token, otherToken, forged, owner, otherOwner]);
  let status: Deno.CommandStatus | undefined;
  try {
    const origin = `http://127.0.0.1:${await service.port()}`;
    const wsOrigin = origin.replace(/^http/, "ws");
    const call = async (
      path: string,
      init: RequestInit & { bearer?: string } = {},
    ): Promise<{ status: number; body: Json }> => {
      const headers = new Headers(init.headers);
      if (init.bearer) headers.set("Authorization", `Bearer ${init.bearer}`);
      if (typeof init.body === "string" && !headers.has("Content-Type")) {
        headers.set("Content-Type", "application/json");
      }
      const res = await fetch(`${origin}${path}`, { ...init, headers });
      const text = await res.text();
      let body: Json = text;
      try {
        body = JSON.parse(text);
      } catch { /* a page */ }
      return { status: res.status, body };
    };
    const create = async (body: Record<string, unknown> = {}) => {
      const res = await call("/api/feedback/create", {
        method: "POST",
        bearer: token,
        body: JSON.stringify({ message: "Ship it?", predefinedOptions: ["Yes", "No"], ...body }),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      secrets.add(res.body.data.sessionId);
      return res.body.data.sessionId as string;
    };

    // The REST API, happy paths.
    const [answered, formAnswered, cancelled, watched] = [
      await create(),
      await create(),
      await create(),
      await create(),
    ];
    assert.equal((await call(`/api/feedback/${answered}/status`, { bearer: token })).status, 200);
    const waiting = call(`/api/feedback/${answered}/result?wait=5`, { bearer: token });
    assert.equal(
      (await call(`/api/feedback/${answered}/submit`, {
        method: "POST",
        body: JSON.stringify({ selectedOptions: ["Yes"], freeText: "fine" }),
      })).status,
      200,
    );
    assert.equal((await waiting).status, 200);
    const page = await call(`/api/feedback/list?limit=1`, { bearer: token });
    assert.equal(page.status, 200);
    assert.ok(page.body.data.cursor);
    secrets.add(page.body.data.cursor);
    const cursor = encodeURIComponent(page.body.data.cursor);
    assert.equal(
      (await call(`/api/feedback/list?limit=1&cursor=${cursor}`, { bearer: token })).status,
      200,
    );
    assert.equal(
      (await call(`/api/feedback/${cancelled}/cancel`, { method: "POST", bearer: token })).status,
      200,
    );

    // The pages, the no-JS form, and error paths.
    assert.equal((await call(`/feedback/${formAnswered}?lang=zh&token=${token}`)).status, 200);
    assert.equal(
      (await call(`/feedback/${formAnswered}`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "selectedOptions=No&freeText=from+the+form",
      })).status,
      200,
    );
    const unknown = crypto.randomUUID();
    secrets.add(unknown);
    assert.equal((await call(`/feedback/${unknown}`)).status, 404);
    assert.equal((await call(`/feedback/${unknown.toUpperCase()}`)).status, 404);
    assert.equal((await call(`/api/feedback/${unknown}/status`, { bearer: token })).status, 404);
    assert.equal(
      (await call(`/api/feedback/${answered}/status`, { bearer: otherToken })).status,
      404,
    );
    assert.equal((await call(`/api/feedback/${answered}/status`, { bearer: forged })).status, 401);
    assert.equal(
      (await call(`/api/feedback/${answered}/submit`, { method: "POST", body: "{" })).status,
      400,
    );
    assert.equal(
      (await call(`/api/feedback/${cancelled}/submit`, {
        method: "POST",
        body: '{"freeText":"x"}',
      })).status,
      410,
    );
    // A token pasted into a path (a malformed path, as far as the service can tell).
    assert.equal((await call(`/api/feedback/${token}/status`, { bearer: token })).status, 400);
    assert.equal((await call(`/feedback/${token}`)).status, 404);
    assert.equal((await call(`/feedback/${answered}x`)).status, 404);
    assert.equal(
      (await call(`/api/feedback/create`, { method: "POST", bearer: token, body: "{" })).status,
      400,
    );

    // WebSocket: a session socket (with the owner's token), the owner stream, refusals.
    const viewer = await TestClient.connect(`${wsOrigin}/ws/${watched}?token=${token}`);
    const stream = await TestClient.connect(`${wsOrigin}/ws?token=${token}`);
    viewer.send({ type: "ping" });
    await viewer.next("pong");
    viewer.send("{not json");
    await viewer.next("error");
    await viewer.close();
    await stream.close();
    await assert.rejects(TestClient.open(`${wsOrigin}/ws/${watched}?token=${forged}`));
    await assert.rejects(TestClient.open(`${wsOrigin}/ws/${unknown}`));
    await assert.rejects(TestClient.open(`${wsOrigin}/ws?apiKey=${forged}`));

    // MCP: a tool call, a tool error about an unknown session, and a malformed message.
    const mcp = (body: unknown, bearer = token) =>
      call("/mcp", {
        method: "POST",
        bearer,
        headers: { Accept: "application/json, text/event-stream" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    const tool = (name: string, args: Record<string, unknown>) =>
      mcp({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } });
    assert.equal((await tool("check_feedback_status", { sessionId: watched })).status, 200);
    assert.equal((await tool("get_feedback_result", { sessionId: unknown })).status, 200);
    const viaMcp = await tool("interactive_feedback", { message: "Via MCP?" });
    assert.equal(viaMcp.status, 200);
    for (const id of JSON.stringify(viaMcp.body).match(UUID) ?? []) secrets.add(id);
    await mcp(`{"jsonrpc":"2.0","id":2,"method":42,"params":{"sessionId":"${watched}"}}`);
    await mcp(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"token":"${token}"`);
    assert.equal((await mcp({ jsonrpc: "2.0", id: 4, method: "tools/list" }, forged)).status, 401);

    // Expiry through the sweep (nobody watches this session).
    const expiring = await create({ timeout: 1 });
    await eventually(async () => {
      const res = await call(`/api/feedback/${expiring}/status`, { bearer: token });
      return res.body.data?.status === "expired";
    }, "the sweep expires the session");

    // Shutdown with a socket open and a wait in progress: both are ended by the service.
    const open = await TestClient.connect(`${wsOrigin}/ws/${watched}`);
    const held = call(`/api/feedback/${watched}/result?wait=30`, { bearer: token });
    await eventually(() => service.output.includes("websocket opened"), "the socket is logged");
    status = await service.stop();
    assert.equal((await open.closed).code, 1012);
    await held;
  } finally {
    status ??= await service.stop();
    await Deno.remove(kvDir, { recursive: true });
  }

  const log = service.output;
  assert.equal(status.code, 0, log);
  const lines = log.split("\n").filter((line) => line.trim());
  assert.ok(lines.length > 30, `the run logged (${lines.length} lines)`);
  const leaks = [...secrets].filter((value) => log.toLowerCase().includes(value.toLowerCase()));
  assert.deepEqual(
    leaks.map((value) => value.slice(0, 24)),
    [],
    `the log leaks:\n${
      lines.filter((line) => leaks.some((v) => line.toLowerCase().includes(v.toLowerCase())))
        .join("\n")
    }`,
  );
  assert.ok(log.includes('"level":"debug"'), "debug lines are part of the run");
  assert.ok(log.includes('"path":"/feedback/:id"'), "ids are shown redacted");
  assert.ok(log.includes(":token"), "a token in a path is shown redacted");
  assert.ok(log.includes("websocket opened") && log.includes("websocket closed"));
  assert.deepEqual(log.match(UUID) ?? [], [], "no UUID of any kind reaches the log");
});

/** A logger that keeps each call's raw message and fields, before any redaction. */
function recordingLogger(): { log: Logger; text: () => string; count: () => number } {
  const lines: unknown[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, ...fields });
  return {
    log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    text: () => JSON.stringify(lines),
    count: () => lines.length,
  };
}

Deno.test("a failing KV watch is logged with its key's kind, not the owner or session in it", async () => {
  using kv = await Deno.openKv(":memory:");
  const owner = `owner-secret-name-${crypto.randomUUID().slice(0, 8)}`;
  const id = crypto.randomUUID();
  // The real KV, except that every watch stream fails at once (as when a remote KV drops).
  const broken = new Proxy(kv, {
    get(target, property) {
      if (property === "watch") {
        return () => new ReadableStream({ pull: (c) => c.error(new Error("connection lost")) });
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const { log, text, count } = recordingLogger();
  const hub = new WatchHub(broken, { log, retryDelayMs: 5 });
  const feedback = new FeedbackService({
    kv: broken,
    limits: testConfig().feedback,
    hub,
    cursorSecret: TEST_SECRET,
  });
  const stops = [feedback.watchOwner(owner, () => {}), feedback.watchSession(id, () => {})];
  await eventually(() => count() >= 4, "the failures are logged");
  stops.forEach((stop) => stop());
  hub.close();
  assert.ok(!text().includes(owner), text());
  assert.ok(!text().includes(id), text());
  assert.ok(text().includes(String.raw`[\"feedback\",\"session\",\":id\"]`), text());
});

Deno.test("an expiry timer that fails is logged without the session id", async () => {
  const kv = await Deno.openKv(":memory:");
  const config = testConfig();
  const hub = new WatchHub(kv);
  const feedback = new FeedbackService({
    kv,
    limits: config.feedback,
    hub,
    cursorSecret: TEST_SECRET,
  });
  const { log, text, count } = recordingLogger();
  const expiry = new ExpiryScheduler(feedback, { sweepIntervalMs: 60_000, log });
  const id = crypto.randomUUID();
  kv.close(); // the timer's read now fails with something other than "not found"
  expiry.watch(id, Date.now());
  await eventually(() => count() >= 1, "the failure is logged");
  await expiry.close();
  hub.close();
  assert.match(text(), /expiry timer failed/);
  assert.ok(!text().includes(id), text());
});

Deno.test("a page that fails is logged with its path redacted", async () => {
  using kv = await Deno.openKv(":memory:");
  const { log, text } = recordingLogger();
  const services = createServices(testConfig(), kv, { log });
  const app = new Hono();
  app.onError((error, c) => errorPage(c, services, { error }));
  app.get("/feedback/:id", () => {
    throw new Error("boom");
  });
  const id = crypto.randomUUID();
  const res = await app.request(`/feedback/${id}`);
  assert.equal(res.status, 500);
  await res.body?.cancel();
  await services.expiry.close();
  services.hub.close();
  assert.match(text(), /page failed/);
  assert.match(text(), /\/feedback\/:id/);
  assert.ok(!text().includes(id), text());
});

Deno.test("the write-contention error names no session", async () => {
  using kv = await Deno.openKv(":memory:");
  const { feedback: limits } = testConfig();
  const hub = new WatchHub(kv);
  const service = new FeedbackService({ kv, limits, hub, cursorSecret: TEST_SECRET });
  const session = await service.create("owner", { message: "Ship it?" });
  // The real KV, except that every atomic commit loses its race.
  const contended = new Proxy(kv, {
    get(target, property) {
      if (property === "atomic") {
        return () => {
          const op = target.atomic();
          op.commit = () => Promise.resolve({ ok: false as const });
          return op;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const feedback = new FeedbackService({ kv: contended, limits, hub, cursorSecret: TEST_SECRET });
  const error = await feedback.submit(session.id, { freeText: "x" }).catch((e) => e);
  hub.close();
  assert.match(String(error?.message), /contention/);
  assert.ok(!String(error.message).includes(session.id), error.message);
});
