/**
 * HTTP under load: create, status, submit, result and the page over real HTTP at 10 and 50
 * connections, with the rate limits off and at their defaults. The service runs in its own
 * process (this file with `--serve <limits>`), the load in another (Node running autocannon,
 * `benchmarks/_load_client.mjs`), so neither the load generator nor the bench's bookkeeping shares
 * the server's event loop, and the RSS read from `/proc/<pid>/status` is the server's alone.
 * Baseline, same run, same load generator: a bare `Deno.serve` answering a constant.
 *
 * Run: `deno task bench http_load` (needs `npm ci --prefix tools` for autocannon, and Node).
 * Options (flags, or the env where noted):
 * - `--seconds N` (env `LOAD_SECONDS`, default 5): length of each measured cell.
 * - `--only page,status`: just those rows (names: bare, status, result, page, submit,
 *   submit-answered, create). With `--only`, the defaults become 50 connections and limits off,
 *   so `--only page,status` prints the page's cost relative to the status route's at 50
 *   connections (issue 13's page target).
 * - `--connections 10,50`, `--limits off,defaults`, `--rounds N` (repeat each cell; the page ÷
 *   status ratio is then the median of the rounds).
 *
 * {@link measurePageVsStatus} runs the page ÷ status comparison from code.
 */
import { QUESTION } from "./_env.ts";
import { openChildInstance, rssMb } from "./_server.ts";
import { signToken } from "../lib/auth/jwt.ts";
import type { RateLimits } from "../lib/config.ts";
import type { Services } from "../lib/services.ts";

const SECRET = "bench-secret-bench-secret-bench-secret-0123"; // the one `_server.ts` configures
const OWNER = "bench";
const WARMUP_SECONDS = 1;

const ANSWER = { selectedOptions: ["Ship it"], freeText: "Go ahead; tag it." };

/** The server configurations: the service with its rate limits off or at defaults, or bare. */
type ServerKind = "bare" | "off" | "defaults";

/** What the child announces on its first stdout line. */
interface Fixture {
  port: number;
  /** A pending session with {@link QUESTION}: status and page (absent on the bare server). */
  pending: string;
  /** An answered session: result, and submit's 409 path. */
  answered: string;
  /** The child's rate limits (0 = off). */
  limits: RateLimits;
}

// ---------------------------------------------------------------------------------------------
// The server process.

/** The child: `bare` answers a constant; `off`/`defaults` serve the app on in-memory KV. */
async function serve(kind: ServerKind): Promise<void> {
  if (kind === "bare") {
    Deno.serve({
      port: 0,
      hostname: "127.0.0.1",
      onListen: ({ port }) => console.log(JSON.stringify({ port })),
    }, () => new Response("ok"));
    return;
  }
  // `_env.ts` turns every limit off; an empty value is "not set" to `loadConfig`, so the defaults.
  const env: Record<string, string> = kind === "defaults"
    ? { RATE_LIMIT_CREATE: "", RATE_LIMIT_READ: "", RATE_LIMIT_SUBMIT: "", RATE_LIMIT_PAGE: "" }
    : {};
  const instance = await openChildInstance({ sessions: 0, message: "", env });
  const { feedback, config } = instance.services;
  const pending = (await feedback.create(OWNER, QUESTION)).id;
  const answered = (await feedback.create(OWNER, QUESTION)).id;
  await feedback.submit(answered, ANSWER);
  const announce = (port: number) =>
    console.log(JSON.stringify({ port, pending, answered, limits: config.rateLimits }));
  Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => announce(port) }, (req) => {
    // Bench-only: pending sessions for submit, made outside the timed cells. The app has no such
    // route.
    if (new URL(req.url).pathname === "/__bench/sessions") {
      return prepareSessions(feedback, Number(new URL(req.url).searchParams.get("count")));
    }
    return instance.app.fetch(req);
  });
}

async function prepareSessions(feedback: Services["feedback"], count: number) {
  const ids: string[] = [];
  while (ids.length < count) {
    const made = await Promise.all(
      Array.from(
        { length: Math.min(100, count - ids.length) },
        () => feedback.create(OWNER, QUESTION),
      ),
    );
    ids.push(...made.map((s) => s.id));
  }
  return Response.json(ids);
}

