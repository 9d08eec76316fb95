/**
 * A server in a child process, for the benchmarks that measure the server's own memory: the
 * benchmark file runs itself with `--serve <sessions>` ({@link spawnChildServer}); the child
 * builds an instance on in-memory KV with that many pending sessions
 * ({@link openChildInstance}) and announces its port and session ids as the first line of its
 * stdout ({@link serveChild}), so the RSS read from `/proc/<pid>/status` is the server's alone.
 */
import { BENCH_ENV } from "./_env.ts";
import { createApp } from "../app.ts";
import { loadConfig } from "../lib/config.ts";
import { createServices, type Services } from "../lib/services.ts";

/** The child's instance: its KV, services, app and the ids of its sessions. */
export interface ChildInstance {
  kv: Deno.Kv;
  services: Services;
  app: ReturnType<typeof createApp>;
  ids: string[];
}

/** Options of {@link openChildInstance}. */
export interface ChildInstanceOptions {
  /** Pending sessions to create, all owned by "bench". */
  sessions: number;
  /** Their message. */
  message: string;
  /** Settings on top of {@link BENCH_ENV}. */
  env?: Record<string, string>;
}

/** Builds the child's instance on in-memory KV, with its sessions. */
export async function openChildInstance(options: ChildInstanceOptions): Promise<ChildInstance> {
  const config = loadConfig({
    ...BENCH_ENV,
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    KV_PATH: ":memory:",
    LOG_LEVEL: "error",
    ...options.env,
  });
  const kv = await Deno.openKv(":memory:");
  const services = createServices(config, kv);
  const app = createApp(services);
  const ids: string[] = [];
  for (let i = 0; i < options.sessions; i++) {
    const input = { message: options.message, timeout: 3600 };
    ids.push((await services.feedback.create("bench", input)).id);
  }
  return { kv, services, app, ids };
}

/**
 * Serves `handler` (the app's by default) on a free loopback port and prints
 * `{"port":…,"ids":[…]}` on stdout, the line {@link spawnChildServer} waits for.
 */
export function serveChild(
  instance: ChildInstance,
  handler: Deno.ServeHandler = instance.app.fetch,
): Deno.HttpServer {
  return Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => console.log(JSON.stringify({ port, ids: instance.ids })),
  }, handler);
}

/** A running child server, as the benchmark sees it. */
export interface ChildServer {
  child: Deno.ChildProcess;
  port: number;
  /** The ids of the child's sessions. */
  ids: string[];
}

/** Options of {@link spawnChildServer}. */
export interface SpawnOptions {
  /** Pending sessions the child creates. */
  sessions: number;
  /** Where the child's stderr goes (`piped` to read what it reports there). */
  stderr?: "inherit" | "piped";
}

/**
 * Runs `module` (the benchmark's own `import.meta.url`) as `--serve <sessions>` and resolves once
 * the child has announced its port; the child's stdout is not read further.
 */
export async function spawnChildServer(
  module: string,
  options: SpawnOptions,
): Promise<ChildServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(module).pathname, "--serve", String(options.sessions)],
    stdout: "piped",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited");
    text += value;
  }
  reader.releaseLock();
  const { port, ids } = JSON.parse(text.split("\n")[0]) as { port: number; ids: string[] };
  return { child, port, ids };
}

/** The resident memory of process `pid` in MB (Linux `/proc`). */
export function rssMb(pid: number): number {
  return procStatusKb(pid, "VmRSS") / 1024;
}

/** The peak resident memory (`VmHWM`) of process `pid` in MB (Linux `/proc`). */
export function peakRssMb(pid: number): number {
  return procStatusKb(pid, "VmHWM") / 1024;
}

function procStatusKb(pid: number, field: string): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}
