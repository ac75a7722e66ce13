/** Step 3: what the dry run found, row by row in summary (created, linked, rejected, already imported,
 * converted), the first problems and the full report; "Nhập" starts the import. */
import { useState } from "preact/hooks";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { Refusal } from "../leads/shared";
import type { CheckCounts, ImportRecord, ImportsApi } from "./api";
import { dict } from "./i18n";

const COUNTS: readonly (keyof CheckCounts)[] = ["created", "linked", "rejected", "already_imported", "converted"];
const FIRST_PROBLEMS = 20;

export function Counts(props: { counts: Partial<CheckCounts>; label: string }) {
  const t = useT(dict);
  const fmt = useFormat();
  return (
    <dl class="import-counts" aria-label={props.label}>
      {COUNTS.map((k) => (
        <div key={k} class={`count-${k}`}>
          <dt>{t(`count.${k}`)}</dt>
          <dd>{fmt.number(props.counts[k] ?? 0)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ReportLink(props: { url: string | null | undefined }) {
  const t = useT(dict);
  return props.url ? (
    <p>
      <a href={props.url} download>
        {t("report")}
      </a>
    </p>
  ) : null;
}

export function DryRunResult(props: {
  record: ImportRecord;
  imports: ImportsApi;
  onRecord: (r: ImportRecord) => void;
  onRemap: () => void;
}) {
  const t = useT(dict);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const problems = (props.record.problems ?? []).slice(0, FIRST_PROBLEMS);
  const start = async () => {
    setBusy(true);
    setFailure(null);
    try {
      props.onRecord(await props.imports.start(props.record.import_id));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="import-check">
      <Counts counts={props.record.check ?? {}} label={t("counts")} />
      <h3>{t("problems")}</h3>
      {problems.length ? (
        <div class="table-wrap">
          <table aria-label={t("problemsLabel")}>
            <thead>
              <tr>
                <th scope="col">{t("row")}</th>
                <th scope="col">{t("field")}</th>
                <th scope="col">{t("message")}</th>
              </tr>
            </thead>
            <tbody>
              {problems.map((p, i) => (
                <tr key={`${p.row}:${p.field}:${i}`}>
                  <td>{p.row}</td>
                  <td>{p.field}</td>
                  <td>{p.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">{t("noProblems")}</p>
      )}
      <ReportLink url={props.record.report_url} />
      {failure ? <Refusal error={failure} /> : null}
      <div class="wizard-actions">
        <button type="button" class="secondary" onClick={props.onRemap} disabled={busy}>
          {t("remap")}
        </button>
        <button type="button" class="primary" onClick={() => void start()} disabled={busy}>
          {t("start")}
        </button>
      </div>
    </div>
  );
}
