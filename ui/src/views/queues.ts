// The queue navigation (left pane): New, Needs action, Quarantine, Filed, All, with counts.
import type { QueueEntry, QueueId } from "../state/inbox";
import { clear, h } from "../widgets/dom";

export class QueueNav {
  readonly list = h("ul", { class: "app-queues__list" });
  readonly element = h("nav", { class: "app-queues", "aria-label": "Queues" }, this.list);

  constructor(private readonly onSelect: (queue: QueueId) => void) {}

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
