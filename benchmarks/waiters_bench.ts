/**
 * How many waiting agents one instance holds. The real service (`main.ts`'s `startServer`, the
 * code `deno task start` runs) runs in its own process; this process is the load. It opens WAITERS
 * concurrent waits on as many distinct sessions: REST `GET /api/feedback/{id}/result?wait=55`
 * long-polls first, then MCP `get_feedback_result` calls (raw JSON-RPC over HTTP with the
 * 2025-11-25 headers and no SDK, so the figures do not depend on a client library or on which SDK
 * the server uses; sent with `node:http`, which holds a request in a fifth of `fetch`'s memory).
 * While they wait it reads the server's RSS and CPU from `/proc`, then answers a random sample
 * spread over time and measures submit → that waiter woken (with the server's garbage collections
 * in that window, from its `--trace-gc` output), and finally sends SIGTERM and times the release
 * of every wait.
 *
 * Baselines, same run: a bare `Deno.serve` holding as many requests (what any Deno server pays
 * per open request), the service with its sessions stored and nothing waiting, and the same wake
 * measured with one waiter open at a time.
 *
 * Limits: everything at its default (rate limits on, OWNER_MAX_WAITS=100, OWNER_MAX_PENDING=200,
 * MCP_MAX_WAIT=45), set explicitly below and printed; the waits are spread over ⌈WAITERS/100⌉
 * owners so no owner passes its wait cap, and each submit names its own client address through
 * `X-Forwarded-For` (TRUST_PROXY=1), as humans answering from their own machines would. A wait
 * that runs out (45 s MCP, 55 s REST) is opened again, as an agent would.
 *
 * Run: `deno task bench waiters`. Environment: WAITERS (default 10000), MCP_SHARE (share of MCP
 * waits, default 0.5), SAMPLE (answered waits, default 500, so that p99 is not one sample),
 * SAMPLE_SPREAD_MS (over how long, default 20000), BASELINE (one-waiter trials, default 40),
 * MCP_MAX_WAIT (default 45; 240 keeps MCP calls from running out while a slow machine is still
 * opening the rest), BENCH_KV (`file`, default: a fresh KV file in a temporary directory, as
 * `deno task start` opens `KV_PATH`; `memory`: `:memory:`, whose every value counts in the server's
 * RSS; `KV` is read as before when BENCH_KV is unset),
 * SERVER_V8_FLAGS (comma-separated, e.g. `--no-memory-reducer`; default: the `--v8-flags` of
 * `deno task start`, none if it has none; `--trace-gc` is always added) with SERVER_OUTPUT (a file
 * for the server's output). Needs one file descriptor per wait in each process: Deno raises its soft
 * `ulimit -n` to the hard limit, and the server is started under `ulimit -n 65536` where that is
 * permitted; both limits are printed.
 */
import { Agent, request as httpRequest } from "node:http";
import { signToken } from "../lib/auth/jwt.ts";
import { peakRssMb, rssMb } from "./_server.ts";

const WAITERS = Number(Deno.env.get("WAITERS") ?? 10_000);
const MCP_SHARE = Number(Deno.env.get("MCP_SHARE") ?? 0.5);
const SAMPLE = Number(Deno.env.get("SAMPLE") ?? 500);
const SAMPLE_SPREAD_MS = Number(Deno.env.get("SAMPLE_SPREAD_MS") ?? 20_000);
const BASELINE = Number(Deno.env.get("BASELINE") ?? 40);
/** Where the server's KV lives: a file by default, as deployed; `memory` for the old figures. */
const KV = (Deno.env.get("BENCH_KV") ?? Deno.env.get("KV")) === "memory" ? "memory" : "file";
/** Waits opened at once before the server is asked how many it holds. */
const OPEN_BATCH = 500;
/** Sessions and waits per owner: the default OWNER_MAX_WAITS. */
const PER_OWNER = 100;
const REST_WAIT_SECONDS = 55;
/** MCP_MAX_WAIT and each call's `wait`: the default 45 s, up to 240 to hold without re-polls. */
const MCP_WAIT_SECONDS = Number(Deno.env.get("MCP_MAX_WAIT") ?? 45);
const HOLD_WINDOW_MS = 5000;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 600;
/** MCP protocol revision the raw calls speak (either SDK generation answers it). */
const MCP_PROTOCOL = "2025-11-25";

