/**
 * How many idle sockets one instance holds, and its memory: the server runs in a child process
 * (this file with `--serve`), the clients here, so the RSS read from `/proc/<pid>/status` is the
 * server's alone. Sockets are spread 20 per session (the per-session limit), so 10,000 sockets
 * also mean 500 watched sessions. Then a shutdown closes them all with 1012, timed.
 *
 * Run: `deno task bench ws_idle` (SOCKETS=1000,10000 to change the steps). Needs about two file
 * descriptors per socket in each process (`ulimit -n`); loopback only.
 */
import { openChildInstance, rssMb, serveChild, spawnChildServer } from "./_server.ts";
import { closeRealtime } from "../lib/services.ts";

const PER_SESSION = 20;

if (Deno.args[0] === "--serve") {
  await serve(Number(Deno.args[1]));
} else {
  await measure();
}

/** The child: an instance on in-memory KV with `sessions` sessions, reporting its counters. */
async function serve(sessions: number) {
  const instance = await openChildInstance({
    sessions,
    message: "idle",
    env: { WS_MAX_SOCKETS: "50000" },
  });
  const { kv, services, app } = instance;
  const server = serveChild(instance, (request) => {
    // Bench-only counters; the app itself has no such route.
    if (new URL(request.url).pathname === "/__bench/stats") {
      return Response.json({ hub: services.hub.stats(), sockets: services.sockets.stats() });
    }
    return app.fetch(request);
  });
  Deno.addSignalListener("SIGTERM", async () => {
    const t0 = performance.now();
    await closeRealtime(services);
    const closedMs = performance.now() - t0;
    await server.shutdown();
    services.hub.close();
    kv.close();
    console.error(JSON.stringify({ closedMs, totalMs: performance.now() - t0 }));
    Deno.exit(0);
  });
}

async function measure() {
  const steps = (Deno.env.get("SOCKETS") ?? "1000,10000").split(",").map(Number);
  const most = Math.max(...steps);
  const { child, port, ids } = await spawnChildServer(import.meta.url, {
    sessions: most / PER_SESSION,
    stderr: "piped",
  });
  const origin = `http://127.0.0.1:${port}`;
  const stats = async () => await (await fetch(`${origin}/__bench/stats`)).json();

  console.log(`idle sockets on one instance (server in its own process, pid ${child.pid})`);
  console.log(
    `baseline (${ids.length} sessions stored, no socket): RSS ${rssMb(child.pid).toFixed(1)} MB`,
  );

  const sockets: WebSocket[] = [];
  const closeCodes = new Map<number, number>();
  const open = (url: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.onmessage = () => {
        socket.onmessage = null;
        resolve(socket);
      };
      socket.onerror = () => reject(new Error("socket failed"));
      socket.onclose = (e) => closeCodes.set(e.code, (closeCodes.get(e.code) ?? 0) + 1);
    });

  let previousRss = rssMb(child.pid);
  let previousCount = 0;
  for (const target of steps.toSorted((a, b) => a - b)) {
    const t0 = performance.now();
    while (sockets.length < target) {
      const batch = Math.min(250, target - sockets.length);
      const start = sockets.length;
      sockets.push(
        ...await Promise.all(
          Array.from(
            { length: batch },
            (_, i) =>
              open(
                `${origin.replace("http", "ws")}/ws/${ids[Math.floor((start + i) / PER_SESSION)]}`,
              ),
          ),
        ),
      );
    }
    const openMs = performance.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, 500)); // let allocations settle
    const rss = rssMb(child.pid);
    const s = await stats();
    const perSocketKb = ((rss - previousRss) * 1024) / (target - previousCount);
    console.log(
      `${String(target).padStart(6)} idle sockets: RSS ${rss.toFixed(1)} MB ` +
        `(~${perSocketKb.toFixed(1)} KB per added socket), opened in ${openMs.toFixed(0)} ms, ` +
        `server: ${s.sockets.sockets} sockets, ${s.hub.watches} watches`,
    );
    previousRss = rss;
    previousCount = target;
  }

  // Graceful shutdown of a loaded instance: every socket should close with 1012.
  const allClosed = Promise.all(
    sockets.map((s) =>
      new Promise<void>((resolve) => {
        if (s.readyState === WebSocket.CLOSED) return resolve();
        s.addEventListener("close", () => resolve(), { once: true });
      })
    ),
  );
  const t0 = performance.now();
  child.kill("SIGTERM");
  await allClosed;
  const clientMs = performance.now() - t0;
  const status = await child.status;
  const report = await new Response(child.stderr).text();
  const timing = JSON.parse(report.trim().split("\n").at(-1) ?? "{}");
  const codes = [...closeCodes].map(([code, n]) => `${code}×${n}`).join(", ");
  console.log(
    `shutdown: ${sockets.length} sockets closed in ${clientMs.toFixed(0)} ms as seen by clients ` +
      `(server: closeRealtime ${timing.closedMs?.toFixed(0)} ms, exit ${
        timing.totalMs?.toFixed(0)
      } ms, ` +
      `code ${status.code}); close codes: ${codes}`,
  );
}
