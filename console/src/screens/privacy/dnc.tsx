/** "Danh sách không gọi (DNC)": how many numbers each list holds, pasting numbers (one per line; a bad
 * line refuses the whole upload, named by the line the admin pasted), and removing one number. */
import { useState } from "preact/hooks";
import { ApiError, ok } from "../../api/client";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, useLoad } from "../../ui";
import { dict } from "./i18n";
import { MAX_DNC_LINES, ORIGINS, dncLineErrors, dncLines, type Origin } from "./logic";
import { Tabs } from "./shared";

export function DoNotCall() {
  const t = useT(dict);
  const fmt = useFormat();
  const api = useApi();
  const counts = useLoad(async () => ok(await api.GET("/privacy/do-not-call")), []);
  return (
    <Page title={t("tab.dnc")}>
      <Tabs current="dnc" />
      <p class="muted">{t("dncIntro")}</p>
      {counts.error ? <ErrorNote error={counts.error} onReload={counts.reload} /> : null}
      {!counts.data ? (
        counts.error ? null : (
          <Loading />
        )
      ) : (
        <div class="cards" aria-live="polite">
          <div class="card stat">
            <h2 id="pv-count-tenant">{t("tenantList")}</h2>
            <div class="value">
              {t("numbers", { n: fmt.number(counts.data.tenant) })}
            </div>
          </div>
          <div class="card stat">
            <h2 id="pv-count-national">{t("nationalList")}</h2>
            <div class="value">
              {t("numbers", { n: fmt.number(counts.data.national) })}
            </div>
          </div>
        </div>
      )}
      <AddNumbers onAdded={counts.reload} />
      <RemoveNumber onRemoved={counts.reload} />
    </Page>
  );
}

function OriginChoice(props: { name: string; value: Origin; onChange: (origin: Origin) => void }) {
  const t = useT(dict);
  return (
    <fieldset>
      <legend>{t("origin")}</legend>
      {ORIGINS.map((origin) => (
        <label class="inline" key={origin}>
          <input
            type="radio"
            name={props.name}
            value={origin}
            checked={props.value === origin}
            onChange={() => props.onChange(origin)}
          />
          {t(`origin.${origin}`)}
        </label>
      ))}
    </fieldset>
  );
}

function AddNumbers(props: { onAdded: () => void }) {
  const t = useT(dict);
  const fmt = useFormat();
  const api = useApi();
  const [origin, setOrigin] = useState<Origin>("tenant");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<{ line: number; message: string }[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const { phones, lines } = dncLines(text);
  const tooMany = phones.length > MAX_DNC_LINES;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblems([]);
    setFailure(null);
    setNotice("");
    try {
      const added = ok(await api.POST("/privacy/do-not-call", { body: { origin, phones } }));
      setText("");
      setNotice(t("added", { n: fmt.number(added.numbers), origin: t(`origin.${added.origin}`) }));
      props.onAdded();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setProblems(dncLineErrors(error.body, lines));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card pv-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="pv-add-title">
      <h2 id="pv-add-title">{t("addHeading")}</h2>
      {notice ? <Notice>{notice}</Notice> : null}
      {failure ? <ErrorNote error={failure} /> : null}
      <OriginChoice name="pv-add-origin" value={origin} onChange={setOrigin} />
      <label for="pv-phones">{t("pasteLabel")}</label>
      <textarea
        id="pv-phones"
        rows={8}
        class="pv-code"
        spellcheck={false}
        value={text}
        aria-invalid={problems.length || tooMany ? true : undefined}
        aria-describedby="pv-phones-hint pv-phones-count pv-phones-error"
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <div id="pv-phones-hint" class="muted">
        {t("pasteHint")}
      </div>
      <div id="pv-phones-count" class="muted">
        {t("lineCount", { n: fmt.number(phones.length) })}
      </div>
      <div id="pv-phones-error" class="pv-field-error" role="alert">
        {tooMany ? <p>{t("tooMany", { max: fmt.number(MAX_DNC_LINES) })}</p> : null}
        {problems.length ? (
          <>
            <p>{t("lineErrors")}</p>
            <ul>
              {problems.map((p) => (
                <li key={`${p.line}-${p.message}`}>{t("lineError", { line: p.line, message: p.message })}</li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
      <div class="row">
        <button type="submit" class="primary" disabled={busy || tooMany || phones.length === 0}>
          {busy ? t("adding") : t("addButton")}
        </button>
      </div>
    </form>
  );
}

function RemoveNumber(props: { onRemoved: () => void }) {
  const t = useT(dict);
  const api = useApi();
  const [origin, setOrigin] = useState<Origin>("tenant");
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [problem, setProblem] = useState("");
  const [notice, setNotice] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setProblem("");
    setNotice("");
    try {
      ok(await api.POST("/privacy/do-not-call/remove", { body: { origin, phone: phone.trim() } }));
      setPhone("");
      setNotice(t("removed", { origin: t(`origin.${origin}`) }));
      props.onRemoved();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setProblem(t("notListed", { origin: t(`origin.${origin}`) }));
      else if (error instanceof ApiError && error.status === 422) setProblem(dncLineErrors(error.body, [1]).map((p) => p.message).join(" · ") || error.message);
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card pv-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="pv-remove-title">
      <h2 id="pv-remove-title">{t("removeHeading")}</h2>
      {notice ? <Notice>{notice}</Notice> : null}
      {failure ? <ErrorNote error={failure} /> : null}
      <OriginChoice name="pv-remove-origin" value={origin} onChange={setOrigin} />
      <label for="pv-remove-phone">{t("removePhone")}</label>
      <input
        id="pv-remove-phone"
        type="tel"
        inputMode="tel"
        autoComplete="off"
        value={phone}
        aria-invalid={problem ? true : undefined}
        aria-describedby="pv-remove-error"
        onInput={(e) => setPhone(e.currentTarget.value)}
      />
      <div id="pv-remove-error" class="pv-field-error" role="alert">
        {problem}
      </div>
      <div class="row">
        <button type="submit" disabled={busy || !phone.trim()}>
          {t("removeButton")}
        </button>
      </div>
    </form>
  );
}
