/**
 * The agent loop as a test (issue 10): scripted, literal-minded agents talk to a real server over
 * real HTTP with the SDK v2 `Client`, in both protocol eras, against simulated humans. An agent
 * knows nothing about the server: it asks once, then does exactly what each result's text says
 * (show the link, call `get_feedback_result` with the JSON the text spells out, act on the answer,
 * or move on), as a model that follows instructions to the letter would. Every run must end
 * cleanly (the answer, or an explicit "move on"), without a client timeout and without a second
 * question in front of the human (counted in the owner's sessions in KV).
 *
 * Time is scaled down 15×, keeping every ratio of the real numbers, so the suite stays short:
 *
 * | what                                              | real  | here       |
 * | ------------------------------------------------- | ----- | ---------- |
 * | client request timeout (no reset on progress)     | 60 s  | 4 s        |
 * | `MCP_MAX_WAIT` (env override)                     | 45 s  | 3 s        |
 * | question timeout (`FEEDBACK_DEFAULT_TIMEOUT`)     | 300 s | 20 s       |
 * | progress interval (`progressIntervalMs`)          | 10 s  | 667 ms     |
 * | a human opens the page / answers "within seconds" | 2-3 s | 133-200 ms |
 * | a human answers late                              | 70 s  | 4.67 s     |
 * | the long `wait` an impatient agent asks for       | 600 s | 40 s       |
 *
 * Fifteen is the factor that keeps both `MCP_MAX_WAIT` and the question timeout whole seconds,
 * as the configuration requires. Two server constants are not scaled: the 240 s hold allowed with
 * a progress token and the 60 s an `interactive_feedback` wait leaves open. Neither decides the
 * runs of the main test (no call there asks a progress-token hold longer than `MCP_MAX_WAIT`);
 * the first decides the one that is off for now (see it below), the same way at either scale.
 *
 * The humans' delays are fixed on purpose: when a human acts, relative to the client's timeout
 * and the server's cap, is what the test is about.
 * @module
 */
