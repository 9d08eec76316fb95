/**
 * Images on the pages, server side: the question's images on the feedback page and in the inbox
 * (alt text, `width`/`height`, the capability address), the no-JavaScript form that posts images
 * as `multipart/form-data` (stored as the API would store them, refused with the page's own
 * message in the page's language), and the CSP that lets images come from the own origin and
 * `blob:` only. The browser side is tests/browser_images_test.ts.
 */
import assert from "node:assert/strict";
import { type Lang, MESSAGES } from "../lib/i18n.ts";
import { readAnswerForm } from "../routes/feedback/_form.ts";
import { imageInput, jpegOf, pngOf, textWithPngHeader } from "./_images.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";

const LOGIN_ALT = "The login form, with the Sign in button cut off on the right";

/**
 * An instance, an owner's token, and a question with two screenshots (the second without alt);
 * with `env` (tighter limits), a question without images.
 */
async function setup(env?: Record<string, string>) {
  const instance = await createTestInstance({ env });
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(instance, token, {
    message: "Is the login form right now?",
    predefinedOptions: ["Yes", "No"],
    images: env ? [] : [
      imageInput(pngOf(320, 200), "image/png", LOGIN_ALT),
      imageInput(jpegOf(640, 480), "image/jpeg"),
    ],
  });
  return { instance, owner, token, sessionId };
}

/** The island's props as the page rendered them. */
function islandProps(html: string, name = "FeedbackApp") {
  const match = html.match(new RegExp(`data-island="${name}" data-props="([^"]*)"`));
  assert.ok(match, `the ${name} island is on the page`);
  return JSON.parse(
    match[1].replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
      .replaceAll("&amp;", "&"),
  );
}

/** The text of the form's alert as rendered. */
function shownError(html: string): string | null {
  return html.match(/<div class="error" role="alert" tabindex="-1">([^<]*)<\/div>/)?.[1] ?? null;
}

function page(instance: TestInstance, id: string, lang: Lang = "en") {
  return instance.app.request(`/feedback/${id}?lang=${lang}`);
}

/** `POST /feedback/{id}` with a multipart body, as a browser without JavaScript sends it. */
function postForm(
  instance: TestInstance,
  id: string,
  fields: [string, string | File][],
  lang: Lang = "en",
) {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  return instance.app.request(`/feedback/${id}?lang=${lang}`, { method: "POST", body: form });
}

function file(bytes: Uint8Array, name: string, type: string): File {
  return new File([bytes.slice()], name, { type });
}

async function result(instance: TestInstance, id: string, token: string) {
  const res = await instance.app.request(`/api/feedback/${id}/result`, {
    headers: authHeaders(token),
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("the page shows the question's images with alt text, width and height, each a link to itself", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  const res = await page(instance, sessionId);
  assert.equal(res.status, 200);
  const html = await res.text();
  const q1 = `/feedback/${sessionId}/images/q1`;
  const q2 = `/feedback/${sessionId}/images/q2`;
  assert.ok(html.includes(`<ul aria-label="${MESSAGES.en.questionImages}">`));
  // The first is in view at once; the second waits until it is near (lazy).
  assert.ok(
    html.includes(
      `<a href="${q1}" target="_blank"><img src="${q1}" alt="${LOGIN_ALT}" width="320" ` +
        `height="200" decoding="async"/></a>`,
    ),
    "the first image, eager, with the agent's alt text",
  );
  assert.ok(
    html.includes(
      `<a href="${q2}" target="_blank"><img src="${q2}" alt="Image 2 of 2" width="640" ` +
        `height="480" loading="lazy" decoding="async"/></a>`,
    ),
    "the second, lazy, with the page's own alt text",
  );
  assert.match(html, /<dialog class="lightbox">/, "the enlarging dialog, closed");
  // The props carry the same, and nothing of where the bytes are stored.
  const props = islandProps(html);
  assert.deepEqual(props.images, [
    { id: "q1", url: q1, width: 320, height: 200, alt: LOGIN_ALT },
    { id: "q2", url: q2, width: 640, height: 480, alt: null },
  ]);
  assert.doesNotMatch(html, /blob|chunks/);
  // The addresses serve the images to whoever holds the page's link.
  const image = await instance.app.request(q2);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get("content-type"), "image/jpeg");
  assert.deepEqual(new Uint8Array(await image.arrayBuffer()), jpegOf(640, 480));

  const zh = await (await page(instance, sessionId, "zh")).text();
  assert.ok(zh.includes(`alt="第 2 张图片（共 2 张）"`));
  assert.ok(zh.includes(`<ul aria-label="${MESSAGES.zh.questionImages}">`));
});

Deno.test("without JavaScript the form posts multipart with a file input for images", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  const html = await (await page(instance, sessionId)).text();
  assert.match(
    html,
    new RegExp(`<form method="post" action="/feedback/${sessionId}" enctype="multipart/form-data"`),
  );
  assert.match(html, /<input type="file" name="images" accept="image\/\*" multiple/);
  assert.ok(
    html.includes(MESSAGES.en.imageHintNoJs.replace("{images}", "4").replace("{size}", "2 MB")),
  );
});

