/**
 * The inline form's markup: the question, then the form while the session is open, or the view
 * of its outcome (thanks, answered elsewhere, expired, withdrawn), or why the form cannot answer.
 * The same elements and classes as the feedback page (`islands/FeedbackApp.tsx`), so the page's
 * stylesheet styles both alike.
 * @module
 */
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { format } from "../lib/i18n.ts";
import { formatRemaining } from "../islands/FeedbackApp.tsx";
import { FreeTextField } from "../islands/_FreeTextField.tsx";
import { Outcome, outcomeViewOf } from "../islands/_Outcome.tsx";
import type { FormController, ShownImage } from "./controller.ts";
import type { FormStrings } from "./strings.ts";

/** Under a minute left, the countdown is styled as urgent (as on the page). */
const SOON_MS = 60_000;

/** The whole form. */
export function FeedbackForm({ form }: { form: FormController }): JSX.Element {
  const t = form.t.value;
  const view = form.view.value;
  const state = form.state.value;
  const preview = form.problem.value === "noQuestion" ? null : form.preview.value;
  const title = state?.title ?? preview?.title ?? t.defaultTitle;

  // The sandbox opens no link itself: every link in the question goes through the host.
  const onMessageClick = (event: MouseEvent) => {
    const link = (event.target as Element | null)?.closest?.("a[href]");
    if (!link) return;
    event.preventDefault();
    form.openLink((link as HTMLAnchorElement).href);
  };

  return (
    <main class="card feedback" data-page="feedback-form">
      <h1 class="question-title">{title}</h1>
      {state
        ? (
          <div
            class="message"
            onClick={onMessageClick}
            // Rendered by the server with the page's renderer: raw HTML off, links vetted.
            dangerouslySetInnerHTML={{ __html: state.questionHtml }}
          />
        )
        : preview && <div class="message preview">{preview.message}</div>}
      <QuestionImages form={form} t={t} />
      {view === "loading" && <p class="form-note" data-view="loading">{t.formWaiting}</p>}
      {view === "unavailable" && <Unavailable form={form} t={t} />}
      {view === "form" && <AnswerForm form={form} t={t} />}
      {view === "outcome" && <FormOutcome form={form} t={t} />}
    </main>
  );
}

/**
 * The question's images: thumbnails in a grid that keeps two columns on a phone; a click (or tap,
 * Enter, Space) shows one at the full width of the form with its alt text under it, and another
 * click or Escape shrinks it again. The document grows and the host resizes the frame, so the
 * enlarged image needs no overlay that a content-sized frame could not hold.
 */
function QuestionImages({ form, t }: { form: FormController; t: FormStrings }): JSX.Element | null {
  const images = form.images.value;
  const zoomed = form.zoomed.value;
  if (images.length === 0) return null;
  const count = images.length;
  return (
    <ul class="form-images" aria-label={t.formImages} data-count={count}>
      {images.map((image, index) => {
        const large = image.id === zoomed;
        const label = format(large ? t.formImageShrink : t.formImageEnlarge, {
          n: index + 1,
          count,
        });
        return (
          <li
            key={image.id}
            class={large ? "form-image zoomed" : "form-image"}
            data-image={image.id}
          >
            <button
              type="button"
              class="form-image-button"
              aria-label={image.alt ? `${label}. ${image.alt}` : label}
              aria-expanded={large ? "true" : "false"}
              onClick={() => form.zoomed.value = large ? null : image.id}
              onKeyDown={(event) => {
                if (event.key === "Escape" && large) form.zoomed.value = null;
              }}
            >
              <QuestionImage key={image.src} image={image} t={t} />
            </button>
            {large && image.alt && <p class="form-image-alt">{image.alt}</p>}
          </li>
        );
      })}
    </ul>
  );
}

/** One image; a `data:` URL that will not load falls back to the capability address. */
function QuestionImage({ image, t }: { image: ShownImage; t: FormStrings }): JSX.Element {
  // Keyed by `image.src` where it is used: a new source starts over with a new component.
  const [src, setSrc] = useState(image.src);
  const [failed, setFailed] = useState(false);
  if (failed) {
    return (
      <span class="form-image-missing" role="img" aria-label={image.alt ?? t.formImageMissing}>
        {image.alt && <span>{image.alt}</span>}
        <span class="form-note">{t.formImageMissing}</span>
      </span>
    );
  }
  return (
    <img
      src={src}
      alt={image.alt ?? ""}
      width={image.width}
      height={image.height}
      decoding="async"
      onError={() => {
        if (image.fallbackSrc && src !== image.fallbackSrc) setSrc(image.fallbackSrc);
        else setFailed(true);
      }}
    />
  );
}

