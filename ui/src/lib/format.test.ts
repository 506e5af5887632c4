import { describe, expect, it } from "vitest";
import {
  addDays,
  age,
  daysFrom,
  formatDayLong,
  formatDayShort,
  formatDate,
  formatDateTime,
  formatNhsNumber,
  isValidNhsNumber,
  nextDay,
  relativeTime,
  ukDay,
  ukDayStartUtc,
} from "./format";

describe("NHS numbers", () => {
  it("are spaced 3 3 4", () => {
    expect(formatNhsNumber("9434765919")).toBe("943 476 5919");
    expect(formatNhsNumber("943 476 5919")).toBe("943 476 5919");
  });
  it("leave anything that is not ten digits alone", () => {
    expect(formatNhsNumber("12345")).toBe("12345");
    expect(formatNhsNumber("")).toBe("");
  });
  it("pass or fail the modulus 11 check", () => {
    expect(isValidNhsNumber("9434765919")).toBe(true);
    expect(isValidNhsNumber("9999999999")).toBe(true); // 9 x 54 = 486, 486 mod 11 = 2, check 9
    expect(isValidNhsNumber("9999999998")).toBe(false);
    expect(isValidNhsNumber("9434765918")).toBe(false);
    expect(isValidNhsNumber("943476591")).toBe(false);
    // check digit 10 is never valid
    expect(isValidNhsNumber("0000000060")).toBe(false);
  });
});

describe("dates", () => {
  it("read dd-Mmm-yyyy and never shift a bare date", () => {
    expect(formatDate("1957-01-01")).toBe("01-Jan-1957");
    expect(formatDate("2026-09-09")).toBe("09-Sep-2026");
  });
  it("show date-times in UK time, 24-hour", () => {
    // 23:30 UTC on 31 July is 00:30 BST on 1 August
    expect(formatDateTime("2026-07-31T23:30:00Z")).toBe("01-Aug-2026 00:30");
    expect(formatDateTime("2026-01-15T14:05:00Z")).toBe("15-Jan-2026 14:05");
  });
  it("keep text it cannot read", () => {
    expect(formatDate("sometime")).toBe("sometime");
    expect(formatDate(null)).toBe("");
  });
  it("give ages in years, or months for infants", () => {
    const today = new Date(2026, 10, 22);
    expect(age("1957-01-01", today)).toBe("69y");
    expect(age("1957-11-23", today)).toBe("68y");
    expect(age("2026-02-10", today)).toBe("9m");
    expect(age(undefined, today)).toBe("");
  });
  it("give relative times", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(relativeTime("2026-11-22T11:59:50Z", now)).toBe("just now");
    expect(relativeTime("2026-11-22T11:55:00Z", now)).toBe("5 min ago");
    expect(relativeTime("2026-11-22T09:00:00Z", now)).toBe("3 h ago");
    expect(relativeTime("2026-11-19T12:00:00Z", now)).toBe("3 days ago");
  });
});

describe("UK days as UTC instants, for the date filters", () => {
  it("starts a summer day at 23:00 UTC the evening before", () => {
    expect(ukDayStartUtc("2026-07-02")).toBe("2026-07-01T23:00:00.000Z");
  });
  it("starts a winter day at midnight UTC", () => {
    expect(ukDayStartUtc("2026-11-22")).toBe("2026-11-22T00:00:00.000Z");
  });
  it("handles the days the clocks change", () => {
    // Clocks go forward at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on 25 October.
    expect(ukDayStartUtc("2026-03-29")).toBe("2026-03-29T00:00:00.000Z");
    expect(ukDayStartUtc("2026-03-30")).toBe("2026-03-29T23:00:00.000Z");
    expect(ukDayStartUtc("2026-10-25")).toBe("2026-10-24T23:00:00.000Z");
    expect(ukDayStartUtc("2026-10-26")).toBe("2026-10-26T00:00:00.000Z");
  });
  it("rejects what is not a date", () => {
    expect(ukDayStartUtc("")).toBeNull();
    expect(ukDayStartUtc("22/11/2026")).toBeNull();
  });
  it("steps to the next day across months and years", () => {
    expect(nextDay("2026-07-31")).toBe("2026-08-01");
    expect(nextDay("2026-12-31")).toBe("2027-01-01");
  });
});

describe("UK calendar days of instants", () => {
  it("reads the day in London, across both clock changes", () => {
    expect(ukDay("2026-12-01T23:59:00Z")).toBe("2026-12-01");
    expect(ukDay("2026-07-01T23:30:00Z")).toBe("2026-07-02");
    // 29 March 2026: BST from 01:00 UTC.
    expect(ukDay("2026-03-28T23:30:00Z")).toBe("2026-03-28");
    expect(ukDay("2026-03-29T23:30:00Z")).toBe("2026-03-30");
    // 25 October 2026: GMT from 01:00 UTC.
    expect(ukDay("2026-10-24T23:30:00Z")).toBe("2026-10-25");
    expect(ukDay("2026-10-25T23:30:00Z")).toBe("2026-10-25");
    expect(ukDay("not a time")).toBeNull();
  });
  it("steps and counts whole days", () => {
    expect(addDays("2026-12-29", 7)).toBe("2027-01-05");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(daysFrom("2026-10-20", "2026-11-03")).toBe(14);
    expect(daysFrom("2026-03-28", "2026-03-30")).toBe(2);
    expect(Number.isNaN(daysFrom("x", "2026-03-30"))).toBe(true);
    expect(formatDayShort("2026-12-09")).toBe("09-Dec");
    expect(formatDayLong("2026-12-05")).toBe("Saturday 05-Dec-2026");
    expect(formatDayLong("2027-01-04")).toBe("Monday 04-Jan-2027");
    expect(formatDayLong("soon")).toBe("soon");
  });
});
