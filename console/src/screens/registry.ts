/** Every screen of the console: its route, menu label, the roles that see it, and its code, loaded on
 * demand (only the shell and the first screen are in the first load). A new screen adds a line here and
 * a folder under screens/. */
import type { FunctionComponent } from "preact";
import type { CommonKey } from "../common";
import type { Route } from "../router";
import type { Role } from "../session";

export interface ScreenProps {
  route: Route;
}

export interface Screen {
  id: string;
  /** Key of the menu label in common.ts. */
  label: CommonKey;
  roles: readonly Role[];
  load: () => Promise<{ default: FunctionComponent<ScreenProps> }>;
}

export const SCREENS: readonly Screen[] = [
  { id: "home", label: "nav.home", roles: ["admin", "team_lead"], load: () => import("./home") },
  { id: "mywork", label: "nav.mywork", roles: ["staff", "team_lead"], load: () => import("./mywork") },
  { id: "leads", label: "nav.leads", roles: ["admin", "team_lead", "staff"], load: () => import("./leads") },
  { id: "imports", label: "nav.imports", roles: ["admin"], load: () => import("./imports") },
  { id: "rules", label: "nav.rules", roles: ["admin"], load: () => import("./rules") },
  { id: "staff", label: "nav.staff", roles: ["admin", "team_lead"], load: () => import("./staff") },
  { id: "distribution", label: "nav.distribution", roles: ["admin", "team_lead"], load: () => import("./distribution") },
  { id: "sources", label: "nav.sources", roles: ["admin"], load: () => import("./sources") },
  { id: "webhooks", label: "nav.webhooks", roles: ["admin"], load: () => import("./webhooks") },
  { id: "users", label: "nav.users", roles: ["admin"], load: () => import("./users") },
  { id: "privacy", label: "nav.privacy", roles: ["admin"], load: () => import("./privacy") },
];

export function screensFor(role: Role): Screen[] {
  return SCREENS.filter((screen) => screen.roles.includes(role));
}

/** Where a role lands after sign-in: salespeople on their own work, the others on the overview. */
export function homeFor(role: Role): "home" | "mywork" {
  return role === "staff" ? "mywork" : "home";
}
