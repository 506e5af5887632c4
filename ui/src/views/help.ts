// The keyboard shortcuts panel, built from the same table as the key handler (lib/keyboard.ts).
import { keyName, SHORTCUTS } from "../lib/keyboard";
import { h } from "../widgets/dom";

export class HelpPanel {
  readonly element = h("div", { class: "app-help", id: "help", role: "dialog", "aria-modal": "true", "aria-labelledby": "help-title", hidden: true, tabindex: "-1" });
  private returnTo: HTMLElement | null = null;

  /** `fallbackFocus`: where focus goes on closing when nothing had it on opening. */
  constructor(private readonly fallbackFocus: () => HTMLElement) {
    this.element.append(
      h(
        "div",
        { class: "app-help__panel" },
        h("h2", { class: "nhsuk-heading-m", id: "help-title" }, "Keyboard shortcuts"),
        h(
          "table",
          { class: "nhsuk-table app-help__table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Action"))),
          (["List", "Document", "Workflow", "Queues", "Window"] as const).map((group) =>
            h(
              "tbody",
              {},
              h("tr", {}, h("th", { scope: "colgroup", colspan: "2", class: "app-help__group" }, group)),
              SHORTCUTS.filter((s) => s.group === group).map((s) =>
                h("tr", {}, h("td", {}, s.keys.flatMap((k, i) => [i ? " or " : "", h("kbd", {}, keyName(k, s.ctrl))])), h("td", {}, s.description)),
              ),
            ),
          ),
        ),
        h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary", id: "help-close", onclick: () => this.toggle(false) }, "Close"),
      ),
    );
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Opens or closes the panel; closing returns focus where it was. */
  toggle(show = !this.open): void {
    if (show) {
      this.returnTo = document.activeElement as HTMLElement | null;
      this.element.hidden = false;
      this.element.focus();
    } else {
      this.element.hidden = true;
      (this.returnTo ?? this.fallbackFocus()).focus();
    }
  }
}

/** The "Shortcuts (?)" button in the header. */
export function helpButton(onClick: () => void): HTMLButtonElement {
  return h("button", { type: "button", class: "app-sync__button app-sync__help", id: "help-button", "aria-keyshortcuts": "?", onclick: onClick }, "Shortcuts (?)");
}
