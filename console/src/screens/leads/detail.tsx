/** A lead's page: its fields, source and attribution, its full history with each decision's reason in
 * words ("vì sao tôi / vì sao không phải tôi", and "no advertising call" with its reason), the person's
 * consent per purpose (privacy/consents.tsx), and the actions the role may take. */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useLang, useT } from "../../i18n";
import { href } from "../../router";
import { useApi, useSession } from "../../session";
import { Loading, Notice, Page, useLoad } from "../../ui";
import { CallNote, ConsentPanel } from "../privacy/consents";
import { dict, say } from "./i18n";
import { explainDecision, explainEvent, toggled } from "./logic";
import { Refusal, useDirectory, type Directory } from "./shared";

type Lead = Schemas["Lead"];
type Touch = Schemas["Touch"];

export function LeadPage(props: { leadId: string }) {
  const t = useT(dict);
  const c = useT(common);
  const api = useApi();
  const { me } = useSession();
  const dir = useDirectory();
  const detail = useLoad(
    async () => ok(await api.GET("/leads/{lead_id}", { params: { path: { lead_id: props.leadId } } })),
    [props.leadId],
  );
  // After a delete the API no longer shows the lead (404): the page keeps the answer to offer "restore".
  const [deleted, setDeleted] = useState<Lead | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const canManage = me.role !== "staff";

  const act = async (run: () => Promise<unknown>, done: string) => {
    setFailure(null);
    setNotice(null);
    try {
      await run();
      setNotice(done);
      detail.reload();
    } catch (error) {
      setFailure(error);
    }
  };
  const path = { lead_id: props.leadId };
  const back = (
    <p>
      <a href={href("leads")}>{t("back")}</a>
    </p>
  );

  if (deleted) {
    return (
      <Page title={deleted.name}>
        {back}
        <Notice>{t("deleted")}</Notice>
        {failure ? <Refusal error={failure} /> : null}
        <button
          type="button"
          onClick={() =>
            void act(async () => {
              ok(await api.POST("/leads/{lead_id}/restore", { params: { path } }));
              setDeleted(null);
            }, t("restored"))
          }
        >
          {c("restore")}
        </button>
      </Page>
    );
  }
  if (!detail.data) {
    return (
      <Page title={c("nav.leads")}>
        {back}
        {detail.error ? <Refusal error={detail.error} onReload={detail.reload} /> : <Loading />}
      </Page>
    );
  }
  const { lead } = detail.data;
  return (
    <Page title={lead.name}>
      {back}
      <p>
        <span class={`status status-${lead.status}`}>{c(`status.${lead.status}`)}</span>
      </p>
      {notice ? <Notice>{notice}</Notice> : null}
      {failure ? <Refusal error={failure} onReload={detail.reload} /> : null}
      <div class="lead-grid">
        <LeadFields lead={lead} dir={dir} />
        <Attribution lead={lead} />
      </div>
      <ConsentPanel leadId={lead.lead_id} />
      <section class="lead-actions" aria-labelledby="lead-actions">
        <h2 id="lead-actions">{c("actions")}</h2>
        {canManage ? (
          <AssignForm
            lead={lead}
            dir={dir}
            onAssign={(staffIds) =>
              act(
                async () => ok(await api.POST("/leads/{lead_id}/assignees", { params: { path }, body: { staff_ids: staffIds } })),
                t("assignedOk"),
              )
            }
          />
        ) : null}
        <StepForm
          lead={lead}
          onMove={(step) =>
            act(async () => ok(await api.POST("/leads/{lead_id}/step", { params: { path }, body: { step } })), t("stepOk"))
          }
        />
        {canManage ? (
          <div class="danger">
            <h3>{t("dangerZone")}</h3>
            <button
              type="button"
              class="danger"
              onClick={() =>
                void act(async () => {
                  const answer = ok(await api.DELETE("/leads/{lead_id}", { params: { path } }));
                  setDeleted(answer.lead);
                }, t("deleted"))
              }
            >
              {t("deleteLead")}
            </button>
          </div>
        ) : null}
      </section>
      <History history={detail.data.history} dir={dir} />
    </Page>
  );
}

