/**
 * The theme switch. Without JavaScript it is two links (`?theme=dark`, `?theme=light`; the
 * server remembers the choice in a cookie) of which CSS shows the one that makes sense for the
 * theme in effect, including the device's own preference. Hydrated, it switches at once without
 * a reload (so nothing typed is lost) and writes the same cookie.
 * @module
 */
import type { JSX } from "preact";

/** Props of {@link ThemeToggle}. */
export interface ThemeToggleProps {
  toDark: string;
  toLight: string;
  /** Add `Secure` to the cookie (the site is served over HTTPS). */
  secure: boolean;
}

const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/** Switches to `theme` in place of following the link (a plain left click only). */
function choose(event: MouseEvent, options: { theme: "light" | "dark"; secure: boolean }) {
  const { theme, secure } = options;
  if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  document.cookie = `theme=${theme}; Path=/; Max-Age=${ONE_YEAR_SECONDS}; SameSite=Lax${
    secure ? "; Secure" : ""
  }`;
  const root = document.documentElement;
  root.dataset.theme = theme;
  document.querySelector('meta[name="color-scheme"]')?.setAttribute("content", theme);
  // The link just used is now hidden; keep keyboard focus on the switch.
  root.querySelector<HTMLElement>(theme === "dark" ? ".theme-light" : ".theme-dark")?.focus();
}

/** The theme switch island. */
export default function ThemeToggle({ toDark, toLight, secure }: ThemeToggleProps): JSX.Element {
  return (
    <span class="theme-toggle">
      <a
        class="icon-button theme-dark"
        href="?theme=dark"
        aria-label={toDark}
        title={toDark}
        onClick={(e) => choose(e, { theme: "dark", secure })}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <path d="M20.5 14.5A8.5 8.5 0 0 1 9.5 3.5a8.5 8.5 0 1 0 11 11Z" />
        </svg>
      </a>
      <a
        class="icon-button theme-light"
        href="?theme=light"
        aria-label={toLight}
        title={toLight}
        onClick={(e) => choose(e, { theme: "light", secure })}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <circle cx="12" cy="12" r="4.5" />
          <path d="M12 1.5v3M12 19.5v3M1.5 12h3M19.5 12h3M4.6 4.6l2.1 2.1M17.3 17.3l2.1 2.1M4.6 19.4l2.1-2.1M17.3 6.7l2.1-2.1" />
        </svg>
      </a>
    </span>
  );
}
