/**
 * Serves the files of `static/` (CSS, icons, and the island bundles that `deno task build` writes
 * to `static/build/`). Paths are confined to the folder; bundler chunks carry a content hash in
 * their name, so they are cached for a year, and everything else is revalidated by ETag.
 *
 * Ours rather than `serveStatic` from `hono/deno` (checked with Hono 4.13): that one serves
 * dotfiles (`/static/.env.local`), sends no ETag, 304 or Content-Length, and opens the file for HEAD.
 * @module
 */
import type { Context } from "hono";

const CONTENT_TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  map: "application/json; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json",
};

const ONE_YEAR_SECONDS = 31_536_000;

/** A hashed chunk name from `deno bundle --code-splitting`, e.g. `chunk-5NMLV36M.js`. */
const HASHED = /-[A-Z0-9]{8}\.js$/;
const SAFE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

/** Options of {@link createStaticHandler}. */
export interface StaticOptions {
  /** The folder to serve (a `file:` URL ending in `/`). */
  root: URL;
  /** The URL prefix the folder is mounted at, e.g. `/static/`. */
  prefix: string;
}

/** A Hono handler for `GET`/`HEAD` of files under `prefix`; anything else falls through. */
export function createStaticHandler(options: StaticOptions) {
  return async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    const path = c.req.path.slice(options.prefix.length);
    const extension = path.slice(path.lastIndexOf(".") + 1);
    if (!SAFE_PATH.test(path) || !Object.hasOwn(CONTENT_TYPES, extension)) return await next();
    const url = new URL(path, options.root);
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(url);
    } catch {
      return await next();
    }
    if (!stat.isFile) return await next();
    const etag = `W/"${stat.size.toString(36)}-${(stat.mtime?.getTime() ?? 0).toString(36)}"`;
    const headers = new Headers({
      "content-type": CONTENT_TYPES[extension],
      etag,
      "cache-control": HASHED.test(path)
        ? `public, max-age=${ONE_YEAR_SECONDS}, immutable`
        : "public, max-age=0, must-revalidate",
    });
    if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
    headers.set("content-length", String(stat.size));
    const body = c.req.method === "HEAD" ? null : await Deno.readFile(url);
    return new Response(body, { status: 200, headers });
  };
}
