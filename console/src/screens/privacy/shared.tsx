/** What the privacy screens share: their tabs, the modal confirmation (from ui.tsx), a field's errors,
 * a file download and a copy box. */
import { useRef, useState } from "preact/hooks";
import { useT } from "../../i18n";
import { href } from "../../router";
import { dict } from "./i18n";

export const SECTIONS = ["requests", "settings", "dnc", "audit", "inventory"] as const;
export type Section = (typeof SECTIONS)[number];

export function Tabs(props: { current: Section }) {
  const t = useT(dict);
  return (
    <nav class="tabs" aria-label={t("tabs")}>
      {SECTIONS.map((section) => (
        <a
          key={section}
          href={section === "requests" ? href("privacy") : href("privacy", section)}
          aria-current={props.current === section ? "page" : undefined}
        >
          {t(`tab.${section}`)}
        </a>
      ))}
    </nav>
  );
}

export { Confirm } from "../../ui";

export function FieldError(props: { id: string; label: string; messages: string[] }) {
  return (
    <div id={props.id} class="pv-field-error">
      {props.messages.map((message) => (
        <div key={message}>
          {props.label}: {message}
        </div>
      ))}
    </div>
  );
}

/** Save ``text`` as a file (made in the browser: nothing is kept on a server for it). */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Read-only text with a copy button (the consent boxes' HTML, the audit chain's head). */
export function CopyBox(props: { id: string; label: string; hint?: string; value: string; rows?: number }) {
  const t = useT(dict);
  const field = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<"" | "ok" | "failed">("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied("ok");
    } catch {
      field.current?.select();
      setCopied(document.execCommand?.("copy") ? "ok" : "failed");
    }
  };
  return (
    <div class="pv-copy">
      <label for={props.id}>{props.label}</label>
      {props.hint ? (
        <div id={`${props.id}-hint`} class="muted">
          {props.hint}
        </div>
      ) : null}
      <textarea
        id={props.id}
        ref={field}
        readOnly
        rows={props.rows ?? 6}
        class="pv-code"
        spellcheck={false}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        value={props.value}
      />
      <div class="row">
        <button type="button" onClick={() => void copy()}>
          {t("copy")}
        </button>
        <span role="status">{copied === "ok" ? t("copied") : copied === "failed" ? t("copyFailed") : ""}</span>
      </div>
    </div>
  );
}
