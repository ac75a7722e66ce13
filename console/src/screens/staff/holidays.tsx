/** The tenant's holiday calendar (`#/staff/holidays?year=2027`, admins): the year's holidays by name
 * (Vietnam's by default, Tết named), company days added, default days removed and restored. Each change
 * replaces the settings whole (PUT /holidays) with the revision read: a 409 says reload. */
import { useState } from "preact/hooks";
import { ok, type Schemas } from "../../api/client";
import { common } from "../../common";
import { useT } from "../../i18n";
import { href } from "../../router";
import { useApi, useSession } from "../../session";
import { ErrorNote, Loading, Notice, Page, TableRegion, useLoad } from "../../ui";
import { staffDict } from "./i18n";
import { SaveError, useDayName } from "./shared";

type View = Schemas["HolidayCalendarView"];
type Settings = Schemas["HolidaysIn"];

const yearHref = (year: number) => `${href("staff", "holidays")}?year=${year}`;

export function Holidays(props: { year: number | null }) {
  const t = useT(staffDict);
  const api = useApi();
  const { me } = useSession();
  const view = useLoad(
    async () =>
      ok(await api.GET("/holidays", { params: { query: props.year ? { year: props.year } : {} } })),
    [props.year],
  );
  if (me.role !== "admin") {
    return (
      <Page title={t("holidaysTitle")}>
        <p class="muted">{t("holidaysAdminOnly")}</p>
      </Page>
    );
  }
  return (
    <Page title={t("holidaysTitle")} actions={<a href={href("staff")}>{t("backToList")}</a>}>
      <p class="muted">{t("holidaysIntro")}</p>
      {view.error && !view.data ? <ErrorNote error={view.error} onReload={view.reload} /> : null}
      {!view.data ? (
        <Loading />
      ) : (
        <Calendar key={`${view.data.year}:${view.data.revision}`} view={view.data} onReload={view.reload} />
      )}
    </Page>
  );
}

function Calendar(props: { view: View; onReload: () => void }) {
  const t = useT(staffDict);
  const tc = useT(common);
  const api = useApi();
  const dayName = useDayName();
  const [view, setView] = useState(props.view);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [newDay, setNewDay] = useState("");
  const [newName, setNewName] = useState("");
  const settings = view.settings;
  const year = view.year;

  const replace = async (change: (s: Required<Omit<Settings, "expected_revision">>) => Partial<Settings>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    const current = {
      country: settings.country as Settings["country"],
      added: (settings.added ?? []).map((h) => ({ day: h.day, name: h.name })),
      removed: [...(settings.removed ?? [])],
    };
    const body: Settings = { ...current, ...change(current), expected_revision: view.revision };
    try {
      setView(ok(await api.PUT("/holidays", { params: { query: { year } }, body })));
      setNotice(t("holidaysSaved"));
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const remove = (day: string, origin: string) =>
    void replace((s) =>
      origin === "added"
        ? { added: s.added.filter((h) => h.day !== day) }
        : { removed: [...s.removed, day].sort() },
    );
  const restore = (day: string) => void replace((s) => ({ removed: s.removed.filter((d) => d !== day) }));
  const add = async (event: Event) => {
    event.preventDefault();
    const done = await replace((s) => ({
      added: [...s.added.filter((h) => h.day !== newDay), { day: newDay, name: newName }],
      removed: s.removed.filter((d) => d !== newDay),
    }));
    if (done) {
      setNewDay("");
      setNewName("");
    }
  };
  const country = settings.country ?? "";

  return (
    <>
      <div class="row year-nav">
        <a class="button-link" href={yearHref(year - 1)}>
          {t("prevYear")}
        </a>
        <h2 id="holiday-year">{t("yearLabel", { year })}</h2>
        <a class="button-link" href={yearHref(year + 1)}>
          {t("nextYear")}
        </a>
      </div>
      <label>
        {t("country")}
        <select
          value={country}
          disabled={busy}
          onChange={(e) => {
            const next = e.currentTarget.value;
            void replace(() => ({ country: (next || null) as Settings["country"] }));
          }}
        >
          <option value="VN">{t("countryVN")}</option>
          <option value="">{t("countryNone")}</option>
          {country && country !== "VN" ? <option value={country}>{t("countryOther", { code: country })}</option> : null}
        </select>
      </label>
      {error ? <SaveError error={error} onReload={props.onReload} /> : null}
      {notice ? <Notice>{notice}</Notice> : null}
      <TableRegion label={t("holidaysCaption", { year })}>
        <table class="holidays">
          <caption>{t("holidaysCaption", { year })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("colDate")}</th>
              <th scope="col">{t("colHoliday")}</th>
              <th scope="col">{t("colOrigin")}</th>
              <th scope="col">{tc("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {view.holidays.length === 0 ? (
              <tr>
                <td colSpan={4} class="muted">
                  {t("noHolidays")}
                </td>
              </tr>
            ) : null}
            {view.holidays.map((h) => (
              <tr key={h.day} data-holiday={h.day}>
                <td>{dayName(h.day)}</td>
                <th scope="row">{h.name}</th>
                <td>{t(h.origin === "added" ? "originAdded" : "originCountry")}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    aria-label={t("removeHolidayLabel", { name: h.name, day: dayName(h.day) })}
                    onClick={() => remove(h.day, h.origin)}
                  >
                    {t("removeHoliday")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>

      <section class="card" aria-labelledby="add-holiday">
        <h2 id="add-holiday">{t("addHolidayTitle")}</h2>
        <form class="row" onSubmit={(e) => void add(e)}>
          <label>
            {t("holidayDay")}
            <input type="date" required value={newDay} onInput={(e) => setNewDay(e.currentTarget.value)} />
          </label>
          <label>
            {t("holidayName")}
            <input required maxLength={200} value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>
            {t("addHoliday")}
          </button>
        </form>
      </section>

      <section aria-labelledby="removed-holidays">
        <h2 id="removed-holidays">{t("removedTitle")}</h2>
        {(settings.removed ?? []).length === 0 ? (
          <p class="muted">{t("noRemoved")}</p>
        ) : (
          <ul class="removed-list">
            {(settings.removed ?? []).map((day) => (
              <li key={day} data-removed={day}>
                <span>{dayName(day)}</span>
                <button
                  type="button"
                  disabled={busy}
                  aria-label={t("restoreLabel", { day: dayName(day) })}
                  onClick={() => restore(day)}
                >
                  {t("restoreHoliday")}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
