/** Who is signed in, and the API client that speaks for them. The console shows only what the role may
 * do; the API still checks every request. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api/client";

export type Role = "admin" | "team_lead" | "staff";

export interface Me {
  tenantId: string;
  tenantName: string;
  timeZone: string;
  role: Role;
  staffId: string | null;
  team: string | null;
  email: string;
}

export interface Session {
  api: Api;
  me: Me;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in console");
  return session;
}

export function useApi(): Api {
  return useSession().api;
}
