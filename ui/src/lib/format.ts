// Formatting rules from the NHS Common User Interface conventions (see ../../ARCHITECTURE.md):
// NHS numbers spaced 3 3 4, dates dd-Mmm-yyyy, times 24-hour HH:mm in UK time.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const UK_ZONE = "Europe/London";

/** "9434765919" -> "943 476 5919". Anything that is not ten digits is returned unchanged. */
export function formatNhsNumber(raw: string): string {
  const digits = raw.replace(/\s+/g, "");
  if (!/^\d{10}$/.test(digits)) return raw;
  return `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`;
}

/** The NHS number modulus 11 check. */
export function isValidNhsNumber(raw: string): boolean {
  const digits = raw.replace(/\s+/g, "");
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === Number(digits[9]);
}

function ukParts(date: Date): Record<string, string> {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: UK_ZONE,
    year: "numeric",
    month: "numeric",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

/**
 * A FHIR date or dateTime as dd-Mmm-yyyy. A bare date ("1957-01-01") is a calendar date and is
 * never shifted by time zones; a dateTime is shown as the UK calendar date.
 */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  const bare = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (bare) return `${bare[3]}-${MONTHS[Number(bare[2]) - 1]}-${bare[1]}`;
  const yearMonth = /^(\d{4})-(\d{2})$/.exec(value);
  if (yearMonth) return `${MONTHS[Number(yearMonth[2]) - 1]}-${yearMonth[1]}`;
  if (/^\d{4}$/.test(value)) return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const p = ukParts(date);
  return `${p.day}-${MONTHS[Number(p.month) - 1]}-${p.year}`;
}

/** A dateTime as "dd-Mmm-yyyy HH:mm" in UK time. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || /^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDate(value);
  const p = ukParts(date);
  return `${formatDate(value)} ${p.hour}:${p.minute}`;
}

/** A dateTime as "HH:mm" in UK time. */
export function formatTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const p = ukParts(date);
  return `${p.hour}:${p.minute}`;
}

/** Age in whole years on `today` for a FHIR birth date ("1957-01-01"), e.g. "69y". */
export function age(birthDate: string | null | undefined, today: Date = new Date()): string {
  const m = birthDate ? /^(\d{4})-(\d{2})-(\d{2})/.exec(birthDate) : null;
  if (!m) return "";
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let years = today.getFullYear() - y;
  if (today.getMonth() + 1 < mo || (today.getMonth() + 1 === mo && today.getDate() < d)) years--;
  if (years < 0) return "";
  if (years < 2) {
    let months = (today.getFullYear() - y) * 12 + (today.getMonth() + 1 - mo);
    if (today.getDate() < d) months--;
    return `${Math.max(months, 0)}m`;
  }
  return `${years}y`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago": always shown beside an absolute time. */
export function relativeTime(value: string, now: Date = new Date()): string {
  const then = new Date(value).getTime();
  if (Number.isNaN(then)) return "";
  const minutes = Math.round((now.getTime() - then) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** Both instants fall on the same calendar day in the UK. */
export function sameUkDay(a: string, b: string): boolean {
  const da = new Date(a);
  const db = new Date(b);
  if (Number.isNaN(da.getTime()) || Number.isNaN(db.getTime())) return false;
  return formatDate(da.toISOString()) === formatDate(db.toISOString());
}

/** A time relative to `now`: "10:42" on the same UK day, otherwise "21-Nov-2026 10:42". */
export function when(value: string, now: string): string {
  return sameUkDay(value, now) ? formatTime(value) : formatDateTime(value);
}

/** A byte count for people: "7.7 KB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The UTC instant (ISO 8601, as the store records times) at which the UK calendar day
 * `day` ("yyyy-mm-dd") begins: midnight in London, 23:00 UTC the evening before in summer.
 * `null` for anything that is not a date.
 */
export function ukDayStartUtc(day: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utcMidnight = Date.UTC(y, mo - 1, d);
  if (Number.isNaN(utcMidnight)) return null;
  // The UK is UTC+0 or UTC+1; clocks change at 01:00 UTC, so midnight always exists once.
  for (const offsetHours of [1, 0]) {
    const t = new Date(utcMidnight - offsetHours * 3_600_000);
    const p = ukParts(t);
    if (Number(p.year) === y && Number(p.month) === mo && Number(p.day) === d && p.hour === "00") {
      return t.toISOString();
    }
  }
  return null;
}

/** The UK calendar day after `day` ("yyyy-mm-dd"). */
export function nextDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1)).toISOString().slice(0, 10);
}

/** `yyyy-mm-dd` of the UK calendar day an instant falls on (Europe/London); null if unreadable. */
export function ukDay(value: string | Date): string | null {
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return null;
  const p = ukParts(date);
  return `${p.year.padStart(4, "0")}-${p.month.padStart(2, "0")}-${p.day.padStart(2, "0")}`;
}

/** The calendar day `n` days after `day` ("yyyy-mm-dd"; `n` may be negative). */
export function addDays(day: string, n: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + n)).toISOString().slice(0, 10);
}

/** Whole calendar days from `from` to `to` (both "yyyy-mm-dd"); NaN if either is not a day. */
export function daysFrom(from: string, to: string): number {
  const a = /^(\d{4})-(\d{2})-(\d{2})$/.exec(from);
  const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(to);
  if (!a || !b) return Number.NaN;
  const t = (m: RegExpExecArray) => Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round((t(b) - t(a)) / 86_400_000);
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** A calendar day ("yyyy-mm-dd") with its weekday: "Saturday 05-Dec-2026" (whatever the locale). */
export function formatDayLong(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const weekday = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDay();
  return `${WEEKDAYS[weekday]} ${formatDate(day)}`;
}

/** A calendar day ("yyyy-mm-dd") short, for tight places: "09-Dec". */
export function formatDayShort(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return m ? `${m[3]}-${MONTHS[Number(m[2]) - 1]}` : day;
}
