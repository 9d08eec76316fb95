/**
 * Keeps what the human typed in `sessionStorage`, per session, so a reload (a language switch is
 * a plain link) loses nothing. Storage may be blocked or hold garbage: drafts are a convenience,
 * so every failure just means "no draft".
 * @module
 */
import { effect, type ReadonlySignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { AnswerDraft } from "./_props.ts";

const DRAFT_PREFIX = "feedback-draft:";

function readStoredDraft(sessionId: string): AnswerDraft | null {
  try {
    const raw = sessionStorage.getItem(DRAFT_PREFIX + sessionId);
    const value = raw ? JSON.parse(raw) : null;
    if (
      value && Array.isArray(value.selectedOptions) && typeof value.freeText === "string" &&
      value.selectedOptions.every((o: unknown) => typeof o === "string")
    ) return value;
  } catch { /* storage blocked or garbage: no draft */ }
  return null;
}

function storeDraft(sessionId: string, draft: AnswerDraft | null): void {
  try {
    if (draft) sessionStorage.setItem(DRAFT_PREFIX + sessionId, JSON.stringify(draft));
    else sessionStorage.removeItem(DRAFT_PREFIX + sessionId);
  } catch { /* storage blocked: drafts are a convenience */ }
}

/** The form's fields that are kept. */
export interface DraftSignals {
  selectedOptions: ReadonlySignal<string[]>;
  freeText: ReadonlySignal<string>;
}

/** What {@link useStoredDraft} needs. */
export interface StoredDraftOptions {
  /** Restore only when true: the form is shown, and the server sent no draft of its own. */
  restore: boolean;
  /** Keep only while true (while pending); otherwise the stored draft is dropped. */
  keep: ReadonlySignal<boolean>;
  /** Called once with the stored draft, if there is one. */
  onRestore: (draft: AnswerDraft) => void;
}

/** Restores the stored draft of `sessionId` on mount, then stores `draft` as it changes. */
export function useStoredDraft(
  sessionId: string,
  draft: DraftSignals,
  options: StoredDraftOptions,
): void {
  useEffect(() => {
    const stored = options.restore ? readStoredDraft(sessionId) : null;
    if (stored) options.onRestore(stored);
    // The server's draft is not stored until it changes; a restored one is (as the form took it).
    let unchanged = !stored;
    // A plain effect, not `useSignalEffect`: it stores on the change itself, not a frame later,
    // so a link followed right after typing (the language switch) loses nothing.
    return effect(() => {
      const selectedOptions = draft.selectedOptions.value;
      const freeText = draft.freeText.value;
      const keep = options.keep.value;
      if (unchanged) {
        unchanged = false;
        return;
      }
      storeDraft(
        sessionId,
        keep && (selectedOptions.length || freeText) ? { selectedOptions, freeText } : null,
      );
    });
  }, []);
}
