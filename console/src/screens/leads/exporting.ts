/** The export's pure logic: the list's filters → POST /leads/exports' body (the same filters GET /leads
 * gets, so the file holds what the list shows), and an export's recorded filters as words to show. */
import type { Schemas } from "../../api/client";
import { apiQuery, type Filters } from "./logic";

export type ExportFormat = Schemas["ExportFormat"];
export type ExportLanguage = Schemas["ExportRequest"]["language"];
export type ExportRequest = Schemas["ExportRequest"];
export type ExportStatus = Schemas["ExportStatus"];

export const EXPORT_FORMATS: readonly ExportFormat[] = ["xlsx", "csv"];
export const EXPORT_LANGUAGES: readonly ExportLanguage[] = ["vi", "en"];

/** The export cannot select "only leads no rule assigns" (a view computed by the list, not a filter). */
export function exportable(filters: Filters): boolean {
  return !filters.unrouted;
}

/** POST /leads/exports' body for the list's filters: the period's days as instants in the tenant's zone. */
export function exportRequest(
  filters: Filters,
  zone: string,
  format: ExportFormat,
  language: ExportLanguage,
): ExportRequest {
  const query = apiQuery(filters, zone);
  const body: ExportRequest = { format, language };
  if (typeof query.status === "string") body.status = query.status as Schemas["LeadStatus"];
  for (const key of ["assignee", "pool", "step", "campaign", "source", "utm_source", "utm_campaign"] as const) {
    const value = query[key];
    if (typeof value === "string") body[key] = value;
  }
  if (typeof query.received_from === "string") body.received_from = query.received_from;
  if (typeof query.received_to === "string") body.received_to = query.received_to;
  return body;
}

export const TERMINAL_EXPORT: readonly ExportStatus[] = ["done", "failed"];

export function exportSettled(detail: { export: { status?: ExportStatus } }): boolean {
  return TERMINAL_EXPORT.includes(detail.export.status ?? "queued");
}

/** The filters an export was made with, in the list's order, empty ones left out. */
export type FilterPart =
  | { key: "status"; value: Schemas["LeadStatus"] }
  | { key: "assignee" | "pool" | "step" | "campaign" | "source" | "utm_source" | "utm_campaign"; value: string }
  | { key: "received_from" | "received_to"; value: string };

export function filterParts(filters: Schemas["LeadFilters"] | undefined): FilterPart[] {
  const parts: FilterPart[] = [];
  if (!filters) return parts;
  if (filters.status) parts.push({ key: "status", value: filters.status });
  for (const key of ["assignee", "pool", "step", "campaign", "source", "utm_source", "utm_campaign"] as const) {
    const value = filters[key];
    if (value) parts.push({ key, value });
  }
  for (const key of ["received_from", "received_to"] as const) {
    const value = filters[key];
    if (value) parts.push({ key, value });
  }
  return parts;
}