/** Why the form cannot answer, with the page's link when there is one. */
function Unavailable({ form, t }: { form: FormController; t: FormStrings }): JSX.Element {
  const url = form.pageUrl.value;
  const problem = form.problem.value;
  const text = problem === "refused"
    ? t.formRefused
    : problem === "noQuestion"
    ? t.formNoQuestion
    : t.errorUnsupported;
  return (
    <section class="answer" data-view="unavailable" data-problem={problem ?? undefined}>
      <p class="error" role="alert">{text}</p>
      {url && problem !== "noQuestion" && (
        <p>
          <a
            href={url}
            onClick={(event) => {
              event.preventDefault();
              form.openLink(url);
            }}
          >
            {t.formOpenPage}
          </a>
        </p>
      )}
    </section>
  );
}

/** The time left on the server's clock, ticking once a second while the form is shown. */
function Countdown(
  { expiresAt, offset, t }: { expiresAt: number; offset: number; t: FormStrings },
): JSX.Element {
  const [now, setNow] = useState(() => Date.now() + offset);
  useEffect(() => {
    const tick = () => setNow(Date.now() + offset);
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [offset]);
  const remaining = expiresAt - now;
  return (
    <div class="meta">
      <p class={remaining < SOON_MS ? "countdown soon" : "countdown"} role="timer">
        {remaining > 0 ? format(t.timeLeft, { time: formatRemaining(remaining) }) : t.closingNow}
      </p>
    </div>
  );
}

/** The options, the free text and the submit, as on the page. */
function AnswerForm({ form, t }: { form: FormController; t: FormStrings }): JSX.Element {
  const state = form.state.value!;
  const errorRef = useRef<HTMLDivElement>(null);
  const error = form.error.value;
  const busy = form.busy.value;
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const hasOptions = state.options.length > 0;
  return (
    <section class="answer" data-view="form">
      <Countdown expiresAt={state.expiresAt} offset={form.clockOffset.value} t={t} />
      {/* No <form>: a host's sandbox (no `allow-forms`) blocks its submit event outright. */}
      <div class="form">
        {hasOptions && (
          <fieldset class="options">
            <legend>{state.multiSelect ? t.optionsLegendMulti : t.optionsLegendSingle}</legend>
            {state.options.map((option) => (
              <label class="option" key={option}>
                <input
                  type={state.multiSelect ? "checkbox" : "radio"}
                  name="selectedOptions"
                  value={option}
                  checked={form.selected.value.includes(option)}
                  onClick={(event) => {
                    // Radios cannot be unticked natively; a second click on one clears it.
                    if (!state.multiSelect && form.selected.peek().includes(option)) {
                      event.preventDefault();
                    }
                    form.toggle(option);
                  }}
                />
                <span class="option-text">{option}</span>
              </label>
            ))}
          </fieldset>
        )}
        {state.allowFreeText && (
          <FreeTextField
            value={form.text.value}
            hasOptions={hasOptions}
            maxLength={state.maxFreeTextLength}
            messages={t}
            onInput={(value) => form.edit(value)}
          />
        )}
        <div class="error" role="alert" ref={errorRef} tabIndex={-1}>{error}</div>
        <div class="actions">
          <button
            type="button"
            class="primary"
            disabled={busy}
            aria-busy={busy ? "true" : undefined}
            onClick={() => void form.submit()}
          >
            {busy ? t.sending : t.submit}
          </button>
        </div>
      </div>
    </section>
  );
}

/** The page's outcome view, worded for a form inside the chat. */
function FormOutcome({ form, t }: { form: FormController; t: FormStrings }): JSX.Element {
  const state = form.state.value!;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const view = outcomeViewOf(state.status, form.sentHere.value);
  // A change of view moves focus to its heading, so a screen reader reads what happened.
  useEffect(() => headingRef.current?.focus(), [view]);
  return (
    <Outcome
      status={state.status}
      sentHere={form.sentHere.value}
      answer={state.answer}
      messages={t}
      headingRef={headingRef}
      thanksBody={t.formThankYouBody}
      answeredLive={form.news.value || !state.answer}
      live
    />
  );
}