/**
 * The V8 flags of the service: SERVER_V8_FLAGS, or else those `deno task start` passes
 * (`--v8-flags=…` in deno.json), so that the figures are those of the service as it is started.
 * The bare baseline server runs without any.
 */
const SERVER_V8_FLAGS = Deno.env.get("SERVER_V8_FLAGS") ?? startTaskV8Flags();
/** Added to the service's flags: the benchmark reads V8's log of collections from its output. */
const TRACE_GC = "--trace-gc";

function startTaskV8Flags(): string {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  return /--v8-flags=(\S+)/.exec(config.tasks?.start ?? "")?.[1] ?? "";
}

/**
 * The service's settings for this benchmark, all at their documented defaults and set here so
 * the output can state them; TRUST_PROXY lets each submit name its own address.
 */
const SERVER_ENV = {
  RATE_LIMIT_CREATE: "100",
  RATE_LIMIT_READ: "1000",
  RATE_LIMIT_SUBMIT: "10",
  RATE_LIMIT_PAGE: "100",
  OWNER_MAX_PENDING: "200",
  OWNER_MAX_WAITS: String(PER_OWNER),
  OWNER_MAX_SOCKETS: "100",
  MCP_MAX_WAIT: String(MCP_WAIT_SECONDS),
  TRUST_PROXY: "1",
} as const;

type Kind = "rest" | "mcp";

/** A session the server made, with its owner's index. */
interface Seat {
  id: string;
  owner: number;
}

/** What a server child announces on stdout, on a line of its own. */
interface Announcement {
  port: number;
  /** The side port with counters (the service only). */
  statsPort?: number;
  owners?: string[];
  /** Sessions to wait on; `baseline` ones are for the one-waiter trials. */
  sessions?: Seat[];
  baseline?: Seat[];
}

/** The service's counters, from its side port. */
interface ServerStats {
  /** Keys watched for a listener. */
  watches: number;
  /** `kv.watch` streams open (each over up to ten keys). */
  streams: number;
  listeners: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** The longest event-loop stall since the previous read, in ms. */
  stallMs: number;
  /** The server's `performance.now()`, the clock of V8's `--trace-gc` lines. */
  nowMs: number;
}

/**
 * Tracks the longest event-loop stall (a 10 ms tick arriving late): tells which process held up
 * a slow wake, the server or the load. `take()` returns it and starts again.
 */
function stallMonitor(): { take: () => number } {
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 10);
    last = now;
  }, 10);
  Deno.unrefTimer(timer);
  return {
    take() {
      const value = longest;
      longest = 0;
      return value;
    },
  };
}

/** What V8's `--trace-gc` lines say about the collections in a window of the server's clock. */
interface Collections {
  majors: number;
  /** Main-thread marking steps before each full collection's final pause, summed. */
  markingMs: number;
  majorPauseMs: number;
  scavenges: number;
  longestScavengeMs: number;
}

/**
 * Reads the collections that ended between `fromMs` and `toMs` from V8's `--trace-gc` output,
 * lines like `[pid:0x…]  21320 ms: Incremental Mark-Compact 320.9 (363.1) -> 242.6 (362.5) MB,
 * pooled: 0.0 MB, 18.84 / 0.00 ms (+ 283.5 ms in 50 steps since start of marking, …`. V8 counts
 * from the isolate's start, a few milliseconds from `performance.now()`'s origin.
 */
