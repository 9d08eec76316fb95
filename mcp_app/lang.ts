/**
 * The form's language: the host's locale when it is one we speak, else the question's own
 * language, else the browser's, else English.
 * @module
 */
import { type Lang, langFromAcceptLanguage } from "../lib/i18n.ts";

/** Where the form's language may come from, most important first. */
export interface LangSources {
  /** The host's BCP 47 locale (`hostContext.locale`), e.g. `zh-CN`. */
  hostLocale?: string;
  /** The question's language, as the server guessed it. */
  questionLang?: Lang;
  /** `navigator.languages`. */
  browser?: readonly string[];
}

/** The language to show, from {@link LangSources}. */
export function pickLang(sources: LangSources): Lang {
  return langFromAcceptLanguage(sources.hostLocale) ?? sources.questionLang ??
    langFromAcceptLanguage(sources.browser?.join(",")) ?? "en";
}
