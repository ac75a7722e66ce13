/** Step 4: the import running (rows done of all, an accessible progress bar), stopped and resumed, and
 * its summary once done. */
import { useState } from "preact/hooks";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { Refusal } from "../leads/shared";
import { importProgress, type ImportRecord, type ImportsApi } from "./api";
import { dict } from "./i18n";
import { Counts, Problems, ReportLink } from "./result";

export function Importing(props: { record: ImportRecord; imports: ImportsApi; onRecord: (r: ImportRecord) => void }) {
  const t = useT(dict);
  const fmt = useFormat();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const { record } = props;
  const progress = importProgress(record);
  const act = (call: (id: string) => Promise<ImportRecord>) => async () => {
    setBusy(true);
    setFailure(null);
    try {
      props.onRecord(await call(record.import_id));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const done = record.status === "done";
  return (
    <div class="import-run">
      <div class="import-progress">
        <label for="import-progress">{t("importProgress")}</label>
        <progress id="import-progress" value={progress.done} max={progress.total || 1} />
        <span role="status">
          {t("rowsDone", { done: fmt.number(progress.done), total: fmt.number(progress.total) })}
        </span>
      </div>
      {record.status === "cancelled" ? <p class="note">{t("cancelled")}</p> : null}
      {failure ? <Refusal error={failure} /> : null}
      {record.status === "importing" ? (
        <button type="button" class="danger" onClick={act(props.imports.cancel)} disabled={busy}>
          {t("cancel")}
        </button>
      ) : null}
      {record.status === "cancelled" ? (
        <button type="button" class="primary" onClick={act(props.imports.resume)} disabled={busy}>
          {t("resume")}
        </button>
      ) : null}
      {done ? (
        <section aria-labelledby="import-summary">
          <h3 id="import-summary">{t("summary")}</h3>
          <p class="note ok" role="status">
            {t("done")}
          </p>
          <Counts counts={record.imported} label={t("summary")} />
          <Problems record={record} />
          <ReportLink url={record.report_url} />
        </section>
      ) : null}
    </div>
  );
}
