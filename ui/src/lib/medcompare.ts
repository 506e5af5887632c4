// The coded medicines beside the hospital's own narrative table of them: where the two disagree
// (a medicine in one and not the other, or a different change status), the reader is told. The
// comparison is by the medicine's leading name ("atorvastatin", "co-codamol", "insulin
// glargine"), so a strength written differently is not a disagreement; a different medicine is.
import type { Medication } from "../bindings/Medication";
import type { Section } from "../bindings/Section";
import { readNarrative, tidy } from "./narrative";

/** A row of the hospital's table: the medicine as written and its status column, if any. */
export interface NarrativeMedicine {
  name: string;
  status: string | null;
}

export interface MedicineDisagreement {
  /** In the coded list, not in the hospital's table. */
  onlyCoded: string[];
  /** In the hospital's table, not in the coded list. */
  onlyNarrative: string[];
  /** In both, with a different change status. */
  statusDiffers: { name: string; coded: string; narrative: string }[];
}

const NAME_LABEL = /^(medication|medicine|drug)s?( name)?$|^(medication|medicine) and strength$|^name$/i;
const STATUS_LABEL = /^(status|change|change status|medication status)$/i;
/** First words that do not name a medicine on their own. */
const GENERIC = new Set(["insulin", "sodium", "potassium", "calcium", "magnesium", "folic", "ferrous", "vitamin", "glyceryl", "co", "human", "salbutamol"]);

/** The key two names of the same medicine share. */
export function medicineKey(name: string): string {
  const words = name.toLowerCase().match(/[a-z][a-z-]*/g) ?? [];
  const w = words.filter((x) => x.length >= 2);
  if (!w.length) return tidy(name.toLowerCase());
  return GENERIC.has(w[0]) && w[1] ? `${w[0]} ${w[1]}` : w[0];
}

/** The medicines listed in the narrative tables of `sections` (by a "Medication" column or row header). */
export function narrativeMedicines(sections: Section[]): NarrativeMedicine[] {
  const out: NarrativeMedicine[] = [];
  for (const s of sections) {
    const { fields } = readNarrative(s.html, s.text);
    fields.forEach((f, i) => {
      if (!NAME_LABEL.test(f.label)) return;
      // The status column of the same row follows the name among the fields, before the next name.
      let status: string | null = null;
      for (let j = i + 1; j < fields.length && !NAME_LABEL.test(fields[j].label); j++) {
        if (STATUS_LABEL.test(fields[j].label)) {
          status = fields[j].value;
          break;
        }
      }
      out.push({ name: f.value, status });
    });
  }
  return out;
}

type Change = "added" | "amended" | "stopped" | "continued" | "on-hold";

/** A status as either list words it, or null when it is not one of the usual words. */
export function statusWord(s: string | null): Change | null {
  const t = (s ?? "").trim().toLowerCase();
  if (!t) return null;
  if (/^(added|new|started|start)/.test(t)) return "added";
  if (/^(amended|changed|dose changed|increased|reduced|decreased)/.test(t)) return "amended";
  if (/^(stopped|discontinued|stop)/.test(t)) return "stopped";
  if (/^(continued|unchanged|continue)/.test(t)) return "continued";
  if (/^(on[\s-]?hold|withheld|suspended|paused)/.test(t)) return "on-hold";
  return null;
}

function codedChange(m: Medication): Change | null {
  if (m.status === "stopped" || m.list === "discontinued") return "stopped";
  return m.change;
}

const WORD: Record<Change, string> = { added: "Added", amended: "Amended", stopped: "Stopped", continued: "Continued", "on-hold": "On hold" };

/**
 * Where the coded medicines and the hospital's table disagree; null when the narrative has no
 * table of medicines to compare with (nothing can be said either way).
 */
export function compareMedicines(coded: Medication[], sections: Section[]): MedicineDisagreement | null {
  const written = narrativeMedicines(sections);
  if (!written.length) return null;
  const byKey = new Map<string, NarrativeMedicine[]>();
  for (const w of written) byKey.set(medicineKey(w.name), [...(byKey.get(medicineKey(w.name)) ?? []), w]);
  const codedKeys = new Set(coded.map((m) => medicineKey(m.name ?? "")));
  const onlyCoded: string[] = [];
  const statusDiffers: MedicineDisagreement["statusDiffers"] = [];
  for (const m of coded) {
    const name = m.name ?? "(medicine not named)";
    const rows = byKey.get(medicineKey(m.name ?? ""));
    if (!rows) {
      onlyCoded.push(name);
      continue;
    }
    const c = codedChange(m);
    const n = rows.map((r) => statusWord(r.status)).filter((x): x is Change => x !== null);
    // Disagreement only when both say something and no row agrees.
    if (c && n.length && !n.includes(c)) statusDiffers.push({ name, coded: WORD[c], narrative: rows.map((r) => r.status).filter(Boolean).join(", ") });
  }
  const onlyNarrative = written.filter((w) => !codedKeys.has(medicineKey(w.name))).map((w) => w.name);
  return { onlyCoded, onlyNarrative, statusDiffers };
}

export function disagrees(d: MedicineDisagreement | null): boolean {
  return !!d && (d.onlyCoded.length > 0 || d.onlyNarrative.length > 0 || d.statusDiffers.length > 0);
}
