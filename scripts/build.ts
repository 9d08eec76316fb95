/**
 * `deno task build`: bundles the islands for the browser into `static/build/` (git-ignored):
 * `_entry.js` plus one chunk per island and a shared Preact chunk, minified, with content
 * hashes in the chunk names; then the inline MCP App form, `mcp_app.html` (`mcp_app/build.ts`);
 * then the inbox's own bundle and its service worker into `static/build/inbox/` (one file each,
 * outside the feedback page's budget: `inboxBundle` below).
 * Deno Deploy runs it as the build step; `deno task dev` runs it with `--watch` to rebuild on
 * change; `deno task test` runs it first.
 *
 * Usage: deno run -A scripts/build.ts [--watch]
 */
import { buildFormDocument } from "../mcp_app/build.ts";
import { bundleForBrowser } from "./bundle.ts";

const root = new URL("../", import.meta.url);
const outDir = new URL("static/build/", root);
const entry = new URL("islands/_entry.ts", root);

async function build(): Promise<boolean> {
  // Old hashed chunks would pile up otherwise.
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const started = performance.now();
  let total = 0;
  let form: { bytes: number; gzipBytes: number };
  try {
    await bundleForBrowser(root, entry.pathname, { outdir: outDir.pathname });
    // Counted before the inbox and the form land in the same folder.
    for await (const file of Deno.readDir(outDir)) {
      total += (await Deno.stat(new URL(file.name, outDir))).size;
    }
    await bundleInbox();
    form = await buildFormDocument(root);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return false;
  }
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  // One line: `deno task start` prints it before the service's own, and tests read that output.
  console.log(
    `islands built into static/build/ (${kib(total)}; inbox; MCP App form ${kib(form.bytes)}, ${
      kib(form.gzipBytes)
    } gzip) in ${Math.round(performance.now() - started)} ms`,
  );
  return true;
}

/**
 * The inbox (`islands/inbox/_entry.ts`) and its service worker (`islands/inbox/sw.ts`), each one
 * minified file without chunks, so the service worker precaches fixed paths.
 */
async function bundleInbox(): Promise<void> {
  const dir = new URL("static/build/inbox/", root);
  for (const [source, output] of [["_entry.ts", "_entry.js"], ["sw.ts", "sw.js"]]) {
    await bundleForBrowser(root, new URL(`islands/inbox/${source}`, root).pathname, {
      output: new URL(output, dir).pathname,
    });
  }
}

if (import.meta.main) {
  const ok = await build();
  if (!Deno.args.includes("--watch")) Deno.exit(ok ? 0 : 1);
  const watched = [
    "islands",
    "lib/islands",
    "lib/i18n.ts",
    "lib/text.ts",
    "lib/feedback/model.ts",
    "lib/mcp/app/protocol.ts",
    "mcp_app",
    "static/styles.css",
  ]
    .map((p) => new URL(p, root).pathname);
  let timer: ReturnType<typeof setTimeout> | undefined;
  for await (const _event of Deno.watchFs(watched)) {
    clearTimeout(timer);
    timer = setTimeout(() => build(), 100);
  }
}
