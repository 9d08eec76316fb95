/**
 * `deno task token --sub NAME [--ttl 30d]`: prints a signed bearer token for `JWT_SECRET`
 * (from the environment, else from `.env.local` as `deno task dev` created it).
 */
import { parseArgs } from "node:util";
import { signToken } from "../lib/auth/jwt.ts";
import { parseDuration } from "../lib/config.ts";
import { readLocalEnv } from "../lib/local_env.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { sub: { type: "string" }, ttl: { type: "string", default: "30d" } },
});
const env = { ...(await readLocalEnv()), ...Deno.env.toObject() };
const secret = env.JWT_SECRET;
const ttl = parseDuration(values.ttl ?? "30d");
const maxTtl = parseDuration(env.JWT_MAX_TTL ?? "90d") ?? 90 * 86400;

if (!values.sub) fail("Name the token's owner: deno task token --sub NAME [--ttl 30d]");
if (!secret) fail("No JWT_SECRET: set it, or run `deno task dev` once to create a local one.");
if (!ttl) fail("--ttl must be a duration such as 30d, 12h, 45m or 3600");
if (ttl > maxTtl) fail(`--ttl exceeds JWT_MAX_TTL (${maxTtl} s): the service would reject it`);

console.log(
  await signToken(secret, {
    subject: values.sub,
    ttl,
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
  }),
);

function fail(message: string): never {
  console.error(message);
  Deno.exit(2);
}
