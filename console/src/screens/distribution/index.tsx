/** Phân bổ: per rule and person, ideal vs actual (a chart and the same numbers in a table), speed-to-lead,
 * waits for working hours, escalations by reason, per source and utm_campaign, over a period of whole days
 * in the tenant's time zone (GET /reports/distribution). */
import { useMemo, useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { ok } from "../../api/client";
import { common } from "../../common";
import { useFormat, type Formats } from "../../format";
import { useT } from "../../i18n";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Page, TableRegion, useLoad } from "../../ui";
import type { ScreenProps } from "../registry";
import { RuleBars } from "./chart";
import { chartedRules, chartSummary, type RuleChart } from "./chart-data";
import { dict, type DistKey } from "./i18n";
import { MAX_DAYS, periodRange, type Period, type PeriodKind, type Range } from "./period";
import "./distribution.css";

type Report = Schemas["DistributionReport"];
type Speed = Schemas["Speed"];
const KINDS: readonly PeriodKind[] = ["today", "7d", "30d", "custom"];
const ESCALATION_REASONS = ["no_rule", "window_closed", "no_eligible_staff", "waited_too_long", "reclaim_limit", "quarantined", "unknown"];

function useSeconds(f: Formats) {
  const t = useT(dict);
  return (seconds: number | null | undefined): string => {
    if (seconds == null) return "—";
    return seconds < 60 ? t("seconds", { n: f.number(Math.round(seconds)) }) : f.minutes(seconds / 60);
  };
}

export default function Distribution(_props: ScreenProps) {
  const t = useT(dict);
  const tc = useT(common);
  const f = useFormat();
  const api = useApi();
  const { me } = useSession();
  const [period, setPeriod] = useState<Period>({ kind: "today" });
  const [draft, setDraft] = useState<Period>({ kind: "today" });
  const range = useMemo(() => periodRange(period, new Date(), f.timeZone), [period, f.timeZone]);
  const draftProblem = draft.kind === "custom" ? periodRange(draft, new Date(), f.timeZone) : null;

  const names = useLoad(async () => {
    const [staff, sources] = await Promise.all([
      api.GET("/staff").then(ok).catch(() => ({ items: [] as Schemas["StaffMember"][] })),
      me.role === "admin"
        ? api.GET("/form-sources").then(ok).catch(() => null)
        : Promise.resolve(null),
    ]);
    return {
      staff: Object.fromEntries(staff.items.map((s) => [s.staff_id, s.name])) as Record<string, string>,
      sources: Object.fromEntries((sources?.items ?? []).map((s) => [s.source_id, s.name])) as Record<string, string>,
    };
  }, [me.role]);
  const report = useLoad(async (): Promise<Report | null> => {
    if (typeof range === "string") return null;
    return ok(await api.GET("/reports/distribution", { params: { query: { received_from: range.receivedFrom, received_to: range.receivedTo } } }));
  }, [typeof range === "string" ? range : `${range.receivedFrom}|${range.receivedTo}`]);

  const choose = (kind: PeriodKind) => {
    const next = { ...draft, kind };
    setDraft(next);
    if (kind !== "custom") setPeriod(next);
  };

  return (
    <Page title={tc("nav.distribution")}>
      <form
        class="dist-period"
        onSubmit={(e) => {
          e.preventDefault();
          if (typeof draftProblem !== "string") setPeriod(draft);
        }}
      >
        <fieldset>
          <legend>{t("period")}</legend>
          <div class="row">
            {KINDS.map((kind) => (
              <label class="inline" key={kind}>
                <input type="radio" name="period" value={kind} checked={draft.kind === kind} onChange={() => choose(kind)} />
                {t(`period.${kind}` as DistKey)}
              </label>
            ))}
          </div>
          {draft.kind === "custom" ? (
            <div class="row">
              <div>
                <label for="dist-from">{t("from")}</label>
                <input id="dist-from" type="date" value={draft.from ?? ""} onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
              </div>
              <div>
                <label for="dist-to">{t("to")}</label>
                <input id="dist-to" type="date" value={draft.to ?? ""} onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
              </div>
              <button type="submit" class="primary" disabled={typeof draftProblem === "string"}>
                {t("apply")}
              </button>
            </div>
          ) : null}
          {typeof draftProblem === "string" && (draft.from || draft.to) ? (
            <p class="note warn" role="status">
              {t(`problem.${draftProblem}` as DistKey, { days: MAX_DAYS })}
            </p>
          ) : null}
        </fieldset>
      </form>
      {typeof range !== "string" ? (
        <p class="muted">
          {t("showing", { first: f.date(range.firstDay), last: f.date(range.lastDay) })} · {tc("timeZoneNote", { zone: f.timeZone })}
        </p>
      ) : null}
      {report.error ? <ErrorNote error={report.error} onReload={report.reload} /> : null}
      {report.loading && !report.data ? <Loading /> : null}
      {report.data && typeof range !== "string" ? (
        <Body report={report.data} range={range} staff={names.data?.staff ?? {}} sources={names.data?.sources ?? {}} />
      ) : null}
    </Page>
  );
}

