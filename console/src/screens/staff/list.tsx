/** The staff list: who is active, paused, their caps and zone; admins pause / resume and add members. */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href, navigate } from "../../router";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { staffDict } from "./i18n";
import { SaveError } from "./shared";
import { TIME_ZONES } from "./zones";

type Member = Schemas["StaffMember"];

export function StaffList() {
  const t = useT(staffDict);
  const tc = useT(common);
  const api = useApi();
  const { me } = useSession();
  const admin = me.role === "admin";
  const staff = useLoad(async () => ok(await api.GET("/staff")).items, []);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const togglePause = async (member: Member) => {
    setBusy(member.staff_id);
    setNotice(null);
    setFailure(null);
    try {
      const answer = ok(
        await api.PATCH("/staff/{staff_id}", {
          params: { path: { staff_id: member.staff_id } },
          body: { paused: !member.paused, expected_revision: member.rev ?? 0 },
        }),
      );
      setNotice(t(answer.staff.paused ? "pausedDone" : "unpausedDone", { name: member.name }));
      staff.reload();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Page
      title={t("listTitle")}
      actions={admin ? <a href={href("staff", "holidays")}>{t("holidaysLink")}</a> : null}
    >
      {!admin ? <p class="muted">{t("readOnly")}</p> : null}
      {notice ? <Notice>{notice}</Notice> : null}
      {failure ? <ErrorNote error={failure} onReload={() => (setFailure(null), staff.reload())} /> : null}
      {staff.error ? <ErrorNote error={staff.error} onReload={staff.reload} /> : null}
      {staff.loading && !staff.data ? <Loading /> : null}
      {staff.data ? (
        staff.data.length === 0 ? (
          <p class="muted">{tc("empty")}</p>
        ) : (
          <TableRegion label={t("listCaption")}>
            <table class="staff-table">
              <caption class="sr-only">{t("listCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("colName")}</th>
                  <th scope="col">{t("colId")}</th>
                  <th scope="col">{t("colTeam")}</th>
                  <th scope="col">{t("colActive")}</th>
                  <th scope="col">{t("colPaused")}</th>
                  <th scope="col">{t("colCaps")}</th>
                  <th scope="col">{t("colZone")}</th>
                  {admin ? <th scope="col">{tc("actions")}</th> : null}
                </tr>
              </thead>
              <tbody>
                {staff.data.map((member) => (
                  <tr key={member.staff_id} data-staff={member.staff_id}>
                    <th scope="row">
                      <a href={href("staff", member.staff_id)}>{member.name}</a>
                    </th>
                    <td>{member.staff_id}</td>
                    <td>{member.team ?? "—"}</td>
                    <td>
                      <span class={member.active ? "state on" : "state off"}>
                        {t(member.active ? "activeYes" : "activeNo")}
                      </span>
                    </td>
                    <td data-col="paused">
                      <span class={member.paused ? "state off" : "state on"}>
                        {t(member.paused ? "pausedYes" : "pausedNo")}
                      </span>
                    </td>
                    <td>
                      {member.max_open_leads ?? t("noCap")} / {member.max_leads_per_day ?? t("noCap")}
                    </td>
                    <td>{member.time_zone}</td>
                    {admin ? (
                      <td>
                        <button
                          type="button"
                          disabled={busy === member.staff_id}
                          aria-label={t(member.paused ? "unpauseLabel" : "pauseLabel", { name: member.name })}
                          onClick={() => void togglePause(member)}
                        >
                          {t(member.paused ? "unpause" : "pause")}
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )
      ) : null}
      {admin ? <AddMember onAdded={(id) => navigate("staff", id)} /> : null}
    </Page>
  );
}

function AddMember(props: { onAdded: (staffId: string) => void }) {
  const t = useT(staffDict);
  const tc = useT(common);
  const api = useApi();
  const [name, setName] = useState("");
  const [staffId, setStaffId] = useState("");
  const [team, setTeam] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const { me } = useSession();
  // A new member works in the tenant's zone unless the admin picks another on their page.
  const defaultZone = TIME_ZONES.find((zone) => zone === me.timeZone) ?? "Asia/Ho_Chi_Minh";

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const created = ok(
        await api.POST("/staff", {
          body: {
            name,
            staff_id: staffId.trim() || null,
            team: team.trim() || null,
            active: true,
            paused: false,
            time_zone: defaultZone,
          },
        }),
      );
      props.onAdded(created.staff_id);
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="card" aria-labelledby="add-member">
      <h2 id="add-member">{t("addTitle")}</h2>
      <form class="row" onSubmit={(e) => void submit(e)}>
        <label>
          {t("newName")}
          <input value={name} required maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t("newId")}
          <input value={staffId} maxLength={64} onInput={(e) => setStaffId(e.currentTarget.value)} />
        </label>
        <label>
          {t("newTeam")}
          <input value={team} maxLength={64} onInput={(e) => setTeam(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={saving}>
          {saving ? tc("saving") : t("addButton")}
        </button>
      </form>
      {error ? <SaveError error={error} /> : null}
    </section>
  );
}
