/**
 * Keeps what the human typed in `sessionStorage`, per session, so a reload (a language switch is
 * a plain link) loses nothing. Storage may be blocked or hold garbage: drafts are a convenience,
 * so every failure just means "no draft".
 * @module
 */
import { useEffect, useRef } from "preact/hooks";
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

/** What {@link useStoredDraft} needs. */
export interface StoredDraftOptions {
  /** Restore only when true: the form is shown, and the server sent no draft of its own. */
  restore: boolean;
  /** Keep only when true (while pending); otherwise the stored draft is dropped. */
  keep: boolean;
  /** Called once with the stored draft, if there is one. */
  onRestore: (draft: AnswerDraft) => void;
}

/** Restores the stored draft of `sessionId` on mount, then stores `draft` as it changes. */
export function useStoredDraft(
  sessionId: string,
  draft: AnswerDraft,
  options: StoredDraftOptions,
): void {
  const restored = useRef(false);

  useEffect(() => {
    if (!options.restore) return;
    const stored = readStoredDraft(sessionId);
    if (stored) options.onRestore(stored);
  }, []);

  useEffect(() => {
    // Store only what changes here: the first run still holds the server's draft.
    if (!restored.current) {
      restored.current = true;
      return;
    }
    const { selectedOptions, freeText } = draft;
    storeDraft(
      sessionId,
      options.keep && (selectedOptions.length || freeText) ? draft : null,
    );
  }, [draft.selectedOptions, draft.freeText, options.keep]);
}
