/** Every call the import screen makes, in one place: the import API (POST/GET /imports…) is built in
 * parallel, so its paths and shapes are written here by hand from the agreed contract; after the merge
 * the typed schema (src/api/schema.d.ts) can replace these types and the untyped client below.
 *
 * Also the browser's upload to the presigned POST (S3's rule: the policy's fields first, the file last),
 * through XMLHttpRequest because fetch cannot report upload progress. */
import { ok, type Api } from "../../api/client";
import type { Mapping } from "./mapping";

export type ImportStatus =
  | "created"
  | "uploaded"
  | "reading"
  | "ready"
  | "checking"
  | "checked"
  | "importing"
  | "cancelled"
  | "done"
  | "failed";

export type ImportMode = "rotation" | "keep_owner";

export interface ImportOptions {
  /** The form source the leads are recorded as coming through (required). */
  source: string;
  mode: ImportMode;
  /** keep_owner only: whether the kept leads count towards the owners' caps and fairness. */
  count_towards_caps?: boolean;
}

export interface CheckCounts {
  created: number;
  linked: number;
  rejected: number;
  already_imported: number;
  converted: number;
}

export interface RowProblem {
  row: number;
  field: string;
  message: string;
}

export interface ImportCounters extends Partial<CheckCounts> {
  rows_done: number;
  total_rows: number;
}

/** One import as the screen reads it (see `importOf` for how an answer becomes one). */
export interface ImportRecord {
  import_id: string;
  status: ImportStatus;
  file_name?: string;
  size?: number;
  created_at?: string;
  requested_by?: { role?: string; staff_id?: string | null } | null;
  headers?: string[];
  /** The first rows of the file, cells as text, in the order of `headers`. */
  preview?: string[][];
  suggested?: Mapping;
  mapping?: Mapping | null;
  options?: ImportOptions | null;
  check?: CheckCounts | null;
  problems?: RowProblem[];
  report_url?: string | null;
  /** Progress of the import itself (and its outcome once done). */
  progress?: ImportCounters | null;
  error?: string | null;
}

export interface Upload {
  url: string;
  fields: Record<string, string>;
}

export interface ImportPage {
  items: ImportRecord[];
  cursor: string | null;
}

const TERMINAL: Record<"read" | "check" | "import", readonly ImportStatus[]> = {
  read: ["ready", "failed", "cancelled"],
  check: ["checked", "failed", "cancelled"],
  import: ["done", "failed", "cancelled"],
};

/** Whether the stage being followed (reading the file, the dry run, the import) has settled. */
export function settledFor(stage: Stage): (record: ImportRecord) => boolean {
  return (record) => TERMINAL[stage].includes(record.status);
}

