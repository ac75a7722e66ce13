// Phân bổ's own logic: a period of whole local days → the API's UTC range; the report → chart and table rows.
import { describe, expect, it } from "vitest";
import { chartedRules, chartSummary, ruleChart } from "../src/screens/distribution/chart-data";
import { localDay, periodRange, startOfDay } from "../src/screens/distribution/period";

const HCM = "Asia/Ho_Chi_Minh";
// 2026-12-07 01:30 UTC is 08:30 on Monday 7 December in Ho Chi Minh City; 2026-12-06 20:00 UTC is
// 03:00 on the 7th there but still the 6th in UTC.
const MORNING = new Date("2026-12-07T01:30:00Z");
const SMALL_HOURS = new Date("2026-12-06T20:00:00Z");

describe("periods in the tenant's time zone", () => {
  it("today is the local day, from local midnight to the next", () => {
    expect(periodRange({ kind: "today" }, MORNING, HCM)).toEqual({
      firstDay: "2026-12-07",
      lastDay: "2026-12-07",
      receivedFrom: "2026-12-06T17:00:00.000Z",
      receivedTo: "2026-12-07T17:00:00.000Z",
    });
  });

  it("uses the zone's day, not UTC's, in the small hours", () => {
    expect(localDay(SMALL_HOURS, HCM)).toBe("2026-12-07");
    const range = periodRange({ kind: "today" }, SMALL_HOURS, HCM);
    expect(range).toMatchObject({ firstDay: "2026-12-07", receivedFrom: "2026-12-06T17:00:00.000Z" });
  });

  it("7 and 30 days end with today and start 6 and 29 days before", () => {
    expect(periodRange({ kind: "7d" }, MORNING, HCM)).toMatchObject({
      firstDay: "2026-12-01",
      receivedFrom: "2026-11-30T17:00:00.000Z",
      receivedTo: "2026-12-07T17:00:00.000Z",
    });
    expect(periodRange({ kind: "30d" }, MORNING, HCM)).toMatchObject({ firstDay: "2026-11-08" });
  });

  it("custom dates include their last day, across a month end", () => {
    expect(periodRange({ kind: "custom", from: "2026-11-30", to: "2026-12-01" }, MORNING, HCM)).toEqual({
      firstDay: "2026-11-30",
      lastDay: "2026-12-01",
      receivedFrom: "2026-11-29T17:00:00.000Z",
      receivedTo: "2026-12-01T17:00:00.000Z",
    });
  });

  it("names what is wrong with a custom period", () => {
    expect(periodRange({ kind: "custom", from: "2026-12-01" }, MORNING, HCM)).toBe("missing");
    expect(periodRange({ kind: "custom", from: "2026-12-02", to: "2026-12-01" }, MORNING, HCM)).toBe("order");
    expect(periodRange({ kind: "custom", from: "2026-01-01", to: "2026-06-01" }, MORNING, HCM)).toBe("tooLong");
    expect(periodRange({ kind: "custom", from: "2026-09-07", to: "2026-12-07" }, MORNING, HCM)).not.toBeTypeOf("string");
  });

  it("follows daylight saving: a New York day of 23 hours starts at local midnight", () => {
    expect(startOfDay("2026-03-08", "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(startOfDay("2026-03-09", "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
  });
});

const RULE = {
  rule_id: "r1",
  name: "Web 3:4:5",
  assigned: 60,
  staff: [
    { staff_id: "A", weight: 3, assigned: 15, ideal: 15, deviation: 0, reclaimed_from: 0 },
    { staff_id: "B", weight: 4, assigned: 21, ideal: 20, deviation: 1, reclaimed_from: 2 },
    { staff_id: "C", weight: 5, assigned: 24, ideal: 25.000000001, deviation: -1.000000001, reclaimed_from: 0 },
    { staff_id: "X", weight: null, assigned: 0, ideal: null, deviation: null, reclaimed_from: 1 },
  ],
};

describe("chart data", () => {
  it("keeps the rule's order, names people, and rounds ideals to one decimal", () => {
    const chart = ruleChart(RULE, { A: "An", B: "Bình" });
    expect(chart.title).toBe("Web 3:4:5");
    expect(chart.labels).toEqual(["An", "Bình", "C", "X"]);
    expect(chart.actual).toEqual([15, 21, 24, 0]);
    expect(chart.ideal).toEqual([15, 20, 25, null]);
    expect(chart.rows[2]).toMatchObject({ deviation: -1, weight: 5 });
    expect(chart.rows[1]).toMatchObject({ reclaimedFrom: 2 });
  });

  it("charts only rules that assigned something; a deleted rule is titled by its id", () => {
    const charts = chartedRules([RULE, { ...RULE, rule_id: "idle", assigned: 0 }, { ...RULE, rule_id: "gone", name: null }], {});
    expect(charts.map((c) => c.title)).toEqual(["Web 3:4:5", "gone"]);
  });

  it("says the same numbers in words for screen readers", () => {
    const summary = chartSummary(ruleChart(RULE, { A: "An" }), (n) => (n == null ? "—" : String(n)));
    expect(summary).toBe("An: 15 / 15; B: 21 / 20; C: 24 / 25; X: 0 / —");
  });
});
