import assert from "node:assert/strict";
import { UnauthorizedError } from "../errors.ts";
import { authenticateBearer, bearerChallenge, bearerToken } from "./bearer.ts";
import { createTokenVerifier, signToken } from "./jwt.ts";

const SECRET = "bearer-secret-bearer-secret-bearer-0123456789";
const verify = createTokenVerifier({ secret: SECRET, previousSecrets: [], maxTtl: 86400 });

Deno.test("bearerToken matches the scheme case-insensitively", () => {
  assert.equal(bearerToken("Bearer abc"), "abc");
  assert.equal(bearerToken("bearer abc"), "abc");
  assert.equal(bearerToken("BEARER   abc"), "abc");
  assert.equal(bearerToken("Basic abc"), undefined);
  assert.equal(bearerToken("Bearer"), undefined);
  assert.equal(bearerToken("Bearer a b"), undefined);
  assert.equal(bearerToken(null), undefined);
});

Deno.test("authenticateBearer names the token's owner and tells a missing token from a bad one", async () => {
  const token = await signToken(SECRET, { subject: "alice", ttl: 60 });
  assert.equal(await authenticateBearer(verify, `Bearer ${token}`), "alice");
  for (const header of [null, "", "Basic abc"]) {
    await assert.rejects(
      authenticateBearer(verify, header),
      (error) => error instanceof UnauthorizedError && !error.tokenPresented,
    );
  }
  await assert.rejects(
    authenticateBearer(verify, "Bearer not-a-jwt"),
    (error) => error instanceof UnauthorizedError && error.tokenPresented,
  );
});

Deno.test("bearerChallenge adds invalid_token only when a token was presented", () => {
  assert.equal(bearerChallenge(false), 'Bearer realm="interactive-feedback"');
  assert.equal(
    bearerChallenge(true),
    'Bearer realm="interactive-feedback", error="invalid_token"',
  );
});
