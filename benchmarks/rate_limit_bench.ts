/**
 * Rate limiter cost: KV calls (reads + commits) per admitted request, and how many of a burst are
 * admitted, for the leased-budget limiter of `lib/rate_limit.ts`. Baselines, in the same run on
 * the same KV: the design it replaced (a compare-and-set per request, giving up after 5
 * conflicts) and a bare `kv.get` per request (the floor of any limiter that reads a shared count).
 *
 * Scenarios: sequential requests; 100 concurrent below the budget; a burst of 3x the budget; two
 * instances (two limiters on one KV) bursting together below and above the budget, and
 * alternating one request at a time (the worst case for the lease: the other instance always
 * wrote last). The KV is a file in a temporary directory, so commits pay for their write.
 */
import { type RateDecision, RateLimiter, type RateRule } from "../lib/rate_limit.ts";
import { countingKv, noCalls } from "../tests/_counting_kv.ts";

const TRIALS = Number(Deno.env.get("RATE_LIMIT_TRIALS") ?? 20);
const LIMITS = { create: 0, read: 0, submit: 0, page: 0 };
const MINUTE = 60_000;

/** One way to count a request: resolves to whether it was admitted. */
type Hit = (subject: string, rule: RateRule) => Promise<boolean>;

/** The design this replaced, verbatim in its logic: a compare-and-set per request, 5 attempts. */
function legacyCas(kv: Deno.Kv): Hit {
  return async (subject, rule) => {
    const now = Date.now();
    const window = Math.floor(now / rule.windowMs);
    const key = ["ratelimit-legacy", subject, window];
    const expireIn = (window + 1) * rule.windowMs - now + 1000;
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await kv.get<Deno.KvU64>(key);
      const count = Number(entry.value?.value ?? 0n) + 1;
      if (count > rule.limit) return false;
      const result = await kv.atomic().check(entry)
        .set(key, new Deno.KvU64(BigInt(count)), { expireIn }).commit();
      if (result.ok) return true;
    }
    return false;
  };
}

/** The floor: one read per request, admitting everything. */
function bareGet(kv: Deno.Kv): Hit {
  return async (subject) => (await kv.get(["ratelimit-bare", subject]), true);
}

function leased(kv: Deno.Kv): Hit {
  const limiter = new RateLimiter(kv, LIMITS);
  return async (subject, rule) =>
    ((await limiter.hit({ bucket: "bench", subject }, rule)) as RateDecision).allowed;
}

/** A scenario: drives `instances` (one `Hit` per instance, on one KV) for one subject. */
interface Scenario {
  name: string;
  instances: number;
  limit: number;
  run: (hits: Hit[], subject: string, rule: RateRule) => Promise<boolean[]>;
}

const burst = (hit: Hit, count: number, subject: string, rule: RateRule) =>
  Promise.all(Array.from({ length: count }, () => hit(subject, rule)));

const SCENARIOS: Scenario[] = [
  {
    name: "sequential, 200 requests, budget 1000",
    instances: 1,
    limit: 1000,
    async run([hit], subject, rule) {
      const out: boolean[] = [];
      for (let i = 0; i < 200; i++) out.push(await hit(subject, rule));
      return out;
    },
  },
  {
    name: "100 concurrent, budget 1000",
    instances: 1,
    limit: 1000,
    run: ([hit], subject, rule) => burst(hit, 100, subject, rule),
  },
  {
    name: "300 concurrent, budget 100 (burst over budget)",
    instances: 1,
    limit: 100,
    run: ([hit], subject, rule) => burst(hit, 300, subject, rule),
  },
  {
    name: "two instances, 2 x 100 concurrent, budget 1000",
    instances: 2,
    limit: 1000,
    run: async (hits, subject, rule) =>
      (await Promise.all(hits.map((hit) => burst(hit, 100, subject, rule)))).flat(),
  },
  {
    name: "two instances, 2 x 150 concurrent, budget 200 (over budget)",
    instances: 2,
    limit: 200,
    run: async (hits, subject, rule) =>
      (await Promise.all(hits.map((hit) => burst(hit, 150, subject, rule)))).flat(),
  },
  {
    name: "two instances alternating, 200 sequential requests, budget 1000",
    instances: 2,
    limit: 1000,
    async run(hits, subject, rule) {
      const out: boolean[] = [];
      for (let i = 0; i < 200; i++) out.push(await hits[i % 2](subject, rule));
      return out;
    },
  },
];

const DESIGNS: [string, (kv: Deno.Kv) => Hit][] = [
  ["leased budget (lib/rate_limit.ts)", leased],
  ["baseline: CAS per request, 5 attempts", legacyCas],
  ["baseline: bare kv.get per request", bareGet],
];

const dir = await Deno.makeTempDir({ prefix: "rate_limit_bench" });
const kv = await Deno.openKv(`${dir}/bench.kv`);
try {
  console.log(`KV calls (reads + commits) per admitted request; ${TRIALS} trials per scenario.`);
  for (const scenario of SCENARIOS) {
    console.log(`\n${scenario.name}:`);
    for (const [design, make] of DESIGNS) {
      const ops = noCalls();
      const admittedPerTrial: number[] = [];
      let requests = 0;
      const started = performance.now();
      for (let trial = 0; trial < TRIALS; trial++) {
        // Fresh instances per trial, as after a deploy; one KV, as on Deno Deploy.
        const hits = Array.from({ length: scenario.instances }, () => make(countingKv(kv, ops)));
        const results = await scenario.run(hits, crypto.randomUUID(), {
          limit: scenario.limit,
          windowMs: MINUTE,
        });
        requests += results.length;
        admittedPerTrial.push(results.filter(Boolean).length);
      }
      const elapsed = performance.now() - started;
      const admitted = admittedPerTrial.reduce((a, b) => a + b, 0);
      const calls = ops.reads + ops.commits;
      const perTrial = requests / TRIALS;
      console.log(
        `  ${design.padEnd(38)} admitted ${
          `${Math.min(...admittedPerTrial)}-${Math.max(...admittedPerTrial)}`.padStart(9)
        } of ${perTrial}  KV/admitted ${(calls / Math.max(1, admitted)).toFixed(3).padStart(6)}` +
          `  KV/request ${
            (calls / requests).toFixed(3).padStart(6)
          }  (reads ${ops.reads}, commits ${ops.commits})` +
          `  ${(elapsed / requests * 1000).toFixed(1)} us/request`,
      );
    }
  }
} finally {
  kv.close();
  await Deno.remove(dir, { recursive: true });
}
