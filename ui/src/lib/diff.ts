// What changed from the document a replacement replaces: section by section (a section is the
// same section when its code, else its title, is the same), the lines added and removed in each
// (a longest-common-subsequence diff of the narrative's lines), and the coded medicines. Pure.
import type { Document } from "../bindings/Document";
import type { Medication } from "../bindings/Medication";
import type { Section } from "../bindings/Section";
import { readNarrative, tidy } from "./narrative";

export type SectionStatus = "added" | "removed" | "changed" | "unchanged";

export interface SectionDiff {
  status: SectionStatus;
  title: string;
  /** Index in the newer document's sections (null for a removed section). */
  index: number | null;
  added: string[];
  removed: string[];
}

export interface MedicineDiff {
  added: string[];
  removed: string[];
  changed: { name: string; was: string; now: string }[];
}

export interface DocumentDiff {
  sections: SectionDiff[];
  medicines: MedicineDiff;
  /** Nothing differs that this comparison can see. */
  same: boolean;
}

function sectionKey(s: Section): string {
  return s.code ? `code:${s.code}` : `title:${tidy(s.title ?? s.code_display ?? "").toLowerCase()}`;
}

function title(s: Section): string {
  return s.title ?? s.code_display ?? "Untitled section";
}

export function sectionLines(s: Section): string[] {
  return readNarrative(s.html, s.text).lines;
}

/** Lines of `b` not in `a` (added) and of `a` not in `b` (removed), by longest common subsequence. */
export function diffLines(a: string[], b: string[]): { added: string[]; removed: string[] } {
  const n = a.length;
  const m = b.length;
  // Long sections: fall back to set difference rather than an n*m table.
  if (n * m > 250_000) {
    const as = new Set(a);
    const bs = new Set(b);
    return { added: b.filter((l) => !as.has(l)), removed: a.filter((l) => !bs.has(l)) };
  }
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const added: string[] = [];
  const removed: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) removed.push(a[i++]);
    else added.push(b[j++]);
  }
  while (i < n) removed.push(a[i++]);
  while (j < m) added.push(b[j++]);
  return { added, removed };
}

/** Sections keyed by code or title; a repeated key is told apart by its occurrence. */
function keyed(sections: Section[]): Map<string, { s: Section; i: number }> {
  const seen = new Map<string, number>();
  const out = new Map<string, { s: Section; i: number }>();
  sections.forEach((s, i) => {
    const k = sectionKey(s);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    out.set(`${k}#${n}`, { s, i });
  });
  return out;
}

function medKey(m: Medication): string {
  return tidy((m.name ?? m.code ?? "").toLowerCase());
}

function medState(m: Medication): string {
  const change = m.status === "stopped" || m.list === "discontinued" ? "stopped" : (m.change ?? m.change_raw ?? "not stated");
  return [m.dosage, m.route, change].filter(Boolean).join(", ");
}

export function diffMedicines(before: Medication[], after: Medication[]): MedicineDiff {
  const a = new Map(before.map((m) => [medKey(m), m]));
  const b = new Map(after.map((m) => [medKey(m), m]));
  return {
    added: after.filter((m) => !a.has(medKey(m))).map((m) => m.name ?? "(medicine not named)"),
    removed: before.filter((m) => !b.has(medKey(m))).map((m) => m.name ?? "(medicine not named)"),
    changed: after
      .filter((m) => a.has(medKey(m)) && medState(a.get(medKey(m)) as Medication) !== medState(m))
      .map((m) => ({ name: m.name ?? "(medicine not named)", was: medState(a.get(medKey(m)) as Medication), now: medState(m) })),
  };
}

/** How `after` (the replacement) differs from `before` (the document it replaces). */
export function diffDocuments(before: Document, after: Document): DocumentDiff {
  const a = keyed(before.sections);
  const b = keyed(after.sections);
  const sections: SectionDiff[] = [];
  for (const [k, { s, i }] of b) {
    const old = a.get(k);
    if (!old) {
      sections.push({ status: "added", title: title(s), index: i, added: sectionLines(s), removed: [] });
      continue;
    }
    const d = diffLines(sectionLines(old.s), sectionLines(s));
    const changed = d.added.length > 0 || d.removed.length > 0 || (title(old.s) !== title(s));
    sections.push({ status: changed ? "changed" : "unchanged", title: title(s), index: i, ...d });
  }
  for (const [k, { s }] of a) {
    if (!b.has(k)) sections.push({ status: "removed", title: title(s), index: null, added: [], removed: sectionLines(s) });
  }
  const medicines = diffMedicines(before.medications, after.medications);
  const same =
    sections.every((s) => s.status === "unchanged") && !medicines.added.length && !medicines.removed.length && !medicines.changed.length;
  return { sections, medicines, same };
}
