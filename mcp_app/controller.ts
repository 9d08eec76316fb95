/**
 * The inline form's state as signals, and what changes it: the tool results the host hands over,
 * the human's input, the submit, and the wait for news from elsewhere. It talks to the server
 * only through {@link FormHost} (the MCP App's proxied tool calls), so tests can drive it without
 * a host.
 *
 * News from elsewhere comes from a long-poll, never a timer poll: the app-only watch tool holds
 * until the session leaves `pending` (or `MCP_MAX_WAIT` passes) and is called again while it
 * stays open. Only failures wait before the next call, with a growing backoff.
 * @module
 */
import { batch, computed, type ReadonlySignal, type Signal, signal } from "@preact/signals";
import { format, type Lang } from "../lib/i18n.ts";
import { codePointLength } from "../lib/text.ts";
import { answerErrorKey } from "../islands/answer_errors.ts";
import {
  APP_TOOLS,
  type AppErrorInfo,
  type AppImage,
  type AppState,
  readAppPayload,
} from "../lib/mcp/app/protocol.ts";
import { pickLang } from "./lang.ts";
import type { FormStrings } from "./strings.ts";

/** The parts of a tool result the form reads. */
export interface ToolResultLike {
  isError?: boolean;
  structuredContent?: unknown;
  _meta?: unknown;
}

/** What the form needs from its host. */
export interface FormHost {
  /** Calls one of the server's tools through the host. */
  callTool(
    name: string,
    args: Record<string, unknown>,
    options: { signal: AbortSignal },
  ): Promise<ToolResultLike>;
  /** Asks the host to open a link (the sandbox opens none itself). */
  openLink(url: string): void;
}

/** An image of the agent's arguments, as the host handed them to the view. */
export interface InputImage {
  data: string;
  mimeType: string;
  alt?: string;
}

/** An image of the question as the view shows it. */
export interface ShownImage {
  id: string;
  /** A `data:` URL of the agent's own bytes, or the image's capability address. */
  src: string;
  /** The capability address, tried when `src` is a `data:` URL that does not load. */
  fallbackSrc: string | null;
  alt: string | null;
  /** Known once the server has read the image (its result); absent in the preview. */
  width?: number;
  height?: number;
}

/** The types a question image may have (lib/feedback/model.ts `IMAGE_TYPES`); no SVG. */
const RASTER_TYPES: readonly string[] = ["image/png", "image/jpeg", "image/webp", "image/gif"];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The arguments' images that can be shown as `data:` URLs (raster types, base64 only). */
function inputImagesOf(args: Record<string, unknown> | undefined): InputImage[] {
  if (!Array.isArray(args?.images)) return [];
  return args.images.flatMap((item: unknown) => {
    const { data, mimeType, alt } = (item ?? {}) as Record<string, unknown>;
    if (typeof data !== "string" || typeof mimeType !== "string") return [];
    return [{ data, mimeType, ...(typeof alt === "string" ? { alt } : {}) }];
  });
}

/** A `data:` URL of an argument image, or null when its type or text cannot be one. */
function dataUrlOf(image: InputImage | undefined, type: string): string | null {
  if (!image || image.mimeType.toLowerCase() !== type || !RASTER_TYPES.includes(type)) return null;
  return BASE64.test(image.data) ? `data:${type};base64,${image.data}` : null;
}

/**
 * Where each question image comes from. The agent's arguments hold the very bytes the server
 * stored (a question is only created when every image is accepted, in order), so the view shows
 * them as `data:` URLs, without network, which the spec's default policy for views allows. The
 * capability address is for views whose arguments carry none (`get_feedback_result`), and for a
 * host that handed over no arguments. Images show only once the result says the server took them.
 */
export function shownImages(
  stateImages: readonly AppImage[] | undefined,
  input: readonly InputImage[],
): ShownImage[] {
  // Before the result nothing is shown: the server has not yet checked the arguments' bytes (a
  // pixel bomb it refuses must never reach the human's decoder).
  if (!stateImages) return [];
  const matches = input.length === stateImages.length;
  return stateImages.map((image, i) => {
    const data = matches ? dataUrlOf(input[i], image.mimeType) : null;
    return {
      id: image.id,
      src: data ?? image.url,
      fallbackSrc: data ? image.url : null,
      alt: image.alt,
      width: image.width,
      height: image.height,
    };
  });
}

/** Which view the form shows. */
export type FormView = "loading" | "form" | "outcome" | "unavailable";

/** Why the form cannot answer (the `unavailable` view). */
export type Problem = "noQuestion" | "unsupported" | "refused";

