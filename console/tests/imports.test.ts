// Nhập khách hàng: the column mapping's state (one column per field, moved when chosen twice; a phone or
// an email before the dry run), the 422's errors by column, the API's answers as records, the upload form.
import { describe, expect, it } from "vitest";
import {
  STATUSES,
  importProgress,
  knownStatus,
  settledFor,
  stepOf,
  uploadForm,
  withReport,
  type ImportOptions,
  type ImportRecord,
  type ImportStatus,
} from "../src/screens/imports/api";
import {
  blockers,
  checkBody,
  choose,
  errorsByHeader,
  fieldOf,
  initialMapping,
  renamed,
  type Mapping,
} from "../src/screens/imports/mapping";

const HEADERS = ["Họ tên", "SĐT", "Email", "Nhân viên phụ trách", "Ghi chú", "Facebook"];
const rotation: ImportOptions = { source_id: "website", mode: "rotation", count_towards_caps: false };

/** An import as the API answers it (the contract's required fields), at ``status``. */
function importAt(status: ImportStatus, extra: Partial<ImportRecord> = {}): ImportRecord {
  return {
    import_id: "imp1",
    tenant_id: "demo",
    requested_by: { tenant_id: "demo", role: "admin", subject: "u1" },
    requested_at: "2026-12-07T03:00:00Z",
    file_name: "khach.xlsx",
    size: 1234,
    status,
    total_rows: 200,
    chunk_count: 1,
    ...extra,
  };
}
const empty: Mapping = { columns: {}, attributes: {} };

describe("the column mapping", () => {
  it("starts from the suggestion, cleaned to the file's headers and one column per field", () => {
    // Given a suggestion that maps a header the file lacks and phone twice
    const suggested: Mapping = {
      columns: { "Họ tên": "name", SĐT: "phone", Email: "phone", Zalo: "note", Facebook: "attribute" },
      attributes: { Facebook: "facebook_url" },
    };
    // Then the first phone column keeps it, the other is skipped, the unknown header is gone
    expect(initialMapping(HEADERS, suggested)).toEqual({
      columns: { "Họ tên": "name", SĐT: "phone", Facebook: "attribute" },
      attributes: { Facebook: "facebook_url" },
    });
  });

  it("moves a field chosen twice to the column chosen last", () => {
    // Given SĐT holds the phone
    const mapping = choose(choose(empty, "SĐT", "phone"), "Họ tên", "name");
    // When Email is set to phone as well
    const moved = choose(mapping, "Email", "phone");
    // Then Email holds the phone and SĐT is skipped; the name stays
    expect(fieldOf(moved, "Email")).toBe("phone");
    expect(fieldOf(moved, "SĐT")).toBeNull();
    expect(moved.columns).toEqual({ "Họ tên": "name", Email: "phone" });
  });

  it("lets many columns be attributes, each named by its header until renamed", () => {
    let mapping = choose(choose(empty, "Ghi chú", "attribute"), "Facebook", "attribute");
    expect(mapping.attributes).toEqual({ "Ghi chú": "Ghi chú", Facebook: "Facebook" });
    mapping = renamed(mapping, "Facebook", "fb");
    expect(mapping.attributes).toEqual({ "Ghi chú": "Ghi chú", Facebook: "fb" });
    // Skipping an attribute column forgets its name; renaming a non-attribute column does nothing
    mapping = choose(mapping, "Facebook", null);
    expect(mapping).toEqual({ columns: { "Ghi chú": "attribute" }, attributes: { "Ghi chú": "Ghi chú" } });
    expect(renamed(mapping, "SĐT", "x")).toBe(mapping);
  });

  it("needs a phone or an email column before the dry run", () => {
    const named = choose(empty, "Họ tên", "name");
    expect(blockers(named, rotation)).toEqual(["contact"]);
    expect(blockers(choose(named, "SĐT", "phone"), rotation)).toEqual([]);
    expect(blockers(choose(named, "Email", "email"), rotation)).toEqual([]);
    // Moving the phone away from its only column blocks again
    const phoneless = choose(choose(named, "SĐT", "phone"), "SĐT", "note");
    expect(blockers(phoneless, rotation)).toEqual(["contact"]);
  });

  it("needs a source, an owner column to keep owners, and a name for each attribute", () => {
    const mapping = choose(empty, "SĐT", "phone");
    expect(blockers(mapping, { ...rotation, source_id: "" })).toEqual(["source"]);
    expect(blockers(mapping, { ...rotation, mode: "keep_owner" })).toEqual(["owner"]);
    expect(blockers(choose(mapping, "Nhân viên phụ trách", "owner"), { ...rotation, mode: "keep_owner" })).toEqual([]);
    expect(blockers(renamed(choose(mapping, "Facebook", "attribute"), "Facebook", " "), rotation)).toEqual([
      "attributeName",
    ]);
  });

  it("counts towards caps only when owners are kept", () => {
    const mapping = renamed(choose(choose(empty, "SĐT", "phone"), "Facebook", "attribute"), "Facebook", " fb ");
    // A caps choice left over from keep_owner does not travel with rotation
    expect(checkBody(mapping, { ...rotation, count_towards_caps: true })).toEqual({
      mapping: { columns: { SĐT: "phone", Facebook: "attribute" }, attributes: { Facebook: "fb" } },
      options: { source_id: "website", mode: "rotation", count_towards_caps: false },
    });
    expect(checkBody(mapping, { source_id: "website", mode: "keep_owner", count_towards_caps: true }).options).toEqual({
      source_id: "website",
      mode: "keep_owner",
      count_towards_caps: true,
    });
  });

  it("takes only known fields from the record's open mapping", () => {
    // The record's mapping is open in the contract (the worker's suggestion or a remembered one)
    const open = { columns: { SĐT: "phone", Email: "fax", "Họ tên": 3 }, attributes: 7 };
    expect(initialMapping(HEADERS, open)).toEqual({
      columns: { SĐT: "phone" },
      attributes: {},
    });
    expect(initialMapping(HEADERS, null)).toEqual(empty);
  });

  it("places a 422's field errors by the column they name, the rest above", () => {
    const { byHeader, general } = errorsByHeader(
      [
        { field: "mapping.columns.SĐT", message: "not a phone column" },
        { field: "Email", message: "bad" },
        { field: "options.source", message: "unknown source" },
        { field: "mapping", message: "map a phone or an email column" },
      ],
      HEADERS,
    );
    expect(byHeader).toEqual({ SĐT: ["not a phone column"], Email: ["bad"] });
    expect(general.map((g) => g.field)).toEqual(["options.source", "mapping"]);
  });
});

