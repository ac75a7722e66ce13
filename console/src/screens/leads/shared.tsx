/** What the list and the lead page share: who is who (staff and rule names), and the API's refusals. */
import { ApiError, ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { useApi, useSession } from "../../session";
import { ErrorNote, useLoad } from "../../ui";
import { dict } from "./i18n";
import { problemsOf } from "./logic";

export interface Directory {
  staff: Schemas["StaffMember"][];
  name: (staffId: string | null | undefined) => string;
  ruleName: (ruleId: string) => string;
}

/** Staff names (admins and team leads may list staff) and rule names (admins may list rules). */
export function useDirectory(): Directory {
  const api = useApi();
  const { me } = useSession();
  const t = useT(dict);
  const staff = useLoad(
    async () => (me.role === "staff" ? [] : ok(await api.GET("/staff")).items),
    [me.role],
  );
  const rules = useLoad(
    async () => (me.role === "admin" ? ok(await api.GET("/rules")).items : []),
    [me.role],
  );
  const names = new Map((staff.data ?? []).map((s) => [s.staff_id, s.name]));
  const ruleNames = new Map((rules.data ?? []).map((r) => [r.rule_id, r.name]));
  return {
    staff: staff.data ?? [],
    name: (id) => {
      if (!id) return "—";
      if (id === me.staffId && me.role === "staff") return `${t("me")} (${id})`;
      const known = names.get(id);
      return known ? `${known} (${id})` : id;
    },
    ruleName: (id) => (ruleNames.has(id) ? `"${ruleNames.get(id)}" (${id})` : id),
  };
}

/** A refused request: a 422's problems ("nothing was saved"), a 409's message, or the usual note. */
export function Refusal(props: { error: unknown; onReload?: () => void }) {
  const t = useT(dict);
  const c = useT(common);
  const error = props.error;
  if (error instanceof ApiError && (error.status === 422 || error.status === 409)) {
    const problems = problemsOf(error.body);
    return (
      <div class="note error" role="alert">
        {error.status === 409 ? <p>{c("conflict")}</p> : <p>{t("problems")}</p>}
        <p>{t("conflictDetail", { message: error.message })}</p>
        {problems.length ? (
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : null}
        {props.onReload ? (
          <button type="button" onClick={props.onReload}>
            {c("reload")}
          </button>
        ) : null}
      </div>
    );
  }
  return <ErrorNote error={error} onReload={props.onReload} />;
}
