/** Nguồn lead: form sources (list, create with snippet and preview, edit, secret rotation) and the
 * submissions inbox (filters, detail, replay / release). Admins only. */
import type { ScreenProps } from "../registry";
import { SubmissionDetail } from "./detail";
import { SourceForm } from "./form";
import { Inbox } from "./inbox";
import { SourceList } from "./list";
import "./sources.css";

export default function Screen(props: ScreenProps) {
  const [first, second] = props.route.params;
  if (first === "inbox") return second ? <SubmissionDetail key={second} id={second} /> : <Inbox />;
  if (first === "new") return <SourceForm key="new" />;
  if (first) return <SourceForm key={first} sourceId={first} />;
  return <SourceList />;
}
