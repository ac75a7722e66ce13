/** Every call the import screen makes, in one place: the import API (POST/GET /imports…) is built in
 * parallel (the engine branch's routes/imports.py and domain/imports.py), so its paths and shapes are
 * written here by hand; after the merge the typed schema (src/api/schema.d.ts) can replace these types
 * and the untyped client below.
 *
 * Also the browser's upload to the presigned POST (S3's rule: the policy's fields first, the file last),
 * through XMLHttpRequest because fetch cannot report upload progress. */
import { ok, type Api } from "../../api/client";
import type { Mapping } from "./mapping";

export type ImportStatus =
  | "awaiting_upload"
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
  /** The tenant's form source: the leads' source, and its pool, step and campaign the defaults. */
  source_id: string;
  mode: ImportMode;
  /** keep_owner only: whether the kept leads count towards the owners' daily caps and fairness. */
  count_towards_caps?: boolean;
}

/** A stage's progress (the dry run's `checked`, the import's `imported`): rows done and by outcome. */
export interface StageCounts {
  chunks?: number;
  rows: number;
  created: number;
  linked: number;
  rejected: number;
  already_imported: number;
  converted: number;
}

/** A rejected row: its number as Excel shows it, and why (never the cell's value). */
export interface RowProblem {
  row: number;
  reasons: string[];
}

/** One import as the screen reads it (the API's `Import` with the report link of `GET /imports/{id}`). */
export interface ImportRecord {
  import_id: string;
  status: ImportStatus;
  file_name?: string;
  size?: number;
  requested_at?: string;
  headers?: string[];
  /** The first rows of the file, cells as text, in the order of `headers`. */
  preview?: (string | null)[][];
  /** The suggested mapping once the file is read, then the one the dry run checked. */
  mapping?: Partial<Mapping> | null;
  options?: ImportOptions | null;
  total_rows?: number;
  checked?: StageCounts;
  imported?: StageCounts;
  problems?: RowProblem[];
  report_url?: string | null;
  error?: string | null;
}

export interface Upload {
  url: string;
  fields: Record<string, string>;
  max_bytes?: number;
}

export interface ImportPage {
  items: ImportRecord[];
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

/** An answer as one record: `{record: {...}, report_url}` (GET /imports/{id}) or the record itself
 * (the actions' 202s). */
export function importOf(answer: unknown): ImportRecord {
  if (!isObject(answer)) throw new Error("unexpected answer");
  const inner = [answer.record, answer.import].find((v) => isObject(v) && "import_id" in v);
  if (!inner) return answer as unknown as ImportRecord;
  const { record: _r, import: _i, ...extra } = answer;
  return { ...(inner as object), ...extra } as unknown as ImportRecord;
}

/** The import's progress: rows done of all (the import stage's counts against the file's rows). */
export function importProgress(record: ImportRecord): { done: number; total: number } {
  return { done: record.imported?.rows ?? 0, total: record.total_rows ?? 0 };
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
    async list(): Promise<ImportPage> {
      const query: Record<string, unknown> = { limit: 20 };
      const answer = ok(await raw.GET("/imports", { params: { query } }));
      if (!isObject(answer) || !Array.isArray(answer.items)) throw new Error("unexpected answer");
      return { items: answer.items.map(importOf) };
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
  "awaiting_upload",
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
    case "awaiting_upload":
      return { step: "file", waiting: null };
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
