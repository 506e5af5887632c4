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

/** A short message at the bottom of the window that fades after five seconds. */
export class Toast {
  readonly element = h("div", { class: "app-toast", role: "status", "aria-live": "polite", id: "toast" });

  show(text: string, error = false): void {
    this.element.textContent = text;
    this.element.classList.toggle("app-toast--error", error);
    this.element.classList.add("app-toast--shown");
    window.setTimeout(() => this.element.classList.remove("app-toast--shown"), 5000);
  }
}
