/**
 * Images as the page shows them: the question's (large) and an answer's (thumbnails). Each is a
 * link to the image itself, so without JavaScript a tap opens it full size in a new tab; once the
 * island runs, a tap enlarges it in a `<dialog>` instead (closed by any tap, the close button or
 * Escape). `width` and `height` are always set, so the page does not jump as images load. The
 * answer this page just sent shows from its previews in memory: no empty boxes while the same
 * bytes come back from the server.
 * @module
 */
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import { format } from "../lib/i18n.ts";
import type { FeedbackAppMessages, ShownImage } from "./_props.ts";

/** What {@link Gallery} shows. */
export interface GalleryProps {
  images: ShownImage[];
  /** The list's accessible name. */
  label: string;
  /** Thumbnails (an answer's) rather than the question's large images. */
  small?: boolean;
  messages: FeedbackAppMessages;
}

/** The images as a list of links, and the dialog that enlarges one. */
export function Gallery({ images, label, small, messages: t }: GalleryProps): JSX.Element | null {
  const dialog = useRef<HTMLDialogElement>(null);
  const [shown, show] = useState<number | null>(null);
  if (images.length === 0) return null;
  const alt = (i: number) =>
    images[i].alt ?? format(t.imageAlt, { n: i + 1, count: images.length });
  const big = shown === null ? null : images[shown];
  return (
    <div class={small ? "gallery small" : "gallery"}>
      <ul aria-label={label}>
        {images.map((image, i) => (
          <li key={image.id}>
            <a
              href={image.url}
              target="_blank"
              onClick={(event) => {
                // A new tab when asked for one (modifier keys, middle click), the dialog otherwise.
                if (event.ctrlKey || event.metaKey || event.shiftKey || !dialog.current) return;
                event.preventDefault();
                show(i);
                dialog.current.showModal();
              }}
            >
              <img
                src={image.preview ?? image.url}
                alt={alt(i)}
                width={image.width}
                height={image.height}
                // The question's first image is in view at once: only the others wait.
                loading={small || i > 0 ? "lazy" : undefined}
                decoding="async"
              />
            </a>
          </li>
        ))}
      </ul>
      <dialog
        ref={dialog}
        class="lightbox"
        aria-label={big ? alt(shown!) : undefined}
        onClick={() => dialog.current?.close()}
        onClose={() => show(null)}
      >
        {big && (
          <img
            src={big.preview ?? big.url}
            alt={alt(shown!)}
            width={big.width}
            height={big.height}
          />
        )}
        <button type="button" class="lightbox-close" aria-label={t.imageClose}>×</button>
      </dialog>
    </div>
  );
}
