/** The report's numbers shaped for a rule's bar chart and its table (pure; tested in
 * tests/distribution.test.ts). The chart and the table read the same rows, so they never disagree. */

export interface StaffLike {
  staff_id: string;
  weight?: number | null;
  assigned: number;
  ideal?: number | null;
  deviation?: number | null;
  reclaimed_from: number;
}

export interface RuleLike {
  rule_id: string;
  name?: string | null;
  assigned: number;
  staff: StaffLike[];
}

export interface StaffRow {
  staffId: string;
  name: string;
  weight: number | null;
  ideal: number | null;
  actual: number;
  deviation: number | null;
  reclaimedFrom: number;
}

export interface RuleChart {
  ruleId: string;
  title: string;
  rows: StaffRow[];
  labels: string[];
  /** Ideal per person (null: no longer in the rule, no ideal). */
  ideal: (number | null)[];
  actual: number[];
}

/** Ideal counts are fractions (weight / W × total): one decimal is enough to compare with a count. */
export function roundIdeal(value: number | null | undefined): number | null {
  return value == null ? null : Math.round(value * 10) / 10;
}

/** One rule's rows (the rule's order: current members first, then people no longer in it) and series. */
export function ruleChart(rule: RuleLike, names: Record<string, string>): RuleChart {
  const rows = rule.staff.map(
    (s): StaffRow => ({
      staffId: s.staff_id,
      name: names[s.staff_id] ?? s.staff_id,
      weight: s.weight ?? null,
      ideal: roundIdeal(s.ideal),
      actual: s.assigned,
      deviation: roundIdeal(s.deviation),
      reclaimedFrom: s.reclaimed_from,
    }),
  );
  return {
    ruleId: rule.rule_id,
    title: rule.name ?? rule.rule_id,
    rows,
    labels: rows.map((r) => r.name),
    ideal: rows.map((r) => r.ideal),
    actual: rows.map((r) => r.actual),
  };
}

/** Rules worth a chart: those that assigned something in the period or have people to compare. */
export function chartedRules(rules: RuleLike[], names: Record<string, string>): RuleChart[] {
  return rules.filter((r) => r.assigned > 0).map((r) => ruleChart(r, names));
}

/** A text equivalent of the chart for its accessible description: "An: 15 / 15; Bình: 20 / 20". */
export function chartSummary(chart: RuleChart, format: (n: number | null) => string): string {
  return chart.rows.map((r) => `${r.name}: ${format(r.actual)} / ${format(r.ideal)}`).join("; ");
}
