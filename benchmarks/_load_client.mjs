/**
 * The load process of `http_load_bench.ts`, run by Node (the runtime autocannon is built for) so
 * the load generator never shares a process or an event loop with the server it measures.
 *
 * Reads jobs from stdin, one JSON object a line, runs each with autocannon (pinned in
 * `tools/package.json`) and answers each with one JSON line on stdout: the figures the bench
 * tabulates. A job: `{ url, connections, seconds, method, headers?, body?, paths?,
 * fallbackPath? }`; with `paths`, each request takes the next path in turn and, once they run
 * out, `fallbackPath` (so every submit reaches a distinct pending session while any is left).
 * One process serves the whole run, so Node starts once, not once per cell.
 */
import process from "node:process";
import { createInterface } from "node:readline";

// A computed specifier, so that `deno check benchmarks/` does not try to resolve a package that
// only Node's `tools/node_modules` holds.
const autocannonPath = new URL("../tools/node_modules/autocannon/autocannon.js", import.meta.url);

let autocannon;
try {
  autocannon = (await import(autocannonPath.href)).default;
} catch {
  process.stderr.write("autocannon is not installed: run `npm ci --prefix tools`\n");
  process.exit(2);
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  process.stdout.write(JSON.stringify(await run(JSON.parse(line))) + "\n");
}

async function run(job) {
  const request = { method: job.method, path: new URL(job.url).pathname };
  if (job.paths) {
    let next = 0;
    request.setupRequest = (req) => ({
      ...req,
      path: next < job.paths.length ? job.paths[next++] : job.fallbackPath,
    });
  }
  const tracker = autocannon({
    url: new URL(job.url).origin,
    connections: job.connections,
    duration: job.seconds,
    method: job.method,
    headers: job.headers ?? {},
    body: job.body,
    requests: [request],
  });
  // autocannon's own histogram keeps whole milliseconds; the response times it reports are finer.
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  tracker.on("response", (_client, _status, _bytes, ms) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  });
  const errorKinds = {};
  tracker.on("reqError", (error) => {
    const kind = error.code ?? error.message;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  const result = await tracker;

  const sorted = latencies.subarray(0, count).sort();
  const percentile = (p) => count ? sorted[Math.min(count - 1, Math.floor((p / 100) * count))] : 0;
  const statusCodes = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = Number(count);
  }
  return {
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p50: percentile(50),
    p99: percentile(99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    errorKinds,
    statusCodes,
  };
}
