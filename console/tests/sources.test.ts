// The sources screen's own logic: the allowed-origins list, the two map editors, the request bodies,
// the API's 422s placed on their rows, and a submission's reason in words.
import { describe, expect, it } from "vitest";
import {
  createBody,
  draftOf,
  editBody,
  emptyDraft,
  errorUnder,
  fieldErrors,
  checksIn,
  hostProblems,
  leadOf,
  listErrors,
  mapOf,
  mapProblems,
  normalizeOrigin,
  originProblems,
  reasonOf,
  removeAt,
  rowErrors,
  rowsOf,
  setAt,
} from "../src/screens/sources/logic";

describe("allowed origins", () => {
  it("takes https origins, local http, a port, a trailing slash and *", () => {
    const good = [
      "https://landing.example.vn",
      "https://landing.example.vn:8443",
      "https://other.example.vn/",
      "http://localhost:5173",
      "http://127.0.0.1:41234",
      "http://[::1]",
      "*",
      "",
    ];
    expect(originProblems(good)).toEqual(good.map(() => null));
  });

  it("refuses what the server refuses: plain http on the internet, a path, another scheme, spaces", () => {
    const bad = [
      "http://landing.example.vn",
      "https://landing.example.vn/cam-on",
      "ftp://landing.example.vn",
      "landing.example.vn",
      "https://landing example.vn",
      "https://tết.vn",
      "https://user@landing.example.vn",
      "https://landing.example.vn:70000",
    ];
    expect(originProblems(bad)).toEqual(bad.map(() => "originFormat"));
  });

  it("names a duplicate the server would store twice (case and trailing slash do not differ)", () => {
    expect(originProblems(["https://a.vn", "https://A.vn/", "https://b.vn"])).toEqual([null, "originDuplicate", null]);
    expect(normalizeOrigin(" https://A.vn/ ")).toBe("https://a.vn");
  });

  it("checks redirect hosts as host names", () => {
    expect(hostProblems(["landing.example.vn", "https://x.vn", "", "a b"])).toEqual([null, "hostFormat", null, "hostFormat"]);
  });
});

describe("map editors", () => {
  it("edits rows without touching the others", () => {
    const rows = rowsOf({ dt_lien_he: "phone", ten: "name" });
    expect(rows).toEqual([
      { from: "dt_lien_he", to: "phone" },
      { from: "ten", to: "name" },
    ]);
    const edited = setAt(rows, 1, { from: "ho_ten_khach", to: "name" });
    expect(edited[0]).toBe(rows[0]);
    expect(mapOf(edited)).toEqual({ dt_lien_he: "phone", ho_ten_khach: "name" });
    expect(mapOf(removeAt(edited, 0))).toEqual({ ho_ten_khach: "name" });
  });

  it("drops blank rows, trims names, and flags half rows and repeated names", () => {
    const rows = [
      { from: " thu_dien_tu ", to: "email" },
      { from: "", to: "" },
      { from: "sdt2", to: "" },
      { from: "", to: "phone" },
      { from: "thu_dien_tu", to: "name" },
    ];
    expect(mapProblems(rows)).toEqual([null, null, "valueMissing", "keyMissing", "keyDuplicate"]);
    expect(mapOf([rows[0]!, rows[1]!])).toEqual({ thu_dien_tu: "email" });
  });
});

