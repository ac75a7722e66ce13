// Tổng quan's own logic: which calls to action show, with what count and link, for which role.
import { describe, expect, it } from "vitest";
import { actionsFor, splitSeconds } from "../src/screens/home/actions";

const groups = [
  { reason: "no_rule", rule_id: null, leads: 3 },
  { reason: "no_eligible_staff", rule_id: "r1", leads: 5 },
  { reason: "no_eligible_staff", rule_id: "r2", leads: 1 },
  { reason: "window_closed", rule_id: "r3", leads: 2 },
  { reason: "waiting_for_working_hours", rule_id: "r4", leads: 7 },
  { reason: "delay", rule_id: "r5", leads: 4 },
  { reason: "queued", rule_id: "r6", leads: 9 },
];

describe("calls to action", () => {
  it("asks the admin about what needs a person, with counts and where to go", () => {
    expect(actionsFor({ escalated: 2, waiting_groups: groups }, 4, "admin")).toEqual([
      { kind: "no_rule", count: 3, href: "#/rules/new" },
      { kind: "window_closed", count: 2, href: "#/rules/r3" },
      { kind: "no_eligible_staff", count: 6, href: "#/staff" },
      { kind: "escalated", count: 2, href: "#/leads?status=escalated" },
      { kind: "failed", count: 4, href: "#/sources" },
    ]);
  });

  it("leaves out waits that end by themselves, and says nothing when all is well", () => {
    const calm = groups.filter((g) => ["waiting_for_working_hours", "delay", "queued"].includes(g.reason));
    expect(actionsFor({ escalated: 0, waiting_groups: calm }, 0, "admin")).toEqual([]);
    expect(actionsFor({ escalated: 0, waiting_groups: [] }, null, "admin")).toEqual([]);
  });

  it("links to the rules list when closed windows belong to several rules", () => {
    const two = [
      { reason: "window_closed", rule_id: "a", leads: 1 },
      { reason: "window_closed", rule_id: "b", leads: 1 },
    ];
    expect(actionsFor({ escalated: 0, waiting_groups: two }, null, "admin")).toEqual([
      { kind: "window_closed", count: 2, href: "#/rules" },
    ]);
  });

  it("shows a team lead only what their screens can fix (staff, leads)", () => {
    expect(actionsFor({ escalated: 2, waiting_groups: groups }, null, "team_lead").map((a) => a.kind)).toEqual([
      "no_eligible_staff",
      "escalated",
    ]);
  });
});

describe("seconds", () => {
  it("keeps seconds under a minute and rounds to minutes above", () => {
    expect(splitSeconds(12.4)).toEqual({ unit: "s", value: 12 });
    expect(splitSeconds(150)).toEqual({ unit: "min", value: 3 });
    expect(splitSeconds(null)).toBeNull();
  });
});
