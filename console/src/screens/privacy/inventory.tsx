/** "Bảng kê xử lý dữ liệu": the processing inventory as tables, and its CSV (UTF-8 with BOM, for Excel). */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ok } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote, Loading, Page, TableRegion, useLoad } from "../../ui";
import { dict } from "./i18n";
import { Tabs, download } from "./shared";

export function Inventory() {
  const t = useT(dict);
  const c = useT(common);
  const fmt = useFormat();
  const api = useApi();
  const loaded = useLoad(async () => ok(await api.GET("/privacy/inventory")), []);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const csv = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const text = ok(
        await api.GET("/privacy/inventory", { params: { query: { format: "csv" } }, parseAs: "text" }),
      );
      // Reading the answer as text drops its byte-order mark, which Excel needs to read UTF-8: put it back.
      const csvText = String(text).startsWith("\uFEFF") ? String(text) : `\uFEFF${String(text)}`;
      download(`leadrouter-inventory-${new Date().toISOString().slice(0, 10)}.csv`, csvText, "text/csv;charset=utf-8");
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const inv = loaded.data && typeof loaded.data === "object" ? loaded.data : undefined;
  const yesNo = (v: boolean) => (v ? c("yes") : c("no"));
  return (
    <Page
      title={t("tab.inventory")}
      actions={
        <button type="button" class="primary" disabled={busy} onClick={() => void csv()}>
          {t("downloadCsv")}
        </button>
      }
    >
      <Tabs current="inventory" />
      <p class="muted">{t("inventoryIntro")}</p>
      <p class="muted">{t("notLegalAdvice")}</p>
      {failure ? <ErrorNote error={failure} /> : null}
      {loaded.error ? <ErrorNote error={loaded.error} onReload={loaded.reload} /> : null}
      {!inv ? (
        loaded.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <dl class="pv-facts">
            <dt>{t("controller")}</dt>
            <dd>
              {inv.tenant_name} — {inv.controller}
            </dd>
            <dt>{t("processor")}</dt>
            <dd>{inv.processor ?? "leadrouter"}</dd>
            <dt>{t("hostingRegion")}</dt>
            <dd>{inv.hosting_region}</dd>
            <dt>{t("generatedAt")}</dt>
            <dd>{fmt.dateTime(inv.generated_at)}</dd>
          </dl>
          <Table
            id="pv-inv-categories"
            title={t("categories")}
            head={[t("category"), t("data"), t("heldIn"), t("retentionDays"), t("note")]}
            rows={inv.categories.map((x) => [
              x.category,
              x.data,
              x.held_in,
              x.retention_days == null ? t("untilAccountEnds") : fmt.number(x.retention_days),
              x.note ?? "",
            ])}
          />
          <Table
            id="pv-inv-purposes"
            title={t("purposes")}
            head={[t("key"), t("label"), t("version")]}
            rows={inv.purposes.map((x) => [x.key, x.label, x.notice_version])}
          />
          <Table
            id="pv-inv-sources"
            title={t("sources")}
            head={[t("name"), t("kind"), t("channel"), t("active")]}
            rows={inv.sources.map((x) => [x.name, x.kind, x.channel, yesNo(x.active)])}
          />
          <Table
            id="pv-inv-retention"
            title={t("retention")}
            head={[t("setting"), t("value")]}
            rows={Object.entries(inv.retention).map(([k, v]) => [k, typeof v === "boolean" ? yesNo(v) : fmt.number(v)])}
          />
          <Table
            id="pv-inv-recipients"
            title={t("recipients")}
            head={[t("host"), t("country"), t("active")]}
            rows={inv.recipients.map((x) => [x.host, x.country, yesNo(x.active)])}
          />
          <Table
            id="pv-inv-transfers"
            title={t("transfers")}
            head={[t("destination"), t("country"), t("reason")]}
            rows={inv.transfers.map((x) => [x.destination, x.country, x.reason])}
          />
          <Table
            id="pv-inv-sub"
            title={t("subProcessors")}
            head={[t("name"), t("role"), t("country")]}
            rows={inv.sub_processors.map((x) => [x.name, x.role, x.country])}
          />
        </>
      )}
    </Page>
  );
}

function Table(props: { id: string; title: string; head: string[]; rows: ComponentChildren[][] }) {
  const t = useT(dict);
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p class="muted">{t("noneListed")}</p>
      ) : (
        <TableRegion labelledBy={props.id}>
          <table aria-labelledby={props.id}>
            <thead>
              <tr>
                {props.head.map((h) => (
                  <th scope="col" key={h}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) => (
                    <td key={j}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}
