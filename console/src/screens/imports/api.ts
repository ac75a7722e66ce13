/** Every call the import screen makes, in one place, typed by the API's contract (src/api/schema.d.ts,
 * generated from docs/openapi.json): a changed route or shape fails `tsc`, not the admin's import.
 *
 * Also the browser's upload to the presigned POST (S3's rule: the policy's fields first, the file last),
 * through XMLHttpRequest because fetch cannot report upload progress. */
import { ok, type Api, type Schemas } from "../../api/client";

export type ImportStatus = Schemas["ImportStatus"];
export type ImportMode = Schemas["ImportMode"];
/** What the admin chose: the form source (the leads' source; its pool, step and campaign the defaults),
 * rotation or kept owners, and (kept owners only) whether they count towards caps and fairness. */
export type ImportOptions = Schemas["ImportOptions"];
/** A stage's progress (the dry run's `checked`, the import's `imported`): rows done and by outcome. */
export type StageCounts = Schemas["StageCounts"];
/** A rejected row: its number as Excel shows it, and why (never the cell's value). */
export type RowProblem = Schemas["RowProblem"];
export type Upload = Schemas["UploadForm"];
export type ImportPage = Schemas["ImportPage"];

/** One import as the screen reads it: the API's `Import`, with the report link `GET /imports/{id}`
 * adds (the actions answer the bare record: no link). */
export type ImportRecord = Schemas["Import"] & { report_url?: string | null };

const TERMINAL: Record<"read" | "check" | "import", readonly ImportStatus[]> = {
  read: ["ready", "failed", "cancelled"],
  check: ["checked", "failed", "cancelled"],
  import: ["done", "failed", "cancelled"],
};

/** Whether the stage being followed (reading the file, the dry run, the import) has settled. */
export function settledFor(stage: Stage): (record: ImportRecord) => boolean {
  return (record) => TERMINAL[stage].includes(record.status);
}

/** `GET /imports/{id}`'s answer as one record: the import with its report link. */
export function withReport(detail: Schemas["ImportDetail"]): ImportRecord {
  return { ...detail.record, report_url: detail.report_url ?? null };
}

/** The import's progress: rows done of all (the import stage's counts against the file's rows). */
export function importProgress(record: ImportRecord): { done: number; total: number } {
  return { done: record.imported?.rows ?? 0, total: record.total_rows };
}

export const importsApi = (api: Api) => {
  const path = (id: string) => ({ params: { path: { import_id: id } } });
  return {
    /** Records the import and returns where the browser uploads the file. */
    async create(file: { name: string; size: number }): Promise<Schemas["ImportCreated"]> {
      return ok(await api.POST("/imports", { body: { file_name: file.name, size: file.size } }));
    },
    async uploaded(id: string): Promise<ImportRecord> {
      return ok(await api.POST("/imports/{import_id}/uploaded", path(id)));
    },
    async get(id: string): Promise<ImportRecord> {
      return withReport(ok(await api.GET("/imports/{import_id}", path(id))));
    },
    async check(id: string, body: Schemas["CheckRequest"]): Promise<ImportRecord> {
      return ok(await api.POST("/imports/{import_id}/check", { ...path(id), body }));
    },
    async start(id: string): Promise<ImportRecord> {
      return ok(await api.POST("/imports/{import_id}/start", path(id)));
    },
    async cancel(id: string): Promise<ImportRecord> {
      return ok(await api.POST("/imports/{import_id}/cancel", path(id)));
    },
    async resume(id: string): Promise<ImportRecord> {
      return ok(await api.POST("/imports/{import_id}/resume", path(id)));
    },
    async list(): Promise<ImportPage> {
      return ok(await api.GET("/imports", { params: { query: { limit: 20 } } }));
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

/** Every status, in the order an import goes through them (a status the contract adds fails `tsc` here). */
const EVERY_STATUS: Record<ImportStatus, true> = {
  awaiting_upload: true,
  reading: true,
  ready: true,
  checking: true,
  checked: true,
  importing: true,
  cancelled: true,
  done: true,
  failed: true,
};
export const STATUSES = Object.keys(EVERY_STATUS) as readonly ImportStatus[];

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
