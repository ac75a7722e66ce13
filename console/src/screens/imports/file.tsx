/** Step 1: choose a file, record the import, upload the file to the presigned POST with a progress bar,
 * and say it is uploaded (the server then reads it: headers, preview, suggested mapping). */
import { useEffect, useRef, useState } from "preact/hooks";
import { useFormat } from "../../format";
import { useT } from "../../i18n";
import { Refusal } from "../leads/shared";
import { UploadError, uploadFile, type ImportRecord, type ImportsApi } from "./api";
import { dict } from "./i18n";

/** What the API reads (logic/imports/reading): Excel, and CSV under its usual names. */
const ACCEPTED = /\.(xlsx|csv|txt|tsv)$/i;

export function ChooseFile(props: { imports: ImportsApi; onRecord: (record: ImportRecord) => void }) {
  const t = useT(dict);
  const fmt = useFormat();
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const aborter = useRef<AbortController | null>(null);
  useEffect(() => () => aborter.current?.abort(), []);
  const wrongType = file !== null && !ACCEPTED.test(file.name);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file || wrongType) return;
    setBusy(true);
    setFailure(null);
    aborter.current = new AbortController();
    try {
      const { record, upload } = await props.imports.create({ name: file.name, size: file.size });
      setSent({ sent: 0, total: file.size });
      await uploadFile(upload, file, (n, total) => setSent({ sent: n, total }), aborter.current.signal);
      props.onRecord(await props.imports.uploaded(record.import_id));
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "AbortError")) setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const kb = (bytes: number) => `${fmt.number(bytes / 1024, 1)} KB`;
  return (
    <form class="import-file" onSubmit={submit}>
      <label>
        {t("file")}
        <input
          type="file"
          accept=".xlsx,.csv,.txt,.tsv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
          aria-describedby="import-file-hint"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          disabled={busy}
        />
      </label>
      <p id="import-file-hint" class="muted">
        {t("fileHint")}
      </p>
      {wrongType ? (
        <p class="note error" role="alert">
          {t("wrongType")}
        </p>
      ) : null}
      <button type="submit" class="primary" disabled={busy || !file || wrongType}>
        {t("upload")}
      </button>
      {sent ? (
        <div class="upload-progress">
          <label for="upload-progress">{t("uploading")}</label>
          <progress id="upload-progress" value={sent.sent} max={sent.total || 1} />
          <span>{t("uploadProgress", { sent: kb(sent.sent), total: kb(sent.total) })}</span>
        </div>
      ) : null}
      {failure instanceof UploadError ? (
        <p class="note error" role="alert">
          {t("uploadFailed", { status: failure.status })}
        </p>
      ) : failure ? (
        <Refusal error={failure} />
      ) : null}
    </form>
  );
}
