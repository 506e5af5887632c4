// Reading a section's narrative for its labelled facts, generically: PRSB element labels appear
// in hospital narrative as table row headers (th beside td), as column headers over rows, as
// sub-headings with text under them, as "Label: value" lines and as a bold label followed by
// its value. Every value is the narrative's own text (whitespace tidied), never reworded.
// Pure: it parses the (already sanitised) HTML into an inert document and reads text only.

/** A label and the text the narrative gives for it. */
export interface Field {
  label: string;
  value: string;
}

/** What a narrative says: its labelled fields and its lines of text, in order. */
export interface Reading {
  fields: Field[];
  /** Each paragraph, list item, line (split at <br>), table row and heading, in order. */
  lines: string[];
}

const BLOCK = new Set(
  "address article aside blockquote caption center dd details div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split(" "),
);
const HEADING = /^h[1-6]$/;

export function tidy(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function stripColon(s: string): string {
  return tidy(s.replace(/[:\-–]\s*$/, ""));
}

/** Short enough, and worded like, a label (not a sentence). */
export function looksLikeLabel(s: string): boolean {
  const t = tidy(s);
  if (!t || t.length > 60 || !/[A-Za-z]/.test(t)) return false;
  if (t.split(" ").length > 8) return false;
  // Not a sentence, nor the end of one and the start of another.
  return !/[.!?]$/.test(t) && !/[.!?]\s/.test(t);
}

/** "Care coordinator: Jane Smith" -> the pair; null for "Seen at 10:30" or a sentence. */
export function labelValue(line: string): Field | null {
  const m = /^([^:]{1,60}?)\s*:\s*(.+)$/.exec(line);
  if (!m) return null;
  const [label, value] = [tidy(m[1]), tidy(m[2])];
  if (!looksLikeLabel(label) || !value) return null;
  // A time ("at 10:30"), a ratio or a URL, not a label.
  if (/\d$/.test(label) && /^\d/.test(value)) return null;
  if (/^(https?|mailto|tel)$/i.test(label)) return null;
  return { label, value };
}

function name(el: Element): string {
  return el.localName.toLowerCase();
}

function hasBlockChild(el: Element): boolean {
  return [...el.children].some((c) => BLOCK.has(name(c)));
}

/** The only content is one bold element: a sub-heading ("<p><b>Crisis plan</b></p>"). */
function boldOnly(el: Element): string | null {
  const kids = [...el.childNodes].filter((n) => n.nodeType !== 3 || tidy(n.textContent ?? ""));
  if (kids.length !== 1 || kids[0].nodeType !== 1) return null;
  const k = kids[0] as Element;
  if (name(k) !== "b" && name(k) !== "strong") return null;
  const t = tidy(k.textContent ?? "");
  return t || null;
}

/** A block starting with a bold label followed by more text: "<b>Care coordinator</b> Jane Smith". */
function boldLead(el: Element): Field | null {
  const kids = [...el.childNodes].filter((n) => n.nodeType !== 3 || tidy(n.textContent ?? ""));
  if (kids.length < 2 || kids[0].nodeType !== 1) return null;
  const first = kids[0] as Element;
  if (name(first) !== "b" && name(first) !== "strong") return null;
  if ([...el.getElementsByTagName("br")].length) return null;
  const label = stripColon(first.textContent ?? "");
  const value = tidy(kids.slice(1).map((k) => k.textContent ?? "").join(" "));
  if (!looksLikeLabel(label) || !value) return null;
  return { label, value };
}

/** The rows of `table` itself (not of tables nested in its cells). */
function rowsOf(table: Element): Element[] {
  return [...table.querySelectorAll("tr")].filter((tr) => tr.closest("table") === table);
}

function cellsOf(tr: Element): Element[] {
  return [...tr.children].filter((c) => name(c) === "td" || name(c) === "th");
}

function cellText(c: Element): string {
  // Line breaks inside a cell separate items: keep them apart with "; " only where the cell
  // has no punctuation of its own between them.
  const parts: string[] = [];
  let cur = "";
  const walk = (n: Node) => {
    if (n.nodeType === 3) cur += n.textContent ?? "";
    else if (n.nodeType === 1) {
      const e = n as Element;
      if (name(e) === "br" || (BLOCK.has(name(e)) && cur.trim())) {
        parts.push(cur);
        cur = "";
      }
      e.childNodes.forEach(walk);
      if (BLOCK.has(name(e))) {
        parts.push(cur);
        cur = "";
      }
    }
  };
  c.childNodes.forEach(walk);
  parts.push(cur);
  return parts.map(tidy).filter(Boolean).join(" ");
}

class Reader {
  readonly fields: Field[] = [];
  readonly lines: string[] = [];
  private heading: string | null = null;
  private under: string[] = [];

  private closeHeading(): void {
    if (this.heading && this.under.length) this.fields.push({ label: this.heading, value: this.under.join(" ") });
    this.heading = null;
    this.under = [];
  }

  setHeading(text: string): void {
    this.closeHeading();
    const t = stripColon(text);
    if (!t) return;
    this.lines.push(t);
    this.heading = looksLikeLabel(t) ? t : null;
  }

  line(raw: string): void {
    const t = tidy(raw);
    if (!t) return;
    this.lines.push(t);
    const lv = labelValue(t);
    if (lv) this.fields.push(lv);
    if (this.heading) this.under.push(t);
  }

  field(label: string, value: string, asLine = true): void {
    const [l, v] = [stripColon(label), tidy(value)];
    if (!l || !v) return;
    this.fields.push({ label: l, value: v });
    if (asLine) this.lines.push(`${l}: ${v}`);
    if (this.heading) this.under.push(`${l}: ${v}`);
  }

  /** Inline content of a block, split into lines at <br>. */
  inline(el: Element): void {
    let cur = "";
    const walk = (n: Node) => {
      if (n.nodeType === 3) cur += n.textContent ?? "";
      else if (n.nodeType === 1) {
        const e = n as Element;
        if (name(e) === "br") {
          this.line(cur);
          cur = "";
        } else e.childNodes.forEach(walk);
      }
    };
    el.childNodes.forEach(walk);
    this.line(cur);
  }

  block(el: Element): void {
    const n = name(el);
    if (HEADING.test(n) || n === "caption") {
      this.setHeading(el.textContent ?? "");
      return;
    }
    if (n === "table") return this.table(el);
    if (n === "dl") return this.dl(el);
    if (n === "p" || n === "li" || n === "dd" || n === "dt" || n === "pre" || ((n === "div" || n === "blockquote") && !hasBlockChild(el))) {
      const bold = boldOnly(el);
      if (bold && n !== "li") return this.setHeading(bold);
      const lead = boldLead(el);
      if (lead) return this.field(lead.label, lead.value);
      if (!hasBlockChild(el)) return this.inline(el);
    }
    this.container(el);
  }

  container(el: Element): void {
    let loose = "";
    const flushLoose = () => {
      if (loose.trim()) this.line(loose);
      loose = "";
    };
    for (const c of [...el.childNodes]) {
      if (c.nodeType === 3) loose += c.textContent ?? "";
      else if (c.nodeType === 1) {
        const e = c as Element;
        if (name(e) === "br") flushLoose();
        else if (BLOCK.has(name(e))) {
          flushLoose();
          this.block(e);
        } else {
          // An inline element among blocks: a bold-only one heads what follows.
          const t = tidy(e.textContent ?? "");
          if ((name(e) === "b" || name(e) === "strong") && !loose.trim() && t) {
            const next = e.nextSibling;
            const endsLine = !next || (next.nodeType === 1 && (name(next as Element) === "br" || BLOCK.has(name(next as Element))));
            if (endsLine) {
              this.setHeading(t);
              continue;
            }
          }
          loose += e.textContent ?? "";
        }
      }
    }
    flushLoose();
  }

  dl(el: Element): void {
    let label: string | null = null;
    for (const c of [...el.children]) {
      if (name(c) === "dt") label = tidy(c.textContent ?? "");
      else if (name(c) === "dd") {
        if (label) this.field(label, c.textContent ?? "");
        else this.line(c.textContent ?? "");
      }
    }
  }

  table(table: Element): void {
    const caption = [...table.children].find((c) => name(c) === "caption");
    if (caption) this.setHeading(caption.textContent ?? "");
    const rows = rowsOf(table);
    let columns: string[] | null = null;
    for (const tr of rows) {
      const cells = cellsOf(tr);
      if (!cells.length) continue;
      const ths = cells.filter((c) => name(c) === "th");
      const tds = cells.filter((c) => name(c) === "td");
      if (!tds.length) {
        // A header row: column headers over the rows below, or one heading across the table.
        const texts = ths.map(cellText);
        if (ths.length >= 2) columns = texts;
        else if (texts[0]) this.setHeading(texts[0]);
        continue;
      }
      if (columns && cells.length > 1) {
        const parts: string[] = [];
        cells.forEach((c, i) => {
          const v = cellText(c);
          const label = columns?.[i];
          if (label && v) {
            this.fields.push({ label: stripColon(label), value: v });
            parts.push(`${stripColon(label)}: ${v}`);
          } else if (v) parts.push(v);
        });
        if (parts.length) {
          this.lines.push(parts.join("; "));
          if (this.heading) this.under.push(parts.join("; "));
        }
        continue;
      }
      if (ths.length && tds.length) {
        this.field(ths.map(cellText).join(" "), tds.map(cellText).join(" "));
        continue;
      }
      if (tds.length === 2 && looksLikeLabel(cellText(tds[0]))) {
        this.field(cellText(tds[0]), cellText(tds[1]));
        continue;
      }
      const texts = cells.map(cellText).filter(Boolean);
      if (texts.length) this.line(texts.join("; "));
    }
  }

  finish(): Reading {
    this.closeHeading();
    return { fields: this.fields, lines: this.lines };
  }
}

/** Reads sanitised narrative HTML (falling back to plain text when there is no markup). */
export function readNarrative(html: string, text = ""): Reading {
  const r = new Reader();
  if (html.trim()) {
    const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}</body>`, "text/html");
    r.container(doc.body);
  } else {
    for (const l of text.split(/\n+/)) r.line(l);
  }
  return r.finish();
}
