/** Report periods in the tenant's time zone: whole local days, turned into the UTC instants the API
 * takes (pure; tested in tests/distribution.test.ts). */
import { localDay, startOfDay } from "../../zoned";

export type PeriodKind = "today" | "7d" | "30d" | "custom";

export interface Period {
  kind: PeriodKind;
  /** Custom periods: first and last local day, YYYY-MM-DD, both included. */
  from?: string;
  to?: string;
}

export interface Range {
  /** The first local day and the last (included), YYYY-MM-DD. */
  firstDay: string;
  lastDay: string;
  /** ISO instants (UTC): [receivedFrom, receivedTo). */
  receivedFrom: string;
  receivedTo: string;
}

/** The API refuses longer periods. */
export const MAX_DAYS = 92;
const DAY_MS = 86_400_000;

export { localDay, startOfDay };

export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}

export function daysBetween(first: string, last: string): number {
  return Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / DAY_MS) + 1;
}

export type PeriodProblem = "missing" | "order" | "tooLong";

/** The period as a range, or why it cannot be one. */
export function periodRange(period: Period, now: Date, timeZone: string): Range | PeriodProblem {
  const today = localDay(now, timeZone);
  let first: string;
  let last = today;
  if (period.kind === "today") first = today;
  else if (period.kind === "7d") first = addDays(today, -6);
  else if (period.kind === "30d") first = addDays(today, -29);
  else {
    if (!period.from || !period.to || !/^\d{4}-\d{2}-\d{2}$/.test(period.from) || !/^\d{4}-\d{2}-\d{2}$/.test(period.to))
      return "missing";
    [first, last] = [period.from, period.to];
    if (last < first) return "order";
    if (daysBetween(first, last) > MAX_DAYS) return "tooLong";
  }
  return {
    firstDay: first,
    lastDay: last,
    receivedFrom: startOfDay(first, timeZone).toISOString(),
    receivedTo: startOfDay(addDays(last, 1), timeZone).toISOString(),
  };
}
