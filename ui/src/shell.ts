import type { CommandError } from "./api";
import { h } from "./dom";

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
