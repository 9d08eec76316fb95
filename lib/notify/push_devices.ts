/**
 * The Web Push subscriptions of an owner's devices. Each belongs to one inbox session (a signed-in
 * browser): the device's id is that session's public id, so a device has at most one subscription,
 * signing out or revoking the session deletes it (lib/inbox/sessions.ts), and one whose session
 * expired is dropped the next time the owner's devices are listed. One push endpoint is stored
 * once: the same browser subscribing again under another session (a new sign-in, maybe as another
 * owner) takes the endpoint over, so nobody gets another owner's questions on a shared browser.
 * @module
 */
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { parseOrThrow } from "../feedback/model.ts";
import type { Lang } from "../i18n.ts";
import { inboxOwnerIndexKey } from "../inbox/sessions.ts";
import { toBase64Url } from "./_base64url.ts";
import { urlProblem } from "./channels.ts";
import type { GuardOptions } from "./guard.ts";
import {
  digestKey,
  pushDeviceKey,
  pushDevicePrefix,
  pushEndpointKey,
  pushShownKey,
  statusKey,
  windowKey,
} from "./outbox.ts";
import { type PushTarget, validPushKeys } from "./web_push.ts";

/** One device's subscription, as stored. */
export interface PushDevice extends PushTarget {
  /** The id of the inbox session the device is signed in with. */
  id: string;
  owner: string;
  /** The session's browser label ("Chrome on Android"). */
  device: string;
  /** The language its notifications are written in. */
  lang: Lang;
  createdAt: number;
}

/** The body of `POST /inbox/api/push/subscription`: a browser's `PushSubscription.toJSON()`. */
export const pushSubscriptionInputSchema = z.object({
  endpoint: z.string().trim().min(1).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    p256dh: z.string().min(1).max(128),
    auth: z.string().min(1).max(64),
  }),
});

/** The delivery channel id of a device's push subscription (jobs, status). */
export function pushChannelId(deviceId: string): string {
  return `push:${deviceId}`;
}

/** The device of a push channel id, or null when the channel is not a push subscription. */
export function pushDeviceOf(channelId: string): string | null {
  return channelId.startsWith("push:") ? channelId.slice(5) : null;
}

interface EndpointOwner {
  owner: string;
  id: string;
}

async function endpointHash(endpoint: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(endpoint));
  return toBase64Url(new Uint8Array(digest));
}

/** Compare-and-set attempts of a save. */
const MAX_ATTEMPTS = 10;

/** Push subscriptions in KV; stateless besides the handle. */
export class PushDevices {
  constructor(readonly kv: Deno.Kv) {}

  /** Stores `device`'s subscription, replacing its earlier one and any other holder of its endpoint. */
  async save(device: PushDevice): Promise<void> {
    const indexKey = pushEndpointKey(await endpointHash(device.endpoint));
    const key = pushDeviceKey(device.owner, device.id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [index, current] = await this.kv.getMany<[EndpointOwner, PushDevice]>([indexKey, key]);
      const op = this.kv.atomic().check(index).check(current);
      const holder = index.value;
      if (holder && (holder.owner !== device.owner || holder.id !== device.id)) {
        const other = await this.kv.get<PushDevice>(pushDeviceKey(holder.owner, holder.id));
        // Only if it still holds this endpoint: it may have subscribed anew since.
        if (other.value?.endpoint === device.endpoint) op.check(other).delete(other.key);
      }
      if (current.value && current.value.endpoint !== device.endpoint) {
        const old = pushEndpointKey(await endpointHash(current.value.endpoint));
        const oldIndex = await this.kv.get<EndpointOwner>(old);
        if (oldIndex.value?.owner === device.owner && oldIndex.value.id === device.id) {
          op.check(oldIndex).delete(old);
        }
      }
      op.set(key, device).set(indexKey, { owner: device.owner, id: device.id });
      if ((await op.commit()).ok) return;
    }
    throw new Error("too much write contention on one push subscription");
  }

  /** One device's subscription, or null. */
  async get(owner: string, id: string): Promise<PushDevice | null> {
    return (await this.kv.get<PushDevice>(pushDeviceKey(owner, id))).value;
  }

  /**
   * The owner's subscribed devices whose inbox session is alive, oldest first. Those whose session
   * ended without a sign-out (it expired) are deleted on the way.
   */
  async list(owner: string): Promise<PushDevice[]> {
    const devices = await Array.fromAsync(
      this.kv.list<PushDevice>({ prefix: pushDevicePrefix(owner) }),
      (entry) => entry.value,
    );
    const live: PushDevice[] = [];
    for (let i = 0; i < devices.length; i += 10) {
      const batch = devices.slice(i, i + 10);
      const sessions = await this.kv.getMany(batch.map((d) => inboxOwnerIndexKey(owner, d.id)));
      for (const [j, device] of batch.entries()) {
        if (sessions[j].versionstamp) live.push(device);
        else await this.remove(owner, device.id);
      }
    }
    return live.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Deletes a device's subscription and its delivery state; false when there was none. */
  async remove(owner: string, id: string): Promise<boolean> {
    const entry = await this.kv.get<PushDevice>(pushDeviceKey(owner, id));
    if (!entry.value) return false;
    const indexKey = pushEndpointKey(await endpointHash(entry.value.endpoint));
    const index = await this.kv.get<EndpointOwner>(indexKey);
    const channelId = pushChannelId(id);
    const op = this.kv.atomic().check(entry).delete(entry.key)
      .delete(statusKey(owner, channelId))
      .delete(digestKey(owner, channelId))
      .delete(windowKey(owner, channelId));
    if (index.value?.owner === owner && index.value.id === id) op.check(index).delete(indexKey);
    // Lost to a concurrent save: whatever it wrote is newer, and removing it is the caller's call.
    return (await op.commit()).ok;
  }

  /** Records that these questions were pushed to the device (for `ttlMs`). */
  async markShown(owner: string, id: string, sessionIds: string[], ttlMs: number): Promise<void> {
    for (let i = 0; i < sessionIds.length; i += 10) {
      const op = this.kv.atomic();
      for (const sessionId of sessionIds.slice(i, i + 10)) {
        op.set(pushShownKey(owner, id, sessionId), true, { expireIn: Math.max(1000, ttlMs) });
      }
      await op.commit();
    }
  }

  /** Whether a question was pushed to the device (so there is a notification to close). */
  async wasShown(owner: string, id: string, sessionId: string): Promise<boolean> {
    return (await this.kv.get(pushShownKey(owner, id, sessionId))).versionstamp !== null;
  }
}

/**
 * A browser's subscription from the inbox, checked: the endpoint passes the checks of the SSRF
 * guard that need no DNS (https, not loopback or private unless allowed; the full check runs at
 * every delivery), and the keys are a real P-256 point and a 16-byte secret. Throws
 * {@link ValidationError} naming the field.
 */
export function parsePushSubscription(input: unknown, guard: GuardOptions): PushTarget {
  const data = parseOrThrow(pushSubscriptionInputSchema, input);
  const problem = urlProblem(data.endpoint, guard);
  if (problem) throw ValidationError.of("endpoint", problem);
  if (!validPushKeys(data.keys)) {
    throw ValidationError.of(
      "keys",
      "must be a base64url P-256 public key (p256dh) and 16-byte secret (auth)",
    );
  }
  return { endpoint: data.endpoint, keys: { p256dh: data.keys.p256dh, auth: data.keys.auth } };
}
