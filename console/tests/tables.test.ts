// A table's scrolling box is always the shared TableRegion (focusable, named), never a bare .table-wrap:
// a bare one holding nothing focusable is out of a keyboard user's reach once the table is wider than the
// screen (axe `scrollable-region-focusable`).
import { describe, expect, it } from "vitest";

const sources = import.meta.glob(["../src/**/*.tsx", "!../src/ui.tsx"], { eager: true, query: "?raw", import: "default" });

describe("tables scroll in a TableRegion", () => {
  it("finds the screens", () => expect(Object.keys(sources).length).toBeGreaterThan(5));
  for (const [file, raw] of Object.entries(sources)) {
    it(file, () => expect(String(raw)).not.toMatch(/table-wrap/));
  }
});
