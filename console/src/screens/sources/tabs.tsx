/** The screen's two parts: the form sources and the submissions inbox (links: they are places). */
import { useT } from "../../i18n";
import { href } from "../../router";
import { dict } from "./i18n";

export function Tabs(props: { current: "sources" | "inbox" }) {
  const t = useT(dict);
  return (
    <nav class="tabs" aria-label={t("tabs")}>
      <a href={href("sources")} aria-current={props.current === "sources" ? "page" : undefined}>
        {t("tabSources")}
      </a>
      <a href={href("sources", "inbox")} aria-current={props.current === "inbox" ? "page" : undefined}>
        {t("tabInbox")}
      </a>
    </nav>
  );
}
