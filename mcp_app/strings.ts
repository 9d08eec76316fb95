/**
 * The strings of the inline form, in both languages: the feedback page's own (the island's list
 * and the default title, from `lib/i18n.ts`, so the form says exactly what the page says) plus the
 * few only an embedded form needs. Read by the build, which writes them into the form's document;
 * the view itself imports the type alone, so no dictionary ships in its script.
 * @module
 */
import { type Lang, LANGS, pickMessages } from "../lib/i18n.ts";
import { FEEDBACK_APP_MESSAGES } from "../islands/feedback_app_messages.ts";

/** The page strings the form reuses. */
const PAGE_KEYS = [...FEEDBACK_APP_MESSAGES, "defaultTitle"] as const;

/** Strings only the inline form shows (nothing the page says already). */
const FORM_ONLY = {
  en: {
    formWaiting: "The answer form appears here as soon as the question is ready.",
    formThankYouBody: "Your answer was sent to the agent.",
    formNoQuestion: "There is no question to answer here.",
    formOpenPage: "Open the answer page",
    formRefused: "This form can no longer send answers. Use the answer page instead.",
    formImages: "Images from the agent",
    formImageEnlarge: "Image {n} of {count}: show it larger",
    formImageShrink: "Image {n} of {count}: show it smaller",
    formImageMissing: "This image cannot be shown here. Open the answer page to see it.",
  },
  zh: {
    formWaiting: "问题准备好后，回答表单会显示在这里。",
    formThankYouBody: "你的回答已发送给 AI 助手。",
    formNoQuestion: "这里没有需要回答的问题。",
    formOpenPage: "打开回答页面",
    formRefused: "此表单已无法提交回答，请改用回答页面。",
    formImages: "AI 助手附上的图片",
    formImageEnlarge: "第 {n} 张图片（共 {count} 张）：放大查看",
    formImageShrink: "第 {n} 张图片（共 {count} 张）：缩小",
    formImageMissing: "此图片无法在这里显示，请打开回答页面查看。",
  },
} as const satisfies Record<Lang, Record<string, string>>;

/** Every string of the form. */
export type FormStrings = Record<
  (typeof PAGE_KEYS)[number] | keyof (typeof FORM_ONLY)["en"],
  string
>;

/** The form's strings in each language, as the build writes them into the document. */
export function formStrings(): Record<Lang, FormStrings> {
  return Object.fromEntries(
    LANGS.map((lang) => [lang, { ...pickMessages(lang, PAGE_KEYS), ...FORM_ONLY[lang] }]),
  ) as Record<Lang, FormStrings>;
}