/** The form's state and actions. */
export interface FormController {
  lang: ReadonlySignal<Lang>;
  t: ReadonlySignal<FormStrings>;
  view: ReadonlySignal<FormView>;
  /** The session as last heard from the server. */
  state: Signal<AppState | null>;
  /** The question as the agent asked it (plain text), before its result arrives. */
  preview: Signal<{ title: string | null; message: string } | null>;
  /** The question's images, in order (from the arguments until the result arrives). */
  images: ReadonlySignal<ShownImage[]>;
  /** The id of the image shown large, or null. */
  zoomed: Signal<string | null>;
  problem: Signal<Problem | null>;
  /** The page's link, offered when the form cannot answer. */
  pageUrl: ReadonlySignal<string | null>;
  selected: Signal<string[]>;
  text: Signal<string>;
  /** The form's error, already in the form's language. */
  error: Signal<string | null>;
  busy: Signal<boolean>;
  /** The answer was sent from this form (the thank-you view). */
  sentHere: Signal<boolean>;
  /** The session closed elsewhere while this form was open. */
  news: Signal<boolean>;
  /** The server's clock minus this one, in ms. */
  clockOffset: Signal<number>;
  /** The host's locale changed (or became known). */
  setHostLocale(locale: string | undefined): void;
  /** The arguments of the agent's call: shown until the result arrives. */
  onToolInput(args: Record<string, unknown> | undefined): void;
  /** The agent's call returned. */
  onToolResult(result: ToolResultLike): void;
  toggle(option: string): void;
  edit(text: string): void;
  submit(): Promise<void>;
  openLink(url: string): void;
  /** Stops the wait for news (the host tears the view down). */
  stop(): void;
}

/** Options of {@link createFormController}. */
export interface FormOptions {
  host: FormHost;
  strings: Record<Lang, FormStrings>;
  /** `navigator.languages`. */
  browserLanguages?: readonly string[];
  /** Backoff after a failed watch, by consecutive failures (1, 2, …); ms. */
  backoffMs?: (failures: number) => number;
  /** A watch back sooner than this without news waits this long before the next (ms). */
  quickReturnMs?: number;
}

const defaultBackoff = (failures: number) => Math.min(60_000, 1000 * 2 ** (failures - 1));

