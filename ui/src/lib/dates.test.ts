import { describe, expect, it } from "vitest";
import { parseUkDate } from "./dates";

describe("typed dates", () => {
  it("read dd-Mmm-yyyy whatever the locale, in any case and with spaces", () => {
    expect(parseUkDate("01-Dec-2026")).toEqual({ ok: true, iso: "2026-12-01", display: "01-Dec-2026" });
    expect(parseUkDate("1-dec-2026")).toMatchObject({ ok: true, iso: "2026-12-01" });
    expect(parseUkDate(" 9 September 2026 ")).toMatchObject({ ok: true, iso: "2026-09-09", display: "09-Sep-2026" });
    expect(parseUkDate("9 Sept 2026")).toMatchObject({ ok: true, iso: "2026-09-09" });
  });
  it("read 1/12/2026 as the UK does: day first, never month first", () => {
    expect(parseUkDate("1/12/2026")).toMatchObject({ ok: true, iso: "2026-12-01", display: "01-Dec-2026" });
    expect(parseUkDate("13/1/2026")).toMatchObject({ ok: true, iso: "2026-01-13" });
    expect(parseUkDate("01.02.2026")).toMatchObject({ ok: true, iso: "2026-02-01" });
    // 12/13/2026 would be American: there is no 13th month.
    expect(parseUkDate("12/13/2026")).toEqual({ ok: false, error: "There is no month 13: write the date as 01-Dec-2026." });
  });
  it("read ISO dates", () => {
    expect(parseUkDate("2026-12-01")).toMatchObject({ ok: true, iso: "2026-12-01" });
  });
  it("refuse days that do not exist, two-digit years and anything else, saying how to write it", () => {
    expect(parseUkDate("31-Feb-2026")).toEqual({ ok: false, error: "Feb 2026 has no day 31." });
    expect(parseUkDate("29-Feb-2028")).toMatchObject({ ok: true });
    expect(parseUkDate("1/12/26")).toEqual({ ok: false, error: "Write the year in full, as in 01-Dec-2026." });
    expect(parseUkDate("1-Foo-2026")).toEqual({ ok: false, error: '"Foo" is not a month: write the date as 01-Dec-2026.' });
    expect(parseUkDate("yesterday")).toMatchObject({ ok: false });
    expect((parseUkDate("yesterday") as { error: string }).error).toContain("01-Dec-2026");
    expect(parseUkDate("")).toMatchObject({ ok: false });
  });
});
