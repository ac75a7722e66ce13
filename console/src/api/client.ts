/** The typed API client: paths and bodies from the committed docs/openapi.json (src/api/schema.d.ts), so
 * a changed route breaks `npm run build`, not a user's screen. Every request carries the ID token. */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths, components } from "./schema";

export type Schemas = components["schemas"];
export type Api = ReturnType<typeof createClient<paths>>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
  /** 409: someone else saved first (a rule's or staff member's revision moved on). */
  get isConflict(): boolean {
    return this.status === 409;
  }
}

export function makeApi(baseUrl: string, token: () => Promise<string | null>, onUnauthorized: () => void): Api {
  const client = createClient<paths>({ baseUrl: baseUrl.replace(/\/$/, "") });
  const auth: Middleware = {
    async onRequest({ request }) {
      const idToken = await token();
      if (idToken) request.headers.set("Authorization", idToken);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  };
  client.use(auth);
  return client;
}

function messageOf(body: unknown, status: number): string {
  if (body && typeof body === "object") {
    const b = body as { message?: unknown; detail?: unknown; errors?: unknown };
    if (typeof b.message === "string") return b.message;
    if (typeof b.detail === "string") return b.detail;
  }
  return `HTTP ${status}`;
}

/** The data of an openapi-fetch answer, or an ApiError with the server's message. */
export function ok<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || !answer.response.ok) {
    throw new ApiError(answer.response.status, messageOf(answer.error, answer.response.status), answer.error);
  }
  return answer.data as T;
}
