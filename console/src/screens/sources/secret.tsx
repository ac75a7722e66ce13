/** A new source secret on demand: shown once, with a warning; the old one stops working. */
import { useState } from "preact/hooks";
import { ok } from "../../api/client";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote } from "../../ui";
import { dict } from "./i18n";

export function SecretRotation(props: { source: { source_id: string; has_secret: boolean } }) {
  const t = useT(dict);
  const api = useApi();
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const rotate = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const issued = ok(
        await api.POST("/form-sources/{source_id}/secret", { params: { path: { source_id: props.source.source_id } } }),
      );
      setSecret(issued.source_secret);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card secret" aria-labelledby="src-secret-title">
      <h2 id="src-secret-title">{t("secretTitle")}</h2>
      <p>{props.source.has_secret || secret ? t("hasSecret") : t("noSecret")}</p>
      <p class="muted">{t("sourceSecretHint")}</p>
      {secret ? (
        <div class="note warn" role="status">
          <div>
            <p>{t("rotated")}</p>
            <p>
              <code data-testid="new-secret">{secret}</code>
            </p>
            <p>
              <strong>{t("rotatedWarning")}</strong>
            </p>
          </div>
        </div>
      ) : null}
      {failure ? <ErrorNote error={failure} /> : null}
      <button type="button" onClick={rotate} disabled={busy}>
        {busy ? t("rotating") : t("rotate")}
      </button>
    </section>
  );
}