Deno.test("with FEEDBACK_MAX_IMAGES=0 the form offers no images and posts a plain form", async () => {
  await using instance = await createTestInstance({ env: { FEEDBACK_MAX_IMAGES: "0" } });
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  const html = await (await page(instance, sessionId)).text();
  assert.doesNotMatch(html, /type="file"|multipart|class="attach"/);
  assert.match(
    html,
    new RegExp(`<form method="post" action="/feedback/${sessionId}" class="form"`),
  );
});

Deno.test("POST /feedback/{id} as multipart stores the image and shows it as a thumbnail", async () => {
  const { instance, sessionId, token } = await setup();
  await using _ = instance;
  const screenshot = pngOf(800, 450);
  const res = await postForm(instance, sessionId, [
    ["selectedOptions", "No"],
    ["freeText", "The button is cut off, see"],
    ["images", file(screenshot, "screenshot.png", "image/png")],
    // A second file input left empty posts an empty part: no image.
    ["images", new File([], "", { type: "application/octet-stream" })],
  ]);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /data-view="thanks"/);
  const a1 = `/feedback/${sessionId}/images/a1`;
  assert.ok(html.includes(`<dt>${MESSAGES.en.sentImages}</dt>`));
  assert.ok(
    html.includes(
      `<img src="${a1}" alt="Image 1 of 1" width="800" height="450" loading="lazy"`,
    ),
    "the answer's image as a thumbnail",
  );
  const { status, body } = await result(instance, sessionId, token);
  assert.equal(status, 200);
  assert.equal(body.data.feedback.freeText, "The button is cut off, see");
  assert.deepEqual(
    body.data.feedback.images.map((i: Record<string, unknown>) => [i.id, i.width, i.height]),
    [["a1", 800, 450]],
  );
  const stored = await instance.app.request(a1);
  assert.equal(stored.headers.get("content-type"), "image/png");
  assert.deepEqual(new Uint8Array(await stored.arrayBuffer()), screenshot);
  // The page shows it again, as answered, on a later visit too.
  const later = await (await page(instance, sessionId)).text();
  assert.match(later, /data-view="answered"/);
  assert.ok(later.includes(`<img src="${a1}"`));
});

Deno.test("an image-only answer from the no-JS form is taken", async () => {
  const { instance, sessionId, token } = await setup();
  await using _ = instance;
  const res = await postForm(instance, sessionId, [
    ["freeText", ""],
    ["images", file(jpegOf(100, 80), "photo.jpg", "image/jpeg")],
  ]);
  assert.equal(res.status, 200, await res.clone().text());
  const { body } = await result(instance, sessionId, token);
  assert.equal(body.data.feedback.images.length, 1);
});

