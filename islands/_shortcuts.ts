/**
 * Keyboard shortcuts of the feedback form: Ctrl/Cmd+Enter submits from anywhere; keys 1–9 toggle
 * the matching option, except while the human is typing (and never during IME composition, so
 * Chinese input is safe).
 * @module
 */
import { type ReadonlySignal, useSignalEffect } from "@preact/signals";

/** Where digits are text, not shortcuts. */
const TYPING_TARGETS = "textarea, input:not([type=checkbox]):not([type=radio]), [contenteditable]";

/** What {@link useShortcuts} needs. */
export interface ShortcutOptions {
  /** Listens only while true (while the form is shown). */
  active: ReadonlySignal<boolean>;
  /** The options in order: key 1 is the first. */
  options: string[];
  onSubmit: () => void;
  onToggle: (option: string) => void;
}

/** Listens on the whole document for the form's shortcuts while `options.active`. */
export function useShortcuts(options: ShortcutOptions): void {
  useSignalEffect(() => {
    if (!options.active.value) return;
    const { options: choices, onSubmit, onToggle } = options;
    const onKey = (event: KeyboardEvent) => {
      if (event.isComposing || event.defaultPrevented) return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        onSubmit();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest(TYPING_TARGETS)) return;
      const option = choices[Number(event.key) - 1];
      if (option === undefined) return;
      event.preventDefault();
      onToggle(option);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });
}
