/**
 * Images in real Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core) against a
 * real server on port 0: on a phone-sized page a human pastes a screenshot (a `paste` event whose
 * clipboard holds a file), drops a camera photo (a `drop` event with a `DataTransfer`) and picks
 * a file (`setInputFiles`), sees the thumbnails, and sends; the agent, an MCP SDK v2 client
 * waiting in `get_feedback_result`, receives them as `image` content blocks scaled to 1600 px,
 * upright and without their EXIF, whose pixels decode to those sizes. An
 * agent's question with two screenshots shows on the page (boxes reserved before the bytes come,
 * enlarged in a dialog) and in the inbox; the form without JavaScript uploads too. Screenshots
 * (light and dark, 390 and 1200 px wide, English and Chinese) go to
 * `artifacts/screenshots/images-*.png` (git-ignored).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import {
  authHeaders,
  createSessionViaApi,
  randomOwner,
  serveTestInstance,
  tokenFor,
} from "./_helpers.ts";
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  DESKTOP,
  type DeviceOptions,
  deviceOptions,
  hydrated,
  PHONE,
  SCREENSHOTS,
  WAIT,
} from "./_browser.ts";
import { imageInput, pngOf } from "./_images.ts";
import { connectV2Client } from "./_mcp_helpers.ts";
import { eventually } from "./_wait.ts";

/** Pages to photograph as an agent's screenshots: a login card whose button is cut off, … */
const LOGIN_MOCK = `<style>
  body { margin: 0; height: 100vh; display: grid; place-items: center; background: #eef1f5;
    font: 16px system-ui, sans-serif; color: #1a1f26; }
  .card { width: 340px; padding: 28px; background: #fff; border-radius: 12px; overflow: hidden;
    box-shadow: 0 4px 20px #0002; }
  h1 { margin: 0 0 16px; font-size: 22px; }
  label { display: block; margin: 12px 0 4px; font-size: 13px; color: #4f5b67; }
  input { width: 100%; box-sizing: border-box; padding: 10px; border: 1px solid #c5ced8;
    border-radius: 6px; font: inherit; }
  button { margin-top: 20px; width: 440px; padding: 12px; border: 0; border-radius: 6px;
    background: #0a58b0; color: #fff; font: 600 16px system-ui, sans-serif; text-align: left; }
</style>
<div class="card"><h1>Sign in to Acme</h1><label>Email</label><input value="ada@example.com">
<label>Password</label><input type="password" value="secret12">
<button>Sign in with your Acme account</button></div>`;

/** … the same app's settings on a phone, … */
const SETTINGS_MOCK = `<style>
  body { margin: 0; font: 16px system-ui, sans-serif; background: #fff; color: #1a1f26; }
  header { padding: 18px 20px; background: #0a58b0; color: #fff; font-weight: 600; font-size: 18px; }
  .row { display: flex; justify-content: space-between; align-items: center; padding: 16px 20px;
    border-bottom: 1px solid #e3e8ee; }
  .toggle { width: 46px; height: 26px; border-radius: 13px; background: #c5ced8; position: relative; }
  .toggle::after { content: ""; position: absolute; top: 3px; left: 3px; width: 20px; height: 20px;
    border-radius: 50%; background: #fff; }
  .on { background: #17703a; } .on::after { left: 23px; }
</style>
<header>Settings</header>
<div class="row">Notifications <span class="toggle on"></span></div>
<div class="row">Dark mode <span class="toggle"></span></div>
<div class="row">Two-factor sign-in <span class="toggle on"></span></div>
<div class="row">Language <span>English ›</span></div>
<div class="row">Delete account <span>›</span></div>`;

