/**
 * The JWT attack table: every well-known way to forge, stretch or smuggle a bearer token, sent
 * through the real app (`GET /api/feedback/list`), must end in 401 `UNAUTHORIZED` with
 * `WWW-Authenticate`; the positive controls show the same set-up accepts good tokens.
 */
import assert from "node:assert/strict";
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { createTestInstance, TEST_SECRET } from "./_helpers.ts";

const ISSUER = "https://issuer.example";
const AUDIENCE = "interactive-feedback";
const PREVIOUS_SECRET = "previous-secret-previous-secret-previous-01";
const ROTATED_OUT_SECRET = "rotated-out-secret-rotated-out-secret-0001";
const DAY = 86400;

const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

function b64url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Claims of a token the test instance accepts; `overrides` replace or (with undefined) drop. */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    sub: "alice",
    iat: now(),
    exp: now() + 3600,
    iss: ISSUER,
    aud: AUDIENCE,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined));
}

/** An HS256 token with `payload`, signed with `secret` (the test secret unless given). */
function hs256(payload: JWTPayload, secret = TEST_SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(encoder.encode(secret));
}

/** A token built by hand: any header, HMAC-SHA256 over it with `secret`. */
async function handSigned(
  header: Record<string, unknown>,
  payload: JWTPayload,
  secret: string,
): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(input)));
  return `${input}.${b64url(mac)}`;
}

Deno.test("the JWT attack table: every forged, stretched or smuggled token gets a 401", async (t) => {
  await using instance = await createTestInstance({
    env: {
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_PREVIOUS_SECRETS: PREVIOUS_SECRET,
      JWT_MAX_TTL: "90d",
    },
  });
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const publicPem = await exportSPKI(rsa.publicKey);
  const publicJwk = await crypto.subtle.exportKey("jwk", rsa.publicKey);
  const valid = await hs256(claims());
  const [validHeader, validPayload, validSignature] = valid.split(".");

  const attacks: [string, () => Promise<string> | string][] = [
    ["alg none (unsigned)", () => new UnsecuredJWT(claims()).encode()],
    [
      "alg none spelt `None`, with the valid signature kept",
      () =>
        `${b64url(JSON.stringify({ alg: "None", typ: "JWT" }))}.${validPayload}.${validSignature}`,
    ],
    [
      "HS512 signed with the right secret",
      () =>
        new SignJWT(claims()).setProtectedHeader({ alg: "HS512" }).sign(
          encoder.encode(TEST_SECRET),
        ),
    ],
    [
      "HS384 signed with the right secret",
      () =>
        new SignJWT(claims()).setProtectedHeader({ alg: "HS384" }).sign(
          encoder.encode(TEST_SECRET),
        ),
    ],
    [
      "RS256 signed with an attacker's key pair",
      () => new SignJWT(claims()).setProtectedHeader({ alg: "RS256" }).sign(rsa.privateKey),
    ],
    [
      "RS256 with the attacker's public key embedded in the header (jwk)",
      () =>
        new SignJWT(claims()).setProtectedHeader({ alg: "RS256", jwk: publicJwk })
          .sign(rsa.privateKey),
    ],
    [
      "header says RS256, body HMAC-signed with the right secret",
      () => handSigned({ alg: "RS256", typ: "JWT" }, claims(), TEST_SECRET),
    ],
    [
      "header says RS256, HMAC-signed with the public key as secret (key confusion)",
      () => handSigned({ alg: "RS256", typ: "JWT" }, claims(), publicPem),
    ],
    ["HS256 signed with the public key as secret", () => hs256(claims(), publicPem)],
    ["missing exp", () => hs256(claims({ exp: undefined }))],
    ["expired exp", () => hs256(claims({ iat: now() - 7200, exp: now() - 3600 }))],
    ["exp beyond JWT_MAX_TTL (oversized lifetime)", () => hs256(claims({ exp: now() + 91 * DAY }))],
    ["exp beyond JWT_MAX_TTL hidden by a future iat", () => {
      const exp = now() + 200 * DAY;
      return hs256(claims({ iat: exp - 60, exp }));
    }],
    [
      "exp beyond JWT_MAX_TTL without iat",
      () => hs256(claims({ iat: undefined, exp: now() + 91 * DAY })),
    ],
    ["nbf in the future", () => hs256(claims({ nbf: now() + 3600, exp: now() + 7200 }))],
    ["wrong iss", () => hs256(claims({ iss: "https://evil.example" }))],
    ["missing iss", () => hs256(claims({ iss: undefined }))],
    ["wrong aud", () => hs256(claims({ aud: "some-other-service" }))],
    ["missing aud", () => hs256(claims({ aud: undefined }))],
    ["a NUL in sub", () => hs256(claims({ sub: "alice\u0000bob" }))],
    ["a newline in sub", () => hs256(claims({ sub: "alice\nbob" }))],
    ["a C1 control character in sub", () => hs256(claims({ sub: "alice\u009bbob" }))],
    ["a NUL in userId (no sub)", () => hs256(claims({ sub: undefined, userId: "alice\u0000bob" }))],
    ["a lone surrogate in sub", () => hs256(claims({ sub: "alice\ud800" }))],
    ["a 257-character sub", () => hs256(claims({ sub: "a".repeat(257) }))],
    ["no subject at all", () => hs256(claims({ sub: undefined }))],
    ["signed with a rotated-out key", () => hs256(claims(), ROTATED_OUT_SECRET)],
    ["garbage", () => "not-a-jwt"],
    ["truncated signature", () => valid.slice(0, -6)],
    ["two parts only", () => `${validHeader}.${validPayload}`],
    ["empty signature", () => `${validHeader}.${validPayload}.`],
    [
      "tampered payload (sub swapped, signature kept)",
      () =>
        `${validHeader}.${b64url(JSON.stringify(claims({ sub: "mallory" })))}.${validSignature}`,
    ],
  ];

  for (const [name, build] of attacks) {
    await t.step(name, async () => {
      const token = await build();
      const res = await instance.app.request("/api/feedback/list", {
        headers: { Authorization: `Bearer ${token}` },
      });
      const body = await res.json();
      assert.equal(res.status, 401, JSON.stringify(body));
      assert.equal(body.error.code, "UNAUTHORIZED");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer .*error="invalid_token"/);
      assert.ok(!JSON.stringify(body).includes(token), "the token is never echoed");
    });
  }

  const controls: [string, () => Promise<string>][] = [
    ["a valid token", () => Promise.resolve(valid)],
    ["a token signed with a key in JWT_PREVIOUS_SECRETS", () => hs256(claims(), PREVIOUS_SECRET)],
    [
      "an upstream token naming the owner in userId",
      () => hs256(claims({ sub: undefined, userId: "alice" })),
    ],
    ["a token living exactly JWT_MAX_TTL", () => hs256(claims({ exp: now() + 90 * DAY }))],
  ];
  for (const [name, build] of controls) {
    await t.step(`positive control: ${name} is accepted`, async () => {
      const res = await instance.app.request("/api/feedback/list", {
        headers: { Authorization: `Bearer ${await build()}` },
      });
      assert.equal(res.status, 200, JSON.stringify(await res.json()));
    });
  }
});
