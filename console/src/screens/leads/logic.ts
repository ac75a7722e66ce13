/** The leads screen's pure logic: filters ↔ the URL's query (a filtered view can be shared), filters →
 * GET /leads' parameters (the period as days in the tenant's time zone), and a decision's or an event's
 * reason codes → dictionary keys with their parameters. */
import type { Schemas } from "../../api/client";
import { startOfDay } from "../../zoned";

export const STATUSES = ["pending", "assigned", "escalated", "deleted"] as const;
export type Status = (typeof STATUSES)[number];

/** Why GET /leads?unrouted=true lists a lead (logic/unrouted.py, domain/precedence.py). */
export const UNROUTED_REASONS = ["no_rule", "window_closed", "waiting_for_working_hours"] as const;

/** What the list is filtered by: the URL's query, with GET /leads' names (the period as calendar days). */
export interface Filters {
  status?: Status;
  assignee?: string;
  pool?: string;
  step?: string;
  campaign?: string;
  /** The form source it came through (source_id). */
  source?: string;
  utm_source?: string;
  utm_campaign?: string;
  /** First and last day received (YYYY-MM-DD, in the tenant's time zone), both included. */
  from?: string;
  to?: string;
  /** Admins: only leads no rule assigns now, optionally with one reason. */
  unrouted?: boolean;
  reason?: string;
}

const TEXT_KEYS = ["assignee", "pool", "step", "campaign", "source", "utm_source", "utm_campaign", "reason"] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromQuery(query: URLSearchParams): Filters {
  const filters: Filters = {};
  const status = query.get("status");
  if (status && (STATUSES as readonly string[]).includes(status)) filters.status = status as Status;
  for (const key of TEXT_KEYS) {
    const value = query.get(key)?.trim();
    if (value) filters[key] = value;
  }
  for (const key of ["from", "to"] as const) {
    const value = query.get(key);
    if (value && DAY.test(value)) filters[key] = value;
  }
  if (query.get("unrouted") === "true") filters.unrouted = true;
  if (!filters.unrouted) delete filters.reason;
  return filters;
}

/** The query string (without "?") of these filters, in a stable order; empty values left out. */
export function queryFromFilters(filters: Filters): string {
  const query = new URLSearchParams();
  if (filters.status) query.set("status", filters.status);
  for (const key of TEXT_KEYS) {
    const value = filters[key]?.trim();
    if (value && (key !== "reason" || filters.unrouted)) query.set(key, value);
  }
  if (filters.from) query.set("from", filters.from);
  if (filters.to) query.set("to", filters.to);
  if (filters.unrouted) query.set("unrouted", "true");
  return query.toString();
}

/** The instant (ISO, UTC) at which calendar day ``day`` begins in ``zone``; ``plusDays`` days later. */
export function dayStart(day: string, zone: string, plusDays = 0): string {
  return startOfDay(day, zone, plusDays).toISOString().replace(".000Z", "Z");
}

/** GET /leads' query for these filters: the period's days become instants in the tenant's zone. */
export function apiQuery(filters: Filters, zone: string): Record<string, string | boolean> {
  const query: Record<string, string | boolean> = {};
  if (filters.status && !filters.unrouted) query.status = filters.status;
  for (const key of ["assignee", "pool", "step", "campaign", "source", "utm_source", "utm_campaign"] as const) {
    const value = filters[key];
    if (value && !(key === "assignee" && filters.unrouted)) query[key] = value;
  }
  if (filters.from) query.received_from = dayStart(filters.from, zone);
  if (filters.to) query.received_to = dayStart(filters.to, zone, 1);
  if (filters.unrouted) query.unrouted = true;
  return query;
}

// ---------------------------------------------------------------------------------------------- reasons

/** A phrase to show: a key of the screen's dictionary and its parameters. */
export interface Phrase {
  key: string;
  params?: Record<string, string | number>;
}

/** Why someone could not take the lead (domain/eligibility.py, domain/rotation.py). */
export const SKIP_REASONS = [
  "unknown_staff",
  "inactive",
  "paused",
  "on_leave",
  "holiday",
  "off_shift",
  "max_open_leads_reached",
  "max_leads_per_day_reached",
  "cap_reached",
  "held_before",
] as const;

/** Why a lead was escalated, released or is waiting (logic/sweeps.py, logic/reclaim.py, logic/leads.py,
 * logic/unrouted.py, domain/precedence.py). */
export const LEAD_REASONS = [
  "waited_too_long",
  "no_eligible_staff",
  "reclaim_limit",
  "quarantined",
  "no_rule",
  "window_closed",
  "waiting_for_working_hours",
  "owner_deactivated",
  "moved_to_campaign",
  "restored",
] as const;

