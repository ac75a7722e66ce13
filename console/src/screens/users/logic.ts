/** A 422's problems by field, as the API lists them: `{"message": …, "errors": [{"field", "message"}]}`. */
export interface Problem {
  field: string;
  message: string;
}

export function fieldProblems(body: unknown): Problem[] {
  if (!body || typeof body !== "object") return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((item) => item as { field?: unknown; message?: unknown })
    .filter((item) => typeof item.message === "string")
    .map((item) => ({ field: typeof item.field === "string" ? item.field : "—", message: String(item.message) }));
}