interface ServerProcess {
  child: Deno.ChildProcess;
  /** The rest of its stdout, unread, cancelled at the end. */
  stdout: ReadableStreamDefaultReader<string>;
  origin: string;
  fixture: Fixture;
}

/** Runs this file as `--serve <kind>` and waits for its announcement. */
async function spawnServer(kind: ServerKind): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", kind],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the ${kind} server exited before listening`);
    text += value;
  }
  const fixture = JSON.parse(text.split("\n")[0]) as Fixture;
  return { child, stdout: reader, origin: `http://127.0.0.1:${fixture.port}`, fixture };
}

async function stopServer(server: ServerProcess): Promise<void> {
  server.child.kill("SIGTERM");
  await server.stdout.cancel();
  await server.child.status;
}

// ---------------------------------------------------------------------------------------------
// The load process.

/** One autocannon run, as `_load_client.mjs` takes it. */
interface LoadJob {
  url: string;
  connections: number;
  seconds: number;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Paths taken one per request, then `fallbackPath`. */
  paths?: string[];
  fallbackPath?: string;
}

/** What `_load_client.mjs` reports. */
interface LoadResult {
  requests: number;
  rps: number;
  /** Response times (every status) in ms. */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Socket errors by code (ECONNRESET, …). */
  errorKinds: Record<string, number>;
}

function spawnNode(script: string): Deno.ChildProcess {
  try {
    return new Deno.Command("node", {
      args: [script],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error("the load generator needs Node on PATH (it runs autocannon)", { cause: error });
  }
}

/** The Node process that generates the load (`_load_client.mjs`), one for the whole run. */
class LoadClient {
  #child = spawnNode(new URL("./_load_client.mjs", import.meta.url).pathname);
  #writer = this.#child.stdin.getWriter();
  #lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  #buffered = "";

  /** Runs `job` and samples the server's RSS meanwhile (peak, in MB). */
  async run(job: LoadJob, serverPid: number): Promise<LoadResult & { rssMb: number }> {
    let peak = rssMb(serverPid);
    const sampler = setInterval(() => peak = Math.max(peak, rssMb(serverPid)), 100);
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify(job) + "\n"));
      const result = JSON.parse(await this.#readLine()) as LoadResult;
      return { ...result, rssMb: Math.max(peak, rssMb(serverPid)) };
    } finally {
      clearInterval(sampler);
    }
  }

  async #readLine(): Promise<string> {
    while (!this.#buffered.includes("\n")) {
      const { value, done } = await this.#lines.read();
      if (done) {
        const { code } = await this.#child.status;
        throw new Error(`the load process exited with ${code}`);
      }
      this.#buffered += value;
    }
    const end = this.#buffered.indexOf("\n");
    const line = this.#buffered.slice(0, end);
    this.#buffered = this.#buffered.slice(end + 1);
    return line;
  }

  /** Ends the process (stdin closed: it finishes its loop and exits). */
  async close(): Promise<void> {
    // Tolerant: after a failed run the process may already be gone.
    await this.#writer.close().catch(() => {});
    await this.#lines.cancel().catch(() => {});
    await this.#child.status;
  }
}

// ---------------------------------------------------------------------------------------------
// Routes and cells.

/** Everything a route needs to build its job. */
interface CellContext {
  server: ServerProcess;
  token: string;
  connections: number;
  seconds: number;
  /** Req/s of this route's warm-up (submit sizes its sessions by it). */
  warmupRps: number;
}

