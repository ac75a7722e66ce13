import { common } from "../../common";
import { useT } from "../../i18n";
import { Page } from "../../ui";
import type { ScreenProps } from "../registry";

export default function Screen(_props: ScreenProps) {
  const t = useT(common);
  return (
    <Page title={t("nav.mywork")}>
      <p class="muted">{t("empty")}</p>
    </Page>
  );
}
