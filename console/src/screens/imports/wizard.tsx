/** The import wizard: one import followed from its file to its summary. The step comes from the import's
 * status (so a past import reopens where it stands), and a running stage is polled until it settles. */
import { useEffect, useRef, useState } from "preact/hooks";
import { useT } from "../../i18n";
import { usePoll } from "../../polling";
import { Refusal } from "../leads/shared";
import { settledFor, stepOf, type ImportRecord, type ImportsApi } from "./api";
import { MapColumns } from "./columns";
import { ChooseFile } from "./file";
import { dict } from "./i18n";
import { Importing } from "./progress";
import { DryRunResult } from "./result";

const STEPS = ["file", "map", "check", "import"] as const;

export function ImportWizard(props: {
  imports: ImportsApi;
  initial: ImportRecord | null;
  onChanged: (record: ImportRecord) => void;
  onNew: () => void;
}) {
  const t = useT(dict);
  const [record, setRecord] = useState<ImportRecord | null>(props.initial);
  const [remap, setRemap] = useState(false);
  const waiting = record ? stepOf(record.status).waiting : null;
  const polled = usePoll(
    record && waiting ? `${record.import_id}:${waiting}` : null,
    () => props.imports.get(record?.import_id ?? ""),
    settledFor(waiting ?? "read"),
  );
  const shown = waiting && polled.data ? polled.data : record;
  // The past imports follow what the poll sees (a stage that settled).
  useEffect(() => {
    if (polled.data) props.onChanged(polled.data);
  }, [polled.data?.status]);
  const answered = (next: ImportRecord) => {
    setRemap(false);
    setRecord(next);
    props.onChanged(next);
  };
  const stage = shown ? stepOf(shown.status) : { step: "file" as const, waiting: null };
  const step = remap ? "map" : stage.step;
  // A new step replaces the controls just used: the keyboard and screen readers go to its heading.
  const heading = useRef<HTMLHeadingElement>(null);
  const lastStep = useRef(step);
  useEffect(() => {
    if (lastStep.current !== step) heading.current?.focus();
    lastStep.current = step;
  }, [step]);

  return (
    <div class="import-wizard">
      <ol class="wizard-steps" aria-label={t("steps")}>
        {STEPS.map((s, i) => (
          <li key={s} aria-current={s === step ? "step" : undefined} class={s === step ? "current" : undefined}>
            {i + 1}. {t(`step.${s}`)}
          </li>
        ))}
      </ol>
      <h2 tabIndex={-1} ref={heading}>
        {t(`step.${step}`)}
      </h2>
      {polled.error ? <Refusal error={polled.error} onReload={polled.restart} /> : null}
      {shown?.status === "failed" ? (
        <p class="note error" role="alert">
          {t("failed", { reason: shown.error || t("unknownReason") })}
        </p>
      ) : null}
      {!shown || shown.status === "awaiting_upload" || shown.status === "failed" ? (
        <ChooseFile imports={props.imports} onRecord={answered} />
      ) : stage.waiting === "read" ? (
        <Waiting label={t("readingLabel")} text={t("reading")} />
      ) : step === "map" && stage.waiting === "check" && !remap ? (
        <Waiting label={t("checkingLabel")} text={t("checking")} />
      ) : step === "map" ? (
        <MapColumns record={shown} imports={props.imports} onRecord={answered} />
      ) : step === "check" ? (
        <DryRunResult record={shown} imports={props.imports} onRecord={answered} onRemap={() => setRemap(true)} />
      ) : (
        <Importing record={shown} imports={props.imports} onRecord={answered} />
      )}
      {shown && shown.status !== "awaiting_upload" ? (
        <p>
          <button type="button" class="link" onClick={props.onNew}>
            {t("newImport")}
          </button>
        </p>
      ) : null}
    </div>
  );
}

function Waiting(props: { label: string; text: string }) {
  return (
    <div class="import-waiting">
      <p role="status">{props.text}</p>
      <progress aria-label={props.label} />
    </div>
  );
}
