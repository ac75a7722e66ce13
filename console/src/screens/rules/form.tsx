/** Create or edit a rule with the seed's fields; a live preview beside it; 422s shown by field (nothing
 * saved); a stale edit (409) says someone changed the rule and offers a reload. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, ok } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href, navigate } from "../../router";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Page, useLoad } from "../../ui";
import { setFlash } from "./flash";
import { words, type Word } from "./i18n";
import { bodyOf, emptyForm, errorsUnder, fieldErrors, formOf, KINDS, type Kind, type Rule, type RuleForm as Form } from "./logic";
import { Preview } from "./preview";
import { loadStaff, namer, type StaffMember } from "./staff";

/** The form's label for each API field, for the summary of a 422. */
const FIELD_LABELS: Record<string, Word> = {
  name: "field.name",
  kind: "field.kind",
  scope: "field.scopeType",
  "scope.pool": "field.pool",
  "scope.step": "field.step",
  "scope.campaign": "field.campaign",
  delay_minutes: "field.delay",
  staff: "field.staff",
  reclaim_after_minutes: "field.reclaimAfter",
  max_reclaims: "field.maxReclaims",
  absence_stops_reclaim_clock: "field.absenceStops",
  active: "field.active",
  "window.start": "field.windowStart",
  "window.end": "field.windowEnd",
  "window.interval_minutes": "field.interval",
  priority: "field.priority",
  escalate_after_minutes: "field.escalate",
  backlog_hold_minutes: "field.backlogHold",
};

export function RuleForm(props: { ruleId: string | null }) {
  const api = useApi();
  const { me } = useSession();
  const staff = useLoad(() => loadStaff(api), []);
  const rule = useLoad(
    async () => (props.ruleId ? ok(await api.GET("/rules/{rule_id}", { params: { path: { rule_id: props.ruleId } } })) : null),
    [props.ruleId],
  );
  const t = useT(words);
  const title = props.ruleId ? t("editTitle", { name: rule.data?.name ?? props.ruleId }) : t("newTitle");
  if (rule.error || staff.error) {
    return (
      <Page title={title}>
        <ErrorNote error={rule.error ?? staff.error} onReload={() => (rule.reload(), staff.reload())} />
        <a href={href("rules")}>{t("backToList")}</a>
      </Page>
    );
  }
  if (rule.data === undefined || !staff.data) {
    return (
      <Page title={title}>
        <Loading />
      </Page>
    );
  }
  return (
    <Page title={title} actions={<a href={href("rules")}>{t("backToList")}</a>}>
      <Editor
        key={`${rule.data?.rule_id ?? "new"}:${rule.data?.version ?? 0}:${rule.data?.rev ?? 0}`}
        rule={rule.data}
        staff={staff.data}
        timeZone={me.timeZone}
        onReload={rule.reload}
      />
    </Page>
  );
}

