/** Tổng quan: today's leads (tenant's time zone), why pending leads wait, and what needs an admin.
 * The first screen after sign-in, so it stays small: no chart library, two or three requests. */
import type { Schemas } from "../../api/client";
import { ok } from "../../api/client";
import { useFormat, type Formats } from "../../format";
import { useT } from "../../i18n";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Page, TableRegion, useLoad } from "../../ui";
import { common } from "../../common";
import type { ScreenProps } from "../registry";
import { actionsFor, splitSeconds } from "./actions";
import { dict, type HomeKey } from "./i18n";
import "./home.css";

type Overview = Schemas["Overview"];
type Group = Schemas["WaitingGroup"];
const REASONS = ["no_rule", "window_closed", "delay", "waiting_for_working_hours", "no_eligible_staff", "queued"];
const OUT_REASONS = ["paused", "inactive", "on_leave", "off_shift", "holiday", "unknown_staff"];

interface HomeData {
  overview: Overview;
  failed: { count: number; more: boolean } | null;
  names: Record<string, string>;
}

export default function Home(_props: ScreenProps) {
  const t = useT(dict);
  const tc = useT(common);
  const f = useFormat();
  const api = useApi();
  const { me } = useSession();
  // A filtered page may come back short (or empty) with a cursor: follow it, up to 100 found or 5 pages.
  const countFailed = async (): Promise<{ count: number; more: boolean }> => {
    let count = 0;
    let cursor: string | undefined;
    for (let pages = 0; pages < 5 && count < 100; pages++) {
      const query = { status: "failed" as const, limit: 100, ...(cursor ? { cursor } : {}) };
      const page = ok(await api.GET("/intake/submissions", { params: { query } }));
      count += page.items.length;
      cursor = page.cursor ?? undefined;
      if (!cursor) return { count, more: false };
    }
    return { count, more: true };
  };
  const loaded = useLoad(async (): Promise<HomeData> => {
    const [overview, failed, names] = await Promise.all([
      api.GET("/reports/overview").then(ok),
      me.role === "admin"
        ? countFailed()
        : Promise.resolve(null),
      api
        .GET("/staff")
        .then(ok)
        .then((list) => Object.fromEntries(list.items.map((s) => [s.staff_id, s.name])))
        .catch(() => ({}) as Record<string, string>),
    ]);
    return { overview, failed, names };
  }, [me.role]);

  const data = loaded.data;
  return (
    <Page
      title={tc("nav.home")}
      actions={
        <button type="button" onClick={loaded.reload}>
          {tc("reload")}
        </button>
      }
    >
      {loaded.error ? <ErrorNote error={loaded.error} onReload={loaded.reload} /> : null}
      {!data ? (
        loaded.error ? null : <Loading />
      ) : (
        <>
          <p class="muted">
            {t("today", { date: f.date(`${data.overview.date}`) })} · {tc("timeZoneNote", { zone: data.overview.time_zone })}
          </p>
          <Actions data={data} />
          <Figures data={data} f={f} />
          <Waiting overview={data.overview} names={data.names} f={f} />
        </>
      )}
    </Page>
  );
}

