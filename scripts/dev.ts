/**
 * `deno task dev`: runs the service with nothing configured. Creates a development secret in the
 * git-ignored `.env.local` on first run, keeps data in `./data/feedback.kv`, and prints a token
 * and ready-to-paste client configuration.
 */
import { signToken } from "../lib/auth/jwt.ts";
import { clientSnippets } from "../lib/client_config.ts";
import { ensureLocalSecret } from "../lib/local_env.ts";
import { serveUntilSignalled } from "../main.ts";

const env = { ...(await ensureLocalSecret()), ...Deno.env.toObject() };
const running = await serveUntilSignalled(env);
const { config } = running;
const token = await signToken(config.jwt.secret, {
  subject: "dev",
  ttl: Math.min(30 * 86400, config.jwt.maxTtl),
  issuer: config.jwt.issuer,
  audience: config.jwt.audience,
});
console.log(`\nInteractive feedback service on ${config.publicBaseUrl}\n`);
console.log(clientSnippets(config.publicBaseUrl, token));
console.log("\nMore tokens: deno task token --sub NAME --ttl 30d\n");