type Untyped = {
  [M in "GET" | "POST"]: (
    path: string,
    init?: { params?: { path?: Record<string, string>; query?: Record<string, unknown> }; body?: unknown },
  ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
};

/** The typed client without its types (the import paths are not in the committed schema yet). */
function untyped(api: Api): Untyped {
  return api as unknown as Untyped;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

/** An answer as one record: `{import: {...}, report_url, ...}` or the record itself; the import's
 * counters (`rows_done`, `total_rows`, outcomes) whether nested under `import`/`progress` or flat. */
export function importOf(answer: unknown): ImportRecord {
  if (!isObject(answer)) throw new Error("unexpected answer");
  const outer = isObject(answer.import) && "import_id" in answer.import ? answer : null;
  const record: Record<string, unknown> = outer
    ? { ...Object.fromEntries(Object.entries(outer).filter(([k]) => k !== "import")), ...(outer.import as object) }
    : { ...answer };
  const nested = [record.progress, record.import].find((v) => isObject(v) && "total_rows" in v);
  if (nested) record.progress = nested;
  else if (typeof record.total_rows === "number") {
    record.progress = { ...record, rows_done: typeof record.rows_done === "number" ? record.rows_done : 0 };
  }
  return record as unknown as ImportRecord;
}

export const importsApi = (api: Api) => {
  const raw = untyped(api);
  const path = (id: string) => ({ params: { path: { import_id: id } } });
  return {
    /** Records the import and returns where the browser uploads the file. */
    async create(file: { name: string; size: number }): Promise<{ record: ImportRecord; upload: Upload }> {
      const answer = ok(await raw.POST("/imports", { body: { file_name: file.name, size: file.size } }));
      if (!isObject(answer) || !isObject(answer.upload)) throw new Error("unexpected answer");
      return { record: importOf(answer), upload: answer.upload as unknown as Upload };
    },
    async uploaded(id: string): Promise<ImportRecord> {
      return importOf(ok(await raw.POST("/imports/{import_id}/uploaded", path(id))));
    },
    async get(id: string): Promise<ImportRecord> {
      return importOf(ok(await raw.GET("/imports/{import_id}", path(id))));
    },
    async check(id: string, mapping: Mapping, options: ImportOptions): Promise<ImportRecord> {
      return importOf(ok(await raw.POST("/imports/{import_id}/check", { ...path(id), body: { mapping, options } })));
    },
    async start(id: string): Promise<ImportRecord> {
      return importOf(ok(await raw.POST("/imports/{import_id}/start", path(id))));
    },
    async cancel(id: string): Promise<ImportRecord> {
      return importOf(ok(await raw.POST("/imports/{import_id}/cancel", path(id))));
    },
    async resume(id: string): Promise<ImportRecord> {
      return importOf(ok(await raw.POST("/imports/{import_id}/resume", path(id))));
    },
    async list(cursor?: string | null): Promise<ImportPage> {
      const query: Record<string, unknown> = { limit: 20 };
      if (cursor) query.cursor = cursor;
      const answer = ok(await raw.GET("/imports", { params: { query } }));
      if (!isObject(answer) || !Array.isArray(answer.items)) throw new Error("unexpected answer");
      return { items: answer.items.map(importOf), cursor: typeof answer.cursor === "string" ? answer.cursor : null };
    },
  };
};

export type ImportsApi = ReturnType<typeof importsApi>;

/** The presigned POST's form: every policy field in the given order, then the file, last (S3 ignores
 * anything after the file and refuses a file before its fields). */
export function uploadForm(upload: Upload, file: Blob, fileName: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append("file", file, fileName);
  return form;
}

export class UploadError extends Error {
  constructor(readonly status: number) {
    super(`upload refused (HTTP ${status})`);
  }
}

/** POSTs the file to the presigned URL, reporting the bytes sent; resolves when the store has it. */
export function uploadFile(
  upload: Upload,
  file: File,
  onProgress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new UploadError(xhr.status)));
    xhr.onerror = () => reject(new UploadError(0));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(uploadForm(upload, file, file.name));
  });
}

export const STATUSES: readonly ImportStatus[] = [
  "created",
  "uploaded",
  "reading",
  "ready",
  "checking",
  "checked",
  "importing",
  "cancelled",
  "done",
  "failed",
];

export function knownStatus(status: string): status is ImportStatus {
  return (STATUSES as readonly string[]).includes(status);
}

/** The wizard's step for a status, and the stage being waited for (null: nothing runs). */
export function stepOf(status: ImportStatus): { step: "file" | "map" | "check" | "import"; waiting: Stage | null } {
  switch (status) {
    case "created":
      return { step: "file", waiting: null };
    case "uploaded":
    case "reading":
      return { step: "file", waiting: "read" };
    case "ready":
      return { step: "map", waiting: null };
    case "checking":
      return { step: "map", waiting: "check" };
    case "checked":
      return { step: "check", waiting: null };
    case "importing":
      return { step: "import", waiting: "import" };
    case "cancelled":
    case "done":
      return { step: "import", waiting: null };
    case "failed":
      return { step: "file", waiting: null };
  }
}

export type Stage = keyof typeof TERMINAL;
