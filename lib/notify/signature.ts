/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the bytes of a `whsec_<base64>`
 * secret. Receivers verify with any Standard Webhooks library (`standardwebhooks` on npm).
 * @module
 */
import { decodeBase64, encodeBase64 } from "./_base64.ts";

const PREFIX = "whsec_";

/** A new secret: `whsec_` and 32 random bytes in base64 (what the service shows an owner once). */
export function generateSecret(): string {
  return PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The signing headers of one attempt to send `body` as message `id` at `timestampSeconds`. */
export async function signatureHeaders(
  secret: string,
  message: { id: string; timestampSeconds: number; body: string },
): Promise<Record<string, string>> {
  const keyBytes = decodeBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
  const key = await crypto.subtle.importKey(
    "raw",
    keyBytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signed = `${message.id}.${message.timestampSeconds}.${message.body}`;
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signed));
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(message.timestampSeconds),
    "webhook-signature": `v1,${encodeBase64(new Uint8Array(mac))}`,
  };
}