interface Route {
  name: string;
  /** How the row is labelled. */
  label: string;
  /** Routes that only exist on the bare server, or only on the app. */
  bare?: boolean;
  job(ctx: CellContext): Promise<LoadJob> | LoadJob;
  /** The job of the warm-up, if not `job` itself. */
  warmup?(ctx: CellContext): LoadJob;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const json = { "Content-Type": "application/json" };

function submitAnswered(ctx: CellContext): LoadJob {
  return {
    url: `${ctx.server.origin}/api/feedback/${ctx.server.fixture.answered}/submit`,
    connections: ctx.connections,
    seconds: ctx.seconds,
    method: "POST",
    headers: json,
    body: JSON.stringify(ANSWER),
  };
}

const ROUTES: Route[] = [
  {
    name: "bare",
    label: "baseline: bare Deno.serve",
    bare: true,
    job: (ctx) => ({
      url: `${ctx.server.origin}/`,
      connections: ctx.connections,
      seconds: ctx.seconds,
      method: "GET",
    }),
  },
  {
    name: "status",
    label: "GET /api/feedback/{id}/status",
    job: (ctx) => ({
      url: `${ctx.server.origin}/api/feedback/${ctx.server.fixture.pending}/status`,
      connections: ctx.connections,
      seconds: ctx.seconds,
      method: "GET",
      headers: bearer(ctx.token),
    }),
  },
  {
    name: "result",
    label: "GET /api/feedback/{id}/result",
    job: (ctx) => ({
      url: `${ctx.server.origin}/api/feedback/${ctx.server.fixture.answered}/result`,
      connections: ctx.connections,
      seconds: ctx.seconds,
      method: "GET",
      headers: bearer(ctx.token),
    }),
  },
  {
    name: "page",
    label: "GET /feedback/{id} (page)",
    job: (ctx) => ({
      url: `${ctx.server.origin}/feedback/${ctx.server.fixture.pending}`,
      connections: ctx.connections,
      seconds: ctx.seconds,
      method: "GET",
    }),
  },
  {
    name: "submit-answered",
    label: "POST …/submit (answered: 409)",
    job: submitAnswered,
  },
  {
    name: "submit",
    label: "POST …/submit (distinct pending)",
    warmup: submitAnswered,
    job: async (ctx) => {
      // Enough distinct sessions for the cell, judged by the warm-up's pace (the 409 path, which
      // does less than a real submit); with a limit, its budget is all that can succeed.
      const budget = ctx.server.fixture.limits.submit;
      const count = budget > 0
        ? 2 * budget + ctx.connections
        : Math.ceil(ctx.warmupRps * ctx.seconds * 1.25) + ctx.connections;
      const response = await fetch(`${ctx.server.origin}/__bench/sessions?count=${count}`, {
        method: "POST",
      });
      const ids = await response.json() as string[];
      return {
        ...submitAnswered(ctx),
        paths: ids.map((id) => `/api/feedback/${id}/submit`),
        fallbackPath: `/api/feedback/${ctx.server.fixture.answered}/submit`,
      };
    },
  },
  {
    name: "create",
    label: "POST /api/feedback/create",
    job: (ctx) => ({
      url: `${ctx.server.origin}/api/feedback/create`,
      connections: ctx.connections,
      seconds: ctx.seconds,
      method: "POST",
      headers: { ...bearer(ctx.token), ...json },
      body: JSON.stringify(QUESTION),
    }),
  },
];

/** One measured cell: a row of the table. */
export interface Row {
  route: string;
  label: string;
  connections: number;
  limits: ServerKind;
  round: number;
  result: LoadResult & { rssMb: number };
  /** Sessions prepared for a distinct-session submit cell. */
  prepared?: number;
}

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Route names (see {@link ROUTES}); all when absent. */
  only?: string[];
  connections: number[];
  limits: ("off" | "defaults")[];
  seconds: number;
  rounds: number;
  /** Called with each row as it is measured. */
  onRow?: (row: Row) => void;
}

/** Measures every selected cell; servers are started and stopped here. */
export async function runBench(options: BenchOptions): Promise<Row[]> {
  const selected = ROUTES.filter((r) => !options.only || options.only.includes(r.name));
  const token = await signToken(SECRET, { subject: OWNER, ttl: 3600 });
  const rows: Row[] = [];
  const kinds: ServerKind[] = [
    ...(selected.some((r) => r.bare) ? ["bare" as const] : []),
    ...options.limits,
  ];
  const load = new LoadClient();
  try {
    for (const kind of kinds) {
      const routes = selected.filter((r) => (kind === "bare") === !!r.bare);
      if (routes.length === 0) continue;
      const server = await spawnServer(kind);
      try {
        await measureServer(server, routes, kind);
      } finally {
        await stopServer(server);
      }
    }
  } finally {
    await load.close();
  }
  return rows;

  async function measureServer(server: ServerProcess, routes: Route[], kind: ServerKind) {
    const warmRps = new Map<string, number>();
    for (let round = 1; round <= options.rounds; round++) {
      for (const route of routes) {
        if (!warmRps.has(route.name)) {
          // A short warm-up per route, so its first cell does not pay for compilation.
          const job = await (route.warmup ?? route.job)({
            server,
            token,
            connections: Math.min(...options.connections),
            seconds: WARMUP_SECONDS,
            warmupRps: 0,
          });
          warmRps.set(route.name, (await load.run(job, server.child.pid)).rps);
        }
        for (const connections of options.connections) {
          const ctx = {
            server,
            token,
            connections,
            seconds: options.seconds,
            warmupRps: warmRps.get(route.name)!,
          };
          const job = await route.job(ctx);
          const row: Row = {
            route: route.name,
            label: route.label,
            connections,
            limits: kind,
            round,
            result: await load.run(job, server.child.pid),
            prepared: job.paths?.length,
          };
          rows.push(row);
          options.onRow?.(row);
        }
      }
    }
  }
}

