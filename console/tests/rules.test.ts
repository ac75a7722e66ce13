// The rules screen's own logic: local date-times in the tenant's zone ↔ ISO instants, the default
// Friday-evening arrival, the form ↔ API body, shares, and 422 errors by field.
import { describe, expect, it } from "vitest";
import {
  bodyOf,
  emptyForm,
  errorsUnder,
  fieldErrors,
  formOf,
  isoOf,
  localOf,
  nextWeekdayAt,
  shares,
  type Rule,
} from "../src/screens/rules/logic";

const HCM = "Asia/Ho_Chi_Minh";

describe("local date-times in the tenant's zone", () => {
  it("turns a Ho Chi Minh City wall time into UTC and back", () => {
    expect(isoOf("2026-12-11T18:30", HCM)).toBe("2026-12-11T11:30:00Z");
    expect(localOf("2026-12-11T11:30:00Z", HCM)).toBe("2026-12-11T18:30");
    expect(localOf("2026-12-11T18:30:00+07:00", HCM)).toBe("2026-12-11T18:30");
  });

  it("follows daylight saving time (Berlin: +01:00 in winter, +02:00 in summer)", () => {
    expect(isoOf("2026-01-15T08:00", "Europe/Berlin")).toBe("2026-01-15T07:00:00Z");
    expect(isoOf("2026-07-15T08:00", "Europe/Berlin")).toBe("2026-07-15T06:00:00Z");
    // 02:30 on 29 March 2026 does not exist in Berlin: moved forward by the gap (03:30 CEST).
    expect(isoOf("2026-03-29T02:30", "Europe/Berlin")).toBe("2026-03-29T01:30:00Z");
    // 02:30 on 25 October 2026 happens twice: the first one (still +02:00).
    expect(isoOf("2026-10-25T02:30", "Europe/Berlin")).toBe("2026-10-25T00:30:00Z");
    for (const local of ["2026-03-28T23:45", "2026-10-25T03:15", "2026-12-31T23:59"]) {
      expect(localOf(isoOf(local, "Europe/Berlin"), "Europe/Berlin")).toBe(local);
    }
  });

  it("the default arrival is the next Friday at 18:30 in the tenant's zone", () => {
    // Monday 7 Dec 2026, 09:00 in Ho Chi Minh City → Friday 11 Dec.
    expect(nextWeekdayAt(new Date("2026-12-07T02:00:00Z"), HCM)).toBe("2026-12-11T18:30");
    // Friday before 18:30 → today; Friday after → a week later.
    expect(nextWeekdayAt(new Date("2026-12-11T10:00:00Z"), HCM)).toBe("2026-12-11T18:30");
    expect(nextWeekdayAt(new Date("2026-12-11T12:00:00Z"), HCM)).toBe("2026-12-18T18:30");
    // Friday 23:30 UTC is already Saturday in Ho Chi Minh City.
    expect(nextWeekdayAt(new Date("2026-12-11T17:30:00Z"), HCM)).toBe("2026-12-18T18:30");
  });
});

