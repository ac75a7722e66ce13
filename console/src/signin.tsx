/** The sign-in screen: e-mail and password, then a new password for an invited user's first sign-in. */
import { useState } from "preact/hooks";
import { AuthError, type Auth, type SignInResult } from "./auth";
import { common } from "./common";
import { dictionary, useT } from "./i18n";
import { LanguageSwitch } from "./shell";

const dict = dictionary(
  {
    title: "Đăng nhập",
    intro: "Chia khách hàng tiềm năng tự động, nhanh và công bằng.",
    email: "E-mail",
    password: "Mật khẩu",
    submit: "Đăng nhập",
    working: "Đang đăng nhập…",
    newPasswordTitle: "Đặt mật khẩu mới",
    newPasswordIntro: "Đây là lần đăng nhập đầu tiên: hãy chọn mật khẩu của bạn (ít nhất 12 ký tự, có chữ hoa, chữ thường và số).",
    newPassword: "Mật khẩu mới",
    setPassword: "Đặt mật khẩu và đăng nhập",
    wrong: "E-mail hoặc mật khẩu không đúng.",
    disabled: "Tài khoản này đã bị khóa. Hãy liên hệ quản trị viên.",
    weak: "Mật khẩu chưa đủ mạnh: {message}",
    failed: "Không đăng nhập được: {message}",
  },
  {
    title: "Sign in",
    intro: "Automatic lead distribution: fast and fair.",
    email: "E-mail",
    password: "Password",
    submit: "Sign in",
    working: "Signing in…",
    newPasswordTitle: "Choose a new password",
    newPasswordIntro: "This is your first sign-in: choose your password (at least 12 characters, with upper case, lower case and a digit).",
    newPassword: "New password",
    setPassword: "Set password and sign in",
    wrong: "Wrong e-mail or password.",
    disabled: "This account is disabled. Ask your admin.",
    weak: "The password is not strong enough: {message}",
    failed: "Could not sign in: {message}",
  },
);

export function SignIn(props: { auth: Auth; onSignedIn: () => void }) {
  const t = useT(dict);
  const tc = useT(common);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [pending, setPending] = useState<Extract<SignInResult, { kind: "new-password" }> | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const explain = (e: unknown): string => {
    if (e instanceof AuthError) {
      if (e.code === "NotAuthorizedException" && /disabled/i.test(e.message)) return t("disabled");
      if (e.code === "NotAuthorizedException" || e.code === "UserNotFoundException") return t("wrong");
      if (e.code === "InvalidPasswordException") return t("weak", { message: e.message });
    }
    return t("failed", { message: e instanceof Error ? e.message : String(e) });
  };

  const finish = async (result: Promise<SignInResult>) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await result;
      if (answer.kind === "signed-in") props.onSignedIn();
      else setPending(answer);
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <div class="signin-card">
        <div class="signin-top">
          <span class="brand">{tc("appName")}</span>
          <LanguageSwitch />
        </div>
        <h1>{pending ? t("newPasswordTitle") : t("title")}</h1>
        <p class="muted">{pending ? t("newPasswordIntro") : t("intro")}</p>
        {pending ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void finish(pending.complete(newPassword));
            }}
          >
            <label for="new-password">{t("newPassword")}</label>
            <input
              id="new-password"
              type="password"
              autocomplete="new-password"
              required
              minLength={8}
              value={newPassword}
              onInput={(e) => setNewPassword(e.currentTarget.value)}
            />
            <button class="primary" type="submit" disabled={busy}>
              {busy ? t("working") : t("setPassword")}
            </button>
          </form>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void finish(props.auth.signIn(email, password));
            }}
          >
            <label for="email">{t("email")}</label>
            <input
              id="email"
              type="email"
              autocomplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            <label for="password">{t("password")}</label>
            <input
              id="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
            <button class="primary" type="submit" disabled={busy}>
              {busy ? t("working") : t("submit")}
            </button>
          </form>
        )}
        {error ? (
          <p class="note error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
    </main>
  );
}
