/** Pure logic of "Việc của tôi": the order of a salesperson's open leads, what their reclaim clock says,
 * and which leads are new since the last look. No Preact, no browser: tested in tests/mywork.test.ts. */

/** What the screen needs of one row of GET /leads. */
export interface OpenLead {
  leadId: string;
  receivedAt: string;
  lastActivityAt: string | null;
  /** Working minutes of the owner left before reclaim (null: no reclaim rule watches the lead). */
  minutesLeft: number | null;
  dueAt: string | null;
  running: boolean | null;
}

/** At or under this many working minutes left, a lead is urgent: it goes to the top, marked. */
export const URGENT_MINUTES = 10;

/** The band a lead sorts in: 0 urgent (about to be reclaimed), 1 never contacted, 2 the rest. */
export function band(lead: OpenLead): 0 | 1 | 2 {
  if (lead.minutesLeft !== null && lead.minutesLeft <= URGENT_MINUTES) return 0;
  return lead.lastActivityAt === null ? 1 : 2;
}

const newestFirst = (a: OpenLead, b: OpenLead) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0);
const leastLeftFirst = (a: OpenLead, b: OpenLead) =>
  (a.minutesLeft ?? Number.POSITIVE_INFINITY) - (b.minutesLeft ?? Number.POSITIVE_INFINITY);

/** Most urgent first, then the newest: leads about to be reclaimed (least time left first), then
 * leads nobody has called yet (newest first: speed to lead), then the rest (least time left, newest). */
export function byUrgency<T extends OpenLead>(leads: readonly T[]): T[] {
  return [...leads].sort((a, b) => {
    const bands = band(a) - band(b);
    if (bands) return bands;
    if (band(a) === 1) return newestFirst(a, b);
    return leastLeftFirst(a, b) || newestFirst(a, b);
  });
}

/** What the reclaim clock says of a lead, as a dictionary key and its parameters. */
export type TimeLeft =
  | { key: "left.none" }
  | { key: "left.due" }
  | { key: "left.running" | "left.stopped"; minutes: number }
  | { key: "left.beyond" };

export function timeLeft(lead: Pick<OpenLead, "minutesLeft" | "dueAt" | "running">): TimeLeft {
  if (lead.minutesLeft === null) return { key: "left.none" };
  if (lead.minutesLeft <= 0) return { key: "left.due" };
  if (lead.dueAt === null) return { key: "left.beyond" };
  return { key: lead.running ? "left.running" : "left.stopped", minutes: Math.ceil(lead.minutesLeft) };
}

/** The ids in `now` that were not in `before` (null before: the first load, nothing is new). */
export function arrived(before: ReadonlySet<string> | null, now: readonly { leadId: string }[]): string[] {
  if (before === null) return [];
  return now.filter((x) => !before.has(x.leadId)).map((x) => x.leadId);
}
