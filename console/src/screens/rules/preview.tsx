/** The live preview of the rule being edited (POST /rules/preview, debounced): the next 24 assignees, each
 * person's share (ideal vs in those 24), and what happens to one lead arriving at a chosen moment. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useFormat } from "../../format";
import { useLang, useT } from "../../i18n";
import { useApi } from "../../session";
import { TableRegion } from "../../ui";
import { words, type Word } from "./i18n";
import { bodyOf, fieldErrors, isoOf, nextWeekdayAt, shares, type RuleForm } from "./logic";

type RulePreview = Schemas["RulePreview"];

const COUNT = 24;
const DEBOUNCE_MS = 400;

/** Enough of a draft to ask about: someone to share with and a scope. */
function askable(form: RuleForm): boolean {
  const scoped = form.scopeType === "campaign" ? !!form.campaign.trim() : !!(form.pool.trim() && form.step.trim());
  return form.staff.length > 0 && scoped;
}

export function Preview(props: { form: RuleForm; timeZone: string; nameOf: (staffId: string) => string }) {
  const t = useT(words);
  const c = useT(common);
  const fmt = useFormat();
  const lang = useLang();
  const api = useApi();
  const [arrival, setArrival] = useState(() => nextWeekdayAt(new Date(), props.timeZone));
  const [result, setResult] = useState<RulePreview | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);
  const ready = askable(props.form);

  useEffect(() => {
    if (!ready) {
      asked.current++;
      setResult(null);
      setProblems([]);
      setBusy(false);
      return;
    }
    const mine = ++asked.current;
    setBusy(true);
    const timer = setTimeout(() => {
      const body = bodyOf(props.form, props.timeZone);
      // The name is checked when saving; the preview need not wait for it.
      if (!props.form.name.trim()) body.name = t("preview.title");
      if (arrival) body.arrival = isoOf(arrival, props.timeZone);
      body.count = COUNT;
      void api.POST("/rules/preview", { body: body as never }).then(
        (answer) => {
          if (mine !== asked.current) return;
          try {
            setResult(ok(answer));
            setProblems([]);
          } catch (error) {
            setResult(null);
            setProblems(
              error instanceof ApiError && error.status === 422
                ? Object.values(fieldErrors(error.body))
                : [error instanceof Error ? error.message : String(error)],
            );
          }
          setBusy(false);
        },
        (error: unknown) => {
          if (mine !== asked.current) return;
          setResult(null);
          setProblems([String(error)]);
          setBusy(false);
        },
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [JSON.stringify(props.form), arrival, ready]);

  const long = new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    timeZone: props.timeZone,
    weekday: "long",
    day: "numeric",
    month: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  const when = (iso: string | null | undefined) => (iso ? long.format(new Date(iso)) : "—");
  const timeline = result?.arrival_preview;
  const steps: [Word, string][] = timeline
    ? (
        [
          ["preview.arrivedAt", when(timeline.arrival_at)],
          ["preview.delayEnds", timeline.delay_ends_at ? when(timeline.delay_ends_at) : null],
          ["preview.owner", timeline.owner ? props.nameOf(timeline.owner) : null],
          ["preview.reclaimAt", timeline.reclaim_at ? when(timeline.reclaim_at) : null],
          ["preview.expected", timeline.expected_assignment_at ? when(timeline.expected_assignment_at) : null],
          ["preview.firstAssignee", timeline.first_assignee ? props.nameOf(timeline.first_assignee) : null],
          ["preview.escalateAt", timeline.escalate_at ? when(timeline.escalate_at) : null],
        ] as [Word, string | null][]
      ).filter((step): step is [Word, string] => step[1] !== null)
    : [];
  const unknownEnd = timeline && !timeline.expected_assignment_at && !timeline.reclaim_at;
  const rows = result ? shares(result.staff, result.assignees) : [];

  return (
    <section class="rule-preview card" aria-labelledby="rule-preview-title">
      <h2 id="rule-preview-title">{t("preview.title")}</h2>
      <div class="field">
        <label for="rule-arrival">{t("preview.arrival")}</label>
        <input
          id="rule-arrival"
          type="datetime-local"
          value={arrival}
          aria-describedby="rule-arrival-zone"
          onInput={(e) => setArrival((e.currentTarget as HTMLInputElement).value)}
        />
        <p class="muted small" id="rule-arrival-zone">
          {c("timeZoneNote", { zone: props.timeZone })}
        </p>
      </div>
      <p class="muted small" role="status">
        {!ready ? t("preview.waiting") : busy ? t("preview.loading") : ""}
      </p>
      {problems.length ? (
        <p class="field-error" role="alert">
          {t("preview.invalid", { messages: problems.join("; ") })}
        </p>
      ) : null}
      {result ? (
        <div aria-busy={busy}>
          <h3 id="rule-preview-next">{t("preview.next", { n: result.count })}</h3>
          <ol class="assignees" aria-labelledby="rule-preview-next">
            {result.assignees.map((staffId, i) => (
              <li key={i}>{props.nameOf(staffId)}</li>
            ))}
          </ol>
          <h3 id="rule-preview-shares">{t("preview.shares")}</h3>
          <TableRegion labelledBy="rule-preview-shares">
            <table aria-labelledby="rule-preview-shares">
              <caption class="visually-hidden">{t("preview.sharesCaption", { n: result.count })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("preview.person")}</th>
                  <th scope="col" class="num">
                    {t("preview.weight")}
                  </th>
                  <th scope="col" class="num">
                    {t("preview.ideal")}
                  </th>
                  <th scope="col" class="num">
                    {t("preview.idealIn", { n: result.count })}
                  </th>
                  <th scope="col" class="num">
                    {t("preview.actualIn", { n: result.count })}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.staffId}>
                    <th scope="row">{props.nameOf(row.staffId)}</th>
                    <td class="num">{fmt.number(row.weight)}</td>
                    <td class="num">{t("preview.idealValue", { fraction: row.fraction, percent: fmt.percent(row.ideal) })}</td>
                    <td class="num">{fmt.number(row.idealInCount, 2)}</td>
                    <td class="num">{fmt.number(row.inCount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
          <h3 id="rule-preview-timeline">{t("preview.timeline")}</h3>
          <dl class="timeline" aria-labelledby="rule-preview-timeline">
            {steps.map(([label, value]) => (
              <div key={label} data-step={label}>
                <dt>{t(label)}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          {unknownEnd ? <p class="muted">{t("preview.notKnown")}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
