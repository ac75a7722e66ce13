// The webhooks screen's own logic: health from the log, the API's 422 by field, what the forms send.
import { describe, expect, it } from "vitest";
import {
  EVENT_TYPES,
  alertsBody,
  createBody,
  emailRowOf,
  fieldErrors,
  health,
  messagesFor,
  otherMessages,
  testOutcome,
  type Delivery,
} from "../src/screens/webhooks/logic";

const on = { active: true };
const d = (status: Delivery["status"], event_id = "L1-0"): Delivery => ({
  webhook_id: "W1",
  event_id,
  event_type: "LeadReceived",
  occurred_at: "2026-12-07T02:00:00Z",
  status,
  attempts: 1,
  test: false,
});

describe("health", () => {
  it("follows the newest delivery that has an outcome", () => {
    expect(health(on, [d("delivered"), d("dead")])).toEqual({ kind: "ok", failed: 1, total: 2 });
    expect(health(on, [d("pending"), d("retrying"), d("delivered")])).toEqual({ kind: "retrying", failed: 1, total: 2 });
    expect(health(on, [d("dead"), d("delivered")]).kind).toBe("failing");
  });
  it("says when nothing was sent, something is in flight, or the webhook is off", () => {
    expect(health(on, [])).toEqual({ kind: "none", failed: 0, total: 0 });
    expect(health(on, [d("pending")]).kind).toBe("sending");
    expect(health({ active: false }, [d("delivered")]).kind).toBe("off");
  });
});

describe("the API's 422 by field", () => {
  const body = {
    message: "invalid request",
    errors: [
      { field: "url", message: "must be an https:// URL" },
      { field: "event_types", message: "List should have at least 1 item after validation, not 0" },
      { field: "emails.1", message: "value is not a valid email address" },
      { field: "mystery", message: "odd" },
      { message: "no field" },
    ],
  };
  it("groups messages by field, and a field takes its items' messages", () => {
    const errors = fieldErrors(body);
    expect(errors["url"]).toEqual(["must be an https:// URL"]);
    expect(messagesFor(errors, "emails")).toEqual(["value is not a valid email address"]);
    expect(messagesFor(errors, "event")).toEqual([]);
    expect(otherMessages(errors, ["url", "event_types", "emails"])).toEqual(["mystery: odd", "body: no field"]);
  });
  it("gives nothing for a body that is not a 422's", () => {
    expect(fieldErrors({ message: "conflict" })).toEqual({});
    expect(fieldErrors(null)).toEqual({});
  });
});

describe("what the forms send", () => {
  it("leaves event types out when all are ticked (the API's default), lists them in order otherwise", () => {
    expect(createBody({ url: " https://crm.example.vn/hook ", description: " ", eventTypes: [...EVENT_TYPES] })).toEqual({
      url: "https://crm.example.vn/hook",
    });
    expect(
      createBody({ url: "https://x.example", description: "CRM", eventTypes: ["LeadEscalated", "LeadAssigned"] }),
    ).toEqual({ url: "https://x.example", description: "CRM", event_types: ["LeadAssigned", "LeadEscalated"] });
    expect(createBody({ url: "https://x.example", description: "", eventTypes: [] }).event_types).toEqual([]);
  });
  it("drops blank address rows and deleted webhooks, and carries the revision read", () => {
    expect(alertsBody([" a@x.vn ", "", "b@x.vn"], ["W1", "Wgone"], new Set(["W1", "W2"]), 4)).toEqual({
      emails: ["a@x.vn", "b@x.vn"],
      webhook_ids: ["W1"],
      expected_revision: 4,
    });
  });
  it("points a 422 on the n-th address sent at its row among the rows shown", () => {
    const rows = ["a@x.vn", "", "bad", "c@x.vn"];
    expect(emailRowOf(rows, 0)).toBe(0);
    expect(emailRowOf(rows, 1)).toBe(2);
    expect(emailRowOf(rows, 2)).toBe(3);
    expect(emailRowOf(rows, 3)).toBe(-1);
  });
});

describe("a test event's outcome", () => {
  it("waits while it is absent or in flight, then says delivered or failed", () => {
    expect(testOutcome([], "test-1")).toEqual({ state: "waiting" });
    expect(testOutcome([d("pending", "test-1")], "test-1").state).toBe("waiting");
    expect(testOutcome([d("delivered"), d("delivered", "test-1")], "test-1").state).toBe("delivered");
    expect(testOutcome([d("retrying", "test-1")], "test-1").state).toBe("failed");
  });
});
