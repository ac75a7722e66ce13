/** The screen's own reckoning, pure: a webhook's health from its recent deliveries, the API's 422 by
 * field, what a form sends, and a test event's outcome in the log. */
import type { Schemas } from "../../api/client";

export type Webhook = Schemas["Webhook"];
export type Delivery = Schemas["Delivery"];
export type EventType = Schemas["EventType"];

export const EVENT_TYPES: readonly EventType[] = [
  "LeadReceived",
  "LeadAssigned",
  "LeadReclaimed",
  "LeadEscalated",
  "LeadReleased",
  "ConsentWithdrawn",
];
/** As the API's EscalationAlerts bounds them (domain/alerts.py). */
export const MAX_ALERT_EMAILS = 10;
export const MAX_ALERT_WEBHOOKS = 5;

export type HealthKind = "ok" | "retrying" | "failing" | "sending" | "none" | "off";
export interface Health {
  kind: HealthKind;
  /** Of the recent deliveries that finished or are retrying, how many did not get through. */
  failed: number;
  total: number;
}

/** A webhook's health, judged by its newest delivery that has an outcome (the log is newest first):
 * delivered → ok, waiting for a retry → retrying, dead → failing; only in flight → sending. */
export function health(webhook: Pick<Webhook, "active">, recent: readonly Pick<Delivery, "status">[]): Health {
  const settled = recent.filter((d) => d.status !== "pending");
  const failed = settled.filter((d) => d.status !== "delivered").length;
  const counts = { failed, total: settled.length };
  if (!webhook.active) return { kind: "off", ...counts };
  const newest = settled[0];
  if (!newest) return { kind: recent.length ? "sending" : "none", ...counts };
  const kind: HealthKind = newest.status === "delivered" ? "ok" : newest.status === "retrying" ? "retrying" : "failing";
  return { kind, ...counts };
}

/** The API's 422 (`{message, errors: [{field, message}]}`) as messages by field path ("url",
 * "emails.1", "event_types"); other bodies give nothing. */
export function fieldErrors(body: unknown): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const errors = body && typeof body === "object" ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return found;
  for (const error of errors) {
    if (!error || typeof error !== "object") continue;
    const { field, message } = error as { field?: unknown; message?: unknown };
    const key = typeof field === "string" && field ? field : "body";
    (found[key] ??= []).push(typeof message === "string" ? message : String(message));
  }
  return found;
}

/** Messages for one field and everything under it ("event_types" takes "event_types.0" too). */
export function messagesFor(errors: Record<string, string[]>, field: string): string[] {
  return Object.entries(errors)
    .filter(([key]) => key === field || key.startsWith(`${field}.`))
    .flatMap(([, messages]) => messages);
}

/** Messages no field of the form shows (so they are not lost). */
export function otherMessages(errors: Record<string, string[]>, shown: readonly string[]): string[] {
  return Object.entries(errors)
    .filter(([key]) => !shown.some((field) => key === field || key.startsWith(`${field}.`)))
    .flatMap(([key, messages]) => messages.map((m) => `${key}: ${m}`));
}

export interface WebhookForm {
  url: string;
  description: string;
  eventTypes: readonly EventType[];
}

/** POST /webhooks's body: every type ticked means "all" (the field left out, the API's default). */
export function createBody(form: WebhookForm): Schemas["WebhookCreate"] {
  const body: Schemas["WebhookCreate"] = { url: form.url.trim() };
  if (form.description.trim()) body.description = form.description.trim();
  const all = EVENT_TYPES.every((type) => form.eventTypes.includes(type));
  if (!all) body.event_types = EVENT_TYPES.filter((type) => form.eventTypes.includes(type));
  return body;
}

/** PUT /settings/alerts's body: blank address rows dropped, webhooks that no longer exist dropped (the
 * API would refuse them), and the revision read, so a concurrent change is a 409, not overwritten. */
export function alertsBody(
  emails: readonly string[],
  webhookIds: readonly string[],
  existing: ReadonlySet<string>,
  revision: number,
): Schemas["AlertsIn"] {
  return {
    emails: emails.map((e) => e.trim()).filter(Boolean),
    webhook_ids: webhookIds.filter((id) => existing.has(id)),
    expected_revision: revision,
  };
}

/** Where a 422 on `emails.<i>` of the body sent points among the rows shown (blank rows were not sent). */
export function emailRowOf(rows: readonly string[], sentIndex: number): number {
  let seen = -1;
  for (let row = 0; row < rows.length; row++) {
    if ((rows[row] ?? "").trim() && ++seen === sentIndex) return row;
  }
  return -1;
}

export type TestOutcome =
  | { state: "waiting" }
  | { state: "delivered"; delivery: Delivery }
  | { state: "failed"; delivery: Delivery };

/** A test event's outcome in the log: waiting until its first attempt has an answer. A retrying
 * delivery has failed once: that is an outcome to show (the log keeps following it). */
export function testOutcome(log: readonly Delivery[], eventId: string): TestOutcome {
  const delivery = log.find((d) => d.event_id === eventId);
  if (!delivery || delivery.status === "pending") return { state: "waiting" };
  return delivery.status === "delivered" ? { state: "delivered", delivery } : { state: "failed", delivery };
}
