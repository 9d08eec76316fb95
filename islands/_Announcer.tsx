/**
 * Announces view changes. Screen readers hear the text from a polite live region that stays in
 * place (a region added with its text is often not read); news from elsewhere is also shown as a
 * toast, which is hidden from screen readers so it is not heard twice.
 * @module
 */
import type { JSX } from "preact";

/** The live region, and the toast when `toast` is set. */
export function Announcer(
  { announcement, toast }: { announcement: string; toast: boolean },
): JSX.Element {
  return (
    <>
      <p class="visually-hidden" role="status" aria-live="polite">{announcement}</p>
      {toast && announcement && (
        // Keyed by its text, so a new message restarts the toast's animation.
        <p class="toast" aria-hidden="true" key={announcement}>{announcement}</p>
      )}
    </>
  );
}
