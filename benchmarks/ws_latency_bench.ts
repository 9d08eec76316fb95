/**
 * Submit → WebSocket message latency, with 1, 100 and 1,000 sessions watched (one socket and one
 * `kv.watch` each), on the real composition (`startServer`, in-memory KV, loopback HTTP).
 * Each sample opens a socket on a fresh session, POSTs an answer over HTTP and times the
 * `feedback_submitted` message. Baselines measured in the same run: `kv.set` → `kv.watch` on
 * the same KV, and the submit's own HTTP round trip.
 *
 * Run: `deno task bench ws_latency` (SAMPLES=n to change the sample count).
 */
import { BENCH_ENV } from "./_env.ts";
import { startServer } from "../main.ts";

const SAMPLES = Number(Deno.env.get("SAMPLES") ?? 200);
const SECRET = "bench-secret-bench-secret-bench-secret-0123";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(label: string, values: number[]): string {
  const s = values.toSorted((a, b) => a - b);
  const f = (n: number) => n.toFixed(2).padStart(7);
  return `${label.padEnd(48)} p50 ${f(percentile(s, 50))} ms  p99 ${f(percentile(s, 99))} ms  max ${
    f(s[s.length - 1])
  } ms  (n=${s.length})`;
}

/** Opens a socket and resolves once `connection_established` arrived. */
function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onmessage = (event) => {
      if (JSON.parse(event.data).type === "connection_established") {
        socket.onmessage = null;
        resolve(socket);
      }
    };
    socket.onerror = () => reject(new Error("socket failed"));
  });
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.addEventListener("close", () => resolve(), { once: true });
    socket.close();
  });
}

const running = await startServer({
  ...BENCH_ENV,
  JWT_SECRET: SECRET,
  PORT: "0",
  HOSTNAME: "127.0.0.1",
  KV_PATH: ":memory:",
  LOG_LEVEL: "error",
  WS_MAX_SOCKETS: "5000",
});
const { services } = running;
const origin = `http://127.0.0.1:${running.server.addr.port}`;
const wsOrigin = origin.replace("http", "ws");
const owner = "bench-owner";

console.log(`submit → WebSocket latency, ${SAMPLES} samples per row, one process, loopback`);

// Baseline 1: the floor set by KV itself.
{
  const key = ["bench", "baseline"];
  const reader = services.kv.watch([key]).getReader();
  await reader.read(); // the current value
  const values: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await services.kv.set(key, i);
    await reader.read();
    values.push(performance.now() - t0);
  }
  await reader.cancel();
  console.log(summary("baseline: kv.set → kv.watch", values));
}

const background: WebSocket[] = [];
for (const watched of [1, 100, 1000]) {
  // Keep `watched - 1` other sessions watched while each sample adds its own.
  while (background.length < watched - 1) {
    const batch = Math.min(100, watched - 1 - background.length);
    const sessions = await Promise.all(
      Array.from({ length: batch }, () => services.feedback.create(owner, { message: "idle" })),
    );
    background.push(...await Promise.all(sessions.map((s) => connect(`${wsOrigin}/ws/${s.id}`))));
  }
  const latency: number[] = [];
  const roundTrip: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const session = await services.feedback.create(owner, {
      message: "bench",
      predefinedOptions: ["Yes"],
    });
    const socket = await connect(`${wsOrigin}/ws/${session.id}`);
    const heard = new Promise<number>((resolve) => {
      socket.onmessage = (event) => {
        if (JSON.parse(event.data).type === "feedback_submitted") resolve(performance.now());
      };
    });
    const t0 = performance.now();
    const res = await fetch(`${origin}/api/feedback/${session.id}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ selectedOptions: ["Yes"] }),
    });
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`submit failed: ${res.status}`);
    const t1 = performance.now();
    latency.push(await heard - t0);
    roundTrip.push(t1 - t0);
    await closed(socket);
  }
  const stats = services.hub.stats();
  console.log(summary(`${watched} watched: submit POST → feedback_submitted`, latency));
  console.log(summary(`${watched} watched: submit POST round trip`, roundTrip));
  console.log(
    `  (hub: ${stats.watches} watches, ${services.sockets.stats().sockets} sockets open)`,
  );
}

await Promise.all(background.map(closed));
await running.shutdown();
