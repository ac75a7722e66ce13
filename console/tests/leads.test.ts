// The leads screen's pure logic: filters ↔ the URL, the period in the tenant's zone, reason codes in words.
import { describe, expect, it } from "vitest";
import { dict, say } from "../src/screens/leads/i18n";
import {
  apiQuery,
  dayStart,
  explainDecision,
  explainEvent,
  filtersFromQuery,
  LEAD_REASONS,
  leadReason,
  problemsOf,
  queryFromFilters,
  SKIP_REASONS,
  skipReason,
  toggled,
} from "../src/screens/leads/logic";

const names: Record<string, string> = { A: "An", B: "Bình", C: "Chi" };
const name = (id: string | null | undefined) => (id ? (names[id] ?? id) : "—");
const rule = (id: string) => `"Web 3:4:5" (${id})`;

describe("filters in the URL", () => {
  it("round-trips every filter, in a stable order", () => {
    const query = "status=assigned&assignee=B&pool=web&step=new&campaign=tet&source=website&utm_source=facebook&utm_campaign=x%20y&from=2026-12-01&to=2026-12-07";
    const filters = filtersFromQuery(new URLSearchParams(query));
    expect(filters).toEqual({
      status: "assigned",
      assignee: "B",
      pool: "web",
      step: "new",
      campaign: "tet",
      source: "website",
      utm_source: "facebook",
      utm_campaign: "x y",
      from: "2026-12-01",
      to: "2026-12-07",
    });
    expect(queryFromFilters(filters)).toBe(query.replace("%20", "+"));
    expect(filtersFromQuery(new URLSearchParams(queryFromFilters(filters)))).toEqual(filters);
  });

  it("drops what the API would refuse: unknown statuses, bad days, blanks, a reason without unrouted", () => {
    const filters = filtersFromQuery(new URLSearchParams("status=won&from=7/12/2026&pool=%20&reason=no_rule&x=1"));
    expect(filters).toEqual({});
    expect(queryFromFilters({ pool: "  ", reason: "no_rule" })).toBe("");
    expect(filtersFromQuery(new URLSearchParams("unrouted=true&reason=no_rule"))).toEqual({ unrouted: true, reason: "no_rule" });
  });
});

describe("the period, in the tenant's time zone", () => {
  it("starts a day at local midnight (Vietnam is UTC+7, no DST)", () => {
    expect(dayStart("2026-12-07", "Asia/Ho_Chi_Minh")).toBe("2026-12-06T17:00:00Z");
    expect(dayStart("2026-12-31", "Asia/Ho_Chi_Minh", 1)).toBe("2026-12-31T17:00:00Z");
  });
  it("follows daylight saving time where there is one", () => {
    expect(dayStart("2026-07-01", "Europe/Berlin")).toBe("2026-06-30T22:00:00Z");
    expect(dayStart("2026-01-01", "Europe/Berlin")).toBe("2025-12-31T23:00:00Z");
  });
  it("gives GET /leads its parameter names, the last day included", () => {
    const query = apiQuery({ status: "pending", assignee: "A", from: "2026-12-01", to: "2026-12-01" }, "Asia/Ho_Chi_Minh");
    expect(query).toEqual({
      status: "pending",
      assignee: "A",
      received_from: "2026-11-30T17:00:00Z",
      received_to: "2026-12-01T17:00:00Z",
    });
    // unrouted lists pending leads nobody holds: no status or owner filter goes with it
    expect(apiQuery({ unrouted: true, status: "assigned", assignee: "A", pool: "web" }, "UTC")).toEqual({ unrouted: true, pool: "web" });
  });
});

