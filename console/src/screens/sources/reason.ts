/** A submission's stored reason in the reader's language (check names included). */
import { translate, type Lang } from "../../i18n";
import { dict } from "./i18n";
import { checksIn, reasonOf } from "./logic";

export function reasonWords(lang: Lang, reason: string | null | undefined): string {
  const t = translate(dict, lang);
  const { key, detail } = reasonOf(reason);
  const named = key === "reason.released" ? checksIn(detail).map((c) => t(`check.${c}` as "check.origin")).join(", ") : detail;
  return t(key, { detail: named || detail });
}
