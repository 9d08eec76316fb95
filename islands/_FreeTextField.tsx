/**
 * The free-text answer with its length counter, as the feedback page and the inline MCP App form
 * both show it (the same ids and classes, so one stylesheet and one set of tests fit both).
 * @module
 */
import type { JSX } from "preact";
import { format } from "../lib/i18n.ts";
import { codePointLength } from "../lib/text.ts";
import type { FeedbackAppMessages } from "./_props.ts";

/** What {@link FreeTextField} shows. */
export interface FreeTextFieldProps {
  value: string;
  /** Options are offered too: a shorter box, and a label that says the text comes with them. */
  hasOptions: boolean;
  /** The most code points the trimmed text may have. */
  maxLength: number;
  messages: Pick<
    FeedbackAppMessages,
    "freeTextLabel" | "freeTextLabelWithOptions" | "counter" | "counterOver"
  >;
  onInput: (value: string) => void;
}

/** The labelled textarea and its counter, which turns into a warning past `maxLength`. */
export function FreeTextField(
  { value, hasOptions, maxLength, messages: t, onInput }: FreeTextFieldProps,
): JSX.Element {
  const count = codePointLength(value.trim());
  const over = count - maxLength;
  return (
    <div class="field">
      <label for="freeText">{hasOptions ? t.freeTextLabelWithOptions : t.freeTextLabel}</label>
      <textarea
        id="freeText"
        name="freeText"
        rows={hasOptions ? 3 : 5}
        aria-describedby="counter"
        aria-invalid={over > 0 ? "true" : undefined}
        value={value}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
      <p id="counter" class={over > 0 ? "counter over" : "counter"}>
        {over > 0 ? format(t.counterOver, { over }) : format(t.counter, { count, max: maxLength })}
      </p>
    </div>
  );
}
