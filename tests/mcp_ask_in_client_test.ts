/**
 * The opt-in in-client form (`interactive_feedback` with `askInClient`, issue 10): a real v2 SDK
 * client pinned to 2026-07-28 that declares form elicitation gets a multi round-trip
 * `input_required` result, shows the form (its handler here plays the human), and retries with
 * the answer and the signed `requestState`. First answer wins against the page; a declined form
 * leaves the question open; a tampered or another owner's state is refused with nothing stored;
 * 2025 clients and clients without form elicitation get the link flow.
 */
import assert from "node:assert/strict";
import {
  Client,
  type ClientCapabilities,
  type ElicitRequest,
  type ElicitResult,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from "@modelcontextprotocol/client";
import { randomOwner, tokenFor } from "./_helpers.ts";
import { type ServedInstance, serveInstance, submitViaApi, textOf } from "./_mcp_helpers.ts";

const MODERN = { pin: "2026-07-28" } as const;

// deno-lint-ignore no-explicit-any
type Json = any;

/** Options of {@link connectFormClient}. */
interface FormClientOptions {
  mode?: VersionNegotiationMode;
  /** The client's `elicitation` capability; `null` declares none. */
  elicitation?: ClientCapabilities["elicitation"] | null;
  /** Plays the human in front of the form the client shows. */
  onElicit?: (params: ElicitRequest["params"]) => ElicitResult | Promise<ElicitResult>;
  /** Rewrites the JSON-RPC body of each POST (to tamper with the retry on the wire). */
  rewrite?: (body: Json) => Json;
}

/** A v2 client that can show a form, connected with `token`; dispose it to close. */
async function connectFormClient(url: string, token: string, options: FormClientOptions = {}) {
  const { mode = MODERN, elicitation = { form: {} }, onElicit, rewrite } = options;
  const client = new Client({ name: "form-client", version: "1.0.0" }, {
    versionNegotiation: { mode },
    capabilities: elicitation === null ? {} : { elicitation },
  });
  const elicited: ElicitRequest["params"][] = [];
  client.setRequestHandler("elicitation/create", async (request) => {
    elicited.push(request.params);
    if (!onElicit) throw new Error("this test shows no form");
    return await onElicit(request.params);
  });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: (input, init) => {
      if (rewrite && typeof init?.body === "string") {
        init = { ...init, body: JSON.stringify(rewrite(JSON.parse(init.body))) };
      }
      return fetch(input, init);
    },
  });
  await client.connect(transport);
  return {
    client,
    elicited,
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** The owner's one session, read straight from the service (KV). */
async function onlySession(served: ServedInstance, owner: string) {
  const page = await served.instance.services.feedback.list(owner, { limit: 10 });
  assert.equal(page.items.length, 1, "exactly one question was created");
  return page.items[0];
}

const QUESTION = {
  message: "Ship **v2** today?",
  predefinedOptions: ["Yes", "No", "Later"],
  multiSelect: false,
  askInClient: true,
};

Deno.test("a 2026-07-28 client with form elicitation answers in its own form: the answer is stored and the page shows it", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
    onElicit: () => ({
      action: "accept",
      content: { selectedOptions: "Yes", freeText: "ship it on Friday" },
    }),
  });

  const result = await mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  assert.notEqual(result.isError, true, textOf(result));

  // One form, with the options as an enum, free text, and the question and its link.
  assert.equal(mcp.elicited.length, 1);
  const form = mcp.elicited[0] as Json;
  assert.match(form.message, /Ship \*\*v2\*\* today\?/);
  const session = await onlySession(served, owner);
  assert.ok(form.message.includes(`${served.instance.services.config.publicBaseUrl}/feedback/`));
  assert.ok(form.message.includes(session.id));
  assert.deepEqual(form.requestedSchema.properties.selectedOptions, {
    type: "string",
    title: "Your choice",
    enum: ["Yes", "No", "Later"],
  });
  assert.equal(form.requestedSchema.properties.freeText.type, "string");

  assert.equal(session.status, "completed");
  assert.deepEqual(session.feedback?.selectedOptions, ["Yes"]);
  assert.equal(session.feedback?.freeText, "ship it on Friday");
  const facts = result.structuredContent as Json;
  assert.equal(facts.status, "completed");
  assert.equal(facts.sessionId, session.id);
  assert.match(textOf(result), /answered in the form shown by your client/);
  assert.match(textOf(result), /The user answered:/);

  const page = await served.instance.app.request(`/feedback/${session.id}`);
  const html = await page.text();
  assert.equal(page.status, 200);
  assert.ok(html.includes("ship it on Friday"), "the page shows the stored answer");
  assert.ok(!html.includes("<textarea"), "the page offers no form any more");
});

