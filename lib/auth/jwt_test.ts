import assert from "node:assert/strict";
import { SignJWT } from "jose";
import type { JwtConfig } from "../config.ts";
import { UnauthorizedError } from "../errors.ts";
import { createTokenVerifier, signToken } from "./jwt.ts";

const SECRET = "current-secret-current-secret-0123456789";
const OLD_SECRET = "previous-secret-previous-secret-012345678";
const config: JwtConfig = { secret: SECRET, previousSecrets: [OLD_SECRET], maxTtl: 90 * 86400 };
const verify = createTokenVerifier(config);
const key = (s: string) => new TextEncoder().encode(s);
const now = () => Math.floor(Date.now() / 1000);
const b64url = (o: unknown) =>
  btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

async function rejects(token: string, message?: RegExp) {
  await assert.rejects(verify(token), (e) => {
    assert.ok(e instanceof UnauthorizedError);
    if (message) assert.match(e.message, message);
    assert.ok(!e.message.includes(token), "never echo the token");
    return true;
  });
}

Deno.test("signToken makes tokens the verifier accepts, owner from sub", async () => {
  const token = await signToken(SECRET, { subject: "alice", ttl: 3600 });
  assert.deepEqual(await verify(token), { owner: "alice" });
});

Deno.test("tokens signed with a previous secret still verify (rotation)", async () => {
  const token = await signToken(OLD_SECRET, { subject: "bob", ttl: 60 });
  assert.deepEqual(await verify(token), { owner: "bob" });
});

Deno.test("upstream tokens with userId instead of sub are accepted", async () => {
  const token = await new SignJWT({ userId: "legacy" }).setProtectedHeader({ alg: "HS256" })
    .setIssuedAt().setExpirationTime("1h").sign(key(SECRET));
  assert.deepEqual(await verify(token), { owner: "legacy" });
});

Deno.test("the verifier rejects every kind of bad token", async (t) => {
  await t.step("malformed", () => rejects("not-a-jwt", /malformed/));
  await t.step("tampered payload", async () => {
    const [h, , s] = (await signToken(SECRET, { subject: "alice", ttl: 60 })).split(".");
    await rejects(`${h}.${b64url({ sub: "mallory", exp: now() + 60 })}.${s}`, /signature/);
  });
  await t.step("unknown key", async () => {
    await rejects(
      await signToken("some-other-secret-some-other-secret-000", { subject: "a", ttl: 60 }),
    );
  });
  await t.step("expired", async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("a")
      .setIssuedAt(now() - 7200).setExpirationTime(now() - 3600).sign(key(SECRET));
    await rejects(token, /expired/);
  });
  await t.step("not yet valid", async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("a")
      .setIssuedAt().setNotBefore(now() + 3600).setExpirationTime(now() + 7200).sign(key(SECRET));
    await rejects(token, /not valid yet/);
  });
  await t.step("without exp", async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("a")
      .setIssuedAt().sign(key(SECRET));
    await rejects(token, /exp/);
  });
  await t.step("a future iat hiding a lifetime above JWT_MAX_TTL", async () => {
    const exp = now() + 200 * 86400;
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("a")
      .setIssuedAt(exp - 60).setExpirationTime(exp).sign(key(SECRET));
    await rejects(token, /longer/);
  });
  await t.step("lifetime above JWT_MAX_TTL", async () => {
    await rejects(await signToken(SECRET, { subject: "a", ttl: 91 * 86400 }), /longer/);
  });
  await t.step("alg none", async () => {
    await rejects(
      `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "a", exp: now() + 60 })}.`,
    );
  });
  await t.step("another algorithm (HS512)", async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS512" }).setSubject("a")
      .setIssuedAt().setExpirationTime("1h").sign(key(SECRET));
    await rejects(token, /HS256/);
  });
  await t.step("a subject above 256 characters", async () => {
    await rejects(await signToken(SECRET, { subject: "a".repeat(257), ttl: 60 }), /256/);
  });
  for (
    const [name, char] of [["NUL", "\u0000"], ["newline", "\n"], ["DEL", "\u007f"], [
      "C1 (NEL)",
      "\u0085",
    ]]
  ) {
    await t.step(`a control character (${name}) in sub`, async () => {
      await rejects(
        await signToken(SECRET, { subject: `alice${char}bob`, ttl: 60 }),
        /control character/,
      );
    });
    await t.step(`a control character (${name}) in userId`, async () => {
      const token = await new SignJWT({ userId: `alice${char}bob` })
        .setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h")
        .sign(key(SECRET));
      await rejects(token, /control character/);
    });
  }
  await t.step("a lone surrogate in sub", async () => {
    await rejects(await signToken(SECRET, { subject: "alice\ud800", ttl: 60 }), /well-formed/);
  });
  await t.step("no subject", async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt()
      .setExpirationTime("1h").sign(key(SECRET));
    await rejects(token, /subject/);
  });
});

Deno.test("subjects with non-ASCII text, emoji and exactly 256 characters are accepted", async () => {
  for (const subject of ["张伟", "zoë 🙂", "a".repeat(256), "user@example.com"]) {
    assert.deepEqual(await verify(await signToken(SECRET, { subject, ttl: 60 })), {
      owner: subject,
    });
  }
});

Deno.test("issuer and audience are enforced when configured", async () => {
  const strict = createTokenVerifier({ ...config, issuer: "me", audience: "feedback" });
  const good = await signToken(SECRET, {
    subject: "a",
    ttl: 60,
    issuer: "me",
    audience: "feedback",
  });
  assert.deepEqual(await strict(good), { owner: "a" });
  const wrongAudience = await signToken(SECRET, {
    subject: "a",
    ttl: 60,
    issuer: "me",
    audience: "x",
  });
  await assert.rejects(strict(wrongAudience), UnauthorizedError);
  await assert.rejects(
    strict(await signToken(SECRET, { subject: "a", ttl: 60 })),
    UnauthorizedError,
  );
});
