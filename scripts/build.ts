/**
 * `deno task build`: bundles the islands for the browser into `static/build/` (git-ignored):
 * `_entry.js` plus one chunk per island and a shared Preact chunk, minified, with content
 * hashes in the chunk names. Deno Deploy runs it as the build step; `deno task dev` runs it with
 * `--watch` to rebuild on change; `deno task test` runs it first.
 *
 * Usage: deno run -A scripts/build.ts [--watch]
 */
const root = new URL("../", import.meta.url);
const outDir = new URL("static/build/", root);
const entry = new URL("islands/_entry.ts", root);

async function build(): Promise<boolean> {
  // Old hashed chunks would pile up otherwise.
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const started = performance.now();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform=browser",
      "--minify",
      "--code-splitting",
      "--outdir",
      outDir.pathname,
      entry.pathname,
    ],
    cwd: root.pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    console.error(new TextDecoder().decode(stderr));
    return false;
  }
  let total = 0;
  for await (const file of Deno.readDir(outDir)) {
    total += (await Deno.stat(new URL(file.name, outDir))).size;
  }
  console.log(
    `islands built into static/build/ (${(total / 1024).toFixed(1)} KiB) in ${
      Math.round(performance.now() - started)
    } ms`,
  );
  return true;
}

if (import.meta.main) {
  const ok = await build();
  if (!Deno.args.includes("--watch")) Deno.exit(ok ? 0 : 1);
  const watched = ["islands", "lib/islands", "lib/i18n.ts", "lib/text.ts", "lib/feedback/model.ts"]
    .map((p) => new URL(p, root).pathname);
  let timer: ReturnType<typeof setTimeout> | undefined;
  for await (const _event of Deno.watchFs(watched)) {
    clearTimeout(timer);
    timer = setTimeout(() => build(), 100);
  }
}
