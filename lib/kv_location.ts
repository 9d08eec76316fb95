/**
 * Where this instance's Deno KV lives: `KV_PATH` when set; Deno Deploy's managed KV when deployed
 * without it; otherwise `./data/feedback.kv`. A local file's directory is the only place the
 * service writes, so `deno task start` grants write access to exactly that directory.
 * @module
 */

/** The default local KV file. */
export const DEFAULT_KV_PATH = "./data/feedback.kv";

/** The KV location to open: a path, `:memory:`, a KV Connect URL, or undefined for managed KV. */
export function kvLocation(configured: string | undefined, deployed: boolean): string | undefined {
  if (configured) return configured;
  return deployed ? undefined : DEFAULT_KV_PATH;
}

/** The directory of a local KV file (created before opening it); null for memory, URLs, managed. */
export function kvDirectory(location: string | undefined): string | null {
  if (!location || location === ":memory:" || location.includes("://")) return null;
  const slash = location.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : location.slice(0, slash);
}
