import { describe, expect, it } from "vitest";
import { fieldProblems } from "../src/screens/users/logic";

describe("a 422 read by field", () => {
  it("lists each field's message", () => {
    const body = {
      message: "invalid request",
      errors: [
        { field: "email", message: "value is not a valid email address" },
        { field: "staff_id", message: "no staff member Z in this tenant" },
      ],
    };
    expect(fieldProblems(body)).toEqual([
      { field: "email", message: "value is not a valid email address" },
      { field: "staff_id", message: "no staff member Z in this tenant" },
    ]);
  });
  it("gives nothing for a body without errors", () => {
    expect(fieldProblems({ message: "conflict" })).toEqual([]);
    expect(fieldProblems(null)).toEqual([]);
    expect(fieldProblems({ errors: [{ field: "x" }] })).toEqual([]);
  });
});