function collectionsBetween(output: string, fromMs: number, toMs: number): Collections {
  const found: Collections = {
    majors: 0,
    markingMs: 0,
    majorPauseMs: 0,
    scavenges: 0,
    longestScavengeMs: 0,
  };
  const line =
    /\s(\d+) ms: (Scavenge|[\w ]*Mark-Compact)\b[^\n]*? MB, ([\d.]+) \/ [\d.]+ ms(?: \(\+ ([\d.]+) ms in \d+ steps)?/g;
  for (const [, at, kind, pause, marking] of output.matchAll(line)) {
    if (Number(at) < fromMs || Number(at) > toMs) continue;
    if (kind === "Scavenge") {
      found.scavenges++;
      found.longestScavengeMs = Math.max(found.longestScavengeMs, Number(pause));
    } else {
      found.majors++;
      found.majorPauseMs += Number(pause);
      found.markingMs += Number(marking ?? 0);
    }
  }
  return found;
}

/** An answer as the load reads it. */
interface LoadAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * Connections of the load's waits and submits: kept alive, as many as needed. The load holds ten
 * thousand requests at once, and `node:http` holds one in ~19 KB where `fetch` takes ~83 KB: with
 * `fetch` the load process grew to 1 GB and its own garbage collection held up the wakes it timed.
 */
const loadAgent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** One request of the load, read to its end. */
function loadRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<LoadAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: init.method ?? "GET",
      headers: init.headers,
      agent: loadAgent,
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => text += chunk);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers["content-type"] ?? ""),
          text,
        }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

// ---------------------------------------------------------------------------------------------
// The server children

/**
 * The service child: the real service started as `main.ts` starts it, `sessions` + `baseline`
 * pending sessions over owners of {@link PER_OWNER}, and a side port with counters.
 */
async function serveService(sessions: number, baseline: number) {
  const { startServer } = await import("../main.ts");
  const running = await startServer(Deno.env.toObject());
  const { services } = running;
  const ownerCount = Math.max(1, Math.ceil(sessions / PER_OWNER));
  const owners = Array.from({ length: ownerCount }, (_, i) => `bench-${i}`);
  const create = async (n: number, offset: number) => {
    const made: Seat[] = [];
    for (let start = 0; start < n; start += 100) {
      const batch = Array.from({ length: Math.min(100, n - start) }, (_, k) => {
        const owner = (offset + start + k) % ownerCount;
        return services.feedback.create(owners[owner], { message: "Ship it?", timeout: 3600 })
          .then((s) => ({ id: s.id, owner }));
      });
      made.push(...await Promise.all(batch));
    }
    return made;
  };
  const made = await create(sessions, 0);
  const extra = await create(baseline, sessions);
  // Bench-only counters on a port of their own; the app itself has no such route.
  const stalls = stallMonitor();
  const stats = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    const memory = Deno.memoryUsage();
    return Response.json(
      {
        ...services.hub.stats(),
        streams: services.hub.streamStats().streams,
        heapUsedMb: memory.heapUsed / 2 ** 20,
        heapTotalMb: memory.heapTotal / 2 ** 20,
        stallMs: stalls.take(),
        nowMs: performance.now(),
      } satisfies ServerStats,
    );
  });
  Deno.addSignalListener("SIGTERM", async () => {
    const t0 = performance.now();
    await running.shutdown();
    const shutdownMs = performance.now() - t0;
    await stats.shutdown();
    console.error(JSON.stringify({ shutdownMs }));
    Deno.exit(0);
  });
  const announcement: Announcement = {
    port: running.server.addr.port,
    statsPort: stats.addr.port,
    owners,
    sessions: made,
    baseline: extra,
  };
  console.log(JSON.stringify(announcement));
}

/** The bare child: a `Deno.serve` that holds every request until its client goes away. */
function serveBare() {
  let held = 0;
  Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => console.log(JSON.stringify({ port } satisfies Announcement)),
  }, async (request) => {
    if (new URL(request.url).pathname === "/held") return new Response(String(held));
    held++;
    await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
    return new Response("ok");
  });
}

/**
 * Runs this file as a server child under a raised `ulimit -n` and reads its announcement. The
 * child's output is read to its end (a pipe left full would stall it) and kept.
 */
