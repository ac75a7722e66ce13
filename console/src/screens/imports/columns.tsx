/** Step 2: map the file's columns to lead fields (the preview under each), choose the source and how the
 * customers are assigned, then ask for the dry run. A 422's field errors are shown by their column. */
import { useState } from "preact/hooks";
import { ApiError, ok, type Schemas } from "../../api/client";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { TableRegion, useLoad } from "../../ui";
import { Refusal } from "../leads/shared";
import type { ImportMode, ImportOptions, ImportRecord, ImportsApi } from "./api";
import { dict } from "./i18n";
import {
  blockers,
  checkBody,
  choose,
  errorsByHeader,
  fieldOf,
  FIELDS,
  initialMapping,
  renamed,
  type Field,
  type Mapping,
} from "./mapping";

const MODES: readonly ImportMode[] = ["rotation", "keep_owner"];

export function MapColumns(props: { record: ImportRecord; imports: ImportsApi; onRecord: (r: ImportRecord) => void }) {
  const t = useT(dict);
  const api = useApi();
  const headers = props.record.headers ?? [];
  const preview = props.record.preview ?? [];
  // The suggestion once the file is read (the tenant's remembered mapping among it), then the checked one.
  const [mapping, setMapping] = useState<Mapping>(() => initialMapping(headers, props.record.mapping));
  const [options, setOptions] = useState<ImportOptions>(
    () => props.record.options ?? { source_id: "", mode: "rotation", count_towards_caps: false },
  );
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const sources = useLoad(async () => ok(await api.GET("/form-sources")).items, []);
  const blocked = blockers(mapping, options);
  const fieldErrors =
    failure instanceof ApiError && failure.status === 422
      ? errorsByHeader((failure.body as Partial<Schemas["Error"]> | null)?.errors ?? [], headers)
      : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (blocked.length) return;
    setBusy(true);
    setFailure(null);
    try {
      props.onRecord(await props.imports.check(props.record.import_id, checkBody(mapping, options)));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="import-map" onSubmit={submit} aria-describedby="map-intro">
      <p id="map-intro" class="muted">
        {t("mapIntro")}
      </p>
      {fieldErrors ? (
        <div class="note error" role="alert">
          <p>{t("refused")}</p>
          {fieldErrors.general.length ? (
            <ul>
              {fieldErrors.general.map((g) => (
                <li key={`${g.field}:${g.message}`}>{g.field ? `${g.field}: ${g.message}` : g.message}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : failure ? (
        <Refusal error={failure} />
      ) : null}
      <TableRegion label={t("mapTable")}>
        <table class="mapping-table" aria-label={t("mapTable")}>
          <thead>
            <tr>
              {headers.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr class="choices">
              {headers.map((h, i) => (
                <td key={h}>
                  <ColumnChoice
                    index={i}
                    header={h}
                    mapping={mapping}
                    errors={fieldErrors?.byHeader[h] ?? []}
                    onChange={setMapping}
                  />
                </td>
              ))}
            </tr>
            {preview.map((row, n) => (
              <tr key={n} aria-label={t("previewRow", { n: n + 2 })}>
                {headers.map((h, i) => (
                  <td key={h}>{row[i] ?? ""}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <fieldset class="import-options">
        <legend>{t("options")}</legend>
        <label>
          {t("source")}
          <select
            value={options.source_id}
            required
            onChange={(e) => setOptions((o) => ({ ...o, source_id: e.currentTarget.value }))}
          >
            <option value="">{t("chooseSource")}</option>
            {(sources.data ?? []).map((s) => (
              <option key={s.source_id} value={s.source_id}>
                {s.name} ({s.source_id})
              </option>
            ))}
          </select>
        </label>
        {sources.error ? <Refusal error={sources.error} onReload={sources.reload} /> : null}
        <fieldset class="modes">
          <legend>{t("mode")}</legend>
          {MODES.map((m) => (
            <label key={m} class="inline">
              <input
                type="radio"
                name="import-mode"
                value={m}
                checked={options.mode === m}
                aria-describedby={`mode-${m}-hint`}
                onChange={() => setOptions((o) => ({ ...o, mode: m }))}
              />
              {t(`mode.${m}`)}
              <span id={`mode-${m}-hint`} class="muted">
                {" "}
                {t(`mode.${m}.hint`)}
              </span>
            </label>
          ))}
        </fieldset>
        {options.mode === "keep_owner" ? (
          <label class="inline">
            <input
              type="checkbox"
              checked={!!options.count_towards_caps}
              onChange={(e) => setOptions((o) => ({ ...o, count_towards_caps: e.currentTarget.checked }))}
            />
            {t("countTowardsCaps")}
          </label>
        ) : null}
      </fieldset>
      {blocked.length ? (
        <ul class="blockers" id="dry-run-blockers">
          {blocked.map((b) => (
            <li key={b}>{t(`blocker.${b}`)}</li>
          ))}
        </ul>
      ) : null}
      <button
        type="submit"
        class="primary"
        disabled={busy || blocked.length > 0}
        aria-describedby={blocked.length ? "dry-run-blockers" : undefined}
      >
        {busy ? t("checking") : t("dryRun")}
      </button>
    </form>
  );
}

function ColumnChoice(props: {
  index: number;
  header: string;
  mapping: Mapping;
  errors: string[];
  onChange: (mapping: Mapping) => void;
}) {
  const t = useT(dict);
  const field = fieldOf(props.mapping, props.header);
  const errorId = `column-${props.index}-errors`;
  return (
    <div class="column-choice">
      <select
        aria-label={t("fieldFor", { header: props.header })}
        value={field ?? ""}
        aria-invalid={props.errors.length > 0}
        aria-describedby={props.errors.length ? errorId : undefined}
        onChange={(e) =>
          props.onChange(choose(props.mapping, props.header, (e.currentTarget.value || null) as Field | null))
        }
      >
        <option value="">{t("skip")}</option>
        {FIELDS.map((f) => (
          <option key={f} value={f}>
            {t(`field.${f}`)}
          </option>
        ))}
      </select>
      {field === "attribute" ? (
        <input
          type="text"
          aria-label={t("attributeName", { header: props.header })}
          value={props.mapping.attributes[props.header] ?? ""}
          onInput={(e) => props.onChange(renamed(props.mapping, props.header, e.currentTarget.value))}
        />
      ) : null}
      {props.errors.length ? (
        <ul id={errorId} class="field-errors">
          {props.errors.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
