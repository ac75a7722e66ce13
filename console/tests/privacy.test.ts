// The privacy screens' own logic: a request's urgency and order, what the forms send, pasted
// Do-Not-Call lines and the API's 422 mapped back to them, the settings' body.
import { describe, expect, it } from "vitest";
import {
  dataFileName,
  dncLineErrors,
  dncLines,
  draftOf,
  hhmm,
  leadPurposes,
  requestBody,
  settingsBody,
  sortRequests,
  urgency,
  type RequestForm,
  type RequestView,
} from "../src/screens/privacy/logic";

const view = (over: Partial<RequestView>): RequestView => ({
  tenant_id: "t",
  request_id: "R",
  kind: "access",
  received_at: "2026-12-01T02:00:00Z",
  received_on: "2026-12-01",
  answer_due: "2026-12-03",
  next_due: "2026-12-03",
  created_by: "admin",
  overdue: false,
  due_soon: false,
  processor_must_stop: false,
  rev: 0,
  status: "open",
  subject_digests: [],
  ...over,
});

const form: RequestForm = {
  kind: "access",
  phone: "",
  email: "",
  processorMustStop: true,
  correctName: "",
  correctPhone: "",
  correctEmail: "",
  receivedOn: "",
};
const ZONE = "Asia/Ho_Chi_Minh";

describe("requests", () => {
  it("are overdue, due soon, open or done", () => {
    expect(urgency(view({ overdue: true, due_soon: true }))).toBe("overdue");
    expect(urgency(view({ due_soon: true }))).toBe("due_soon");
    expect(urgency(view({}))).toBe("open");
    expect(urgency(view({ status: "completed", overdue: true }))).toBe("completed");
  });

  it("list open ones first, soonest due first, then completed ones newest first", () => {
    const sorted = sortRequests([
      view({ request_id: "done-old", status: "completed", completed_at: "2026-12-01T00:00:00Z" }),
      view({ request_id: "late", next_due: "2026-12-09" }),
      view({ request_id: "done-new", status: "completed", completed_at: "2026-12-05T00:00:00Z" }),
      view({ request_id: "soon", next_due: "2026-12-04" }),
    ]);
    expect(sorted.map((r) => r.request_id)).toEqual(["soon", "late", "done-new", "done-old"]);
  });

  it("send only what was filled, the processor flag for restrict and object, corrections for correct", () => {
    expect(requestBody({ ...form, phone: " 0912345678 " }, ZONE)).toEqual({
      kind: "access",
      phone: "0912345678",
      processor_must_stop: false,
    });
    expect(requestBody({ ...form, kind: "object", email: "a@example.vn" }, ZONE)).toEqual({
      kind: "object",
      email: "a@example.vn",
      processor_must_stop: true,
    });
    expect(requestBody({ ...form, kind: "correct", phone: "0912345678", correctName: " Bình " }, ZONE)).toEqual({
      kind: "correct",
      phone: "0912345678",
      processor_must_stop: false,
      corrections: { name: "Bình" },
    });
  });

  it("send an earlier day received as that day's start on the tenant's clock", () => {
    expect(requestBody({ ...form, phone: "0912345678", receivedOn: "2026-12-30" }, ZONE).received_at).toBe(
      "2026-12-29T17:00:00Z",
    );
  });

  it("name a data file without personal data", () => {
    expect(dataFileName("R1", "export", "2026-12-07")).toBe("leadrouter-export-R1-2026-12-07.json");
  });
});

describe("Do-Not-Call lines", () => {
  it("skip blank lines and keep each number's line", () => {
    expect(dncLines("0912345678\n\n  +84 912 345 679 \r\n")).toEqual({
      phones: ["0912345678", "+84 912 345 679"],
      lines: [1, 3],
    });
  });

  it("map the API's errors back to the pasted lines", () => {
    const body = {
      message: "1 of 2 lines are not valid phone numbers; nothing was added",
      errors: [
        { field: "phones[1]", message: "line 2 is not a valid phone number" },
        { field: "phones.0", message: "String should have at most 40 characters" },
        { field: "origin", message: "bad" },
      ],
    };
    expect(dncLineErrors(body, [1, 3])).toEqual([
      { line: 3, message: "line 2 is not a valid phone number" },
      { line: 1, message: "String should have at most 40 characters" },
      { line: 0, message: "bad" },
    ]);
    expect(dncLineErrors(null, [1])).toEqual([]);
  });
});

describe("settings", () => {
  it("fill the API's defaults and send the whole settings with the revision read", () => {
    const draft = draftOf({ purposes: [{ key: "call", label: "Gọi", notice_text: "Đồng ý", notice_version: " v2 " }] });
    expect(draft.retention.leads_days).toBe(730);
    expect(draft.calling_hours).toEqual({ start: "08:00:00", end: "17:00:00" });
    const body = settingsBody(draft, 4);
    expect(body.expected_revision).toBe(4);
    expect(body.purposes?.[0]?.notice_version).toBe("v2");
    expect("recipient_countries" in body).toBe(false);
  });

  it("show times of day as an input takes them", () => {
    expect(hhmm("08:00:00", "x")).toBe("08:00");
    expect(hhmm(undefined, "17:00")).toBe("17:00");
  });
});

describe("a lead's purposes", () => {
  it("are the defaults, then any other purpose answered", () => {
    const record = { purpose: "zalo", status: "granted" as const, at: "", method: "staff" as const, source: "staff" };
    expect(leadPurposes({ consents: [record], history: [record] })).toEqual([
      "enquiry",
      "call",
      "sms",
      "email_marketing",
      "share_integrators",
      "zalo",
    ]);
  });
});