function Editor(props: { rule: Rule | null; staff: StaffMember[]; timeZone: string; onReload: () => void }) {
  const t = useT(words);
  const c = useT(common);
  const api = useApi();
  const [form, setForm] = useState<Form>(() => (props.rule ? formOf(props.rule, props.timeZone) : emptyForm()));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const nameOf = namer(props.staff);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  const save = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setErrors({});
    setFailure(null);
    setConflict(false);
    const body = bodyOf(form, props.timeZone);
    try {
      if (props.rule) {
        ok(
          await api.PUT("/rules/{rule_id}", {
            params: { path: { rule_id: props.rule.rule_id } },
            body: { ...body, expected_version: props.rule.version } as never,
          }),
        );
        setFlash(t("savedRule", { name: form.name }));
      } else {
        ok(await api.POST("/rules", { body: body as never }));
        setFlash(t("created", { name: form.name }));
      }
      navigate("rules");
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(fieldErrors(error.body));
      else if (error instanceof ApiError && error.isConflict) setConflict(true);
      else setFailure(error);
    } finally {
      setSaving(false);
    }
  };

  // The answer to a save shows at the top of the form: bring it into view (and to a screen reader).
  useEffect(() => {
    if (Object.keys(errors).length) document.getElementById("rule-errors")?.focus();
  }, [errors]);
  useEffect(() => {
    if (conflict) document.getElementById("rule-conflict")?.focus();
  }, [conflict]);

  /** aria props and the message under one control, for the API fields it stands for. */
  const problem = (id: string, ...fields: string[]) => {
    const messages = fields.flatMap((field) => errorsUnder(errors, field));
    return {
      attrs: messages.length ? { "aria-invalid": true as const, "aria-describedby": `${id}-error` } : {},
      note: messages.length ? (
        <p class="field-error" id={`${id}-error`}>
          {messages.join("; ")}
        </p>
      ) : null,
    };
  };

  const text = (id: string, key: keyof Form, label: Word, fields: string[], type = "text", extra: Record<string, unknown> = {}) => {
    const p = problem(id, ...fields);
    return (
      <div class="field">
        <label for={id}>{t(label)}</label>
        <input
          id={id}
          type={type}
          value={form[key] as string}
          onInput={(e) => set(key, (e.currentTarget as HTMLInputElement).value as never)}
          {...p.attrs}
          {...extra}
        />
        {p.note}
      </div>
    );
  };
  const minutes = (id: string, key: keyof Form, label: Word, field: string) =>
    text(id, key, label, [field], "number", { inputMode: "numeric", step: 1 });

  const chosen = new Map(form.staff.map((s, i) => [s.staffId, i]));
  const listed = [
    ...props.staff.map((s) => s.staff_id),
    ...form.staff.map((s) => s.staffId).filter((id) => !props.staff.some((s) => s.staff_id === id)),
  ];
  const toggle = (staffId: string, on: boolean) =>
    setForm((f) => ({
      ...f,
      staff: on ? [...f.staff, { staffId, weight: "1" }] : f.staff.filter((s) => s.staffId !== staffId),
    }));
  const setWeight = (staffId: string, weight: string) =>
    setForm((f) => ({ ...f, staff: f.staff.map((s) => (s.staffId === staffId ? { ...s, weight } : s)) }));

  const summary = Object.entries(errors);
  const describedBy = (field: string, id: string) => (errors[field] ? { "aria-describedby": id } : {});
  return (
    <div class="rule-editor">
      <form class="rule-form" onSubmit={(e) => void save(e)} noValidate>
        {conflict ? (
          <div class="note error" role="alert" id="rule-conflict" tabIndex={-1}>
            <span>{t("conflict")}</span>
            <button type="button" onClick={props.onReload}>
              {c("reload")}
            </button>
          </div>
        ) : null}
        {failure ? <ErrorNote error={failure} /> : null}
        {summary.length ? (
          <div class="note error" role="alert" id="rule-errors" tabIndex={-1}>
            <p>{t("invalid")}</p>
            <ul>
              {summary.map(([field, message]) => (
                <li key={field}>
                  {t("fieldProblem", { field: labelOf(field, t), message })}
                </li>
              ))}
            </ul>
          </div>
        ) : null}

        <fieldset>
          <legend>{t("section.what")}</legend>
          {text("rule-name", "name", "field.name", ["name"], "text", { autoComplete: "off" })}
          <Select id="rule-kind" label={t("field.kind")} problem={problem("rule-kind", "kind")}>
            <select
              id="rule-kind"
              value={form.kind}
              onChange={(e) => set("kind", (e.currentTarget as HTMLSelectElement).value as Kind)}
              {...problem("rule-kind", "kind").attrs}
            >
              {KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {t(`kind.${kind}`)}
                </option>
              ))}
            </select>
          </Select>
          <fieldset class="inner" {...describedBy("scope", "rule-scope-error")}>
            <legend>{t("field.scopeType")}</legend>
            {(["pool", "campaign"] as const).map((type) => (
              <label class="inline" key={type}>
                <input
                  type="radio"
                  name="rule-scope-type"
                  value={type}
                  checked={form.scopeType === type}
                  onChange={() => set("scopeType", type)}
                />
                {t(`field.scopeType.${type}`)}
              </label>
            ))}
            {form.scopeType === "pool" ? (
              <div class="row">
                {text("rule-pool", "pool", "field.pool", ["scope.pool"])}
                {text("rule-step", "step", "field.step", ["scope.step"])}
              </div>
            ) : (
              text("rule-campaign", "campaign", "field.campaign", ["scope.campaign"])
            )}
            {errors.scope ? (
              <p class="field-error" id="rule-scope-error">
                {errors.scope}
              </p>
            ) : null}
          </fieldset>
          {minutes("rule-delay", "delayMinutes", "field.delay", "delay_minutes")}
        </fieldset>

        <fieldset {...describedBy("staff", "rule-staff-error")}>
          <legend>{t("section.who")}</legend>
          {listed.length === 0 ? <p class="muted">{t("noStaff")}</p> : null}
          {form.kind === "round_robin" ? <p class="muted">{t("weightsOnlyWeighted")}</p> : null}
          <ul class="staff-pick plain">
            {listed.map((staffId) => {
              const index = chosen.get(staffId);
              const entry = index === undefined ? undefined : form.staff[index];
              const weightProblem = problem(`rule-weight-${staffId}`, `staff.${index ?? -1}`);
              return (
                <li key={staffId}>
                  <label class="inline">
                    <input
                      type="checkbox"
                      checked={entry !== undefined}
                      onChange={(e) => toggle(staffId, (e.currentTarget as HTMLInputElement).checked)}
                    />
                    {nameOf(staffId)}
                  </label>
                  {entry && form.kind !== "round_robin" ? (
                    <span class="weight">
                      <input
                        type="number"
                        inputMode="numeric"
                        min={1}
                        max={1000}
                        step={1}
                        aria-label={t("field.weightOf", { name: nameOf(staffId) })}
                        value={entry.weight}
                        onInput={(e) => setWeight(staffId, (e.currentTarget as HTMLInputElement).value)}
                        {...weightProblem.attrs}
                      />
                    </span>
                  ) : null}
                  {entry ? weightProblem.note : null}
                </li>
              );
            })}
          </ul>
          {errors.staff ? (
            <p class="field-error" id="rule-staff-error">
              {errors.staff}
            </p>
          ) : null}
        </fieldset>

        {form.kind === "reclaim" ? (
          <fieldset>
            <legend>{t("section.reclaim")}</legend>
            {minutes("rule-reclaim-after", "reclaimAfterMinutes", "field.reclaimAfter", "reclaim_after_minutes")}
            {minutes("rule-max-reclaims", "maxReclaims", "field.maxReclaims", "max_reclaims")}
            <label class="inline">
              <input
                type="checkbox"
                checked={form.absenceStopsReclaimClock}
                onChange={(e) => set("absenceStopsReclaimClock", (e.currentTarget as HTMLInputElement).checked)}
              />
              {t("field.absenceStops")}
            </label>
          </fieldset>
        ) : null}

        <fieldset>
          <legend>{t("section.when")}</legend>
          <label class="inline">
            <input
              type="checkbox"
              checked={form.active}
              onChange={(e) => set("active", (e.currentTarget as HTMLInputElement).checked)}
            />
            {t("field.active")}
          </label>
          <p class="muted small" id="rule-window-hint">
            {t("windowHint", { zone: props.timeZone })}
          </p>
          <div class="row">
            {text("rule-window-start", "windowStart", "field.windowStart", ["window.start"], "datetime-local")}
            {text("rule-window-end", "windowEnd", "field.windowEnd", ["window.end", "window"], "datetime-local")}
          </div>
          {minutes("rule-interval", "intervalMinutes", "field.interval", "window.interval_minutes")}
          {text("rule-priority", "priority", "field.priority", ["priority"], "number", { step: 1 })}
          {minutes("rule-escalate", "escalateAfterMinutes", "field.escalate", "escalate_after_minutes")}
          {form.kind !== "reclaim"
            ? minutes("rule-backlog", "backlogHoldMinutes", "field.backlogHold", "backlog_hold_minutes")
            : null}
        </fieldset>

        <div class="row">
          <button type="submit" class="primary" disabled={saving}>
            {saving ? c("saving") : props.rule ? t("saveChanges") : t("create")}
          </button>
          <a href={href("rules")}>{c("cancel")}</a>
        </div>
      </form>
      <Preview form={form} timeZone={props.timeZone} nameOf={nameOf} />
    </div>
  );
}

function labelOf(field: string, t: (key: Word) => string): string {
  const exact = FIELD_LABELS[field];
  if (exact) return t(exact);
  const staff = /^staff\.\d+/.exec(field);
  if (staff) return t("field.staff");
  const prefix = Object.keys(FIELD_LABELS).find((key) => field.startsWith(`${key}.`));
  return prefix ? t(FIELD_LABELS[prefix]!) : field;
}

function Select(props: { id: string; label: string; problem: { note: ComponentChildren }; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.problem.note}
    </div>
  );
}
