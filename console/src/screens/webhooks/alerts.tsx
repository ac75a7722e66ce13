/** Who is told when a lead is escalated: e-mail addresses and webhooks (GET/PUT /settings/alerts). The
 * save carries the revision read, so someone else's change in between is a 409 ("reload"), not lost. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, ok } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, useLoad } from "../../ui";
import { dict } from "./i18n";
import { FieldError } from "./list";
import {
  MAX_ALERT_EMAILS,
  MAX_ALERT_WEBHOOKS,
  alertsBody,
  emailRowOf,
  fieldErrors,
  messagesFor,
  otherMessages,
  type Webhook,
} from "./logic";

export function AlertsEditor(props: { webhooks: Webhook[] | undefined }) {
  const t = useT(dict);
  const c = useT(common);
  const api = useApi();
  const read = useLoad(async () => ok(await api.GET("/settings/alerts")), []);
  const [rows, setRows] = useState<string[]>([""]);
  const [chosen, setChosen] = useState<string[]>([]);
  const [revision, setRevision] = useState(0);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (!read.data) return;
    setRows(read.data.emails.length ? [...read.data.emails] : [""]);
    setChosen([...read.data.webhook_ids]);
    setRevision(read.data.revision);
    setFailure(null);
    setErrors({});
  }, [read.data]);

  const existing = new Set((props.webhooks ?? []).map((w) => w.webhook_id));
  const gone = props.webhooks ? chosen.filter((id) => !existing.has(id)) : [];
  const ticked = chosen.filter((id) => existing.has(id));

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    setSaved(false);
    try {
      const answer = ok(await api.PUT("/settings/alerts", { body: alertsBody(rows, chosen, existing, revision) }));
      setRows(answer.emails.length ? [...answer.emails] : [""]);
      setChosen([...answer.webhook_ids]);
      setRevision(answer.revision);
      setSaved(true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(fieldErrors(error.body));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  // A 422 on emails.<i> counts the addresses sent; blank rows were not sent.
  const rowErrors = (row: number) =>
    Object.entries(errors)
      .filter(([key]) => key.startsWith("emails.") && emailRowOf(rows, Number(key.split(".")[1])) === row)
      .flatMap(([, messages]) => messages);
  const listErrors = errors["emails"] ?? [];
  const webhookErrors = messagesFor(errors, "webhook_ids");
  const rest = otherMessages(errors, ["emails", "webhook_ids"]);

  return (
    <section aria-labelledby="wh-alerts-title" class="wh-alerts">
      <h2 id="wh-alerts-title">{t("alertsHeading")}</h2>
      <p class="muted">{t("alertsIntro")}</p>
      {read.error ? <ErrorNote error={read.error} onReload={read.reload} /> : null}
      {!read.data ? (
        read.error ? null : <Loading />
      ) : (
        <form class="card" onSubmit={(e) => void save(e)} noValidate aria-labelledby="wh-alerts-title">
          {read.data.email_enabled ? null : <p class="note warn">{t("emailDisabled")}</p>}
          {failure ? <ErrorNote error={failure} onReload={read.reload} /> : null}
          {Object.keys(errors).length ? (
            <p class="note error" role="alert">
              {t("invalidForm")}
              {rest.length ? ` ${rest.join(" · ")}` : ""}
            </p>
          ) : null}
          {saved ? <Notice>{t("alertsSaved")}</Notice> : null}
          <fieldset aria-describedby="wh-emails-hint wh-emails-error">
            <legend>{t("alertEmails")}</legend>
            <div id="wh-emails-hint" class="muted">
              {t("alertEmailsHint", { n: MAX_ALERT_EMAILS })}
            </div>
            {rows.map((value, row) => {
              const messages = rowErrors(row);
              return (
                <div class="wh-email-row" key={row}>
                  <label for={`wh-email-${row}`} class="visually-hidden">
                    {t("emailLabel", { n: row + 1 })}
                  </label>
                  <input
                    id={`wh-email-${row}`}
                    type="email"
                    autoComplete="off"
                    value={value}
                    aria-invalid={messages.length ? true : undefined}
                    aria-describedby={`wh-email-${row}-error`}
                    onInput={(e) => {
                      const next = e.currentTarget.value;
                      setRows((all) => all.map((old, i) => (i === row ? next : old)));
                    }}
                  />
                  <button
                    type="button"
                    aria-label={t("removeEmail", { n: row + 1 })}
                    onClick={() => setRows((all) => (all.length > 1 ? all.filter((_, i) => i !== row) : [""]))}
                  >
                    {t("remove")}
                  </button>
                  <FieldError id={`wh-email-${row}-error`} label={t("emailLabel", { n: row + 1 })} messages={messages} />
                </div>
              );
            })}
            <FieldError id="wh-emails-error" label={t("field.emails")} messages={listErrors} />
            <button
              type="button"
              disabled={rows.length >= MAX_ALERT_EMAILS}
              onClick={() => setRows((all) => [...all, ""])}
            >
              {t("addEmail")}
            </button>
          </fieldset>
          <fieldset aria-describedby="wh-alert-webhooks-hint wh-alert-webhooks-error">
            <legend>{t("alertWebhooks")}</legend>
            <div id="wh-alert-webhooks-hint" class="muted">
              {t("alertWebhooksHint", { n: MAX_ALERT_WEBHOOKS })}
            </div>
            {props.webhooks && props.webhooks.length === 0 ? <p class="muted">{t("noWebhooksForAlerts")}</p> : null}
            {(props.webhooks ?? []).map((webhook) => {
              const on = chosen.includes(webhook.webhook_id);
              return (
                <label class="inline wh-alert-webhook" key={webhook.webhook_id}>
                  <input
                    type="checkbox"
                    checked={on}
                    disabled={!on && ticked.length >= MAX_ALERT_WEBHOOKS}
                    onChange={(e) => {
                      const tick = e.currentTarget.checked;
                      setChosen((all) => (tick ? [...all, webhook.webhook_id] : all.filter((id) => id !== webhook.webhook_id)));
                    }}
                  />
                  <span>
                    {webhook.url}
                    {webhook.description ? ` (${webhook.description})` : ""}
                  </span>
                </label>
              );
            })}
            {gone.length ? <p class="muted">{t("goneWebhooks", { ids: gone.join(", ") })}</p> : null}
            <FieldError id="wh-alert-webhooks-error" label={t("field.webhook_ids")} messages={webhookErrors} />
          </fieldset>
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? c("saving") : t("saveAlerts")}
            </button>
            <button type="button" onClick={read.reload}>
              {c("reload")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
