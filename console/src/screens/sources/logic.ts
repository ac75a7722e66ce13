/** The sources screen's own logic, pure (tests/sources.test.ts): origin lists, the two small map editors
 * (form field → lead field, utm_campaign → campaign), the request bodies, the API's 422s by field, and
 * a submission's reason in words. */
import type { Schemas } from "../../api/client";

// ------------------------------------------------------------------ allowed origins
/** The server's ORIGIN_PATTERN (shared/leadrouter/domain/forms.py): https for any host, plain http only
 * for this machine; an optional port; nothing after the host but an optional "/". "*" means any. */
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOST_NAME = `${LABEL}(?:\\.${LABEL})*`;
const PORT = "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?";
const SCHEME_AND_HOST = `(?:https://${HOST_NAME}|http://(?:localhost|127\\.0\\.0\\.1|\\[::1\\]))`;
const ORIGIN = new RegExp(`^${SCHEME_AND_HOST}${PORT}/?$`);
const HOST = new RegExp(`^${HOST_NAME}$`);
export const MAX_ORIGINS = 20;

export type OriginProblem = "originFormat" | "originDuplicate";

/** An origin as the server stores it: lower case, no trailing "/". */
export function normalizeOrigin(value: string): string {
  const text = value.trim();
  return text === "*" ? text : text.toLowerCase().replace(/\/$/, "");
}

/** Per row: what is wrong with it (blank rows are dropped when saved, so they are fine). */
export function originProblems(origins: readonly string[]): (OriginProblem | null)[] {
  const seen = new Set<string>();
  return origins.map((raw) => {
    const text = raw.trim();
    if (!text) return null;
    if (text !== "*" && !ORIGIN.test(text)) return "originFormat";
    const key = normalizeOrigin(text);
    if (seen.has(key)) return "originDuplicate";
    seen.add(key);
    return null;
  });
}

export function hostProblems(hosts: readonly string[]): ("hostFormat" | null)[] {
  return hosts.map((raw) => (raw.trim() && !HOST.test(raw.trim()) ? "hostFormat" : null));
}

/** The list as sent: trimmed, blank rows dropped, origins normalised. */
export function cleanList(values: readonly string[], normalize: (v: string) => string = (v) => v.trim()): string[] {
  return values.map((v) => v.trim()).filter(Boolean).map(normalize);
}

// ------------------------------------------------------------------ list and map rows
export function setAt<T>(items: readonly T[], index: number, value: T): T[] {
  return items.map((item, i) => (i === index ? value : item));
}
export function removeAt<T>(items: readonly T[], index: number): T[] {
  return items.filter((_, i) => i !== index);
}

export type LeadField = "name" | "phone" | "email";
export const LEAD_FIELDS: readonly LeadField[] = ["name", "phone", "email"];

export interface MapRow {
  from: string;
  to: string;
}

export function rowsOf(map: Record<string, string> | undefined): MapRow[] {
  return Object.entries(map ?? {}).map(([from, to]) => ({ from, to }));
}

/** The map as sent: rows with both halves blank are dropped; keys trimmed. */
export function mapOf(rows: readonly MapRow[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const row of rows) {
    const from = row.from.trim();
    if (!from && !row.to.trim()) continue;
    map[from] = row.to.trim();
  }
  return map;
}

export type RowProblem = "keyMissing" | "valueMissing" | "keyDuplicate";

/** Per row: a half missing, or a key given twice (the second would silently replace the first). */
export function mapProblems(rows: readonly MapRow[]): (RowProblem | null)[] {
  const seen = new Set<string>();
  return rows.map((row) => {
    const from = row.from.trim();
    const to = row.to.trim();
    if (!from && !to) return null;
    if (!from) return "keyMissing";
    if (!to) return "valueMissing";
    if (seen.has(from)) return "keyDuplicate";
    seen.add(from);
    return null;
  });
}

/** The index of the row an API error about `field_map.<key>` (or `campaign_map.<key>`) points at. */
export function rowOfKey(rows: readonly MapRow[], key: string): number {
  return rows.findIndex((row) => row.from.trim() === key);
}

// ------------------------------------------------------------------ the form's draft and its bodies
export type CaptchaProvider = "turnstile" | "hcaptcha" | "recaptcha_v3";
export const CAPTCHA_PROVIDERS: readonly CaptchaProvider[] = ["turnstile", "hcaptcha", "recaptcha_v3"];

