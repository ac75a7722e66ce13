/** The privacy screens' own reckoning, pure: how urgent a request is, what the forms send, the API's
 * 422 on pasted Do-Not-Call lines mapped back to the lines the admin sees, and the settings' errors. */
import type { Schemas } from "../../api/client";
import { startOfDay } from "../../zoned";

export type RequestView = Schemas["RequestView"];
export type RequestKind = Schemas["RequestKind"];
export type Refusal = Schemas["Refusal"];
export type PrivacySettings = Schemas["PrivacySettings"];
export type Origin = Schemas["DoNotCallOrigin"];
export type AuditAction = Schemas["AuditAction"];
export type ConsentRecord = Schemas["ConsentRecord"];

export const REQUEST_KINDS: readonly RequestKind[] = ["access", "export", "correct", "erase", "restrict", "object"];
export const REFUSALS: readonly Refusal[] = [
  "identity_not_verified",
  "no_data",
  "manifestly_unfounded",
  "legal_obligation",
];
export const ORIGINS: readonly Origin[] = ["tenant", "national"];
/** As the API bounds an upload (logic/privacy/do_not_call.py MAX_UPLOAD). */
export const MAX_DNC_LINES = 1000;
/** The tenant's default purposes (domain/consent.py), offered on a lead even when it has no answer yet. */
export const DEFAULT_PURPOSES = ["enquiry", "call", "sms", "email_marketing", "share_integrators"] as const;
/** Why a decision says call_allowed: false (domain/calling.py CallBar). */
export const CALL_BARS = [
  "restricted",
  "no_call_consent",
  "no_phone",
  "do_not_call",
  "national_do_not_call",
  "called_within_24h",
  "outside_calling_hours",
  "call_check_failed",
] as const;

export type Urgency = "overdue" | "due_soon" | "open" | "completed";

export function urgency(request: Pick<RequestView, "status" | "overdue" | "due_soon">): Urgency {
  if (request.status === "completed") return "completed";
  if (request.overdue) return "overdue";
  return request.due_soon ? "due_soon" : "open";
}

/** Open first, then by the deadline that counts now (soonest first); completed ones newest first. */
export function sortRequests(requests: readonly RequestView[]): RequestView[] {
  const open = (r: RequestView) => (r.status === "completed" ? 1 : 0);
  return [...requests].sort((a, b) => {
    if (open(a) !== open(b)) return open(a) - open(b);
    if (open(a) === 0) return a.next_due.localeCompare(b.next_due) || a.received_at.localeCompare(b.received_at);
    return (b.completed_at ?? "").localeCompare(a.completed_at ?? "");
  });
}

/** Restrict and object stop processing (a processor too, if asked): they alone have a stop deadline. */
export function stops(kind: RequestKind): boolean {
  return kind === "restrict" || kind === "object";
}

/** Access and export answer with the person's data, given once. */
export function givesData(kind: RequestKind): boolean {
  return kind === "access" || kind === "export";
}

export interface RequestForm {
  kind: RequestKind;
  phone: string;
  email: string;
  processorMustStop: boolean;
  correctName: string;
  correctPhone: string;
  correctEmail: string;
  /** The day the person made the request (YYYY-MM-DD, the tenant's calendar) when before today; "" for now. */
  receivedOn: string;
}

/** POST /privacy/requests' body: blanks left out, the processor flag true for restrict/object only, the
 * corrections for correct only; an earlier day received as that day's start in the tenant's ``zone``
 * (the deadlines count from the day). */
export function requestBody(form: RequestForm, zone: string): Schemas["PrivacyRequestIn"] {
  const body: Schemas["PrivacyRequestIn"] = {
    kind: form.kind,
    processor_must_stop: stops(form.kind) && form.processorMustStop,
  };
  if (form.phone.trim()) body.phone = form.phone.trim();
  if (form.email.trim()) body.email = form.email.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(form.receivedOn)) {
    body.received_at = startOfDay(form.receivedOn, zone).toISOString().replace(".000Z", "Z");
  }
  if (form.kind === "correct") {
    const corrections: Schemas["CorrectionsIn"] = {};
    if (form.correctName.trim()) corrections.name = form.correctName.trim();
    if (form.correctPhone.trim()) corrections.phone = form.correctPhone.trim();
    if (form.correctEmail.trim()) corrections.email = form.correctEmail.trim();
    body.corrections = corrections;
  }
  return body;
}

