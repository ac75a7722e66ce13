/** Quyền riêng tư (admins): customers' requests (`#/privacy`, one at `#/privacy/requests/<id>`), privacy
 * settings (`#/privacy/settings`), Do-Not-Call lists (`#/privacy/dnc`), the access audit
 * (`#/privacy/audit`) and the processing inventory (`#/privacy/inventory`). */
import type { ScreenProps } from "../registry";
import { Audit } from "./audit";
import { DoNotCall } from "./dnc";
import { Inventory } from "./inventory";
import { RequestList, RequestPage } from "./requests";
import { Settings } from "./settings";
import "./privacy.css";

export default function Screen(props: ScreenProps) {
  const [first, second] = props.route.params;
  return (
    <div class="pv">
      {first === "requests" && second ? (
        <RequestPage key={second} requestId={second} />
      ) : first === "settings" ? (
        <Settings />
      ) : first === "dnc" ? (
        <DoNotCall />
      ) : first === "audit" ? (
        <Audit />
      ) : first === "inventory" ? (
        <Inventory />
      ) : (
        <RequestList />
      )}
    </div>
  );
}
