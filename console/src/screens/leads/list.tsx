/** The list: filters kept in the URL (`#/leads?status=pending&pool=web`), the API's cursor paging,
 * and a mass update that moves the selected leads into a campaign (POST /campaigns/{campaign}/leads). */
import { useEffect, useRef, useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import type { paths } from "../../api/schema";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useLang, useT } from "../../i18n";
import { href } from "../../router";
import { useApi, useSession } from "../../session";
import { Notice, Page, TableRegion, useLoad } from "../../ui";
import { ExportPanel } from "./export";
import { dict, say } from "./i18n";
import { exportDict } from "./i18n-export";
import {
  apiQuery,
  filtersFromQuery,
  leadReason,
  queryFromFilters,
  STATUSES,
  toggled,
  UNROUTED_REASONS,
  type Filters,
} from "./logic";
import { Refusal, useDirectory, type Directory } from "./shared";

const PAGE_SIZE = 25;
type ListQuery = NonNullable<paths["/leads"]["get"]["parameters"]["query"]>;
type Row = Schemas["LeadOut"];

export function LeadList(props: { query: URLSearchParams }) {
  const t = useT(dict);
  const c = useT(common);
  const api = useApi();
  const { me } = useSession();
  const fmt = useFormat();
  const dir = useDirectory();
  const filters = filtersFromQuery(props.query);
  const key = queryFromFilters(filters);
  // The cursors of the pages seen so far (the API pages forward only): "previous" walks back this stack.
  const [paging, setPaging] = useState<{ key: string; stack: (string | null)[] }>({ key, stack: [null] });
  const stack = paging.key === key ? paging.stack : [null];
  const cursor = stack[stack.length - 1] ?? null;
  const [selection, setSelection] = useState<string[]>([]);
  const [result, setResult] = useState<Schemas["MassUpdateResult"] | null>(null);
  const [restoredName, setRestoredName] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [exportOpen, setExportOpen] = useState(false);
  const x = useT(exportDict);

  // Admins may list the form sources: the source filter offers them.
  const sources = useLoad(
    async () => (me.role === "admin" ? ok(await api.GET("/form-sources")).items : []),
    [me.role],
  );
  const list = useLoad(async () => {
    const query = { ...apiQuery(filters, fmt.timeZone), limit: PAGE_SIZE } as ListQuery;
    if (cursor) query.cursor = cursor;
    return ok(await api.GET("/leads", { params: { query } }));
  }, [key, cursor, fmt.timeZone]);
  useEffect(() => setSelection([]), [key, cursor]);
  useEffect(() => {
    setResult(null);
    setRestoredName(null);
    setFailure(null);
  }, [key]);

  const rows = (list.data?.items ?? []).filter((row) => !filters.reason || row.unrouted === filters.reason);
  const canManage = me.role !== "staff";
  const deletedView = filters.status === "deleted" && !filters.unrouted;

  const go = (next: Filters) => {
    const query = queryFromFilters(next);
    location.hash = `${href("leads")}${query ? `?${query}` : ""}`;
  };
  const restore = async (row: Row) => {
    setFailure(null);
    try {
      ok(await api.POST("/leads/{lead_id}/restore", { params: { path: { lead_id: row.lead.lead_id } } }));
      setRestoredName(row.lead.name);
      list.reload();
    } catch (error) {
      setFailure(error);
    }
  };

  return (
    <Page
      title={c("nav.leads")}
      actions={
        canManage ? (
          <>
            {me.role === "admin" ? (
              <a class="button secondary" href={href("imports")}>
                {x("importButton")}
              </a>
            ) : null}
            <button
              type="button"
              class={exportOpen ? "secondary" : "primary"}
              aria-expanded={exportOpen}
              aria-controls="lead-export"
              onClick={() => setExportOpen((o) => !o)}
            >
              {x("exportButton")}
            </button>
          </>
        ) : null
      }
    >
      <p class="muted">{c("timeZoneNote", { zone: fmt.timeZone })}</p>
      <FilterForm filters={filters} dir={dir} sources={sources.data ?? []} onApply={go} />
      {canManage && exportOpen ? <ExportPanel filters={filters} dir={dir} /> : null}
      {failure ? <Refusal error={failure} /> : null}
      {restoredName ? <Notice>{t("restored")}</Notice> : null}
      {canManage && !deletedView ? (
        <MassUpdate
          selection={selection}
          onDone={(answer) => {
            setResult(answer);
            setSelection([]);
            list.reload();
          }}
        />
      ) : null}
      {result ? (
        <Notice>
          <p>{t("moved", { n: result.updated, campaign: result.campaign })}</p>
          {result.skipped.length ? (
            <ul>
              {result.skipped.map((s) => (
                <li key={s.lead_id}>{t("movedSkipped", { id: s.lead_id ?? "", reason: s.reason ?? "" })}</li>
              ))}
            </ul>
          ) : null}
        </Notice>
      ) : null}
      {list.error ? <Refusal error={list.error} onReload={list.reload} /> : null}
      <p class="muted" role="status">
        {list.loading ? c("loading") : t("count", { n: rows.length })}
      </p>
      <TableRegion label={t("listLabel")}>
        <table class="leads-table" aria-label={t("listLabel")}>
          <thead>
            <tr>
              {canManage && !deletedView ? (
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label={t("selectAll")}
                    checked={rows.length > 0 && rows.every((r) => selection.includes(r.lead.lead_id))}
                    onChange={(e) =>
                      setSelection(e.currentTarget.checked ? rows.map((r) => r.lead.lead_id) : [])
                    }
                  />
                </th>
              ) : null}
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("status")}</th>
              <th scope="col">{t("owner")}</th>
              <th scope="col">
                {t("pool")} / {t("step")}
              </th>
              <th scope="col">{t("campaign")}</th>
              <th scope="col">{t("source")}</th>
              <th scope="col">{t("utmSource")}</th>
              <th scope="col">{t("received")}</th>
              {filters.unrouted ? <th scope="col">{t("unroutedReason")}</th> : null}
              {filters.unrouted ? <th scope="col">{t("expected")}</th> : null}
              {deletedView && canManage ? <th scope="col">{c("actions")}</th> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <LeadRow
                key={row.lead.lead_id}
                row={row}
                dir={dir}
                selectable={canManage && !deletedView}
                selected={selection.includes(row.lead.lead_id)}
                onSelect={() => setSelection((s) => toggled(s, row.lead.lead_id))}
                unrouted={!!filters.unrouted}
                onRestore={deletedView && canManage ? () => void restore(row) : undefined}
              />
            ))}
          </tbody>
        </table>
      </TableRegion>
      {!list.loading && rows.length === 0 && !list.error ? <p class="muted">{t("noLeads")}</p> : null}
      <nav class="pager" aria-label={t("paging")}>
        <button
          type="button"
          disabled={stack.length <= 1}
          onClick={() => setPaging({ key, stack: stack.slice(0, -1) })}
        >
          {c("previous")}
        </button>
        <span>{t("pageOf", { n: stack.length })}</span>
        <button
          type="button"
          disabled={!list.data?.cursor || list.loading}
          onClick={() => list.data?.cursor && setPaging({ key, stack: [...stack, list.data.cursor] })}
        >
          {c("next")}
        </button>
      </nav>
    </Page>
  );
}

