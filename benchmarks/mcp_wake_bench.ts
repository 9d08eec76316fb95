/**
 * "Submit → waiting agent woken": how long after a human's answer is submitted does an agent
 * blocked in `get_feedback_result` (wait) get it back, through a real MCP SDK client over HTTP?
 * Measured from the moment the REST submit request is sent to the moment `callTool` resolves.
 * Two rows, trials interleaved so both see the same machine: the v1 SDK client (protocol
 * 2025-11-25) and the v2 client pinned to 2026-07-28.
 *
 * Baseline, in the same run: the upstream tool's 2-second KV polling loop, measured from the
 * submit to the poll that sees the answer (fewer trials, since each costs up to 2 s).
 */
import { BENCH_ENV } from "./_env.ts";
import { createApp } from "../app.ts";
import { signToken } from "../lib/auth/jwt.ts";
import { loadConfig } from "../lib/config.ts";
import type { FeedbackService } from "../lib/feedback/service.ts";
import { createLogger } from "../lib/log.ts";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createServices, type Services } from "../lib/services.ts";

const TRIALS = Number(Deno.env.get("MCP_WAKE_TRIALS") ?? 300);
const WARMUP = 20;
const POLL_TRIALS = Number(Deno.env.get("MCP_POLL_TRIALS") ?? 20);
const POLL_INTERVAL_MS = 2000;
const TARGET_P99_MS = 20;

const secret = crypto.randomUUID() + crypto.randomUUID();
const config = loadConfig({ ...BENCH_ENV, JWT_SECRET: secret, LOG_LEVEL: "silent", PORT: "0" });
const kv = await Deno.openKv(":memory:");
const services = createServices(config, kv, { log: createLogger("silent") });
const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  createApp(services).fetch,
);
const origin = `http://127.0.0.1:${server.addr.port}`;
const owner = "bench";
const token = await signToken(secret, { subject: owner, ttl: 3600 });

const mcpUrl = new URL(`${origin}/mcp`);
const requestInit = { headers: { Authorization: `Bearer ${token}` } };
const legacy = new LegacyClient({ name: "wake-bench-v1", version: "1.0.0" });
await legacy.connect(new LegacyTransport(mcpUrl, { requestInit }));
const modern = new ModernClient({ name: "wake-bench-v2", version: "2.0.0" }, {
  versionNegotiation: { mode: { pin: "2026-07-28" } },
});
await modern.connect(new ModernTransport(mcpUrl, { requestInit }));

/** What a trial needs of a client: both SDKs' `callTool` take the same first argument. */
interface WakeClient {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}
const rows: { label: string; client: WakeClient; woken: number[] }[] = [
  { label: "v1 SDK client, protocol 2025-11-25", client: legacy, woken: [] },
  { label: "v2 SDK client, protocol 2026-07-28", client: modern, woken: [] },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function submit(id: string): Promise<void> {
  const res = await fetch(`${origin}/api/feedback/${id}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ freeText: "yes" }),
  });
  if (res.status !== 200) throw new Error(`submit failed: ${res.status}`);
  await res.body?.cancel();
}

/**
 * Until the agent waits and its key's `kv.watch` stream has started. A busy hub may hold a new key
 * for up to 20 ms to fill a stream (`WatchHub` batching); trials come faster than that, and a human
 * never answers within 20 ms of the question's wait starting, so the wake is measured from there.
 */
async function untilWaiting(s: Services): Promise<void> {
  while (s.hub.stats().listeners === 0 || s.hub.streamStats().forming > 0) await sleep(1);
}

/** One trial through MCP: milliseconds from sending the submit to the agent holding the answer. */
async function mcpTrial(client: WakeClient): Promise<number> {
  const session = await services.feedback.create(owner, { message: "Ship it?" });
  let wokenAt = 0;
  const call = client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId: session.id, wait: 30 },
  }).then((result) => {
    wokenAt = performance.now();
    return result;
  });
  await untilWaiting(services);
  const sentAt = performance.now();
  await submit(session.id);
  const result = await call;
  const status = (result as { structuredContent?: { status?: string } }).structuredContent?.status;
  if (status !== "completed") throw new Error(`unexpected result: ${JSON.stringify(result)}`);
  return wokenAt - sentAt;
}

/** One trial of the upstream design: a loop reading the session from KV every 2 s. */
async function pollingTrial(feedback: FeedbackService): Promise<number> {
  const session = await feedback.create(owner, { message: "Ship it?" });
  const poller = (async () => {
    while (true) {
      const current = await feedback.get(session.id);
      if (current.status === "completed") return performance.now();
      await sleep(POLL_INTERVAL_MS);
    }
  })();
  // The answer lands at a random point of the polling cycle, as a human's would.
  await sleep(Math.random() * POLL_INTERVAL_MS);
  const sentAt = performance.now();
  await submit(session.id);
  return (await poller) - sentAt;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const f = (n: number) => `${n.toFixed(2)} ms`;
  return `p50 ${f(at(0.5))}  p90 ${f(at(0.9))}  p99 ${f(at(0.99))}  max ${
    f(sorted[sorted.length - 1])
  }  mean ${f(mean)}`;
}

try {
  for (let i = 0; i < WARMUP; i++) for (const row of rows) await mcpTrial(row.client);
  for (let i = 0; i < TRIALS; i++) {
    for (const row of rows) row.woken.push(await mcpTrial(row.client));
  }
  const polled: number[] = [];
  for (let i = 0; i < POLL_TRIALS; i++) polled.push(await pollingTrial(services.feedback));

  console.log(
    `submit -> waiting agent woken, MCP get_feedback_result(wait) over HTTP, KV watch (${TRIALS} trials per row, interleaved, ${WARMUP} warm-up):`,
  );
  for (const { label, woken } of rows) console.log(`  ${label}: ${summary(woken)}`);
  console.log(
    `baseline: 2 s KV polling loop as upstream, same submit path (${POLL_TRIALS} trials, answer at a random point of the cycle):`,
  );
  console.log(`  ${summary(polled)}`);
  for (const { label, woken } of rows) {
    const p99 = [...woken].sort((a, b) => a - b)[Math.ceil(0.99 * woken.length) - 1];
    console.log(
      `target p99 < ${TARGET_P99_MS} ms, ${label}: ${p99 < TARGET_P99_MS ? "met" : "NOT met"} (${
        p99.toFixed(2)
      } ms)`,
    );
  }
} finally {
  await legacy.close();
  await modern.close();
  await server.shutdown();
  services.hub.close();
  kv.close();
}
