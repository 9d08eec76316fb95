/**
 * Property-based fuzzing of the answer without JavaScript (issue 8): `POST /feedback/{id}` with
 * arbitrary content types and form bodies (repeated `selectedOptions`, unicode, huge free text,
 * missing fields, not a form at all) is answered in HTML below 500, in time; a refused answer
 * stores nothing and an accepted one keeps the question's rules. Seeds and run counts: `_fuzz.ts`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { authHeaders, createSessionViaApi, randomOwner, tokenFor } from "./_helpers.ts";
import {
  ANSWER_BOUND_MS,
  answerableQuestion,
  anyText,
  assertAnswerKeepsRules,
  assertNoLoggedErrors,
  assertUnchanged,
  contentType,
  createFuzzInstance,
  encodeLoose,
  fuzzParameters,
  longText,
  pathSegment,
  snapshot,
  within,
} from "./_fuzz.ts";

/** Stands for the id of the run's own session in a generated path. */
const OWN = "{own}";

/** One `key=value` pair of a form, mostly the fields the page posts. */
function formEntry(options: readonly string[]): fc.Arbitrary<[string, string]> {
  const option = options.length
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...options) }, anyText(12))
    : anyText(12);
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constant("selectedOptions"), option) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constant("freeText"),
        fc.oneof({ weight: 3, arbitrary: anyText(40) }, longText(7990, 8010), longText(9000, 9100)),
      ),
    },
    fc.tuple(
      fc.constantFrom("selectedOptions[]", "SelectedOptions", "metadata", "_method", "freetext"),
      anyText(12),
    ),
    fc.tuple(anyText(8), anyText(12)),
  );
}

/** What the page's form sends when the human answers as asked: browser-encoded. */
function browserAnswer(question: Question): fc.Arbitrary<string> {
  const { predefinedOptions: options, multiSelect, allowFreeText } = question;
  return fc.record({
    chosen: options.length
      ? fc.uniqueArray(fc.constantFrom(...options), { maxLength: multiSelect ? options.length : 1 })
      : fc.constant<string[]>([]),
    freeText: allowFreeText ? anyText(40) : fc.constant(""),
  }).map(({ chosen, freeText }) =>
    new URLSearchParams([
      ...chosen.map((o): [string, string] => ["selectedOptions", o]),
      ["freeText", freeText],
    ]).toString()
  );
}

type Question = { predefinedOptions: string[]; multiSelect: boolean; allowFreeText: boolean };

/** A body: a valid answer, a form (encoded properly or carelessly), or anything else at all. */
function formBody(question: Question): fc.Arbitrary<string | Uint8Array<ArrayBuffer>> {
  const entries = fc.array(formEntry(question.predefinedOptions), { maxLength: 12 });
  return fc.oneof(
    { weight: 4, arbitrary: browserAnswer(question) },
    {
      weight: 6,
      arbitrary: entries.map((e) =>
        e.map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join("&")
      ),
    },
    // As a careless client would send it: raw characters, stray separators.
    fc.tuple(entries, fc.constantFrom("&", ";", "&&")).map(([e, separator]) =>
      e.map(([k, v]) => `${k}=${v}`).join(separator)
    ),
    // Around the cap of 100 selected options.
    fc.array(fc.constantFrom("a", "b", "c"), { minLength: 99, maxLength: 104 }).map((values) =>
      values.map((v) => `selectedOptions=${v}`).join("&")
    ),
    longText(65_000, 70_000).map((s) => `freeText=${encodeLoose(s)}`),
    anyText(60),
    fc.json(),
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom("", "=", "&", "selectedOptions", "freeText=", "%", "%zz=1", "a=%ff%fe"),
  );
}