Deno.test("a multi-select question becomes an array of enum in the form, and every choice is stored", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
    onElicit: () => ({ action: "accept", content: { selectedOptions: ["Red", "Blue"] } }),
  });

  const result = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: {
      message: "Colours?",
      predefinedOptions: ["Red", "Green", "Blue"],
      allowFreeText: false,
      askInClient: true,
    },
  });
  assert.notEqual(result.isError, true, textOf(result));
  const schema = (mcp.elicited[0] as Json).requestedSchema;
  assert.deepEqual(schema.properties.selectedOptions, {
    type: "array",
    title: "Your choices",
    items: { type: "string", enum: ["Red", "Green", "Blue"] },
    minItems: 1,
  });
  assert.deepEqual(schema.required, ["selectedOptions"]);
  assert.equal(schema.properties.freeText, undefined);
  assert.deepEqual((await onlySession(served, owner)).feedback?.selectedOptions, ["Red", "Blue"]);
});

Deno.test("when the phone answers while the form is open, the page's answer wins and the text says it was answered on the page", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
    async onElicit() {
      // The human answers on the phone first; then the form in the client is submitted too.
      const session = await onlySession(served, owner);
      const phone = await submitViaApi(served.instance, session.id, { selectedOptions: ["No"] });
      assert.equal(phone.status, 200);
      return { action: "accept", content: { selectedOptions: "Yes" } };
    },
  });

  const result = await mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  assert.notEqual(result.isError, true, textOf(result));
  const session = await onlySession(served, owner);
  assert.deepEqual(session.feedback?.selectedOptions, ["No"]);
  assert.deepEqual((result.structuredContent as Json).feedback.selectedOptions, ["No"]);
  assert.match(textOf(result), /answered on the page .* that first answer is kept/);
  assert.match(textOf(result), /The user answered:\n\nNo/);
});

for (const action of ["decline", "cancel"] as const) {
  Deno.test(`a form closed with ${action} leaves the question open and hands out the link and the next call`, async () => {
    await using served = await serveInstance();
    const owner = randomOwner();
    await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
      onElicit: () => ({ action }),
    });

    const result = await mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
    assert.notEqual(result.isError, true, textOf(result));
    const session = await onlySession(served, owner);
    assert.equal(session.status, "pending");
    const text = textOf(result);
    assert.match(text, new RegExp(`without answering \\(${action}\\)`));
    assert.ok(text.includes(`/feedback/${session.id}`), text);
    assert.match(text, /get_feedback_result/);
    assert.equal((result.structuredContent as Json).status, "pending");
    const page = await served.instance.app.request(`/feedback/${session.id}`);
    assert.ok((await page.text()).includes("<textarea"), "the page still offers the form");

    // The same question asked again is the same session, shown as a form again: not a second one.
    const again = await mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
    assert.notEqual(again.isError, true, textOf(again));
    assert.equal(mcp.elicited.length, 2);
    assert.equal((again.structuredContent as Json).sessionId, session.id);
  });
}

Deno.test("a retry whose requestState was tampered with is refused with -32602 and stores nothing", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  let tampered = false;
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
    onElicit: () => ({ action: "accept", content: { selectedOptions: "Yes" } }),
    rewrite(body) {
      const state = body?.params?.requestState;
      if (typeof state !== "string") return body;
      tampered = true;
      // Flip one character of the signed payload.
      const at = 10;
      const flipped = state[at] === "A" ? "B" : "A";
      body.params.requestState = state.slice(0, at) + flipped + state.slice(at + 1);
      return body;
    },
  });

  await assert.rejects(
    mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION }),
    (error: Json) => error.code === -32602 && /requestState/.test(error.message),
  );
  assert.ok(tampered, "the retry carried a requestState");
  const session = await onlySession(served, owner);
  assert.equal(session.status, "pending");
  assert.equal(session.feedback, undefined);
});

