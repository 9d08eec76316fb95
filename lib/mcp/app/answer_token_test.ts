import assert from "node:assert/strict";
import { createAnswerTokenCodec } from "./answer_token.ts";

const SECRET = "answer-token-test-secret-0123456789abcdef";
const ID = crypto.randomUUID();

Deno.test("an answer token verifies for its owner and session only", () => {
  const codec = createAnswerTokenCodec(SECRET);
  const token = codec.issue("alice", ID);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(codec.verify("alice", ID, token), true);
  assert.equal(codec.verify("bob", ID, token), false, "another owner");
  assert.equal(codec.verify("alice", crypto.randomUUID(), token), false, "another session");
});

Deno.test("every instance sharing the secret accepts a token; another secret does not", () => {
  const token = createAnswerTokenCodec(SECRET).issue("alice", ID);
  assert.equal(createAnswerTokenCodec(SECRET).verify("alice", ID, token), true);
  assert.equal(createAnswerTokenCodec(`${SECRET}-rotated`).verify("alice", ID, token), false);
});

Deno.test("a changed, shortened or malformed token is refused without throwing", () => {
  const codec = createAnswerTokenCodec(SECRET);
  const token = codec.issue("alice", ID);
  const flipped = (token[0] === "A" ? "B" : "A") + token.slice(1);
  for (const bad of [flipped, token.slice(1), "", `${token}=`, "x".repeat(43), "é".repeat(43)]) {
    assert.equal(codec.verify("alice", ID, bad), false, JSON.stringify(bad));
  }
});

Deno.test("owners whose names run together never share a token", () => {
  const codec = createAnswerTokenCodec(SECRET);
  assert.notEqual(codec.issue("ab", ID), codec.issue("a", `b${ID}`));
});
