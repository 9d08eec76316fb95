/**
 * Part of `deno task start`: prints the `--allow-write` flag for exactly the directory of a local
 * `KV_PATH` file, the only place the service writes (nothing for `:memory:`, a KV Connect URL or
 * Deno Deploy's managed KV).
 */
import { kvDirectory, kvLocation } from "../lib/kv_location.ts";

const dir = kvDirectory(
  kvLocation(Deno.env.get("KV_PATH") || undefined, Boolean(Deno.env.get("DENO_DEPLOYMENT_ID"))),
);
// A directory with blanks would be split into two arguments by the task shell; the service then
// reports, in one line naming KV_PATH, that it may not write there.
if (dir && !/\s/.test(dir)) console.log(`--allow-write=${dir}`);
