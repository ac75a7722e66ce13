/** One submission as stored: what was sent, what each check said, why it ended as it did; replay it
 * (after fixing the source's field map) or release it when it did not pass the checks (spam), and see
 * the lead it made. */
import { useState } from "preact/hooks";
import { ApiError, ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useLang, useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { dict } from "./i18n";
import { reasonWords } from "./reason";
import { fieldErrors, leadOf, replayable } from "./logic";

type Replayed = Schemas["Replayed"];
const CHECKS = ["origin", "honeypot", "captcha"] as const;

export function SubmissionDetail(props: { id: string }) {
  const t = useT(dict);
  const tc = useT(common);
  const lang = useLang();
  const f = useFormat();
  const api = useApi();
  const loaded = useLoad(
    async () => ok(await api.GET("/intake/submissions/{submission_id}", { params: { path: { submission_id: props.id } } })),
    [props.id],
  );
  const sources = useLoad(async () => ok(await api.GET("/form-sources")).items, []);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Replayed | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const s = loaded.data;
  if (!s) {
    return (
      <Page title={t("inboxTitle")}>
        <p>
          <a href={href("sources", "inbox")}>{t("backToInbox")}</a>
        </p>
        {loaded.error ? <ErrorNote error={loaded.error} onReload={loaded.reload} /> : <Loading />}
      </Page>
    );
  }
  const unverified = (s.unverified_checks ?? []).map((c) => t(`check.${c}`)).join(", ");
  const release = (s.unverified_checks ?? []).length > 0;
  const lead = done?.result?.lead_id ?? leadOf(s);
  const sourceName = (sources.data ?? []).find((x) => x.source_id === s.source_id)?.name ?? s.source_id;
  const leadStatus = (status: string, label: string) =>
    ["pending", "assigned", "escalated", "deleted"].includes(status) ? tc(`status.${status}` as "status.pending") : label;

  const replay = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const answer = ok(
        await api.POST("/intake/submissions/{submission_id}/replay", {
          params: { path: { submission_id: s.submission_id } },
          body: { release_unverified: release },
        }),
      );
      setDone(answer);
      loaded.reload();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const problems = failure instanceof ApiError && failure.status === 422 ? Object.entries(fieldErrors(failure.body)) : [];

  return (
    <Page title={t("detailTitle", { when: f.dateTime(s.received_at) })}>
      <p>
        <a href={href("sources", "inbox")}>{t("backToInbox")}</a>
      </p>
      <dl class="facts">
        <dt>{t("status")}</dt>
        <dd>
          <span class={`badge status-${s.status}`}>{t(`status.${s.status}`)}</span>
        </dd>
        <dt>{t("colReason")}</dt>
        <dd>{reasonWords(lang, s.reason)}</dd>
        <dt>{t("source")}</dt>
        <dd>{sourceName}</dd>
        <dt>{t("channel")}</dt>
        <dd>{t(`channel.${s.channel}`)}</dd>
        <dt>{t("clientIp")}</dt>
        <dd>{s.client_ip ?? "—"}</dd>
        <dt>{t("replays")}</dt>
        <dd>{f.number(s.replays)}</dd>
        <dt>{t("colLead")}</dt>
        <dd>{lead ? <a href={href("leads", lead)}>{t("openLead", { lead })}</a> : "—"}</dd>
      </dl>

      {done && !done.result ? <Notice>{t("replayFetching")}</Notice> : null}
      {done?.result ? (
        <Notice>
          <span>
            {t("replayResult", { lead: done.result.lead_id, status: leadStatus(done.result.status, done.result.status_label) })}
            {done.result.linked || done.result.duplicate_of ? ` ${t("linkedNote")}` : ""}
            {done.unverified_checks.length
              ? ` ${t("replayReleased", { checks: done.unverified_checks.map((c) => t(`check.${c}`)).join(", ") })}`
              : ""}
          </span>
          <a href={href("leads", done.result.lead_id)}>{t("openLead", { lead: done.result.lead_id })}</a>
        </Notice>
      ) : null}
      {problems.length ? (
        <div class="note error" role="alert">
          <ul>
            {problems.map(([field, message]) => (
              <li key={field}>
                <code>{field}</code>: {message}
              </li>
            ))}
          </ul>
        </div>
      ) : failure ? (
        <ErrorNote error={failure} onReload={loaded.reload} />
      ) : null}
      {!done && replayable(s.status) ? (
        <div class="replay">
          {release ? (
            <p class="note warn" id="release-warning">
              {t("unverified", { checks: unverified })}
            </p>
          ) : null}
          <button
            type="button"
            class={release ? "danger" : "primary"}
            disabled={busy}
            aria-describedby={release ? "release-warning" : undefined}
            onClick={replay}
          >
            {busy ? t("replaying") : release ? t("release") : t("replay")}
          </button>
        </div>
      ) : !done ? (
        <p class="muted">{t("notReplayable")}</p>
      ) : null}

      <h2 id="submission-checks-title">{t("checks")}</h2>
      <TableRegion labelledBy="submission-checks-title">
        <table aria-labelledby="submission-checks-title">
          <thead>
            <tr>
              <th scope="col">{t("check")}</th>
              <th scope="col">{t("result")}</th>
            </tr>
          </thead>
          <tbody>
            {CHECKS.map((c) => {
              const result = s.checks?.[c] ?? "not_run";
              return (
                <tr key={c}>
                  <th scope="row">{t(`check.${c}`)}</th>
                  <td>
                    <span class={`badge check-${result}`}>{t(`checkResult.${result}`)}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>

      <h2 id="submission-fields-title">{t("fields")}</h2>
      {s.truncated ? <p class="note warn">{t("truncated")}</p> : null}
      <TableRegion labelledBy="submission-fields-title">
        <table aria-labelledby="submission-fields-title">
          <thead>
            <tr>
              <th scope="col">{t("field")}</th>
              <th scope="col">{t("value")}</th>
            </tr>
          </thead>
          <tbody>
            {(s.fields ?? []).map(([name, value], i) => (
              <tr key={i}>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td class="value">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>

      <h2 id="submission-headers-title">{t("headers")}</h2>
      <TableRegion labelledBy="submission-headers-title">
        <table aria-labelledby="submission-headers-title">
          <thead>
            <tr>
              <th scope="col">{t("header")}</th>
              <th scope="col">{t("value")}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(s.headers ?? {}).map(([name, value]) => (
              <tr key={name}>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td class="value">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </Page>
  );
}
