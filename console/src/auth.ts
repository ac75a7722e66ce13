/** Sign-in with the Cognito user pool through amazon-cognito-identity-js (AWS's own library): SRP on AWS,
 * tokens kept and refreshed by the library (getSession refreshes an expired ID token with the refresh
 * token), sign-out revokes the refresh token. */
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
} from "amazon-cognito-identity-js";
import type { ConsoleConfig } from "./config";

export type SignInResult =
  | { kind: "signed-in" }
  | { kind: "new-password"; complete: (password: string) => Promise<SignInResult> };

export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Auth {
  private readonly pool: CognitoUserPool;

  constructor(private readonly config: ConsoleConfig) {
    this.pool = new CognitoUserPool({
      UserPoolId: config.userPoolId,
      ClientId: config.userPoolClientId,
      ...(config.cognitoEndpoint ? { endpoint: config.cognitoEndpoint } : {}),
    });
  }

  signIn(username: string, password: string): Promise<SignInResult> {
    const user = new CognitoUser({ Username: username.trim(), Pool: this.pool });
    user.setAuthenticationFlowType(this.config.authFlow);
    const details = new AuthenticationDetails({ Username: username.trim(), Password: password });
    return new Promise((resolve, reject) => {
      const callbacks = {
        onSuccess: () => resolve({ kind: "signed-in" as const }),
        onFailure: (error: { code?: string; name?: string; message?: string }) =>
          reject(new AuthError(error.code ?? error.name ?? "Error", error.message ?? String(error))),
        newPasswordRequired: () =>
          resolve({
            kind: "new-password" as const,
            complete: (newPassword: string) =>
              new Promise<SignInResult>((done, fail) =>
                user.completeNewPasswordChallenge(newPassword, {}, {
                  onSuccess: () => done({ kind: "signed-in" }),
                  onFailure: (error: { code?: string; message?: string }) =>
                    fail(new AuthError(error.code ?? "Error", error.message ?? String(error))),
                }),
              ),
          }),
      };
      user.authenticateUser(details, callbacks);
    });
  }

  /** The current ID token (refreshed when it expired), or null when nobody is signed in. */
  idToken(): Promise<string | null> {
    const user = this.pool.getCurrentUser();
    if (!user) return Promise.resolve(null);
    return new Promise((resolve) => {
      user.getSession((error: Error | null, session: CognitoUserSession | null) => {
        resolve(!error && session?.isValid() ? session.getIdToken().getJwtToken() : null);
      });
    });
  }

  signOut(): Promise<void> {
    const user = this.pool.getCurrentUser();
    if (!user) return Promise.resolve();
    // Revokes the refresh token, then forgets the tokens; forgotten even if the revocation failed.
    return new Promise((resolve) =>
      user.signOut(() => {
        user.signOut();
        resolve();
      }),
    );
  }
}

/** The claims of a JWT, read (not verified: the API verifies every request). */
export function claimsOf(token: string): Record<string, string> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
}
