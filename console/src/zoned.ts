/** Wall clocks of a time zone, for the screens that turn a tenant's local day or date-time into the
 * instants the API takes (and back): one implementation, on Intl, daylight-saving aware. */

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // ISO: 1 = Monday … 7 = Sunday
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The wall clock in `timeZone` at the instant `ms`. */
export function wallAt(ms: number, timeZone: string): Wall {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    weekday: "short",
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    year: Number(get("year")),
    month: Number(get("month")),
    day: Number(get("day")),
    hour: Number(get("hour")) % 24,
    minute: Number(get("minute")),
    second: Number(get("second")),
    weekday: WEEKDAYS.indexOf(get("weekday")) + 1,
  };
}

/** How far `timeZone`'s wall clock is ahead of UTC at the instant `ms`, in ms. */
export function offsetAt(ms: number, timeZone: string): number {
  const w = wallAt(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** The local calendar day (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  const w = wallAt(at.getTime(), timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** The instant a local day begins (00:00 there, or the day's first instant on a daylight-saving change). */
export function startOfDay(day: string, timeZone: string, plusDays = 0): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d + plusDays);
  let at = wall - offsetAt(wall, timeZone);
  at = wall - offsetAt(at, timeZone); // the offset may differ at the real instant (DST)
  return new Date(at);
}

/** An instant as `YYYY-MM-DDTHH:MM` on the wall clock of `timeZone` (a datetime-local input's value). */
export function localOf(iso: string, timeZone: string): string {
  const w = wallAt(new Date(iso).getTime(), timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** A wall-clock `YYYY-MM-DDTHH:MM` in `timeZone` as an ISO instant (UTC, `…Z`). A time skipped by a
 * daylight-saving change moves forward by the gap (02:30 → 03:30), a repeated one is its first occurrence
 * (Temporal's "compatible" choice). Anything else is returned as given (the API's 422 names the field). */
export function isoOf(local: string, timeZone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return local;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const offset = (ms: number) => offsetAt(ms, timeZone);
  // The offsets that could apply around this wall time; the earliest instant that shows it wins.
  const candidates = [...new Set([offset(asUtc - DAY_MS), offset(asUtc), offset(asUtc + DAY_MS)])]
    .map((o) => asUtc - o)
    .filter((ms) => localOf(new Date(ms).toISOString(), timeZone) === local.slice(0, 16))
    .sort((a, b) => a - b);
  const chosen = candidates[0] ?? asUtc - offset(asUtc - DAY_MS); // skipped: read with the offset before
  return new Date(chosen).toISOString().replace(/\.000Z$/, "Z");
}