function LeadRow(props: {
  row: Row;
  dir: Directory;
  selectable: boolean;
  selected: boolean;
  onSelect: () => void;
  unrouted: boolean;
  onRestore?: () => void;
}) {
  const t = useT(dict);
  const c = useT(common);
  const lang = useLang();
  const fmt = useFormat();
  const { lead } = props.row;
  const first = lead.attribution?.first;
  const deleted = lead.status === "deleted";
  return (
    <tr>
      {props.selectable ? (
        <td>
          <input
            type="checkbox"
            aria-label={t("select", { name: lead.name })}
            checked={props.selected}
            onChange={props.onSelect}
          />
        </td>
      ) : null}
      <td>{deleted ? lead.name : <a href={href("leads", lead.lead_id)}>{lead.name}</a>}</td>
      <td>
        <span class={`status status-${lead.status}`}>{c(`status.${lead.status}`)}</span>
      </td>
      <td>{lead.assignees?.length ? lead.assignees.map(props.dir.name).join(", ") : props.dir.name(lead.owner)}</td>
      <td>
        {lead.pool} / {lead.step}
      </td>
      <td>{lead.campaign ?? "—"}</td>
      <td>{lead.source ?? "—"}</td>
      <td>{[first?.utm_source, first?.utm_campaign].filter(Boolean).join(" / ") || "—"}</td>
      <td>{fmt.dateTime(lead.received_at)}</td>
      {props.unrouted ? <td>{say(lang, leadReason(props.row.unrouted))}</td> : null}
      {props.unrouted ? <td>{fmt.dateTime(props.row.expected_at)}</td> : null}
      {props.onRestore ? (
        <td>
          <button type="button" aria-label={t("restoreOne", { name: lead.name })} onClick={props.onRestore}>
            {c("restore")}
          </button>
        </td>
      ) : null}
    </tr>
  );
}

