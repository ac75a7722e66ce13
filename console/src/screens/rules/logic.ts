/** The rules screen's pure logic: the form's state ↔ the API's rule body, local date-times in the tenant's
 * zone ↔ ISO instants, the default "Friday 18:30" arrival, shares and 422 errors by field. */
import type { Schemas } from "../../api/client";
import { isoOf, localOf, wallAt } from "../../zoned";

export type Rule = Schemas["Rule"];
export type Kind = "round_robin" | "weighted" | "reclaim";
export const KINDS: readonly Kind[] = ["round_robin", "weighted", "reclaim"];

/** What the form edits: numbers as typed (text), date-times as `YYYY-MM-DDTHH:MM` in the tenant's zone. */
export interface RuleForm {
  name: string;
  kind: Kind;
  scopeType: "pool" | "campaign";
  pool: string;
  step: string;
  campaign: string;
  delayMinutes: string;
  /** Chosen staff in rotation order with their weights. */
  staff: { staffId: string; weight: string }[];
  reclaimAfterMinutes: string;
  maxReclaims: string;
  absenceStopsReclaimClock: boolean;
  active: boolean;
  windowStart: string;
  windowEnd: string;
  intervalMinutes: string;
  priority: string;
  escalateAfterMinutes: string;
  backlogHoldMinutes: string;
}

export function emptyForm(): RuleForm {
  return {
    name: "",
    kind: "weighted",
    scopeType: "pool",
    pool: "",
    step: "",
    campaign: "",
    delayMinutes: "0",
    staff: [],
    reclaimAfterMinutes: "30",
    maxReclaims: "2",
    absenceStopsReclaimClock: true,
    active: true,
    windowStart: "",
    windowEnd: "",
    intervalMinutes: "0",
    priority: "0",
    escalateAfterMinutes: "120",
    backlogHoldMinutes: "30",
  };
}

/** A rule's scope and window as plain optional fields (the spec types them as unions). */
export interface ScopeView {
  pool?: string | null;
  step?: string | null;
  campaign?: string | null;
}
export interface WindowView {
  start?: string | null;
  end?: string | null;
  interval_minutes?: number;
}
export const scopeOf = (rule: Rule): ScopeView => rule.scope as ScopeView;
export const windowOf = (rule: Rule): WindowView => (rule.window ?? {}) as WindowView;

export function formOf(rule: Rule, timeZone: string): RuleForm {
  const window = windowOf(rule);
  const scope = scopeOf(rule);
  return {
    name: rule.name,
    kind: rule.kind as Kind,
    scopeType: scope.campaign ? "campaign" : "pool",
    pool: scope.pool ?? "",
    step: scope.step ?? "",
    campaign: scope.campaign ?? "",
    delayMinutes: String(rule.delay_minutes ?? 0),
    staff: rule.staff.map((s) => ({ staffId: s.staff_id, weight: String(s.weight ?? 1) })),
    reclaimAfterMinutes: String(rule.reclaim_after_minutes ?? 30),
    maxReclaims: String(rule.max_reclaims ?? 2),
    absenceStopsReclaimClock: rule.absence_stops_reclaim_clock ?? true,
    active: rule.active ?? true,
    windowStart: window.start ? localOf(window.start, timeZone) : "",
    windowEnd: window.end ? localOf(window.end, timeZone) : "",
    intervalMinutes: String(window.interval_minutes ?? 0),
    priority: String(rule.priority ?? 0),
    escalateAfterMinutes: String(rule.escalate_after_minutes ?? 120),
    backlogHoldMinutes: String(rule.backlog_hold_minutes ?? 30),
  };
}

/** A typed number as the API should judge it: an integer when it is one, else the text (→ a 422 naming it). */
function number(text: string): number | string {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** The body of POST /rules, PUT /rules/{id} (without expected_version) and POST /rules/preview. */
export function bodyOf(form: RuleForm, timeZone: string): Record<string, unknown> {
  const reclaim = form.kind === "reclaim";
  const body: Record<string, unknown> = {
    name: form.name,
    kind: form.kind,
    scope: form.scopeType === "campaign" ? { campaign: form.campaign } : { pool: form.pool, step: form.step },
    delay_minutes: number(form.delayMinutes),
    staff: form.staff.map((s) => ({
      staff_id: s.staffId,
      weight: form.kind === "round_robin" ? 1 : number(s.weight), // round robin: everyone 1
    })),
    active: form.active,
    priority: number(form.priority),
    escalate_after_minutes: number(form.escalateAfterMinutes),
    backlog_hold_minutes: number(form.backlogHoldMinutes),
    window: {
      start: form.windowStart ? isoOf(form.windowStart, timeZone) : null,
      end: form.windowEnd ? isoOf(form.windowEnd, timeZone) : null,
      interval_minutes: number(form.intervalMinutes),
    },
  };
  if (reclaim) {
    body.reclaim_after_minutes = number(form.reclaimAfterMinutes);
    body.max_reclaims = number(form.maxReclaims);
    body.absence_stops_reclaim_clock = form.absenceStopsReclaimClock;
  }
  return body;
}

// ---------------------------------------------------------------- time zones
export { isoOf, localOf } from "../../zoned";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The next `weekday` (ISO, 5 = Friday) at `hh:mm` in `timeZone` after `now`, as a datetime-local value. */
export function nextWeekdayAt(now: Date, timeZone: string, weekday = 5, hour = 18, minute = 30): string {
  const today = wallAt(now.getTime(), timeZone);
  for (let ahead = 0; ahead <= 7; ahead++) {
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day + ahead));
    const isoWeekday = ((d.getUTCDay() + 6) % 7) + 1;
    if (isoWeekday !== weekday) continue;
    const local = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hour)}:${pad(minute)}`;
    if (new Date(isoOf(local, timeZone)).getTime() > now.getTime()) return local;
  }
  throw new Error("unreachable: a weekday recurs within 8 days");
}

// ---------------------------------------------------------------- shares and errors
export interface Share {
  staffId: string;
  weight: number;
  /** "3/12": weight over the sum of weights (not reduced, as the admin typed them). */
  fraction: string;
  ideal: number;
  idealInCount: number;
  inCount: number;
}

/** Each member's ideal share (weight / Σweights) and how many of `assignees` they got. */
export function shares(staff: { staff_id: string; weight: number }[], assignees: string[]): Share[] {
  const total = staff.reduce((sum, s) => sum + s.weight, 0);
  return staff.map((s) => ({
    staffId: s.staff_id,
    weight: s.weight,
    fraction: `${s.weight}/${total}`,
    ideal: total ? s.weight / total : 0,
    idealInCount: total ? (s.weight / total) * assignees.length : 0,
    inCount: assignees.filter((a) => a === s.staff_id).length,
  }));
}

/** A 422's `errors` as field → message (`staff.0.weight`, `window.end`, `scope`, …). */
export function fieldErrors(body: unknown): Record<string, string> {
  const errors = (body as { errors?: { field?: string; message?: string }[] } | null)?.errors;
  const out: Record<string, string> = {};
  for (const e of Array.isArray(errors) ? errors : []) {
    const field = e.field ?? "body";
    out[field] = out[field] ? `${out[field]}; ${e.message ?? ""}` : (e.message ?? "");
  }
  return out;
}

/** The messages about one field and everything under it (`staff` covers `staff.2.staff_id`). */
export function errorsUnder(errors: Record<string, string>, field: string): string[] {
  return Object.entries(errors)
    .filter(([key]) => key === field || key.startsWith(`${field}.`))
    .map(([, message]) => message);
}
