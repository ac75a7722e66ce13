/** "Webhook và cảnh báo" (admin): the tenant's webhooks (create with the secret shown once, delete, health),
 * a webhook's delivery log and test delivery (`#/webhooks/<id>`), and the escalation alert recipients. */
import { common } from "../../common";
import { useT } from "../../i18n";
import { useApi } from "../../session";
import { Page, useLoad } from "../../ui";
import type { ScreenProps } from "../registry";
import { AlertsEditor } from "./alerts";
import { WebhookDetail } from "./detail";
import { WebhookList, loadListed } from "./list";
import "./webhooks.css";

export default function Screen(props: ScreenProps) {
  const id = props.route.params[0];
  return <div class="wh">{id ? <WebhookDetail key={id} webhookId={id} /> : <Overview />}</div>;
}

function Overview() {
  const t = useT(common);
  const api = useApi();
  const listed = useLoad(() => loadListed(api), []);
  return (
    <Page title={t("nav.webhooks")}>
      <WebhookList listed={listed.data} error={listed.error} reload={listed.reload} />
      <AlertsEditor webhooks={listed.data?.map((l) => l.webhook)} />
    </Page>
  );
}
