/**
 * `deno task token --sub NAME [--ttl 30d]`: prints a signed bearer token for `JWT_SECRET`
 * (from the environment, else from `.env.local` as `deno task dev` created it).
 *
 * `deno task token --inbox [--sub NAME] [--ttl 15m]`: prints a ready sign-in link for the inbox,
 * `PUBLIC_BASE_URL/inbox?token=…`, with a short-lived token (15 minutes unless `--ttl` says
 * otherwise: it is exchanged once, for a 30-day inbox session). `--sub` defaults to `dev`, the
 * owner of the dev task's token.
 */
import { parseArgs } from "node:util";
import { signToken } from "../lib/auth/jwt.ts";
import { parseDuration } from "../lib/config.ts";
import { readLocalEnv } from "../lib/local_env.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sub: { type: "string" },
    ttl: { type: "string" },
    inbox: { type: "boolean", default: false },
  },
});
const env = { ...(await readLocalEnv()), ...Deno.env.toObject() };
const secret = env.JWT_SECRET;
const sub = values.sub ?? (values.inbox ? "dev" : undefined);
const ttl = parseDuration(values.ttl ?? (values.inbox ? "15m" : "30d"));
const maxTtl = parseDuration(env.JWT_MAX_TTL ?? "90d") ?? 90 * 86400;

if (!sub) fail("Name the token's owner: deno task token --sub NAME [--ttl 30d]");
if (!secret) fail("No JWT_SECRET: set it, or run `deno task dev` once to create a local one.");
if (!ttl) fail("--ttl must be a duration such as 30d, 12h, 45m or 3600");
if (ttl > maxTtl) fail(`--ttl exceeds JWT_MAX_TTL (${maxTtl} s): the service would reject it`);

const token = await signToken(secret, {
  subject: sub,
  ttl,
  issuer: env.JWT_ISSUER || undefined,
  audience: env.JWT_AUDIENCE || undefined,
});
if (values.inbox) {
  const base = (env.PUBLIC_BASE_URL || `http://localhost:${env.PORT || "8000"}`).replace(
    /\/+$/,
    "",
  );
  console.log(`${base}/inbox?token=${token}`);
} else {
  console.log(token);
}

function fail(message: string): never {
  console.error(message);
  Deno.exit(2);
}
