// The summary at the top of a document: what matters clinically, first, in the hospital's own
// words. Medicine changes are worded from the parsed medication model (change type, previous
// dose where the hospital gave it); requested actions are the backend's, word for word; every
// other fact is a labelled value read from the narrative (see narrative.ts) and shown exactly as
// written, with the section it came from. Nothing is inferred or reworded: a fact the document
// does not state is left out, never filled in.
import type { Attachment } from "../bindings/Attachment";
import type { Document } from "../bindings/Document";
import type { DocumentKind } from "../bindings/DocumentKind";
import type { Medication } from "../bindings/Medication";
import type { RequestedAction } from "../bindings/RequestedAction";
import { formatDateTime } from "./format";
import { readNarrative, tidy, type Reading } from "./narrative";

/** A labelled fact as the document states it, and the section it is in (null: the coded header). */
export interface Fact {
  label: string;
  value: string;
  section: number | null;
}

export type ChangeKind = "stopped" | "new" | "dose" | "on-hold" | "unrecognised";

/** One medicine change, worded from the model. */
export interface MedicineChange {
  kind: ChangeKind;
  /** The medicine as named in the document. */
  name: string;
  /** "20 mg -> 80 mg at night" (dose changes), else the detail the document gives, or null. */
  detail: string | null;
  medication: Medication;
}

export interface DocumentSummary {
  kind: DocumentKind;
  discharge: Fact[];
  diagnoses: Fact[];
  medicineChanges: MedicineChange[];
  actions: RequestedAction[];
  followUp: Fact[];
  pending: Fact[];
  /** Mental health discharges: risk, Mental Health Act, CPA, Section 117, crisis plan, care coordinator. */
  mentalHealth: Fact[];
  /** Outpatient letters: the clinic's outcome. */
  outcome: Fact[];
  attachments: Attachment[];
}

export const CHANGE_WORDS: Record<ChangeKind, string> = {
  stopped: "Stopped",
  new: "New",
  dose: "Dose changed",
  "on-hold": "On hold",
  unrecognised: "Change not recognised",
};

const CHANGE_ORDER: ChangeKind[] = ["stopped", "new", "dose", "on-hold", "unrecognised"];

/** "Dose increased from 20 mg to 80 mg at night" -> ["20 mg", "80 mg at night"]. */
export function previousAndNew(details: string | null): [string, string] | null {
  if (!details) return null;
  const m = /\bfrom\s+(.+?)\s+to\s+(.+?)\.?$/i.exec(details.trim());
  return m ? [m[1], m[2]] : null;
}

/** What changed about one medicine, or null when the document says it continues unchanged. */
export function medicineChange(m: Medication): MedicineChange | null {
  const name = m.name ?? "(medicine not named)";
  if (m.status === "stopped" || m.list === "discontinued") return { kind: "stopped", name, detail: m.change_details, medication: m };
  switch (m.change) {
    case "added":
      return { kind: "new", name, detail: null, medication: m };
    case "amended": {
      const pair = previousAndNew(m.change_details);
      return { kind: "dose", name, detail: pair ? `${pair[0]} -> ${pair[1]}` : m.change_details, medication: m };
    }
    case "on-hold":
      return { kind: "on-hold", name, detail: null, medication: m };
    case "continued":
      return null;
    default:
      return m.change_raw ? { kind: "unrecognised", name, detail: m.change_raw, medication: m } : null;
  }
}

/** Every medicine change, stopped first, then new, dose changes, on hold; document order within each. */
export function medicineChanges(meds: Medication[]): MedicineChange[] {
  const all = meds.map(medicineChange).filter((c): c is MedicineChange => c !== null);
  return CHANGE_ORDER.flatMap((k) => all.filter((c) => c.kind === k));
}

/** "Stopped: Clopidogrel 75mg tablets; New: Sertraline 50mg tablets; Dose changed: Bisoprolol 2.5mg tablets 5 mg -> 2.5 mg". */
export function medicineChangeText(changes: MedicineChange[]): string {
  return CHANGE_ORDER.map((k) => {
    const items = changes.filter((c) => c.kind === k);
    if (!items.length) return "";
    const words = items.map((c) => (c.kind === "dose" && c.detail ? `${c.name} ${c.detail}` : c.kind === "unrecognised" ? `${c.name} (${c.detail})` : c.name));
    return `${CHANGE_WORDS[k]}: ${words.join(", ")}`;
  })
    .filter(Boolean)
    .join("; ");
}

/** Short counts for a list row: "2 stopped, 1 new, 1 dose changed, 1 on hold". */
export function changeCounts(c: { added: number; amended: number; stopped: number; on_hold: number }): string {
  const parts: string[] = [];
  if (c.stopped) parts.push(`${c.stopped} stopped`);
  if (c.added) parts.push(`${c.added} new`);
  if (c.amended) parts.push(`${c.amended} dose changed`);
  if (c.on_hold) parts.push(`${c.on_hold} on hold`);
  return parts.join(", ");
}

interface Located {
  reading: Reading;
  title: string;
  index: number;
}

/** A rule for one kind of fact: labels it goes by, and (failing those) words a sentence may mention it with. */
interface Rule {
  /** The word the summary uses when the fact is found only as a sentence. */
  name: string;
  labels: RegExp;
  /** Labels that look alike but are something else. */
  not?: RegExp;
  mentions?: RegExp;
}

function sentences(line: string): string[] {
  return line.split(/(?<=[.;])\s+(?=[A-Z])/).map(tidy).filter(Boolean);
}

