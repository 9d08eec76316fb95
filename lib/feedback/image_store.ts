/**
 * Where image bytes live in Deno KV: in chunks under keys of their own, because one KV value
 * holds at most 64 KiB and one atomic commit at most 819,200 bytes of mutations, so a 2 MiB
 * image can be neither one value nor part of its session's commit.
 *
 * The write has two phases (docs/images.md):
 * 1. {@link ImageStore.writeChunks} writes every chunk (≤ {@link CHUNK_BYTES} each, at most
 *    {@link CHUNKS_PER_COMMIT} per commit) under a fresh random blob id that no other request
 *    writes, each with a KV expiry;
 * 2. one atomic commit of `store.ts` writes the session change whose record lists the images
 *    (the manifest) together with the owner's usage entry ({@link imageUsageKey}). That commit
 *    is the compare-and-set that decides the request: only once it is committed is the request
 *    acknowledged. A request that surely lost (its commit answered `ok: false`, or it was
 *    refused before committing) calls {@link ImageStore.deleteChunks}; one whose commit threw
 *    leaves them to their expiry (on a remote KV such a commit may have been applied).
 *
 * Chunks are read only through a manifest entry of a session that exists, so chunks no session
 * lists (a crash between the phases) are never served, and their expiry removes them.
 * @module
 */
import { AppError } from "../errors.ts";
import type { CheckedImage } from "../images/check.ts";
import type { StoredImage } from "./model.ts";

/** Bytes one chunk holds: under KV's 65,536-byte value limit. */
export const CHUNK_BYTES = 60 * 1024;
/** Chunks written per commit: 12 × 60 KiB = 737,280 bytes, under KV's 819,200-byte commit limit. */
export const CHUNKS_PER_COMMIT = 12;
/** Chunk commits in flight at once for one request (a remote KV answers them in parallel). */
const WRITE_CONCURRENCY = 4;
/** Keys per `getMany` (KV's limit). */
const READ_BATCH = 10;
/** Deletes per commit (KV allows 1,000 mutations; keys here are small). */
const DELETE_BATCH = 200;

/** Prefix of the chunks of one image. */
export const imageChunkPrefix = (blob: string): Deno.KvKey => ["feedback", "image_chunk", blob];
/** One chunk of an image, numbered from 0. */
export const imageChunkKey = (blob: string, index: number): Deno.KvKey => [
  ...imageChunkPrefix(blob),
  index,
];
/** Prefix of one owner's image usage entries. */
export const imageUsagePrefix = (owner: string): Deno.KvKey => [
  "feedback",
  "image_bytes_by_owner",
  owner,
];
/**
 * The bytes of one session's question images (`q`) or answer images (`a`), counted against the
 * session owner's `OWNER_MAX_IMAGE_BYTES`. Written in the commit that lists the images, with the
 * same KV expiry as their chunks, so the count follows what storage really holds.
 */
export const imageUsageKey = (owner: string, sessionId: string, part: "q" | "a"): Deno.KvKey => [
  ...imageUsagePrefix(owner),
  sessionId,
  part,
];

/** A usage entry's value. */
export interface ImageUsageRecord {
  bytes: number;
  /** When the chunks it counts expire (ms, the service's clock); counts ignore it from then. */
  until: number;
}

/** A usage entry to write with a session change. */
export interface ImageUsage extends ImageUsageRecord {
  owner: string;
  sessionId: string;
  part: "q" | "a";
}

/** Options of {@link ImageStore.writeChunks}. */
export interface WriteChunksOptions {
  /** `q` for a question's images, `a` for an answer's: ids become `q1`, `q2`, … */
  part: "q" | "a";
  /** KV expiry of every chunk, in ms from now: no earlier than the session's purge. */
  expireIn: number;
}

/** Runs `tasks` at most `limit` at a time; settles them all, then throws the first failure. */
async function inPool(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure) throw failure.error;
}

/** KV access for image chunks and usage. Holds no state besides the KV handle. */
export class ImageStore {
  constructor(readonly kv: Deno.Kv) {}

