/** "Yêu cầu của khách hàng": the list (open first, deadlines as dates, overdue and due-soon marked), the
 * form that records one, and a request's page: extend once with a reason, complete (fulfil or refuse;
 * access and export hand back the person's data once, offered as a JSON file; erase asks first). */
import { useState } from "preact/hooks";
import { ApiError, ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { fieldErrors, messagesFor, otherMessages } from "../webhooks/logic";
import { dict } from "./i18n";
import {
  REFUSALS,
  REQUEST_KINDS,
  dataFileName,
  givesData,
  requestBody,
  sortRequests,
  stops,
  urgency,
  type Refusal,
  type RequestForm,
  type RequestKind,
  type RequestView,
} from "./logic";
import { Confirm, FieldError, Tabs, download } from "./shared";

export function RequestList() {
  const t = useT(dict);
  const fmt = useFormat();
  const api = useApi();
  const listed = useLoad(async () => ok(await api.GET("/privacy/requests", { params: { query: { limit: 200 } } })), []);
  const [notice, setNotice] = useState("");
  const requests = listed.data ? sortRequests(listed.data.requests) : undefined;
  return (
    <Page title={t("tab.requests")}>
      <Tabs current="requests" />
      <p class="muted">{t("requestsIntro")}</p>
      {notice ? <Notice>{notice}</Notice> : null}
      {listed.error ? <ErrorNote error={listed.error} onReload={listed.reload} /> : null}
      {!requests ? (
        listed.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <p>
            <strong>{t("summary", { open: listed.data?.open ?? 0, soon: listed.data?.due_soon ?? 0 })}</strong>
          </p>
          {requests.length === 0 ? (
            <p class="muted">{t("noRequests")}</p>
          ) : (
            <TableRegion labelledBy="pv-requests-caption">
              <table>
                <caption id="pv-requests-caption" class="pv-visually-hidden">
                  {t("requestCount", { n: requests.length })}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{t("kind")}</th>
                    <th scope="col">{t("customer")}</th>
                    <th scope="col">{t("receivedOn")}</th>
                    <th scope="col">{t("nextDue")}</th>
                    <th scope="col">{t("stopDue")}</th>
                    <th scope="col">{t("state")}</th>
                  </tr>
                </thead>
                <tbody>
                  {requests.map((r) => {
                    const u = urgency(r);
                    const kind = t(`kind.${r.kind}`);
                    return (
                      <tr key={r.request_id} class={`pv-row-${u}`}>
                        <td>
                          <a
                            href={href("privacy", "requests", r.request_id)}
                            aria-label={t("openRequest", { kind, day: fmt.date(r.received_on) })}
                          >
                            {kind}
                          </a>
                        </td>
                        <td>{contact(r) || <span class="muted">{t("hidden")}</span>}</td>
                        <td class="pv-date">{fmt.date(r.received_on)}</td>
                        <td class="pv-date">{r.status === "completed" ? "—" : fmt.date(r.next_due)}</td>
                        <td class="pv-date">{r.stop_due ? fmt.date(r.stop_due) : "—"}</td>
                        <td>
                          <span class={`badge pv-${u}`}>{t(`urgency.${u}`)}</span>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableRegion>
          )}
        </>
      )}
      <CreateRequest
        onCreated={(made) => {
          setNotice(t("created", { day: fmt.date(made.answer_due) }));
          listed.reload();
        }}
      />
    </Page>
  );
}

function contact(r: RequestView): string {
  return [r.subject?.phone, r.subject?.email].filter(Boolean).join(" · ");
}

const EMPTY: RequestForm = {
  kind: "access",
  phone: "",
  email: "",
  processorMustStop: false,
  correctName: "",
  correctPhone: "",
  correctEmail: "",
  receivedOn: "",
};

function CreateRequest(props: { onCreated: (made: RequestView) => void }) {
  const t = useT(dict);
  const api = useApi();
  const fmt = useFormat();
  const [form, setForm] = useState<RequestForm>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const set = (patch: Partial<RequestForm>) => setForm((now) => ({ ...now, ...patch }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      const made = ok(await api.POST("/privacy/requests", { body: requestBody(form, fmt.timeZone) }));
      setForm(EMPTY);
      props.onCreated(made);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(fieldErrors(error.body));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const phoneErrors = messagesFor(errors, "phone");
  const emailErrors = messagesFor(errors, "email");
  const correctionErrors = messagesFor(errors, "corrections");
  const receivedErrors = messagesFor(errors, "received_at");
  const rest = otherMessages(errors, ["phone", "email", "corrections", "received_at"]);
  return (
    <form class="card pv-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="pv-create-title">
      <h2 id="pv-create-title">{t("createHeading")}</h2>
      {Object.keys(errors).length ? (
        <p class="note error" role="alert">
          {t("invalidForm")}
          {rest.length ? ` ${rest.join(" · ")}` : ""}
        </p>
      ) : null}
      {failure ? <ErrorNote error={failure} /> : null}
      <label for="pv-kind">{t("kind")}</label>
      <select id="pv-kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value as RequestKind })}>
        {REQUEST_KINDS.map((kind) => (
          <option key={kind} value={kind}>
            {t(`kind.${kind}`)}
          </option>
        ))}
      </select>
      <p id="pv-contact-hint" class="muted">
        {t("contactHint")}
      </p>
      <label for="pv-phone">{t("phone")}</label>
      <input
        id="pv-phone"
        type="tel"
        inputMode="tel"
        autoComplete="off"
        value={form.phone}
        aria-invalid={phoneErrors.length ? true : undefined}
        aria-describedby="pv-contact-hint pv-phone-error"
        onInput={(e) => set({ phone: e.currentTarget.value })}
      />
      <FieldError id="pv-phone-error" label={t("field.phone")} messages={phoneErrors} />
      <label for="pv-email">{t("email")}</label>
      <input
        id="pv-email"
        type="email"
        autoComplete="off"
        class="pv-wide"
        value={form.email}
        aria-invalid={emailErrors.length ? true : undefined}
        aria-describedby="pv-contact-hint pv-email-error"
        onInput={(e) => set({ email: e.currentTarget.value })}
      />
      <FieldError id="pv-email-error" label={t("field.email")} messages={emailErrors} />
      <label for="pv-received-on">{t("receivedOnField")}</label>
      <input
        id="pv-received-on"
        type="date"
        value={form.receivedOn}
        aria-invalid={receivedErrors.length ? true : undefined}
        aria-describedby="pv-received-hint pv-received-error"
        onInput={(e) => set({ receivedOn: e.currentTarget.value })}
      />
      <div id="pv-received-hint" class="muted">
        {t("receivedOnHint")}
      </div>
      <FieldError id="pv-received-error" label={t("receivedOnField")} messages={receivedErrors} />
      {stops(form.kind) ? (
        <label class="inline">
          <input
            type="checkbox"
            checked={form.processorMustStop}
            onChange={(e) => set({ processorMustStop: e.currentTarget.checked })}
          />
          {t("processorMustStop")}
        </label>
      ) : null}
      {form.kind === "correct" ? (
        <fieldset aria-describedby="pv-corrections-error">
          <legend>{t("corrections")}</legend>
          <label for="pv-correct-name">{t("correctName")}</label>
          <input id="pv-correct-name" class="pv-wide" value={form.correctName} onInput={(e) => set({ correctName: e.currentTarget.value })} />
          <label for="pv-correct-phone">{t("correctPhone")}</label>
          <input id="pv-correct-phone" type="tel" value={form.correctPhone} onInput={(e) => set({ correctPhone: e.currentTarget.value })} />
          <label for="pv-correct-email">{t("correctEmail")}</label>
          <input id="pv-correct-email" type="email" class="pv-wide" value={form.correctEmail} onInput={(e) => set({ correctEmail: e.currentTarget.value })} />
          <FieldError id="pv-corrections-error" label={t("field.corrections")} messages={correctionErrors} />
        </fieldset>
      ) : null}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("creating") : t("createButton")}
        </button>
      </div>
    </form>
  );
}

export function RequestPage(props: { requestId: string }) {
  const t = useT(dict);
  const c = useT(common);
  const fmt = useFormat();
  const api = useApi();
  const path = { request_id: props.requestId };
  const loaded = useLoad(async () => ok(await api.GET("/privacy/requests/{request_id}", { params: { path } })), [props.requestId]);
  const [view, setView] = useState<RequestView | null>(null);
  const [data, setData] = useState<Record<string, unknown> | null>(null);
  const [notice, setNotice] = useState("");
  const request = view ?? loaded.data;
  const back = (
    <p>
      <a href={href("privacy")}>{t("backToRequests")}</a>
    </p>
  );
  if (!request) {
    return (
      <Page title={t("tab.requests")}>
        {back}
        {loaded.error ? <ErrorNote error={loaded.error} onReload={loaded.reload} /> : <Loading />}
      </Page>
    );
  }
  const u = urgency(request);
  const open = request.status !== "completed";
  const outcome = request.outcome;
  return (
    <Page title={t("requestTitle", { kind: t(`kind.${request.kind}`) })}>
      {back}
      <p>
        <span class={`badge pv-${u}`}>{t(`urgency.${u}`)}</span>
      </p>
      {notice ? <Notice>{notice}</Notice> : null}
      {data ? (
        <div class="note warn" role="alert">
          <span>{t("dataReady")}</span>
          <button
            type="button"
            class="primary"
            onClick={() =>
              download(
                dataFileName(request.request_id, request.kind, new Date().toISOString().slice(0, 10)),
                JSON.stringify(data, null, 2),
                "application/json",
              )
            }
          >
            {t("downloadData")}
          </button>
        </div>
      ) : null}
      <dl class="pv-facts">
        <dt>{t("customer")}</dt>
        <dd>{contact(request) || t("hidden")}</dd>
        <dt>{t("receivedAt")}</dt>
        <dd>{fmt.dateTime(request.received_at)}</dd>
        <dt>{t("answerDue")}</dt>
        <dd>{fmt.date(request.answer_due)}</dd>
        {request.stop_due ? (
          <>
            <dt>{t("stopDue")}</dt>
            <dd>{fmt.date(request.stop_due)}</dd>
          </>
        ) : null}
        {open ? (
          <>
            <dt>{t("nextDue")}</dt>
            <dd class={`pv-${u}`}>{fmt.date(request.next_due)}</dd>
          </>
        ) : null}
        <dt>{t("extension")}</dt>
        <dd>
          {request.extension
            ? t("extensionText", {
                day: fmt.date(request.extension.due),
                by: request.extension.by,
                reason: request.extension.reason,
              })
            : t("noExtension")}
        </dd>
        <dt>{t("createdBy")}</dt>
        <dd>{request.created_by}</dd>
        {request.processor_must_stop ? (
          <>
            <dt>{t("processorMustStop")}</dt>
            <dd>{c("yes")}</dd>
          </>
        ) : null}
        {outcome ? (
          <>
            <dt>{t("outcome")}</dt>
            <dd>
              {t(`result.${outcome.result}`)}
              {outcome.refusal ? `: ${t(`refusal.${outcome.refusal}`)}` : ""}
            </dd>
            <dt>{t("leadsConcerned")}</dt>
            <dd class="pv-id">{outcome.lead_ids?.length ? outcome.lead_ids.join(", ") : c("none")}</dd>
            <dt>{t("completedAt")}</dt>
            <dd>{fmt.dateTime(request.completed_at)}</dd>
            <dt>{t("completedBy")}</dt>
            <dd>{request.completed_by ?? "—"}</dd>
          </>
        ) : null}
      </dl>
      {open && !request.extension ? (
        <ExtendForm
          requestId={request.request_id}
          onDone={(next) => {
            setView(next);
            setNotice(t("extended", { day: fmt.date(next.next_due) }));
          }}
        />
      ) : null}
      {open ? (
        <CompleteForms
          request={request}
          onDone={(done) => {
            setView(done.request);
            if (done.data) setData(done.data);
            setNotice(t("completed"));
          }}
        />
      ) : null}
    </Page>
  );
}

function ExtendForm(props: { requestId: string; onDone: (view: RequestView) => void }) {
  const t = useT(dict);
  const api = useApi();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      const next = ok(
        await api.POST("/privacy/requests/{request_id}/extend", {
          params: { path: { request_id: props.requestId } },
          body: { reason: reason.trim() },
        }),
      );
      props.onDone(next);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(fieldErrors(error.body));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const reasonErrors = messagesFor(errors, "reason");
  return (
    <form class="card pv-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="pv-extend-title">
      <h2 id="pv-extend-title">{t("extendHeading")}</h2>
      {failure ? <ErrorNote error={failure} /> : null}
      <label for="pv-extend-reason">{t("extendReason")}</label>
      <textarea
        id="pv-extend-reason"
        class="pv-wide"
        rows={2}
        maxLength={500}
        value={reason}
        aria-invalid={reasonErrors.length ? true : undefined}
        aria-describedby="pv-extend-error"
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      <FieldError id="pv-extend-error" label={t("field.reason")} messages={reasonErrors} />
      <div class="row">
        <button type="submit" disabled={busy || !reason.trim()}>
          {t("extendButton")}
        </button>
      </div>
    </form>
  );
}

function CompleteForms(props: { request: RequestView; onDone: (done: Schemas["Completion"]) => void }) {
  const t = useT(dict);
  const api = useApi();
  const { request } = props;
  const [lift, setLift] = useState(false);
  const [refusal, setRefusal] = useState<Refusal>("identity_not_verified");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const complete = async (body: Schemas["CompleteIn"]) => {
    setBusy(true);
    setFailure(null);
    try {
      const done = ok(
        await api.POST("/privacy/requests/{request_id}/complete", {
          params: { path: { request_id: request.request_id } },
          body,
        }),
      );
      setConfirming(false);
      props.onDone(done);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const fulfil = () => (request.kind === "erase" ? setConfirming(true) : void complete({ result: "fulfilled", lift: stops(request.kind) && lift }));
  return (
    <section class="card pv-card" aria-labelledby="pv-complete-title">
      <h2 id="pv-complete-title">{t("completeHeading")}</h2>
      {failure && !confirming ? <ErrorNote error={failure} /> : null}
      <h3>{t("fulfilHeading")}</h3>
      {givesData(request.kind) ? <p class="muted">{t("fulfilHint")}</p> : null}
      {stops(request.kind) ? (
        <label class="inline">
          <input type="checkbox" checked={lift} onChange={(e) => setLift(e.currentTarget.checked)} />
          {t("lift")}
        </label>
      ) : null}
      <div class="row">
        <button type="button" class={request.kind === "erase" ? "danger" : "primary"} disabled={busy} onClick={fulfil}>
          {t(`fulfil.${request.kind}`)}
        </button>
      </div>
      <h3>{t("refuseHeading")}</h3>
      <div class="row">
        <div>
          <label for="pv-refusal">{t("refusal")}</label>
          <select id="pv-refusal" value={refusal} onChange={(e) => setRefusal(e.currentTarget.value as Refusal)}>
            {REFUSALS.map((r) => (
              <option key={r} value={r}>
                {t(`refusal.${r}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" disabled={busy} onClick={() => void complete({ result: "refused", lift: false, refusal })}>
          {t("refuseButton")}
        </button>
      </div>
      {confirming ? (
        <Confirm
          title={t("eraseTitle")}
          confirm={t("eraseConfirm")}
          busy={busy}
          onConfirm={() => void complete({ result: "fulfilled", lift: false })}
          onCancel={() => setConfirming(false)}
        >
          <p>{t("eraseText")}</p>
          {contact(request) ? <p class="pv-id">{contact(request)}</p> : null}
          {failure ? <ErrorNote error={failure} /> : null}
        </Confirm>
      ) : null}
    </section>
  );
}
