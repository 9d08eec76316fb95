/**
 * `deno task bench`: runs every `benchmarks/*_bench.ts` in its own process, one after another
 * (so one benchmark's sockets and timers cannot disturb the next), and prints their figures.
 * Each runs under `ulimit -n 65536` where the system permits it (otherwise Deno's own raise to the
 * hard limit applies): `waiters_bench.ts` holds ten thousand sockets in each of its processes.
 */
const dir = new URL(".", import.meta.url);
const only = Deno.args[0];
const files: string[] = [];
for await (const entry of Deno.readDir(dir)) {
  if (entry.isFile && entry.name.endsWith("_bench.ts") && (!only || entry.name.includes(only))) {
    files.push(entry.name);
  }
}
files.sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const { code } = await new Deno.Command("sh", {
    args: [
      "-c",
      'ulimit -n 65536 2>/dev/null; exec "$0" "$@"',
      Deno.execPath(),
      "run",
      "-A",
      new URL(file, dir).pathname,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    failed++;
    console.log(`${file} exited with ${code}`);
  }
}
if (files.length === 0) console.log("no benchmarks found");
Deno.exit(failed ? 1 : 0);
