/**
 * Images (issue 12): what storing them costs in KV, and how long a human's picture takes to
 * reach the waiting agent.
 *
 * 1. KV operations per stored MiB: commits and mutations (sets, deletes) of a question with four
 *    2 MiB PNGs, of an answer with a 1600 px JPEG, and `getMany` calls to read them back; next to
 *    the same question and answer without images, in the same run.
 * 2. Upload → receipt, over real HTTP to a served instance, ~30 trials per row, interleaved:
 *    - REST: an agent waits in `GET /api/feedback/{id}/result?wait=30`; the human's
 *      `POST /api/feedback/{id}/submit` carries a 1600 × 1200 JPEG; measured from sending the
 *      submit to the agent holding the image's bytes (the result, then `GET` of the image URL);
 *    - MCP: the same through an SDK client's waiting `get_feedback_result`, to the result with its
 *      `image` content block;
 *    - baselines, the same flows with a text-only answer.
 */
import { BENCH_ENV } from "./_env.ts";
import { createApp } from "../app.ts";
import { signToken } from "../lib/auth/jwt.ts";
import { loadConfig } from "../lib/config.ts";
import { interceptKv } from "../lib/kv_intercept.ts";
import { createLogger } from "../lib/log.ts";
import { createServices, type Services } from "../lib/services.ts";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { base64Of, jpegOf, pngOf } from "../tests/_images.ts";

const TRIALS = Number(Deno.env.get("IMAGES_TRIALS") ?? 30);
const WARMUP = 3;
const MIB = 1024 * 1024;

const secret = crypto.randomUUID() + crypto.randomUUID();
const config = loadConfig({
  ...BENCH_ENV,
  OWNER_MAX_IMAGE_BYTES: "0",
  JWT_SECRET: secret,
  LOG_LEVEL: "silent",
  PORT: "0",
});
const owner = "bench";

// ------------------------------------------------------------------------------------------
// 1. KV operations per stored MiB
// ------------------------------------------------------------------------------------------

/** What reached the store. */
interface KvCounts {
  commits: number;
  sets: number;
  deletes: number;
  /** Bytes of values set (chunks and records), as given to `set`. */
  setBytes: number;
  reads: number;
}
const zero = (): KvCounts => ({ commits: 0, sets: 0, deletes: 0, setBytes: 0, reads: 0 });

/** `kv` counting into `counts`: commits and reads via the interceptor, mutations per commit. */
function countingKv(kv: Deno.Kv, counts: KvCounts): Deno.Kv {
  const counted = interceptKv(kv, (call, run) => {
    if (call === "commit") counts.commits++;
    else if (call === "get" || call === "getMany" || call === "list") counts.reads++;
    else if (call === "set") (counts.sets++, counts.commits++);
    else if (call === "delete") (counts.deletes++, counts.commits++);
    return run();
  });
  return new Proxy(counted, {
    get(target, prop) {
      if (prop !== "atomic") return Reflect.get(target, prop, target);
      return () => {
        const op = target.atomic();
        const proxy: Deno.AtomicOperation = new Proxy(op, {
          get(real, name) {
            const member = Reflect.get(real, name, real);
            if (typeof member !== "function") return member;
            return (...args: unknown[]) => {
              if (name === "set") {
                counts.sets++;
                const value = args[1];
                counts.setBytes += value instanceof Uint8Array
                  ? value.length
                  : JSON.stringify(value)?.length ?? 0;
              }
              if (name === "delete") counts.deletes++;
              const out = member.apply(real, args);
              return out === real ? proxy : out;
            };
          },
        });
        return proxy;
      };
    },
  });
}

async function kvCosts(): Promise<void> {
  const counts = zero();
  const real = await Deno.openKv(":memory:");
  const services = createServices(config, countingKv(real, counts), {
    log: createLogger("silent"),
  });
  const { feedback } = services;
  const measure = async (run: () => Promise<unknown>): Promise<KvCounts> => {
    Object.assign(counts, zero());
    await run();
    return { ...counts };
  };
  try {
    const pngs = Array.from(
      { length: 4 },
      (_, i) => pngOf(200, 150, { color: [i * 40, 80, 160], bytes: 2 * MIB }),
    );
    const jpeg = jpegOf(1600, 1200, { noise: true, quality: 80 });
    const question = { message: "Which layout?", predefinedOptions: ["A", "B"] };

    let id = "";
    const textCreate = await measure(async () => {
      id = (await feedback.create(owner, question)).id;
    });
    const textSubmit = await measure(() => feedback.submit(id, { selectedOptions: ["A"] }));
    const imageCreate = await measure(async () => {
      const images = pngs.map((png) => ({ data: base64Of(png), mimeType: "image/png" }));
      id = (await feedback.create(owner, { ...question, images })).id;
    });
    const imageRead = await measure(async () => {
      for (const imageId of ["q1", "q2", "q3", "q4"]) await feedback.readImage(id, imageId);
    });
    const imageSubmit = await measure(() =>
      feedback.submit(id, {
        selectedOptions: ["A"],
        images: [{ data: base64Of(jpeg), mimeType: "image/jpeg" }],
      })
    );

    const row = (label: string, c: KvCounts, baseline?: KvCounts, mib?: number) => {
      const extra = baseline && mib
        ? `  -> per stored MiB over the text-only baseline: ${
          ((c.commits - baseline.commits) / mib).toFixed(2)
        } commits, ${((c.sets - baseline.sets) / mib).toFixed(2)} sets`
        : "";
      console.log(
        `  ${label}: ${c.commits} commits, ${c.sets} sets, ${c.deletes} deletes, ${c.reads} reads, ${
          (c.setBytes / MIB).toFixed(2)
        } MiB set${extra}`,
      );
    };
    const questionMib = pngs.reduce((n, p) => n + p.length, 0) / MIB;
    const answerMib = jpeg.length / MIB;
    console.log("KV operations (in-memory KV; a chunk is 60 KiB, at most 12 a commit):");
    row("baseline: create, text only", textCreate);
    row("baseline: submit, text only", textSubmit);
    row(
      `create with 4 PNGs of 2 MiB (${questionMib.toFixed(2)} MiB)`,
      imageCreate,
      textCreate,
      questionMib,
    );
    row(
      `submit with a 1600x1200 JPEG (${answerMib.toFixed(2)} MiB)`,
      imageSubmit,
      textSubmit,
      answerMib,
    );
    console.log(
      `  read the 4 question images back: ${imageRead.reads} reads (getMany of 10 keys and session gets) = ${
        (imageRead.reads / questionMib).toFixed(2)
      } per MiB`,
    );
  } finally {
    services.feedback.close();
    services.hub.close();
    real.close();
  }
}

