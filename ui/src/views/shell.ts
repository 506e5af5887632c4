// The window's frame: the header, the status bar, the toast, and the screen shown instead of
// the inbox when the encrypted store could not be opened.
import type { CommandError } from "../api";
import type { AppStatus } from "../bindings/AppStatus";
import type { ErrorCode } from "../bindings/ErrorCode";
import { h } from "../widgets/dom";

export function header(extra?: HTMLElement): HTMLElement {
  return h(
    "header",
    { class: "nhsuk-header app-header", role: "banner" },
    h(
      "div",
      { class: "app-header__inner" },
      h("span", { class: "app-header__logo", "aria-hidden": "true" }, "H"),
      h("span", { class: "app-header__service" }, "Handover"),
      h("span", { class: "app-header__tagline" }, "Transfer of Care inbox"),
      extra ?? null,
    ),
  );
}

const ADVICE: Partial<Record<ErrorCode, string>> = {
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

/** The status bar: the encrypted store, the document counts, the keyring, the data folder, the version. */
export class StatusBar {
  private readonly counts = h("span", { id: "store-counts" });
  readonly element: HTMLElement;

  constructor(status: AppStatus) {
    const s = status.store;
    this.element = h(
      "footer",
      { class: "app-statusbar", role: "contentinfo" },
      h("span", { id: "store-status" }, `Encrypted store (SQLCipher ${s.cipher_version})`),
      this.counts,
      h("span", {}, `Key in OS keyring (${s.keyring_backend})`),
      h("span", { class: "app-statusbar__path", title: s.database }, s.data_dir),
      h("span", {}, `Handover ${status.version}`),
    );
  }

  setCounts(text: string): void {
    this.counts.textContent = text;
  }
}

/** A button in a toast ("Undo"). */
export interface ToastAction {
  label: string;
  run: () => void;
}

/**
 * A short message at the bottom of the window that fades after a while (five seconds, or as long
 * as its action is offered). The message is announced; its button is reachable by Tab and by the
 * shortcut its label names.
 */
export class Toast {
  private readonly text = h("span", { class: "app-toast__text", role: "status", "aria-live": "polite", id: "toast" });
  readonly element = h("div", { class: "app-toast" }, this.text);
  private timer = 0;

  show(text: string, error = false, action: ToastAction | null = null, ms = 5000): void {
    window.clearTimeout(this.timer);
    this.text.textContent = text;
    this.element.querySelector(".app-toast__action")?.remove();
    if (action) {
      this.element.append(
        h(
          "button",
          {
            type: "button",
            class: "app-toast__action",
            "data-testid": "toast-action",
            onclick: () => {
              this.hide();
              action.run();
            },
          },
          action.label,
        ),
      );
    }
    this.element.classList.toggle("app-toast--error", error);
    this.element.classList.toggle("app-toast--action", !!action);
    this.element.classList.add("app-toast--shown");
    this.timer = window.setTimeout(() => this.hide(), ms);
  }

  hide(): void {
    window.clearTimeout(this.timer);
    this.element.classList.remove("app-toast--shown", "app-toast--action");
    this.element.querySelector(".app-toast__action")?.remove();
  }
}
