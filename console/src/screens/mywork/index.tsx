/** Việc của tôi: a salesperson's open leads, the most urgent first, each with the working time left
 * before it is reclaimed; log a call or a note and change step in two clicks from the list. New leads
 * arrive by polling GET /leads every 2 s while the tab is visible: highlighted, announced (aria-live), a
 * browser notification and a chime (Web Audio, can be turned off). */
import { useEffect, useRef, useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Notice, Page } from "../../ui";
import { dict } from "./i18n";
import { arrived, band, byUrgency, timeLeft, type OpenLead } from "./logic";
import { LeadActions } from "./actions";
import { chime, notificationPermission, notify, soundOn, storeSound, type Permission } from "./sound";
import "./mywork.css";

/** How often the list is asked for while the tab is visible: a new lead shows within this plus one call. */
export const POLL_MS = 2000;
const PAGE = 100;

export interface Row extends OpenLead {
  out: Schemas["LeadOut"];
}

function rowOf(out: Schemas["LeadOut"]): Row {
  return {
    out,
    leadId: out.lead.lead_id,
    receivedAt: out.lead.received_at,
    lastActivityAt: out.lead.last_activity_at ?? null,
    minutesLeft: out.reclaim_minutes_left ?? null,
    dueAt: out.reclaim_due_at ?? null,
    running: out.reclaim_clock_running ?? null,
  };
}

export default function Screen() {
  const t = useT(dict);
  const tc = useT(common);
  const f = useFormat();
  const api = useApi();
  const { me } = useSession();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState("");
  const [done, setDone] = useState("");
  const [updatedAt, setUpdatedAt] = useState<string | null>(null);
  const [sound, setSound] = useState(soundOn);
  const [permission, setPermission] = useState<Permission>(notificationPermission);
  const known = useRef<Set<string> | null>(null);
  // The poll outlives renders: it reads the current language and sound choice through refs.
  const live = useRef({ t, sound });
  live.current = { t, sound };

  const load = async () => {
    if (!me.staffId) return;
    const page = ok(
      await api.GET("/leads", { params: { query: { assignee: me.staffId, status: "assigned", limit: PAGE } } }),
    );
    const found = page.items.map(rowOf);
    const added = arrived(known.current, found);
    known.current = new Set(found.map((x) => x.leadId));
    setRows(found);
    setMore(page.cursor != null);
    setError(null);
    setUpdatedAt(new Date().toISOString());
    if (added.length) {
      const { t: say, sound: withSound } = live.current;
      const first = found.find((x) => x.leadId === added[0])!;
      const text = added.length === 1 ? say("announceOne", { name: first.out.lead.name }) : say("announceMany", { n: added.length });
      setFresh((before) => new Set([...before, ...added]));
      setAnnouncement(text);
      notify(say("notifyTitle"), text, added.join(","));
      if (withSound) chime();
    }
  };

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let running = false;
    const tick = async () => {
      if (running || document.hidden) return;
      running = true;
      try {
        await load();
      } catch (failure) {
        setError(failure);
      } finally {
        running = false;
      }
    };
    // A fixed rate: the next call starts POLL_MS after the last one started (a slow answer does not
    // stretch the period), never two at once.
    const again = (started: number) => {
      const wait = Math.max(0, POLL_MS - (Date.now() - started));
      timer = setTimeout(() => {
        const now = Date.now();
        void tick().then(() => !stopped && again(now));
      }, wait);
    };
    const first = Date.now();
    void tick().then(() => !stopped && again(first));
    const shown = () => void tick();
    document.addEventListener("visibilitychange", shown);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", shown);
    };
  }, [me.staffId]);

  const toggleSound = () => {
    storeSound(!sound);
    setSound(!sound);
  };
  const askPermission = () => {
    void Notification.requestPermission().then(setPermission);
  };
  const acted = (leadId: string, message: string) => {
    setFresh((before) => new Set([...before].filter((x) => x !== leadId)));
    setDone(message);
    void load().catch(setError);
  };

  const sorted = rows ? byUrgency(rows) : [];
  return (
    <Page title={tc("nav.mywork")}>
      <p class="muted">{t("intro")}</p>
      <div class="mywork-alerts" role="group" aria-label={t("alerts")}>
        <button type="button" aria-pressed={sound} onClick={toggleSound}>
          {sound ? t("soundOn") : t("soundOff")}
        </button>
        {permission === "default" ? (
          <button type="button" onClick={askPermission}>
            {t("notifyAsk")}
          </button>
        ) : permission === "granted" ? (
          <span class="muted">{t("notifyOn")}</span>
        ) : permission === "denied" ? (
          <span class="muted">{t("notifyBlocked")}</span>
        ) : null}
      </div>
      <div class={`mywork-live${announcement ? " note ok" : ""}`} role="status" aria-live="polite">
        {announcement}
      </div>
      {done ? <Notice>{done}</Notice> : null}
      {error ? rows ? <p class="note warn">{t("retrying")}</p> : <ErrorNote error={error} onReload={() => void load().catch(setError)} /> : null}
      {!me.staffId ? (
        <p class="note warn">{t("noStaffId")}</p>
      ) : rows === null ? (
        error ? null : <Loading />
      ) : (
        <>
          <p class="mywork-count">
            <strong>{t("count", { n: f.number(rows.length) })}</strong>
            {updatedAt ? <span class="muted"> · {t("updated", { time: f.time(updatedAt) })}</span> : null}
          </p>
          {rows.length === 0 ? <p class="muted">{t("empty")}</p> : null}
          <ul class="mywork-list" aria-label={t("listLabel")}>
            {sorted.map((row) => (
              <LeadCard key={row.leadId} row={row} fresh={fresh.has(row.leadId)} onDone={acted} />
            ))}
          </ul>
          {more ? (
            <p>
              <a href={href("leads")}>{t("more")}</a>
            </p>
          ) : null}
        </>
      )}
    </Page>
  );
}

