/** Vietnamese first, English on a switch. Each screen keeps its own dictionary next to it
 * (`screens/<name>/i18n.ts`, built with `dictionary`); the type makes a key missing in English a compile
 * error, and tests/i18n.test.ts fails on an empty or missing translation in any dictionary. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export type Lang = "vi" | "en";
export const LANGS: readonly Lang[] = ["vi", "en"];

export interface Dictionary<K extends string> {
  vi: Record<K, string>;
  en: Record<K, string>;
}

/** Every dictionary made, for tests/i18n.test.ts. */
export const DICTIONARIES: Dictionary<string>[] = [];

/** A screen's strings: Vietnamese is the reference, English must have exactly the same keys. */
export function dictionary<const V extends Record<string, string>>(
  vi: V,
  en: { [K in keyof V]: string },
): Dictionary<Extract<keyof V, string>> {
  const made = { vi, en } as Dictionary<Extract<keyof V, string>>;
  DICTIONARIES.push(made as Dictionary<string>);
  return made;
}

export const LangContext = createContext<{ lang: Lang; setLang: (lang: Lang) => void }>({
  lang: "vi",
  setLang: () => undefined,
});

/** `{name}` placeholders filled from `params`. */
export function fill(text: string, params?: Record<string, string | number>): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

export function translate<K extends string>(dict: Dictionary<K>, lang: Lang) {
  return (key: K, params?: Record<string, string | number>): string => fill(dict[lang][key], params);
}

/** `const t = useT(dict)` then `t("key", {n: 3})`. */
export function useT<K extends string>(dict: Dictionary<K>) {
  const { lang } = useContext(LangContext);
  return translate(dict, lang);
}

export function useLang(): Lang {
  return useContext(LangContext).lang;
}

const STORED = "leadrouter.lang";
export function storedLang(): Lang {
  const saved = globalThis.localStorage?.getItem(STORED);
  return saved === "en" ? "en" : "vi";
}
export function storeLang(lang: Lang): void {
  globalThis.localStorage?.setItem(STORED, lang);
  document.documentElement.lang = lang;
}