Deno.test("a requestState minted for another owner is refused with -32602 and stores nothing for either", async () => {
  await using served = await serveInstance();
  const bob = randomOwner();
  const alice = randomOwner();
  let bobsState: string | undefined;
  // Bob's client shows the form and declines, keeping the state it was given.
  await using bobClient = await connectFormClient(served.mcpUrl, await tokenFor(bob), {
    onElicit: () => ({ action: "decline" }),
    rewrite(body) {
      if (typeof body?.params?.requestState === "string") bobsState = body.params.requestState;
      return body;
    },
  });
  await bobClient.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  assert.ok(bobsState, "bob's retry carried a requestState");

  // Alice's client answers, but its retry carries bob's state.
  await using aliceClient = await connectFormClient(served.mcpUrl, await tokenFor(alice), {
    onElicit: () => ({ action: "accept", content: { selectedOptions: "Yes" } }),
    rewrite(body) {
      if (typeof body?.params?.requestState === "string") body.params.requestState = bobsState;
      return body;
    },
  });
  await assert.rejects(
    aliceClient.client.callTool({ name: "interactive_feedback", arguments: QUESTION }),
    (error: Json) => error.code === -32602,
  );
  assert.equal((await onlySession(served, bob)).status, "pending");
  assert.equal((await onlySession(served, alice)).status, "pending");
});

Deno.test("the owner's own requestState of another question is refused by the handler and stores nothing", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  let firstState: string | undefined;
  await using first = await connectFormClient(served.mcpUrl, token, {
    onElicit: () => ({ action: "decline" }),
    rewrite(body) {
      if (typeof body?.params?.requestState === "string") firstState = body.params.requestState;
      return body;
    },
  });
  await first.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  assert.ok(firstState);

  await using second = await connectFormClient(served.mcpUrl, token, {
    onElicit: () => ({ action: "accept", content: { selectedOptions: "Yes" } }),
    rewrite(body) {
      if (typeof body?.params?.requestState === "string") body.params.requestState = firstState;
      return body;
    },
  });
  const result = await second.client.callTool({
    name: "interactive_feedback",
    arguments: { ...QUESTION, message: "Another question?" },
  });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /does not belong to this question\. Nothing was stored/);
  const page = await served.instance.services.feedback.list(owner, { limit: 10 });
  assert.equal(page.items.length, 2);
  assert.ok(page.items.every((s) => s.status === "pending"));
});

Deno.test("a 2025-era client asking with askInClient gets the normal link flow and no form", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
    mode: "legacy",
    onElicit: () => ({ action: "accept", content: { selectedOptions: "Yes" } }),
  });
  assert.equal(mcp.client.getProtocolEra(), "legacy");

  const result = await mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  assert.notEqual(result.isError, true, textOf(result));
  assert.equal(mcp.elicited.length, 0);
  const session = await onlySession(served, owner);
  assert.equal(session.status, "pending");
  assert.match(textOf(result), /^Question created\. Show this link/);
  assert.ok(textOf(result).includes(`/feedback/${session.id}`));
});

Deno.test("a 2026-07-28 client that declares no form elicitation gets the normal link flow", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(owner), {
    elicitation: { url: {} },
  });
  const result = await mcp.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  assert.notEqual(result.isError, true, textOf(result));
  assert.equal(mcp.elicited.length, 0);
  assert.equal((result.structuredContent as Json).status, "pending");
  assert.match(textOf(result), /^Question created\. Show this link/);
});

Deno.test("askInClient is declared on interactive_feedback as an optional, opt-in boolean", async () => {
  await using served = await serveInstance();
  await using mcp = await connectFormClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { tools } = await mcp.client.listTools();
  const ask = tools.find((t) => t.name === "interactive_feedback");
  const property = (ask?.inputSchema.properties as Json).askInClient;
  assert.equal(property.type, "boolean");
  assert.match(property.description, /Opt-in \(default false\)/);
  assert.ok(!(ask?.inputSchema.required ?? []).includes("askInClient"));
});
