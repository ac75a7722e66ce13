/** The column mapping's pure state: which lead field each header of the file holds. One column per
 * field (choosing a field already taken moves it; only "attribute" columns may be many), and the dry run
 * needs a phone or an email column, a source and, to keep owners, an owner column. */
import type { Schemas } from "../../api/client";
import type { ImportOptions } from "./api";

/** What a column holds (the contract's `LeadField`). */
export type Field = Schemas["LeadField"];

/** Every field, in the order the mapping's choices list them (a field the contract adds or drops fails
 * `tsc` here). */
const EVERY_FIELD: Record<Field, true> = {
  name: true,
  phone: true,
  email: true,
  owner: true,
  pool: true,
  step: true,
  campaign: true,
  source: true,
  note: true,
  received_at: true,
  lead_id: true,
  attribute: true,
};
export const FIELDS = Object.keys(EVERY_FIELD) as readonly Field[];

/** As the API takes it (`ColumnMapping`): `columns` header → field; `attributes` header → the
 * attribute's name. */
export type Mapping = Required<Schemas["ColumnMapping"]>;

export function fieldOf(mapping: Mapping, header: string): Field | null {
  return Object.hasOwn(mapping.columns, header) ? (mapping.columns[header] ?? null) : null;
}

/** `header` now holds `field` (null: skipped). A field other than "attribute" held by another header
 * moves here, and that header is skipped. */
export function choose(mapping: Mapping, header: string, field: Field | null): Mapping {
  const columns: Record<string, Field> = {};
  const attributes: Record<string, string> = {};
  for (const [h, f] of Object.entries(mapping.columns)) {
    if (h === header || (field !== null && field !== "attribute" && f === field)) continue;
    columns[h] = f;
    if (f === "attribute") attributes[h] = mapping.attributes[h] ?? h;
  }
  if (field !== null) {
    columns[header] = field;
    if (field === "attribute") attributes[header] = mapping.attributes[header] ?? header;
  }
  return { columns, attributes };
}

/** The name an attribute column is kept under (its header unless renamed). */
export function renamed(mapping: Mapping, header: string, name: string): Mapping {
  if (fieldOf(mapping, header) !== "attribute") return mapping;
  return { columns: mapping.columns, attributes: { ...mapping.attributes, [header]: name } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

function isField(value: unknown): value is Field {
  return typeof value === "string" && Object.hasOwn(EVERY_FIELD, value);
}

/** The suggestion (the record's `mapping`, which the contract leaves open: the worker's suggestion or
 * the tenant's remembered mapping), cleaned to the file's headers, to known fields and to one column
 * per field (the first keeps it). */
export function initialMapping(headers: readonly string[], suggested: unknown): Mapping {
  let mapping: Mapping = { columns: {}, attributes: {} };
  const columns = isRecord(suggested) && isRecord(suggested.columns) ? suggested.columns : {};
  const names = isRecord(suggested) && isRecord(suggested.attributes) ? suggested.attributes : {};
  const taken = new Set<Field>();
  for (const header of headers) {
    const field = columns[header];
    if (!isField(field)) continue;
    if (field !== "attribute" && taken.has(field)) continue;
    taken.add(field);
    mapping = choose(mapping, header, field);
    const name = names[header];
    if (field === "attribute" && typeof name === "string" && name) mapping = renamed(mapping, header, name);
  }
  return mapping;
}

export type Blocker = "contact" | "source" | "owner" | "attributeName";

/** Why the dry run cannot be asked for yet (empty: it can). */
export function blockers(mapping: Mapping, options: ImportOptions): Blocker[] {
  const fields = new Set(Object.values(mapping.columns));
  const found: Blocker[] = [];
  if (!fields.has("phone") && !fields.has("email")) found.push("contact");
  if (!options.source_id) found.push("source");
  if (options.mode === "keep_owner" && !fields.has("owner")) found.push("owner");
  if (Object.values(mapping.attributes).some((name) => !name.trim())) found.push("attributeName");
  return found;
}

/** POST /imports/{id}/check's body: caps and fairness only count for kept owners (rotation's leads
 * are counted by the rules as they are assigned). */
export function checkBody(mapping: Mapping, options: ImportOptions): Schemas["CheckRequest"] {
  const attributes = Object.fromEntries(Object.entries(mapping.attributes).map(([h, name]) => [h, name.trim()]));
  const kept = options.mode === "keep_owner";
  return {
    mapping: { columns: { ...mapping.columns }, attributes },
    options: {
      source_id: options.source_id,
      mode: options.mode,
      count_towards_caps: kept && options.count_towards_caps,
    },
  };
}

/** A 422's field errors placed next to the header they name (`mapping.columns.SĐT`, `SĐT`), the rest
 * (`mapping`, `options.source` …) shown above the table. */
export function errorsByHeader(
  errors: readonly { field?: string; message?: string }[],
  headers: readonly string[],
): { byHeader: Record<string, string[]>; general: { field: string; message: string }[] } {
  const byHeader: Record<string, string[]> = {};
  const general: { field: string; message: string }[] = [];
  // Longest first: a header that ends another header ("điện thoại" in "Số điện thoại") does not steal it.
  const ordered = [...headers].sort((a, b) => b.length - a.length);
  for (const error of errors) {
    const field = error.field ?? "";
    const message = error.message ?? "";
    const header = ordered.find((h) => field === h || field.endsWith(`.${h}`));
    if (header === undefined) general.push({ field, message });
    else (byHeader[header] ??= []).push(message);
  }
  return { byHeader, general };
}
