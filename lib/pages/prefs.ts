/**
 * The reader's theme and language for one request, and the cookies that remember an explicit
 * choice. Theme: `?theme` > cookie > the device's `prefers-color-scheme` (left to CSS, so the
 * server never guesses and nothing flashes). Language: `?lang` > cookie > `Accept-Language` >
 * English. Values other than the known ones are ignored and never written back.
 * @module
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { type Lang, parseLang, resolveLang } from "../i18n.ts";

/** An explicit theme; `null` means "follow the device". */
export type Theme = "light" | "dark";

/** What a page is rendered with. */
export interface PagePrefs {
  lang: Lang;
  theme: Theme | null;
  /** `Set-Cookie` values for choices made in this request's query. */
  setCookies: string[];
  /** Whether cookies get `Secure` (the public origin is HTTPS). */
  secure: boolean;
}

const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/** A theme named by `value`, or undefined. */
export function parseTheme(value: string | null | undefined): Theme | undefined {
  const v = (value ?? "").trim().toLowerCase();
  return v === "light" || v === "dark" ? v : undefined;
}

/** A year-long cookie holding a preference (`Secure` when the site is served over HTTPS). */
function rememberCookie(name: string, value: string, options: { secure: boolean }): string {
  return `${name}=${value}; Path=/; Max-Age=${ONE_YEAR_SECONDS}; SameSite=Lax${
    options.secure ? "; Secure" : ""
  }`;
}

/** Resolves the preferences of a request. */
export function resolvePrefs(c: Context, publicBaseUrl: string): PagePrefs {
  const secure = publicBaseUrl.startsWith("https:");
  const setCookies: string[] = [];
  const queryTheme = parseTheme(c.req.query("theme"));
  const queryLang = parseLang(c.req.query("lang"));
  if (queryTheme) setCookies.push(rememberCookie("theme", queryTheme, { secure }));
  if (queryLang) setCookies.push(rememberCookie("lang", queryLang, { secure }));
  return {
    theme: queryTheme ?? parseTheme(getCookie(c, "theme")) ?? null,
    lang: resolveLang({
      query: queryLang,
      cookie: getCookie(c, "lang"),
      acceptLanguage: c.req.header("accept-language"),
    }),
    setCookies,
    secure,
  };
}
