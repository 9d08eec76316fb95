/**
 * The form's images: the button that picks them (`<input type=file accept="image/*" multiple>`,
 * which phones offer with the camera), how many there are of how many allowed, the thumbnails
 * with their remove buttons, and the progress of scaling and uploading. Without JavaScript the
 * same input is a plain field of the multipart form; once the island runs it is hidden behind
 * the button and its files go to `_attachments.ts`.
 * @module
 */
import type { JSX } from "preact";
import { format } from "../lib/i18n.ts";
import type { Attachments } from "./_attachments.ts";
import type { FeedbackAppMessages } from "./_props.ts";

/** What {@link ImagePicker} shows. */
export interface ImagePickerProps {
  attachments: Attachments;
  /** An answer is being sent: nothing is added or removed until it is through. */
  busy: boolean;
  /** `{images}` and `{size}` of the hints. */
  values: Record<string, string | number>;
  messages: FeedbackAppMessages;
}

/** The images part of the form. */
export function ImagePicker(
  { attachments, busy, values, messages: t }: ImagePickerProps,
): JSX.Element {
  const items = attachments.items.value;
  const progress = attachments.progress.value;
  return (
    <div class="attach">
      <div class="attach-bar">
        <label class="attach-add">
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <rect x="3" y="5" width="18" height="14" rx="2" />
            <circle cx="9" cy="10" r="1.5" />
            <path d="m21 16-5-5-8 8" />
          </svg>
          <span>{t.imageAdd}</span>
          <input
            type="file"
            name="images"
            accept="image/*"
            multiple
            disabled={busy}
            onChange={(event) => {
              const input = event.currentTarget;
              attachments.add(input.files ?? []);
              // Emptied, so the same file can be picked again after it was removed.
              input.value = "";
            }}
          />
        </label>
        <span class="attach-count">{format(t.imageCount, { ...values, count: items.length })}</span>
      </div>
      <p class="attach-hint">{format(t.imageHint, values)}</p>
      <p class="attach-hint-nojs">{format(t.imageHintNoJs, values)}</p>
      {items.length > 0 && (
        <ul class="thumbs">
          {items.map((item, i) => (
            <li key={item.url}>
              <img
                src={item.url}
                alt={format(t.imageAttached, { n: i + 1 })}
                width={item.width}
                height={item.height}
              />
              <button
                type="button"
                class="thumb-remove"
                aria-label={format(t.imageRemove, { n: i + 1 })}
                disabled={busy}
                onClick={() => attachments.remove(item)}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <p class="attach-status" role="status">
        {progress !== null
          ? (
            <>
              {t.uploading}
              {/* The bar speaks its own value; the figure beside it is for the eye. */}
              <progress max={1} value={progress} aria-label={t.uploading} />
              <span aria-hidden="true">{Math.round(progress * 100)}%</span>
            </>
          )
          : attachments.preparing.value > 0
          ? t.imagePreparing
          : null}
      </p>
    </div>
  );
}
