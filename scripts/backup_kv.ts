/**
 * `deno task backup <file or directory>`: a consistent copy of the local KV file, taken while
 * the service runs.
 *
 * Deno KV keeps a local file as SQLite in WAL mode: recent commits live in `feedback.kv-wal` until
 * SQLite checkpoints them, so copying `feedback.kv` alone (or the two files one after the other)
 * can miss commits or tear one. This uses SQLite's online backup API (`node:sqlite`'s `backup()`)
 * and copies every page in one step (`rate: -1`), inside one read transaction: the copy is the
 * database exactly as it was at one commit, and the service keeps writing meanwhile (in WAL mode a
 * reader never blocks the writer). The copy is written next to its destination, checked with
 * `PRAGMA integrity_check` and renamed into place, so a destination file is always a whole
 * backup; it is readable by its owner only from the start (it holds every question and answer).
 *
 * The source is `--from PATH`, else `KV_PATH`, else `./data/feedback.kv` (as the service picks
 * it). A directory as destination gets a name with the time: `feedback-20260101T120000Z.kv`.
 *
 * Usage: deno task backup [--from PATH] DEST
 */
import { backup, DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { kvLocation } from "../lib/kv_location.ts";

/** What one backup produced. */
export interface BackupResult {
  source: string;
  destination: string;
  /** Rows in the copy's `kv` table (KV entries, expired ones not yet purged included). */
  entries: number;
  bytes: number;
}

/** Raised for a source or destination this script cannot back up; the message says why. */
export class BackupError extends Error {}

/** Copies the KV file at `source` to `destination` (a file, or a directory to put one in). */
export async function backupKv(source: string, destination: string): Promise<BackupResult> {
  if (source === ":memory:" || source.includes("://")) {
    throw new BackupError(
      `KV_PATH: ${
        source.includes("://") ? "a KV Connect URL" : ":memory:"
      } is not a local file; back up a denokv server's own file where it runs, and Deno Deploy's managed KV through Deno Deploy`,
    );
  }
  try {
    if (!(await Deno.stat(source)).isFile) throw new BackupError(`${source} is not a file`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new BackupError(`no KV file at ${source}`);
    throw error;
  }
  const target = await isDirectory(destination)
    ? `${destination.replace(/\/+$/, "")}/feedback-${timestamp()}.kv`
    : destination;
  const partial = `${target}.partial`;
  // A -wal left by an interrupted run would be replayed into the new copy: remove all three.
  for (const file of [partial, `${partial}-wal`, `${partial}-shm`]) await removeIfPresent(file);
  // Created empty first, so the copy is never readable by others, not even while it is written.
  await Deno.writeFile(partial, new Uint8Array(), { mode: 0o600 });

  const db = new DatabaseSync(source, { readOnly: true });
  try {
    // rate -1: every page in one step, so the copy is one snapshot; a step-wise copy would start
    // over each time the service committed between two steps.
    await backup(db, partial, { rate: -1 });
  } finally {
    db.close();
  }

  let entries: number;
  // Read-write, so that closing it removes the -wal and -shm files a WAL database gets on open.
  const copy = new DatabaseSync(partial);
  try {
    const check = copy.prepare("PRAGMA integrity_check").all().map((row) => row.integrity_check);
    if (check.length !== 1 || check[0] !== "ok") {
      throw new BackupError(`the copy failed its integrity check: ${check.join("; ")}`);
    }
    entries = Number(copy.prepare("SELECT count(*) AS n FROM kv").get()?.n ?? 0);
  } catch (error) {
    await removeIfPresent(partial);
    throw error;
  } finally {
    copy.close();
  }
  await Deno.rename(partial, target);
  return { source, destination: target, entries, bytes: (await Deno.stat(target)).size };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return path.endsWith("/");
    throw error;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** `20260101T120000Z`: sorts by time, and has no `:` (awkward in file names). */
function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { from: { type: "string" } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    console.error("Usage: deno task backup [--from PATH] DEST   (DEST: a file or a directory)");
    Deno.exit(2);
  }
  const source = values.from ?? kvLocation(Deno.env.get("KV_PATH") || undefined, false)!;
  const started = performance.now();
  try {
    const result = await backupKv(source, positionals[0]);
    console.log(
      `backed up ${result.source} to ${result.destination}: ${result.entries} entries, ${
        (result.bytes / 1024).toFixed(0)
      } KiB, in ${Math.round(performance.now() - started)} ms`,
    );
  } catch (error) {
    console.error(error instanceof BackupError ? error.message : String(error));
    Deno.exit(1);
  }
}
