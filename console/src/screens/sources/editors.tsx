/** Two small editors: a list of values (allowed origins, redirect hosts) and a two-column map (form field
 * → lead field, utm_campaign → campaign). Each row's problem is shown next to it and named by the row's
 * input (aria-describedby); rows are added and removed with buttons. */
import type { ComponentChildren } from "preact";
import { common } from "../../common";
import { useT } from "../../i18n";
import { TableRegion } from "../../ui";
import { dict, type SourcesKey } from "./i18n";
import { removeAt, setAt, type MapRow } from "./logic";

export function ListEditor(props: {
  id: string;
  legend: string;
  hint?: string;
  values: string[];
  onChange: (values: string[]) => void;
  rowLabel: SourcesKey;
  addLabel: SourcesKey;
  problems: (string | undefined)[];
  error?: string;
  placeholder?: string;
}) {
  const t = useT(dict);
  return (
    <fieldset class="list-editor" id={props.id}>
      <legend>{props.legend}</legend>
      {props.hint ? <p class="muted hint">{props.hint}</p> : null}
      <ul>
        {props.values.map((value, i) => {
          const problem = props.problems[i];
          const errorId = `${props.id}-err-${i}`;
          return (
            <li key={i}>
              <input
                type="text"
                inputMode="url"
                spellcheck={false}
                value={value}
                aria-label={t(props.rowLabel, { n: i + 1 })}
                placeholder={props.placeholder}
                aria-invalid={problem ? "true" : undefined}
                aria-describedby={problem ? errorId : undefined}
                onInput={(e) => props.onChange(setAt(props.values, i, e.currentTarget.value))}
              />
              <button type="button" class="link" onClick={() => props.onChange(removeAt(props.values, i))}>
                {t("removeRow", { n: i + 1 })}
              </button>
              {problem ? (
                <p class="field-error" id={errorId}>
                  {problem}
                </p>
              ) : null}
            </li>
          );
        })}
      </ul>
      {props.error ? <p class="field-error">{props.error}</p> : null}
      <button type="button" onClick={() => props.onChange([...props.values, ""])}>
        {t(props.addLabel)}
      </button>
    </fieldset>
  );
}

export function MapEditor(props: {
  id: string;
  legend: string;
  hint?: string;
  rows: MapRow[];
  onChange: (rows: MapRow[]) => void;
  fromHeader: string;
  toHeader: string;
  fromLabel: SourcesKey;
  toLabel: SourcesKey;
  addLabel: SourcesKey;
  problems: (string | undefined)[];
  error?: string;
  /** The second column as a select (lead fields), else free text. */
  choices?: { value: string; label: string }[];
}) {
  const t = useT(dict);
  const tc = useT(common);
  const change = (i: number, row: MapRow) => props.onChange(setAt(props.rows, i, row));
  return (
    <fieldset class="map-editor" id={props.id}>
      <legend>{props.legend}</legend>
      {props.hint ? <p class="muted hint">{props.hint}</p> : null}
      {props.rows.length ? (
        <TableRegion label={props.legend}>
          <table aria-label={props.legend}>
            <thead>
              <tr>
                <th scope="col">{props.fromHeader}</th>
                <th scope="col">{props.toHeader}</th>
                <th scope="col">{tc("actions")}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row, i) => {
                const problem = props.problems[i];
                const errorId = `${props.id}-err-${i}`;
                const invalid = problem ? "true" : undefined;
                const described = problem ? errorId : undefined;
                return (
                  <tr key={i}>
                    <td>
                      <input
                        type="text"
                        spellcheck={false}
                        value={row.from}
                        aria-label={t(props.fromLabel, { n: i + 1 })}
                        aria-invalid={invalid}
                        aria-describedby={described}
                        onInput={(e) => change(i, { ...row, from: e.currentTarget.value })}
                      />
                      {problem ? (
                        <p class="field-error" id={errorId}>
                          {problem}
                        </p>
                      ) : null}
                    </td>
                    <td>
                      {props.choices ? (
                        <select
                          value={row.to}
                          aria-label={t(props.toLabel, { n: i + 1 })}
                          aria-invalid={invalid}
                          aria-describedby={described}
                          onChange={(e) => change(i, { ...row, to: e.currentTarget.value })}
                        >
                          <option value="">{t("choose")}</option>
                          {props.choices.map((c) => (
                            <option key={c.value} value={c.value}>
                              {c.label}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <input
                          type="text"
                          value={row.to}
                          aria-label={t(props.toLabel, { n: i + 1 })}
                          aria-invalid={invalid}
                          aria-describedby={described}
                          onInput={(e) => change(i, { ...row, to: e.currentTarget.value })}
                        />
                      )}
                    </td>
                    <td>
                      <button type="button" class="link" onClick={() => props.onChange(removeAt(props.rows, i))}>
                        {t("removeRow", { n: i + 1 })}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {props.error ? <p class="field-error">{props.error}</p> : null}
      <button type="button" onClick={() => props.onChange([...props.rows, { from: "", to: "" }])}>
        {t(props.addLabel)}
      </button>
    </fieldset>
  );
}

/** A labelled field with its hint and its error, wired for screen readers. */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: (aria: { id: string; "aria-invalid"?: "true"; "aria-describedby"?: string }) => ComponentChildren;
}) {
  const described = [props.hint ? `${props.id}-hint` : "", props.error ? `${props.id}-err` : ""].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children({
        id: props.id,
        ...(props.error ? { "aria-invalid": "true" as const } : {}),
        ...(described ? { "aria-describedby": described } : {}),
      })}
      {props.hint ? (
        <p class="muted hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="field-error" id={`${props.id}-err`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
