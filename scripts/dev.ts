/**
 * `deno task dev`: runs the service with nothing configured. Creates a development secret in the
 * git-ignored `.env.local` on first run (and Web Push keys when none are set), keeps data in
 * `./data/feedback.kv`, and prints a token, ready-to-paste client configuration and a sign-in link
 * for the inbox.
 */
import { signToken } from "../lib/auth/jwt.ts";
import { clientSnippets } from "../lib/client_config.ts";
import { ensureLocalSecret, ensureLocalVapidKeys } from "../lib/local_env.ts";
import { ConfigError } from "../lib/config.ts";
import { startServer } from "../main.ts";

await ensureLocalSecret();
const env = {
  ...(await ensureLocalVapidKeys(undefined, Deno.env.toObject())),
  ...Deno.env.toObject(),
};
// No signal handlers here: under `--watch` the watcher owns Ctrl+C and SIGTERM and ends the
// whole process, which a handler calling Deno.exit() would only turn into "wait for a change".
const running = await startServer(env).catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    Deno.exit(1);
  }
  throw error;
});
const { config } = running;
const token = await signToken(config.jwt.secret, {
  subject: "dev",
  ttl: Math.min(30 * 86400, config.jwt.maxTtl),
  issuer: config.jwt.issuer,
  audience: config.jwt.audience,
});
console.log(`\nInteractive feedback service on ${config.publicBaseUrl}\n`);
console.log(clientSnippets(config.publicBaseUrl, token));
// The inbox sign-in link: a short-lived token, exchanged once for a 30-day inbox session.
const inboxToken = await signToken(config.jwt.secret, {
  subject: "dev",
  ttl: Math.min(15 * 60, config.jwt.maxTtl),
  issuer: config.jwt.issuer,
  audience: config.jwt.audience,
});
console.log(
  `\nYour inbox (open within 15 minutes; more links: deno task token --inbox):\n  ${config.publicBaseUrl}/inbox?token=${inboxToken}\n`,
);
console.log(
  "\nMore tokens: deno task token --sub NAME --ttl 30d  (without Deno installed: npx -y deno@2.9.6 task token …)\n",
);
