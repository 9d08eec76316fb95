/**
 * `deno task bench`: runs every `benchmarks/*_bench.ts` in its own process, one after another
 * (so one benchmark's sockets and timers cannot disturb the next), and prints their figures.
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
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(file, dir).pathname],
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