Deno.test("a refused image re-renders the form with the reason in the page's language and stores nothing", async (t) => {
  const cases: {
    name: string;
    env?: Record<string, string>;
    files: () => File[];
    status: number;
    key: keyof typeof MESSAGES.en;
    values?: Record<string, string>;
  }[] = [
    {
      name: "a text file behind a PNG header: 415",
      files: () => [file(textWithPngHeader(), "notes.png", "image/png")],
      status: 415,
      key: "errorImagesRefused",
    },
    {
      name: "an image over FEEDBACK_MAX_IMAGE_BYTES: 413",
      env: { FEEDBACK_MAX_IMAGE_BYTES: "10240" },
      files: () => [file(pngOf(64, 64, { bytes: 20_000 }), "big.png", "image/png")],
      status: 413,
      key: "errorImagesTooLarge",
      values: { size: "10 KB" },
    },
    {
      name: "one image too many: 400",
      env: { FEEDBACK_MAX_IMAGES: "2" },
      files: () => [1, 2, 3].map((n) => file(pngOf(10, 10), `${n}.png`, "image/png")),
      status: 400,
      key: "errorImagesTooMany",
      values: { images: "2" },
    },
  ];
  for (const lang of ["en", "zh"] as const) {
    for (const c of cases) {
      await t.step(`${c.name} (${lang})`, async () => {
        const { instance, sessionId, token } = await setup(c.env);
        await using _ = instance;
        const res = await postForm(instance, sessionId, [
          ["selectedOptions", "No"],
          ["freeText", "kept as typed"],
          ...c.files().map((f) => ["images", f] as [string, File]),
        ], lang);
        assert.equal(res.status, c.status);
        const html = await res.text();
        assert.match(html, /data-view="form"/);
        let expected = MESSAGES[lang][c.key];
        for (const [name, value] of Object.entries(c.values ?? {})) {
          expected = expected.replace(`{${name}}`, value);
        }
        assert.equal(shownError(html), `${expected} ${MESSAGES[lang].imagesChooseAgain}`);
        assert.match(html, />kept as typed<\/textarea>/, "the text is shown again");
        const status = await instance.app.request(`/api/feedback/${sessionId}/status`, {
          headers: authHeaders(token),
        });
        assert.equal((await status.json()).data.status, "pending", "nothing was stored");
      });
    }
  }
});

Deno.test("a multipart body over maxImageBodyBytes is refused with 413 and the typed answer is shown again", async (t) => {
  const { instance, sessionId } = await setup({
    FEEDBACK_MAX_IMAGES: "1",
    FEEDBACK_MAX_IMAGE_BYTES: "10240",
  });
  await using _ = instance;
  const cap = instance.services.config.maxImageBodyBytes;
  const typed = "My carefully typed answer — naïve, 中文";
  /** The form as a browser sends it: the text fields first, then the (too large) file. */
  const form = () => {
    const form = new FormData();
    form.append("selectedOptions", "No");
    form.append("freeText", typed);
    form.append("images", file(new Uint8Array(cap + 1), "huge.png", "image/png"));
    return new Response(form);
  };
  const bodies = {
    // Browsers say the length of a form: refused from the header, only the start is read.
    "with its Content-Length": async () => {
      const res = form();
      const body = new Uint8Array(await res.arrayBuffer());
      return {
        body,
        headers: {
          "content-type": res.headers.get("content-type")!,
          "content-length": String(body.length),
        },
      };
    },
    // Streamed without a length: read up to the cap, then stopped.
    "streamed, without a length": () => {
      const res = form();
      return { body: res.body!, headers: { "content-type": res.headers.get("content-type")! } };
    },
  };
  for (const [name, make] of Object.entries(bodies)) {
    await t.step(name, async () => {
      const { body, headers } = await make();
      const res = await instance.app.request(`/feedback/${sessionId}?lang=en`, {
        method: "POST",
        body,
        headers,
      });
      assert.equal(res.status, 413);
      const html = await res.text();
      assert.match(html, /data-view="form"/);
      assert.ok(html.includes(`>${typed}</textarea>`), "the typed answer is shown again");
      assert.match(html, /value="No" checked/, "the chosen option too");
      assert.equal(
        shownError(html),
        `${
          MESSAGES.en.errorImagesTotalTooLarge.replace("{images}", "1").replace("{size}", "10 KB")
        } ${MESSAGES.en.imagesChooseAgain}`,
        "the message names the limit that was hit",
      );
    });
  }
});