/** The page's cost relative to the status route: status req/s ÷ page req/s (median of rounds). */
export function pageToStatusRatio(rows: Row[], limits: ServerKind, connections: number) {
  const pick = (route: string) =>
    rows.filter((r) => r.route === route && r.limits === limits && r.connections === connections);
  const page = pick("page");
  const status = pick("status");
  if (!page.length || page.length !== status.length) return undefined;
  const ratios = page.map((p, i) => status[i].result.rps / p.result.rps).sort((a, b) => a - b);
  const mid = ratios.length / 2;
  return Number.isInteger(mid) ? (ratios[mid - 1] + ratios[mid]) / 2 : ratios[Math.floor(mid)];
}

/**
 * `GET /feedback/{id}` against `GET /api/feedback/{id}/status` at 50 connections, limits off:
 * both req/s (last round) and how many times the page costs the status route.
 */
export async function measurePageVsStatus(
  options: { seconds?: number; rounds?: number; connections?: number } = {},
): Promise<{ pageRps: number; statusRps: number; ratio: number }> {
  const connections = options.connections ?? 50;
  const rows = await runBench({
    only: ["page", "status"],
    connections: [connections],
    limits: ["off"],
    seconds: options.seconds ?? 5,
    rounds: options.rounds ?? 1,
  });
  const last = (route: string) => rows.findLast((r) => r.route === route)!.result.rps;
  return {
    pageRps: last("page"),
    statusRps: last("status"),
    ratio: pageToStatusRatio(rows, "off", connections)!,
  };
}

// ---------------------------------------------------------------------------------------------
// Output.

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => n < 10 ? n.toFixed(2) : n.toFixed(1);

function non2xxCell(result: LoadResult): string {
  const codes = Object.keys(result.statusCodes).filter((c) => !c.startsWith("2"));
  const failures = result.errors + result.timeouts;
  let cell = result.non2xx ? `${int(result.non2xx)} (${codes.join(", ")})` : "0";
  if (failures) cell += `, ${int(failures)} socket errors/timeouts`;
  return cell;
}

const HEADER = [
  "route",
  "conns",
  "limits",
  "req/s",
  "× bare",
  "p50 ms",
  "p99 ms",
  "non-2xx",
  "server RSS MB",
];

function tableRow(row: Row, bare: Map<number, number>, rounds: number): string[] {
  const base = bare.get(row.connections);
  return [
    row.label + (rounds > 1 ? ` #${row.round}` : ""),
    String(row.connections),
    row.limits === "bare" ? "" : row.limits,
    int(row.result.rps),
    base ? (row.result.rps / base).toFixed(2) : "",
    ms(row.result.p50),
    ms(row.result.p99),
    non2xxCell(row.result),
    row.result.rssMb.toFixed(0),
  ];
}