export interface Draft {
  name: string;
  pool: string;
  step: string;
  campaign: string;
  active: boolean;
  ratePerMinute: string;
  ratePerIp: string;
  origins: string[];
  thankYouUrl: string;
  redirectHosts: string[];
  honeypot: string;
  captchaOn: boolean;
  provider: CaptchaProvider;
  siteKey: string;
  /** Write-only: blank keeps the stored one on an edit. */
  captchaSecret: string;
  minScore: string;
  fieldMap: MapRow[];
  campaignMap: MapRow[];
}

export function emptyDraft(): Draft {
  return {
    name: "",
    pool: "",
    step: "new",
    campaign: "",
    active: true,
    ratePerMinute: "60",
    ratePerIp: "10",
    origins: [],
    thankYouUrl: "",
    redirectHosts: [],
    honeypot: "_gotcha",
    captchaOn: false,
    provider: "turnstile",
    siteKey: "",
    captchaSecret: "",
    minScore: "0.5",
    fieldMap: [],
    campaignMap: [],
  };
}

export function draftOf(source: Schemas["FormSourceOut"]): Draft {
  const door = source.web_form;
  const captcha = door?.captcha ?? null;
  return {
    name: source.name,
    pool: source.pool,
    step: source.step,
    campaign: source.campaign ?? "",
    active: source.active,
    ratePerMinute: String(source.rate_per_minute),
    ratePerIp: String(door?.rate_per_ip_per_minute ?? 10),
    origins: (door?.allowed_origins ?? []).map(String),
    thankYouUrl: door?.thank_you_url ?? "",
    redirectHosts: [...(door?.redirect_hosts ?? [])],
    honeypot: door?.honeypot_field ?? "_gotcha",
    captchaOn: captcha !== null,
    provider: captcha?.provider ?? "turnstile",
    siteKey: captcha?.site_key ?? "",
    captchaSecret: "",
    minScore: String(captcha?.min_score ?? 0.5),
    fieldMap: rowsOf(door?.field_map),
    campaignMap: rowsOf(door?.campaign_map),
  };
}

/** A whole number typed as text, as a number; anything else as typed, for the server to name. */
function integer(text: string): number {
  const t = text.trim();
  return (/^\d+$/.test(t) ? Number(t) : t) as number;
}
function decimal(text: string): number {
  const t = text.trim().replace(",", ".");
  return (t !== "" && !Number.isNaN(Number(t)) ? Number(t) : text) as number;
}

function door(draft: Draft, editing: boolean) {
  const captcha = draft.captchaOn
    ? {
        provider: draft.provider,
        site_key: draft.siteKey.trim(),
        min_score: decimal(draft.minScore),
        ...(draft.captchaSecret.trim() || !editing ? { secret: draft.captchaSecret.trim() } : {}),
      }
    : null;
  return {
    allowed_origins: cleanList(draft.origins, normalizeOrigin),
    thank_you_url: draft.thankYouUrl.trim() || null,
    redirect_hosts: cleanList(draft.redirectHosts, (h) => h.toLowerCase()),
    honeypot_field: draft.honeypot.trim(),
    captcha,
    field_map: mapOf(draft.fieldMap) as Record<string, LeadField>,
    campaign_map: mapOf(draft.campaignMap),
    rate_per_ip_per_minute: integer(draft.ratePerIp),
  };
}

export function createBody(draft: Draft): Schemas["FormSourceCreate"] {
  return {
    name: draft.name.trim(),
    kind: "web_form",
    pool: draft.pool.trim(),
    step: draft.step.trim() || "new",
    campaign: draft.campaign.trim() || null,
    rate_per_minute: integer(draft.ratePerMinute),
    web_form: door(draft, false) as Schemas["FormDoor"],
  };
}

/** Everything the screen edits, at the revision read (a 409 if someone saved meanwhile). */
export function editBody(draft: Draft, rev: number): Schemas["FormSourceEdit"] {
  return {
    rev,
    name: draft.name.trim(),
    step: draft.step.trim() || "new",
    campaign: draft.campaign.trim() || null,
    active: draft.active,
    rate_per_minute: integer(draft.ratePerMinute),
    web_form: door(draft, true) as Schemas["FormDoorEdit"],
  };
}

// ------------------------------------------------------------------ the API's 422s, by field
export type FieldErrors = Record<string, string>;

/** `{errors: [{field, message}]}` as a map; a field path without "web_form." is the same path. */
export function fieldErrors(body: unknown): FieldErrors {
  const found: FieldErrors = {};
  const list = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list)) return found;
  for (const item of list) {
    const { field, message } = (item ?? {}) as { field?: unknown; message?: unknown };
    if (typeof field === "string" && typeof message === "string") {
      found[field.replace(/^web_form\./, "")] = message.replace(/^Value error, /, "");
    }
  }
  return found;
}