describe("request bodies", () => {
  it("a new source sends its web form whole, numbers as numbers, empty campaign as null", () => {
    const draft = {
      ...emptyDraft(),
      name: " Landing Tết ",
      pool: "web",
      origins: ["https://Landing.example.vn/", ""],
      fieldMap: [{ from: "dt", to: "phone" }],
      campaignMap: [{ from: "tet-2027", to: "Tết 2027" }],
      ratePerMinute: "120",
      captchaOn: true,
      siteKey: "site",
      captchaSecret: "secret",
    };
    const body = createBody(draft);
    expect(body).toMatchObject({ name: "Landing Tết", pool: "web", step: "new", campaign: null, rate_per_minute: 120 });
    expect(body.web_form).toMatchObject({
      allowed_origins: ["https://landing.example.vn"],
      field_map: { dt: "phone" },
      campaign_map: { "tet-2027": "Tết 2027" },
      thank_you_url: null,
      honeypot_field: "_gotcha",
      rate_per_ip_per_minute: 10,
      captcha: { provider: "turnstile", site_key: "site", secret: "secret", min_score: 0.5 },
    });
  });

  it("an edit keeps the stored CAPTCHA secret unless one is typed, and sends what is not a number as typed", () => {
    const source = {
      tenant_id: "demo",
      source_id: "F1",
      name: "Web",
      pool: "web",
      step: "new",
      kind: "web_form" as const,
      rate_per_minute: 60,
      active: true,
      has_secret: true,
      rev: 3,
      web_form: {
        honeypot_field: "_gotcha",
        rate_per_ip_per_minute: 10,
        allowed_origins: ["https://a.vn"],
        captcha: { provider: "hcaptcha" as const, site_key: "k", min_score: 0.5 },
      },
    };
    const draft = draftOf(source);
    expect(draft.origins).toEqual(["https://a.vn"]);
    const body = editBody({ ...draft, ratePerIp: "mười" }, source.rev);
    expect(body.rev).toBe(3);
    expect(body.web_form?.captcha).toEqual({ provider: "hcaptcha", site_key: "k", min_score: 0.5 });
    expect(body.web_form?.rate_per_ip_per_minute).toBe("mười");
    expect(editBody({ ...draft, captchaSecret: "new" }, 3).web_form?.captcha?.secret).toBe("new");
    expect(editBody({ ...draft, captchaOn: false }, 3).web_form?.captcha).toBeNull();
  });
});

describe("the API's 422, by field", () => {
  const body = {
    message: "invalid request",
    errors: [
      { field: "web_form.allowed_origins.1", message: "Value error, an origin is scheme://host[:port]" },
      { field: "web_form.field_map.dt", message: "Input should be 'name', 'phone' or 'email'" },
      { field: "web_form.field_map.x y.[key]", message: "bad name" },
      { field: "rate_per_minute", message: "Input should be greater than or equal to 1" },
    ],
  };
  const errors = fieldErrors(body);

  it("keeps each field's message, without pydantic's prefix", () => {
    expect(errors["rate_per_minute"]).toBe("Input should be greater than or equal to 1");
    expect(errorUnder(errors, "allowed_origins")).toBe("an origin is scheme://host[:port]");
    expect(fieldErrors({ message: "no fields" })).toEqual({});
  });

  it("puts a list error on the row it was sent from (blank rows are not sent)", () => {
    expect(listErrors(errors, "allowed_origins", ["https://a.vn", "", "http://b.vn"])).toEqual([
      undefined,
      undefined,
      "an origin is scheme://host[:port]",
    ]);
  });

  it("puts a map error on the row holding its key", () => {
    const rows = [
      { from: "x y", to: "name" },
      { from: "dt", to: "fax" },
    ];
    expect(rowErrors(errors, "field_map", rows)).toEqual(["bad name", "Input should be 'name', 'phone' or 'email'"]);
  });
});

describe("a submission's reason", () => {
  it("in words, with its detail", () => {
    expect(reasonOf("honeypot")).toEqual({ key: "reason.honeypot", detail: "" });
    expect(reasonOf("origin").key).toBe("reason.origin");
    expect(reasonOf("captcha_expired")).toEqual({ key: "reason.captcha", detail: "expired" });
    expect(reasonOf("captcha_unavailable").key).toBe("reason.captchaUnavailable");
    expect(reasonOf("malformed: bad multipart")).toEqual({ key: "reason.malformed", detail: "bad multipart" });
    expect(reasonOf("failed: ClientError")).toEqual({ key: "reason.failed", detail: "ClientError" });
    expect(reasonOf("replayed; released unverified: honeypot")).toEqual({ key: "reason.released", detail: "honeypot" });
    expect(reasonOf("replayed").key).toBe("reason.replayed");
    expect(reasonOf("phone: give a phone or an email")).toEqual({
      key: "reason.invalid",
      detail: "phone: give a phone or an email",
    });
    expect(reasonOf(null).key).toBe("reason.none");
    expect(checksIn("honeypot, captcha")).toEqual(["honeypot", "captcha"]);
  });

  it("names a lead only when the submission made one (a spam answer names none that exists)", () => {
    const answer = { lead_id: "L1", status: "pending" };
    expect(leadOf({ status: "accepted", answer })).toBe("L1");
    expect(leadOf({ status: "linked", answer })).toBe("L1");
    expect(leadOf({ status: "spam", answer })).toBeNull();
    expect(leadOf({ status: "received", answer: null })).toBeNull();
  });
});
