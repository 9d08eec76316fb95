/**
 * Web Push from the inbox: a device stores its browser's subscription, or drops it, and the
 * settings list the owner's subscribed devices (docs/inbox.md, "Push notifications").
 *
 * - `POST /inbox/api/push/subscription` (JSON, `X-CSRF-Token`): stores `PushSubscription.toJSON()`
 *   for the device signed in with this inbox session; 503 without VAPID keys.
 * - `DELETE /inbox/api/push/subscription` (`X-CSRF-Token`): this device's, gone.
 * - the settings' remove button posts to `/inbox/push/{id}/remove` (routes/inbox/mod.ts).
 * @module
 */
import type { Context } from "hono";
import { AppError, httpStatusOf, UnauthorizedError } from "../../lib/errors.ts";
import { readJsonObject } from "../../lib/http/body.ts";
import { errorBody, okBody } from "../../lib/http/envelope.ts";
import { NotifyStore } from "../../lib/notify/outbox.ts";
import {
  parsePushSubscription,
  pushChannelId,
  type PushDevice,
  PushDevices,
} from "../../lib/notify/push_devices.ts";
import type { ChannelStatus } from "../../lib/notify/channels.ts";
import { resolvePrefs } from "../../lib/pages/prefs.ts";
import type { Services } from "../../lib/services.ts";
import { currentInboxSession, inboxSessionsOf, passesCsrf } from "./_auth.ts";

/** Largest subscription body read (a real one is about 400 bytes). */
const MAX_SUBSCRIPTION_BYTES = 4096;

/** A subscribed device as the settings page lists it. */
export interface PushDeviceRow {
  device: PushDevice;
  status: ChannelStatus | null;
}

/** The owner's subscribed devices with their last delivery outcomes. */
export async function pushDeviceRows(
  services: Pick<Services, "kv">,
  owner: string,
): Promise<PushDeviceRow[]> {
  const devices = await new PushDevices(services.kv).list(owner);
  const statuses = await new NotifyStore(services.kv).statuses(
    owner,
    devices.map((d) => pushChannelId(d.id)),
  );
  return devices.map((device, i) => ({ device, status: statuses[i] }));
}

function json(status: number, body: unknown, cookies: string[] = []): Response {
  const headers = new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(JSON.stringify(body), { status, headers });
}

function failure(error: AppError, status: number): Response {
  return json(status, errorBody(error));
}

/** The signed-in session of a state-changing JSON request, or the response refusing it. */
async function authorize(c: Context, services: Services) {
  const publicBaseUrl = services.config.publicBaseUrl;
  const current = await currentInboxSession(c, {
    sessions: inboxSessionsOf(services),
    publicBaseUrl,
  });
  if (!current.auth) {
    return { refusal: failure(new UnauthorizedError("Sign in to the inbox first.", false), 401) };
  }
  if (!passesCsrf(c, { session: current.auth, publicBaseUrl })) {
    const refused = new AppError(
      "INVALID_REQUEST",
      "Refused: not from the inbox page, or no CSRF token.",
      { field: "csrf" },
    );
    return { refusal: failure(refused, 403) };
  }
  return { session: current.auth.session, cookies: current.cookies };
}

/** `POST /inbox/api/push/subscription`. */
export async function subscribeRoute(c: Context, services: Services): Promise<Response> {
  const auth = await authorize(c, services);
  if (auth.refusal) return auth.refusal;
  const { notify } = services.config;
  if (!notify.vapid) {
    return failure(
      new AppError(
        "SERVICE_UNAVAILABLE",
        "Push notifications are not set up on this server (no VAPID keys).",
      ),
      503,
    );
  }
  try {
    const body = await readJsonObject(c.req.raw, MAX_SUBSCRIPTION_BYTES);
    const target = parsePushSubscription(body, { allowPrivate: notify.allowPrivate });
    const { session } = auth;
    const device: PushDevice = {
      ...target,
      id: session.id,
      owner: session.owner,
      device: session.device,
      lang: resolvePrefs(c, services.config.publicBaseUrl).lang,
      createdAt: services.now(),
    };
    await new PushDevices(services.kv).save(device);
    return json(
      200,
      okBody({
        deviceId: device.id,
        device: device.device,
        createdAt: new Date(device.createdAt).toISOString(),
      }),
      auth.cookies,
    );
  } catch (error) {
    if (error instanceof AppError) return failure(error, httpStatusOf(error.code));
    throw error;
  }
}

/** `DELETE /inbox/api/push/subscription`: this device gets no more pushes. */
export async function unsubscribeRoute(c: Context, services: Services): Promise<Response> {
  const auth = await authorize(c, services);
  if (auth.refusal) return auth.refusal;
  const removed = await new PushDevices(services.kv).remove(auth.session.owner, auth.session.id);
  return json(200, okBody({ deviceId: auth.session.id, removed }), auth.cookies);
}
