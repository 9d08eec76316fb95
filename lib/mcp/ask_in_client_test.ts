import assert from "node:assert/strict";
import type { FeedbackSession } from "../feedback/model.ts";
import type { ServerContext } from "./sdk.ts";
import {
  answerForm,
  answerOf,
  askMode,
  createAskStateCodec,
  supportsFormElicitation,
} from "./ask_in_client.ts";

const SECRET = "ask-in-client-test-secret-0123456789abcdef";

/** The only part of a request's context the codec reads: who the bearer token names. */
function requestOf(owner: string): ServerContext {
  return {
    http: { authInfo: { token: "", clientId: owner, scopes: [] } },
  } as unknown as ServerContext;
}

function session(overrides: Partial<FeedbackSession> = {}): FeedbackSession {
  const now = Date.now();
  return {
    id: "00000000-0000-4000-8000-000000000000",
    owner: "alice",
    title: null,
    message: "Ship it?",
    predefinedOptions: ["Yes", "No"],
    multiSelect: true,
    allowFreeText: true,
    metadata: null,
    status: "pending",
    createdAt: now,
    expiresAt: now + 600_000,
    purgeAt: now + 600_000,
    ...overrides,
  };
}

Deno.test("form elicitation is declared by elicitation.form, or by an empty elicitation object, never by url alone", () => {
  assert.equal(supportsFormElicitation({ elicitation: { form: {} } }), true);
  assert.equal(supportsFormElicitation({ elicitation: {} }), true);
  assert.equal(supportsFormElicitation({ elicitation: { form: {}, url: {} } }), true);
  assert.equal(supportsFormElicitation({ elicitation: { url: {} } }), false);
  assert.equal(supportsFormElicitation({}), false);
  assert.equal(supportsFormElicitation(undefined), false);
});

Deno.test("the form is asked only in the 2026-07-28 era, and a retry with state is the answer", () => {
  const form = { elicitation: { form: {} } };
  assert.equal(askMode("legacy", form, false), "unsupported");
  assert.equal(askMode("legacy", form, true), "unsupported");
  assert.equal(askMode("modern", form, false), "ask");
  assert.equal(askMode("modern", {}, false), "unsupported");
  assert.equal(askMode("modern", {}, true), "answer");
});

Deno.test("a free-text-only question is one required text field, with the title, question and link in the message", () => {
  const form = answerForm(
    session({ title: "Release", predefinedOptions: [] }),
    "https://x/feedback/1",
  );
  assert.equal(
    form.message,
    "Release\n\nShip it?\n\nYou can also answer on this page: https://x/feedback/1",
  );
  assert.deepEqual(form.requestedSchema, {
    type: "object",
    properties: { freeText: { type: "string", title: "Your answer" } },
    required: ["freeText"],
  });
});

Deno.test("the form's content becomes an answer: a single choice as a list, several only when allowed", () => {
  assert.deepEqual(answerOf(session({ multiSelect: false }), { selectedOptions: "Yes" }), {
    selectedOptions: ["Yes"],
    freeText: "",
    metadata: null,
  });
  assert.deepEqual(answerOf(session(), { selectedOptions: ["Yes", "No"], freeText: "both" }), {
    selectedOptions: ["Yes", "No"],
    freeText: "both",
    metadata: null,
  });
  assert.ok(
    "invalid" in answerOf(session({ multiSelect: false }), { selectedOptions: ["Yes", "No"] }),
  );
  assert.ok("invalid" in answerOf(session(), { freeText: 42 }));
});

Deno.test("a state minted by one instance verifies on another with the same secret, for the same owner only", async () => {
  const minted = await (await createAskStateCodec(SECRET)).mint(
    { owner: "alice", sessionId: "s1", until: 1 },
    requestOf("alice"),
  );
  const other = await createAskStateCodec(SECRET);
  assert.deepEqual(await other.verify(minted, requestOf("alice")), {
    owner: "alice",
    sessionId: "s1",
    until: 1,
  });
  await assert.rejects(other.verify(minted, requestOf("bob")), /bind/);
  const rotated = await createAskStateCodec(`${SECRET}-rotated`);
  await assert.rejects(rotated.verify(minted, requestOf("alice")), /mac/);
});