import assert from "node:assert/strict";
import {
  type CallToolResult,
  Client,
  SdkError,
  SdkErrorCode,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { randomOwner, tokenFor } from "./_helpers.ts";
import { type ServedInstance, serveInstance, submitViaApi, textOf } from "./_mcp_helpers.ts";

/** Real seconds per test second. */
const SCALE = 15;
const scaled = (realSeconds: number) => Math.round(realSeconds * 1000 / SCALE);

const CLIENT_TIMEOUT_MS = scaled(60);
const ENV = {
  MCP_MAX_WAIT: String(45 / SCALE),
  FEEDBACK_DEFAULT_TIMEOUT: String(300 / SCALE),
};
const PROGRESS_INTERVAL_MS = scaled(10);
/** Whole seconds, as an agent writes them (600 s real). */
const LONG_WAIT_SECONDS = 600 / SCALE;
/** More steps than any clean run needs (a 300 s question waited out 45 s at a time is 8). */
const MAX_STEPS = 30;

type Era = "legacy" | "modern";

/** How a simulated human treats the link once the agent has shown it. */
interface HumanBehaviour {
  name: string;
  /** Seconds (real) after seeing the link that the human opens the page, if ever. */
  opensAfter?: number;
  /** Seconds (real) after seeing the link that the human answers, if ever. */
  answersAfter?: number;
}

const HUMANS: HumanBehaviour[] = [
  { name: "answers within seconds", opensAfter: 2, answersAfter: 3 },
  { name: "answers after 70 s", opensAfter: 2, answersAfter: 70 },
  { name: "never opens the page" },
  { name: "opens the page and leaves", opensAfter: 3 },
];

/** How the agent asks: as the texts advise (wait 0), or holding the first call for long. */
interface AgentStyle {
  name: string;
  firstWait?: number;
  /** Asks for progress notifications (the SDK then sends a progress token). */
  progress?: boolean;
}

const FOLLOWS_TEXTS: AgentStyle = { name: "an agent that follows the texts" };
const FOLLOWS_TEXTS_WITH_PROGRESS: AgentStyle = {
  name: "an agent that follows the texts and shows progress",
  progress: true,
};
const LONG_WAIT: AgentStyle = {
  name: "an agent that asks with a long wait",
  firstWait: LONG_WAIT_SECONDS,
};

/** What the literal agent read in one result. */
type Reading =
  | { kind: "answer"; answer: string }
  | { kind: "move on"; why: string }
  | { kind: "call"; link?: string; next: { name: string; arguments: Record<string, unknown> } }
  | { kind: "retry"; afterSeconds: number }
  | { kind: "stuck" };

const URL_PATTERN = /https?:\/\/\S+/;
const NEXT_CALL = /call (get_feedback_result) with (\{[^\n]*?\})(?=[,.\s]|$)/;

/**
 * Reads a result text the way a literal-minded agent would: the answer, an instruction to stop,
 * a link to show, and the next call spelled out as JSON. Knows the texts' words, not the server.
 */
function readResult(text: string): Reading {
  const answered = /^The user answered:\n\n([\s\S]*)\n\nAct on this answer\./.exec(text);
  if (answered) return { kind: "answer", answer: answered[1] };
  if (text.includes("Continue without it and do not ask the same question again")) {
    return { kind: "move on", why: "the text says to continue without the answer" };
  }
  if (text.includes("Ask it again only if the decision still matters")) {
    // This agent's decision no longer matters by then: it tells the user and moves on.
    return { kind: "move on", why: "expired unanswered; the decision no longer matters" };
  }
  const retry = /Wait (\d+) seconds, then make the same call again/.exec(text);
  if (retry) return { kind: "retry", afterSeconds: Number(retry[1]) };
  if (text.includes("Try the same call once more")) return { kind: "retry", afterSeconds: 0 };
  const next = NEXT_CALL.exec(text);
  if (next) {
    const link = /show (this|the same) link|show it now/i.test(text)
      ? URL_PATTERN.exec(text)?.[0]
      : undefined;
    return { kind: "call", link, next: { name: next[1], arguments: JSON.parse(next[2]) } };
  }
  return { kind: "stuck" };
}

/** One run's record: every call and what the agent made of it. */
interface Run {
  transcript: string[];
  timeouts: number;
  outcome?: { kind: "answer"; answer: string } | { kind: "move on"; why: string } | {
    kind: "stuck";
  };
  /** The last result's `structuredContent`. */
  facts?: Record<string, unknown>;
}

/** A simulated human: acts on the link once shown, on its own clock. */
function simulateHuman(served: ServedInstance, behaviour: HumanBehaviour, answer: string) {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const actions: Promise<void>[] = [];
  let seen = false;
  const at = (realSeconds: number, act: () => Promise<void>) =>
    actions.push(
      new Promise<void>((resolve, reject) => {
        timers.push(setTimeout(() => act().then(resolve, reject), scaled(realSeconds)));
      }),
    );
  return {
    /** The agent showed the link: the human's clock starts. */
    sees(link: string) {
      if (seen) return;
      seen = true;
      const path = new URL(link).pathname;
      const sessionId = path.split("/").pop()!;
      if (behaviour.opensAfter !== undefined) {
        at(behaviour.opensAfter, async () => {
          const res = await served.instance.app.request(path);
          assert.equal(res.status, 200, `the page ${path} opens`);
          await res.body?.cancel();
        });
      }
      if (behaviour.answersAfter !== undefined) {
        at(behaviour.answersAfter, async () => {
          const res = await submitViaApi(served.instance, sessionId, {
            selectedOptions: [],
            freeText: answer,
          });
          assert.equal(res.status, 200, `the answer to ${sessionId} is stored`);
          await res.body?.cancel();
        });
      }
    },
    get sawLink() {
      return seen;
    },
    /** Waits for whatever the human still had to do, or cancels it (the run is over). */
    async settle(cancel: boolean) {
      if (cancel) timers.forEach(clearTimeout);
      else await Promise.all(actions);
    },
  };
}

/** Connects an SDK v2 client in `era` for `token`. */
async function connect(served: ServedInstance, era: Era, token: string): Promise<Client> {
  const client = new Client(
    { name: "literal-agent", version: "1.0.0" },
    { versionNegotiation: { mode: era === "modern" ? { pin: "2026-07-28" } : "legacy" } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(served.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  assert.equal(client.getProtocolEra(), era);
  return client;
}

/** Runs one literal agent against one simulated human until the agent stops. */
async function runAgent(
  served: ServedInstance,
  options: { era: Era; style: AgentStyle; human: HumanBehaviour },
): Promise<Run & { owner: string; answer: string }> {
  const owner = randomOwner();
  const answer = `Go ahead (${owner})`;
  const human = simulateHuman(served, options.human, answer);
  const client = await connect(served, options.era, await tokenFor(owner));
  const run: Run = { transcript: [], timeouts: 0 };
  let call: { name: string; arguments: Record<string, unknown> } = {
    name: "interactive_feedback",
    arguments: {
      message: "May I **delete the build cache** before the release build?",
      predefinedOptions: ["Yes", "No"],
      ...(options.style.firstWait === undefined ? {} : { wait: options.style.firstWait }),
    },
  };
  try {
    for (let step = 0; step < MAX_STEPS && !run.outcome; step++) {
      let result: CallToolResult;
      try {
        result = await client.callTool(call, {
          timeout: CLIENT_TIMEOUT_MS,
          resetTimeoutOnProgress: false,
          ...(options.style.progress ? { onprogress: () => {} } : {}),
        });
      } catch (error) {
        if (!(error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout)) throw error;
        // What a real agent does after its client gave up: the same call again.
        run.timeouts++;
        run.transcript.push(`${call.name} ${JSON.stringify(call.arguments)} → client timeout`);
        continue;
      }
      const text = textOf(result);
      run.facts = result.structuredContent as Record<string, unknown> | undefined;
      run.transcript.push(`${call.name} ${JSON.stringify(call.arguments)} →\n${text}`);
      const reading = readResult(text);
      switch (reading.kind) {
        case "answer":
        case "move on":
        case "stuck":
          run.outcome = reading;
          break;
        case "retry":
          await new Promise((resolve) => setTimeout(resolve, reading.afterSeconds * 1000 / SCALE));
          break;
        case "call":
          if (reading.link) human.sees(reading.link);
          call = reading.next;
      }
    }
  } finally {
    await client.close();
  }
  // A human who answers after the agent moved on is no failure of the loop; one still due to
  // act on a question that is still open would be (the agent stopped too early).
  await human.settle(run.outcome?.kind !== "answer" && run.outcome?.kind !== "stuck");
  return { ...run, owner, answer };
}

/** Checks one run against the rule: a clean end, no timeout, one question. */
async function assertClean(
  served: ServedInstance,
  run: Awaited<ReturnType<typeof runAgent>>,
  human: HumanBehaviour,
) {
  const log = run.transcript.join("\n---\n");
  assert.equal(run.timeouts, 0, `no client timeout:\n${log}`);
  const { items } = await served.instance.services.feedback.list(run.owner, { limit: 50 });
  assert.equal(items.length, 1, `exactly one question was asked:\n${log}`);
  if (human.answersAfter !== undefined) {
    assert.deepEqual(run.outcome, { kind: "answer", answer: run.answer }, log);
    assert.equal(run.facts?.status, "completed");
  } else {
    assert.equal(run.outcome?.kind, "move on", `the agent moves on:\n${log}`);
    assert.equal(run.facts?.status, "expired");
    assert.equal(
      typeof run.facts?.viewedAt === "string",
      human.opensAfter !== undefined,
      `the result says whether the page was opened:\n${log}`,
    );
  }
}

/** Runs every agent style against every human in each era, all at once, each as its own owner. */
async function runMatrix(styles: AgentStyle[]) {
  await using served = await serveInstance({
    env: ENV,
    mcp: { progressIntervalMs: PROGRESS_INTERVAL_MS },
  });
  const cases = (["legacy", "modern"] as const).flatMap((era) =>
    styles.flatMap((style) => HUMANS.map((human) => ({ era, style, human })))
  );
  const runs = await Promise.all(cases.map((c) => runAgent(served, c)));
  const failures: string[] = [];
  for (const [i, run] of runs.entries()) {
    const { era, style, human } = cases[i];
    try {
      await assertClean(served, run, human);
    } catch (error) {
      failures.push(`${era} era, ${style.name}, a human who ${human.name}: ${error}`);
    }
  }
  assert.deepEqual(failures, [], failures.join("\n\n"));
}

Deno.test(
  'literal agents end every loop cleanly in both eras: the answer or "move on", no client timeout, one question',
  () => runMatrix([FOLLOWS_TEXTS, FOLLOWS_TEXTS_WITH_PROGRESS, LONG_WAIT]),
);

// A progress token earns no longer hold by default (MCP_PROGRESS_HOLD unset): the SDK's clients
// keep their timeout through progress (`resetTimeoutOnProgress` defaults to false).
Deno.test({
  name: "an agent that shows progress and asks with a long wait gets no client timeout",
  fn: () =>
    runMatrix([{ ...LONG_WAIT, name: `${LONG_WAIT.name} and shows progress`, progress: true }]),
});

Deno.test("readResult() reads the texts' next step, link and answer", () => {
  const id = "0123456789abcdef0123456789abcdef";
  assert.deepEqual(
    readResult(
      `Question created. Show this link to the user now and ask them to answer there:\nhttp://x/feedback/${id}\n\nNext: call get_feedback_result with {"sessionId":"${id}","wait":3}, and call it again while the status is pending.`,
    ),
    {
      kind: "call",
      link: `http://x/feedback/${id}`,
      next: { name: "get_feedback_result", arguments: { sessionId: id, wait: 3 } },
    },
  );
  assert.deepEqual(readResult("The user answered:\n\nYes\nsure\n\nAct on this answer. (…)"), {
    kind: "answer",
    answer: "Yes\nsure",
  });
  assert.equal(readResult("Something else entirely.").kind, "stuck");
});
