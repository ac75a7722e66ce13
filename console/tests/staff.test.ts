// The staff screen's pure logic: shifts per weekday ↔ working_hours, their checks, the leave calendar.
import { describe, expect, it } from "vitest";
import {
  addMonths,
  copyDay,
  emptyWeek,
  fieldErrors,
  monthGrid,
  moveDay,
  sectionOf,
  shiftProblems,
  shiftsOf,
  todayIn,
  toggleDay,
  weekday,
  weekOf,
} from "../src/screens/staff/logic";

describe("shifts per weekday", () => {
  it("groups the same range on several days into one shift, in time order", () => {
    let week = emptyWeek();
    week[0] = [
      { start: "13:30", end: "17:30" },
      { start: "08:00", end: "12:00" },
    ];
    week = copyDay(week, 1, [2, 3, 4, 5]);
    week[5] = [{ start: "08:00", end: "12:00" }];
    expect(shiftsOf(week)).toEqual([
      { days: [1, 2, 3, 4, 5, 6], start: "08:00", end: "12:00" },
      { days: [1, 2, 3, 4, 5], start: "13:30", end: "17:30" },
    ]);
  });

  it("reads the API's shifts back per day, seconds dropped, a shift without days on every day", () => {
    const week = weekOf([
      { days: [1, 3], start: "13:30:00", end: "17:30:00" },
      { days: [1], start: "08:00:00", end: "12:00:00" },
      { start: "20:00:00", end: "21:00:00" },
    ]);
    expect(week[0]).toEqual([
      { start: "08:00", end: "12:00" },
      { start: "13:30", end: "17:30" },
      { start: "20:00", end: "21:00" },
    ]);
    expect(week[1]).toEqual([{ start: "20:00", end: "21:00" }]);
    expect(week[6]).toEqual([{ start: "20:00", end: "21:00" }]);
    expect(shiftsOf(weekOf(shiftsOf(week)))).toEqual(shiftsOf(week)); // a round trip changes nothing
  });

  it("flags an end not after its start, a missing time, and overlapping ranges of one day", () => {
    const week = emptyWeek();
    week[0] = [
      { start: "08:00", end: "12:00" },
      { start: "11:00", end: "13:00" },
    ];
    week[1] = [{ start: "17:00", end: "09:00" }];
    week[2] = [{ start: "09:00", end: "" }];
    week[3] = [
      { start: "08:00", end: "12:00" },
      { start: "12:00", end: "17:00" },
    ];
    const problems = shiftProblems(week);
    expect(Object.fromEntries(problems)).toEqual({ "1.1": "overlap", "2.0": "endBeforeStart", "3.0": "missing" });
  });
});

describe("leave calendar", () => {
  it("lays a month out in Monday-first weeks", () => {
    const december = monthGrid(2026, 12); // 1 December 2026 is a Tuesday
    expect(december[0]).toEqual([null, "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"]);
    expect(december.at(-1)).toEqual(["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", null, null, null]);
    expect(december.flat().filter(Boolean)).toHaveLength(31);
    expect(monthGrid(2028, 2).flat().filter(Boolean)).toHaveLength(29); // a leap year
    expect(monthGrid(2027, 2)).toHaveLength(4); // February 2027 starts on a Monday: four full weeks
  });

  it("moves the focus with the date-grid keys, across months and years", () => {
    expect(moveDay("2026-12-31", "ArrowRight")).toBe("2027-01-01");
    expect(moveDay("2026-12-01", "ArrowLeft")).toBe("2026-11-30");
    expect(moveDay("2026-12-03", "ArrowUp")).toBe("2026-11-26");
    expect(moveDay("2026-12-30", "ArrowDown")).toBe("2027-01-06");
    expect(moveDay("2026-12-10", "Home")).toBe("2026-12-07"); // Monday
    expect(moveDay("2026-12-10", "End")).toBe("2026-12-13"); // Sunday
    expect(moveDay("2027-01-31", "PageDown")).toBe("2027-02-28"); // clamped to the month's end
    expect(moveDay("2026-03-31", "PageUp")).toBe("2026-02-28");
    expect(moveDay("2026-12-10", "Enter")).toBeNull(); // Enter toggles (the button's own), it does not move
    expect(addMonths("2026-12-15", 1)).toBe("2027-01-15");
    expect(weekday("2026-12-13")).toBe(7);
  });

  it("toggles a leave day on and off, keeping the list sorted", () => {
    const on = toggleDay(["2026-12-24"], "2026-12-14");
    expect(on).toEqual(["2026-12-14", "2026-12-24"]);
    expect(toggleDay(on, "2026-12-24")).toEqual(["2026-12-14"]);
  });

  it("knows today's date where the member is, not where the browser is", () => {
    const instant = new Date("2026-12-06T20:30:00Z");
    expect(todayIn("Asia/Ho_Chi_Minh", instant)).toBe("2026-12-07");
    expect(todayIn("America/New_York", instant)).toBe("2026-12-06");
  });
});

describe("a 422 by field", () => {
  it("keeps every problem of a field and names the form section", () => {
    const body = {
      message: "invalid staff member",
      errors: [
        { field: "working_hours.0.end", message: "end must be after start" },
        { field: "max_open_leads", message: "too small" },
        { field: "max_open_leads", message: "not a number" },
      ],
    };
    expect(fieldErrors(body)).toEqual({
      "working_hours.0.end": "end must be after start",
      max_open_leads: "too small; not a number",
    });
    expect(sectionOf("working_hours.0.end")).toBe("working_hours");
    expect(fieldErrors({ message: "boom" })).toEqual({});
  });
});
