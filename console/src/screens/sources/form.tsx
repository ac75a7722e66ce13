/** Create or edit a form source. Rows the console can check (origins, hosts, map rows) are checked as
 * typed; everything else is the API's to judge: its 422 is shown next to each field and nothing is
 * saved. A new source shows its key, snippet and preview once (created.tsx). */
import { useEffect, useState } from "preact/hooks";
import { ApiError, ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, useLoad } from "../../ui";
import { Created } from "./created";
import { Field, ListEditor, MapEditor } from "./editors";
import { dict } from "./i18n";
import {
  CAPTCHA_PROVIDERS,
  LEAD_FIELDS,
  createBody,
  draftOf,
  editBody,
  emptyDraft,
  errorUnder,
  fieldErrors,
  hostProblems,
  listErrors,
  mapProblems,
  originProblems,
  rowErrors,
  type CaptchaProvider,
  type Draft,
  type FieldErrors,
} from "./logic";
import { SecretRotation } from "./secret";

type FormSource = Schemas["FormSourceOut"];

export function SourceForm(props: { sourceId?: string }) {
  const t = useT(dict);
  const tc = useT(common);
  const api = useApi();
  const editing = props.sourceId !== undefined;
  const loaded = useLoad(
    async () =>
      editing ? (ok(await api.GET("/form-sources")).items.find((s) => s.source_id === props.sourceId) ?? null) : null,
    [props.sourceId],
  );
  const [source, setSource] = useState<FormSource | null>(null);
  const [created, setCreated] = useState<Schemas["NewFormSource"] | null>(null);
  useEffect(() => setSource(loaded.data ?? null), [loaded.data]);

  if (created) return <Created result={created} />;
  if (editing && loaded.loading && !loaded.data) return (
      <Page title={tc("nav.sources")}>
        <Loading />
      </Page>
    );
  if (editing && loaded.error) {
    return (
      <Page title={tc("nav.sources")}>
        <ErrorNote error={loaded.error} onReload={loaded.reload} />
      </Page>
    );
  }
  if (editing && !source) {
    return (
      <Page title={t("notFound")}>
        <a href={href("sources")}>{t("backToList")}</a>
      </Page>
    );
  }
  return (
    <Page title={source ? t("editTitle", { name: source.name }) : t("createTitle")}>
      <p>
        <a href={href("sources")}>{t("backToList")}</a>
      </p>
      <SourceEditor
        key={source ? source.source_id : "new"}
        source={source}
        onSaved={setSource}
        onCreated={setCreated}
        onReload={loaded.reload}
      />
      {source ? <SecretRotation source={source} /> : null}
    </Page>
  );
}