/** A Markdown table with aligned columns, numbers right-aligned. */
function markdown(rows: string[][]): string {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = (i: number) => i !== 0 && i !== 2 && i !== 7;
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])).join(" | ")
    } |`;
  const rule = `| ${
    widths.map((w, i) => right(i) ? "-".repeat(w - 1) + ":" : "-".repeat(w)).join(" | ")
  } |`;
  return [line(HEADER), rule, ...rows.map(line)].join("\n");
}

const LEGEND = `\
- req/s: responses per second of any status, from a separate Node process running autocannon;
  × bare: that ÷ the bare \`Deno.serve\` at the same connections, same run, same load generator
  (on 2 cores the load generator takes one, so the bare figure is partly the generator's ceiling).
- p50/p99: response times of every response, refusals included.
- limits off: every RATE_LIMIT_* = 0. defaults: as shipped (per owner: create 100/min, status and
  result 1,000/min; per client address: submit 10/min, page 100/min). The load is one owner from
  one address, so at defaults each route spends its minute's budget in the first moments and the
  rest are 429s by design: those rows measure what refusing costs (e.g. create ~100 × 200, the rest
  429). Owner quotas (OWNER_MAX_*) are off in both: one owner holds all the bench's sessions.
- submit (distinct pending): each request answers its own pending session, prepared before the
  cell, outside the timing (a 409 there means the prepared sessions ran out). submit (answered):
  every request to one answered session, each 409 by design (the conflict path).
- result: an answered session (200 with the answer); status and page: one pending session.
- server RSS: peak resident memory of the server process during the cell (create and submit's
  prepared sessions add to KV, held in memory).`;

// ---------------------------------------------------------------------------------------------
// Command line.

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i >= 0) return Deno.args[i + 1];
  return Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const list = (value: string) => value.split(",").map((s) => s.trim()).filter(Boolean);

async function main() {
  const onlyFlag = flag("only");
  const only = onlyFlag ? list(onlyFlag) : undefined;
  const unknown = only?.filter((name) => !ROUTES.some((r) => r.name === name)) ?? [];
  if (unknown.length) {
    console.error(`unknown route ${unknown.join(", ")}; routes: ${ROUTES.map((r) => r.name)}`);
    Deno.exit(2);
  }
  const options: BenchOptions = {
    only,
    connections: list(flag("connections") ?? (only ? "50" : "10,50")).map(Number),
    limits: list(flag("limits") ?? (only ? "off" : "off,defaults")) as BenchOptions["limits"],
    seconds: Number(flag("seconds") ?? Deno.env.get("LOAD_SECONDS") ?? 5),
    rounds: Number(flag("rounds") ?? 1),
  };
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  console.log(
    `HTTP under load: ${options.seconds} s per cell after a ${WARMUP_SECONDS} s warm-up, ` +
      `connections ${options.connections.join("/")}, limits ${options.limits.join("/")}; ` +
      `${navigator.hardwareConcurrency} CPUs (${cpu}), Deno ${Deno.version.deno}`,
  );
  const started = performance.now();
  const rows = await runBench({
    ...options,
    onRow: (row) =>
      console.error(
        `  measured ${row.label} @${row.connections} ${row.limits}: ${int(row.result.rps)} req/s`,
      ),
  });
  const bare = new Map(
    rows.filter((r) => r.route === "bare").map((r) => [
      r.connections,
      r.result.rps,
    ]),
  );
  console.log(markdown(rows.map((r) => tableRow(r, bare, options.rounds))));
  if (!only) console.log(LEGEND);
  for (const row of rows.filter((r) => r.prepared !== undefined)) {
    console.log(
      `- ${row.label} @${row.connections} ${row.limits}: ${int(row.prepared!)} sessions prepared`,
    );
  }
  for (const row of rows.filter((r) => r.result.errors || r.result.timeouts)) {
    const kinds = Object.entries(row.result.errorKinds).map(([k, n]) => `${k} ×${int(n)}`);
    console.log(
      `- ${row.label} @${row.connections} ${row.limits}: socket errors ${kinds.join(", ")}` +
        (row.result.timeouts ? `, ${int(row.result.timeouts)} timeouts` : ""),
    );
  }
  // With limits at defaults both routes answer mostly 429s, so only "off" compares the pages.
  for (const connections of options.connections) {
    const ratio = pageToStatusRatio(rows, "off", connections);
    if (ratio !== undefined) {
      console.log(
        `page ÷ status cost at ${connections} connections, limits off: ${
          ratio.toFixed(2)
        }× (status req/s ÷ page req/s${
          options.rounds > 1 ? `, median of ${options.rounds} rounds` : ""
        }; issue 13 target ≤ 1.3×)`,
      );
    }
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") await serve(Deno.args[1] as ServerKind);
  else await main();
}