/** … a dashboard the human screenshots on a high-density screen, … */
const DASHBOARD_MOCK = `<style>
  body { margin: 0; display: grid; grid-template: 56px 1fr / 220px 1fr; height: 100vh;
    font: 15px system-ui, sans-serif; color: #1a1f26; background: #f3f5f8; }
  header { grid-column: 1 / 3; background: #161c23; color: #fff; padding: 16px 24px; font-weight: 600; }
  nav { background: #fff; border-right: 1px solid #dde3ea; padding: 16px; line-height: 2.4; }
  main { padding: 24px; display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px;
    align-content: start; }
  .tile { background: #fff; border-radius: 10px; padding: 18px; border: 1px solid #dde3ea; }
  .tile b { display: block; font-size: 30px; margin-top: 6px; }
  .chart { grid-column: 1 / 4; height: 420px; display: flex; align-items: end; gap: 14px; }
  .bar { flex: 1; background: #0a58b0; border-radius: 6px 6px 0 0; }
  .bar.bad { background: #b3261e; }
</style>
<header>Acme analytics</header>
<nav>Overview<br>Revenue<br>Customers<br>Settings</nav>
<main><div class="tile">Revenue<b>$48,210</b></div><div class="tile">Customers<b>1,284</b></div>
<div class="tile">Churn<b>2.1%</b></div>
<div class="tile chart">${
  [40, 55, 62, 48, 70, 82, 20, 90, 76, 88]
    .map((h, i) => `<div class="bar${i === 6 ? " bad" : ""}" style="height:${h}%"></div>`).join("")
}</div></main>`;

/** … and a photo from a phone's camera. */
const PHOTO_MOCK = `<style>
  body { margin: 0; height: 100vh; background: linear-gradient(160deg, #87b5e0, #f6d6a8 60%, #6c8f4e 61%, #3d5a2a); }
  .sun { position: absolute; left: 62%; top: 18%; width: 120px; height: 120px; border-radius: 50%;
    background: radial-gradient(#fff8d0, #ffcf5a); }
</style><div class="sun"></div>`;

/** What the EXIF of the dropped photo says: it must never reach the agent. */
const EXIF_SECRET = "GPS 48.85837N 2.29448E SECRET-PLACE";

/**
 * An EXIF block (APP1) saying the camera was turned (orientation 6: rotate 90° clockwise to view)
 * and carrying {@link EXIF_SECRET} as the image description.
 */
function exifSegment(): Uint8Array {
  const text = new TextEncoder().encode(`${EXIF_SECRET}\0`);
  const tiff = new Uint8Array(8 + 2 + 2 * 12 + 4 + text.length);
  const view = new DataView(tiff.buffer);
  tiff.set([0x4d, 0x4d, 0, 42, 0, 0, 0, 8]); // big-endian TIFF, first IFD at 8
  view.setUint16(8, 2); // two entries
  // ImageDescription (0x010E), ASCII, its text after the IFD.
  view.setUint16(10, 0x010e);
  view.setUint16(12, 2);
  view.setUint32(14, text.length);
  view.setUint32(18, 8 + 2 + 2 * 12 + 4);
  // Orientation (0x0112), SHORT, 6.
  view.setUint16(22, 0x0112);
  view.setUint16(24, 3);
  view.setUint32(26, 1);
  view.setUint16(30, 6);
  view.setUint32(34, 0); // no next IFD
  tiff.set(text, 38);
  const header = new TextEncoder().encode("Exif\0\0");
  const length = 2 + header.length + tiff.length;
  const segment = new Uint8Array(2 + length);
  segment.set([0xff, 0xe1, length >> 8, length & 255]);
  segment.set(header, 4);
  segment.set(tiff, 4 + header.length);
  return segment;
}

/** `jpeg` with {@link exifSegment} right after its start marker, as a camera writes it. */
function withExif(jpeg: Uint8Array): Uint8Array {
  const exif = exifSegment();
  const out = new Uint8Array(jpeg.length + exif.length);
  out.set(jpeg.subarray(0, 2));
  out.set(exif, 2);
  out.set(jpeg.subarray(2), 2 + exif.length);
  return out;
}

function contains(bytes: Uint8Array, text: string): boolean {
  return new TextDecoder("latin1").decode(bytes).includes(text);
}

const b64 = (bytes: Uint8Array) => bytes.toBase64();

/** A file for `setInputFiles`. */
const fileOf = (name: string, mimeType: string, bytes: Uint8Array) => ({
  name,
  mimeType,
  buffer: Buffer.from(bytes),
});

