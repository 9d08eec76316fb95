/**
 * List cursors: a signed position inside one owner's index. KV's own cursors are opaque key
 * suffixes, and a client that crafts one can move the end of a reverse listing past the owner's
 * prefix, into the index of an owner whose name extends the caller's (`alice` → `alice\u0000bob`).
 * So the service never hands KV's cursor out: a cursor here names the last index entry returned
 * (`createdAt`, `sessionId`), and carries an HMAC-SHA256 over that position together with the
 * owner and the query (status filter) it was issued for. A cursor from another owner or another
 * query, or with any character changed, does not verify and is refused.
 *
 * The MAC key is derived from the JWT secret with HKDF and a fixed label, so every instance that
 * shares the secret accepts every other's cursors, and rotating `JWT_SECRET` simply invalidates
 * cursors issued before (a client then starts again from the first page).
 * @module
 */
import type { SessionStatus } from "./model.ts";

/** A position in an owner's index: the entry a page ended on. */
export interface ListPosition {
  createdAt: number;
  sessionId: string;
}

/** What a cursor is bound to: who listed, and with which filter. */
export interface CursorScope {
  owner: string;
  status?: SessionStatus;
}

/** Issues and checks list cursors; see the module documentation. */
export interface CursorCodec {
  /** A cursor that resumes after `position`, valid only for `scope`. */
  issue(scope: CursorScope, position: ListPosition): Promise<string>;
  /** The position a cursor names, or null when it was not issued by this codec for `scope`. */
  read(scope: CursorScope, cursor: string): Promise<ListPosition | null>;
}

const encoder = new TextEncoder();
/** HKDF `info`: separates this key from any other use of the JWT secret. */
const KEY_LABEL = "interactive-feedback/list-cursor/v1";
/** A base64url payload, a dot, and a 32-byte MAC in base64url (43 characters, unpadded). */
const CURSOR_SHAPE = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/;
/** Session ids are UUIDs; anything longer is not a position this service wrote. */
const MAX_ID_LENGTH = 64;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Compares two strings in time that depends on their length only, not on where they differ. */
function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

async function deriveKey(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
    "deriveKey",
  ]);
  return await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode(KEY_LABEL) },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

function isPosition(value: unknown): value is [number, string] {
  return Array.isArray(value) && value.length === 2 &&
    Number.isSafeInteger(value[0]) && value[0] >= 0 &&
    typeof value[1] === "string" && value[1].length > 0 && value[1].length <= MAX_ID_LENGTH;
}

/** Builds the codec for a secret (the JWT secret; the cursor key is derived from it). */
export function createCursorCodec(secret: string): CursorCodec {
  const key = deriveKey(secret);
  // JSON keeps the fields apart whatever the owner contains, so no two scopes sign alike.
  const mac = async (scope: CursorScope, payload: string) =>
    toBase64Url(
      new Uint8Array(
        await crypto.subtle.sign(
          "HMAC",
          await key,
          encoder.encode(JSON.stringify([KEY_LABEL, scope.owner, scope.status ?? null, payload])),
        ),
      ),
    );

  return {
    async issue(scope, position) {
      const payload = toBase64Url(
        encoder.encode(JSON.stringify([position.createdAt, position.sessionId])),
      );
      return `${payload}.${await mac(scope, payload)}`;
    },
    async read(scope, cursor) {
      const match = CURSOR_SHAPE.exec(cursor);
      if (!match) return null;
      const [, payload, given] = match;
      // The MAC is checked on the text as sent, before the payload is parsed at all.
      if (!timingSafeEqual(given, await mac(scope, payload))) return null;
      const bytes = fromBase64Url(payload);
      if (!bytes) return null;
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return null;
      }
      return isPosition(value) ? { createdAt: value[0], sessionId: value[1] } : null;
    },
  };
}