  /**
   * Phase 1: writes the chunks of `images` under fresh blob ids and returns their manifest
   * entries, in order. If any commit fails, deletes what it wrote and rethrows.
   */
  async writeChunks(images: CheckedImage[], options: WriteChunksOptions): Promise<StoredImage[]> {
    const manifest: StoredImage[] = images.map((image, i) => ({
      id: `${options.part}${i + 1}`,
      mimeType: image.mimeType,
      bytes: image.data.length,
      width: image.width,
      height: image.height,
      alt: options.part === "q" ? image.alt : null,
      blob: crypto.randomUUID(),
      chunks: Math.ceil(image.data.length / CHUNK_BYTES),
    }));
    const writes: [Deno.KvKey, Uint8Array][] = [];
    images.forEach((image, i) => {
      for (let c = 0; c < manifest[i].chunks; c++) {
        const part = image.data.subarray(c * CHUNK_BYTES, (c + 1) * CHUNK_BYTES);
        writes.push([imageChunkKey(manifest[i].blob, c), part]);
      }
    });
    const commits: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < writes.length; i += CHUNKS_PER_COMMIT) {
      const batch = writes.slice(i, i + CHUNKS_PER_COMMIT);
      commits.push(async () => {
        const op = this.kv.atomic();
        for (const [key, value] of batch) op.set(key, value, { expireIn: options.expireIn });
        await op.commit();
      });
    }
    try {
      await inPool(commits, WRITE_CONCURRENCY);
    } catch (error) {
      await this.deleteChunks(manifest).catch(() => {}); // what is left, expiry removes
      throw error;
    }
    return manifest;
  }

  /** Deletes the chunks of `images`: a losing or failed request's, at once. */
  async deleteChunks(images: readonly StoredImage[]): Promise<void> {
    const keys = images.flatMap((image) =>
      Array.from({ length: image.chunks }, (_, c) => imageChunkKey(image.blob, c))
    );
    const commits: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      commits.push(async () => {
        const op = this.kv.atomic();
        for (const key of batch) op.delete(key);
        await op.commit();
      });
    }
    await inPool(commits, WRITE_CONCURRENCY);
  }

  /**
   * The bytes of `image`, read through its manifest entry; null when a chunk is missing or the
   * sizes disagree (not expected: a session's purge time is never later than its chunks'
   * expiry, but a store restored from a backup or a deleted key can still leave a gap).
   */
  async read(image: StoredImage): Promise<Uint8Array | null> {
    const keys = Array.from({ length: image.chunks }, (_, c) => imageChunkKey(image.blob, c));
    const batches: Deno.KvKey[][] = [];
    for (let i = 0; i < keys.length; i += READ_BATCH) batches.push(keys.slice(i, i + READ_BATCH));
    const entries = (await Promise.all(batches.map((batch) => this.kv.getMany(batch)))).flat();
    const out = new Uint8Array(image.bytes);
    let at = 0;
    for (const entry of entries) {
      const value = entry.value;
      if (!(value instanceof Uint8Array) || at + value.length > out.length) return null;
      out.set(value, at);
      at += value.length;
    }
    return at === image.bytes ? out : null;
  }

  /**
   * Image bytes `owner`'s sessions hold at `now` (usage entries whose chunks have not expired),
   * counting no further than `limit` when given.
   */
  async usage(owner: string, options: { now: number; limit?: number }): Promise<number> {
    let total = 0;
    const iter = this.kv.list<ImageUsageRecord>({ prefix: imageUsagePrefix(owner) }, {
      batchSize: 500,
    });
    for await (const entry of iter) {
      if (entry.value.until > options.now) total += entry.value.bytes;
      if (options.limit !== undefined && total > options.limit) break;
    }
    return total;
  }
}

/** Sets `usage` (if any) in `op`, with its expiry as of `now`. */
export function setImageUsage(op: Deno.AtomicOperation, usage: ImageUsage, now: number): void {
  const record: ImageUsageRecord = { bytes: usage.bytes, until: usage.until };
  op.set(imageUsageKey(usage.owner, usage.sessionId, usage.part), record, {
    expireIn: Math.max(1, usage.until - now),
  });
}

/**
 * How long chunks outlive the latest moment their session could be purged: covers the time
 * between writing the chunks and the commit that lists them (the session's purge time is
 * computed again there, a little later).
 */
export const IMAGE_EXPIRY_MARGIN_MS = 60 * 1000;

/**
 * One request's images on their way in: written at most once (a compare-and-set retry reuses
 * them), deleted by {@link release} when the request surely did not list them.
 */
export class StagedImages {
  #manifest: StoredImage[] | null = null;
  #until = 0;
  /** `listed`: a commit listed them; `unknown`: a commit threw, so it may have. */
  #outcome: "open" | "listed" | "unknown" = "open";

  constructor(
    readonly store: ImageStore,
    readonly images: CheckedImage[],
    readonly part: "q" | "a",
  ) {}

  /** Decoded bytes of all the images. */
  get bytes(): number {
    return this.images.reduce((sum, image) => sum + image.data.length, 0);
  }

  /** When the chunks expire (ms, the service's clock); 0 before {@link write}. */
  get until(): number {
    return this.#until;
  }

  /**
   * Writes the chunks, once, to expire {@link IMAGE_EXPIRY_MARGIN_MS} after `purgeAt` (the
   * purge time of the session that will list them), and returns the manifest. The session's
   * own purge time must then be no later than {@link until}.
   */
  async write(options: { now: number; purgeAt: number }): Promise<StoredImage[]> {
    if (!this.#manifest) {
      const until = options.purgeAt + IMAGE_EXPIRY_MARGIN_MS;
      this.#manifest = await this.store.writeChunks(this.images, {
        part: this.part,
        expireIn: Math.max(1, until - options.now),
      });
      this.#until = until;
    }
    return this.#manifest;
  }

  /**
   * Runs `write`, a commit that lists the images (true when it was applied), and remembers what
   * it means for {@link release}: true keeps them, false leaves them to delete. A throw leaves
   * them in doubt, kept until they expire: on a remote KV a commit that threw (a timeout, a
   * dropped connection) may have been applied, and deleting chunks a session lists would break
   * it. Except an {@link AppError}: a refusal raised before anything was sent (a value too
   * large), a sure loss.
   */
  async commit(write: () => Promise<boolean>): Promise<boolean> {
    try {
      const ok = await write();
      if (ok) this.#outcome = "listed";
      return ok;
    } catch (error) {
      if (!(error instanceof AppError) && this.#outcome === "open") this.#outcome = "unknown";
      throw error;
    }
  }

  /**
   * Deletes the chunks when no commit listed them for sure: a loser's, or a refused request's.
   * After a commit in doubt they are left to their expiry. A failure to delete is left to the
   * expiry too (the request's own error matters more).
   */
  async release(): Promise<void> {
    const manifest = this.#manifest;
    if (this.#outcome !== "open" || !manifest) return;
    this.#manifest = null;
    await this.store.deleteChunks(manifest).catch(() => {});
  }
}