// ------------------------------------------------------------------------------------------
// 2. Upload → the waiting agent holds the image
// ------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the agent's wait is registered (its watch stream started), as mcp_wake_bench does. */
async function untilWaiting(services: Services): Promise<void> {
  while (services.hub.stats().listeners === 0 || services.hub.streamStats().forming > 0) {
    await sleep(1);
  }
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const f = (n: number) => `${n.toFixed(1)} ms`;
  return `p50 ${f(at(0.5))}  p99 ${f(at(0.99))}  max ${f(sorted[sorted.length - 1])}`;
}

async function latency(): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  const services = createServices(config, kv, { log: createLogger("silent") });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    createApp(services).fetch,
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const token = await signToken(secret, { subject: owner, ttl: 3600 });
  const auth = { Authorization: `Bearer ${token}` };
  const mcp = new Client({ name: "images-bench", version: "1.0.0" });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: auth } }),
  );
  const jpeg = jpegOf(1600, 1200, { noise: true, quality: 80 });
  const imageBody = JSON.stringify({
    freeText: "like this",
    images: [{ data: base64Of(jpeg), mimeType: "image/jpeg" }],
  });
  const textBody = JSON.stringify({ freeText: "like this" });

  async function submit(id: string, body: string): Promise<void> {
    const res = await fetch(`${origin}/api/feedback/${id}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    if (res.status !== 200) throw new Error(`submit: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
  }

  /** REST: ms from sending the submit to the agent holding the answer (and its image's bytes). */
  async function restTrial(withImage: boolean): Promise<number> {
    const { id } = await services.feedback.create(owner, { message: "Does it look right?" });
    let doneAt = 0;
    const agent = (async () => {
      const res = await fetch(`${origin}/api/feedback/${id}/result?wait=30`, { headers: auth });
      const json = await res.json();
      if (res.status !== 200) throw new Error(`result: ${res.status} ${JSON.stringify(json)}`);
      if (withImage) {
        const images = json.data.feedback.images as { url: string }[];
        const url = new URL(images[0].url);
        const image = await fetch(`${origin}${url.pathname}`, { headers: auth });
        const bytes = new Uint8Array(await image.arrayBuffer());
        if (bytes.length !== jpeg.length) throw new Error(`image: ${image.status} ${bytes.length}`);
      }
      doneAt = performance.now();
    })();
    await untilWaiting(services);
    const sentAt = performance.now();
    await submit(id, withImage ? imageBody : textBody);
    await agent;
    return doneAt - sentAt;
  }

  /** MCP: ms from sending the submit to `get_feedback_result(wait)` resolving. */
  async function mcpTrial(withImage: boolean): Promise<number> {
    const { id } = await services.feedback.create(owner, { message: "Does it look right?" });
    let doneAt = 0;
    const agent = mcp.callTool({
      name: "get_feedback_result",
      arguments: { sessionId: id, wait: 30 },
    })
      .then((result) => {
        doneAt = performance.now();
        const content = (result as { content: { type: string; data?: string }[] }).content;
        const image = content.find((block) => block.type === "image");
        if (withImage && image?.data?.length !== base64Of(jpeg).length) {
          throw new Error(`no image block: ${JSON.stringify(content).slice(0, 300)}`);
        }
      });
    await untilWaiting(services);
    const sentAt = performance.now();
    await submit(id, withImage ? imageBody : textBody);
    await agent;
    return doneAt - sentAt;
  }

  const rows: { label: string; trial: () => Promise<number>; samples: number[] }[] = [
    { label: "REST, 1600x1200 JPEG answer", trial: () => restTrial(true), samples: [] },
    { label: "REST, text-only answer (baseline)", trial: () => restTrial(false), samples: [] },
    { label: "MCP get_feedback_result, JPEG answer", trial: () => mcpTrial(true), samples: [] },
    {
      label: "MCP get_feedback_result, text only (baseline)",
      trial: () => mcpTrial(false),
      samples: [],
    },
  ];
  try {
    for (let i = 0; i < WARMUP; i++) for (const row of rows) await row.trial();
    for (let i = 0; i < TRIALS; i++) for (const row of rows) row.samples.push(await row.trial());
    console.log(
      `\nupload -> waiting agent holds the answer (${TRIALS} trials per row, interleaved, ${WARMUP} warm-up; JPEG ${
        (jpeg.length / 1024).toFixed(0)
      } KiB, ${(base64Of(jpeg).length / 1024).toFixed(0)} KiB as base64):`,
    );
    for (const { label, samples } of rows) console.log(`  ${label}: ${summary(samples)}`);
  } finally {
    await mcp.close();
    await server.shutdown();
    services.feedback.close();
    services.hub.close();
    kv.close();
  }
}

await kvCosts();
await latency();