Deno.test("images both ways work in a real browser", async (t) => {
  await using served = await serveTestInstance();
  const { instance, origin } = served;
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  const owner = randomOwner();
  const token = await tokenFor(owner);

  const newPage = async (
    options: DeviceOptions & { javaScriptEnabled?: boolean; scale?: number } = {},
  ) => {
    const context = await browser.newContext({
      ...deviceOptions(options),
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      ...(options.scale ? { deviceScaleFactor: options.scale } : {}),
    });
    contexts.push(context);
    await context.addInitScript(`
      document.addEventListener("securitypolicyviolation", (e) =>
        console.log("Content-Security-Policy violation: " + e.violatedDirective + " " + e.blockedURI));
    `);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  };

  /** A screenshot of `html` laid out at `viewport`, as PNG or JPEG bytes. */
  const photograph = async (
    html: string,
    options: { viewport: { width: number; height: number }; scale: number; type?: "png" | "jpeg" },
  ) => {
    const context = await browser.newContext({
      viewport: options.viewport,
      deviceScaleFactor: options.scale,
    });
    const page = await context.newPage();
    await page.setContent(html);
    const bytes = await page.screenshot({
      type: options.type ?? "png",
      quality: options.type === "jpeg" ? 88 : undefined,
    });
    await context.close();
    return new Uint8Array(bytes);
  };

  const login = await photograph(LOGIN_MOCK, { viewport: { width: 800, height: 500 }, scale: 2 });
  const settings = await photograph(SETTINGS_MOCK, {
    viewport: { width: 390, height: 560 },
    scale: 2,
  });
  const dashboard = await photograph(DASHBOARD_MOCK, {
    viewport: { width: 1600, height: 900 },
    scale: 2,
  });
  const photo = withExif(
    await photograph(PHOTO_MOCK, {
      viewport: { width: 1200, height: 800 },
      scale: 2,
      type: "jpeg",
    }),
  );

  /** An agent's question with the two screenshots. */
  const ask = async (body: Record<string, unknown> = {}) =>
    (await createSessionViaApi(instance, token, {
      title: "Is the sign-in page right now?",
      message:
        "I moved the **Sign in** button under the password field. On a phone it seems to be " +
        "cut off on the right. Is this what you wanted, or should it be full width?",
      predefinedOptions: ["Ship it", "Make it full width", "Revert"],
      timeout: 1800,
      metadata: { agent: "claude-code", project: "acme-web" },
      images: [
        imageInput(
          login,
          "image/png",
          "The sign-in card: the Sign in button runs past its right edge",
        ),
        imageInput(settings, "image/png", "The settings screen on a phone"),
      ],
      ...body,
    })).sessionId;

  /**
   * Pastes `bytes` as a file into the focused element (or the page), as Ctrl+V would; `texts`
   * are the clipboard's other flavours (`text/plain`, `text/html`), as the app that copied put them.
   */
  const paste = (
    page: Page,
    bytes: Uint8Array,
    name: string,
    type: string,
    texts: Record<string, string> = {},
  ) =>
    page.evaluate(([data, name, type, texts]) => {
      const file = new File([Uint8Array.fromBase64(data)], name, { type });
      const clipboard = new DataTransfer();
      for (const [format, text] of Object.entries(texts)) clipboard.setData(format, text);
      clipboard.items.add(file);
      (document.activeElement ?? document.body).dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: clipboard, bubbles: true, cancelable: true }),
      );
    }, [b64(bytes), name, type, texts] as const);

  /** Drags `bytes` as a file over the form and drops it there. */
  const drop = (page: Page, bytes: Uint8Array, name: string, type: string) =>
    page.evaluate(([data, name, type]) => {
      const files = new DataTransfer();
      files.items.add(new File([Uint8Array.fromBase64(data)], name, { type }));
      const form = document.querySelector("form.form")!;
      for (const kind of ["dragenter", "dragover", "drop"]) {
        form.dispatchEvent(
          new DragEvent(kind, { dataTransfer: files, bubbles: true, cancelable: true }),
        );
      }
    }, [b64(bytes), name, type]);

  const thumbs = (page: Page, count: number) =>
    page.waitForFunction(
      (n) => document.querySelectorAll(".thumbs img").length === n,
      count,
      WAIT,
    );

  /**
   * Waits until every image matching `selector` has loaded and decoded: `decoding="async"`
   * images may otherwise paint (and be photographed) as empty boxes for a frame.
   */
  const loaded = async (page: Page, selector: string) => {
    await page.waitForFunction(
      (s) =>
        [...document.querySelectorAll<HTMLImageElement>(s)].every((i) =>
          i.complete && i.naturalWidth > 0
        ),
      selector,
      WAIT,
    );
    await page.evaluate(
      (s) =>
        Promise.all([...document.querySelectorAll<HTMLImageElement>(s)].map((i) => i.decode())),
      selector,
    );
  };

  /** The size `bytes` decode to, in a real decoder (Chromium's). */
  const decodedSize = (page: Page, bytes: Uint8Array) =>
    page.evaluate(async (data) => {
      const bitmap = await createImageBitmap(new Blob([Uint8Array.fromBase64(data)]));
      return [bitmap.width, bitmap.height];
    }, b64(bytes));

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: new URL(`images-${name}.png`, SCREENSHOTS).pathname });

  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  try {
    await t.step(
      "on a phone a human pastes, drops and picks images and sends them; the agent waiting in get_feedback_result gets them at 1600 px",
      async () => {
        const id = await ask();
        const page = await newPage({ viewport: PHONE });
        await hydrated(page, `${origin}/feedback/${id}`);
        const textarea = page.getByLabel("Anything to add? (optional)");
        await textarea.fill("The button is cut off on my phone too, and the chart has a gap:");
        await textarea.focus();
        // A 3200 × 1800 screenshot from a high-density screen, pasted into the text field.
        await paste(page, dashboard, "Screenshot 2026-11-28 at 10.02.14.png", "image/png");
        await thumbs(page, 1);
        assert.equal(
          await textarea.inputValue(),
          "The button is cut off on my phone too, and the chart has a gap:",
        );
        // A camera photo (2400 × 1600, EXIF: turned, and where it was taken), dropped on the form.
        await drop(page, photo, "IMG_2041.JPG", "image/jpeg");
        await thumbs(page, 2);
        // A small image from the picker.
        const input = page.locator('.attach input[type="file"]');
        await input.setInputFiles(fileOf("small.png", "image/png", pngOf(500, 300)));
        await thumbs(page, 3);
        assert.equal(await page.locator(".attach-count").textContent(), "3 / 4 images");

        // Refused before any upload: what is not an image, and one image too many.
        await input.setInputFiles(
          fileOf("notes.txt", "text/plain", new TextEncoder().encode("not an image")),
        );
        await page.waitForSelector('[role="alert"]:has-text("notes.txt")', WAIT);
        assert.equal(
          await page.getByRole("alert").textContent(),
          "“notes.txt” could not be read as an image.",
        );
        await input.setInputFiles([
          fileOf("four.png", "image/png", pngOf(40, 40)),
          fileOf("five.png", "image/png", pngOf(40, 40)),
        ]);
        await thumbs(page, 4);
        assert.equal(
          await page.getByRole("alert").textContent(),
          "At most 4 images per answer: “five.png” was not added.",
        );
        await page.getByRole("button", { name: "Remove image 4" }).click();
        await thumbs(page, 3);
        await loaded(page, ".thumbs img");
        await page.locator(".attach").scrollIntoViewIfNeeded();
        await shot(page, "thumbnails-phone-light-en");

        // The agent, an MCP client, waits for the answer while the human sends it over a slow
        // uplink.
        await using mcp = await connectV2Client(`${origin}/mcp`, token, "auto");
        const listening = instance.services.hub.stats().listeners;
        const waiting = mcp.client.callTool({
          name: "get_feedback_result",
          arguments: { sessionId: id, wait: 45 },
        });
        await eventually(
          () => instance.services.hub.stats().listeners > listening,
          "the agent waiting in get_feedback_result",
        );
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Network.enable");
        await cdp.send("Network.emulateNetworkConditions", {
          offline: false,
          latency: 20,
          downloadThroughput: -1,
          uploadThroughput: 64 * 1024,
        });
        await page.evaluate(() => {
          const seen: string[] = [];
          (globalThis as unknown as { __progress: string[] }).__progress = seen;
          new MutationObserver(() => {
            const figure = document.querySelector(".attach-status span")?.textContent;
            if (figure && seen.at(-1) !== figure) seen.push(figure);
          }).observe(document.body, { subtree: true, childList: true, characterData: true });
        });
        // The answer's images as the server serves them back: held, to see the thank-you view
        // show them without (from the previews the page already has).
        const heldBack: (() => Promise<void>)[] = [];
        await page.route(
          `**/feedback/${id}/images/a*`,
          (route) => void heldBack.push(() => route.continue()),
        );
        await page.getByRole("button", { name: "Send answer" }).click();
        await page.waitForSelector(".attach-status progress", WAIT);
        await page.locator(".attach-status").scrollIntoViewIfNeeded();
        await shot(page, "uploading-phone-light-en");
        // While the answer goes, nothing is added (it would be lost once it is through).
        assert.ok(await input.isDisabled(), "the picker is off while uploading");
        await paste(page, pngOf(40, 40), "late.png", "image/png");
        await page.waitForSelector('[data-view="thanks"]', { timeout: 60_000 });
        await cdp.send("Network.emulateNetworkConditions", {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: -1,
        });
        const progress = await page.evaluate(() =>
          (globalThis as unknown as { __progress: string[] }).__progress
        );
        assert.ok(
          progress.filter((p) => p !== "0%" && p !== "100%").length >= 2,
          `the bar moved in steps while uploading: ${progress.join(" ")}`,
        );

        // The thank-you view shows what was sent: at once, from the previews (the server's
        // copies are still held back), each a link to the server's.
        const sent = page.locator(".summary .gallery img");
        assert.equal(await sent.count(), 3);
        await loaded(page, ".summary .gallery img");
        assert.match((await sent.first().getAttribute("src"))!, /^blob:/);
        assert.equal(
          await page.locator(".summary .gallery a").first().getAttribute("href"),
          `/feedback/${id}/images/a1`,
        );
        await page.locator(".summary").scrollIntoViewIfNeeded();
        await shot(page, "sent-phone-light-en");
        for (const release of heldBack.splice(0)) await release();
        await page.unroute(`**/feedback/${id}/images/a*`);

        const result = await waiting;
        assert.notEqual(result.isError, true, JSON.stringify(result.content[0]));
        assert.equal(result.content[0].type, "text", "the text first, then the images");
        const blocks = result.content.filter((c) => c.type === "image") as {
          data: string;
          mimeType: string;
        }[];
        const sizes: number[][] = [];
        for (const [i, block] of blocks.entries()) {
          const bytes = Uint8Array.fromBase64(block.data);
          sizes.push(await decodedSize(page, bytes));
          assert.match(block.mimeType, /^image\/(webp|png|jpeg)$/);
          assert.ok(!contains(bytes, EXIF_SECRET), `image ${i + 1} carries no EXIF`);
          assert.ok(!contains(bytes, "Exif\0\0"), `image ${i + 1} has no EXIF block at all`);
        }
        // Scaled to 1600 px on the longest side; the photo upright (its EXIF said: turned).
        assert.deepEqual(sizes, [[1600, 900], [1067, 1600], [500, 300]]);
        assert.equal(blocks[1].mimeType, "image/webp", "a photo goes as WebP");
        const facts = result.structuredContent as {
          feedback: { freeText: string; images: { id: string; width: number; height: number }[] };
        };
        assert.equal(
          facts.feedback.freeText,
          "The button is cut off on my phone too, and the chart has a gap:",
        );
        assert.deepEqual(facts.feedback.images.map((i) => [i.id, i.width, i.height]), [
          ["a1", 1600, 900],
          ["a2", 1067, 1600],
          ["a3", 500, 300],
        ]);
        assert.ok(contains(photo, EXIF_SECRET), "the photo as dropped did carry it");
        await page.context().close();
      },
    );

    await t.step(
      "pasted into the text field, a file copied in a file manager is attached; a document's text with its picture pastes as text",
      async () => {
        const id = await ask();
        const page = await newPage({ viewport: PHONE });
        await hydrated(page, `${origin}/feedback/${id}`);
        await page.getByLabel("Anything to add? (optional)").focus();
        // Word's copy: the text, formatted and plain, and a picture of it.
        await paste(page, pngOf(300, 40), "image.png", "image/png", {
          "text/plain": "Make the button full width",
          "text/html": "<p>Make the button <b>full width</b></p>",
        });
        // Finder's copy of a file: the file, and its name as plain text.
        await paste(page, pngOf(200, 100), "mockup.png", "image/png", {
          "text/plain": "mockup.png",
        });
        // Taken in order: had the first been attached, it would show first.
        await thumbs(page, 1);
        await loaded(page, ".thumbs img");
        assert.deepEqual(
          await page.locator(".thumbs img").evaluate((i: HTMLImageElement) => [
            i.naturalWidth,
            i.naturalHeight,
          ]),
          [200, 100],
        );
        await page.waitForFunction(() => !document.querySelector(".attach-status")?.textContent);
        assert.equal(await page.locator(".thumbs img").count(), 1);
        await page.context().close();
      },
    );

    await t.step(
      "a picked image whose header claims 100 megapixels is refused before it is decoded",
      async () => {
        const id = await ask();
        const page = await newPage({ viewport: PHONE });
        await hydrated(page, `${origin}/feedback/${id}?lang=zh`);
        // A few KB of PNG that decodes to 10,000 × 10,000 pixels (400 MB).
        await page.locator('.attach input[type="file"]').setInputFiles(
          fileOf("bomb.png", "image/png", pngOf(10_000, 10_000)),
        );
        await page.waitForSelector('[role="alert"]:has-text("bomb.png")', WAIT);
        assert.equal(
          await page.getByRole("alert").textContent(),
          "“bomb.png”尺寸太大，无法打开：每边最多 16384 像素，总共最多 5000 万像素。",
        );
        assert.equal(await page.locator(".thumbs img").count(), 0);
        await page.context().close();
      },
    );

    await t.step(
      "an agent's two screenshots show on the page: boxes reserved before the bytes, alt text, enlarged on a tap",
      async () => {
        const id = await ask();
        const page = await newPage({ viewport: PHONE });
        // Hold the images back: the page must lay out their boxes from width and height alone.
        const held: (() => Promise<void>)[] = [];
        await page.route("**/images/**", (route) => void held.push(() => route.continue()));
        // Not until `load`: that waits for the images held back.
        await page.goto(`${origin}/feedback/${id}`, { waitUntil: "domcontentloaded" });
        await page.waitForSelector("html[data-hydrated]", WAIT);
        const boxes = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLImageElement>(".gallery img")].map((img) => {
            const box = img.getBoundingClientRect();
            return {
              ratio: box.height / box.width,
              expected: img.height / img.width,
              alt: img.alt,
            };
          })
        );
        assert.equal(boxes.length, 2);
        for (const box of boxes) {
          assert.ok(Math.abs(box.ratio - box.expected) < 0.02, JSON.stringify(box));
        }
        assert.equal(boxes[0].alt, "The sign-in card: the Sign in button runs past its right edge");
        for (const release of held.splice(0)) await release();
        await page.unroute("**/images/**");
        await loaded(page, ".gallery img");
        await shot(page, "question-phone-light-en");

        await page.getByRole("link", { name: "The sign-in card" }).click();
        await page.waitForSelector("dialog.lightbox[open] img", WAIT);
        await loaded(page, "dialog.lightbox img");
        const big = await page.locator("dialog.lightbox img").boundingBox();
        assert.ok(big && big.width > 300, "the enlarged image fills the phone's width");
        await shot(page, "lightbox-phone-light-en");
        await page.keyboard.press("Escape");
        await page.waitForSelector("dialog.lightbox:not([open])", { ...WAIT, state: "attached" });
        assert.equal(await page.locator("dialog.lightbox img").count(), 0);
        // A tap anywhere closes it too.
        await page.locator(".gallery a").nth(1).click();
        await page.waitForSelector("dialog.lightbox[open]", WAIT);
        await page.mouse.click(20, 20);
        await page.waitForSelector("dialog.lightbox:not([open])", { ...WAIT, state: "attached" });
        await page.context().close();
      },
    );

    await t.step(
      "the inbox shows a question's screenshots and, in the history, the answer's images",
      async () => {
        const id = await ask({ title: "Ship the new sign-in page?" });
        const page = await newPage({ viewport: PHONE });
        await hydrated(page, `${origin}/inbox?token=${token}`);
        const item = page.locator(`#q-${id}`);
        await item.getByRole("button", { name: "Answer" }).click();
        await item.locator(".gallery img").first().waitFor(WAIT);
        assert.equal(await item.locator(".gallery img").count(), 2);
        await loaded(page, `#q-${id} .gallery img`);
        await item.scrollIntoViewIfNeeded();
        await shot(page, "inbox-question-phone-light-en");
        await item.getByLabel("Make it full width").check();
        await item.locator('.attach input[type="file"]').setInputFiles(
          fileOf("fixed.png", "image/png", login),
        );
        await item.locator(".thumbs img").waitFor(WAIT);
        await item.getByRole("button", { name: "Send answer" }).click();
        await item.locator('[data-view="thanks"]').waitFor({ timeout: 30_000 });
        await page.getByRole("link", { name: "History" }).click();
        const past = page.locator(`#q-${id}`);
        await past.locator(".summary .gallery img").waitFor(WAIT);
        await loaded(page, `#q-${id} .summary .gallery img`);
        assert.equal(
          await past.locator(".summary .gallery img").getAttribute("src"),
          `/feedback/${id}/images/a1`,
        );
        await shot(page, "inbox-history-phone-light-en");
        await page.context().close();
      },
    );

    await t.step("without JavaScript the form uploads the chosen file", async () => {
      const id = await ask();
      const page = await newPage({ viewport: PHONE, javaScriptEnabled: false });
      await page.goto(`${origin}/feedback/${id}?lang=zh`);
      // A PNG under a JPEG's name: the browser declares image/jpeg, the bytes decide.
      await page.locator('input[type="file"]').setInputFiles(
        fileOf("screenshot.jpg", "image/jpeg", pngOf(640, 360)),
      );
      await page.getByLabel("还有补充吗？（可选）").fill("见截图");
      await page.getByRole("button", { name: "提交回答" }).click();
      await page.waitForSelector('[data-view="thanks"]', WAIT);
      assert.equal(
        await page.locator(".summary .gallery img").getAttribute("src"),
        `/feedback/${id}/images/a1`,
      );
      const res = await fetch(`${origin}/api/feedback/${id}/result`, {
        headers: authHeaders(token),
      });
      const images = (await res.json()).data.feedback.images;
      assert.deepEqual(
        images.map((i: { mimeType: string; width: number }) => [i.mimeType, i.width]),
        [["image/png", 640]],
      );
      await page.context().close();
    });

    await t.step(
      "screenshots: question, form with thumbnails, answered; light and dark, 390 and 1200, en and zh",
      async () => {
        for (const viewport of [PHONE, DESKTOP]) {
          for (const colorScheme of ["light", "dark"] as const) {
            for (const lang of ["en", "zh"] as const) {
              const name = `${viewport.width}-${colorScheme}-${lang}`;
              const id = await ask();
              const page = await newPage({ viewport, colorScheme });
              await hydrated(page, `${origin}/feedback/${id}?lang=${lang}&theme=${colorScheme}`);
              await loaded(page, ".gallery img");
              await shot(page, `question-${name}`);
              await page.locator(".option").nth(1).click();
              await page.locator('.attach input[type="file"]').setInputFiles([
                fileOf("dashboard.png", "image/png", dashboard),
                fileOf("photo.jpg", "image/jpeg", photo),
              ]);
              await thumbs(page, 2);
              await loaded(page, ".thumbs img");
              await page.locator(".attach").scrollIntoViewIfNeeded();
              await page.evaluate(() => scrollBy(0, 160));
              await shot(page, `form-${name}`);
              await page.locator("button.primary").click();
              await page.waitForSelector('[data-view="thanks"]', { timeout: 30_000 });
              await loaded(page, ".summary .gallery img");
              await page.locator(".summary").scrollIntoViewIfNeeded();
              await shot(page, `answered-${name}`);
              await page.context().close();
            }
          }
        }
      },
    );

    await t.step("no page reported a CSP violation or a script error", () => {
      assert.deepEqual(cspViolations, []);
      assert.deepEqual(pageErrors, []);
    });
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await browser.close();
  }
});
