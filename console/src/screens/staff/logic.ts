/** The staff screen's pure logic: shifts per weekday ↔ the API's working_hours, their checks, the leave
 * calendar's month grid and its keyboard moves. Calendar days are "YYYY-MM-DD" text, computed in UTC so
 * that no browser time zone shifts them. */

/** A shift as the API stores it: ISO weekdays 1 (Monday) … 7 (Sunday), local "HH:MM[:SS]" times. */
export interface WorkingHours {
  /** Absent: every day (the API's default). */
  days?: number[];
  start: string;
  end: string;
}

/** One range of a weekday as the form edits it ("HH:MM"). */
export interface Range {
  start: string;
  end: string;
}

/** Index 0 is Monday … 6 is Sunday. */
export type Week = Range[][];

export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

const hhmm = (time: string) => time.slice(0, 5);

export function emptyWeek(): Week {
  return WEEKDAYS.map(() => []);
}

/** The API's shifts spread over the seven weekdays, each day's ranges in time order. */
export function weekOf(shifts: readonly WorkingHours[]): Week {
  const week = emptyWeek();
  for (const shift of shifts) {
    for (const day of shift.days ?? WEEKDAYS) week[day - 1]?.push({ start: hhmm(shift.start), end: hhmm(shift.end) });
  }
  for (const ranges of week) ranges.sort((a, b) => a.start.localeCompare(b.start));
  return week;
}

/** The week as the API's shifts: one entry per distinct range, with every weekday that has it (so
 * Monday–Friday 08:00–12:00 is one shift, not five). Ordered by start time, then first day. */
export function shiftsOf(week: Week): Required<WorkingHours>[] {
  const byRange = new Map<string, Required<WorkingHours>>();
  week.forEach((ranges, index) => {
    for (const range of ranges) {
      const key = `${range.start}-${range.end}`;
      const shift = byRange.get(key) ?? { days: [], start: range.start, end: range.end };
      if (!shift.days.includes(index + 1)) shift.days.push(index + 1);
      byRange.set(key, shift);
    }
  });
  return [...byRange.values()].sort((a, b) => a.start.localeCompare(b.start) || a.days[0]! - b.days[0]!);
}

export type ShiftProblem = "missing" | "endBeforeStart" | "overlap";

/** What is wrong with each range, keyed "day.index" (day 1–7, index within the day). */
export function shiftProblems(week: Week): Map<string, ShiftProblem> {
  const problems = new Map<string, ShiftProblem>();
  const time = /^([01]\d|2[0-3]):[0-5]\d$/;
  week.forEach((ranges, d) => {
    ranges.forEach((range, i) => {
      const key = `${d + 1}.${i}`;
      if (!time.test(range.start) || !time.test(range.end)) problems.set(key, "missing");
      else if (range.end <= range.start) problems.set(key, "endBeforeStart");
    });
    const valid = ranges
      .map((range, i) => ({ ...range, i }))
      .filter((r) => !problems.has(`${d + 1}.${r.i}`))
      .sort((a, b) => a.start.localeCompare(b.start));
    for (let k = 1; k < valid.length; k++) {
      if (valid[k]!.start < valid[k - 1]!.end) problems.set(`${d + 1}.${valid[k]!.i}`, "overlap");
    }
  });
  return problems;
}

/** Copy one weekday's ranges onto others (e.g. Monday's onto Tuesday–Friday). */
export function copyDay(week: Week, from: number, to: readonly number[]): Week {
  return week.map((ranges, d) => (to.includes(d + 1) ? week[from - 1]!.map((r) => ({ ...r })) : ranges));
}

// ------------------------------------------------------------------ calendar days
export function isoDay(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

function parts(iso: string): [number, number, number] {
  const [y, m, d] = iso.split("-").map(Number);
  return [y!, m!, d!];
}

export function addDays(iso: string, days: number): string {
  const [y, m, d] = parts(iso);
  return isoDay(y, m, d + days);
}

/** The same day of the month `months` later, clamped to that month's last day. */
export function addMonths(iso: string, months: number): string {
  const [y, m, d] = parts(iso);
  const last = new Date(Date.UTC(y, m - 1 + months + 1, 0)).getUTCDate();
  return isoDay(y, m + months, Math.min(d, last));
}

/** ISO weekday: 1 Monday … 7 Sunday. */
export function weekday(iso: string): number {
  const [y, m, d] = parts(iso);
  return ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
}

/** A month as weeks of seven cells, Monday first; days outside the month are null. */
export function monthGrid(year: number, month: number): (string | null)[][] {
  const first = isoDay(year, month, 1);
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const cells: (string | null)[] = Array.from({ length: weekday(first) - 1 }, () => null);
  for (let day = 1; day <= length; day++) cells.push(isoDay(year, month, day));
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** Where a key moves the focused day of the grid (the WAI-ARIA date-grid keys), or null if it does not. */
export function moveDay(iso: string, key: string): string | null {
  switch (key) {
    case "ArrowLeft":
      return addDays(iso, -1);
    case "ArrowRight":
      return addDays(iso, 1);
    case "ArrowUp":
      return addDays(iso, -7);
    case "ArrowDown":
      return addDays(iso, 7);
    case "Home":
      return addDays(iso, 1 - weekday(iso));
    case "End":
      return addDays(iso, 7 - weekday(iso));
    case "PageUp":
      return addMonths(iso, -1);
    case "PageDown":
      return addMonths(iso, 1);
    default:
      return null;
  }
}

/** The leave days with `day` switched on or off, sorted. */
export function toggleDay(days: readonly string[], day: string): string[] {
  return (days.includes(day) ? days.filter((d) => d !== day) : [...days, day]).sort();
}

/** Today's date where `timeZone` is (a calendar day, not an instant). */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** An API error body's problems as {field: message}, for showing next to the form. */
export function fieldErrors(body: unknown): Record<string, string> {
  const errors = (body as { errors?: unknown } | null)?.errors;
  const out: Record<string, string> = {};
  if (Array.isArray(errors)) {
    for (const e of errors as { field?: unknown; message?: unknown }[]) {
      if (typeof e.field === "string" && typeof e.message === "string") {
        out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
      }
    }
  }
  return out;
}

/** The form section a field of a 422 belongs to ("working_hours.0.end" → "working_hours"). */
export function sectionOf(field: string): string {
  return field.split(".")[0] ?? field;
}