/** Facts for `rule` from every section, without repeats. */
function find(sections: Located[], rule: Rule, skip: (l: Located) => boolean = () => false): Fact[] {
  const out: Fact[] = [];
  const seen = new Set<string>();
  const add = (f: Fact) => {
    const key = `${f.label.toLowerCase()}|${f.value}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(f);
  };
  for (const s of sections) {
    if (skip(s)) continue;
    for (const f of s.reading.fields) {
      if (rule.labels.test(f.label) && !rule.not?.test(f.label)) add({ label: f.label, value: f.value, section: s.index });
    }
  }
  if (out.length || !rule.mentions) return out;
  const mentions = rule.mentions;
  // Failing a label, the sentences that mention it: within a labelled value (with its label),
  // else in the section's lines (with the section's title).
  for (const s of sections) {
    if (skip(s)) continue;
    for (const f of s.reading.fields) {
      for (const sentence of sentences(f.value)) if (mentions.test(sentence)) add({ label: f.label, value: sentence, section: s.index });
    }
  }
  if (out.length) return out;
  for (const s of sections) {
    if (skip(s)) continue;
    for (const line of s.reading.lines) {
      for (const sentence of sentences(line)) if (mentions.test(sentence)) add({ label: s.title, value: sentence, section: s.index });
    }
  }
  return out;
}

/** Sentence-level "Label: value" pairs ("... (CPA). Care coordinator: Sam Okoro, ..."). */
function withSentencePairs(r: Reading): Reading {
  const extra = r.lines.flatMap((line) =>
    sentences(line)
      .slice(1)
      .map((s) => /^([A-Z][A-Za-z' /-]{2,40}):\s+(.+)$/.exec(s))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ label: m[1], value: m[2] })),
  );
  return extra.length ? { fields: [...r.fields, ...extra], lines: r.lines } : r;
}

const RULES = {
  dischargeDate: { name: "Discharged", labels: /^(date(\s*\/\s*time)? of discharge|discharge date)/i },
  destination: { name: "Discharge destination", labels: /discharge destination|discharged to/i },
  diagnoses: { name: "Diagnosis", labels: /diagnos[ie]s/i, not: /differential/i },
  followUp: { name: "Follow-up", labels: /follow[\s-]?up|next appointment|appointment/i, not: /outcome/i },
  pending: { name: "Pending", labels: /pending|awaited|awaiting|outstanding|to follow/i },
  outcome: { name: "Outcome", labels: /outcome/i },
  risk: { name: "Risk", labels: /\brisks?\b/i, not: /factor/i },
  mha: { name: "Mental Health Act", labels: /mental health act|legal status|\bMHA\b/i },
  cpa: { name: "Care Programme Approach", labels: /care programme approach|\bCPA\b/i, mentions: /care programme approach|\bCPA\b/i },
  s117: { name: "Section 117", labels: /section 117|\bs\.?\s?117\b/i, mentions: /section 117|\bs\.?\s?117\b/i },
  crisis: { name: "Crisis plan", labels: /crisis (plan|and contingency|management|care)|contingency plan|relapse (plan|signature)/i, mentions: /crisis plan/i },
  coordinator: { name: "Care coordinator", labels: /care[\s-]co-?ordinator/i },
} satisfies Record<string, Rule>;

/** The summary of `doc`, given the actions the backend read from it. */
export function buildSummary(doc: Document, actions: RequestedAction[]): DocumentSummary {
  const sections: Located[] = doc.sections.map((s, index) => ({
    reading: withSentencePairs(readNarrative(s.html, s.text)),
    title: s.title ?? s.code_display ?? "Untitled section",
    index,
  }));
  const actionSections = new Set(actions.map((a) => a.section));
  const outsideActions = (l: Located) => actionSections.has(l.index);

  const e = doc.encounter;
  const discharge: Fact[] = [];
  if (e?.discharge_date) discharge.push({ label: "Discharged", value: formatDateTime(e.discharge_date), section: null });
  else discharge.push(...find(sections, RULES.dischargeDate).slice(0, 1));
  if (e?.discharge_destination) discharge.push({ label: "Discharge destination", value: e.discharge_destination, section: null });
  else discharge.push(...find(sections, RULES.destination));

  let diagnoses = find(sections, RULES.diagnoses);
  if (!diagnoses.length) {
    diagnoses = doc.conditions
      .filter((c) => c.name)
      .map((c) => ({ label: "Diagnosis", value: c.name as string, section: null }));
  }

  const mh = doc.kind === "mental-health-discharge";
  const mentalHealth = mh
    ? [RULES.risk, RULES.mha, RULES.cpa, RULES.s117, RULES.crisis, RULES.coordinator].flatMap((r) => find(sections, r))
    : [];
  // One fact may answer two rules ("Section 117 aftercare" under a legal status heading): once.
  const seenMh = new Set<string>();
  const mentalHealthUnique = mentalHealth.filter((f) => {
    const k = `${f.label}|${f.value}`;
    if (seenMh.has(k)) return false;
    seenMh.add(k);
    return true;
  });

  const outcome = doc.kind === "outpatient-letter" ? find(sections, RULES.outcome) : [];
  // Follow-up and pending results outside the plan (whose actions are listed word for word).
  const actionTexts = new Set(actions.map((a) => a.text));
  const followUp = find(sections, RULES.followUp, outsideActions).filter((f) => !actionTexts.has(f.value));
  const pending = find(sections, RULES.pending).filter((f) => !actionTexts.has(f.value) && !actionTexts.has(`${f.label}: ${f.value}`));

  return {
    kind: doc.kind,
    discharge,
    diagnoses,
    medicineChanges: medicineChanges(doc.medications),
    actions,
    followUp,
    pending,
    mentalHealth: mentalHealthUnique,
    outcome,
    attachments: doc.attachments,
  };
}