function FilterForm(props: {
  filters: Filters;
  dir: Directory;
  sources: Schemas["FormSourceOut"][];
  onApply: (filters: Filters) => void;
}) {
  const t = useT(dict);
  const c = useT(common);
  const lang = useLang();
  const { me } = useSession();
  const [draft, setDraft] = useState<Filters>(props.filters);
  // The draft follows the URL when the applied filters change, never on mount: an effect runs after
  // paint, and in a busy browser what the user typed by then would be wiped.
  const key = queryFromFilters(props.filters);
  const applied = useRef(key);
  useEffect(() => {
    if (applied.current === key) return;
    applied.current = key;
    setDraft(props.filters);
  }, [key]);
  const set = (name: keyof Filters) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setDraft((d) => ({ ...d, [name]: value || undefined }));
  };
  const text = (name: "pool" | "step" | "campaign" | "source" | "utm_source" | "utm_campaign", label: string, list?: string) => (
    <label>
      {label}
      <input type="text" value={draft[name] ?? ""} onInput={set(name)} list={list} />
    </label>
  );
  return (
    <form
      class="lead-filters"
      aria-label={t("filters")}
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(draft);
      }}
    >
      <label>
        {t("status")}
        <select value={draft.status ?? ""} onChange={set("status")} disabled={draft.unrouted}>
          <option value="">{c("all")}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {c(`status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {me.role !== "staff" ? (
        <label>
          {t("owner")}
          <select value={draft.assignee ?? ""} onChange={set("assignee")} disabled={draft.unrouted}>
            <option value="">{c("all")}</option>
            {props.dir.staff.map((s) => (
              <option key={s.staff_id} value={s.staff_id}>
                {props.dir.name(s.staff_id)}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {text("pool", t("pool"))}
      {text("step", t("step"))}
      {text("campaign", t("campaign"))}
      {text("source", t("source"), props.sources.length ? "lead-sources" : undefined)}
      {props.sources.length ? (
        <datalist id="lead-sources">
          {props.sources.map((s) => (
            <option key={s.source_id} value={s.source_id}>
              {s.name}
            </option>
          ))}
        </datalist>
      ) : null}
      {text("utm_source", t("utmSource"))}
      {text("utm_campaign", t("utmCampaign"))}
      <label>
        {t("from")}
        <input type="date" value={draft.from ?? ""} onInput={set("from")} />
      </label>
      <label>
        {t("to")}
        <input type="date" value={draft.to ?? ""} onInput={set("to")} />
      </label>
      {me.role === "admin" ? (
        <label class="inline">
          <input
            type="checkbox"
            checked={!!draft.unrouted}
            onChange={(e) => setDraft((d) => ({ ...d, unrouted: e.currentTarget.checked || undefined }))}
          />
          {t("unrouted")}
        </label>
      ) : null}
      {me.role === "admin" && draft.unrouted ? (
        <label>
          {t("unroutedReason")}
          <select value={draft.reason ?? ""} onChange={set("reason")}>
            <option value="">{t("anyReason")}</option>
            {UNROUTED_REASONS.map((r) => (
              <option key={r} value={r}>
                {say(lang, leadReason(r))}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div class="filter-actions">
        <button type="submit" class="primary">{t("apply")}</button>
        <button type="button" class="secondary" onClick={() => props.onApply({})}>
          {t("clear")}
        </button>
      </div>
    </form>
  );
}

function MassUpdate(props: { selection: string[]; onDone: (answer: Schemas["MassUpdateResult"]) => void }) {
  const t = useT(dict);
  const api = useApi();
  const [campaign, setCampaign] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const n = props.selection.length;
  return (
    <form
      class="mass-update"
      aria-label={t("massUpdate")}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setFailure(null);
        try {
          const answer = ok(
            await api.POST("/campaigns/{campaign}/leads", {
              params: { path: { campaign: campaign.trim() } },
              body: { lead_ids: props.selection },
            }),
          );
          props.onDone(answer);
        } catch (error) {
          setFailure(error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <fieldset>
        <legend>{t("massUpdate")}</legend>
        <p class="muted">{t("massHint")}</p>
        <p role="status">{t("selected", { n })}</p>
        <label>
          {t("massCampaign")}
          <input type="text" value={campaign} onInput={(e) => setCampaign(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={busy || n === 0 || !campaign.trim()}>
          {t("moveToCampaign", { n })}
        </button>
        {failure ? <Refusal error={failure} /> : null}
      </fieldset>
    </form>
  );
}
