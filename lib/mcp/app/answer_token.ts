/**
 * Answer tokens: the proof that an answer sent through the app-only submit tool comes from the
 * inline form the human sees, not from the model. A token is an HMAC-SHA256 over the owner and
 * the session id; the agent's tool results hand it to the form in `_meta`, which hosts keep from
 * the model, so the model can name a session but never answer it through MCP.
 *
 * Stateless: nothing is stored. The MAC key is derived from the JWT secret with HKDF and a fixed
 * label (as the list cursors' key is, `lib/feedback/cursor.ts`), so every instance that shares the
 * secret accepts every other's tokens, and rotating `JWT_SECRET` voids the tokens issued before
 * (an open form then says it can no longer answer and offers the page). Synchronous
 * (`node:crypto`), so a tool result can carry its token without turning every result builder
 * async.
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/** HKDF `info`: separates this key from any other use of the JWT secret. */
const KEY_LABEL = "interactive-feedback/mcp-app-answer-token/v1";
/** 32 MAC bytes in unpadded base64url. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Issues and checks answer tokens; see the module documentation. */
export interface AnswerTokenCodec {
  /** The token that lets `owner`'s inline form answer session `sessionId`. */
  issue(owner: string, sessionId: string): string;
  /** True only for the token {@link issue} gives for the same owner and session. */
  verify(owner: string, sessionId: string, token: string): boolean;
}

/** Builds the codec for a secret (the JWT secret; the token key is derived from it). */
export function createAnswerTokenCodec(secret: string): AnswerTokenCodec {
  const key = Buffer.from(hkdfSync("sha256", secret, new Uint8Array(), KEY_LABEL, 32));
  // JSON keeps the fields apart whatever the owner contains, so no two pairs sign alike.
  const mac = (owner: string, sessionId: string) =>
    createHmac("sha256", key).update(JSON.stringify([KEY_LABEL, owner, sessionId])).digest();
  return {
    issue: (owner, sessionId) => mac(owner, sessionId).toString("base64url"),
    verify(owner, sessionId, token) {
      if (!TOKEN_SHAPE.test(token)) return false;
      return timingSafeEqual(Buffer.from(token, "base64url"), mac(owner, sessionId));
    },
  };
}
