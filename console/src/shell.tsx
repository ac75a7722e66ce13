/** The frame around every screen: skip link, header (tenant, user, language, sign-out), role-filtered
 * menu, and the current screen loaded on demand. */
import type { FunctionComponent } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { common } from "./common";
import { LangContext, useT } from "./i18n";
import { href, useRoute } from "./router";
import { homeFor, screensFor, type ScreenProps } from "./screens/registry";
import { useSession } from "./session";
import { Loading, Page } from "./ui";

export function LanguageSwitch() {
  const { lang, setLang } = useContext(LangContext);
  const t = useT(common);
  return (
    <button
      type="button"
      class="link"
      lang={lang === "vi" ? "en" : "vi"}
      aria-label={t("switchLanguageLabel")}
      onClick={() => setLang(lang === "vi" ? "en" : "vi")}
    >
      {t("switchLanguage")}
    </button>
  );
}

export function Shell() {
  const t = useT(common);
  const { me, signOut } = useSession();
  const route = useRoute();
  const screens = screensFor(me.role);
  const current = screens.find((s) => s.id === route.screen);
  const [loaded, setLoaded] = useState<{ id: string; component: FunctionComponent<ScreenProps> } | null>(null);

  useEffect(() => {
    if (!route.screen) location.replace(href(homeFor(me.role)));
  }, [route.screen, me.role]);
  useEffect(() => {
    if (!current || loaded?.id === current.id) return;
    let live = true;
    void current.load().then((module) => live && setLoaded({ id: current.id, component: module.default }));
    return () => {
      live = false;
    };
  }, [current?.id]);

  const Current = loaded && current && loaded.id === current.id ? loaded.component : null;
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        {t("skipToContent")}
      </a>
      <header class="top">
        <span class="brand">{t("appName")}</span>
        <span class="tenant">{me.tenantName}</span>
        <span class="who">
          {t("signedInAs", { who: me.email || me.staffId || me.role })} · {t(`role.${me.role}`)}
        </span>
        <LanguageSwitch />
        <button type="button" class="link" onClick={signOut}>
          {t("signOut")}
        </button>
      </header>
      <nav class="menu" aria-label={t("mainMenu")}>
        <ul>
          {screens.map((screen) => (
            <li key={screen.id}>
              <a href={href(screen.id)} aria-current={screen.id === route.screen ? "page" : undefined}>
                {t(screen.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {!route.screen ? null : !current ? (
          <Page title={t("notFound")}>
            <a href={href(homeFor(me.role))}>{t(`nav.${homeFor(me.role)}`)}</a>
          </Page>
        ) : Current ? (
          <Current route={route} />
        ) : (
          <Loading />
        )}
      </main>
    </div>
  );
}
