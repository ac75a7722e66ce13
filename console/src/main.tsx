/** Start-up: read /config.json, restore the session (tokens kept by the Cognito library), ask the API who
 * the user is (GET /me), then show the console, or the sign-in screen. */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, makeApi, ok } from "./api/client";
import { Auth, claimsOf } from "./auth";
import { common } from "./common";
import { loadConfig, type ConsoleConfig } from "./config";
import { TimeZoneContext } from "./format";
import { LangContext, storedLang, storeLang, translate, type Lang } from "./i18n";
import { SessionContext, type Me, type Role, type Session } from "./session";
import { Shell } from "./shell";
import { SignIn } from "./signin";
import "./styles.css";

async function whoAmI(session: Omit<Session, "me">, token: string): Promise<Me> {
  const claims = claimsOf(token);
  const fromToken: Me = {
    tenantId: claims["custom:tenant_id"] ?? "",
    tenantName: claims["custom:tenant_id"] ?? "",
    timeZone: "Asia/Ho_Chi_Minh",
    role: (claims["custom:role"] as Role | undefined) ?? "staff",
    staffId: claims["custom:staff_id"] ?? null,
    team: claims["custom:team"] ?? null,
    email: claims.email ?? claims["cognito:username"] ?? "",
  };
  try {
    // GET /me: the tenant's name and time zone (the token has neither).
    const me = ok(await session.api.GET("/me"));
    return {
      ...fromToken,
      role: me.role,
      staffId: me.staff_id ?? null,
      team: me.team ?? null,
      email: me.email ?? fromToken.email,
      tenantName: me.tenant_name,
      timeZone: me.time_zone,
    };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return fromToken;
  }
}

function App(props: { config: ConsoleConfig }) {
  const auth = useMemo(() => new Auth(props.config), [props.config]);
  const [lang, setLangState] = useState<Lang>(storedLang);
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);
  const [generation, setGeneration] = useState(0);

  const setLang = (next: Lang) => {
    storeLang(next);
    setLangState(next);
  };
  const signOut = () => {
    void auth.signOut().then(() => {
      setMe(null);
      location.hash = "";
    });
  };
  const api = useMemo(() => makeApi(props.config.apiUrl, () => auth.idToken(), signOut), [auth]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(common, lang)("appName");
  }, [lang]);
  useEffect(() => {
    void (async () => {
      const token = await auth.idToken();
      if (token) {
        try {
          setMe(await whoAmI({ api, signOut }, token));
        } catch {
          setMe(null);
        }
      }
      setChecked(true);
    })();
  }, [generation]);

  return (
    <LangContext.Provider value={{ lang, setLang }}>
      {!checked ? null : me ? (
        <SessionContext.Provider value={{ api, me, signOut }}>
          <TimeZoneContext.Provider value={me.timeZone}>
            <Shell />
          </TimeZoneContext.Provider>
        </SessionContext.Provider>
      ) : (
        <SignIn auth={auth} onSignedIn={() => setGeneration((n) => n + 1)} />
      )}
    </LangContext.Provider>
  );
}

const root = document.getElementById("app")!;
loadConfig().then(
  (config) => render(<App config={config} />, root),
  (error: unknown) => {
    root.textContent = `leadrouter: ${String(error)}`;
  },
);