/** The pasted numbers: one per line, blank lines skipped, each with its line number (1-based). */
export function dncLines(text: string): { phones: string[]; lines: number[] } {
  const phones: string[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const phone = raw.trim();
    if (phone) {
      phones.push(phone);
      lines.push(index + 1);
    }
  });
  return { phones, lines };
}

/** The API's 422 on an upload (`phones[3]`, or pydantic's `phones.3`) as messages by the line the admin
 * pasted (the API counts only the lines sent); other problems under line 0. */
export function dncLineErrors(body: unknown, lines: readonly number[]): { line: number; message: string }[] {
  const errors = body && typeof body === "object" ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.map((error: { field?: unknown; message?: unknown }) => {
    const field = typeof error.field === "string" ? error.field : "";
    const match = /^phones(?:\[(\d+)\]|\.(\d+))$/.exec(field);
    const index = match ? Number(match[1] ?? match[2]) : -1;
    return { line: lines[index] ?? 0, message: String(error.message ?? "") };
  });
}

/** The settings as the form edits them: every part present (the API's defaults where one is absent). */
export interface SettingsDraft {
  purposes: Schemas["Purpose-Output"][];
  retention: Schemas["Retention"];
  calling_hours: Schemas["CallingHours"];
  recipient_countries?: Record<string, string>;
}

export const DEFAULT_RETENTION: Schemas["Retention"] = {
  leads_days: 730,
  submissions_days: 90,
  logs_days: 30,
  audit_days: 730,
  attribution_days: 90,
  keep_attribution: true,
};

export function draftOf(settings: PrivacySettings): SettingsDraft {
  return {
    purposes: (settings.purposes ?? []).map((p) => ({ ...p })),
    retention: { ...DEFAULT_RETENTION, ...settings.retention },
    calling_hours: { start: "08:00:00", end: "17:00:00", ...settings.calling_hours },
    ...(settings.recipient_countries ? { recipient_countries: { ...settings.recipient_countries } } : {}),
  };
}

/** PUT /privacy/settings' body: the settings edited, whole, with the revision read (a 409 if moved). */
export function settingsBody(settings: SettingsDraft, revision: number): Schemas["PrivacySettingsIn"] {
  return {
    purposes: settings.purposes.map((p) => ({
      key: p.key,
      label: p.label,
      notice_text: p.notice_text,
      notice_version: p.notice_version.trim(),
    })),
    retention: settings.retention,
    calling_hours: settings.calling_hours,
    ...(settings.recipient_countries ? { recipient_countries: settings.recipient_countries } : {}),
    expected_revision: revision,
  };
}

/** A time of day as an <input type="time"> takes it ("08:00:00" → "08:00"). */
export function hhmm(value: string | undefined, fallback: string): string {
  const match = /^(\d{2}:\d{2})/.exec(value ?? "");
  return match?.[1] ?? fallback;
}

/** The lead's purposes to show: the tenant's defaults, then any other purpose it has an answer for. */
export function leadPurposes(consents: Pick<Schemas["LeadConsents"], "consents" | "history">): string[] {
  const seen = [...consents.consents, ...consents.history].map((c) => c.purpose);
  return [...new Set<string>([...DEFAULT_PURPOSES, ...seen])];
}

/** A lead's current answer for a purpose: absent is unknown (never granted). */
export function currentConsent(
  consents: readonly ConsentRecord[],
  purpose: string,
): ConsentRecord | undefined {
  return consents.find((c) => c.purpose === purpose);
}

/** A file name for what a request gave (no personal data in it: the request's id and the day). */
export function dataFileName(requestId: string, kind: RequestKind, day: string): string {
  return `leadrouter-${kind}-${requestId}-${day}.json`;
}