export function skipReason(code: string): Phrase {
  return (SKIP_REASONS as readonly string[]).includes(code)
    ? { key: `skip.${code}` }
    : { key: "skip.other", params: { code } };
}

export function leadReason(code: string | null | undefined): Phrase {
  if (!code) return { key: "reason.none" };
  return (LEAD_REASONS as readonly string[]).includes(code)
    ? { key: `reason.${code}` }
    : { key: "reason.other", params: { code } };
}

type Decision = Schemas["Decision"];
type Named = (staffId: string | null | undefined) => string;

/** One decision in words: what happened, "why me" (rule, version, turn), "why not me" (the skipped). */
export interface DecisionWords {
  title: Phrase;
  why: Phrase[];
  skipped: { who: string; reason: Phrase }[];
}

export function explainDecision(decision: Decision, name: Named, ruleName: (id: string) => string): DecisionWords {
  const who = name(decision.staff_id);
  const previous = name(decision.previous_owner);
  const why: Phrase[] = [];
  const rule = decision.rule_id
    ? { rule: ruleName(decision.rule_id), version: decision.rule_version ?? "—" }
    : undefined;
  const skipped = (decision.skipped ?? []).map((s) => ({ who: name(s.staff_id), reason: skipReason(s.reason) }));
  let title: Phrase;
  switch (decision.action) {
    case "assigned":
      title = { key: "decision.assigned", params: { who } };
      if (rule) why.push({ key: "why.rule", params: rule });
      if (decision.slot != null)
        why.push({ key: skipped.length ? "why.slotTaken" : "why.slot", params: { slot: decision.slot, who } });
      break;
    case "reclaimed":
      title = { key: "decision.reclaimed", params: { who, previous } };
      why.push({ key: "why.reclaimed", params: { previous } });
      if (rule) why.push({ key: "why.rule", params: rule });
      if (decision.slot != null) why.push({ key: "why.slot", params: { slot: decision.slot, who } });
      break;
    case "escalated":
      title = { key: "decision.escalated" };
      why.push(leadReason(decision.reason));
      if (decision.previous_owner) why.push({ key: "why.previousOwner", params: { previous } });
      if (rule) why.push({ key: "why.rule", params: rule });
      break;
    case "manual":
      title = { key: "decision.manual", params: { who } };
      why.push({ key: "why.manual", params: { by: decision.by ?? "—" } });
      if (decision.previous_owner) why.push({ key: "why.previousOwner", params: { previous } });
      break;
    case "released":
      title = { key: "decision.released", params: { previous } };
      why.push(leadReason(decision.reason));
      break;
    default:
      title = { key: "decision.other", params: { action: String(decision.action) } };
  }
  return { title, why, skipped };
}

/** A history event (domain/models.py LeadEvent) in words. */
export function explainEvent(event: Record<string, unknown>, name: Named): Phrase {
  const data = (event.data ?? {}) as Record<string, string | number | null>;
  const text = typeof event.text === "string" ? event.text : "";
  switch (event.kind) {
    case "note":
      return { key: "event.note", params: { text } };
    case "call":
      return { key: "event.call", params: { text } };
    case "step_change":
      return { key: "event.step_change", params: { from: String(data.from ?? "—"), to: String(data.to ?? "—") } };
    case "edited":
      return { key: "event.edited", params: { fields: String(data.fields ?? "") } };
    case "manual_assign":
      return {
        key: "event.manual_assign",
        params: { staff: String(data.staff ?? "").split(",").filter(Boolean).map(name).join(", ") },
      };
    case "deleted":
      return { key: "event.deleted" };
    case "restored":
      return { key: "event.restored" };
    case "resubmitted":
      return { key: "event.resubmitted" };
    case "campaign":
      return { key: "event.campaign", params: { campaign: String(data.campaign ?? "—") } };
    case "released":
      return { key: "event.released" };
    default:
      return { key: "event.other", params: { kind: String(event.kind) } };
  }
}

/** The problems a 422 lists (``{message, errors: [{field, message}]}``), as "field: message" lines. */
export function problemsOf(body: unknown): string[] {
  if (!body || typeof body !== "object") return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((e: { field?: unknown; message?: unknown }) =>
    e.field ? `${String(e.field)}: ${String(e.message ?? "")}` : String(e.message ?? ""),
  );
}

/** Toggle ``id`` in a selection that keeps the order of choosing (the first chosen is the owner). */
export function toggled(selection: readonly string[], id: string): string[] {
  return selection.includes(id) ? selection.filter((x) => x !== id) : [...selection, id];
}