function SourceEditor(props: {
  source: FormSource | null;
  onSaved: (source: FormSource) => void;
  onCreated: (created: Schemas["NewFormSource"]) => void;
  onReload: () => void;
}) {
  const t = useT(dict);
  const tc = useT(common);
  const api = useApi();
  const { source } = props;
  const [draft, setDraft] = useState<Draft>(() => (source ? draftOf(source) : emptyDraft()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [blocked, setBlocked] = useState(false);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setSaved(false);
  };

  const local = {
    origins: originProblems(draft.origins).map((p) => (p ? t(p) : undefined)),
    hosts: hostProblems(draft.redirectHosts).map((p) => (p ? t(p) : undefined)),
    fieldMap: mapProblems(draft.fieldMap).map((p) => (p ? t(p) : undefined)),
    campaignMap: mapProblems(draft.campaignMap).map((p) => (p ? t(p) : undefined)),
  };
  const server = {
    origins: listErrors(errors, "allowed_origins", draft.origins),
    hosts: listErrors(errors, "redirect_hosts", draft.redirectHosts),
    fieldMap: rowErrors(errors, "field_map", draft.fieldMap),
    campaignMap: rowErrors(errors, "campaign_map", draft.campaignMap),
  };
  const either = (a: (string | undefined)[], b: (string | undefined)[]) => a.map((x, i) => x ?? b[i]);
  const hasLocal = Object.values(local).some((list) => list.some(Boolean));
  const err = (field: string) => errorUnder(errors, field);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (hasLocal) {
      setBlocked(true);
      return;
    }
    setBlocked(false);
    setSaving(true);
    setFailure(null);
    try {
      if (source) {
        const edited = ok(
          await api.PATCH("/form-sources/{source_id}", {
            params: { path: { source_id: source.source_id } },
            body: editBody(draft, source.rev),
          }),
        );
        setErrors({});
        setDraft(draftOf(edited));
        setSaved(true);
        props.onSaved(edited);
      } else {
        const made = ok(await api.POST("/form-sources", { body: createBody(draft) }));
        props.onCreated(made);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        setErrors(fieldErrors(error.body));
      } else {
        setErrors({});
        setFailure(error);
      }
    } finally {
      setSaving(false);
    }
  };

  const messages = Object.entries(errors);
  const captchaSecretHint = source?.web_form?.captcha ? t("captchaSecretKeep") : t("captchaSecretNew");
  return (
    <form class="source-form" onSubmit={submit} noValidate>
      {messages.length ? (
        <div class="note error" role="alert">
          <div>
            <p>{t("invalid")}</p>
            <ul>
              {messages.map(([field, message]) => (
                <li key={field}>
                  <code>{field}</code>: {message}
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : null}
      {failure ? <ErrorNote error={failure} onReload={props.onReload} /> : null}

      <fieldset>
        <legend>{t("general")}</legend>
        <div class="grid">
          <Field id="src-name" label={t("name")} error={err("name")}>
            {(aria) => (
              <input {...aria} type="text" value={draft.name} required onInput={(e) => set("name", e.currentTarget.value)} />
            )}
          </Field>
          <Field id="src-pool" label={t("pool")} error={err("pool")} hint={source ? t("poolFixed") : undefined}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                value={draft.pool}
                required
                readOnly={!!source}
                onInput={(e) => set("pool", e.currentTarget.value)}
              />
            )}
          </Field>
          <Field id="src-step" label={t("step")} error={err("step")}>
            {(aria) => <input {...aria} type="text" value={draft.step} onInput={(e) => set("step", e.currentTarget.value)} />}
          </Field>
          <Field id="src-campaign" label={t("campaign")} hint={t("campaignHint")} error={err("campaign")}>
            {(aria) => (
              <input {...aria} type="text" value={draft.campaign} onInput={(e) => set("campaign", e.currentTarget.value)} />
            )}
          </Field>
        </div>
        {source ? (
          <label class="inline">
            <input type="checkbox" checked={draft.active} onChange={(e) => set("active", e.currentTarget.checked)} />
            {t("activeLabel")}
          </label>
        ) : null}
      </fieldset>

      <ListEditor
        id="src-origins"
        legend={t("origins")}
        hint={t("originsHint")}
        values={draft.origins}
        onChange={(v) => set("origins", v)}
        rowLabel="origin"
        addLabel="addOrigin"
        placeholder={t("originPlaceholder")}
        problems={either(local.origins, server.origins)}
        error={errors["allowed_origins"]}
      />

      <fieldset>
        <legend>{t("afterPost")}</legend>
        <Field id="src-thanks" label={t("thankYou")} hint={t("thankYouHint")} error={err("thank_you_url")}>
          {(aria) => (
            <input
              {...aria}
              type="url"
              class="wide"
              value={draft.thankYouUrl}
              placeholder={t("thankYouPlaceholder")}
              onInput={(e) => set("thankYouUrl", e.currentTarget.value)}
            />
          )}
        </Field>
        <ListEditor
          id="src-hosts"
          legend={t("redirectHosts")}
          values={draft.redirectHosts}
          onChange={(v) => set("redirectHosts", v)}
          rowLabel="redirectHost"
          addLabel="addHost"
          placeholder={t("hostPlaceholder")}
          problems={either(local.hosts, server.hosts)}
          error={errors["redirect_hosts"]}
        />
      </fieldset>

      <fieldset>
        <legend>{t("antiSpam")}</legend>
        <Field id="src-honeypot" label={t("honeypot")} hint={t("honeypotHint")} error={err("honeypot_field")}>
          {(aria) => (
            <input {...aria} type="text" value={draft.honeypot} onInput={(e) => set("honeypot", e.currentTarget.value)} />
          )}
        </Field>
        <label class="inline">
          <input type="checkbox" checked={draft.captchaOn} onChange={(e) => set("captchaOn", e.currentTarget.checked)} />
          {t("captchaOn")}
        </label>
        {draft.captchaOn ? (
          <div class="grid">
            <Field id="src-provider" label={t("provider")} error={err("captcha.provider")}>
              {(aria) => (
                <select
                  {...aria}
                  value={draft.provider}
                  onChange={(e) => set("provider", e.currentTarget.value as CaptchaProvider)}
                >
                  {CAPTCHA_PROVIDERS.map((p) => (
                    <option key={p} value={p}>
                      {t(`provider.${p}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="src-sitekey" label={t("siteKey")} error={err("captcha.site_key")}>
              {(aria) => (
                <input {...aria} type="text" value={draft.siteKey} onInput={(e) => set("siteKey", e.currentTarget.value)} />
              )}
            </Field>
            <Field id="src-captcha-secret" label={t("captchaSecret")} hint={captchaSecretHint} error={err("captcha.secret")}>
              {(aria) => (
                <input
                  {...aria}
                  type="password"
                  autoComplete="new-password"
                  value={draft.captchaSecret}
                  onInput={(e) => set("captchaSecret", e.currentTarget.value)}
                />
              )}
            </Field>
            {draft.provider === "recaptcha_v3" ? (
              <Field id="src-minscore" label={t("minScore")} error={err("captcha.min_score")}>
                {(aria) => (
                  <input
                    {...aria}
                    type="text"
                    inputMode="decimal"
                    value={draft.minScore}
                    onInput={(e) => set("minScore", e.currentTarget.value)}
                  />
                )}
              </Field>
            ) : null}
          </div>
        ) : null}
      </fieldset>

      <MapEditor
        id="src-fieldmap"
        legend={t("fieldMap")}
        hint={t("fieldMapHint")}
        rows={draft.fieldMap}
        onChange={(rows) => set("fieldMap", rows)}
        fromHeader={t("formField")}
        toHeader={t("leadField")}
        fromLabel="formFieldRow"
        toLabel="leadFieldRow"
        addLabel="addField"
        choices={LEAD_FIELDS.map((f) => ({ value: f, label: t(`lead.${f}`) }))}
        problems={either(local.fieldMap, server.fieldMap)}
        error={errors["field_map"]}
      />

      <MapEditor
        id="src-campaignmap"
        legend={t("campaignMap")}
        hint={t("campaignMapHint")}
        rows={draft.campaignMap}
        onChange={(rows) => set("campaignMap", rows)}
        fromHeader={t("utmCampaign")}
        toHeader={t("colCampaign")}
        fromLabel="utmCampaignRow"
        toLabel="campaignRow"
        addLabel="addCampaign"
        problems={either(local.campaignMap, server.campaignMap)}
        error={errors["campaign_map"]}
      />

      <fieldset>
        <legend>{t("limits")}</legend>
        <div class="grid">
          <Field id="src-rate" label={t("ratePerMinute")} error={err("rate_per_minute")}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                inputMode="numeric"
                value={draft.ratePerMinute}
                onInput={(e) => set("ratePerMinute", e.currentTarget.value)}
              />
            )}
          </Field>
          <Field id="src-rate-ip" label={t("ratePerIp")} error={err("rate_per_ip_per_minute")}>
            {(aria) => (
              <input
                {...aria}
                type="text"
                inputMode="numeric"
                value={draft.ratePerIp}
                onInput={(e) => set("ratePerIp", e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
      </fieldset>

      {blocked && hasLocal ? (
        <p class="note error" role="alert">
          {t("fixFirst")}
        </p>
      ) : null}
      {saved ? <Notice>{tc("saved")}</Notice> : null}
      <div class="row">
        <button type="submit" class="primary" disabled={saving}>
          {saving ? tc("saving") : source ? tc("save") : t("createSubmit")}
        </button>
      </div>
    </form>
  );
}
