/**
 * One bounded POST to a notification receiver: every hop through the SSRF guard, redirects
 * followed by hand (at most {@link MAX_REDIRECTS}), each hop limited in time, and at most a few KB
 * of the answer read. Built on `node:http(s)` rather than `fetch` because only it lets the guard
 * choose the address the socket connects to (its `lookup` option) while TLS still verifies the
 * URL's host name; `fetch` would resolve the name a second time, after the check.
 * @module
 */
import http from "node:http";
import https from "node:https";
import {
  BlockedUrlError,
  checkUrl,
  guardedLookup,
  type GuardOptions,
  resolveWithDns,
} from "./guard.ts";

/** Redirects followed before giving up. */
export const MAX_REDIRECTS = 3;
/** Bytes of an answer's body read (for the delivery status); the rest is never downloaded. */
export const MAX_ANSWER_BYTES = 4096;

/** Options of {@link postJson}. */
export interface PostOptions {
  /** JSON text, or bytes (an encrypted Web Push message, with its own `content-type` header). */
  body: string | Uint8Array;
  /** Request headers besides `Content-Length` (`Content-Type` is JSON unless given here). */
  headers?: Record<string, string>;
  /** Longest one hop may take, connect to last byte read. */
  timeoutMs: number;
  guard: GuardOptions;
  /** The first URL is the operator's: trusted as configured (its redirects are not). */
  trusted?: boolean;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal;
}

/** What came of a POST. */
export interface PostOutcome {
  /** The final HTTP status; null when none arrived (refused, unreachable, timed out). */
  status: number | null;
  /** Why it failed, safe to show the owner; absent on a 2xx. */
  error?: string;
  /** The guard refused an address: retrying cannot help. */
  blocked?: boolean;
  /** The start of the answer's body. */
  body: string;
}

interface HopAnswer {
  status: number;
  location?: string;
  body: string;
}

/** POSTs `options.body` as JSON to `url`, following redirects with the same method and body. */
export async function postJson(url: string, options: PostOptions): Promise<PostOutcome> {
  let target = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const trusted = hop === 0 && options.trusted === true;
    let answer: HopAnswer;
    try {
      const checked = trusted ? new URL(target) : checkUrl(target, options.guard);
      answer = await sendOnce(checked, { ...options, trusted });
    } catch (error) {
      if (error instanceof BlockedUrlError) {
        return {
          status: null,
          error: `${hop === 0 ? "URL" : "redirect"} refused: ${error.message}`,
          blocked: true,
          body: "",
        };
      }
      return { status: null, error: describe(error), body: "" };
    }
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      if (hop === MAX_REDIRECTS) {
        return { status: answer.status, error: "too many redirects", body: answer.body };
      }
      target = new URL(answer.location, target).href;
      continue;
    }
    const ok = answer.status >= 200 && answer.status < 300;
    return {
      status: answer.status,
      ...(ok ? {} : { error: `HTTP ${answer.status}` }),
      body: answer.body,
    };
  }
  return { status: null, error: "too many redirects", body: "" }; // not reached
}

/** One hop: the request, its status and `Location`, and the first bytes of its body. */
function sendOnce(url: URL, options: PostOptions & { trusted: boolean }): Promise<HopAnswer> {
  const guarded = !options.trusted && !options.guard.allowPrivate;
  const body = typeof options.body === "string"
    ? new TextEncoder().encode(options.body)
    : options.body;
  return new Promise<HopAnswer>((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    let settled = false;
    const finish = (error: Error | null, answer?: HopAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      request.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    const request = client.request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": String(body.byteLength),
        "user-agent": "interactive-feedback-notify",
        ...options.headers,
      },
      // The guard's resolution is the connection's: no second lookup for DNS rebinding to win.
      ...(guarded ? { lookup: guardedLookup(options.guard.resolve ?? resolveWithDns) } : {}),
      agent: false,
    }, (answer) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      const done = () =>
        finish(null, {
          status: answer.statusCode ?? 0,
          location: typeof answer.headers.location === "string"
            ? answer.headers.location
            : undefined,
          body: new TextDecoder().decode(concat(chunks)).slice(0, MAX_ANSWER_BYTES),
        });
      answer.on("data", (chunk: Uint8Array) => {
        chunks.push(chunk);
        size += chunk.byteLength;
        // A receiver that sends gigabytes gets its connection closed after a few KB.
        if (size >= MAX_ANSWER_BYTES) done();
      });
      answer.on("end", done);
      answer.on("error", (error: Error) => finish(error));
    });
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const onAbort = () => finish(new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error: Error) => finish(error));
    request.end(body);
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** A short reason for a failed hop, without internal detail. */
function describe(error: unknown): string {
  if (error instanceof BlockedUrlError) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].slice(0, 200);
}
