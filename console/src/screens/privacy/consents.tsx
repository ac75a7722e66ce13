/** On a lead's page: "Đồng ý", its consent per purpose (unknown unless answered), and the form a staff
 * member records the person's answer or withdrawal with; and a decision's "no advertising call" note. */
import { useEffect, useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, TableRegion } from "../../ui";
import { dict } from "./i18n";
import { CALL_BARS, currentConsent, leadPurposes } from "./logic";
import "./privacy.css";

type Answer = Schemas["ConsentChange"]["answer"];
const ANSWERS: readonly Answer[] = ["granted", "refused", "withdrawn"];

export function ConsentPanel(props: { leadId: string }) {
  const t = useT(dict);
  const c = useT(common);
  const fmt = useFormat();
  const api = useApi();
  const path = { lead_id: props.leadId };
  const [loaded, setLoaded] = useState<Schemas["LeadConsents"] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [purpose, setPurpose] = useState("call");
  const [answer, setAnswer] = useState<Answer>("granted");
  // a granted call may name the hours (on the customer's clock) they agreed to be called at
  const [hoursFrom, setHoursFrom] = useState("");
  const [hoursTo, setHoursTo] = useState("");
  const withHours = purpose === "call" && answer === "granted";
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  // loaded per lead (and on a reload); the answer of a POST replaces it
  useEffect(() => {
    let live = true;
    setLoadError(null);
    api.GET("/leads/{lead_id}/consents", { params: { path } }).then(
      (answer) => {
        try {
          if (live) setLoaded(ok(answer));
        } catch (error) {
          if (live) setLoadError(error);
        }
      },
      (error: unknown) => live && setLoadError(error),
    );
    return () => {
      live = false;
    };
  }, [props.leadId, tick]);
  const name = (key: string) => {
    const known = ["enquiry", "call", "sms", "email_marketing", "share_integrators"].includes(key);
    return known ? t(`purpose.${key as "call"}`) : key;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setNotice("");
    try {
      const body: Schemas["ConsentChange"] = { purpose, answer };
      if (withHours && (hoursFrom || hoursTo)) body.agreed_hours = { start: hoursFrom, end: hoursTo };
      setLoaded(ok(await api.POST("/leads/{lead_id}/consents", { params: { path }, body })));
      setHoursFrom("");
      setHoursTo("");
      setNotice(t("recorded"));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="pv-consents" aria-labelledby="pv-consents-title">
      <h2 id="pv-consents-title">{t("consentsHeading")}</h2>
      <p class="muted">{t("consentsIntro")}</p>
      {loadError ? <ErrorNote error={loadError} onReload={() => setTick((n) => n + 1)} /> : null}
      {!loaded ? (
        loadError ? null : (
          <Loading />
        )
      ) : (
        <>
          <TableRegion label={t("consentsCaption")}>
            <table aria-label={t("consentsCaption")}>
              <thead>
                <tr>
                  <th scope="col">{t("purpose")}</th>
                  <th scope="col">{t("status")}</th>
                  <th scope="col">{t("since")}</th>
                  <th scope="col">{t("how")}</th>
                  <th scope="col">{t("version")}</th>
                </tr>
              </thead>
              <tbody>
                {leadPurposes(loaded).map((key) => {
                  const record = currentConsent(loaded.consents, key);
                  const status = record?.status ?? "unknown";
                  return (
                    <tr key={key}>
                      <th scope="row">{name(key)}</th>
                      <td class={`pv-${status}`}>{t(`status.${status}`)}</td>
                      <td>{record ? fmt.dateTime(record.at) : "—"}</td>
                      <td>
                        {record ? t(`method.${record.method}`) : "—"}
                        {record?.by ? <span class="muted"> ({record.by})</span> : null}
                      </td>
                      <td>
                        {record?.notice_version ?? "—"}
                        {record?.agreed_hours ? (
                          <div class="muted">
                            {t("agreedHours", {
                              from: record.agreed_hours.start.slice(0, 5),
                              to: record.agreed_hours.end.slice(0, 5),
                            })}
                          </div>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableRegion>
          <form class="pv-filters" onSubmit={(e) => void submit(e)} aria-labelledby="pv-record-title">
            <h3 id="pv-record-title" class="pv-full">
              {t("recordHeading")}
            </h3>
            <label>
              {t("purpose")}
              <select value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)}>
                {leadPurposes(loaded).map((key) => (
                  <option key={key} value={key}>
                    {name(key)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("answer")}
              <select value={answer} onChange={(e) => setAnswer(e.currentTarget.value as Answer)} aria-describedby="pv-withdraw-hint">
                {ANSWERS.map((a) => (
                  <option key={a} value={a}>
                    {t(`answer.${a}`)}
                  </option>
                ))}
              </select>
            </label>
            {withHours ? (
              <>
                <label>
                  {t("agreedFrom")}
                  <input type="time" value={hoursFrom} onInput={(e) => setHoursFrom(e.currentTarget.value)} />
                </label>
                <label>
                  {t("agreedTo")}
                  <input type="time" value={hoursTo} onInput={(e) => setHoursTo(e.currentTarget.value)} />
                </label>
              </>
            ) : null}
            <button type="submit" class="primary" disabled={busy}>
              {busy ? c("saving") : t("recordButton")}
            </button>
            <p id="pv-withdraw-hint" class="muted pv-full">
              {t("withdrawHint")} {withHours ? t("agreedHint") : ""}
            </p>
          </form>
          {notice ? <Notice>{notice}</Notice> : null}
          {failure ? <ErrorNote error={failure} /> : null}
        </>
      )}
    </section>
  );
}

/** A decision's `call_allowed: false`, in words, with when calls open again if only time is in the way. */
export function CallNote(props: { decision: Pick<Schemas["Decision"], "call_allowed" | "call_reason" | "call_allowed_from"> }) {
  const t = useT(dict);
  const fmt = useFormat();
  const { decision } = props;
  if (decision.call_allowed !== false) return null;
  const code = decision.call_reason ?? "";
  const reason = (CALL_BARS as readonly string[]).includes(code)
    ? t(`call.${code as (typeof CALL_BARS)[number]}`)
    : t("call.other", { code: code || "—" });
  return (
    <p class="pv-call">
      {t("callNotAllowed", { reason })}
      {decision.call_allowed_from ? ` ${t("callAllowedFrom", { when: fmt.dateTime(decision.call_allowed_from) })}` : ""}
    </p>
  );
}
