// Appearance (argo-cd-server.md §5.1 /settings/appearance): light, dark, or the system's choice,
// kept in this browser's localStorage (as Argo keeps it in its view preferences). The theme is
// the `data-theme` attribute of <html>, which the stylesheet's colour variables follow.
export const THEMES = ["light", "dark", "auto"] as const;
export type Theme = (typeof THEMES)[number];
const THEME_KEY = "hawser.theme";

export function storedTheme(): Theme {
  const v = window.localStorage.getItem(THEME_KEY);
  return (THEMES as readonly string[]).includes(v ?? "") ? v as Theme : "light";
}

/** The colours a theme shows now: auto follows the system's dark-mode preference. */
export function effectiveTheme(theme: Theme, systemDark: boolean): "light" | "dark" {
  return theme === "auto" ? (systemDark ? "dark" : "light") : theme;
}

export function applyTheme(theme: Theme = storedTheme()): void {
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = effectiveTheme(theme, dark);
}

export function setTheme(theme: Theme): void {
  window.localStorage.setItem(THEME_KEY, theme);
  applyTheme(theme);
}
