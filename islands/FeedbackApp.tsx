/**
 * The answering part of the feedback page: the form while the question is pending, and the view
 * of each final state (thanks, already answered, expired, withdrawn). Rendered on the server (so
 * the form works without JavaScript: it is a plain POST to `/feedback/{id}`) and hydrated in the
 * browser, where it adds the API submit, the countdown, keyboard shortcuts, the character counter
 * and live status over the WebSocket (`/ws/{id}`, contract §5) with reconnect and backoff. It
 * shows the question's images (enlarged on a tap), and takes images with the answer: pasted,
 * dropped or picked, scaled down in the browser, uploaded with progress.
 *
 * This file holds the form and wires the rest, which lives in the island's private modules
 * (`_*.ts`, `_*.tsx`): the state as signals and its actions in `_state.ts`, the submit in
 * `_submit.ts`, the props in `_props.ts`, the hooks `_countdown.ts`, `_live_status.ts`,
 * `_shortcuts.ts`, `_draft_storage.ts` and `_image_intake.ts` (paste, drop), the answer's images
 * in `_attachments.ts` (scaled by `_image_scale.ts`), and the views `_StatusLine.tsx`,
 * `_FreeTextField.tsx`, `_Outcome.tsx`, `_AnswerSummary.tsx`, `_Gallery.tsx`, `_ImagePicker.tsx` and
 * `_Announcer.tsx`.
 * @module
 */
import type { JSX } from "preact";
import { useComputed, useSignal, useSignalEffect } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { format } from "../lib/i18n.ts";
import { answerErrorValues } from "./answer_errors.ts";
import { Announcer } from "./_Announcer.tsx";
import { createAttachments } from "./_attachments.ts";
import { useCountdown } from "./_countdown.ts";
import { useStoredDraft } from "./_draft_storage.ts";
import { Gallery } from "./_Gallery.tsx";
import { useImageIntake } from "./_image_intake.ts";
import { ImagePicker } from "./_ImagePicker.tsx";
import { useLiveStatus } from "./_live_status.ts";
import { FreeTextField } from "./_FreeTextField.tsx";
import { Outcome } from "./_Outcome.tsx";
import type { FeedbackAppProps } from "./_props.ts";
import { useShortcuts } from "./_shortcuts.ts";
import { createFeedbackState } from "./_state.ts";
import { StatusLine } from "./_StatusLine.tsx";
import { submit as submitAnswer } from "./_submit.ts";

// The pages (routes/feedback/[id].tsx, the 503 page of routes/_404.tsx) and the tests know the
// island by this file alone.
export { AnswerSummary } from "./_AnswerSummary.tsx";
export { formatRemaining } from "./_countdown.ts";
export { Gallery } from "./_Gallery.tsx";
export {
  type AnswerDraft,
  type AnswerView,
  type FeedbackAppMessages,
  type FeedbackAppProps,
  type PageImage,
} from "./_props.ts";

