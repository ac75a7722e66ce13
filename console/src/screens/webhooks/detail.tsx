/** One webhook's page: its delivery log (paged by the API's cursor; the first page refreshes itself) and
 * a test delivery whose outcome is followed in the log until it has one, or a deadline passes. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, ok } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { href, navigate } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { Confirm } from "../../ui";
import { dict } from "./i18n";
import { EventList } from "./list";
import { EVENT_TYPES, testOutcome, type Delivery, type EventType } from "./logic";

const PAGE_SIZE = 25;
/** The first page of the log is read again this often while it is open (new events, retries). */
const REFRESH_MS = 5_000;
/** A test event's outcome is looked for this often, for at most this long. */
const TEST_POLL_MS = 1_000;
const TEST_DEADLINE_S = 45;

type TestState =
  | { state: "idle" }
  | { state: "sending" }
  | { state: "waiting"; id: string }
  | { state: "delivered"; id: string; code: number | null | undefined }
  | { state: "failed"; id: string; status: Delivery["status"] }
  | { state: "timeout"; id: string }
  | { state: "error"; error: unknown };

export function WebhookDetail(props: { webhookId: string }) {
  const t = useT(dict);
  const c = useT(common);
  const api = useApi();
  const path = { webhook_id: props.webhookId };
  const webhook = useLoad(async () => ok(await api.GET("/webhooks/{webhook_id}", { params: { path } })), [props.webhookId]);
  // cursors[i] opens page i (null: the first)
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex] ?? null;
  const log = useLoad(
    async () =>
      ok(
        await api.GET("/webhooks/{webhook_id}/deliveries", {
          params: { path, query: cursor ? { limit: PAGE_SIZE, cursor } : { limit: PAGE_SIZE } },
        }),
      ),
    [props.webhookId, cursor],
  );
  const [test, setTest] = useState<TestState>({ state: "idle" });
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  // The first page follows new deliveries on its own; a waiting test event is looked for more often.
  const waiting = test.state === "waiting";
  useEffect(() => {
    if (pageIndex !== 0) return;
    const timer = setInterval(log.reload, waiting ? TEST_POLL_MS : REFRESH_MS);
    return () => clearInterval(timer);
  }, [pageIndex, waiting, log.reload]);

  // A waiting test event: its outcome once the log shows one, or "no result" after the deadline.
  const since = useRef(0);
  useEffect(() => {
    if (test.state !== "waiting") return;
    const outcome = testOutcome(log.data?.items ?? [], test.id);
    if (outcome.state === "delivered") {
      setTest({ state: "delivered", id: test.id, code: outcome.delivery.last_status_code });
    } else if (outcome.state === "failed") {
      setTest({ state: "failed", id: test.id, status: outcome.delivery.status });
    } else if (Date.now() - since.current > TEST_DEADLINE_S * 1000) {
      setTest({ state: "timeout", id: test.id });
    }
  }, [log.data, test]);

  const sendTest = async () => {
    setTest({ state: "sending" });
    try {
      const queued = ok(await api.POST("/webhooks/{webhook_id}/test", { params: { path } }));
      since.current = Date.now();
      setCursors([null]);
      setTest({ state: "waiting", id: queued.event_id });
      log.reload();
    } catch (error) {
      setTest({ state: "error", error });
    }
  };

  const remove = async () => {
    try {
      ok(await api.DELETE("/webhooks/{webhook_id}", { params: { path } }));
      navigate("webhooks");
    } catch (error) {
      setDeleteError(error);
    }
  };

  const url = webhook.data?.url ?? props.webhookId;
  return (
    <Page
      title={t("webhookHeading", { url })}
      actions={
        <>
          <button type="button" class="primary" disabled={test.state === "sending" || waiting} onClick={() => void sendTest()}>
            {test.state === "sending" ? t("sendingTest") : t("sendTest")}
          </button>
          <button type="button" class="danger" onClick={() => (setDeleteError(null), setConfirming(true))}>
            {c("delete")}
          </button>
        </>
      }
    >
      <p>
        <a href={href("webhooks")}>{t("back")}</a>
      </p>
      {webhook.error ? <ErrorNote error={webhook.error} onReload={webhook.reload} /> : null}
      {webhook.data ? (
        <dl class="wh-facts">
          <dt>{t("url")}</dt>
          <dd class="wh-url">{webhook.data.url}</dd>
          {webhook.data.description ? (
            <>
              <dt>{t("description")}</dt>
              <dd>{webhook.data.description}</dd>
            </>
          ) : null}
          <dt>{t("eventTypes")}</dt>
          <dd>
            <EventList types={webhook.data.event_types ?? []} />
          </dd>
          <dt>{t("active")}</dt>
          <dd>{webhook.data.active ? t("yesActive") : t("noActive")}</dd>
        </dl>
      ) : null}
      <TestNote test={test} />
      <section aria-labelledby="wh-log-title">
        <div class="page-head">
          <h2 id="wh-log-title">{t("deliveriesHeading")}</h2>
          <button type="button" onClick={log.reload}>
            {c("reload")}
          </button>
        </div>
        <p class="muted">
          {t("deliveriesIntro")} {c("timeZoneNote", { zone: useFormat().timeZone })}
        </p>
        {log.error ? <ErrorNote error={log.error} onReload={log.reload} /> : null}
        {!log.data ? (
          log.error ? null : <Loading />
        ) : log.data.items.length === 0 ? (
          <p class="muted">{t("noDeliveries")}</p>
        ) : (
          <DeliveryTable items={log.data.items} highlight={"id" in test ? test.id : undefined} />
        )}
        <nav class="row wh-pager" aria-label={t("deliveriesHeading")}>
          <button type="button" disabled={pageIndex === 0} onClick={() => setCursors((all) => all.slice(0, -1))}>
            {c("previous")}
          </button>
          <span>{t("pageOf", { n: pageIndex + 1 })}</span>
          <button
            type="button"
            disabled={!log.data?.cursor}
            onClick={() => log.data?.cursor && setCursors((all) => [...all, log.data?.cursor ?? null])}
          >
            {c("next")}
          </button>
        </nav>
      </section>
      {confirming ? (
        <Confirm title={t("confirmDeleteTitle")} confirm={t("confirmDelete")} onConfirm={() => void remove()} onCancel={() => setConfirming(false)}>
          <p>{t("confirmDeleteText", { url })}</p>
          {deleteError ? <ErrorNote error={deleteError} /> : null}
        </Confirm>
      ) : null}
    </Page>
  );
}

