/** The tenant's form sources: name, scope, who may post, CAPTCHA, state; each links to its edit page. */
import { ok } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi } from "../../session";
import { ErrorNote, Loading, Page, TableRegion } from "../../ui";
import { dict } from "./i18n";
import { Tabs } from "./tabs";
import { useLoad } from "../../ui";

export function SourceList() {
  const t = useT(dict);
  const tc = useT(common);
  const api = useApi();
  const sources = useLoad(async () => ok(await api.GET("/form-sources")).items, []);
  return (
    <Page
      title={tc("nav.sources")}
      actions={
        <a class="button primary" href={href("sources", "new")}>
          {t("newSource")}
        </a>
      }
    >
      <Tabs current="sources" />
      {sources.error ? <ErrorNote error={sources.error} onReload={sources.reload} /> : null}
      {sources.loading && !sources.data ? <Loading /> : null}
      {sources.data && !sources.data.length ? <p class="muted">{t("listEmpty")}</p> : null}
      {sources.data?.length ? (
        <TableRegion label={t("listCaption")}>
          <table aria-label={t("listCaption")}>
            <thead>
              <tr>
                <th scope="col">{t("colName")}</th>
                <th scope="col">{t("colScope")}</th>
                <th scope="col">{t("colCampaign")}</th>
                <th scope="col">{t("colOrigins")}</th>
                <th scope="col">{t("colCaptcha")}</th>
                <th scope="col">{t("colState")}</th>
              </tr>
            </thead>
            <tbody>
              {sources.data.map((source) => {
                const origins = (source.web_form?.allowed_origins ?? []).map(String);
                const captcha = source.web_form?.captcha;
                return (
                  <tr key={source.source_id}>
                    <th scope="row">
                      <a href={href("sources", source.source_id)} aria-label={t("editSource", { name: source.name })}>
                        {source.name}
                      </a>
                    </th>
                    <td>
                      {source.pool} / {source.step}
                    </td>
                    <td>{source.campaign ?? tc("none")}</td>
                    <td class="origins">{origins.length ? origins.join(", ") : t("anyOrigin")}</td>
                    <td>{captcha ? t(`provider.${captcha.provider}`) : t("off")}</td>
                    <td>
                      <span class={`badge ${source.active ? "on" : "off"}`}>
                        {source.active ? t("active") : t("inactive")}
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </Page>
  );
}
