/** The tenant's webhooks with their health, the form that adds one, and its signing secret shown once:
 * the secret lives only in this component's state, so leaving the page (or reloading) forgets it. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, ok } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Notice, TableRegion } from "../../ui";
import { Confirm } from "../../ui";
import { dict } from "./i18n";
import {
  EVENT_TYPES,
  createBody,
  fieldErrors,
  health,
  messagesFor,
  otherMessages,
  type Delivery,
  type EventType,
  type Health,
  type Webhook,
} from "./logic";

/** How many of each webhook's newest deliveries its health is judged on. */
const RECENT = 10;

export interface Listed {
  webhook: Webhook;
  health: Health;
}

export function WebhookList(props: {
  listed: Listed[] | undefined;
  error: unknown;
  reload: () => void;
}) {
  const t = useT(dict);
  const c = useT(common);
  const fmt = useFormat();
  const api = useApi();
  const [created, setCreated] = useState<{ url: string; secret: string; header: string } | null>(null);
  const [doomed, setDoomed] = useState<Webhook | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");

  const remove = async (webhook: Webhook) => {
    setDeleting(true);
    setDeleteError(null);
    try {
      ok(await api.DELETE("/webhooks/{webhook_id}", { params: { path: { webhook_id: webhook.webhook_id } } }));
      setNotice(t("deleted", { url: webhook.url }));
      setDoomed(null);
      props.reload();
    } catch (error) {
      setDeleteError(error);
    } finally {
      setDeleting(false);
    }
  };

  return (
    <section aria-labelledby="wh-list-title">
      <h2 id="wh-list-title">{t("webhooksHeading")}</h2>
      <p class="muted">{t("webhooksIntro")}</p>
      {created ? (
        <SecretOnce {...created} onDone={() => setCreated(null)} />
      ) : null}
      {notice ? <Notice>{notice}</Notice> : null}
      {props.error ? <ErrorNote error={props.error} onReload={props.reload} /> : null}
      {!props.listed ? (
        props.error ? null : <Loading />
      ) : props.listed.length === 0 ? (
        <p class="muted">{t("noWebhooks")}</p>
      ) : (
        <TableRegion labelledBy="wh-list-title">
          <table>
            <caption class="visually-hidden">{t("webhookCount", { n: props.listed.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("url")}</th>
                <th scope="col">{t("eventTypes")}</th>
                <th scope="col">{t("active")}</th>
                <th scope="col">{t("health")}</th>
                <th scope="col">{t("createdAt")}</th>
                <th scope="col">{c("actions")}</th>
              </tr>
            </thead>
            <tbody>
              {props.listed.map(({ webhook, health }) => (
                <tr key={webhook.webhook_id}>
                  <td class="wh-url">
                    <a href={href("webhooks", webhook.webhook_id)} aria-label={t("open", { url: webhook.url })}>
                      {webhook.url}
                    </a>
                    {webhook.description ? <div class="muted">{webhook.description}</div> : null}
                  </td>
                  <td>
                    <EventList types={webhook.event_types ?? EVENT_TYPES} />
                  </td>
                  <td>{webhook.active ? t("yesActive") : t("noActive")}</td>
                  <td>
                    <HealthBadge health={health} />
                  </td>
                  <td>{fmt.dateTime(webhook.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      class="danger"
                      aria-label={t("deleteLabel", { url: webhook.url })}
                      onClick={() => (setDeleteError(null), setDoomed(webhook))}
                    >
                      {c("delete")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {doomed ? (
        <Confirm
          title={t("confirmDeleteTitle")}
          confirm={t("confirmDelete")}
          busy={deleting}
          onConfirm={() => void remove(doomed)}
          onCancel={() => setDoomed(null)}
        >
          <p>{t("confirmDeleteText", { url: doomed.url })}</p>
          {deleteError ? <ErrorNote error={deleteError} /> : null}
        </Confirm>
      ) : null}
      <CreateWebhook
        onCreated={(made) => {
          setNotice("");
          setCreated(made);
          props.reload();
        }}
      />
    </section>
  );
}

/** The webhooks and each one's health (from its newest deliveries), for the list. */
export async function loadListed(api: ReturnType<typeof useApi>): Promise<Listed[]> {
  const { items } = ok(await api.GET("/webhooks"));
  return Promise.all(
    items.map(async (webhook) => {
      let recent: Delivery[] = [];
      try {
        const page = ok(
          await api.GET("/webhooks/{webhook_id}/deliveries", {
            params: { path: { webhook_id: webhook.webhook_id }, query: { limit: RECENT } },
          }),
        );
        recent = page.items;
      } catch {
        // a webhook deleted meanwhile: judged on nothing
      }
      return { webhook, health: health(webhook, recent) };
    }),
  );
}

export function EventList(props: { types: readonly string[] }) {
  const t = useT(dict);
  if (EVENT_TYPES.every((type) => props.types.includes(type))) return <span>{t("allEvents")}</span>;
  return (
    <ul class="wh-events">
      {props.types.map((type) => (
        <li key={type}>{t(`event.${type as EventType}`)}</li>
      ))}
    </ul>
  );
}

export function HealthBadge(props: { health: Health }) {
  const t = useT(dict);
  const { kind, failed, total } = props.health;
  return (
    <span>
      <span class={`badge wh-health-${kind}`}>{t(`health.${kind}`)}</span>
      {total ? <span class="muted wh-health-detail">{t("healthDetail", { failed, total })}</span> : null}
    </span>
  );
}

function SecretOnce(props: { url: string; secret: string; header: string; onDone: () => void }) {
  const t = useT(dict);
  const box = useRef<HTMLDivElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"" | "ok" | "failed">("");
  useEffect(() => box.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied("ok");
    } catch {
      field.current?.select();
      setCopied(document.execCommand?.("copy") ? "ok" : "failed");
    }
  };
  return (
    <div class="wh-secret" tabIndex={-1} ref={box} aria-labelledby="wh-secret-title">
      <h3 id="wh-secret-title">{t("secretHeading")}</h3>
      <p class="note warn" role="alert">
        <strong>{t("secretWarning")}</strong>
      </p>
      <label for="wh-secret-value">{t("secretLabel", { url: props.url })}</label>
      <div class="row">
        <input
          id="wh-secret-value"
          ref={field}
          class="wh-secret-value"
          readOnly
          value={props.secret}
          autoComplete="off"
          spellcheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" class="primary" onClick={() => void copy()}>
          {t("copy")}
        </button>
        <button type="button" onClick={props.onDone}>
          {t("secretDone")}
        </button>
      </div>
      <p class="muted">{t("secretHowTo", { header: props.header })}</p>
      <p role="status">{copied === "ok" ? t("copied") : copied === "failed" ? t("copyFailed") : ""}</p>
    </div>
  );
}

function CreateWebhook(props: { onCreated: (made: { url: string; secret: string; header: string }) => void }) {
  const t = useT(dict);
  const api = useApi();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<EventType[]>([...EVENT_TYPES]);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      const made = ok(await api.POST("/webhooks", { body: createBody({ url, description, eventTypes: types }) }));
      setUrl("");
      setDescription("");
      setTypes([...EVENT_TYPES]);
      props.onCreated({ url: made.webhook.url, secret: made.secret, header: made.signature_header });
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(fieldErrors(error.body));
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const fields = ["url", "event_types", "description"];
  const urlErrors = messagesFor(errors, "url");
  const typeErrors = messagesFor(errors, "event_types");
  const descriptionErrors = messagesFor(errors, "description");
  const rest = otherMessages(errors, fields);
  const invalid = Object.keys(errors).length > 0;
  return (
    <form class="card wh-create" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="wh-create-title">
      <h3 id="wh-create-title">{t("createHeading")}</h3>
      {invalid ? (
        <p class="note error" role="alert">
          {t("invalidForm")}
          {rest.length ? ` ${rest.join(" · ")}` : ""}
        </p>
      ) : null}
      {failure ? <ErrorNote error={failure} /> : null}
      <label for="wh-url">{t("url")}</label>
      <input
        id="wh-url"
        type="url"
        inputMode="url"
        autoComplete="url"
        class="wh-wide"
        value={url}
        required
        aria-invalid={urlErrors.length ? true : undefined}
        aria-describedby="wh-url-hint wh-url-error"
        onInput={(e) => setUrl(e.currentTarget.value)}
      />
      <div id="wh-url-hint" class="muted">
        {t("urlHint")}
      </div>
      <FieldError id="wh-url-error" label={t("field.url")} messages={urlErrors} />
      <fieldset aria-describedby="wh-types-hint wh-types-error">
        <legend>{t("eventTypes")}</legend>
        <div id="wh-types-hint" class="muted">
          {t("eventTypesHint")}
        </div>
        {EVENT_TYPES.map((type) => (
          <label class="inline" key={type}>
            <input
              type="checkbox"
              checked={types.includes(type)}
              onChange={(e) =>
                setTypes((now) =>
                  e.currentTarget.checked ? [...now, type] : now.filter((kept) => kept !== type),
                )
              }
            />
            <span>
              {t(`event.${type}`)} <code>{type}</code>
            </span>
          </label>
        ))}
        <FieldError id="wh-types-error" label={t("field.event_types")} messages={typeErrors} />
      </fieldset>
      <label for="wh-description">{t("description")}</label>
      <input
        id="wh-description"
        class="wh-wide"
        value={description}
        aria-invalid={descriptionErrors.length ? true : undefined}
        aria-describedby="wh-description-error"
        onInput={(e) => setDescription(e.currentTarget.value)}
      />
      <FieldError id="wh-description-error" label={t("field.description")} messages={descriptionErrors} />
      <div class="row wh-actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("creating") : t("createButton")}
        </button>
      </div>
    </form>
  );
}

export function FieldError(props: { id: string; label: string; messages: string[] }) {
  return (
    <div id={props.id} class="wh-field-error">
      {props.messages.map((message) => (
        <div key={message}>
          {props.label}: {message}
        </div>
      ))}
    </div>
  );
}
