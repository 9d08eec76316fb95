/**
 * The inbox's server-rendered pages: sign-in, the inbox itself (the `InboxApp` island with the
 * owner's questions), settings (signed-in devices, revoke, sign-out) and the refusal page.
 * Everything here works without JavaScript: forms post, links navigate.
 * @module
 */
import type { JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import { InboxLayout } from "../../components/InboxLayout.tsx";
import { format, type Messages } from "../../lib/i18n.ts";
import type { InboxSession } from "../../lib/inbox/sessions.ts";
import { defineIsland } from "../../lib/islands/island.tsx";
import type { PagePrefs } from "../../lib/pages/prefs.ts";
import InboxApp, { type InboxAppProps } from "../../islands/inbox/InboxApp.tsx";
import PushToggle, { type PushToggleProps } from "../../islands/inbox/PushToggle.tsx";
import type { PushDeviceRow } from "./_push.ts";
import { timeAgo } from "../../islands/inbox/time_ago.ts";

const InboxAppIsland = defineIsland("InboxApp", InboxApp);
const PushToggleIsland = defineIsland("PushToggle", PushToggle);

/** The push switch: the island's props, or null when the server has no VAPID keys (it says so). */
export type PushSwitch = PushToggleProps | null;

function pushSwitch(t: Messages, push: PushSwitch): JSX.Element {
  return push
    ? <PushToggleIsland {...push} />
    : <p class="inbox-hint" data-push="unavailable">{t.pushUnavailable}</p>;
}

/** What every inbox page is rendered with. */
export interface InboxPageBase {
  prefs: PagePrefs;
  t: Messages;
}

function documentOf(page: JSX.Element): string {
  return `<!DOCTYPE html>${renderToString(page)}`;
}

/** The reasons the sign-in page names. */
export type SignInNotice = "invalid" | "expired" | "rate_limited" | "refused" | "signed_out";

/** The sign-in page: a notice, if any, and the form to paste a token once. */
export function signInPage(base: InboxPageBase, notice: SignInNotice | null): string {
  const { t } = base;
  const text = notice && {
    invalid: t.inboxSignInInvalid,
    expired: t.inboxSignInExpired,
    rate_limited: t.inboxSignInRateLimited,
    refused: t.inboxSignInRefused,
    signed_out: t.inboxSignedOut,
  }[notice];
  return documentOf(
    <InboxLayout prefs={base.prefs} messages={t} title={t.inboxSignInTitle}>
      <main id="main" class="card inbox-signin" data-page="inbox-sign-in">
        <h1>{t.inboxSignInTitle}</h1>
        {text && (
          <p
            class={notice === "signed_out" ? "inbox-notice" : "error"}
            role={notice === "signed_out" ? "status" : "alert"}
            data-notice={notice}
          >
            {text}
          </p>
        )}
        <p class="lead">{t.inboxSignInIntro}</p>
        <form method="post" action="/inbox/sign-in" class="form">
          <div class="field">
            <label for="token">{t.inboxTokenLabel}</label>
            <input
              id="token"
              name="token"
              type="password"
              required
              autocomplete="off"
              autocapitalize="off"
              spellcheck={false}
            />
          </div>
          <div class="actions">
            <button type="submit" class="primary">{t.inboxSignIn}</button>
          </div>
        </form>
      </main>
    </InboxLayout>,
  );
}

/** The inbox page around the island. */
export function inboxPage(
  base: InboxPageBase,
  options: {
    island: InboxAppProps;
    settingsLink: boolean;
    /** Shown unless this device is subscribed already (the settings always show it). */
    push?: { toggle: PushSwitch; subscribed: boolean };
  },
): string {
  const { t } = base;
  const { island } = options;
  return documentOf(
    <InboxLayout prefs={base.prefs} messages={t} title={t.inboxTitle}>
      <main
        id="main"
        class="card inbox-main"
        data-page={island.offline ? "inbox-offline" : "inbox"}
      >
        <div class="inbox-top">
          <h1>{t.inboxTitle}</h1>
          {options.settingsLink && (
            <p class="inbox-whoami">
              <span>{format(t.inboxSignedInAs, { owner: island.owner })}</span>
              <a href="/inbox/settings">{t.inboxSettingsLink}</a>
            </p>
          )}
        </div>
        {options.push && !options.push.subscribed && pushSwitch(t, options.push.toggle)}
        <InboxAppIsland {...island} />
      </main>
    </InboxLayout>,
  );
}

/** Settings: the owner's signed-in devices with revoke buttons, and sign-out. */
export function settingsPage(
  base: InboxPageBase,
  options: {
    owner: string;
    current: InboxSession;
    sessions: InboxSession[];
    now: number;
    push: PushSwitch;
    pushDevices: PushDeviceRow[];
  },
): string {
  const { t } = base;
  const { current, now } = options;
  const ago = (then: number) => timeAgo(then, now, t);
  return documentOf(
    <InboxLayout prefs={base.prefs} messages={t} title={t.inboxSettingsTitle}>
      <main id="main" class="card inbox-settings" data-page="inbox-settings">
        <p>
          <a href="/inbox">← {t.inboxBack}</a>
        </p>
        <h1>{t.inboxSettingsTitle}</h1>
        <p class="inbox-whoami">{format(t.inboxSignedInAs, { owner: options.owner })}</p>
        <h2>{t.inboxSessionsTitle}</h2>
        <p class="inbox-hint">{t.inboxSessionsIntro}</p>
        <ul class="inbox-sessions">
          {options.sessions.map((session) => (
            <li key={session.id} data-session={session.id}>
              <div>
                <strong>{session.device}</strong>
                {session.id === current.id && <span class="inbox-new">{t.inboxThisDevice}</span>}
                <p class="inbox-hint">
                  {format(t.inboxSessionTimes, {
                    created: ago(session.createdAt),
                    seen: ago(session.lastSeenAt),
                  })}
                </p>
              </div>
              <form method="post" action={`/inbox/sessions/${session.id}/revoke`}>
                <input type="hidden" name="csrf" value={current.csrfToken} />
                <button type="submit" class="inbox-button">{t.inboxRevoke}</button>
              </form>
            </li>
          ))}
        </ul>
        <h2>{t.pushDevicesTitle}</h2>
        {pushSwitch(t, options.push)}
        {options.pushDevices.length === 0
          ? <p class="inbox-hint">{t.pushDevicesEmpty}</p>
          : (
            <ul class="inbox-sessions" data-list="push-devices">
              {options.pushDevices.map(({ device, status }) => (
                <li key={device.id} data-push-device={device.id}>
                  <div>
                    <strong>{device.device}</strong>
                    {device.id === current.id && <span class="inbox-new">{t.inboxThisDevice}</span>}
                    <p class="inbox-hint">
                      {format(t.pushDeviceTimes, { created: ago(device.createdAt) })}
                      {status?.lastSuccess &&
                        ` · ${format(t.pushDeviceDelivered, { time: ago(status.lastSuccess.at) })}`}
                      {status?.lastFailure &&
                        (!status.lastSuccess || status.lastFailure.at > status.lastSuccess.at) &&
                        ` · ${
                          format(t.pushDeviceFailed, {
                            time: ago(status.lastFailure.at),
                            error: status.lastFailure.error,
                          })
                        }`}
                    </p>
                  </div>
                  <form method="post" action={`/inbox/push/${device.id}/remove`}>
                    <input type="hidden" name="csrf" value={current.csrfToken} />
                    <button type="submit" class="inbox-button">{t.pushRemove}</button>
                  </form>
                </li>
              ))}
            </ul>
          )}
        <form method="post" action="/inbox/sign-out" class="inbox-signout">
          <input type="hidden" name="csrf" value={current.csrfToken} />
          <button type="submit" class="inbox-button">{t.inboxSignOut}</button>
        </form>
      </main>
    </InboxLayout>,
  );
}

/** The page of a refused (cross-site, or token-less) state-changing request. */
export function refusedPage(base: InboxPageBase): string {
  const { t } = base;
  return documentOf(
    <InboxLayout prefs={base.prefs} messages={t} title={t.inboxRefusedTitle}>
      <main id="main" class="card problem" data-page="inbox-refused">
        <h1>{t.inboxRefusedTitle}</h1>
        <p>{t.inboxRefusedBody}</p>
        <p>
          <a href="/inbox">{t.inboxBack}</a>
        </p>
      </main>
    </InboxLayout>,
  );
}
