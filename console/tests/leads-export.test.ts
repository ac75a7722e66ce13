// "Xuất Excel": the list's filters (as the URL holds them) → POST /leads/exports' body, the same filters
// GET /leads gets, so the file holds what the list shows; and an export's recorded filters as parts.
import { describe, expect, it } from "vitest";
import { exportable, exportRequest, exportSettled, filterParts } from "../src/screens/leads/exporting";
import { apiQuery, filtersFromQuery } from "../src/screens/leads/logic";

const ZONE = "Asia/Ho_Chi_Minh";

describe("the export's request body", () => {
  it("carries every list filter, the period's days as instants in the tenant's zone", () => {
    // Given a list filtered by everything the URL can hold
    const filters = filtersFromQuery(
      new URLSearchParams(
        "status=assigned&assignee=B&pool=web&step=new&campaign=tet&source=website&utm_source=facebook&utm_campaign=x%20y&from=2026-12-01&to=2026-12-07",
      ),
    );
    // When it is exported as CSV with English headers
    const body = exportRequest(filters, ZONE, "csv", "en");
    // Then the body holds the same filters, the days from 00:00 on the 1st to 00:00 on the 8th in Hanoi
    expect(body).toEqual({
      format: "csv",
      language: "en",
      status: "assigned",
      assignee: "B",
      pool: "web",
      step: "new",
      campaign: "tet",
      source: "website",
      utm_source: "facebook",
      utm_campaign: "x y",
      received_from: "2026-11-30T17:00:00Z",
      received_to: "2026-12-07T17:00:00Z",
    });
  });

  it("is exactly the list's query without paging (the file is what the list shows)", () => {
    const filters = filtersFromQuery(new URLSearchParams("pool=web&from=2026-12-03"));
    const { format, language, ...rest } = exportRequest(filters, ZONE, "xlsx", "vi");
    expect([format, language]).toEqual(["xlsx", "vi"]);
    expect(rest).toEqual(apiQuery(filters, ZONE));
  });

  it("sends only the format and language without filters", () => {
    expect(exportRequest({}, ZONE, "xlsx", "vi")).toEqual({ format: "xlsx", language: "vi" });
  });

  it("leaves out empty and whitespace-only filters", () => {
    const filters = filtersFromQuery(new URLSearchParams("pool=%20&step=&campaign=tet"));
    expect(exportRequest(filters, ZONE, "xlsx", "vi")).toEqual({ format: "xlsx", language: "vi", campaign: "tet" });
  });

  it("refuses the unrouted view, which the export cannot select", () => {
    expect(exportable(filtersFromQuery(new URLSearchParams("unrouted=true&reason=no_rule")))).toBe(false);
    expect(exportable(filtersFromQuery(new URLSearchParams("pool=web")))).toBe(true);
  });
});

describe("following an export", () => {
  it("settles on done and failed only", () => {
    const settled = (status: "queued" | "running" | "done" | "failed") => exportSettled({ export: { status } });
    expect(["queued", "running", "done", "failed"].map((s) => settled(s as "queued"))).toEqual([false, false, true, true]);
  });

  it("shows the recorded filters in the list's order, empty ones left out", () => {
    expect(filterParts({ pool: "web", status: "pending", step: null, received_from: "2026-11-30T17:00:00Z" })).toEqual([
      { key: "status", value: "pending" },
      { key: "pool", value: "web" },
      { key: "received_from", value: "2026-11-30T17:00:00Z" },
    ]);
    expect(filterParts(undefined)).toEqual([]);
  });
});
