/** A lead's actions in the list, each two clicks away: open the panel, then pick (a call's outcome, a
 * step) or write and save. The API's answer (422, 403, 409) is shown in the panel; nothing is lost. */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote } from "../../ui";
import { dict, type MyworkKey } from "./i18n";

type Panel = "call" | "note" | "step";
type Lead = Schemas["Lead"];

const OUTCOMES: readonly MyworkKey[] = ["outcome.noAnswer", "outcome.talked", "outcome.callBack", "outcome.wrongNumber"];
/** Steps offered besides the lead's own: a common sales pipeline; any other can be typed. */
export const PIPELINE = ["new", "contacted", "qualified", "won", "lost"] as const;

export function LeadActions(props: { lead: Lead; onDone: (leadId: string, message: string) => void }) {
  const t = useT(dict);
  const tc = useT(common);
  const api = useApi();
  const { lead } = props;
  const [open, setOpen] = useState<Panel | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const panelId = `actions-${lead.lead_id}`;

  const toggle = (panel: Panel) => {
    setOpen(open === panel ? null : panel);
    setText("");
    setError(null);
  };
  const run = async (action: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      setOpen(null);
      props.onDone(lead.lead_id, message);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const activity = (kind: "call" | "note", body: string) =>
    run(
      async () => ok(await api.POST("/leads/{lead_id}/activities", { params: { path: { lead_id: lead.lead_id } }, body: { kind, text: body } })),
      t(kind === "call" ? "calledDone" : "notedDone", { name: lead.name }),
    );
  const move = (step: string) =>
    run(
      async () => ok(await api.POST("/leads/{lead_id}/step", { params: { path: { lead_id: lead.lead_id } }, body: { step } })),
      t("movedDone", { name: lead.name, step }),
    );
  const submit = (event: Event, save: () => Promise<void>) => {
    event.preventDefault();
    if (text.trim()) void save();
  };

  const button = (panel: Panel, label: MyworkKey) => (
    <button type="button" aria-expanded={open === panel} aria-controls={panelId} onClick={() => toggle(panel)}>
      {t(label)}
    </button>
  );
  const steps = [...new Set([lead.step, ...PIPELINE])];
  return (
    <div class="lead-actions">
      <div class="row" role="group" aria-label={t("actionsFor", { name: lead.name })}>
        {button("call", "call")}
        {button("note", "note")}
        {button("step", "moveStep")}
        <a class="details" href={href("leads", lead.lead_id)}>
          {t("details")}
        </a>
      </div>
      <div id={panelId} class="lead-panel" hidden={open === null}>
        {open === "call" ? (
          <form onSubmit={(e) => submit(e, () => activity("call", text.trim()))}>
            <fieldset disabled={busy}>
              <legend>{t("outcomes")}</legend>
              <div class="row">
                {OUTCOMES.map((key) => (
                  <button key={key} type="button" onClick={() => void activity("call", t(key))}>
                    {t(key)}
                  </button>
                ))}
              </div>
              <label for={`call-${lead.lead_id}`}>{t("callText")}</label>
              <div class="row">
                <input id={`call-${lead.lead_id}`} maxLength={2000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
                <button type="submit" class="primary">
                  {t("saveCall")}
                </button>
              </div>
            </fieldset>
          </form>
        ) : open === "note" ? (
          <form onSubmit={(e) => submit(e, () => activity("note", text.trim()))}>
            <fieldset disabled={busy}>
              <legend>{t("note")}</legend>
              <label for={`note-${lead.lead_id}`}>{t("noteText")}</label>
              <textarea id={`note-${lead.lead_id}`} rows={3} maxLength={2000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
              <div class="row">
                <button type="submit" class="primary">
                  {t("saveNote")}
                </button>
                <button type="button" onClick={() => setOpen(null)}>
                  {tc("cancel")}
                </button>
              </div>
            </fieldset>
          </form>
        ) : open === "step" ? (
          <form onSubmit={(e) => submit(e, () => move(text.trim()))}>
            <fieldset disabled={busy}>
              <legend>{t("steps")}</legend>
              <div class="row">
                {steps.map((step) => (
                  <button key={step} type="button" disabled={step === lead.step} onClick={() => void move(step)}>
                    {step}
                    {step === lead.step ? <span class="sr-label"> {t("current")}</span> : null}
                  </button>
                ))}
              </div>
              <label for={`step-${lead.lead_id}`}>{t("otherStep")}</label>
              <div class="row">
                <input id={`step-${lead.lead_id}`} maxLength={64} value={text} onInput={(e) => setText(e.currentTarget.value)} />
                <button type="submit" class="primary">
                  {t("move")}
                </button>
              </div>
            </fieldset>
          </form>
        ) : null}
        {error ? <ErrorNote error={error} /> : null}
      </div>
    </div>
  );
}
