// Việc của tôi: the order of a salesperson's open leads, what their reclaim clock says, and new arrivals.
import { describe, expect, it } from "vitest";
import { formats } from "../src/format";
import { translate } from "../src/i18n";
import { dict } from "../src/screens/mywork/i18n";
import { arrived, band, byUrgency, timeLeft, URGENT_MINUTES, type OpenLead } from "../src/screens/mywork/logic";

const lead = (leadId: string, fields: Partial<OpenLead> = {}): OpenLead => ({
  leadId,
  receivedAt: "2026-12-07T02:00:00Z",
  lastActivityAt: "2026-12-07T02:05:00Z",
  minutesLeft: 25,
  dueAt: "2026-12-07T02:35:00Z",
  running: true,
  ...fields,
});

describe("byUrgency", () => {
  it("puts leads about to be reclaimed first, least time left first", () => {
    const order = byUrgency([
      lead("calm", { minutesLeft: 25 }),
      lead("soon", { minutesLeft: URGENT_MINUTES }),
      lead("due", { minutesLeft: 0 }),
      lead("fresh", { lastActivityAt: null, minutesLeft: 30 }),
    ]).map((x) => x.leadId);
    expect(order).toEqual(["due", "soon", "fresh", "calm"]);
  });

  it("puts leads nobody has called yet next, newest first, whatever their clock", () => {
    const order = byUrgency([
      lead("old-untouched", { lastActivityAt: null, receivedAt: "2026-12-07T01:00:00Z", minutesLeft: 12 }),
      lead("new-untouched", { lastActivityAt: null, receivedAt: "2026-12-07T03:00:00Z", minutesLeft: 30 }),
      lead("cared", { minutesLeft: 11 }),
    ]).map((x) => x.leadId);
    expect(order).toEqual(["new-untouched", "old-untouched", "cared"]);
  });

  it("orders the rest by time left, then newest, and leads without a reclaim rule last", () => {
    const order = byUrgency([
      lead("no-rule", { minutesLeft: null, dueAt: null, running: null }),
      lead("later", { minutesLeft: 200 }),
      lead("sooner-old", { minutesLeft: 20, receivedAt: "2026-12-06T02:00:00Z" }),
      lead("sooner-new", { minutesLeft: 20, receivedAt: "2026-12-07T02:00:00Z" }),
    ]).map((x) => x.leadId);
    expect(order).toEqual(["sooner-new", "sooner-old", "later", "no-rule"]);
  });

  it("does not reorder its input", () => {
    const input = [lead("b", { minutesLeft: 30 }), lead("a", { minutesLeft: 1 })];
    byUrgency(input);
    expect(input.map((x) => x.leadId)).toEqual(["b", "a"]);
    expect(band(input[1]!)).toBe(0);
  });
});

describe("timeLeft", () => {
  const vi = translate(dict, "vi");
  const en = translate(dict, "en");
  const show = (t: typeof vi, lang: "vi" | "en", x: Parameters<typeof timeLeft>[0]) => {
    const left = timeLeft(x);
    return "minutes" in left ? t(left.key, { time: formats(lang, "Asia/Ho_Chi_Minh").minutes(left.minutes) }) : t(left.key);
  };

  it("says the working time left, whether the clock runs, and rounds up to the minute", () => {
    expect(show(vi, "vi", lead("x", { minutesLeft: 24.2 }))).toBe("Còn 25 phút làm việc trước khi bị thu hồi");
    expect(show(en, "en", lead("x", { minutesLeft: 95 }))).toBe("1 h 35 min of working time left before reclaim");
    expect(show(vi, "vi", lead("x", { minutesLeft: 20, running: false }))).toBe(
      "Còn 20 phút làm việc (đồng hồ đang dừng: ngoài giờ làm)",
    );
  });

  it("says when the lead is due, when no rule reclaims it, and when no working time is ahead", () => {
    expect(timeLeft(lead("x", { minutesLeft: 0 }))).toEqual({ key: "left.due" });
    expect(timeLeft(lead("x", { minutesLeft: null, dueAt: null, running: null }))).toEqual({ key: "left.none" });
    expect(timeLeft(lead("x", { minutesLeft: 30, dueAt: null, running: false }))).toEqual({ key: "left.beyond" });
    expect(show(vi, "vi", lead("x", { minutesLeft: 0 }))).toBe("Đã đến hạn thu hồi");
  });
});

describe("arrived", () => {
  it("finds nothing new on the first load, then the ids not seen before", () => {
    expect(arrived(null, [lead("a")])).toEqual([]);
    expect(arrived(new Set(["a"]), [lead("b"), lead("a"), lead("c")])).toEqual(["b", "c"]);
    expect(arrived(new Set(["a", "b"]), [lead("a")])).toEqual([]);
  });
});
