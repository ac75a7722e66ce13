/** What the form sources received: filtered by status and source, newest pages first, each with its
 * reason in words and its time in the tenant's zone; a row opens the submission. */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useLang, useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Page, TableRegion, useLoad } from "../../ui";
import { dict } from "./i18n";
import { reasonWords } from "./reason";
import { leadOf, STATUSES, type SubmissionStatus } from "./logic";
import { Tabs } from "./tabs";

type Submission = Schemas["Submission"];

export function Inbox() {
  const t = useT(dict);
  const tc = useT(common);
  const lang = useLang();
  const f = useFormat();
  const api = useApi();
  const [status, setStatus] = useState<SubmissionStatus | "">("");
  const [source, setSource] = useState("");
  const [extra, setExtra] = useState<{ items: Submission[]; cursor: string | null } | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const sources = useLoad(async () => ok(await api.GET("/form-sources")).items, []);
  const query = (cursor?: string) => ({
    ...(status ? { status } : {}),
    ...(source ? { source } : {}),
    limit: 50,
    ...(cursor ? { cursor } : {}),
  });
  const first = useLoad(async () => {
    setExtra(null);
    return ok(await api.GET("/intake/submissions", { params: { query: query() } }));
  }, [status, source]);
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.cursor ?? null);
  const names = new Map((sources.data ?? []).map((s) => [s.source_id, s.name]));

  const more = async () => {
    if (!cursor) return;
    setMoreError(null);
    try {
      const page = ok(await api.GET("/intake/submissions", { params: { query: query(cursor) } }));
      setExtra({ items: (extra?.items ?? []).concat(page.items as unknown as Submission[]), cursor: page.cursor ?? null });
    } catch (error) {
      setMoreError(error);
    }
  };

  return (
    <Page title={t("inboxTitle")}>
      <Tabs current="inbox" />
      <form class="row filters" aria-label={t("filters")} onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="inbox-status">{t("status")}</label>
          <select id="inbox-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as SubmissionStatus | "")}>
            <option value="">{t("allStatuses")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="inbox-source">{t("source")}</label>
          <select id="inbox-source" value={source} onChange={(e) => setSource(e.currentTarget.value)}>
            <option value="">{t("allSources")}</option>
            {(sources.data ?? []).map((s) => (
              <option key={s.source_id} value={s.source_id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={first.reload}>
          {tc("reload")}
        </button>
      </form>
      <p class="muted">{tc("timeZoneNote", { zone: f.timeZone })}</p>
      {first.error ? <ErrorNote error={first.error} onReload={first.reload} /> : null}
      {first.loading && !first.data ? <Loading /> : null}
      {first.data && !items.length ? <p class="muted">{t("inboxEmpty")}</p> : null}
      {items.length ? (
        <TableRegion label={t("inboxCaption")}>
          <table class="inbox" aria-label={t("inboxCaption")}>
            <thead>
              <tr>
                <th scope="col">{t("colReceived")}</th>
                <th scope="col">{t("source")}</th>
                <th scope="col">{t("status")}</th>
                <th scope="col">{t("colReason")}</th>
                <th scope="col">{t("colLead")}</th>
                <th scope="col">{tc("actions")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => {
                const lead = leadOf(s);
                return (
                  <tr key={s.submission_id}>
                    <td>{f.dateTime(s.received_at)}</td>
                    <td>{names.get(s.source_id) ?? s.source_id}</td>
                    <td>
                      <span class={`badge status-${s.status}`}>{t(`status.${s.status}`)}</span>
                    </td>
                    <td>{reasonWords(lang, s.reason)}</td>
                    <td>{lead ? <code>{lead}</code> : "—"}</td>
                    <td>
                      <a href={href("sources", "inbox", s.submission_id)}>{t("open")}</a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {moreError ? <ErrorNote error={moreError} /> : null}
      {cursor ? (
        <button type="button" onClick={more}>
          {t("more")}
        </button>
      ) : null}
    </Page>
  );
}