describe("reasons in words", () => {
  it("has a phrase in both languages for every reason code the engine writes", () => {
    for (const code of SKIP_REASONS) {
      expect(dict.vi[`skip.${code}` as keyof typeof dict.vi]).toBeTruthy();
      expect(dict.en[`skip.${code}` as keyof typeof dict.en]).toBeTruthy();
    }
    for (const code of LEAD_REASONS) {
      expect(dict.vi[`reason.${code}` as keyof typeof dict.vi]).toBeTruthy();
      expect(dict.en[`reason.${code}` as keyof typeof dict.en]).toBeTruthy();
    }
    expect(say("vi", skipReason("paused"))).toBe("đang tạm dừng nhận lead");
    expect(say("en", skipReason("off_shift"))).toBe("is off shift");
    expect(say("vi", skipReason("new_code"))).toBe("không nhận được (mã new_code)");
    expect(say("vi", leadReason("no_rule"))).toBe("không có quy tắc chia cho kho dữ liệu và bước này");
    expect(say("en", leadReason(null))).toBe("no reason recorded");
  });

  it("says why an automatic assignment went to its owner, and who was skipped", () => {
    const words = explainDecision(
      {
        at: "2026-12-07T02:00:00Z",
        action: "assigned",
        rule_id: "web-new-weighted",
        rule_version: 3,
        slot: 17,
        staff_id: "B",
        skipped: [{ staff_id: "C", reason: "paused" }],
      },
      name,
      rule,
    );
    expect(say("vi", words.title)).toBe("Chia tự động cho Bình");
    expect(words.why.map((p) => say("vi", p))).toEqual([
      'Theo quy tắc "Web 3:4:5" (web-new-weighted), phiên bản 3.',
      "Lượt số 17: người có lượt không nhận được, nên lượt chuyển cho Bình theo vòng chia của những người đang nhận.",
    ]);
    expect(words.skipped.map((s) => `${s.who}: ${say("vi", s.reason)}`)).toEqual(["Chi: đang tạm dừng nhận lead"]);
    const plain = explainDecision({ at: "x", action: "assigned", rule_id: "r", rule_version: 1, slot: 0, staff_id: "A" }, name, rule);
    expect(say("en", plain.why[1]!)).toBe("Turn 0 of the rotation belongs to An.");
    expect(plain.skipped).toEqual([]);
  });

  it("explains reclaims, escalations, manual assignments and releases", () => {
    const reclaimed = explainDecision(
      { at: "x", action: "reclaimed", rule_id: "r", rule_version: 1, slot: 4, staff_id: "C", previous_owner: "A", skipped: [{ staff_id: "A", reason: "held_before" }] },
      name,
      rule,
    );
    expect(say("vi", reclaimed.title)).toBe("Thu hồi từ An, chia cho Chi");
    expect(say("vi", reclaimed.why[0]!)).toBe("An không chăm sóc lead trong thời gian thu hồi.");
    const escalated = explainDecision({ at: "x", action: "escalated", reason: "no_eligible_staff", skipped: [{ staff_id: "A", reason: "inactive" }] }, name, rule);
    expect(say("vi", escalated.title)).toBe("Chuyển sang xử lý thủ công");
    expect(say("vi", escalated.why[0]!)).toBe("không còn nhân viên nào có thể nhận");
    expect(say("en", escalated.skipped[0]!.reason)).toBe("is deactivated");
    const manual = explainDecision({ at: "x", action: "manual", staff_id: "B", previous_owner: "A", by: "admin@demo.test" }, name, rule);
    expect(say("vi", manual.title)).toBe("Giao thủ công cho Bình");
    expect(manual.why.map((p) => say("en", p))).toEqual(["Chosen by admin@demo.test.", "Previous owner: An."]);
    const released = explainDecision({ at: "x", action: "released", previous_owner: "A", reason: "moved_to_campaign" }, name, rule);
    expect(say("vi", released.title)).toBe("Trả lại để chia lại (trước đó: An)");
    expect(say("vi", released.why[0]!)).toBe("được chuyển vào chiến dịch (cập nhật hàng loạt)");
  });

  it("puts history events in words", () => {
    expect(say("vi", explainEvent({ kind: "step_change", data: { from: "new", to: "contacted" } }, name))).toBe("Chuyển bước: new → contacted");
    expect(say("vi", explainEvent({ kind: "manual_assign", data: { staff: "A,B" } }, name))).toBe("Giao thủ công cho An, Bình");
    expect(say("en", explainEvent({ kind: "campaign", data: { campaign: "tet" } }, name))).toBe("Moved into campaign tet");
    expect(say("vi", explainEvent({ kind: "call", text: "Gọi lại sau" }, name))).toBe("Cuộc gọi: Gọi lại sau");
  });
});

describe("small helpers", () => {
  it("lists a 422's problems", () => {
    expect(problemsOf({ message: "invalid", errors: [{ field: "staff_ids.0", message: "unknown staff member" }] })).toEqual([
      "staff_ids.0: unknown staff member",
    ]);
    expect(problemsOf("nope")).toEqual([]);
  });
  it("keeps the order of choosing (the first chosen owns the lead)", () => {
    expect(toggled(toggled(toggled([], "B"), "A"), "B")).toEqual(["A"]);
    expect(toggled(["C"], "A")).toEqual(["C", "A"]);
  });
});
