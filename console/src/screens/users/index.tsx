/** Người dùng: the tenant's users. Invite by e-mail with a role (and staff id, team), change the role,
 * disable and enable, resend an invitation. The tenant is never sent: the API takes it from the token. */
import { useState } from "preact/hooks";
import { ApiError, ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { useApi, useSession, type Role } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import type { ScreenProps } from "../registry";
import { dict } from "./i18n";
import { fieldProblems } from "./logic";
import "./users.css";

type User = Schemas["UserView"];
const ROLES: Role[] = ["admin", "team_lead", "staff"];

interface Draft {
  email: string;
  name: string;
  role: Role;
  staff_id: string;
  team: string;
}
const EMPTY: Draft = { email: "", name: "", role: "staff", staff_id: "", team: "" };

export default function Users(_props: ScreenProps) {
  const t = useT(dict);
  const tc = useT(common);
  const api = useApi();
  const { me } = useSession();
  const users = useLoad(async () => ok(await api.GET("/users")).items, []);
  const staff = useLoad(async () => ok(await api.GET("/staff")).items ?? [], []);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const act = async (work: () => Promise<string>) => {
    setError(null);
    setNotice(null);
    try {
      setNotice(await work());
      users.reload();
    } catch (e) {
      setError(e);
    }
  };

  /** The three verbs on one user: disable, enable, resend the invitation. */
  const command = (user: User, verb: "disable" | "enable" | "invitation", done: string) =>
    act(async () => {
      const path = { path: { username: user.username } };
      if (verb === "disable") ok(await api.POST("/users/{username}/disable", { params: path }));
      else if (verb === "enable") ok(await api.POST("/users/{username}/enable", { params: path }));
      else ok(await api.POST("/users/{username}/invitation", { params: path }));
      return done;
    });

  const staffOptions = (staff.data ?? []).map((member) => ({ id: member.staff_id, name: member.name }));
  return (
    <Page title={tc("nav.users")}>
      <p class="muted">{t("intro")}</p>
      <InviteForm
        staff={staffOptions}
        onInvited={(email) => {
          setNotice(t("invited", { email }));
          users.reload();
        }}
      />
      {notice ? <Notice>{notice}</Notice> : null}
      {error ? <ErrorNote error={error} /> : null}
      <h2 id="users-list-title">{t("listTitle")}</h2>
      {users.error ? (
        <ErrorNote error={users.error} onReload={users.reload} />
      ) : !users.data ? (
        <Loading />
      ) : users.data.length === 0 ? (
        <p>{t("noUsers")}</p>
      ) : (
        <TableRegion labelledBy="users-list-title">
          <table aria-labelledby="users-list-title">
            <thead>
              <tr>
                <th scope="col">{t("email")}</th>
                <th scope="col">{t("name")}</th>
                <th scope="col">{t("role")}</th>
                <th scope="col">{t("staffId")}</th>
                <th scope="col">{t("team")}</th>
                <th scope="col">{t("state")}</th>
                <th scope="col">{tc("actions")}</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => {
                const self = user.email === me.email;
                return (
                  <tr key={user.username}>
                    <td>
                      {user.email} {self ? <span class="muted">{t("you")}</span> : null}
                    </td>
                    <td>{user.name ?? "—"}</td>
                    <td>{tc(`role.${user.role}`)}</td>
                    <td>{user.staff_id ?? "—"}</td>
                    <td>{user.team ?? "—"}</td>
                    <td>
                      <span class="badge">{user.enabled ? t("enabled") : t("disabled")}</span>{" "}
                      <span class="muted">
                        {user.status === "FORCE_CHANGE_PASSWORD" || user.status === "CONFIRMED"
                          ? t(`status.${user.status}`)
                          : t("status.other", { status: user.status ?? "" })}
                      </span>
                    </td>
                    <td class="user-actions">
                      {self ? null : (
                        <>
                          <button type="button" onClick={() => setEditing(editing === user.username ? null : user.username)}>
                            {t("change")}
                          </button>
                          {user.enabled ? (
                            <button
                              type="button"
                              class="danger"
                              onClick={() => command(user, "disable", t("disabledDone", { email: user.email }))}
                            >
                              {t("disable")}
                            </button>
                          ) : (
                            <button
                              type="button"
                              onClick={() => command(user, "enable", t("enabledDone", { email: user.email }))}
                            >
                              {t("enable")}
                            </button>
                          )}
                          {user.status === "FORCE_CHANGE_PASSWORD" ? (
                            <button
                              type="button"
                              onClick={() => command(user, "invitation", t("resent", { email: user.email }))}
                            >
                              {t("resend")}
                            </button>
                          ) : null}
                        </>
                      )}
                      {editing === user.username ? (
                        <ChangeForm
                          user={user}
                          staff={staffOptions}
                          onDone={(email) => {
                            setEditing(null);
                            setNotice(t("changed", { email }));
                            users.reload();
                          }}
                        />
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      )}
    </Page>
  );
}

function RoleFields(props: {
  idPrefix: string;
  draft: Pick<Draft, "role" | "staff_id" | "team">;
  staff: { id: string; name: string }[];
  set: (change: Partial<Draft>) => void;
}) {
  const t = useT(dict);
  const tc = useT(common);
  const { idPrefix, draft, set } = props;
  return (
    <>
      <div>
        <label for={`${idPrefix}-role`}>{t("role")}</label>
        <select id={`${idPrefix}-role`} value={draft.role} onChange={(e) => set({ role: e.currentTarget.value as Role })}>
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {tc(`role.${role}`)}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for={`${idPrefix}-staff`}>{t("staffId")}</label>
        <select id={`${idPrefix}-staff`} value={draft.staff_id} onChange={(e) => set({ staff_id: e.currentTarget.value })}>
          <option value="">{t("staffNone")}</option>
          {props.staff.map((member) => (
            <option key={member.id} value={member.id}>
              {member.name} ({member.id})
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for={`${idPrefix}-team`}>{t("team")}</label>
        <input id={`${idPrefix}-team`} value={draft.team} onInput={(e) => set({ team: e.currentTarget.value })} />
      </div>
    </>
  );
}

function Problems(props: { error: unknown }) {
  const t = useT(dict);
  if (!props.error) return null;
  const problems = props.error instanceof ApiError && props.error.status === 422 ? fieldProblems(props.error.body) : [];
  if (!problems.length) return <ErrorNote error={props.error} />;
  return (
    <div class="note error" role="alert">
      <ul>
        {problems.map((p) => (
          <li key={p.field}>{t("fieldError", { field: p.field, message: p.message })}</li>
        ))}
      </ul>
    </div>
  );
}

function InviteForm(props: { staff: { id: string; name: string }[]; onInvited: (email: string) => void }) {
  const t = useT(dict);
  const api = useApi();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<string | null>(null);
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));
  return (
    <form
      class="card invite"
      aria-labelledby="invite-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setLocal(null);
        if (draft.role === "staff" && !draft.staff_id) return setLocal(t("staffRequired"));
        setBusy(true);
        try {
          const user = ok(
            await api.POST("/users", {
              body: {
                email: draft.email.trim(),
                role: draft.role,
                ...(draft.name.trim() ? { name: draft.name.trim() } : {}),
                ...(draft.staff_id ? { staff_id: draft.staff_id } : {}),
                ...(draft.team.trim() ? { team: draft.team.trim() } : {}),
              },
            }),
          );
          setDraft(EMPTY);
          props.onInvited(user.email);
        } catch (e2) {
          setError(e2);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="invite-title">{t("inviteTitle")}</h2>
      <div class="row">
        <div>
          <label for="invite-email">{t("email")}</label>
          <input id="invite-email" type="email" required value={draft.email} onInput={(e) => set({ email: e.currentTarget.value })} />
        </div>
        <div>
          <label for="invite-name">{t("name")}</label>
          <input id="invite-name" value={draft.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </div>
        <RoleFields idPrefix="invite" draft={draft} staff={props.staff} set={set} />
        <button class="primary" type="submit" disabled={busy}>
          {busy ? t("inviting") : t("invite")}
        </button>
      </div>
      {local ? (
        <p class="note error" role="alert">
          {local}
        </p>
      ) : null}
      <Problems error={error} />
    </form>
  );
}

function ChangeForm(props: { user: User; staff: { id: string; name: string }[]; onDone: (email: string) => void }) {
  const t = useT(dict);
  const api = useApi();
  const [draft, setDraft] = useState({
    role: props.user.role as Role,
    staff_id: props.user.staff_id ?? "",
    team: props.user.team ?? "",
  });
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<string | null>(null);
  return (
    <form
      class="change"
      aria-label={t("changeFor", { email: props.user.email })}
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setLocal(null);
        if (draft.role === "staff" && !draft.staff_id) return setLocal(t("staffRequired"));
        try {
          ok(
            await api.PATCH("/users/{username}", {
              params: { path: { username: props.user.username } },
              body: {
                role: draft.role,
                ...(draft.staff_id ? { staff_id: draft.staff_id } : {}),
                ...(draft.team.trim() ? { team: draft.team.trim() } : {}),
              },
            }),
          );
          props.onDone(props.user.email);
        } catch (e2) {
          setError(e2);
        }
      }}
    >
      <RoleFields idPrefix={`change-${props.user.username}`} draft={draft} staff={props.staff} set={(c) => setDraft((d) => ({ ...d, ...c }))} />
      <button class="primary" type="submit">
        {t("saveChange")}
      </button>
      {local ? (
        <p class="note error" role="alert">
          {local}
        </p>
      ) : null}
      <Problems error={error} />
    </form>
  );
}
