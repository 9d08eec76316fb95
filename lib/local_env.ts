/**
 * The git-ignored `.env.local` file that holds the development secret, so `deno task dev` and
 * `deno task token` work on a fresh clone with nothing set.
 * @module
 */
import { generateVapidKeys } from "./notify/vapid_keys.ts";

/** Default location of the local env file. */
export const LOCAL_ENV_FILE = ".env.local";

/** Parses `KEY=value` lines (no quotes, no interpolation; `#` starts a comment line). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0) out[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return out;
}

/** Reads the local env file; an absent file reads as empty. */
export async function readLocalEnv(path = LOCAL_ENV_FILE): Promise<Record<string, string>> {
  try {
    return parseEnvFile(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
}

/** A fresh random secret: 48 bytes, base64url (64 characters). */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(48));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Makes sure the local env file holds a `JWT_SECRET`; returns the file's variables. */
export async function ensureLocalSecret(path = LOCAL_ENV_FILE): Promise<Record<string, string>> {
  const vars = await readLocalEnv(path);
  if (vars.JWT_SECRET) return vars;
  const secret = generateSecret();
  await Deno.writeTextFile(
    path,
    `# Local development settings, created by \`deno task dev\`. Never commit this file.\nJWT_SECRET=${secret}\n`,
    { append: true, mode: 0o600 },
  );
  return { ...vars, JWT_SECRET: secret };
}

/**
 * Makes sure the local env file holds a VAPID key pair for Web Push (and a subject), unless
 * `env` (the process environment) sets the keys itself; returns the file's variables.
 */
export async function ensureLocalVapidKeys(
  path = LOCAL_ENV_FILE,
  env: Record<string, string | undefined> = {},
): Promise<Record<string, string>> {
  const vars = await readLocalEnv(path);
  if (vars.VAPID_PUBLIC_KEY || env.VAPID_PUBLIC_KEY) return vars;
  const { publicKey, privateKey } = await generateVapidKeys();
  const added: Record<string, string> = {
    VAPID_PUBLIC_KEY: publicKey,
    VAPID_PRIVATE_KEY: privateKey,
  };
  // Push services may write to the subject; a real deployment names its operator (see README).
  if (!vars.VAPID_SUBJECT && !env.VAPID_SUBJECT) added.VAPID_SUBJECT = "mailto:dev@localhost";
  await Deno.writeTextFile(
    path,
    `# Web Push keys for the inbox's notifications, created by \`deno task dev\`.\n${
      Object.entries(added).map(([k, v]) => `${k}=${v}\n`).join("")
    }`,
    { append: true, mode: 0o600 },
  );
  return { ...vars, ...added };
}
