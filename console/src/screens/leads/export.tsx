/** "Xuất Excel" on the lead list (admins and team leads): the current filters to an .xlsx or .csv made in
 * the background, followed until done with its download link, and the export history (the audit). */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useLang, useT } from "../../i18n";
import { usePoll } from "../../polling";
import { useApi } from "../../session";
import { TableRegion, useLoad } from "../../ui";
import {
  EXPORT_FORMATS,
  EXPORT_LANGUAGES,
  exportable,
  exportRequest,
  exportSettled,
  filterParts,
  type ExportFormat,
  type ExportLanguage,
} from "./exporting";
import { exportDict } from "./i18n-export";
import type { Filters } from "./logic";
import { Refusal, type Directory } from "./shared";

type Export = Schemas["Export"];

export function ExportPanel(props: { filters: Filters; dir: Directory }) {
  const t = useT(exportDict);
  const api = useApi();
  const fmt = useFormat();
  const [format, setFormat] = useState<ExportFormat>("xlsx");
  // The headers in the console's language unless chosen otherwise.
  const [language, setLanguage] = useState<ExportLanguage>(useLang());
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [exportId, setExportId] = useState<string | null>(null);
  const [showHistory, setShowHistory] = useState(false);
  const followed = usePoll(
    exportId,
    async () => ok(await api.GET("/leads/exports/{export_id}", { params: { path: { export_id: exportId ?? "" } } })),
    exportSettled,
  );
  const can = exportable(props.filters);

  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = exportRequest(props.filters, fmt.timeZone, format, language);
      const made = ok(await api.POST("/leads/exports", { body }));
      setExportId(made.export_id);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="lead-export" id="lead-export" aria-labelledby="lead-export-title">
      <h2 id="lead-export-title">{t("panel")}</h2>
      <p class="muted">{t("hint", { zone: fmt.timeZone })}</p>
      {can ? null : <p class="note error">{t("notExportable")}</p>}
      <form class="export-form" onSubmit={start}>
        <label>
          {t("format")}
          <select value={format} onChange={(e) => setFormat(e.currentTarget.value as ExportFormat)}>
            {EXPORT_FORMATS.map((f) => (
              <option key={f} value={f}>
                {t(`format.${f}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("language")}
          <select value={language} onChange={(e) => setLanguage(e.currentTarget.value as ExportLanguage)}>
            {EXPORT_LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {t(`language.${l}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy || !can}>
          {busy ? t("starting") : t("start")}
        </button>
      </form>
      {failure ? <Refusal error={failure} /> : null}
      {followed.error ? <Refusal error={followed.error} onReload={followed.restart} /> : null}
      {followed.data ? <ExportState detail={followed.data} /> : null}
      <button
        type="button"
        class="secondary"
        aria-expanded={showHistory}
        aria-controls="export-history"
        onClick={() => setShowHistory((s) => !s)}
      >
        {showHistory ? t("hideHistory") : t("showHistory")}
      </button>
      {showHistory ? (
        <ExportHistory dir={props.dir} refresh={`${exportId}:${followed.data?.export.status ?? ""}`} />
      ) : null}
    </section>
  );
}

/** Where the export is: waiting, running, done (with the link) or failed (with the reason). */
function ExportState(props: { detail: Schemas["ExportDetail"] }) {
  const t = useT(exportDict);
  const fmt = useFormat();
  const { export: made, download_url: url } = props.detail;
  const status = made.status ?? "queued";
  return (
    <div class={`export-state export-${status}`}>
      <p role="status">
        <strong>{t(`status.${status}`)}</strong>
        {status === "done" ? <> {t("doneRows", { n: fmt.number(made.rows ?? 0) })}</> : null}
      </p>
      {status === "queued" || status === "running" ? <progress aria-label={t("progress")} /> : null}
      {status === "done" && url ? (
        <p>
          <a class="button primary" href={url} download>
            {t("download", { format: made.format })}
          </a>{" "}
          <span class="muted">{t("linkNote")}</span>
        </p>
      ) : null}
      {status === "failed" ? (
        <p class="note error" role="alert">
          {t("failed", { reason: made.error || t("unknownReason") })}
        </p>
      ) : null}
    </div>
  );
}

/** The exports made (GET /leads/exports): who, when, which filters, how many rows, where it stands. */
function ExportHistory(props: { dir: Directory; refresh: string }) {
  const t = useT(exportDict);
  const c = useT(common);
  const api = useApi();
  const fmt = useFormat();
  const list = useLoad(async () => ok(await api.GET("/leads/exports", { params: { query: { limit: 20 } } })), [
    props.refresh,
  ]);
  const [links, setLinks] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const fresh = async (made: Export) => {
    setFailure(null);
    try {
      const detail = ok(
        await api.GET("/leads/exports/{export_id}", { params: { path: { export_id: made.export_id } } }),
      );
      if (detail.download_url) setLinks((l) => ({ ...l, [made.export_id]: detail.download_url ?? "" }));
    } catch (error) {
      setFailure(error);
    }
  };
  const who = (made: Export) => {
    const by = made.requested_by;
    const role = c(`role.${by.role}`);
    return by.staff_id ? `${props.dir.name(by.staff_id)} · ${role}` : role;
  };
  const partValue = (key: string, value: string) =>
    key === "status"
      ? c(`status.${value as Schemas["LeadStatus"]}`)
      : key === "assignee"
        ? props.dir.name(value)
        : key === "received_from" || key === "received_to"
          ? fmt.dateTime(value)
          : value;
  const items = list.data?.items ?? [];
  return (
    <div id="export-history" class="export-history">
      <h3>{t("history")}</h3>
      {list.error ? <Refusal error={list.error} onReload={list.reload} /> : null}
      {failure ? <Refusal error={failure} /> : null}
      {list.loading && !list.data ? <p class="muted">{c("loading")}</p> : null}
      {list.data && items.length === 0 ? <p class="muted">{t("noExports")}</p> : null}
      {items.length ? (
        <TableRegion label={t("historyLabel")}>
          <table aria-label={t("historyLabel")}>
            <thead>
              <tr>
                <th scope="col">{t("when")}</th>
                <th scope="col">{t("who")}</th>
                <th scope="col">{t("filter")}</th>
                <th scope="col">{t("file")}</th>
                <th scope="col">{t("rows")}</th>
                <th scope="col">{t("status")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((made) => {
                const parts = filterParts(made.filters);
                const status = made.status ?? "queued";
                return (
                  <tr key={made.export_id}>
                    <td>{fmt.dateTime(made.requested_at)}</td>
                    <td>{who(made)}</td>
                    <td>
                      {parts.length
                        ? parts.map((p) => `${t(`filter.${p.key}`)}: ${partValue(p.key, p.value)}`).join("; ")
                        : t("noFilter")}
                    </td>
                    <td>
                      {made.format} · {t(`language.${made.language ?? "vi"}`)}
                    </td>
                    <td>{made.rows == null ? "—" : fmt.number(made.rows)}</td>
                    <td>
                      {t(`status.${status}`)}
                      {status === "failed" && made.error ? ` (${made.error})` : null}
                      {status === "done" ? (
                        links[made.export_id] ? (
                          <>
                            {" "}
                            <a href={links[made.export_id]} download>
                              {t("download", { format: made.format })}
                            </a>
                          </>
                        ) : (
                          <>
                            {" "}
                            <button type="button" class="link" onClick={() => void fresh(made)}>
                              {t("fresh")}
                            </button>
                          </>
                        )
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </div>
  );
}
