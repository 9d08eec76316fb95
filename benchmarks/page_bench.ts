/**
 * The feedback page: server render time and page weight.
 * - Render: the page component tree to HTML as a first view does (markdown included), the
 *   markdown alone, the render as the route does it on later views (the layout's shell and the
 *   message's HTML kept), and the whole `GET /feedback/{id}` through the app (KV read +
 *   `viewedAt` check + render + headers).
 *   Baselines measured in the same run: `GET /api/feedback/{id}/status` on the same session
 *   (the same KV read, JSON instead of HTML), and `GET /health`.
 * - Weight: HTML of a typical pending page, the CSS, and the JavaScript the page loads (the
 *   entry plus every chunk it imports; the image scaling, loaded with an answer's first image, apart),
 *   raw and gzip. Targets: JS ≤ 18 KB gzip (the budget `tests/page_islands_test.ts` checks),
 *   render p50 ≤ 2 ms.
 *
 * Run: `deno task bench page` (after `deno task build`; SAMPLES=n to change the sample count).
 */
import { BENCH_ENV, QUESTION } from "./_env.ts";
import { createApp } from "../app.ts";
import { signToken } from "../lib/auth/jwt.ts";
import { loadConfig } from "../lib/config.ts";
import { messagesFor } from "../lib/i18n.ts";
import { renderDocument } from "../lib/islands/render.ts";
import { createMarkdownCache, renderMarkdown } from "../lib/markdown.ts";
import { closeRealtime, createServices } from "../lib/services.ts";
import { feedbackIslandProps, FeedbackPage, renderFeedbackPage } from "../routes/feedback/[id].tsx";
import { h } from "preact";

const SAMPLES = Number(Deno.env.get("SAMPLES") ?? 2000);
const WARMUP = 200;
const SECRET = "bench-secret-bench-secret-bench-secret-0123";
const TARGET_JS_GZIP = 18 * 1024;
/** The chunk an island loads only when an answer takes its first image (`_attachments.ts`). */
const ON_DEMAND = /^_image_scale-/;
const TARGET_RENDER_P50_MS = 2;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(values: number[]) {
  const s = values.toSorted((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
}

function line(label: string, values: number[]): string {
  const { p50, p99, max } = summarize(values);
  const f = (n: number) => n.toFixed(3).padStart(7);
  return `${label.padEnd(52)} p50 ${f(p50)} ms  p99 ${f(p99)} ms  max ${
    f(max)
  } ms  (n=${values.length})`;
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const values: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await fn();
    values.push(performance.now() - t0);
  }
  return values;
}

async function gzipSize(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`.padStart(9);

const config = loadConfig({
  ...BENCH_ENV,
  JWT_SECRET: SECRET,
  LOG_LEVEL: "error",
  KV_PATH: ":memory:",
});
const kv = await Deno.openKv(":memory:");
const services = createServices(config, kv);
const app = createApp(services);
const owner = "bench-owner";
const token = await signToken(SECRET, { subject: owner, ttl: 3600 });

const session = await services.feedback.create(owner, QUESTION);
const prefs = { lang: "en" as const, theme: null, setCookies: [], secure: false };
const t = messagesFor("en");

console.log(`feedback page: ${SAMPLES} samples per row after ${WARMUP} warm-up, one process`);

// A first view renders everything; the route keeps the layout's shell and the message's HTML.
const renderCold = await time(() =>
  renderDocument(
    h(FeedbackPage, {
      session,
      messageHtml: renderMarkdown(session.message),
      prefs,
      t,
      island: feedbackIslandProps(services, { session, prefs }),
    }),
  )
);
const messageHtml = createMarkdownCache();
const renderOnly = await time(() =>
  renderFeedbackPage({
    session,
    messageHtml: messageHtml.render(session.id, session.message),
    prefs,
    t,
    island: feedbackIslandProps(services, { session, prefs }),
  })
);
const markdown = await time(() => renderMarkdown(session.message));
const fullGet = await time(async () => {
  const res = await app.request(`/feedback/${session.id}`);
  await res.text();
});
// A first view: the `viewedAt` write and the message's markdown, on a session never shown before.
const unseen: string[] = [];
for (let i = 0; i < WARMUP + SAMPLES; i++) {
  unseen.push(
    (await services.feedback.create(owner, { ...QUESTION, message: `${i}\n\n${QUESTION.message}` }))
      .id,
  );
}
const firstView = await time(async () => {
  const res = await app.request(`/feedback/${unseen.pop()}`);
  await res.text();
});
const statusJson = await time(async () => {
  const res = await app.request(`/api/feedback/${session.id}/status`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await res.text();
});
const health = await time(async () => {
  const res = await app.request("/health");
  await res.text();
});
console.log(line("render: whole tree → HTML, markdown included", renderCold));
console.log(line("  of which markdown → HTML", markdown));
console.log(line("render as the route does (shell, message HTML kept)", renderOnly));
console.log(line("GET /feedback/{id} via app.request (KV + render)", fullGet));
console.log(line("first view of a session (viewedAt write, markdown)", firstView));
console.log(line("baseline: GET /api/feedback/{id}/status (KV + JSON)", statusJson));
console.log(line("baseline: GET /health", health));

// Page weight.
const html = new TextEncoder().encode(await (await app.request(`/feedback/${session.id}`)).text());
const css = await Deno.readFile(new URL("../static/styles.css", import.meta.url));
const buildDir = new URL("../static/build/", import.meta.url);
const seen = new Set<string>();
const queue = ["_entry.js"];
let jsRaw = 0;
let jsGzip = 0;
let onDemandGzip = 0;
while (queue.length) {
  const name = queue.shift()!;
  if (seen.has(name)) continue;
  seen.add(name);
  const bytes = await Deno.readFile(new URL(name, buildDir)).catch(() => {
    throw new Error(`static/build/${name} is missing: run \`deno task build\` first`);
  });
  if (ON_DEMAND.test(name)) {
    onDemandGzip += await gzipSize(bytes);
    continue;
  }
  jsRaw += bytes.byteLength;
  jsGzip += await gzipSize(bytes);
  for (const m of new TextDecoder().decode(bytes).matchAll(/"\.\/([\w-]+\.js)"/g)) queue.push(m[1]);
}
const firstLoad = [...seen].filter((name) => !ON_DEMAND.test(name));
console.log("page weight (typical pending page, every island and chunk it loads):");
console.log(`  HTML ${kb(html.byteLength)} raw  ${kb(await gzipSize(html))} gzip`);
console.log(`  CSS  ${kb(css.byteLength)} raw  ${kb(await gzipSize(css))} gzip`);
console.log(
  `  JS   ${kb(jsRaw)} raw  ${kb(jsGzip)} gzip  (${firstLoad.length} files: ${
    firstLoad.join(", ")
  }); ` +
    `with an answer's first image ${kb(onDemandGzip).trim()} gzip more`,
);

const renderP50 = summarize(renderOnly).p50;
console.log(
  `targets: JS gzip ${jsGzip <= TARGET_JS_GZIP ? "PASS" : "FAIL"} (${
    kb(jsGzip).trim()
  } ≤ 18 KB), ` +
    `render p50 ${renderP50 <= TARGET_RENDER_P50_MS ? "PASS" : "FAIL"} (${
      renderP50.toFixed(3)
    } ms ≤ ${TARGET_RENDER_P50_MS} ms)`,
);

await closeRealtime(services);
services.hub.close();
kv.close();