function LeadFields(props: { lead: Lead; dir: Directory }) {
  const t = useT(dict);
  const fmt = useFormat();
  const { lead, dir } = props;
  const rows: [string, string][] = [
    [t("phone"), lead.phone ?? "—"],
    [t("email"), lead.email ?? "—"],
    [t("pool"), lead.pool],
    [t("step"), lead.step],
    [t("campaign"), lead.campaign ?? "—"],
    [t("source"), lead.source ?? "—"],
    [t("owner"), dir.name(lead.owner)],
    [t("assignees"), lead.assignees?.length ? lead.assignees.map(dir.name).join(", ") : "—"],
    [t("received"), fmt.dateTime(lead.received_at)],
    [t("assignedAt"), fmt.dateTime(lead.assigned_at)],
    [t("lastActivity"), fmt.dateTime(lead.last_activity_at)],
    [t("reclaimCount"), fmt.number(lead.reclaim_count)],
    [t("rule"), lead.rule_id ? `${dir.ruleName(lead.rule_id)} v${lead.rule_version ?? "—"}` : "—"],
  ];
  if (lead.duplicate_of) rows.push([t("duplicateOf"), lead.duplicate_of]);
  for (const [name, value] of Object.entries(lead.attributes ?? {})) rows.push([name, value]);
  return (
    <section aria-labelledby="lead-fields">
      <h2 id="lead-fields">{t("fields")}</h2>
      <dl class="facts">
        {rows.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

const TOUCH_FIELDS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "gbraid",
  "wbraid",
  "fbclid",
  "campaign_id",
  "ad_group_id",
  "ad_id",
  "form_id",
  "referrer",
  "landing_url",
] as const;

function TouchFacts(props: { title: string; touch: Touch }) {
  const t = useT(dict);
  const fmt = useFormat();
  const rows = TOUCH_FIELDS.filter((f) => props.touch[f]).map((f) => [f, String(props.touch[f])] as const);
  return (
    <div>
      <h3>{props.title}</h3>
      <dl class="facts">
        <div>
          <dt>{t("touchAt")}</dt>
          <dd>{fmt.dateTime(props.touch.at)}</dd>
        </div>
        {rows.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function Attribution(props: { lead: Lead }) {
  const t = useT(dict);
  const attribution = props.lead.attribution;
  return (
    <section aria-labelledby="lead-attribution">
      <h2 id="lead-attribution">{t("attribution")}</h2>
      {attribution ? (
        <>
          <TouchFacts title={t("firstTouch")} touch={attribution.first} />
          <TouchFacts title={t("latestTouch")} touch={attribution.latest} />
        </>
      ) : (
        <p class="muted">{t("noAttribution")}</p>
      )}
    </section>
  );
}

function History(props: { history: Record<string, unknown>[]; dir: Directory }) {
  const t = useT(dict);
  const lang = useLang();
  const fmt = useFormat();
  return (
    <section aria-labelledby="lead-history" class="history">
      <h2 id="lead-history">{t("history")}</h2>
      <p class="muted">{t("historyHint")}</p>
      <ol>
        {props.history.map((entry, i) => {
          const at = typeof entry.at === "string" ? entry.at : null;
          const by = typeof entry.by === "string" ? entry.by : null;
          if (entry.type === "decision") {
            const words = explainDecision(entry as unknown as Schemas["Decision"], props.dir.name, props.dir.ruleName);
            return (
              <li key={i} class="decision">
                <p class="when">{fmt.dateTime(at)}</p>
                <p class="what">{say(lang, words.title)}</p>
                <CallNote decision={entry as unknown as Schemas["Decision"]} />
                <div class="why">
                  <h3>{t("whyMe")}</h3>
                  <ul>
                    {words.why.map((phrase) => (
                      <li key={phrase.key}>{say(lang, phrase)}</li>
                    ))}
                  </ul>
                </div>
                {words.skipped.length ? (
                  <div class="why-not">
                    <h3>{t("whyNotMe")}</h3>
                    <ul>
                      {words.skipped.map((s) => (
                        <li key={s.who}>
                          {s.who}: {say(lang, s.reason)}
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : null}
              </li>
            );
          }
          return (
            <li key={i} class="event">
              <p class="when">{fmt.dateTime(at)}</p>
              <p class="what">
                {say(lang, explainEvent(entry, props.dir.name))}
                {by ? <span class="muted"> {t("by", { by })}</span> : null}
              </p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function AssignForm(props: { lead: Lead; dir: Directory; onAssign: (staffIds: string[]) => Promise<void> }) {
  const t = useT(dict);
  const { me } = useSession();
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  // A team lead assigns within their own team (the API refuses others).
  const staff = props.dir.staff.filter((s) => s.active && (me.role === "admin" || s.team === me.team));
  return (
    <form
      class="assign"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        await props.onAssign(chosen);
        setBusy(false);
        setChosen([]);
      }}
    >
      <fieldset>
        <legend>{t("assign")}</legend>
        <p class="muted">{t("assignHint")}</p>
        <div class="choices" role="group" aria-label={t("assignStaff")}>
          {staff.map((s) => (
            <label key={s.staff_id} class="inline">
              <input
                type="checkbox"
                checked={chosen.includes(s.staff_id)}
                onChange={() => setChosen((now) => toggled(now, s.staff_id))}
              />
              {props.dir.name(s.staff_id)}
              {s.paused ? <span class="muted"> {t("paused")}</span> : null}
              {chosen[0] === s.staff_id ? <strong> {t("mainOwner")}</strong> : null}
            </label>
          ))}
        </div>
        <button type="submit" class="primary" disabled={busy || chosen.length === 0}>
          {t("assignButton", { n: chosen.length })}
        </button>
      </fieldset>
    </form>
  );
}

function StepForm(props: { lead: Lead; onMove: (step: string) => Promise<void> }) {
  const t = useT(dict);
  const [step, setStep] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="step"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        await props.onMove(step.trim());
        setBusy(false);
      }}
    >
      <fieldset>
        <legend>{t("changeStep")}</legend>
        <label>
          {t("newStep")}
          <input type="text" value={step} placeholder={props.lead.step} onInput={(e) => setStep(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={busy || !step.trim()}>
          {t("moveStep")}
        </button>
      </fieldset>
    </form>
  );
}