function Actions(props: { data: HomeData }) {
  const t = useT(dict);
  const { me } = useSession();
  const failed = props.data.failed?.count ?? null;
  const actions = actionsFor(props.data.overview, failed, me.role);
  return (
    <section class="home-actions" aria-labelledby="home-actions-title">
      <h2 id="home-actions-title">{t("actionsTitle")}</h2>
      {actions.length === 0 ? (
        <p class="note ok">{t("allGood")}</p>
      ) : (
        <ul class="home-action-list">
          {actions.map((a) => (
            <li key={a.kind} class="note warn">
              <span>{t(`action.${a.kind}` as HomeKey, { n: a.count })}</span>
              <a class="home-go" href={a.href}>
                {t(`action.${a.kind}.go` as HomeKey)}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Stat(props: { label: string; value: string; hint?: string; id: string }) {
  return (
    <div class="card stat" role="group" aria-labelledby={`${props.id}-label`}>
      <div id={`${props.id}-label`} class="stat-label">
        {props.label}
      </div>
      <div class="value" data-stat={props.id}>
        {props.value}
      </div>
      {props.hint ? <div class="muted stat-hint">{props.hint}</div> : null}
    </div>
  );
}

function useSeconds(f: Formats) {
  const t = useT(dict);
  return (seconds: number | null | undefined): string => {
    const split = splitSeconds(seconds);
    if (!split) return "—";
    return split.unit === "s" ? t("seconds", { n: f.number(split.value) }) : f.minutes(split.value);
  };
}

function Figures(props: { data: HomeData; f: Formats }) {
  const t = useT(dict);
  const { f } = props;
  const o = props.data.overview;
  const seconds = useSeconds(f);
  const failed = props.data.failed;
  return (
    <section aria-labelledby="home-figures-title">
      <h2 id="home-figures-title">{t("figures")}</h2>
      <div class="cards">
        <Stat id="received" label={t("received")} value={f.number(o.received)} />
        <Stat id="assigned" label={t("assigned")} value={f.number(o.assigned)} />
        <Stat id="waiting" label={t("waiting")} value={f.number(o.waiting)} hint={t("waitingHint")} />
        <Stat id="escalated" label={t("escalated")} value={f.number(o.escalated)} />
        {failed ? (
          <Stat
            id="failed"
            label={t("failed")}
            value={`${f.number(failed.count)}${failed.more ? "+" : ""}`}
            hint={t("failedHint")}
          />
        ) : null}
        <Stat
          id="speed"
          label={t("speed")}
          value={t("speedValue", {
            p50: seconds(o.speed_to_lead.median_seconds),
            p95: seconds(o.speed_to_lead.p95_seconds),
          })}
          hint={t("speedHint")}
        />
      </div>
    </section>
  );
}

function Waiting(props: { overview: Overview; names: Record<string, string>; f: Formats }) {
  const t = useT(dict);
  const { overview, names, f } = props;
  const reason = (r: string) => (REASONS.includes(r) ? t(`reason.${r}` as HomeKey) : t("reason.other", { reason: r }));
  const where = (g: Group) =>
    g.rule_name ??
    (g.campaign ? t("scopeCampaign", { campaign: g.campaign }) : t("scope", { pool: g.pool ?? "—", step: g.step ?? "—" }));
  const detail = (g: Group) => {
    if (g.expected_at) return t("expected", { at: f.dateTime(g.expected_at) });
    const out = Object.entries(g.staff_out ?? {});
    if (!out.length) return "";
    return out
      .map(([id, why]) =>
        t("outList", { who: names[id] ?? id, why: OUT_REASONS.includes(why) ? t(`out.${why}` as HomeKey) : why }),
      )
      .join(", ");
  };
  return (
    <section aria-labelledby="home-why-title">
      <h2 id="home-why-title">{t("whyTitle")}</h2>
      {!overview.waiting_complete ? <p class="note warn">{t("incomplete")}</p> : null}
      {overview.waiting_groups.length === 0 ? (
        <p class="muted">{t("noneWaiting")}</p>
      ) : (
        <TableRegion labelledBy="home-why-title">
          <table aria-labelledby="home-why-title">
            <thead>
              <tr>
                <th scope="col">{t("colReason")}</th>
                <th scope="col">{t("colWhere")}</th>
                <th scope="col" class="num">
                  {t("colLeads")}
                </th>
                <th scope="col">{t("colSince")}</th>
                <th scope="col">{t("colDetail")}</th>
              </tr>
            </thead>
            <tbody>
              {overview.waiting_groups.map((g) => (
                <tr key={`${g.scope_key}|${g.reason}`} data-reason={g.reason}>
                  <td>{reason(g.reason)}</td>
                  <td>{where(g)}</td>
                  <td class="num">{f.number(g.leads)}</td>
                  <td>{f.dateTime(g.oldest_received_at)}</td>
                  <td>{detail(g)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}
