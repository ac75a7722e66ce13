/** "Nhật ký truy cập": the access audit, newest first, a page at a time, filtered by lead or by user;
 * "Kiểm tra tính toàn vẹn" verifies the hash chain (entries checked, or the first broken link). */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote, Loading, Page, TableRegion, useLoad } from "../../ui";
import { dict } from "./i18n";
import { CopyBox, Tabs } from "./shared";

const PAGE = 50;
/** Lead ids shown in a row before "and n more". */
const SHOWN_LEADS = 5;

export function Audit() {
  const t = useT(dict);
  const c = useT(common);
  const fmt = useFormat();
  const api = useApi();
  const [leadId, setLeadId] = useState("");
  const [actor, setActor] = useState("");
  const [filters, setFilters] = useState({ leadId: "", actor: "" });
  // cursors[i] opens page i (page 0: none)
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const pageIndex = cursors.length - 1;
  const listed = useLoad(async () => {
    const query: { limit: number; lead_id?: string; actor?: string; cursor?: string } = { limit: PAGE };
    if (filters.leadId) query.lead_id = filters.leadId;
    if (filters.actor) query.actor = filters.actor;
    const cursor = cursors[pageIndex];
    if (cursor) query.cursor = cursor;
    return ok(await api.GET("/privacy/audit", { params: { query } }));
  }, [filters.leadId, filters.actor, cursors.join("|")]);
  const apply = (e: Event) => {
    e.preventDefault();
    setFilters({ leadId: leadId.trim(), actor: actor.trim() });
    setCursors([null]);
  };
  const items = listed.data?.items;
  return (
    <Page title={t("tab.audit")}>
      <Tabs current="audit" />
      <p class="muted">{t("auditIntro")}</p>
      <Verify />
      <form class="pv-filters" onSubmit={apply} aria-label={c("search")}>
        <label>
          {t("leadId")}
          <input value={leadId} onInput={(e) => setLeadId(e.currentTarget.value)} spellcheck={false} />
        </label>
        <label>
          {t("actor")}
          <input value={actor} onInput={(e) => setActor(e.currentTarget.value)} spellcheck={false} />
        </label>
        <button type="submit">{t("filter")}</button>
      </form>
      {listed.error ? <ErrorNote error={listed.error} onReload={listed.reload} /> : null}
      {!items ? (
        listed.error ? null : (
          <Loading />
        )
      ) : items.length === 0 ? (
        <p class="muted">{t("noEntries")}</p>
      ) : (
        <TableRegion labelledBy="pv-audit-caption">
          <table>
            <caption id="pv-audit-caption" class="pv-visually-hidden">
              {t("entryCount", { n: items.length })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("seq")}</th>
                <th scope="col">{t("at")}</th>
                <th scope="col">{t("action")}</th>
                <th scope="col">{t("who")}</th>
                <th scope="col">{t("leads")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <Row key={entry.seq} entry={entry} when={fmt.dateTime(entry.at)} />
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <nav class="row pv-pager" aria-label={t("paging")}>
        <button type="button" disabled={pageIndex === 0} onClick={() => setCursors((now) => now.slice(0, -1))}>
          {c("previous")}
        </button>
        <span>{t("pageOf", { n: pageIndex + 1 })}</span>
        <button
          type="button"
          disabled={!listed.data?.cursor}
          onClick={() => setCursors((now) => [...now, listed.data?.cursor ?? null])}
        >
          {c("next")}
        </button>
      </nav>
    </Page>
  );
}

function Row(props: { entry: Schemas["AuditEntry"]; when: string }) {
  const t = useT(dict);
  const { entry } = props;
  const leads = entry.lead_ids ?? [];
  const who = [entry.actor.staff_id ?? entry.actor.subject, entry.actor.role].filter(Boolean).join(" · ");
  return (
    <tr>
      <td class="num">{entry.seq}</td>
      <td>{props.when}</td>
      <td>{t(`action.${entry.action}`)}</td>
      <td class="pv-id">{who}</td>
      <td class="pv-id">
        {leads.slice(0, SHOWN_LEADS).join(", ")}
        {leads.length > SHOWN_LEADS ? ` ${t("moreLeads", { n: leads.length - SHOWN_LEADS })}` : ""}
      </td>
    </tr>
  );
}

function Verify() {
  const t = useT(dict);
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Schemas["Verification"] | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const query = from ? { from_seq: from } : {};
      const found = ok(await api.GET("/privacy/audit/verify", { params: { query } }));
      setResult(found);
      setFrom(found.next_from_seq ?? null);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card pv-card" aria-labelledby="pv-verify-title">
      <h2 id="pv-verify-title" class="pv-visually-hidden">
        {t("verify")}
      </h2>
      <button type="button" class="primary" disabled={busy} onClick={() => void run()}>
        {busy ? t("verifying") : t("verify")}
      </button>
      {failure ? <ErrorNote error={failure} /> : null}
      <div role="status">
        {result ? (
          result.ok ? (
            <p class="note ok">{t("intact", { n: result.checked })}</p>
          ) : (
            <p class="note error">
              {t("broken", { seq: result.broken?.seq ?? "—", reason: result.broken?.reason ?? "—" })}
            </p>
          )
        ) : null}
        {result?.next_from_seq ? <p>{t("moreToVerify", { seq: result.next_from_seq })}</p> : null}
      </div>
      {result?.head ? (
        <CopyBox id="pv-head" label={t("head")} value={`${result.head.seq}:${result.head.hash}`} rows={2} />
      ) : null}
    </section>
  );
}
