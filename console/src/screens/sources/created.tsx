/** A new source, shown once: its form key, action URL and snippet (with a copy button and a preview of
 * the form), and its server secret. Only hashes are stored, so leaving this page loses them. */
import { useRef, useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { useT } from "../../i18n";
import { href } from "../../router";
import { Notice, Page } from "../../ui";
import { dict } from "./i18n";
import { previewDocument } from "./logic";

/** Copies `text`; where the Clipboard API is refused, selects it in `area` (and tries the old command). */
async function copyText(text: string, area: HTMLTextAreaElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    area?.focus();
    area?.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

export function Created(props: { result: Schemas["NewFormSource"] }) {
  const t = useT(dict);
  const { result } = props;
  const area = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <Page title={t("created", { name: result.source.name })}>
      <div class="note warn" role="status">
        {t("onceWarning")}
      </div>
      <dl class="facts">
        <dt>{t("formKey")}</dt>
        <dd>
          <code data-testid="form-key">{result.form_key}</code>
        </dd>
        <dt>{t("actionUrl")}</dt>
        <dd>
          <code>{result.action_url}</code>
        </dd>
      </dl>
      <label for="src-snippet">{t("snippet")}</label>
      <textarea id="src-snippet" class="snippet" readOnly rows={14} spellcheck={false} ref={area} value={result.snippet} />
      <div class="row">
        <button type="button" class="primary" onClick={async () => setCopied(await copyText(result.snippet, area.current))}>
          {t("copy")}
        </button>
        <span role="status" class="muted">
          {copied === true ? t("copied") : copied === false ? t("copyFallback") : ""}
        </span>
      </div>
      <h2>{t("preview")}</h2>
      <p class="muted">{t("previewHint")}</p>
      {/* sandbox with no permission: no script, no form post, an opaque origin (it cannot reach the console) */}
      <iframe class="preview" title={t("previewFrame")} sandbox="" srcdoc={previewDocument(result.snippet)} />
      <h2>{t("sourceSecret")}</h2>
      <p>
        <code data-testid="source-secret">{result.source_secret}</code>
      </p>
      <p class="muted">{t("sourceSecretHint")}</p>
      <Notice>
        <a href={href("sources", result.source.source_id)}>{t("editThis")}</a>
        <a href={href("sources")}>{t("backToList")}</a>
      </Notice>
    </Page>
  );
}
