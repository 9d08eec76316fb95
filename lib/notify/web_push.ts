/**
 * Web Push requests (RFC 8030) to one browser's subscription: the payload encrypted with
 * `aes128gcm` (RFC 8291) by `@block65/webcrypto-web-push`, which runs on WebCrypto alone and pads
 * every message to one size, and the VAPID authorization (RFC 8292, `vapid t=<JWT>, k=<key>`)
 * signed here with `jose` (ES256). The library has a VAPID helper too, but it refuses any
 * endpoint that is not https, and a push endpoint on loopback (tests, a self-hosted push service
 * behind `NOTIFY_ALLOW_PRIVATE=1`) must be signed the same way as the real ones.
 * @module
 */
import { encryptNotification } from "@block65/webcrypto-web-push";
import { importJWK, SignJWT } from "jose";
import type { VapidConfig } from "../config.ts";
import { fromBase64Url, toBase64Url } from "./_base64url.ts";

/** What a browser's `PushSubscription.toJSON()` holds that a sender needs. */
export interface PushTarget {
  endpoint: string;
  keys: {
    /** base64url of the browser's P-256 public key (65 bytes, uncompressed). */
    p256dh: string;
    /** base64url of the 16-byte authentication secret. */
    auth: string;
  };
}

/** How a push service should treat a message (RFC 8030 §5.2–5.4). */
export interface PushOptions {
  /** Seconds the push service keeps the message for an offline device (0: deliver now or drop). */
  ttlSeconds: number;
  urgency: "very-low" | "low" | "normal" | "high";
  /** A queued message with the same topic is replaced by this one (≤ 32 base64url characters). */
  topic?: string;
  /** Epoch ms, for the JWT's expiry. */
  now: number;
}

/** One POST to a push service. */
export interface PushRequest {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

/** Lifetime of a VAPID JWT (RFC 8292 allows at most 24 hours). */
const JWT_LIFETIME_S = 12 * 3600;

/** The VAPID signing key: the private scalar with its public point, as a JWK. */
async function signingKey(vapid: VapidConfig): Promise<CryptoKey> {
  const point = fromBase64Url(vapid.publicKey);
  return await importJWK({
    kty: "EC",
    crv: "P-256",
    x: toBase64Url(point.subarray(1, 33)),
    y: toBase64Url(point.subarray(33, 65)),
    d: vapid.privateKey,
  }, "ES256") as CryptoKey;
}

/** The `Authorization` header for `endpoint`: a JWT whose audience is the endpoint's origin. */
export async function vapidAuthorization(
  endpoint: string,
  vapid: VapidConfig,
  now: number,
): Promise<string> {
  const seconds = Math.floor(now / 1000);
  const jwt = await new SignJWT({})
    .setProtectedHeader({ typ: "JWT", alg: "ES256" })
    .setAudience(new URL(endpoint).origin)
    .setSubject(vapid.subject)
    .setExpirationTime(seconds + JWT_LIFETIME_S)
    .sign(await signingKey(vapid));
  return `vapid t=${jwt}, k=${vapid.publicKey}`;
}

/** The encrypted, signed request that delivers `payload` (JSON) to `target`. */
export async function buildPushRequest(
  target: PushTarget,
  payload: unknown,
  options: PushOptions & { vapid: VapidConfig },
): Promise<PushRequest> {
  const body = await encryptNotification(
    { endpoint: target.endpoint, expirationTime: null, keys: target.keys },
    new TextEncoder().encode(JSON.stringify(payload)),
  );
  return {
    url: target.endpoint,
    body,
    headers: {
      authorization: await vapidAuthorization(target.endpoint, options.vapid, options.now),
      "content-type": "application/octet-stream",
      "content-encoding": "aes128gcm",
      ttl: String(Math.max(0, Math.floor(options.ttlSeconds))),
      urgency: options.urgency,
      ...(options.topic ? { topic: options.topic } : {}),
    },
  };
}

/**
 * Whether `p256dh` and `auth` are keys a browser could have made: an uncompressed point on P-256
 * and a 16-byte secret. Junk is refused when the subscription is stored, not at send.
 */
export function validPushKeys(keys: PushTarget["keys"]): boolean {
  let point: Uint8Array, auth: Uint8Array;
  try {
    point = fromBase64Url(keys.p256dh);
    auth = fromBase64Url(keys.auth);
  } catch {
    return false;
  }
  if (point.byteLength !== 65 || point[0] !== 0x04 || auth.byteLength !== 16) return false;
  return onP256(point);
}

/** P-256's field prime and curve constant `b` (SEC 2; `a` is -3). */
const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

const bigOf = (bytes: Uint8Array) =>
  BigInt(`0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`);

/**
 * Whether an uncompressed point lies on P-256: y² = x³ - 3x + b (mod p). WebCrypto's raw import
 * does not check this in Deno (it accepts (0, 0)), so it is checked here.
 */
function onP256(point: Uint8Array): boolean {
  const x = bigOf(point.subarray(1, 33));
  const y = bigOf(point.subarray(33, 65));
  if (x >= P || y >= P) return false;
  const mod = (n: bigint) => ((n % P) + P) % P;
  return mod(y * y) === mod(x * x * x - 3n * x + B);
}
