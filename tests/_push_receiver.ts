/**
 * A real Web Push endpoint on 127.0.0.1 for tests, standing in for FCM/Mozilla/Apple: it checks
 * each request's VAPID authorization (RFC 8292: an ES256 JWT whose audience is this origin, signed
 * by the key in `k`) and DECRYPTS the `aes128gcm` body (RFC 8291, RFC 8188) with the private key
 * and auth secret of a subscription made here as a browser would make it, all with WebCrypto,
 * independently of the library the service encrypts with.
 */
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from "jose";

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function fromB64url(text: string): Uint8Array<ArrayBuffer> {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(
    atob(plain + "=".repeat((4 - plain.length % 4) % 4)),
    (c) => c.charCodeAt(0),
  );
}

/** What a browser keeps of its subscription: the ECDH key pair and the auth secret. */
export interface BrowserKeys {
  privateKey: CryptoKey;
  /** The uncompressed public point (65 bytes). */
  publicKey: Uint8Array<ArrayBuffer>;
  auth: Uint8Array<ArrayBuffer>;
  /** As `PushSubscription.toJSON().keys` has them. */
  json: { p256dh: string; auth: string };
}

/** A fresh P-256 key pair and 16-byte auth secret, as a browser makes for a subscription. */
export async function browserKeys(): Promise<BrowserKeys> {
  const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, [
    "deriveBits",
  ]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const auth = crypto.getRandomValues(new Uint8Array(16));
  return {
    privateKey: pair.privateKey,
    publicKey,
    auth,
    json: { p256dh: b64url(publicKey), auth: b64url(auth) },
  };
}

async function hkdf(
  salt: Uint8Array<ArrayBuffer>,
  ikm: Uint8Array<ArrayBuffer>,
  info: Uint8Array<ArrayBuffer>,
  bytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, bytes * 8),
  );
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
};
const text = (s: string) => new TextEncoder().encode(s);

/** Decrypts an `aes128gcm` Web Push body (one record) with the subscriber's keys (RFC 8291 §3). */
export async function decryptPush(
  body: Uint8Array<ArrayBuffer>,
  keys: BrowserKeys,
): Promise<string> {
  // RFC 8188 §2.1 header: salt (16) | record size (4) | key id length (1) | key id.
  const salt = body.slice(0, 16);
  const recordSize = new DataView(body.buffer, body.byteOffset + 16, 4).getUint32(0);
  const idLength = body[20];
  const senderPublic = body.slice(21, 21 + idLength);
  const ciphertext = body.slice(21 + idLength);
  if (idLength !== 65) throw new Error(`key id is ${idLength} bytes, not a P-256 point`);
  if (ciphertext.byteLength > recordSize) throw new Error("more than one record");
  const sender = await crypto.subtle.importKey(
    "raw",
    senderPublic,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const ecdhSecret = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: sender }, keys.privateKey, 256),
  );
  const keyInfo = concat(text("WebPush: info\0"), keys.publicKey, senderPublic);
  const ikm = await hkdf(keys.auth, ecdhSecret, keyInfo, 32);
  const cek = await hkdf(salt, ikm, text("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, text("Content-Encoding: nonce\0"), 12);
  const aesKey = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, aesKey, ciphertext),
  );
  // The last record ends with 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return new TextDecoder().decode(padded.subarray(0, end));
}

/** One push as the endpoint received it, checked and decrypted. */
export interface ReceivedPush {
  subscription: string;
  headers: Record<string, string>;
  /** The decrypted JSON. */
  // deno-lint-ignore no-explicit-any
  payload: any;
  /** The VAPID JWT's claims and the `k` it came with. */
  vapid: { aud: string; sub: string; exp: number; k: string };
  bodyBytes: number;
}

/** A running push endpoint; dispose it to stop it. */
export interface PushService extends AsyncDisposable {
  origin: string;
  received: ReceivedPush[];
  /** Requests refused (bad VAPID, undecryptable): the reason of each. */
  refused: string[];
  /** A new subscription on this endpoint, with keys as a browser makes them. */
  subscribe(): Promise<{ endpoint: string; keys: BrowserKeys; toJSON(): unknown }>;
  /** Answer pushes to one subscription with this status (default 201). */
  answer(endpoint: string, status: number): void;
}

/** Starts the endpoint; `publicKey` is the VAPID key every push must be signed with. */
export function startPushService(options: { publicKey: string; subject: string }): PushService {
  const subscriptions = new Map<string, { keys: BrowserKeys; status: number }>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const id = url.pathname.split("/").pop() ?? "";
    const subscription = subscriptions.get(id);
    const body = new Uint8Array(await req.arrayBuffer());
    if (!subscription) return new Response("no such subscription", { status: 404 });
    const refuse = (reason: string, status: number) => {
      refused.push(reason);
      return new Response(reason, { status });
    };
    // RFC 8292 §3: Authorization: vapid t=<JWT>, k=<public key>.
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(
      req.headers.get("authorization") ?? "",
    );
    if (!match) return refuse("no vapid authorization", 401);
    const [, jwt, k] = match;
    if (k !== options.publicKey) return refuse("unknown application server key", 403);
    const point = fromB64url(k);
    const key = await importJWK({
      kty: "EC",
      crv: "P-256",
      x: b64url(point.subarray(1, 33)),
      y: b64url(point.subarray(33, 65)),
    }, "ES256");
    try {
      if (decodeProtectedHeader(jwt).alg !== "ES256") throw new Error("not ES256");
      await jwtVerify(jwt, key, { algorithms: ["ES256"], audience: url.origin });
    } catch (error) {
      return refuse(`bad VAPID JWT: ${error}`, 403);
    }
    const claims = decodeJwt(jwt);
    if (!claims.exp || claims.exp - Date.now() / 1000 > 24 * 3600) {
      return refuse("JWT expiry missing or beyond 24 h", 403);
    }
    if (req.headers.get("content-encoding") !== "aes128gcm") return refuse("not aes128gcm", 415);
    if (!/^\d+$/.test(req.headers.get("ttl") ?? "")) return refuse("no TTL", 400);
    let payload;
    try {
      payload = JSON.parse(await decryptPush(body, subscription.keys));
    } catch (error) {
      return refuse(`undecryptable: ${error}`, 400);
    }
    received.push({
      subscription: id,
      headers: Object.fromEntries(req.headers),
      payload,
      vapid: {
        aud: String(claims.aud),
        sub: String(claims.sub),
        exp: claims.exp,
        k,
      },
      bodyBytes: body.byteLength,
    });
    return new Response(null, { status: subscription.status });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    received,
    refused,
    async subscribe() {
      const id = crypto.randomUUID();
      const keys = await browserKeys();
      subscriptions.set(id, { keys, status: 201 });
      const endpoint = `${origin}/push/${id}`;
      return {
        endpoint,
        keys,
        toJSON: () => ({ endpoint, expirationTime: null, keys: keys.json }),
      };
    },
    answer(endpoint, status) {
      const entry = subscriptions.get(endpoint.split("/").pop()!);
      if (entry) entry.status = status;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