/** The feedback island. */
export default function FeedbackApp(props: FeedbackAppProps): JSX.Element {
  const t = props.messages;
  // Props never change after hydration: the state is made once, from the server's render.
  const state = useMemo(() => createFeedbackState(props), []);
  const { pending, selected, text, error, busy } = state;
  const values = answerErrorValues(props);
  const attachments = useMemo(
    () =>
      createAttachments(
        { max: props.maxImages, maxBytes: props.maxImageBytes },
        // Said, not focused: the human may be typing, and the alert region speaks anyway.
        ({ key, name }) => error.value = format(t[key], { ...values, name }),
      ),
    [],
  );
  const headingRef = useRef<HTMLHeadingElement>(null);
  const zone = useRef<HTMLElement>(null);
  const dragging = useSignal(false);
  const mounted = useRef(false);
  const submit = () => submitAnswer(state, props, attachments);

  // At the deadline, ask the server what happened: the page turns even when the socket is down.
  const { remaining, syncWithServer } = useCountdown({
    expiresAt: props.expiresAt,
    renderedAt: props.renderedAt,
    running: pending,
    onDeadline: () => state.turnTo("expired"),
  });

  useStoredDraft(props.sessionId, { selectedOptions: selected, freeText: text }, {
    // A rejected no-JS post sent what the human entered; that wins over an older draft.
    restore: pending.peek() && !props.error,
    keep: pending,
    onRestore: (stored) => {
      selected.value = stored.selectedOptions.filter((o) => props.options.includes(o));
      if (props.allowFreeText) text.value = stored.freeText;
    },
  });

  const connection = useLiveStatus(props.sessionId, {
    active: pending,
    onServerTime: syncWithServer,
    onStatus: state.onLiveStatus,
  });

  useImageIntake({
    active: useComputed(() => pending.value && props.maxImages > 0),
    // Not while an answer is going: it is sent as it was when the button was pressed.
    accepting: useComputed(() => !busy.value),
    zone,
    dragging,
    onFiles: attachments.add,
  });
  // The previews' memory goes with the form (what was sent stays on the thank-you view) …
  useSignalEffect(() => void (pending.value || attachments.clear()));
  // … and all of it with the island (the inbox drops an item's island).
  useEffect(() => attachments.dispose, []);

  useShortcuts({
    active: pending,
    options: props.options,
    onSubmit: submit,
    onToggle: state.toggle,
  });

  // A view change made here (not the first render) moves focus to the new view's heading.
  useEffect(() => {
    if (mounted.current && !pending.peek()) headingRef.current?.focus();
    mounted.current = true;
  }, [state.status.value, state.sentHere.value]);

  const announcer = <Announcer announcement={state.announcement.value} toast={state.toast.value} />;

  const gallery = <Gallery images={props.images} label={t.questionImages} messages={t} />;
  if (!pending.value) {
    return (
      <>
        {gallery}
        <Outcome
          status={state.status.value}
          sentHere={state.sentHere.value}
          answer={state.answer.value}
          messages={t}
          headingRef={headingRef}
        >
          {announcer}
        </Outcome>
      </>
    );
  }

  const hasOptions = props.options.length > 0;
  return (
    <>
      {gallery}
      <section
        class="answer"
        data-view="form"
        ref={zone}
        data-dragging={dragging.value ? "" : undefined}
      >
        <StatusLine remaining={remaining} connection={connection} messages={t} />
        <form
          method="post"
          action={`/feedback/${props.sessionId}`}
          // Without JavaScript the file input posts its files; with it, the island sends JSON.
          enctype={props.maxImages > 0 ? "multipart/form-data" : undefined}
          class="form"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          {hasOptions && (
            <fieldset class="options">
              <legend>{props.multiSelect ? t.optionsLegendMulti : t.optionsLegendSingle}</legend>
              {props.options.map((option, index) => (
                <label class="option" key={option}>
                  <input
                    type={props.multiSelect ? "checkbox" : "radio"}
                    name="selectedOptions"
                    value={option}
                    checked={selected.value.includes(option)}
                    onClick={(event) => {
                      // Radios cannot be unticked natively; a second click on one clears it.
                      if (!props.multiSelect && selected.peek().includes(option)) {
                        event.preventDefault();
                      }
                      state.toggle(option);
                    }}
                  />
                  <span class="option-text">{option}</span>
                  {index < 9 && <kbd class="key" aria-hidden="true">{index + 1}</kbd>}
                </label>
              ))}
            </fieldset>
          )}
          {props.allowFreeText && (
            <FreeTextField
              value={text.value}
              hasOptions={hasOptions}
              maxLength={props.maxFreeTextLength}
              messages={t}
              onInput={(value) => state.edit(value)}
            />
          )}
          {/* After the text fields: a no-JS post over its cap still carries them first. */}
          {props.maxImages > 0 && (
            <ImagePicker
              attachments={attachments}
              busy={busy.value}
              values={values}
              messages={t}
            />
          )}
          <div class="error" role="alert" ref={state.errorRef} tabIndex={-1}>{error.value}</div>
          <div class="actions">
            <button
              type="submit"
              class="primary"
              disabled={busy.value}
              aria-busy={busy.value ? "true" : undefined}
            >
              {busy.value ? t.sending : t.submit}
            </button>
            <p class="hint">{t.shortcutHint}</p>
          </div>
        </form>
        {announcer}
      </section>
    </>
  );
}
