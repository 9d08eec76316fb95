/**
 * `deno bundle` for the browser, minified: the one way the islands, the inbox, its service worker,
 * the MCP App form and the tests' host page are built.
 * @module
 */

/** What to bundle, and where: `output` for one file, or `outdir` with code splitting. */
export type BundleTarget = { output: string } | { outdir: string };

/** Bundles `entry` (a path) from the project at `root`; throws with the bundler's output. */
export async function bundleForBrowser(
  root: URL,
  entry: string,
  target: BundleTarget,
): Promise<void> {
  const where = "output" in target
    ? ["--output", target.output]
    : ["--code-splitting", "--outdir", target.outdir];
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform=browser", "--minify", ...where, entry],
    cwd: root.pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
}