function LeadCard(props: { row: Row; fresh: boolean; onDone: (leadId: string, message: string) => void }) {
  const t = useT(dict);
  const f = useFormat();
  const { row } = props;
  const lead = row.out.lead;
  const left = timeLeft(row);
  const urgent = band(row) === 0;
  const leftText = "minutes" in left ? t(left.key, { time: f.minutes(left.minutes) }) : t(left.key);
  return (
    <li
      class={`lead-card${props.fresh ? " fresh" : ""}${urgent ? " urgent" : ""}`}
      data-lead-id={lead.lead_id}
      aria-labelledby={`lead-${lead.lead_id}`}
    >
      <div class="lead-head">
        <h2 id={`lead-${lead.lead_id}`}>{lead.name}</h2>
        {props.fresh ? <span class="badge new">{t("newBadge")}</span> : null}
        {urgent ? <span class="badge urgent">{t("urgentBadge")}</span> : null}
      </div>
      <p class={`lead-left${urgent ? " urgent" : ""}`}>
        <span class="sr-label">{t("timeLeft")}: </span>
        {leftText}
        {row.dueAt && left.key !== "left.none" ? <span class="muted"> · {t("dueAt", { at: f.dateTime(row.dueAt) })}</span> : null}
      </p>
      <dl class="lead-facts">
        {lead.phone ? (
          <div>
            <dt>{t("phone")}</dt>
            <dd>
              <a href={`tel:${lead.phone}`}>{lead.phone}</a>
            </dd>
          </div>
        ) : null}
        {lead.email ? (
          <div>
            <dt>{t("email")}</dt>
            <dd>{lead.email}</dd>
          </div>
        ) : null}
        <div>
          <dt>{t("step")}</dt>
          <dd>{lead.step}</dd>
        </div>
        <div>
          <dt>{lead.campaign ? t("campaign") : t("pool")}</dt>
          <dd>{lead.campaign ?? lead.pool}</dd>
        </div>
        <div>
          <dt>{t("received")}</dt>
          <dd>{f.dateTime(lead.received_at)}</dd>
        </div>
        <div>
          <dt>{t("lastCare")}</dt>
          <dd>{lead.last_activity_at ? f.dateTime(lead.last_activity_at) : t("neverCared")}</dd>
        </div>
      </dl>
      <LeadActions lead={lead} onDone={props.onDone} />
    </li>
  );
}
