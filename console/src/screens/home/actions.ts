/** What on the overview needs an admin, and where to go about it (pure: tested in tests/home.test.ts). */
import type { Role } from "../../session";

/** The part of GET /reports/overview these figures need. */
export interface WaitingGroupLike {
  reason: string;
  rule_id?: string | null;
  leads: number;
}

export interface OverviewLike {
  escalated: number;
  waiting_groups: WaitingGroupLike[];
}

export type ActionKind = "no_rule" | "window_closed" | "no_eligible_staff" | "escalated" | "failed";

export interface Action {
  kind: ActionKind;
  count: number;
  href: string;
}

/** Reasons a person must act on (the others resolve themselves: a delay ends, a shift starts). */
const NEEDS_A_PERSON: readonly ActionKind[] = ["no_rule", "window_closed", "no_eligible_staff"];

/** The calls to action, most urgent first, only those the role may follow (rules and sources are the
 * admin's screens; staff, leads are the team lead's too). */
export function actionsFor(overview: OverviewLike, failedSubmissions: number | null, role: Role): Action[] {
  const actions: Action[] = [];
  const count = (reason: string) =>
    overview.waiting_groups.filter((g) => g.reason === reason).reduce((sum, g) => sum + g.leads, 0);
  for (const reason of NEEDS_A_PERSON) {
    const n = count(reason);
    if (!n) continue;
    if (reason === "no_rule") actions.push({ kind: reason, count: n, href: "#/rules/new" });
    if (reason === "window_closed") {
      const ruleIds = new Set(overview.waiting_groups.filter((g) => g.reason === reason).map((g) => g.rule_id));
      const only = ruleIds.size === 1 ? [...ruleIds][0] : null;
      actions.push({ kind: reason, count: n, href: only ? `#/rules/${encodeURIComponent(only)}` : "#/rules" });
    }
    if (reason === "no_eligible_staff") actions.push({ kind: reason, count: n, href: "#/staff" });
  }
  if (overview.escalated > 0) actions.push({ kind: "escalated", count: overview.escalated, href: "#/leads?status=escalated" });
  if (failedSubmissions) actions.push({ kind: "failed", count: failedSubmissions, href: "#/sources" });
  const adminOnly: readonly ActionKind[] = ["no_rule", "window_closed", "failed"];
  return role === "admin" ? actions : actions.filter((a) => !adminOnly.includes(a.kind));
}

/** Seconds as a short span ("45 giây" / "3 phút" is left to the caller's formatter): whole minutes
 * from 60 s up, seconds below. */
export function splitSeconds(seconds: number | null | undefined): { unit: "s" | "min"; value: number } | null {
  if (seconds == null || Number.isNaN(seconds)) return null;
  return seconds < 60 ? { unit: "s", value: Math.round(seconds) } : { unit: "min", value: Math.round(seconds / 60) };
}