async function spawnChild(args: string[], env: Record<string, string>, v8Flags = "") {
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'ulimit -n 65536 2>/dev/null; exec "$0" "$@"',
      Deno.execPath(),
      "run",
      "-A",
      ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
      new URL(import.meta.url).pathname,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines())
    .getReader();
  let announced: Announcement | undefined;
  const output: string[] = [];
  while (!announced) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${await stderr}`);
    // V8's own output (--trace-gc) is buffered apart from ours and may share a line with it.
    const at = value.indexOf('{"port"');
    if (at >= 0) announced = JSON.parse(value.slice(at)) as Announcement;
    else output.push(value);
  }
  const rest = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) output.push(r.value);
    return output.join("\n");
  })();
  return { child, stderr, output: rest, announced };
}

/** A stream of text chunks as a stream of lines. */
function splitLines(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) controller.enqueue(line);
    },
    flush(controller) {
      if (buffer) controller.enqueue(buffer);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Reading processes

/** `Max open files` (soft) of process `pid`. */
function fdLimit(pid: number | "self"): number {
  const line = Deno.readTextFileSync(`/proc/${pid}/limits`).split("\n")
    .find((l) => l.startsWith("Max open files"));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

/** CPU seconds (user + system) process `pid` has used, from `/proc/<pid>/stat`. */
function cpuSeconds(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine, for the report: CPU model, cores, and the load average now. */
function machine(): string {
  const model = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1];
  return `${navigator.hardwareConcurrency} × ${model ?? "unknown CPU"}, ${
    Math.round(Deno.systemMemoryInfo().total / 2 ** 30)
  } GB`;
}

function loadAverage(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `items` in a uniformly random order (Fisher–Yates). Sorting with a random comparator is not:
 * V8's sort leaves most items near where they were, so a sample of the first 200 of 10,000 waits
 * (REST first, then MCP) once held 199 REST waits and one MCP call.
 */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function percentile(samples: number[], q: number): number {
  const sorted = samples.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function summary(samples: number[]): string {
  if (samples.length === 0) return "no samples";
  const f = (n: number) => `${n.toFixed(1)} ms`;
  return `p50 ${f(percentile(samples, 0.5))}  p99 ${f(percentile(samples, 0.99))}  max ${
    f(Math.max(...samples))
  }  (n=${samples.length})`;
}

/** Wait `i`'s kind: the first MCP_SHARE of them are MCP calls, opened after the REST ones. */
function kindOf(i: number, total: number): Kind {
  return i >= Math.round(total * (1 - MCP_SHARE)) ? "mcp" : "rest";
}

// ---------------------------------------------------------------------------------------------
// The load

/** One waiting agent: its wait, opened again whenever it runs out, until it gets an answer. */
interface Waiter {
  id: string;
  kind: Kind;
  token: string;
  /** When the final answer arrived (performance.now()). */
  endedAt?: number;
  /** The status the final answer carried, or `error: …`. */
  outcome?: string;
  reopens: number;
  done: Promise<void>;
}

/** Opens `count` held requests on a bare `Deno.serve`: what any Deno server pays per request. */
async function measureBare(count: number) {
  const { child, announced } = await spawnChild(["--bare"], {});
  const pid = child.pid;
  const origin = `http://127.0.0.1:${announced.port}`;
  const held = async () => Number(await (await fetch(`${origin}/held`)).text());
  await sleep(300);
  const rss0 = rssMb(pid), cpu0 = cpuSeconds(pid);
  const aborts = new AbortController();
  const requests: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += OPEN_BATCH) {
    for (let i = start; i < Math.min(count, start + OPEN_BATCH); i++) {
      requests.push(fetch(`${origin}/?i=${i}`, { signal: aborts.signal }).catch(() => {}));
    }
    while (await held() < requests.length) await sleep(20);
  }
  await sleep(1000);
  const rss = rssMb(pid);
  const cpuMs = (cpuSeconds(pid) - cpu0) * 1000 / count;
  child.kill("SIGKILL");
  aborts.abort();
  await Promise.all(requests);
  await child.status;
  return { rss0, rss, perKb: (rss - rss0) * 1024 / count, cpuMs };
}

