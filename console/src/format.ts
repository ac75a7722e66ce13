/** Times in the tenant's time zone (never raw UTC), numbers and dates as vi-VN writes them. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { useLang, type Lang } from "./i18n";

export const TimeZoneContext = createContext("Asia/Ho_Chi_Minh");

const LOCALE: Record<Lang, string> = { vi: "vi-VN", en: "en-GB" };

export interface Formats {
  timeZone: string;
  dateTime(iso: string | null | undefined): string;
  date(iso: string | null | undefined): string;
  time(iso: string | null | undefined): string;
  number(value: number | null | undefined, digits?: number): string;
  percent(value: number | null | undefined): string;
  /** A span of minutes as "2 giờ 5 phút" / "2 h 5 min". */
  minutes(value: number | null | undefined): string;
}

export function formats(lang: Lang, timeZone: string): Formats {
  const locale = LOCALE[lang];
  const dt = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: "short", timeStyle: "short" });
  const d = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: "medium" });
  const tm = new Intl.DateTimeFormat(locale, { timeZone, timeStyle: "short" });
  const valid = (iso: string | null | undefined) => (iso ? new Date(iso) : null);
  const show = (f: Intl.DateTimeFormat) => (iso: string | null | undefined) => {
    const when = valid(iso);
    return when && !Number.isNaN(when.getTime()) ? f.format(when) : "—";
  };
  return {
    timeZone,
    dateTime: show(dt),
    date: (iso) => {
      if (iso && /^\d{4}-\d{2}-\d{2}$/.test(iso)) {
        // A calendar day (leave, holiday) is not an instant: shown as the day it names.
        return new Intl.DateTimeFormat(locale, { timeZone: "UTC", dateStyle: "medium" }).format(new Date(`${iso}T00:00:00Z`));
      }
      return show(d)(iso);
    },
    time: show(tm),
    number: (value, digits = 0) =>
      value == null || Number.isNaN(value)
        ? "—"
        : new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value),
    percent: (value) =>
      value == null ? "—" : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value),
    minutes: (value) => {
      if (value == null || Number.isNaN(value)) return "—";
      const total = Math.round(value);
      const h = Math.floor(Math.abs(total) / 60);
      const m = Math.abs(total) % 60;
      const sign = total < 0 ? "-" : "";
      const unit = lang === "vi" ? { h: "giờ", m: "phút" } : { h: "h", m: "min" };
      return h ? `${sign}${h} ${unit.h}${m ? ` ${m} ${unit.m}` : ""}` : `${sign}${m} ${unit.m}`;
    },
  };
}

export function useFormat(): Formats {
  return formats(useLang(), useContext(TimeZoneContext));
}