Deno.test("a multipart body cut anywhere is read without error, keeping the text parts that arrived whole", async () => {
  const typed = "typed — 中文";
  const form = new FormData();
  form.append("selectedOptions", "Yes");
  form.append("freeText", typed);
  form.append("images", file(pngOf(10, 10), "a.png", "image/png"));
  const res = new Response(form);
  const type = res.headers.get("content-type")!;
  const bytes = new Uint8Array(await res.arrayBuffer());
  const boundary = type.split("boundary=")[1];
  // The delimiter that ends the free text: once it is in, the text part is whole.
  const text = new TextDecoder("latin1").decode(bytes);
  const delimiter = `\r\n--${boundary}`;
  const textWhole = text.indexOf(delimiter, text.indexOf('name="freeText"')) + delimiter.length;
  for (let cut = 0; cut <= bytes.length; cut += 3) {
    const posted = await readAnswerForm(
      new Request("http://localhost/", {
        method: "POST",
        body: bytes,
        headers: { "content-type": type },
      }),
      { maxBodyBytes: 1 << 16, maxImageBodyBytes: cut },
    );
    const whole = cut >= bytes.length;
    assert.equal(posted.overLimit?.code, whole ? undefined : "PAYLOAD_TOO_LARGE", `cut at ${cut}`);
    assert.equal(posted.images.length, whole ? 1 : 0);
    if (cut >= textWhole) {
      assert.deepEqual(
        [posted.selectedOptions, posted.freeText],
        [["Yes"], typed],
        `cut at ${cut}`,
      );
    }
  }
});

Deno.test("the form's file input comes after its text fields, so a body over the cap keeps them", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  const html = await (await page(instance, sessionId)).text();
  const files = html.indexOf('type="file"');
  assert.ok(files > 0);
  assert.ok(html.indexOf('name="selectedOptions"') < files);
  assert.ok(html.indexOf('name="freeText"') < files);
});

Deno.test("the no-JS form ignores the type the browser declares: a PNG named photo.jpg is stored as PNG", async () => {
  const { instance, sessionId, token } = await setup();
  await using _ = instance;
  // Browsers declare a file's type from its name's extension.
  const res = await postForm(instance, sessionId, [
    ["freeText", "from my phone"],
    ["images", file(pngOf(120, 90), "photo.jpg", "image/jpeg")],
  ]);
  assert.equal(res.status, 200, shownError(await res.clone().text()) ?? "");
  const { body } = await result(instance, sessionId, token);
  assert.deepEqual(
    body.data.feedback.images.map((i: Record<string, unknown>) => [i.mimeType, i.width]),
    [["image/png", 120]],
  );
  const stored = await instance.app.request(`/feedback/${sessionId}/images/a1`);
  assert.equal(stored.headers.get("content-type"), "image/png");
});

Deno.test("the pages' CSP lets images come from the own origin and blob: previews only", async () => {
  const { instance, owner, sessionId } = await setup();
  await using _ = instance;
  const directive = (csp: string | null) =>
    csp?.split(";").map((d) => d.trim()).find((d) => d.startsWith("img-src"));
  const feedback = await page(instance, sessionId);
  assert.equal(directive(feedback.headers.get("content-security-policy")), "img-src 'self' blob:");
  const signIn = await instance.app.request(`/inbox?token=${await tokenFor(owner)}`);
  const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
  const inbox = await instance.app.request("/inbox", { headers: { cookie } });
  assert.equal(directive(inbox.headers.get("content-security-policy")), "img-src 'self' blob:");
});

Deno.test("the inbox lists a question's images and, once answered, the answer's", async () => {
  const { instance, owner, sessionId } = await setup();
  await using _ = instance;
  const signIn = await instance.app.request(`/inbox?token=${await tokenFor(owner)}`);
  const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
  const item = async () =>
    (await (await instance.app.request(`/inbox/api/items/${sessionId}`, { headers: { cookie } }))
      .json()).data;
  const pending = await item();
  assert.deepEqual(pending.images.map((i: { url: string }) => i.url), [
    `/feedback/${sessionId}/images/q1`,
    `/feedback/${sessionId}/images/q2`,
  ]);
  assert.equal(pending.images[0].alt, LOGIN_ALT);
  const answered = await postForm(instance, sessionId, [
    ["freeText", "see"],
    ["images", file(pngOf(300, 100), "a.png", "image/png")],
  ]);
  assert.equal(answered.status, 200);
  const done = await item();
  assert.deepEqual(done.answer.images, [
    { id: "a1", url: `/feedback/${sessionId}/images/a1`, width: 300, height: 100, alt: null },
  ]);
  // The inbox page renders the same, server side (it reads without JavaScript too).
  const html = await (await instance.app.request("/inbox?view=history", { headers: { cookie } }))
    .text();
  assert.ok(html.includes(`<img src="/feedback/${sessionId}/images/a1"`));
});
