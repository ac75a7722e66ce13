/** A month of leave days: a click, Enter or Space on a day marks or unmarks it; arrow keys, Home / End
 * and Page Up / Page Down move the focus (one tab stop for the whole grid, as the WAI-ARIA date grid). */
import { useEffect, useRef, useState } from "preact/hooks";
import { useLang, useT } from "../../i18n";
import { staffDict } from "./i18n";
import { monthGrid, moveDay, WEEKDAYS } from "./logic";

const LOCALE = { vi: "vi-VN", en: "en-GB" } as const;

export function LeaveCalendar(props: {
  days: readonly string[];
  today: string;
  holidays?: ReadonlyMap<string, string>;
  readOnly: boolean;
  onToggle: (day: string) => void;
}) {
  const t = useT(staffDict);
  const lang = useLang();
  const [focused, setFocused] = useState(props.today);
  const [wantFocus, setWantFocus] = useState(false);
  const grid = useRef<HTMLTableElement>(null);
  const [year, month] = focused.split("-").map(Number) as [number, number];
  const weeks = monthGrid(year, month);
  const utc = { timeZone: "UTC" };
  const monthName = new Intl.DateTimeFormat(LOCALE[lang], { ...utc, month: "long", year: "numeric" }).format(
    new Date(Date.UTC(year, month - 1, 1)),
  );
  const dayName = new Intl.DateTimeFormat(LOCALE[lang], { ...utc, dateStyle: "full" });

  useEffect(() => {
    if (!wantFocus) return;
    grid.current?.querySelector<HTMLButtonElement>(`button[data-day="${focused}"]`)?.focus();
    setWantFocus(false);
  }, [focused, wantFocus]);

  const move = (to: string) => {
    setFocused(to);
    setWantFocus(true);
  };
  const onKey = (event: KeyboardEvent, day: string) => {
    const to = moveDay(day, event.key);
    if (to) {
      event.preventDefault();
      move(to);
    }
  };
  const shiftMonth = (months: number) => {
    const [y, m] = [year, month + months];
    const first = new Date(Date.UTC(y, m - 1, 1)).toISOString().slice(0, 10);
    setFocused(first);
  };

  return (
    <div class="leave-calendar">
      <div class="calendar-head">
        <button type="button" onClick={() => shiftMonth(-1)} aria-label={t("prevMonth")}>
          ‹
        </button>
        <h3 id="calendar-title" aria-live="polite">
          {t("calendarTitle", { month: monthName })}
        </h3>
        <button type="button" onClick={() => shiftMonth(1)} aria-label={t("nextMonth")}>
          ›
        </button>
      </div>
      <p class="muted small" id="calendar-help">
        {t("calendarHelp")}
      </p>
      <table class="calendar" ref={grid} aria-labelledby="calendar-title" aria-describedby="calendar-help">
        <thead>
          <tr>
            {WEEKDAYS.map((d) => (
              <th scope="col" key={d}>
                <abbr title={t(`day${d}`)}>{t(`short${d}`)}</abbr>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((week, w) => (
            <tr key={w}>
              {week.map((day, i) =>
                day === null ? (
                  <td key={i} />
                ) : (
                  <td key={day}>
                    <DayButton
                      day={day}
                      label={dayName.format(new Date(`${day}T00:00:00Z`))}
                      leave={props.days.includes(day)}
                      holiday={props.holidays?.get(day)}
                      today={day === props.today}
                      tabbable={day === focused}
                      readOnly={props.readOnly}
                      onFocus={() => setFocused(day)}
                      onKey={(e) => onKey(e, day)}
                      onToggle={() => props.onToggle(day)}
                    />
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DayButton(props: {
  day: string;
  label: string;
  leave: boolean;
  holiday: string | undefined;
  today: boolean;
  tabbable: boolean;
  readOnly: boolean;
  onFocus: () => void;
  onKey: (event: KeyboardEvent) => void;
  onToggle: () => void;
}) {
  const t = useT(staffDict);
  const state = [props.leave ? t("onLeave") : "", props.holiday ? `${t("holiday")}: ${props.holiday}` : ""]
    .filter(Boolean)
    .join(", ");
  const classes = ["day", props.leave ? "leave" : "", props.holiday ? "holiday" : "", props.today ? "today" : ""];
  return (
    <button
      type="button"
      class={classes.filter(Boolean).join(" ")}
      data-day={props.day}
      tabIndex={props.tabbable ? 0 : -1}
      aria-pressed={props.leave}
      aria-disabled={props.readOnly || undefined}
      aria-current={props.today ? "date" : undefined}
      aria-label={state ? `${props.label} (${state})` : props.label}
      title={props.holiday}
      onFocus={props.onFocus}
      onKeyDown={props.onKey}
      onClick={() => !props.readOnly && props.onToggle()}
    >
      {Number(props.day.slice(8))}
      {props.leave ? (
        <span class="mark" aria-hidden="true">
          ✓
        </span>
      ) : null}
    </button>
  );
}
