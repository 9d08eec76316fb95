import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { ValidationError } from "../errors.ts";
import {
  checkAnswer,
  codePointLength,
  combineFeedback,
  createInputSchema,
  effectiveStatus,
  type FeedbackSession,
  parseOrThrow,
  parseSessionId,
  submitInputSchema,
  toFieldIssues,
} from "./model.ts";

const limits = loadConfig({ JWT_SECRET: "x".repeat(32) }).feedback;
const createSchema = createInputSchema(limits);

function fields(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected ValidationError, got ${error}`);
    return error.issues.map((i) => i.field);
  }
  assert.fail("expected a ValidationError");
}

function session(overrides: Partial<FeedbackSession> = {}): FeedbackSession {
  return {
    id: crypto.randomUUID(),
    owner: "alice",
    title: null,
    message: "Pick",
    predefinedOptions: ["A", "B", "C"],
    multiSelect: true,
    allowFreeText: true,
    metadata: null,
    status: "pending",
    createdAt: 0,
    expiresAt: 1000,
    purgeAt: 2000,
    ...overrides,
  };
}

Deno.test("createInputSchema fills upstream's defaults", () => {
  const input = parseOrThrow(createSchema, { message: "  Ship it?  " });
  assert.deepEqual(input, {
    message: "Ship it?",
    title: null,
    predefinedOptions: [],
    multiSelect: true,
    allowFreeText: true,
    timeout: 300,
    metadata: null,
    images: [],
  });
});

Deno.test("createInputSchema counts code points, not UTF-16 units", () => {
  const emoji = "😀".repeat(limits.maxMessageLength);
  assert.equal(parseOrThrow(createSchema, { message: emoji }).message, emoji);
  assert.deepEqual(fields(() => parseOrThrow(createSchema, { message: `${emoji}😀` })), [
    "message",
  ]);
  assert.equal(codePointLength("中文😀"), 3);
});

Deno.test("createInputSchema reports every broken rule with its field", () => {
  const got = fields(() =>
    parseOrThrow(createSchema, {
      message: "   ",
      title: "t".repeat(121),
      predefinedOptions: ["Yes", "Yes", " ", "o".repeat(101)],
      timeout: 1.5,
      metadata: [1, 2],
    })
  );
  assert.deepEqual(got.sort(), [
    "message",
    "metadata",
    "predefinedOptions[1]",
    "predefinedOptions[2]",
    "predefinedOptions[3]",
    "timeout",
    "title",
  ]);
});

Deno.test("createInputSchema enforces option count, timeout range and metadata size", async (t) => {
  await t.step("too many options", () => {
    const options = Array.from({ length: limits.maxOptions + 1 }, (_, i) => `o${i}`);
    assert.deepEqual(
      fields(() => parseOrThrow(createSchema, { message: "m", predefinedOptions: options })),
      [
        "predefinedOptions",
      ],
    );
  });
  await t.step("timeout below and above the range", () => {
    assert.deepEqual(fields(() => parseOrThrow(createSchema, { message: "m", timeout: 29 })), [
      "timeout",
    ]);
    assert.deepEqual(fields(() => parseOrThrow(createSchema, { message: "m", timeout: 3601 })), [
      "timeout",
    ]);
    assert.deepEqual(fields(() => parseOrThrow(createSchema, { message: "m", timeout: "60" })), [
      "timeout",
    ]);
  });
  await t.step("metadata over 8 KiB", () => {
    const metadata = { blob: "x".repeat(8 * 1024) };
    assert.deepEqual(fields(() => parseOrThrow(createSchema, { message: "m", metadata })), [
      "metadata",
    ]);
  });
  await t.step("no way to answer", () => {
    assert.deepEqual(
      fields(() => parseOrThrow(createSchema, { message: "m", allowFreeText: false })),
      [
        "allowFreeText",
      ],
    );
  });
  await t.step("unknown fields are ignored", () => {
    assert.equal(parseOrThrow(createSchema, { message: "m", surprise: 1 }).message, "m");
  });
});

Deno.test("checkAnswer accepts members of the session's options", () => {
  const submit = submitInputSchema(limits);
  checkAnswer(session(), parseOrThrow(submit, { selectedOptions: ["A", "C"] }));
  checkAnswer(session(), parseOrThrow(submit, { freeText: "hello" }));
});

Deno.test("checkAnswer rejects foreign, duplicated, too many options and empty answers", async (t) => {
  const submit = submitInputSchema(limits);
  const answer = (body: unknown) => parseOrThrow(submit, body);
  await t.step("not an option", () => {
    assert.deepEqual(fields(() => checkAnswer(session(), answer({ selectedOptions: ["Z"] }))), [
      "selectedOptions[0]",
    ]);
  });
  await t.step("duplicated", () => {
    assert.deepEqual(
      fields(() => checkAnswer(session(), answer({ selectedOptions: ["A", "A"] }))),
      [
        "selectedOptions[1]",
      ],
    );
  });
  await t.step("several with multiSelect false", () => {
    assert.deepEqual(
      fields(() =>
        checkAnswer(session({ multiSelect: false }), answer({ selectedOptions: ["A", "B"] }))
      ),
      ["selectedOptions"],
    );
  });
  await t.step("free text where none is allowed", () => {
    assert.deepEqual(
      fields(() => checkAnswer(session({ allowFreeText: false }), answer({ freeText: "x" }))),
      ["freeText"],
    );
  });
  await t.step("nothing at all", () => {
    assert.deepEqual(fields(() => checkAnswer(session(), answer({ freeText: "   " }))), [
      "feedback",
    ]);
  });
});

Deno.test("combineFeedback joins options, a blank line and the trimmed text", () => {
  assert.equal(combineFeedback(["A", "B"], "  why  "), "A\nB\n\nwhy");
  assert.equal(combineFeedback([], " only text "), "only text");
  assert.equal(combineFeedback(["A"], ""), "A");
});

Deno.test("effectiveStatus reports a pending session past its deadline as expired", () => {
  assert.equal(effectiveStatus(session(), 999), "pending");
  assert.equal(effectiveStatus(session(), 1000), "expired");
  assert.equal(effectiveStatus(session({ status: "completed" }), 5000), "completed");
});

Deno.test("parseSessionId accepts UUID v4 in any case and rejects the rest", () => {
  const id = crypto.randomUUID();
  assert.equal(parseSessionId(id.toUpperCase()), id);
  for (const bad of ["", "abc", "00000000-0000-1000-8000-000000000000", `${id}x`, "../etc"]) {
    assert.deepEqual(fields(() => parseSessionId(bad)), ["sessionId"]);
  }
});

Deno.test("text is kept as well-formed Unicode: a lone surrogate becomes U+FFFD", () => {
  const created = parseOrThrow(createSchema, {
    message: "a\ud800b",
    title: "\udc00",
    predefinedOptions: ["x\ud800", "y"],
  });
  assert.equal(created.message, "a\ufffdb");
  assert.equal(created.title, "\ufffd");
  assert.deepEqual(created.predefinedOptions, ["x\ufffd", "y"]);
  // The same option sent through a browser's form (U+FFFD) or as JSON (`\ud800`) both match it.
  const submitSchema = submitInputSchema(limits);
  for (const sent of ["x\ud800", "x\ufffd"]) {
    const answer = parseOrThrow(submitSchema, { selectedOptions: [sent], freeText: "\ud83d" });
    assert.deepEqual(answer.selectedOptions, ["x\ufffd"]);
    assert.equal(answer.freeText, "\ufffd");
  }
});

Deno.test("the images field is shape-checked by the schemas: count, data type, mimeType and alt", () => {
  const data = "iVBORw0KGgo=";
  const fieldsOf = (schema: typeof createSchema, input: unknown) => {
    const result = schema.safeParse(input);
    return result.success ? [] : toFieldIssues(result.error).map((i) => i.field);
  };
  const five = Array.from(
    { length: limits.maxImages + 1 },
    () => ({ data, mimeType: "image/png" }),
  );
  assert.deepEqual(fieldsOf(createSchema, { message: "m", images: five }), ["images"]);
  assert.deepEqual(
    fieldsOf(createSchema, {
      message: "m",
      images: [{ data: 1, mimeType: "image/png" }, { data }, {
        data,
        mimeType: "image/png",
        alt: "a".repeat(301),
      }],
    }),
    ["images[0].data", "images[1].mimeType", "images[2].alt"],
  );
  const parsed = parseOrThrow(createSchema, {
    message: "m",
    images: [{ data, mimeType: "image/png", alt: "  a cat  " }, {
      data: new Uint8Array([1]),
      mimeType: "image/gif",
      alt: " ",
    }],
  });
  assert.deepEqual(parsed.images, [
    { data, mimeType: "image/png", alt: "a cat" },
    { data: new Uint8Array([1]), mimeType: "image/gif", alt: null },
  ]);
  const answer = parseOrThrow(submitInputSchema(limits), {
    images: [{ data, mimeType: "image/png", alt: "dropped" }],
  });
  assert.deepEqual(answer.images, [{ data, mimeType: "image/png", alt: null }]);
});

Deno.test("checkAnswer takes images alone as an answer", () => {
  const submit = submitInputSchema(limits);
  checkAnswer(
    session({ allowFreeText: false }),
    parseOrThrow(submit, { images: [{ data: "AA==", mimeType: "image/png" }] }),
  );
});
