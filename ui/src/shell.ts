import type { AppStatus } from "./bindings/AppStatus";
import type { CommandError } from "./api";
import { h } from "./dom";

const QUEUES: { id: string; label: string; count: (s: AppStatus) => number }[] = [
  { id: "new", label: "New", count: (s) => s.store.documents.new },
  { id: "needs-action", label: "Needs action", count: (s) => s.store.documents.needs_action },
  { id: "quarantine", label: "Quarantine", count: (s) => s.store.documents.quarantined },
  { id: "filed", label: "Filed", count: (s) => s.store.documents.filed },
];

function header(): HTMLElement {
  return h(
    "header",
    { class: "nhsuk-header app-header", role: "banner" },
    h(
      "div",
      { class: "app-header__inner" },
      h("span", { class: "app-header__logo", "aria-hidden": "true" }, "H"),
      h("span", { class: "app-header__service" }, "Handover"),
      h("span", { class: "app-header__tagline" }, "Transfer of Care inbox"),
    ),
  );
}

/** The three-pane inbox: queues, the document list, and the document view. */
export function renderShell(status: AppStatus): HTMLElement {
  const total = status.store.documents.total;
  const queues = h(
    "nav",
    { class: "app-queues", "aria-label": "Queues" },
    h(
      "ul",
      { class: "app-queues__list" },
      QUEUES.map((q, i) =>
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/queue/${q.id}`,
              class: "app-queues__link",
              "aria-current": i === 0 ? "page" : null,
              "data-queue": q.id,
            },
            h("span", {}, q.label),
            h("span", { class: "app-queues__count" }, String(q.count(status))),
          ),
        ),
      ),
    ),
  );
  const list = h(
    "section",
    { class: "app-list", "aria-labelledby": "inbox-heading" },
    h("h1", { id: "inbox-heading", class: "nhsuk-heading-m app-list__heading" }, "Inbox"),
    h(
      "div",
      { id: "inbox-list", class: "app-list__rows", tabindex: "-1", role: "list" },
      total === 0
        ? h(
            "div",
            { class: "app-empty", role: "listitem" },
            h("p", { class: "nhsuk-body" }, "No documents yet."),
            h(
              "p",
              { class: "nhsuk-body-s app-muted" },
              "Discharge summaries and letters from your MESH mailbox appear here as soon as they are received.",
            ),
          )
        : null,
    ),
  );
  const view = h(
    "section",
    { class: "app-document", "aria-label": "Document" },
    h("p", { class: "nhsuk-body app-muted app-document__empty" }, "Select a document to read it here."),
  );
  const footer = h(
    "footer",
    { class: "app-statusbar", role: "contentinfo" },
    h("span", { id: "store-status" }, `Encrypted store (SQLCipher ${status.store.cipher_version})`),
    h("span", {}, `Key in OS keyring (${status.store.keyring_backend})`),
    h("span", { class: "app-statusbar__path", title: status.store.database }, status.store.data_dir),
    h("span", {}, `Handover ${status.version}`),
  );
  return h("div", { class: "app-layout" }, header(), h("main", { class: "app-panes", id: "main" }, queues, list, view), footer);
}

const ADVICE: Record<string, string> = {
  keyring_unavailable:
    "Handover keeps the key to its encrypted records in your computer's keyring. Unlock the keyring (or sign in to the desktop again) and restart Handover.",
  database_key_missing:
    "The records on this computer are encrypted with a key that is not in this keyring. Ask IT support to restore the keyring entry; do not delete the records.",
  database_key_mismatch:
    "The key in the keyring does not open the records. Ask IT support to restore the matching key or a backup.",
  database_not_encrypted: "An unencrypted database was found where Handover keeps its records. Ask IT support to move it aside.",
};

/** Shown instead of the inbox when the encrypted store could not be opened. */
export function renderStoreError(error: CommandError): HTMLElement {
  return h(
    "div",
    { class: "app-layout" },
    header(),
    h(
      "main",
      { class: "app-fatal", id: "main" },
      h(
        "div",
        { class: "nhsuk-error-summary", role: "alert", tabindex: "-1", "aria-labelledby": "fatal-title" },
        h("h1", { class: "nhsuk-error-summary__title", id: "fatal-title" }, "Handover cannot open its records"),
        h(
          "div",
          { class: "nhsuk-error-summary__body" },
          h("p", {}, ADVICE[error.code] ?? "Handover stopped before showing any records, so nothing out of date is shown."),
          h("p", { class: "app-fatal__detail" }, error.message),
          h("p", { class: "nhsuk-body-s app-muted" }, `Error code: ${error.code}`),
        ),
      ),
    ),
  );
}