describe("the form and the API's body", () => {
  it("sends a weighted rule on a pool + step, with its window as UTC instants", () => {
    const form = {
      ...emptyForm(),
      name: "Web 3:4:5",
      pool: "web",
      step: "new",
      staff: [
        { staffId: "A", weight: "3" },
        { staffId: "B", weight: "4" },
        { staffId: "C", weight: "5" },
      ],
      windowStart: "2026-12-01T08:00",
      intervalMinutes: "5",
    };
    const body = bodyOf(form, HCM);
    expect(body).toMatchObject({
      name: "Web 3:4:5",
      kind: "weighted",
      scope: { pool: "web", step: "new" },
      staff: [
        { staff_id: "A", weight: 3 },
        { staff_id: "B", weight: 4 },
        { staff_id: "C", weight: 5 },
      ],
      window: { start: "2026-12-01T01:00:00Z", end: null, interval_minutes: 5 },
    });
    expect(body).not.toHaveProperty("reclaim_after_minutes");
  });

  it("gives round robin weight 1, a campaign scope alone, and reclaim its clock", () => {
    const staff = [{ staffId: "A", weight: "7" }];
    expect(bodyOf({ ...emptyForm(), kind: "round_robin", staff }, HCM).staff).toEqual([{ staff_id: "A", weight: 1 }]);
    expect(bodyOf({ ...emptyForm(), scopeType: "campaign", campaign: "Tết 2027", pool: "x" }, HCM).scope).toEqual({
      campaign: "Tết 2027",
    });
    const reclaim = bodyOf({ ...emptyForm(), kind: "reclaim", staff, reclaimAfterMinutes: "30", maxReclaims: "1" }, HCM);
    expect(reclaim).toMatchObject({ reclaim_after_minutes: 30, max_reclaims: 1, absence_stops_reclaim_clock: true });
    expect(reclaim.staff).toEqual([{ staff_id: "A", weight: 7 }]); // reclaimed leads follow the weights
    expect(bodyOf({ ...emptyForm(), staff }, HCM)).not.toHaveProperty("max_reclaims");
  });

  it("sends a number that is not an integer as typed, so the API's 422 names the field", () => {
    expect(bodyOf({ ...emptyForm(), delayMinutes: "1.5" }, HCM).delay_minutes).toBe("1.5");
    expect(bodyOf({ ...emptyForm(), priority: "-3" }, HCM).priority).toBe(-3);
  });

  it("reads a rule back into the form in the tenant's zone", () => {
    const rule = {
      tenant_id: "demo",
      rule_id: "R1",
      name: "Tết",
      kind: "weighted",
      scope: { campaign: "Tết 2027" },
      staff: [{ staff_id: "A", weight: 2 }],
      window: { start: "2027-01-31T17:00:00Z", end: null, interval_minutes: 0 },
      cycle: ["A"],
    } as unknown as Rule;
    const form = formOf(rule, HCM);
    expect(form).toMatchObject({ scopeType: "campaign", campaign: "Tết 2027", windowStart: "2027-02-01T00:00", windowEnd: "" });
    expect(form.staff).toEqual([{ staffId: "A", weight: "2" }]);
    expect(bodyOf(form, HCM).window).toEqual({ start: "2027-01-31T17:00:00Z", end: null, interval_minutes: 0 });
  });
});

describe("shares and errors", () => {
  it("3:4:5 in 24 leads is 3/12, 4/12, 5/12: ideally 6, 8, 10", () => {
    const cycle = ["C", "B", "A", "C", "B", "A", "C", "B", "C", "A", "B", "C"];
    const rows = shares(
      [
        { staff_id: "A", weight: 3 },
        { staff_id: "B", weight: 4 },
        { staff_id: "C", weight: 5 },
      ],
      [...cycle, ...cycle],
    );
    expect(rows.map((r) => [r.fraction, r.idealInCount, r.inCount])).toEqual([
      ["3/12", 6, 6],
      ["4/12", 8, 8],
      ["5/12", 10, 10],
    ]);
    expect(rows[0]?.ideal).toBe(0.25);
  });

  it("maps a 422's errors by field, and finds those under a field", () => {
    const errors = fieldErrors({
      message: "invalid rule",
      errors: [
        { field: "staff.1.weight", message: "Input should be greater than or equal to 1" },
        { field: "window.end", message: "end must be after start" },
        { field: "window.end", message: "again" },
      ],
    });
    expect(errors).toEqual({
      "staff.1.weight": "Input should be greater than or equal to 1",
      "window.end": "end must be after start; again",
    });
    expect(errorsUnder(errors, "staff.1")).toEqual(["Input should be greater than or equal to 1"]);
    expect(errorsUnder(errors, "staff.10")).toEqual([]);
    expect(fieldErrors({ message: "x" })).toEqual({});
  });
});
