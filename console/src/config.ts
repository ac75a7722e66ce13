/** Where the console finds the API and the user pool: `/config.json`, written by `make run` locally and
 * by `make console-deploy` next to the files in S3. Read at run time, so one build serves every stage. */
export interface ConsoleConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** USER_SRP_AUTH on AWS; USER_PASSWORD_AUTH against the local pool (moto checks no SRP proof). */
  authFlow: "USER_SRP_AUTH" | "USER_PASSWORD_AUTH";
  /** The local pool's endpoint; absent on AWS (the library then calls cognito-idp.<region>). */
  cognitoEndpoint?: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const answer = await fetch("./config.json", { cache: "no-cache" });
  if (!answer.ok) throw new Error(`config.json: HTTP ${answer.status}`);
  return (await answer.json()) as ConsoleConfig;
}