function Body(props: { report: Report; range: Range; staff: Record<string, string>; sources: Record<string, string> }) {
  const t = useT(dict);
  const f = useFormat();
  const seconds = useSeconds(f);
  const { report } = props;
  const charts = useMemo(() => chartedRules(report.rules, props.staff), [report, props.staff]);
  const speedText = (s: Speed) => t("speedValue", { p50: seconds(s.median_seconds), p95: seconds(s.p95_seconds) });
  const ruleName = (r: { rule_id: string; name?: string | null }) => r.name ?? t("deletedRule", { id: r.rule_id });
  const reason = (r: string) => (ESCALATION_REASONS.includes(r) ? t(`reason.${r}` as DistKey) : r);
  return (
    <>
      <div class="cards">
        <div class="card stat">
          <div class="stat-label">{t("leads")}</div>
          <div class="value">{f.number(report.leads)}</div>
        </div>
        <div class="card stat">
          <div class="stat-label">{t("speed")}</div>
          <div class="value dist-speed">{speedText(report.speed_to_lead)}</div>
          <div class="muted">{t("speedHint")}</div>
        </div>
      </div>

      <h2>{t("perRule")}</h2>
      {charts.length === 0 ? <p class="muted">{t("noAssignments")}</p> : charts.map((c) => <RuleSection key={c.ruleId} chart={c} />)}

      <h2 id="dist-rules">{t("rulesTitle")}</h2>
      <TableRegion labelledBy="dist-rules">
        <table aria-labelledby="dist-rules">
          <thead>
            <tr>
              <th scope="col">{t("rule")}</th>
              <th scope="col" class="num">{t("assigned")}</th>
              <th scope="col" class="num">{t("reclaims")}</th>
              <th scope="col" class="num">{t("escalations")}</th>
              <th scope="col">{t("speed")}</th>
              <th scope="col" class="num">{t("waited")}</th>
              <th scope="col">{t("wallWait")}</th>
              <th scope="col">{t("workingWait")}</th>
            </tr>
          </thead>
          <tbody>
            {report.rules.map((r) => {
              const w = r.working_hours_wait;
              return (
                <tr key={r.rule_id}>
                  <th scope="row">{ruleName(r)}</th>
                  <td class="num">{f.number(r.assigned)}</td>
                  <td class="num">{f.number(r.reclaims)}</td>
                  <td class="num">{f.number(r.escalations)}</td>
                  <td>{speedText(r.speed_to_lead)}</td>
                  <td class="num">{t("waitedValue", { waited: f.number(w?.waited ?? 0), measured: f.number(w?.measured ?? 0) })}</td>
                  <td>{t("pair", { a: seconds(w?.wall_p50_seconds), b: seconds(w?.wall_p95_seconds) })}</td>
                  <td>{t("pair", { a: seconds(w?.working_p50_seconds), b: seconds(w?.working_p95_seconds) })}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>
      <p class="muted">{t("waitHint")}</p>

      <div class="dist-two">
        <CountTable id="dist-escalations" title={t("escalationsTitle")} counts={report.escalations_by_reason ?? {}} label={reason} empty={t("noneEscalated")} />
        {Object.keys(report.unrouted ?? {}).length ? (
          <CountTable id="dist-unrouted" title={t("unroutedTitle")} counts={report.unrouted ?? {}} label={reason} empty="" />
        ) : null}
      </div>

      <h2 id="dist-sources">{t("sourcesTitle")}</h2>
      <SpeedTable
        labelledBy="dist-sources"
        head={t("source")}
        rows={(report.by_source ?? []).map((r) => ({ key: r.source ?? "", name: r.source ? (props.sources[r.source] ?? r.source) : t("noSource"), leads: r.leads, speed: r.speed_to_lead }))}
        speedText={speedText}
      />
      <h2 id="dist-campaigns">{t("campaignsTitle")}</h2>
      <SpeedTable
        labelledBy="dist-campaigns"
        head={t("campaign")}
        rows={(report.by_campaign ?? []).map((r) => ({ key: r.utm_campaign ?? "", name: r.utm_campaign ?? t("noCampaign"), leads: r.leads, speed: r.speed_to_lead }))}
        speedText={speedText}
      />
    </>
  );
}

function RuleSection(props: { chart: RuleChart }) {
  const t = useT(dict);
  const f = useFormat();
  const { chart } = props;
  const tableId = `dist-table-${chart.ruleId}`;
  const num = (n: number | null) => f.number(n, 1);
  return (
    <section class="card dist-rule" aria-labelledby={`dist-rule-${chart.ruleId}`}>
      <h3 id={`dist-rule-${chart.ruleId}`}>{chart.title}</h3>
      <RuleBars
        chart={chart}
        idealLabel={t("ideal")}
        actualLabel={t("actual")}
        label={`${t("chartLabel", { rule: chart.title })}. ${t("actual")} / ${t("ideal")}: ${chartSummary(chart, num)}`}
        describedBy={tableId}
        format={(n) => f.number(n, 1)}
      />
      <TableRegion label={t("tableCaption", { rule: chart.title })}>
        <table id={tableId} data-rule={chart.ruleId}>
          <caption>{t("tableCaption", { rule: chart.title })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("staff")}</th>
              <th scope="col" class="num">{t("weight")}</th>
              <th scope="col" class="num">{t("ideal")}</th>
              <th scope="col" class="num">{t("actual")}</th>
              <th scope="col" class="num">{t("deviation")}</th>
              <th scope="col" class="num">{t("reclaimedFrom")}</th>
            </tr>
          </thead>
          <tbody>
            {chart.rows.map((r) => (
              <tr key={r.staffId} data-staff={r.staffId}>
                <th scope="row">{r.name}</th>
                <td class="num">{f.number(r.weight)}</td>
                <td class="num">{num(r.ideal)}</td>
                <td class="num">{f.number(r.actual)}</td>
                <td class="num">{num(r.deviation)}</td>
                <td class="num">{f.number(r.reclaimedFrom)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </section>
  );
}

function CountTable(props: { id: string; title: string; counts: Record<string, number>; label: (k: string) => string; empty: string }) {
  const t = useT(dict);
  const f = useFormat();
  const entries = Object.entries(props.counts).sort((a, b) => b[1] - a[1]);
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {entries.length === 0 ? (
        <p class="muted">{props.empty}</p>
      ) : (
        <TableRegion labelledBy={props.id}>
          <table aria-labelledby={props.id}>
            <thead>
              <tr>
                <th scope="col">{t("reason")}</th>
                <th scope="col" class="num">{t("count")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map(([k, n]) => (
                <tr key={k} data-reason={k}>
                  <th scope="row">{props.label(k)}</th>
                  <td class="num">{f.number(n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}

function SpeedTable(props: {
  labelledBy: string;
  head: string;
  rows: { key: string; name: string; leads: number; speed: Speed }[];
  speedText: (s: Speed) => string;
}) {
  const t = useT(dict);
  const tc = useT(common);
  const f = useFormat();
  if (!props.rows.length) return <p class="muted">{tc("empty")}</p>;
  return (
    <TableRegion labelledBy={props.labelledBy}>
      <table aria-labelledby={props.labelledBy}>
        <thead>
          <tr>
            <th scope="col">{props.head}</th>
            <th scope="col" class="num">{t("leads")}</th>
            <th scope="col">{t("speed")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.name}</th>
              <td class="num">{f.number(r.leads)}</td>
              <td>{props.speedText(r.speed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
