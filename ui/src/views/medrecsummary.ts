// The printable summary of a medicines reconciliation (issue 13): the core's summary (Markdown
// rendered to safe HTML by the core, raw HTML escaped) in a dialog with Print and Close. Print
// records the print in the audit trail and opens the print dialog; the print stylesheet prints the
// summary alone. A summary that is not signed off is marked as a draft, on screen and on paper.
import type { MedrecSummary } from "../bindings/MedrecSummary";
import { tag } from "../lib/labels";
import { clear, h } from "../widgets/dom";

export interface MedrecSummaryActions {
  /** Records the print and opens the print dialog; resolves to why it could not, or null. */
  print: (documentId: number) => Promise<string | null>;
}

/** The words of the draft line the core writes at the top of a summary not signed off. */
const DRAFT_TEXT = "DRAFT: not signed off. Do not act on this copy.";

/**
 * Marks the draft line in the summary's HTML (the paragraph whose bold text starts "DRAFT"), or
 * adds one at the top if the core's is missing. Returns the draft line.
 */
export function markDraft(body: HTMLElement): HTMLElement {
  const line = [...body.querySelectorAll<HTMLElement>("p")].find((p) => /^\s*DRAFT\b/.test(p.querySelector("strong")?.textContent ?? ""));
  const draft = line ?? h("p", {}, h("strong", {}, DRAFT_TEXT));
  if (!line) {
    const title = body.querySelector("h1");
    if (title) title.after(draft);
    else body.prepend(draft);
  }
  draft.classList.add("app-medrec-print__draft");
  draft.setAttribute("data-testid", "medrec-summary-draft");
  return draft;
}

const FOCUSABLE = "button:not([disabled]), [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

export class MedrecSummaryDialog {
  readonly element = h("div", {
    class: "app-help app-medrec-print",
    id: "medrec-summary-view",
    role: "dialog",
    "aria-modal": "true",
    "aria-labelledby": "medrec-summary-title",
    hidden: true,
    tabindex: "-1",
    "data-testid": "medrec-summary-view",
  });
  private readonly body = h("div", { class: "app-medrec-print__body", id: "medrec-summary-body", role: "region", "aria-label": "The summary", tabindex: "0" });
  private readonly state = h("span", { class: "app-medrec-print__state" });
  private readonly status = h("p", { class: "app-medrec-print__status", role: "status" });
  private readonly printButton = h("button", { type: "button", class: "app-button", id: "medrec-print", "data-testid": "medrec-print", disabled: true }, "Print");
  private readonly closeButton = h("button", { type: "button", class: "app-button app-button--secondary", id: "medrec-summary-close", "data-testid": "medrec-summary-close" }, "Close");
  private documentId: number | null = null;
  /** Raised by each show, so a late answer for an earlier one is dropped. */
  private seq = 0;
  private returnTo: HTMLElement | null = null;

  constructor(
    private readonly actions: MedrecSummaryActions,
    private readonly fallbackFocus: () => HTMLElement | null,
  ) {
    this.element.append(
      h(
        "div",
        { class: "app-help__panel app-medrec-print__panel" },
        h(
          "div",
          { class: "app-medrec-print__tools" },
          h("h2", { class: "app-medrec-print__title", id: "medrec-summary-title" }, "Medicines reconciliation summary", this.state),
          this.printButton,
          this.closeButton,
        ),
        this.status,
        this.body,
      ),
    );
    this.printButton.addEventListener("click", () => void this.print());
    this.closeButton.addEventListener("click", () => this.close());
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.close();
      } else if (e.key === "Tab") {
        this.trapTab(e);
      }
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Opens the dialog for document `documentId` and shows the summary when `summary` arrives. */
  async show(documentId: number, summary: Promise<MedrecSummary>): Promise<void> {
    const seq = ++this.seq;
    if (!this.open) this.returnTo = document.activeElement as HTMLElement | null;
    this.documentId = documentId;
    this.element.hidden = false;
    document.body.classList.add("app-summary-open");
    this.element.classList.remove("app-medrec-print--draft");
    clear(this.state);
    this.status.textContent = "";
    this.printButton.disabled = true;
    clear(this.body);
    this.body.append(h("p", { class: "app-muted" }, "Preparing the summary…"));
    this.element.focus();
    let answer: MedrecSummary;
    try {
      answer = await summary;
    } catch (e) {
      if (seq !== this.seq || !this.open) return;
      clear(this.body);
      this.body.append(h("p", { class: "nhsuk-error-message", role: "alert" }, `The summary could not be prepared: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (seq !== this.seq || !this.open) return;
    this.draw(answer);
  }

  /** Draws `summary` (its HTML is the core's, with raw HTML escaped). */
  draw(summary: MedrecSummary): void {
    clear(this.body);
    clear(this.state);
    this.body.innerHTML = summary.html;
    this.element.classList.toggle("app-medrec-print--draft", summary.draft);
    if (summary.draft) {
      markDraft(this.body);
      this.state.append(" ", tag("Draft: not signed off", "red", "app-tag--small"));
    } else {
      this.state.append(" ", tag("Signed off", "green", "app-tag--small"));
    }
    this.printButton.disabled = false;
  }

  close(): void {
    if (!this.open) return;
    this.seq++;
    this.element.hidden = true;
    document.body.classList.remove("app-summary-open");
    clear(this.body);
    const back = this.returnTo && document.contains(this.returnTo) ? this.returnTo : this.fallbackFocus();
    back?.focus();
  }

  private async print(): Promise<void> {
    const id = this.documentId;
    if (id === null || this.printButton.disabled) return;
    this.status.textContent = "Opening the print dialog…";
    const problem = await this.actions.print(id);
    if (!this.open || this.documentId !== id) return;
    this.status.classList.toggle("app-medrec-print__status--error", !!problem);
    this.status.textContent = problem ? `Not printed: ${problem}` : "Sent to the print dialog. The print is recorded in the document's audit trail.";
  }

  /** Keeps Tab and Shift + Tab within the dialog while it is open. */
  private trapTab(e: KeyboardEvent): void {
    const items = [...this.element.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest("[hidden]"));
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const at = document.activeElement;
    if (e.shiftKey && (at === first || at === this.element)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && at === last) {
      e.preventDefault();
      first.focus();
    }
  }
}
