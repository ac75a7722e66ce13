/** Step 3: what the dry run found, row by row in summary (created, linked, rejected, already imported,
 * converted), the first problems and the full report; "Nhập" starts the import. */
import { useState } from "preact/hooks";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { TableRegion } from "../../ui";
import { Refusal } from "../leads/shared";
import type { ImportRecord, ImportsApi, StageCounts } from "./api";
import { dict } from "./i18n";

const COUNTS = ["created", "linked", "rejected", "already_imported", "converted"] as const;
const FIRST_PROBLEMS = 20;

export function Counts(props: { counts: Partial<StageCounts> | undefined; label: string }) {
  const t = useT(dict);
  const fmt = useFormat();
  return (
    <dl class="import-counts" aria-label={props.label}>
      {COUNTS.map((k) => (
        <div key={k} class={`count-${k}`}>
          <dt>{t(`count.${k}`)}</dt>
          <dd>{fmt.number(props.counts?.[k] ?? 0)}</dd>
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

/** The first rejected rows (the report has them all): the row as Excel numbers it and why. */
export function Problems(props: { record: ImportRecord }) {
  const t = useT(dict);
  const problems = (props.record.problems ?? []).slice(0, FIRST_PROBLEMS);
  return problems.length ? (
    <TableRegion label={t("problemsLabel")}>
      <table aria-label={t("problemsLabel")}>
        <thead>
          <tr>
            <th scope="col">{t("row")}</th>
            <th scope="col">{t("reasons")}</th>
          </tr>
        </thead>
        <tbody>
          {problems.map((p) => (
            <tr key={p.row}>
              <td>{p.row}</td>
              <td>{p.reasons.join("; ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  ) : (
    <p class="muted">{t("noProblems")}</p>
  );
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
      <Counts counts={props.record.checked} label={t("counts")} />
      <h3>{t("problems")}</h3>
      <Problems record={props.record} />
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