/** The form's controller. */
export function createFormController(options: FormOptions): FormController {
  const { host } = options;
  const hostLocale = signal<string | undefined>(undefined);
  const state = signal<AppState | null>(null);
  const preview = signal<{ title: string | null; message: string } | null>(null);
  const inputImages = signal<InputImage[]>([]);
  const zoomed = signal<string | null>(null);
  const problem = signal<Problem | null>(null);
  const fallbackUrl = signal<string | null>(null);
  const selected = signal<string[]>([]);
  const text = signal("");
  const error = signal<string | null>(null);
  const busy = signal(false);
  const sentHere = signal(false);
  const news = signal(false);
  const clockOffset = signal(0);
  const stopper = new AbortController();
  let token: string | undefined;
  let watching = false;

  const lang = computed(() =>
    pickLang({
      hostLocale: hostLocale.value,
      questionLang: state.value?.langHint,
      browser: options.browserLanguages,
    })
  );
  const t = computed(() => options.strings[lang.value]);
  const view = computed<FormView>(() => {
    if (problem.value) return "unavailable";
    const current = state.value;
    if (!current) return "loading";
    return current.status === "pending" ? "form" : "outcome";
  });
  const pageUrl = computed(() => state.value?.feedbackUrl ?? fallbackUrl.value);
  const images = computed(() => {
    if (problem.value === "noQuestion") return [];
    const current = state.value;
    return shownImages(current ? current.images ?? [] : undefined, inputImages.value);
  });

  /** Takes a state from the server; a final one learnt from elsewhere is news. */
  const apply = (next: AppState, fromElsewhere: boolean) => {
    const current = state.peek();
    if (current?.status && current.status !== "pending" && next.status === "pending") return;
    batch(() => {
      if (fromElsewhere && next.status !== "pending" && current?.status === "pending") {
        news.value = true;
      }
      state.value = next;
      clockOffset.value = next.serverTime - Date.now();
    });
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopper.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });

  /** Long-polls the watch tool while the session is open. */
  const watch = async () => {
    if (watching) return;
    watching = true;
    const backoff = options.backoffMs ?? defaultBackoff;
    const quickReturnMs = options.quickReturnMs ?? 1000;
    let failures = 0;
    try {
      while (!stopper.signal.aborted && token && state.peek()?.status === "pending") {
        const current = state.peek()!;
        const started = Date.now();
        let outcome: "news" | "quiet" | "failed" = "failed";
        try {
          const result = await host.callTool(
            APP_TOOLS.watch,
            { sessionId: current.sessionId, answerToken: token },
            { signal: stopper.signal },
          );
          const payload = readAppPayload(result._meta);
          if (payload?.state && !result.isError) {
            // While this form's own submit is in flight, `completed` is its answer, not news.
            const own = busy.peek() && payload.state.status === "completed";
            if (!own) apply(payload.state, true);
            outcome = own || payload.state.status === "pending" ? "quiet" : "news";
          } else if (payload?.error && settle(payload.error, payload.state)) {
            outcome = "news";
          }
        } catch {
          if (stopper.signal.aborted) break;
        }
        if (outcome === "failed") failures++;
        else failures = 0;
        if (failures > 0) await sleep(backoff(failures));
        // A hold that came back at once without news (a server shutting down) must not spin.
        else if (outcome === "quiet" && Date.now() - started < quickReturnMs) {
          await sleep(quickReturnMs);
        }
      }
    } finally {
      watching = false;
    }
  };

  /**
   * Applies a refusal that settles what the form shows (the session is over, or the form may not
   * answer); true if it did.
   */
  const settle = (refusal: AppErrorInfo, serverState: AppState | undefined): boolean => {
    if (serverState && serverState.status !== "pending") {
      apply(serverState, true);
      return true;
    }
    const current = state.peek();
    if (refusal.code === "SESSION_NOT_FOUND" && current) {
      apply({ ...current, status: "expired" }, true);
      return true;
    }
    if (refusal.code === "UNAUTHORIZED") {
      problem.value = "refused";
      return true;
    }
    return false;
  };

  return {
    lang,
    t,
    view,
    state,
    preview,
    images,
    zoomed,
    problem,
    pageUrl,
    selected,
    text,
    error,
    busy,
    sentHere,
    news,
    clockOffset,
    setHostLocale(locale) {
      hostLocale.value = locale;
    },
    onToolInput(args) {
      const message = typeof args?.message === "string" ? args.message : null;
      if (message === null) return;
      // Kept after the result too: its images are the bytes the server stored.
      inputImages.value = inputImagesOf(args);
      if (state.peek()) return;
      preview.value = { title: typeof args?.title === "string" ? args.title : null, message };
    },
    onToolResult(result) {
      const payload = readAppPayload(result._meta);
      const next = payload?.state;
      if (!next) {
        const facts = result.structuredContent as { feedbackUrl?: unknown } | undefined;
        batch(() => {
          if (typeof facts?.feedbackUrl === "string") fallbackUrl.value = facts.feedbackUrl;
          problem.value = result.isError ? "noQuestion" : "unsupported";
        });
        return;
      }
      token = next.answerToken;
      apply({ ...next, answerToken: undefined }, false);
      if (next.status === "pending" && !token) problem.value = "unsupported";
      else void watch();
    },
    toggle(option) {
      error.value = null;
      const current = selected.peek();
      const multi = state.peek()?.multiSelect ?? false;
      selected.value = current.includes(option)
        ? current.filter((o) => o !== option)
        : multi
        ? [...current, option]
        : [option];
    },
    edit(value) {
      batch(() => {
        error.value = null;
        text.value = value;
      });
    },
    async submit() {
      const current = state.peek();
      if (busy.peek() || !current || current.status !== "pending" || !token) return;
      const strings = t.peek();
      const max = current.maxFreeTextLength;
      const answer = {
        selectedOptions: current.options.filter((o) => selected.peek().includes(o)),
        freeText: current.allowFreeText ? text.peek() : "",
      };
      const length = codePointLength(answer.freeText.trim());
      if (answer.selectedOptions.length === 0 && length === 0) {
        error.value = strings.errorEmpty;
        return;
      }
      if (length > max) {
        error.value = format(strings.errorTooLong, { max });
        return;
      }
      batch(() => {
        busy.value = true;
        error.value = null;
      });
      try {
        const result = await host.callTool(
          APP_TOOLS.submit,
          { sessionId: current.sessionId, answerToken: token, ...answer },
          { signal: stopper.signal },
        );
        const payload = readAppPayload(result._meta);
        if (!result.isError && payload?.state) {
          batch(() => {
            sentHere.value = true;
            apply(payload.state!, false);
          });
        } else if (payload?.error) {
          if (!settle(payload.error, payload.state)) {
            const key = answerErrorKey(
              { code: payload.error.code, details: { field: payload.error.field } },
              { freeText: answer.freeText, maxFreeTextLength: max },
            );
            error.value = format(t.peek()[key], { max });
          }
        } else {
          error.value = t.peek().errorServer;
        }
      } catch {
        error.value = t.peek().errorNetwork;
      } finally {
        busy.value = false;
      }
      // The watch ignored `completed` while the submit was in flight; pick it up again.
      if (state.peek()?.status === "pending") void watch();
    },
    openLink(url) {
      host.openLink(url);
    },
    stop() {
      stopper.abort();
    },
  };
}
