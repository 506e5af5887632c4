// The queue navigation (left pane): New, Needs action, Quarantine, Filed, All, with counts.
import type { QueueEntry, QueueId } from "../state/inbox";
import { clear, h } from "../widgets/dom";

/** A page of the navigation below the queues (Tasks, Audit). */
export interface PageEntry {
  id: "tasks" | "audit";
  label: string;
  count: number | null;
  current: boolean;
  key: string | null;
}

export class QueueNav {
  readonly list = h("ul", { class: "app-queues__list" });
  readonly pages = h("ul", { class: "app-queues__list app-queues__pages" });
  readonly element = h("nav", { class: "app-queues", "aria-label": "Queues" }, this.list, this.pages);

  constructor(
    private readonly onSelect: (queue: QueueId) => void,
    private readonly onPage: (page: "tasks" | "audit") => void = () => {},
  ) {}

  renderPages(entries: PageEntry[]): void {
    clear(this.pages);
    for (const p of entries) {
      this.pages.append(
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/${p.id}`,
              class: "app-queues__link",
              "aria-current": p.current ? "page" : null,
              "data-page": p.id,
              "aria-keyshortcuts": p.key,
              onclick: (e: Event) => {
                e.preventDefault();
                this.onPage(p.id);
              },
            },
            h("span", {}, p.label),
            h("span", { class: "app-queues__count" }, p.count === null ? "" : String(p.count)),
          ),
        ),
      );
    }
  }

  render(entries: QueueEntry[]): void {
    clear(this.list);
    for (const q of entries) {
      this.list.append(
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/queue/${q.id}`,
              class: `app-queues__link${q.alert ? " app-queues__link--alert" : ""}`,
              "aria-current": q.current ? "page" : null,
              "data-queue": q.id,
              "aria-keyshortcuts": q.key,
              onclick: (e: Event) => {
                e.preventDefault();
                this.onSelect(q.id);
              },
            },
            h("span", {}, q.label),
            h("span", { class: "app-queues__count" }, q.count === null ? "" : String(q.count)),
          ),
        ),
      );
    }
  }
}