async function measure() {
  const secret = crypto.randomUUID() + crypto.randomUUID();
  const loadAtStart = loadAverage();
  console.log(
    `${WAITERS} concurrent waits on one instance; server in its own process, this process the ` +
      `load; ${machine()}; load average at start ${loadAtStart}`,
  );
  const bare = await measureBare(WAITERS);

  const t0 = performance.now();
  const kvDir = KV === "file" ? await Deno.makeTempDir({ prefix: "waiters-bench-" }) : undefined;
  const { child, stderr, output, announced } = await spawnChild(
    ["--serve", String(WAITERS), String(BASELINE)],
    {
      ...SERVER_ENV,
      JWT_SECRET: secret,
      KV_PATH: kvDir ? `${kvDir}/feedback.kv` : ":memory:",
      PORT: "0",
      HOSTNAME: "127.0.0.1",
      LOG_LEVEL: "error",
    },
    [SERVER_V8_FLAGS, TRACE_GC].filter(Boolean).join(","),
  );
  const pid = child.pid;
  const origin = `http://127.0.0.1:${announced.port}`;
  const statsUrl = `http://127.0.0.1:${announced.statsPort}/`;
  const stats = async () => await (await fetch(statsUrl)).json() as ServerStats;
  const owners = announced.owners!, sessions = announced.sessions!;
  const tokens = await Promise.all(
    owners.map((subject) => signToken(secret, { subject, ttl: 3600 })),
  );
  let stopping = false;
  let addresses = 0;
  let rpcId = 0;

  console.log(
    `settings: rate limits and caps ${
      MCP_WAIT_SECONDS === 45 ? "at their defaults" : "at their defaults but MCP_MAX_WAIT"
    }, set explicitly (${
      Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(" ")
    }); ${owners.length} owners × ≤${PER_OWNER} waits, so no owner reaches its wait cap; each ` +
      `submit from its own X-Forwarded-For address; KV ${
        KV === "file"
          ? "in a fresh local file (BENCH_KV=memory for :memory:)"
          : "in memory (its data counts in the server's RSS)"
      }; server V8 flags: ${SERVER_V8_FLAGS || "none"} (and ${TRACE_GC}, to report collections)`,
  );
  console.log(
    `open files (ulimit -n): server ${fdLimit(pid)}, load ${fdLimit("self")}; ${
      sessions.length + announced.baseline!.length
    } sessions created in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (Math.min(fdLimit(pid), fdLimit("self")) < WAITERS + 500) {
    console.log(`WARNING: fewer open files allowed than ${WAITERS} waits need; raise ulimit -n`);
  }

  /** One wait request; resolves with the session status it ended with. */
  async function waitOnce(w: Waiter): Promise<string> {
    const auth = `Bearer ${w.token}`;
    if (w.kind === "rest") {
      const res = await loadRequest(
        `${origin}/api/feedback/${w.id}/result?wait=${REST_WAIT_SECONDS}`,
        { headers: { Authorization: auth } },
      );
      const body = JSON.parse(res.text);
      if (res.status === 200) return body.data.status;
      if (body.error?.code === "NO_FEEDBACK_AVAILABLE") return body.error.details.status;
      return `error: ${res.status} ${body.error?.code}`;
    }
    const id = ++rpcId;
    const res = await loadRequest(`${origin}/mcp`, {
      method: "POST",
      headers: {
        Authorization: auth,
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "MCP-Protocol-Version": MCP_PROTOCOL,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: {
          name: "get_feedback_result",
          arguments: { sessionId: w.id, wait: MCP_WAIT_SECONDS },
        },
      }),
    });
    const text = res.text;
    // A JSON answer or an SSE stream of `data:` lines; the call's answer carries its id.
    const messages = res.contentType.includes("text/event-stream")
      ? text.split("\n").filter((l) => l.startsWith("data:")).map((l) => JSON.parse(l.slice(5)))
      : [JSON.parse(text)];
    const answer = messages.find((m) => m.id === id);
    const status = answer?.result?.structuredContent?.status;
    if (typeof status === "string") return status;
    return `error: ${res.status} ${
      JSON.stringify(answer?.error ?? answer?.result?.content?.[0]?.text ?? text).slice(0, 120)
    }`;
  }

  function startWaiter(seat: Seat, kind: Kind): Waiter {
    const w: Waiter = {
      id: seat.id,
      kind,
      token: tokens[seat.owner],
      reopens: 0,
      done: Promise.resolve(),
    };
    w.done = (async () => {
      while (true) {
        let outcome: string;
        try {
          outcome = await waitOnce(w);
        } catch (error) {
          outcome = `error: ${error instanceof Error ? error.message.split("\n")[0] : error}`;
        }
        if (outcome === "pending" && !stopping) {
          w.reopens++;
          continue;
        }
        w.endedAt = performance.now();
        w.outcome = outcome;
        return;
      }
    })();
    return w;
  }

  /** Submits an answer from a fresh address; resolves with when it was sent. */
  async function submit(id: string): Promise<number> {
    const n = ++addresses;
    const sentAt = performance.now();
    const res = await loadRequest(`${origin}/api/feedback/${id}/submit`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Forwarded-For": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
      },
      body: JSON.stringify({ freeText: "yes" }),
    });
    if (res.status !== 200) throw new Error(`submit failed: ${res.status} ${res.text}`);
    return sentAt;
  }

  async function untilListeners(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if ((await stats()).listeners >= n) return true;
      await sleep(20);
    }
    return false;
  }

  /** CPU % of one core the server used over `ms`. */
  async function cpuOver(ms: number): Promise<number> {
    const c0 = cpuSeconds(pid), w0 = performance.now();
    await sleep(ms);
    return (cpuSeconds(pid) - c0) / ((performance.now() - w0) / 1000) * 100;
  }

  /** Opens waits on `seats`, a batch at a time, each once the server holds the previous ones. */
  async function openWaits(seats: Seat[], kind: Kind, into: Waiter[]) {
    const rss0 = rssMb(pid), cpu0 = cpuSeconds(pid), t = performance.now();
    for (let start = 0; start < seats.length; start += OPEN_BATCH) {
      for (const seat of seats.slice(start, start + OPEN_BATCH)) {
        into.push(startWaiter(seat, kind));
      }
      if (!await untilListeners(into.length, 60_000)) {
        const early = into.filter((w) => w.outcome).slice(0, 3).map((w) => w.outcome);
        throw new Error(
          `the server holds ${(await stats()).listeners} of ${into.length} waits after 60 s; ` +
            `ended early: ${early.join(" | ")}`,
        );
      }
    }
    const seconds = (performance.now() - t) / 1000;
    await sleep(1000); // let allocations settle
    const rss = rssMb(pid);
    return {
      count: seats.length,
      rss,
      perKb: seats.length ? (rss - rss0) * 1024 / seats.length : 0,
      cpuMs: seats.length ? (cpuSeconds(pid) - cpu0) * 1000 / seats.length : 0,
      rate: seats.length / seconds,
      heap: (await stats()).heapUsedMb,
    };
  }

  try {
    // Baseline: the service with its sessions stored and nothing waiting, then one waiter at a
    // time, half of each kind.
    await sleep(500);
    const idleRss = rssMb(pid);
    const idleCpu = await cpuOver(2000);
    const idleHeap = (await stats()).heapUsedMb;
    const baseWake: Record<Kind, number[]> = { rest: [], mcp: [] };
    for (const [k, seat] of announced.baseline!.entries()) {
      const kind: Kind = MCP_SHARE >= 1 || (MCP_SHARE > 0 && k % 2) ? "mcp" : "rest";
      const w = startWaiter(seat, kind);
      if (!await untilListeners(1, 10_000)) throw new Error("baseline waiter never waited");
      const sentAt = await submit(seat.id);
      await w.done;
      if (w.outcome !== "completed") throw new Error(`baseline waiter: ${w.outcome}`);
      baseWake[kind].push(w.endedAt! - sentAt);
      while ((await stats()).listeners > 0) await sleep(5);
    }

    // The waits: REST first, then MCP, so each kind's cost is measured on its own.
    const waiters: Waiter[] = [];
    const kinds = sessions.map((_, i) => kindOf(i, sessions.length));
    const rest = await openWaits(sessions.filter((_, i) => kinds[i] === "rest"), "rest", waiters);
    const mcp = await openWaits(sessions.filter((_, i) => kinds[i] === "mcp"), "mcp", waiters);
    const hold = await stats();
    const holdRss = rssMb(pid);
    const holdCpu = await cpuOver(HOLD_WINDOW_MS);

    // Answer a random sample, spread over time, while the rest keep waiting.
    const sample = shuffled(waiters.map((_, i) => i)).slice(0, Math.min(SAMPLE, waiters.length));
    const c0 = cpuSeconds(pid), s0 = performance.now();
    const wake: Record<Kind, number[]> = { rest: [], mcp: [] };
    /** Each sampled submit's own round trip: a wake as slow as its submit was slow everywhere. */
    const submits: number[] = [];
    const loadStalls = stallMonitor();
    let serverStall = 0;
    const watchStalls = setInterval(async () => {
      serverStall = Math.max(serverStall, (await stats()).stallMs);
    }, 1000);
    const answeringFrom = (await stats()).nowMs; // also starts the server's stall count afresh
    await Promise.all(sample.map(async (index, k) => {
      await sleep((k * SAMPLE_SPREAD_MS) / sample.length);
      const w = waiters[index];
      const sentAt = await submit(w.id);
      submits.push(performance.now() - sentAt);
      await w.done;
      if (w.outcome !== "completed") throw new Error(`sampled waiter: ${w.outcome}`);
      wake[w.kind].push(w.endedAt! - sentAt);
    }));
    const sampleCpu = (cpuSeconds(pid) - c0) / ((performance.now() - s0) / 1000) * 100;
    clearInterval(watchStalls);
    const answered = await stats();
    serverStall = Math.max(serverStall, answered.stallMs);
    const loadStall = loadStalls.take();

    // Shutdown: SIGTERM, then time until every open wait has its answer and the server exits.
    stopping = true;
    const open = waiters.filter((w) => !w.outcome);
    const reopened = waiters.reduce((n, w) => n + w.reopens, 0);
    const peak = peakRssMb(pid);
    const k0 = performance.now();
    child.kill("SIGTERM");
    await Promise.all(open.map((w) => w.done));
    const releasedMs = performance.now() - k0;
    const status = await child.status;
    const exitMs = performance.now() - k0;
    const report = (await stderr).trim().split("\n");
    const server = JSON.parse(report.at(-1) || "{}") as { shutdownMs?: number };
    const serverOutput = await output;
    const outputFile = Deno.env.get("SERVER_OUTPUT");
    if (outputFile) await Deno.writeTextFile(outputFile, serverOutput);
    const gc = collectionsBetween(serverOutput, answeringFrom, answered.nowMs);
    const outcomes = new Map<string, number>();
    for (const w of open) outcomes.set(w.outcome!, (outcomes.get(w.outcome!) ?? 0) + 1);

    const all = [...wake.rest, ...wake.mcp];
    const base = [...baseWake.rest, ...baseWake.mcp];
    const p99 = percentile(all, 0.99);
    const mb = (n: number) => `${n.toFixed(0)} MB`;
    const row = (label: string, rss: number, rest: string) =>
      console.log(`  ${label.padEnd(38)} RSS ${mb(rss).padStart(7)}  ${rest}`);
    console.log("memory and CPU of the server:");
    row(
      `bare Deno.serve, ${WAITERS} requests held`,
      bare.rss,
      `+${bare.perKb.toFixed(1)} KB and ${bare.cpuMs.toFixed(2)} ms CPU per request (baseline)`,
    );
    row(
      "service, nothing waiting",
      idleRss,
      `heap ${mb(idleHeap)}, CPU ${idleCpu.toFixed(1)} % of one core`,
    );
    for (
      const [label, phase] of [["REST result?wait", rest], [
        "MCP get_feedback_result",
        mcp,
      ]] as const
    ) {
      if (!phase.count) continue;
      row(
        `+ ${phase.count} ${label}`,
        phase.rss,
        `+${phase.perKb.toFixed(1)} KB and ${phase.cpuMs.toFixed(2)} ms CPU per wait, ` +
          `opened at ${phase.rate.toFixed(0)}/s, heap ${mb(phase.heap)}`,
      );
    }
    console.log(
      `holding ${hold.listeners} waits on ${hold.watches} keys in ${hold.streams} kv.watch ` +
        `streams: RSS ${mb(holdRss)} (heap ${mb(hold.heapUsedMb)} of ${mb(hold.heapTotalMb)}), ` +
        `CPU ${holdCpu.toFixed(1)} % of one core over ${HOLD_WINDOW_MS / 1000} s`,
    );
    const repolls = rest.count / REST_WAIT_SECONDS + mcp.count / MCP_WAIT_SECONDS;
    const repollCpu = (rest.count / REST_WAIT_SECONDS) * rest.cpuMs +
      (mcp.count / MCP_WAIT_SECONDS) * mcp.cpuMs;
    console.log(
      `steady state, every agent asking again when its wait runs out (REST ${REST_WAIT_SECONDS} s, ` +
        `MCP ${MCP_WAIT_SECONDS} s): ${repolls.toFixed(0)} waits opened per second, ` +
        `~${(repollCpu / 10).toFixed(0)} % of one core at the costs above`,
    );
    console.log(
      `answering ${sample.length} over ${(SAMPLE_SPREAD_MS / 1000).toFixed(0)} s: server CPU ${
        sampleCpu.toFixed(1)
      } %, peak RSS ${mb(peak)}; ${reopened} waits ran out meanwhile and were opened again`,
    );
    console.log(
      `longest event-loop stall while answering: server ${serverStall.toFixed(0)} ms, load ${
        loadStall.toFixed(0)
      } ms (a wake that slow was held up there)`,
    );
    console.log(
      `garbage collection while answering: ${gc.majors} full (mark-compact; ${
        gc.markingMs.toFixed(0)
      } ms of incremental marking and ${
        gc.majorPauseMs.toFixed(0)
      } ms of final pauses), ${gc.scavenges} scavenges (longest ${
        gc.longestScavengeMs.toFixed(0)
      } ms)${gc.majors ? "; a full collection slows every answer while it marks" : ""}`,
    );
    console.log(`submit -> that waiter woken, ${WAITERS} waiting:`);
    console.log(`  all   ${summary(all)}`);
    if (wake.rest.length && wake.mcp.length) {
      console.log(`  REST  ${summary(wake.rest)}`);
      console.log(`  MCP   ${summary(wake.mcp)}`);
    }
    console.log(`  (the submits themselves answered in ${summary(submits)})`);
    console.log(`baseline, one waiter open at a time (same run):`);
    console.log(`  all   ${summary(base)}`);
    if (baseWake.rest.length && baseWake.mcp.length) {
      console.log(`  REST  ${summary(baseWake.rest)}`);
      console.log(`  MCP   ${summary(baseWake.mcp)}`);
    }
    console.log(
      `shutdown (SIGTERM): ${open.length} waits answered in ${releasedMs.toFixed(0)} ms, server ` +
        `exited in ${exitMs.toFixed(0)} ms (its shutdown() ${
          server.shutdownMs?.toFixed(0)
        } ms, code ${status.code}); answers: ${
          [...outcomes].map(([o, n]) => `${o} ×${n}`).join(", ")
        }`,
    );
    console.log(
      `load process: CPU ${cpuSeconds("self").toFixed(1)} s, peak RSS ${
        mb(peakRssMb(Deno.pid))
      }; load average at end ${loadAverage()}`,
    );
    console.log(
      `targets: wake p99 ≤ ${TARGET_P99_MS} ms ${p99 <= TARGET_P99_MS ? "met" : "NOT met"} (${
        p99.toFixed(1)
      } ms); RSS ≤ ${TARGET_RSS_MB} MB ${peak <= TARGET_RSS_MB ? "met" : "NOT met"} (peak ${
        mb(peak)
      })`,
    );
  } finally {
    stopping = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    if (kvDir) await Deno.remove(kvDir, { recursive: true });
  }
}

if (Deno.args[0] === "--serve") {
  await serveService(Number(Deno.args[1]), Number(Deno.args[2]));
} else if (Deno.args[0] === "--bare") {
  serveBare();
} else {
  await measure();
}