/** The message for `field` itself, or for anything under it (`allowed_origins` → `allowed_origins.0`). */
export function errorUnder(errors: FieldErrors, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const key = Object.keys(errors).find((k) => k.startsWith(`${field}.`));
  return key ? errors[key] : undefined;
}

/** A map editor's errors by row: `field_map.<key>[.[key]]` → the row holding that key. */
export function rowErrors(errors: FieldErrors, field: string, rows: readonly MapRow[]): (string | undefined)[] {
  const byRow: (string | undefined)[] = rows.map(() => undefined);
  for (const [path, message] of Object.entries(errors)) {
    if (!path.startsWith(`${field}.`)) continue;
    const key = path.slice(field.length + 1).replace(/\.\[key\]$/, "");
    const index = rowOfKey(rows, key);
    if (index >= 0) byRow[index] = message;
  }
  return byRow;
}

/** A list editor's errors by row: `allowed_origins.<n>` → row n of the non-blank rows sent. */
export function listErrors(errors: FieldErrors, field: string, values: readonly string[]): (string | undefined)[] {
  const sent = values.map((v, i) => [v, i] as const).filter(([v]) => v.trim());
  const byRow: (string | undefined)[] = values.map(() => undefined);
  for (const [path, message] of Object.entries(errors)) {
    const match = new RegExp(`^${field}\\.(\\d+)$`).exec(path);
    const row = match ? sent[Number(match[1])] : undefined;
    if (row) byRow[row[1]] = message;
  }
  return byRow;
}

// ------------------------------------------------------------------ submissions in words
export type SubmissionStatus = Schemas["SubmissionStatus"];
export const STATUSES: readonly SubmissionStatus[] = ["rejected", "spam", "failed", "received", "accepted", "linked"];
const REPLAYABLE: readonly SubmissionStatus[] = ["received", "rejected", "failed", "spam"];

export function replayable(status: SubmissionStatus): boolean {
  return REPLAYABLE.includes(status);
}

/** A stored reason (`honeypot`, `captcha_expired`, `phone: invalid`…) as a dictionary key and details. */
export function reasonOf(reason: string | null | undefined): { key: ReasonKey; detail: string } {
  const text = (reason ?? "").trim();
  const after = (prefix: string) => text.slice(prefix.length).trim();
  if (!text) return { key: "reason.none", detail: "" };
  if (text === "honeypot") return { key: "reason.honeypot", detail: "" };
  if (text === "origin") return { key: "reason.origin", detail: "" };
  if (text === "captcha_unavailable") return { key: "reason.captchaUnavailable", detail: "" };
  if (text.startsWith("captcha_")) return { key: "reason.captcha", detail: after("captcha_") };
  if (text.startsWith("malformed:")) return { key: "reason.malformed", detail: after("malformed:") };
  if (text.startsWith("too_large:")) return { key: "reason.tooLarge", detail: after("too_large:") };
  if (text.startsWith("conflict:")) return { key: "reason.conflict", detail: after("conflict:") };
  if (text.startsWith("failed:")) return { key: "reason.failed", detail: after("failed:") };
  if (text.startsWith("repeat of")) return { key: "reason.repeat", detail: after("repeat of") };
  if (text.startsWith("replayed; released unverified:"))
    return { key: "reason.released", detail: after("replayed; released unverified:") };
  if (text === "replayed") return { key: "reason.replayed", detail: "" };
  return { key: "reason.invalid", detail: text };
}

export type ReasonKey =
  | "reason.none"
  | "reason.honeypot"
  | "reason.origin"
  | "reason.captchaUnavailable"
  | "reason.captcha"
  | "reason.malformed"
  | "reason.tooLarge"
  | "reason.conflict"
  | "reason.failed"
  | "reason.repeat"
  | "reason.released"
  | "reason.replayed"
  | "reason.invalid";

/** The lead a submission made, if it made one (spam keeps an answer too, for the bot: no lead). */
export function leadOf(submission: { status: SubmissionStatus; answer?: Record<string, unknown> | null }): string | null {
  const id = submission.answer?.["lead_id"];
  return (submission.status === "accepted" || submission.status === "linked") && typeof id === "string" ? id : null;
}

/** The checks named in a reason's detail (`honeypot, captcha`), for their words. */
export function checksIn(detail: string): string[] {
  return detail
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c === "origin" || c === "honeypot" || c === "captcha");
}

/** The page the preview frame shows: the snippet as the API returned it, in a bare document. */
export function previewDocument(snippet: string): string {
  return (
    '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">' +
    "<style>body{font-family:system-ui,sans-serif;margin:1rem;color:#1b1f24}input{padding:.4rem;min-width:16rem}</style>" +
    `</head><body>${snippet}</body></html>`
  );
}
