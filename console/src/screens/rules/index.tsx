/** Quy tắc chia (admins): the list at #/rules, a new rule at #/rules/new, one rule at #/rules/<rule_id>. */
import type { ScreenProps } from "../registry";
import { RuleForm } from "./form";
import { RuleList } from "./list";
import "./rules.css";

export default function Screen(props: ScreenProps) {
  const [param] = props.route.params;
  if (!param) return <RuleList />;
  return <RuleForm key={param} ruleId={param === "new" ? null : param} />;
}
