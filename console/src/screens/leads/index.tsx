/** Khách hàng tiềm năng: the list (`#/leads?status=…`) and a lead's page (`#/leads/<lead_id>`). */
import type { ScreenProps } from "../registry";
import { LeadPage } from "./detail";
import { LeadList } from "./list";
import "./leads.css";

export default function Screen(props: ScreenProps) {
  const [leadId] = props.route.params;
  return leadId ? <LeadPage leadId={leadId} /> : <LeadList query={props.route.query} />;
}