Deno.test("POST /feedback/{id} with arbitrary content types and bodies is answered in HTML below 500; a refused answer stores nothing", async () => {
  await using instance = await createFuzzInstance();
  const cases = answerableQuestion.chain((question) =>
    fc.record({
      question: fc.constant(question),
      id: fc.oneof(
        { weight: 6, arbitrary: fc.constant(OWN) },
        fc.constant(OWN.toUpperCase()),
        pathSegment(),
      ),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant("application/x-www-form-urlencoded") },
        fc.constantFrom(
          "application/x-www-form-urlencoded; charset=UTF-8",
          "APPLICATION/X-WWW-FORM-URLENCODED",
          "application/x-www-form-urlencoded;charset=latin1",
        ),
        contentType,
      ),
      body: formBody(question),
      query: fc.constantFrom("", "?lang=zh", "?theme=dark", "?lang=%ff", "?theme=<script>"),
    })
  );

  await fc.assert(
    fc.asyncProperty(cases, async (c) => {
      // A fresh owner per run: the per-owner cap on pending questions never interferes.
      const token = await tokenFor(randomOwner());
      const { sessionId } = await createSessionViaApi(instance, token, c.question);
      const id = c.id === OWN
        ? sessionId
        : c.id === OWN.toUpperCase()
        ? sessionId.toUpperCase()
        : c.id;
      const path = `/feedback/${id}${c.query}`;
      const headers = new Headers();
      if (c.contentType !== undefined) headers.set("content-type", c.contentType);
      const shown = typeof c.body === "string" ? c.body.slice(0, 300) : `${c.body.length} bytes`;
      const what = `POST ${path.slice(0, 200)} (${c.contentType}) ${shown}`;
      const before = await snapshot(instance.kv);

      const res = await within(
        Promise.resolve(instance.app.request(path, { method: "POST", headers, body: c.body })),
        ANSWER_BOUND_MS,
        what,
      );
      const html = await within(res.text(), ANSWER_BOUND_MS, `${what} (body)`);
      assert.ok(res.status < 500, `${what}: ${res.status}`);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/, `${what}: ${res.status}`);
      assert.match(html, /^<!DOCTYPE html>/i, what);

      const result = await instance.app.request(`/api/feedback/${sessionId}/result`, {
        headers: authHeaders(token),
      });
      const resultBody = await result.json();
      if (res.status === 200 && id.toLowerCase() === sessionId) {
        assert.equal(result.status, 200, `${what}: accepted, yet ${JSON.stringify(resultBody)}`);
        assertAnswerKeepsRules(c.question, resultBody.data.feedback, what);
      } else {
        assertUnchanged(before, await snapshot(instance.kv), what);
        assert.equal(result.status, 404, what);
        assert.equal(resultBody.error.details.status, "pending", what);
      }
      assertNoLoggedErrors(instance, what);
    }),
    fuzzParameters(100),
  );
});

Deno.test("every option of a question can be chosen through the no-JS form, encoded as a browser encodes it", async () => {
  await using instance = await createFuzzInstance();
  const cases = answerableQuestion
    .filter((q) => q.predefinedOptions.length > 0)
    .chain((question) =>
      fc.record({
        question: fc.constant(question),
        chosen: fc.constantFrom(...question.predefinedOptions),
      })
    );

  await fc.assert(
    fc.asyncProperty(cases, async ({ question, chosen }) => {
      const token = await tokenFor(randomOwner());
      const { sessionId } = await createSessionViaApi(instance, token, question);
      // What a browser does with the page's form: every field becomes a USVString (a lone
      // surrogate turns into U+FFFD), then UTF-8, form-encoded.
      const body = new URLSearchParams([["selectedOptions", chosen]]).toString();
      const res = await instance.app.request(`/feedback/${sessionId}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      await res.body?.cancel();
      const what = `options ${JSON.stringify(question.predefinedOptions)}, chose ${
        JSON.stringify(chosen)
      }`;
      assert.equal(res.status, 200, what);
      const status = await (await instance.app.request(`/api/feedback/${sessionId}/result`, {
        headers: authHeaders(token),
      })).json();
      assert.equal(status.data.feedback.selectedOptions.length, 1, what);
    }),
    fuzzParameters(60),
  );
});
