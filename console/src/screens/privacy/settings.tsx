/** "Cài đặt quyền riêng tư": each purpose's name, notice text and version (a changed text under the same
 * version is the API's 422, shown next to the version), retention in days, the ad-data switch, the
 * advertising call hours, and the consent boxes' HTML to copy into a form made earlier. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, ok } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, useLoad } from "../../ui";
import { fieldErrors, messagesFor, otherMessages } from "../webhooks/logic";
import { dict } from "./i18n";
import { draftOf, hhmm, settingsBody, type SettingsDraft } from "./logic";
import { CopyBox, FieldError, Tabs } from "./shared";

const RETENTION = ["leads_days", "submissions_days", "logs_days", "audit_days", "attribution_days"] as const;

export function Settings() {
  const t = useT(dict);
  const c = useT(common);
  const api = useApi();
  const loaded = useLoad(async () => ok(await api.GET("/privacy/settings")), []);
  const [settings, setSettings] = useState<SettingsDraft | null>(null);
  const [revision, setRevision] = useState(0);
  const [html, setHtml] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!loaded.data) return;
    setSettings(draftOf(loaded.data.settings));
    setRevision(loaded.data.revision);
    setHtml(loaded.data.consent_fields);
    setFailure(null);
  }, [loaded.data]);

  if (!settings) {
    return (
      <Page title={t("tab.settings")}>
        <Tabs current="settings" />
        {loaded.error ? <ErrorNote error={loaded.error} onReload={loaded.reload} /> : <Loading />}
      </Page>
    );
  }
  const purposes = settings.purposes;
  const retention = settings.retention;
  const hours = settings.calling_hours;
  const edit = (change: (draft: SettingsDraft) => void) => {
    setSaved(false);
    setSettings((now) => {
      const draft = structuredClone(now ?? settings);
      change(draft);
      return draft;
    });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    setSaved(false);
    try {
      const out = ok(await api.PUT("/privacy/settings", { body: settingsBody(settings, revision) }));
      setSettings(draftOf(out.settings));
      setRevision(out.revision);
      setHtml(out.consent_fields);
      setSaved(true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(fieldErrors(error.body));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const shown = ["purposes", "retention", "calling_hours"];
  const rest = otherMessages(errors, shown);
  const invalid = Object.keys(errors).length > 0;
  return (
    <Page title={t("tab.settings")}>
      <Tabs current="settings" />
      <p class="muted">{t("settingsIntro")}</p>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label={t("tab.settings")}>
        {invalid ? (
          <p class="note error" role="alert">
            {t("invalidForm")}
            {rest.length ? ` ${rest.join(" · ")}` : ""}
          </p>
        ) : null}
        {failure ? <ErrorNote error={failure} onReload={loaded.reload} /> : null}
        {saved ? <Notice>{t("settingsSaved")}</Notice> : null}
        <h2>{t("purposes")}</h2>
        {purposes.map((purpose, i) => {
          const base = `purposes.${i}`;
          const labelErrors = messagesFor(errors, `${base}.label`);
          const textErrors = messagesFor(errors, `${base}.notice_text`);
          const versionErrors = [...messagesFor(errors, `${base}.notice_version`), ...(errors[base] ?? [])];
          const key = purpose.key;
          return (
            <fieldset key={key} class="pv-purpose">
              <legend>
                {purpose.label} <code>{key}</code>
              </legend>
              <label for={`pv-p${i}-label`}>{t("purposeLabel", { key })}</label>
              <input
                id={`pv-p${i}-label`}
                class="pv-wide"
                value={purpose.label}
                aria-invalid={labelErrors.length ? true : undefined}
                aria-describedby={`pv-p${i}-label-error`}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  edit((d) => (d.purposes[i]!.label = value));
                }}
              />
              <FieldError id={`pv-p${i}-label-error`} label={t("purposeLabel", { key })} messages={labelErrors} />
              <label for={`pv-p${i}-text`}>{t("noticeText", { key })}</label>
              <textarea
                id={`pv-p${i}-text`}
                rows={3}
                value={purpose.notice_text}
                aria-invalid={textErrors.length ? true : undefined}
                aria-describedby={`pv-p${i}-text-error`}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  edit((d) => (d.purposes[i]!.notice_text = value));
                }}
              />
              <FieldError id={`pv-p${i}-text-error`} label={t("noticeText", { key })} messages={textErrors} />
              <label for={`pv-p${i}-version`}>{t("noticeVersion", { key })}</label>
              <input
                id={`pv-p${i}-version`}
                value={purpose.notice_version}
                aria-invalid={versionErrors.length ? true : undefined}
                aria-describedby={`pv-p${i}-version-hint pv-p${i}-version-error`}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  edit((d) => (d.purposes[i]!.notice_version = value));
                }}
              />
              <div id={`pv-p${i}-version-hint`} class="muted">
                {t("versionHint")}
              </div>
              <FieldError id={`pv-p${i}-version-error`} label={t("noticeVersion", { key })} messages={versionErrors} />
            </fieldset>
          );
        })}
        <fieldset>
          <legend>{t("retention")}</legend>
          <div class="pv-numbers">
            {RETENTION.map((field) => {
              const messages = messagesFor(errors, `retention.${field}`);
              return (
                <div key={field}>
                  <label for={`pv-r-${field}`}>{t(`retention.${field}`)}</label>
                  <input
                    id={`pv-r-${field}`}
                    type="number"
                    min={1}
                    max={3650}
                    inputMode="numeric"
                    value={retention[field]}
                    aria-invalid={messages.length ? true : undefined}
                    aria-describedby={`pv-r-${field}-error`}
                    onInput={(e) => {
                      const value = e.currentTarget.valueAsNumber;
                      edit((d) => (d.retention = { ...d.retention, [field]: Number.isNaN(value) ? 0 : value }));
                    }}
                  />
                  <FieldError id={`pv-r-${field}-error`} label={t(`retention.${field}`)} messages={messages} />
                </div>
              );
            })}
          </div>
          <label class="inline">
            <input
              type="checkbox"
              checked={retention.keep_attribution}
              onChange={(e) => {
                const value = e.currentTarget.checked;
                edit((d) => (d.retention = { ...d.retention, keep_attribution: value }));
              }}
            />
            {t("keepAttribution")}
          </label>
        </fieldset>
        <fieldset aria-describedby="pv-hours-error">
          <legend>{t("callingHours")}</legend>
          <div class="pv-numbers">
            {(["start", "end"] as const).map((field) => (
              <div key={field}>
                <label for={`pv-hours-${field}`}>{field === "start" ? t("callStart") : t("callEnd")}</label>
                <input
                  id={`pv-hours-${field}`}
                  type="time"
                  value={hhmm(hours[field], field === "start" ? "08:00" : "17:00")}
                  onInput={(e) => {
                    const value = e.currentTarget.value;
                    edit((d) => (d.calling_hours = { ...d.calling_hours, [field]: value }));
                  }}
                />
              </div>
            ))}
          </div>
          <FieldError id="pv-hours-error" label={t("field.calling_hours")} messages={messagesFor(errors, "calling_hours")} />
        </fieldset>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? c("saving") : t("saveSettings")}
          </button>
        </div>
      </form>
      <section class="card pv-card">
        <CopyBox id="pv-consent-fields" label={t("consentFields")} hint={t("consentFieldsHint")} value={html} rows={8} />
      </section>
    </Page>
  );
}