function TestNote(props: { test: TestState }) {
  const t = useT(dict);
  const test = props.test;
  if (test.state === "waiting")
    return (
      <p class="note warn" role="status">
        {t("testQueued", { id: test.id })}
      </p>
    );
  if (test.state === "delivered") return <Notice>{t("testDelivered", { id: test.id, code: test.code ?? "—" })}</Notice>;
  if (test.state === "failed")
    return (
      <p class="note error" role="alert">
        {t("testFailed", { id: test.id, status: t(`delivery.${test.status}`) })}
      </p>
    );
  if (test.state === "timeout")
    return (
      <p class="note warn" role="status">
        {t("testNoResult", { id: test.id, seconds: TEST_DEADLINE_S })}
      </p>
    );
  if (test.state === "error") {
    if (test.error instanceof ApiError && test.error.status === 429)
      return (
        <p class="note error" role="alert">
          {t("testRateLimited")}
        </p>
      );
    return <ErrorNote error={test.error} />;
  }
  return null;
}

function DeliveryTable(props: { items: Delivery[]; highlight?: string | undefined }) {
  const t = useT(dict);
  const fmt = useFormat();
  return (
    <TableRegion labelledBy="wh-log-title">
      <table class="wh-log" aria-labelledby="wh-log-title">
        <thead>
          <tr>
            <th scope="col">{t("event")}</th>
            <th scope="col">{t("status")}</th>
            <th scope="col" class="num">
              {t("attempts")}
            </th>
            <th scope="col">{t("lastAttempt")}</th>
            <th scope="col" class="num">
              {t("httpStatus")}
            </th>
            <th scope="col">{t("error")}</th>
            <th scope="col">{t("nextAttempt")}</th>
            <th scope="col">{t("deliveredAt")}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((d) => (
            <tr key={d.event_id} class={d.event_id === props.highlight ? "wh-highlight" : undefined} data-event-id={d.event_id}>
              <th scope="row" class="wh-event">
                <span>{EVENT_TYPES.includes(d.event_type as EventType) ? t(`event.${d.event_type as EventType}`) : d.event_type}</span>{" "}
                <code>{d.event_type}</code>
                {d.test ? <span class="badge wh-test">{t("testBadge")}</span> : null}
                <div class="muted wh-id">{d.event_id}</div>
                <div class="muted">{fmt.dateTime(d.occurred_at)}</div>
              </th>
              <td>
                <span class={`badge wh-status-${d.status}`}>{t(`delivery.${d.status}`)}</span>
              </td>
              <td class="num">{fmt.number(d.attempts)}</td>
              <td>{fmt.dateTime(d.last_attempt_at)}</td>
              <td class="num">{d.last_status_code ?? "—"}</td>
              <td class="wh-error">{d.last_error ?? "—"}</td>
              <td>{d.status === "retrying" ? fmt.dateTime(d.next_attempt_at) : "—"}</td>
              <td>{fmt.dateTime(d.delivered_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
