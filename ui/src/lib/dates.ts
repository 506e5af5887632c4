// Dates typed by a person: the date filter fields. The app shows dates as dd-Mmm-yyyy whatever
// the computer's locale, so it reads them that way too; it also takes 1/12/2026 (UK day-first,
// never American month-first) and ISO 2026-12-01. Anything else gets a clear error.

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export type ParsedDay = { ok: true; iso: string; display: string } | { ok: false; error: string };

/** The example every error message gives. */
export const DATE_EXAMPLE = "01-Dec-2026";

function monthFromName(name: string): number | null {
  const n = name.toLowerCase();
  if (n.length < 3) return null;
  const i = MONTHS.findIndex((m) => n.startsWith(m));
  // "September", "sept" and "Sep" all start with "sep"; anything longer must still be the month.
  if (i < 0) return null;
  const full = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"][i];
  return full.startsWith(n) || n === "sept" ? i + 1 : null;
}

function make(year: number, month: number, day: number): ParsedDay {
  if (month < 1 || month > 12) return { ok: false, error: `There is no month ${month}: write the date as ${DATE_EXAMPLE}.` };
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) return { ok: false, error: `${MONTH_NAMES[month - 1]} ${year} has no day ${day}.` };
  if (year < 1900 || year > 2200) return { ok: false, error: `Check the year (${year}): write the date as ${DATE_EXAMPLE}.` };
  const iso = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  return { ok: true, iso, display: `${String(day).padStart(2, "0")}-${MONTH_NAMES[month - 1]}-${year}` };
}

/**
 * Reads a calendar day: `01-Dec-2026` (or `1 Dec 2026`, `1 December 2026`), `1/12/2026` (day
 * first, as in the UK; also with `.` or `-`), or ISO `2026-12-01`. Two-digit years are refused:
 * "1/12/26" could be 1926 or 2026.
 */
export function parseUkDate(input: string): ParsedDay {
  const s = input.trim();
  if (!s) return { ok: false, error: `Enter a date, such as ${DATE_EXAMPLE}.` };
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) return make(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[\s-]+([A-Za-z]+)\.?[\s-]+(\d+)$/.exec(s);
  if (m) {
    const month = monthFromName(m[2]);
    if (month === null) return { ok: false, error: `"${m[2]}" is not a month: write the date as ${DATE_EXAMPLE}.` };
    if (m[3].length !== 4) return { ok: false, error: `Write the year in full, as in ${DATE_EXAMPLE}.` };
    return make(Number(m[3]), month, Number(m[1]));
  }
  m = /^(\d{1,2})([/.-])(\d{1,2})\2(\d+)$/.exec(s);
  if (m) {
    if (m[4].length !== 4) return { ok: false, error: `Write the year in full, as in ${DATE_EXAMPLE}.` };
    return make(Number(m[4]), Number(m[3]), Number(m[1]));
  }
  return { ok: false, error: `"${s}" is not a date this field understands: write it as ${DATE_EXAMPLE} (or 1/12/2026, day first).` };
}
