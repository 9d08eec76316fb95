/**
 * Bearer tokens as every transport receives them (RFC 6750): the REST API and MCP read the
 * `Authorization` header, WebSockets also a query parameter. Parsing the header, verifying the
 * token to an owner and the challenge a refusal carries live here, so the transports share them
 * without importing one another.
 * @module
 */
import { UnauthorizedError } from "../errors.ts";
import type { TokenVerifier } from "./jwt.ts";

const REALM = "interactive-feedback";

/** Extracts the token from an `Authorization: Bearer …` header (scheme case-insensitive). */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * The owner named by the bearer token of an `Authorization` header. Throws
 * {@link UnauthorizedError}: with `tokenPresented` false when the header holds no bearer token.
 */
export async function authenticateBearer(
  verify: TokenVerifier,
  authorization: string | null | undefined,
): Promise<string> {
  const token = bearerToken(authorization);
  if (!token) throw new UnauthorizedError("Send `Authorization: Bearer <token>`.", false);
  return (await verify(token)).owner;
}

/**
 * The `WWW-Authenticate` challenge of a refusal. RFC 6750 §3.1: the `invalid_token` error code
 * only when a token was presented (and did not verify).
 */
export function bearerChallenge(tokenPresented: boolean): string {
  return `Bearer realm="${REALM}"${tokenPresented ? ', error="invalid_token"' : ""}`;
}
