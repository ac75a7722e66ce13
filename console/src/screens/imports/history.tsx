/** Step 5: the past imports (GET /imports), newest first, each opening its own page. */
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { href } from "../../router";
import { TableRegion, useLoad } from "../../ui";
import { Refusal } from "../leads/shared";
import { importProgress, knownStatus, type ImportsApi } from "./api";
import { dict } from "./i18n";

/** Statuses in which rows have been imported: the others show the file's row count, not "0 of N". */
const IMPORTING = new Set(["importing", "cancelled", "done"]);

export function ImportHistory(props: { imports: ImportsApi; refresh: string }) {
  const t = useT(dict);
  const fmt = useFormat();
  const list = useLoad(() => props.imports.list(), [props.refresh]);
  const items = list.data?.items ?? [];
  return (
    <section class="import-history" aria-labelledby="import-history-title">
      <h2 id="import-history-title">{t("history")}</h2>
      {list.error ? <Refusal error={list.error} onReload={list.reload} /> : null}
      {list.data && items.length === 0 ? <p class="muted">{t("noImports")}</p> : null}
      {items.length ? (
        <TableRegion label={t("historyLabel")}>
          <table aria-label={t("historyLabel")}>
            <thead>
              <tr>
                <th scope="col">{t("when")}</th>
                <th scope="col">{t("fileName")}</th>
                <th scope="col">{t("status")}</th>
                <th scope="col">{t("rows")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.import_id}>
                  <td>{fmt.dateTime(r.requested_at)}</td>
                  <td>
                    <a href={href("imports", r.import_id)} aria-label={t("open", { file: r.file_name })}>
                      {r.file_name}
                    </a>
                  </td>
                  <td>{knownStatus(r.status) ? t(`status.${r.status}`) : r.status}</td>
                  <td>
                    {!r.total_rows
                      ? "—"
                      : IMPORTING.has(r.status)
                        ? t("rowsDone", {
                            done: fmt.number(importProgress(r).done),
                            total: fmt.number(importProgress(r).total),
                          })
                        : fmt.number(r.total_rows)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}