describe("the import API's answers", () => {
  it("reads GET /imports/{id}'s record with its report link; progress is the import's rows of the file's", () => {
    const record = withReport({
      record: importAt("importing", {
        imported: { rows: 40, chunks: 1, created: 40, linked: 0, rejected: 0, already_imported: 0, converted: 0 },
      }),
      report_url: "https://files/report.csv",
    });
    expect(record.import_id).toBe("imp1");
    expect(record.report_url).toBe("https://files/report.csv");
    expect(importProgress(record)).toEqual({ done: 40, total: 200 });
    expect(withReport({ record: importAt("ready") }).report_url).toBeNull();
    expect(importProgress(importAt("cancelled"))).toEqual({ done: 0, total: 200 });
  });

  it("polls each stage until its own terminal statuses", () => {
    expect(settledFor("read")(importAt("ready"))).toBe(true);
    expect(settledFor("check")(importAt("checking"))).toBe(false);
    expect(settledFor("check")(importAt("checked"))).toBe(true);
    expect(settledFor("import")(importAt("importing"))).toBe(false);
    expect((["done", "cancelled", "failed"] as const).every((s) => settledFor("import")(importAt(s)))).toBe(true);
    expect(stepOf("checking")).toEqual({ step: "map", waiting: "check" });
    expect(stepOf("cancelled")).toEqual({ step: "import", waiting: null });
  });

  it("knows every status of the contract, and no other", () => {
    expect(STATUSES).toHaveLength(9);
    expect(STATUSES.every(knownStatus)).toBe(true);
    expect(knownStatus("archived")).toBe(false);
  });

  it("builds the presigned POST with the policy's fields first and the file last", () => {
    const form = uploadForm(
      {
        url: "https://bucket",
        fields: { key: "imports/t/imp1.xlsx", Policy: "p", "X-Amz-Signature": "s" },
        expires_at: null,
        max_bytes: 1024,
      },
      new Blob(["a,b\n"]),
      "khach.csv",
    );
    expect([...form.keys()]).toEqual(["key", "Policy", "X-Amz-Signature", "file"]);
    expect((form.get("file") as File).name).toBe("khach.csv");
  });
});
