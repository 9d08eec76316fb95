/**
 * Prints a fresh VAPID key pair for Web Push, as lines for the environment of a deployment:
 * `deno run scripts/vapid_keys.ts >> .env` (then set `VAPID_SUBJECT`). Keep the private key
 * secret; changing the pair later makes every browser subscribe again.
 */
import { generateVapidKeys } from "../lib/notify/vapid_keys.ts";

const { publicKey, privateKey } = await generateVapidKeys();
console.log(`VAPID_PUBLIC_KEY=${publicKey}\nVAPID_PRIVATE_KEY=${privateKey}`);
