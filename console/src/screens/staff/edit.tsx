/** One member (`#/staff/<id>`): active, paused, caps, time zone, shifts per weekday, leave days. Admins
 * save (with the revision read: a 409 says someone changed it, reload); team leads read. */
import { useMemo, useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { LeaveCalendar } from "./calendar";
import { staffDict } from "./i18n";
import {
  copyDay,
  shiftProblems,
  shiftsOf,
  todayIn,
  toggleDay,
  weekOf,
  WEEKDAYS,
  type Week,
} from "./logic";
import { SaveError, sectionErrors, useDayName } from "./shared";
import { TIME_ZONES } from "./zones";

type Member = Schemas["StaffMember"];
type Patch = Schemas["StaffPatch"];

interface Draft {
  name: string;
  team: string;
  active: boolean;
  paused: boolean;
  maxOpen: string;
  maxPerDay: string;
  timeZone: string;
  week: Week;
  leave: string[];
}

function draftOf(member: Member): Draft {
  return {
    name: member.name,
    team: member.team ?? "",
    active: member.active ?? true,
    paused: member.paused ?? false,
    maxOpen: member.max_open_leads == null ? "" : String(member.max_open_leads),
    maxPerDay: member.max_leads_per_day == null ? "" : String(member.max_leads_per_day),
    timeZone: member.time_zone ?? "Asia/Ho_Chi_Minh",
    week: weekOf(member.working_hours ?? []),
    leave: [...(member.leave_dates ?? [])].sort(),
  };
}

/** A cap as typed: empty clears it; anything else goes as a number for the API to judge (a 422 if bad). */
const cap = (text: string): number | null => (text.trim() === "" ? null : Number(text));

function patchOf(draft: Draft, rev: number): Patch {
  return {
    name: draft.name,
    team: draft.team.trim() || null,
    active: draft.active,
    paused: draft.paused,
    max_open_leads: cap(draft.maxOpen),
    max_leads_per_day: cap(draft.maxPerDay),
    time_zone: draft.timeZone as Patch["time_zone"],
    working_hours: shiftsOf(draft.week),
    leave_dates: draft.leave,
    expected_revision: rev,
  };
}

export function StaffEdit(props: { staffId: string }) {
  const t = useT(staffDict);
  const api = useApi();
  const { me } = useSession();
  const loaded = useLoad(
    async () => ok(await api.GET("/staff/{staff_id}", { params: { path: { staff_id: props.staffId } } })),
    [props.staffId],
  );
  const holidays = useLoad(
    async () => (me.role === "admin" ? ok(await api.GET("/holidays")) : null),
    [me.role],
  );
  const holidayDays = useMemo(
    () => new Map((holidays.data?.holidays ?? []).map((h) => [h.day, h.name] as const)),
    [holidays.data],
  );
  const member = loaded.data;
  return (
    <Page title={member ? t("editTitle", { name: member.name }) : t("listTitle")}>
      <p>
        <a href={href("staff")}>{t("backToList")}</a>
      </p>
      {loaded.error ? <ErrorNote error={loaded.error} onReload={loaded.reload} /> : null}
      {!member ? (
        loaded.loading ? <Loading /> : null
      ) : (
        <MemberForm
          key={`${member.staff_id}:${member.rev ?? 0}`}
          member={member}
          readOnly={me.role !== "admin"}
          holidays={holidayDays}
          onReload={loaded.reload}
        />
      )}
    </Page>
  );
}

function MemberForm(props: {
  member: Member;
  readOnly: boolean;
  holidays: ReadonlyMap<string, string>;
  onReload: () => void;
}) {
  const t = useT(staffDict);
  const tc = useT(common);
  const api = useApi();
  const [draft, setDraft] = useState(() => draftOf(props.member));
  const [rev, setRev] = useState(props.member.rev ?? 0);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [tried, setTried] = useState(false);
  const problems = shiftProblems(draft.week);
  const today = todayIn(draft.timeZone);
  const zones = useMemo(() => {
    const listed: string[] = TIME_ZONES;
    return listed.includes(draft.timeZone) ? listed : [draft.timeZone, ...listed];
  }, [draft.timeZone]);

  /** An edit: the last "saved" no longer describes the form. */
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setNotice(null);
    setDraft((d) => ({ ...d, [key]: value }));
  };
  const setRange = (day: number, index: number, part: "start" | "end", value: string) =>
    set(
      "week",
      draft.week.map((ranges, d) =>
        d === day - 1 ? ranges.map((r, i) => (i === index ? { ...r, [part]: value } : r)) : ranges,
      ),
    );
  const addRange = (day: number) =>
    set(
      "week",
      draft.week.map((ranges, d) => {
        if (d !== day - 1) return ranges;
        const last = ranges[ranges.length - 1];
        return [...ranges, last ? { start: last.end, end: "" } : { start: "08:00", end: "17:00" }];
      }),
    );
  const removeRange = (day: number, index: number) =>
    set(
      "week",
      draft.week.map((ranges, d) => (d === day - 1 ? ranges.filter((_, i) => i !== index) : ranges)),
    );

  const save = async (event: Event) => {
    event.preventDefault();
    setTried(true);
    setError(null);
    setNotice(null);
    if (problems.size) return;
    setSaving(true);
    try {
      const answer = ok(
        await api.PATCH("/staff/{staff_id}", {
          params: { path: { staff_id: props.member.staff_id } },
          body: patchOf(draft, rev),
        }),
      );
      setRev(answer.staff.rev ?? rev + 1);
      setDraft(draftOf(answer.staff));
      setNotice(
        answer.released_leads ? `${t("saved")} ${t("released", { n: answer.released_leads })}` : t("saved"),
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };

  const errorsOf = (section: string) =>
    sectionErrors(error, section).map((message) => (
      <p class="field-error" key={message}>
        {message}
      </p>
    ));
  const dayLabel = (d: number) => t(`day${d}` as "day1");

  return (
    <form class="staff-form" onSubmit={(e) => void save(e)} noValidate>
      <fieldset disabled={props.readOnly}>
        <legend>{t("sectionGeneral")}</legend>
        <p class="muted">
          {t("colId")}: {props.member.staff_id}
        </p>
        <div class="row">
          <label>
            {t("name")}
            <input value={draft.name} maxLength={200} onInput={(e) => set("name", e.currentTarget.value)} />
            {errorsOf("name")}
          </label>
          <label>
            {t("team")}
            <input value={draft.team} maxLength={64} onInput={(e) => set("team", e.currentTarget.value)} />
            {errorsOf("team")}
          </label>
        </div>
        <label class="inline">
          <input
            type="checkbox"
            checked={draft.active}
            aria-describedby="active-help"
            onChange={(e) => set("active", e.currentTarget.checked)}
          />
          {t("active")}
        </label>
        <p class="muted small" id="active-help">
          {t("activeHelp")}
        </p>
        <label class="inline">
          <input
            type="checkbox"
            checked={draft.paused}
            aria-describedby="paused-help"
            onChange={(e) => set("paused", e.currentTarget.checked)}
          />
          {t("paused")}
        </label>
        <p class="muted small" id="paused-help">
          {t("pausedHelp")}
        </p>
        <div class="row">
          <label>
            {t("maxOpen")}
            <input
              type="number"
              min={1}
              inputMode="numeric"
              value={draft.maxOpen}
              aria-describedby="cap-help"
              onInput={(e) => set("maxOpen", e.currentTarget.value)}
            />
            {errorsOf("max_open_leads")}
          </label>
          <label>
            {t("maxPerDay")}
            <input
              type="number"
              min={1}
              inputMode="numeric"
              value={draft.maxPerDay}
              aria-describedby="cap-help"
              onInput={(e) => set("maxPerDay", e.currentTarget.value)}
            />
            {errorsOf("max_leads_per_day")}
          </label>
          <label>
            {t("timeZone")}
            <select value={draft.timeZone} onChange={(e) => set("timeZone", e.currentTarget.value)}>
              {zones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
            {errorsOf("time_zone")}
          </label>
        </div>
        <p class="muted small" id="cap-help">
          {t("capHelp")}
        </p>
      </fieldset>

      <fieldset disabled={props.readOnly}>
        <legend>{t("sectionShifts")}</legend>
        <p class="muted small">{t("shiftsHelp", { zone: draft.timeZone })}</p>
        <TableRegion label={t("shiftsCaption")}>
          <table class="shifts" aria-label={t("shiftsCaption")}>
            <thead>
              <tr>
                <th scope="col">{t("colDay")}</th>
                <th scope="col">{t("colRanges")}</th>
              </tr>
            </thead>
            <tbody>
              {WEEKDAYS.map((day) => {
                const ranges = draft.week[day - 1] ?? [];
                return (
                  <tr key={day} data-weekday={day}>
                    <th scope="row">{dayLabel(day)}</th>
                    <td>
                      {ranges.length === 0 ? <span class="muted">{t("dayOff")}</span> : null}
                      {ranges.map((range, i) => {
                        const problem = tried || (range.start && range.end) ? problems.get(`${day}.${i}`) : undefined;
                        const n = i + 1;
                        const id = `shift-${day}-${i}`;
                        return (
                          <div class="range" key={i}>
                            <input
                              type="time"
                              value={range.start}
                              aria-label={t("startOf", { day: dayLabel(day), n })}
                              aria-invalid={problem ? true : undefined}
                              aria-describedby={problem ? `${id}-problem` : undefined}
                              onInput={(e) => setRange(day, i, "start", e.currentTarget.value)}
                            />
                            <span aria-hidden="true">–</span>
                            <input
                              type="time"
                              value={range.end}
                              aria-label={t("endOf", { day: dayLabel(day), n })}
                              aria-invalid={problem ? true : undefined}
                              aria-describedby={problem ? `${id}-problem` : undefined}
                              onInput={(e) => setRange(day, i, "end", e.currentTarget.value)}
                            />
                            {props.readOnly ? null : (
                              <button
                                type="button"
                                class="link"
                                aria-label={t("removeRangeOf", { day: dayLabel(day), n })}
                                onClick={() => removeRange(day, i)}
                              >
                                {t("removeRange")}
                              </button>
                            )}
                            {problem ? (
                              <span class="field-error" id={`${id}-problem`}>
                                {t(`problem.${problem}`)}
                              </span>
                            ) : null}
                          </div>
                        );
                      })}
                      {props.readOnly ? null : (
                        <button
                          type="button"
                          class="link"
                          aria-label={t("addRangeTo", { day: dayLabel(day) })}
                          onClick={() => addRange(day)}
                        >
                          {t("addRange")}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
        {props.readOnly ? null : (
          <button type="button" onClick={() => set("week", copyDay(draft.week, 1, [2, 3, 4, 5]))}>
            {t("copyMonday")}
          </button>
        )}
        {errorsOf("working_hours")}
      </fieldset>

      <fieldset>
        <legend>{t("sectionLeave")}</legend>
        <LeaveCalendar
          days={draft.leave}
          today={today}
          holidays={props.holidays}
          readOnly={props.readOnly}
          onToggle={(day) => set("leave", toggleDay(draft.leave, day))}
        />
        <LeaveList days={draft.leave} readOnly={props.readOnly} onRemove={(day) => set("leave", toggleDay(draft.leave, day))} />
        {errorsOf("leave_dates")}
      </fieldset>

      {tried && problems.size ? (
        <div class="note error" role="alert">
          {t("fixShifts")}
        </div>
      ) : null}
      {error ? <SaveError error={error} onReload={props.onReload} /> : null}
      {notice ? <Notice>{notice}</Notice> : null}
      {props.readOnly ? null : (
        <button type="submit" class="primary" disabled={saving}>
          {saving ? tc("saving") : t("save")}
        </button>
      )}
    </form>
  );
}

function LeaveList(props: { days: readonly string[]; readOnly: boolean; onRemove: (day: string) => void }) {
  const t = useT(staffDict);
  const tc = useT(common);
  const format = useDayName();
  return (
    <section aria-labelledby="leave-list">
      <h3 id="leave-list">{t("leaveList")}</h3>
      {props.days.length === 0 ? (
        <p class="muted">{t("noLeave")}</p>
      ) : (
        <ul class="leave-list">
          {props.days.map((day) => (
            <li key={day} data-leave={day}>
              <span>{format(day)}</span>
              {props.readOnly ? null : (
                <button
                  type="button"
                  class="link"
                  aria-label={t("removeLeave", { day: format(day) })}
                  onClick={() => props.onRemove(day)}
                >
                  {tc("delete")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
