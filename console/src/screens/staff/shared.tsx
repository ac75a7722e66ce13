/** Pieces the staff screen's pages share: a 422's problems by field, the API error → form errors. */
import { ApiError } from "../../api/client";
import { useLang, useT } from "../../i18n";
import { ErrorNote } from "../../ui";
import { staffDict } from "./i18n";
import { fieldErrors, sectionOf } from "./logic";

type Key = keyof typeof staffDict.vi;

/** The label of a field the API named ("working_hours.0.end" → "Ca làm việc (working_hours.0.end)"). */
export function useFieldLabel() {
  const t = useT(staffDict);
  return (field: string) => {
    const key = `field.${sectionOf(field)}` as Key;
    const label = key in staffDict.vi ? t(key) : field;
    return field.includes(".") ? `${label} (${field})` : label;
  };
}

/** A refused save: a 422 lists each field's problem (nothing was saved); other errors as ErrorNote. */
export function SaveError(props: { error: unknown; onReload?: () => void }) {
  const t = useT(staffDict);
  const label = useFieldLabel();
  const error = props.error;
  if (error instanceof ApiError && error.status === 422) {
    const fields = fieldErrors(error.body);
    return (
      <div class="note error" role="alert">
        <p>{t("invalid")}</p>
        <ul class="field-errors">
          {Object.entries(fields).map(([field, message]) => (
            <li key={field} data-field={field}>
              {t("fieldError", { field: label(field), message })}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  return <ErrorNote error={error} onReload={props.onReload} />;
}

/** Problems of a 422 for one section of a form (shown under that section's controls). */
export function sectionErrors(error: unknown, section: string): string[] {
  if (!(error instanceof ApiError) || error.status !== 422) return [];
  return Object.entries(fieldErrors(error.body))
    .filter(([field]) => sectionOf(field) === section)
    .map(([, message]) => message);
}

/** A calendar day ("2026-12-14") as a full date in the user's language ("Thứ Hai, 14 tháng 12, 2026"). */
export function useDayName(): (day: string) => string {
  const lang = useLang();
  const format = new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", { timeZone: "UTC", dateStyle: "full" });
  return (day) => format.format(new Date(`${day}T00:00:00Z`));
}
