// The mailbox settings screen: the mailbox in use (never a secret; if it comes from the
// environment, it cannot be changed here), "Test connection", and a form for the practice's MESH
// mailbox whose Save tests the mailbox before saving it. Errors are worded from their code.
import { toCommandError } from "../api";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { MailboxDescription } from "../bindings/MailboxDescription";
import type { MailboxSettingsView } from "../bindings/MailboxSettingsView";
import type { MailboxTest } from "../bindings/MailboxTest";
import type { MeshMailboxInput } from "../bindings/MeshMailboxInput";
import type { PracticeServerCheck } from "../bindings/PracticeServerCheck";
import type { User } from "../bindings/User";
import { formatDate } from "../lib/format";
import { roleLabel } from "../lib/workflow";
import { clear, h } from "../widgets/dom";

export interface SettingsHandlers {
  load: () => Promise<MailboxSettingsView>;
  test: () => Promise<MailboxTest>;
  save: (input: MeshMailboxInput) => Promise<MailboxTest>;
  /** Checks and saves the practice server (this computer becomes one of the practice's desktops). */
  savePractice: (url: string, password: string) => Promise<PracticeServerCheck>;
  /** A mailbox or practice server was saved (the sync switches to it). */
  saved: () => void;
  /** The practice's people as this computer last pulled them (a desktop of a practice). */
  people?: () => Promise<User[]>;
}

/** What went wrong, in plain words, by error code (the message itself goes under "Technical details"). */
const WORDS: Partial<Record<ErrorCode, string>> = {
  mesh_authentication: "MESH did not accept the mailbox password or shared key. Check them with whoever issued the mailbox.",
  mesh_unknown_mailbox: "MESH does not know this mailbox ID. Check the ID (for example X26ABC1).",
  mesh_connection: "Handover could not connect to the MESH address. Check the address and the network.",
  mesh_timeout: "MESH did not answer in time. Try again; if it keeps happening, check the network.",
  mesh_tls: "The secure connection to MESH failed. Check the client certificate, its key and the CA bundle.",
  mesh_insecure_url: "The MESH address must start with https://.",
  mesh_config: "These settings are not valid for a MESH mailbox. Check each field.",
  mesh_config_incomplete: "Some settings are missing: the address, mailbox ID, password and shared key are all needed.",
  mesh_secret_missing: "The mailbox password or shared key is missing from this computer's keyring. Enter them again and save.",
  mesh_server_error: "MESH had a problem of its own. Try again later.",
  mesh_rate_limited: "MESH asked Handover to slow down. Try again in a few minutes.",
  mesh_rejected: "MESH refused the request.",
  keyring_unavailable: "The computer's keyring could not be used to keep the secrets. Unlock the keyring and try again.",
  keyring_not_persistent: "The computer's keyring does not keep what is stored in it, so the secrets cannot be saved.",
  no_mailbox: "No mailbox is set up yet.",
  mailbox_folder_missing: "The mailbox folder does not exist.",
  practice_unreachable: "The practice server could not be reached. Check the address and that this computer can reach it.",
  practice_authentication: "The practice server did not accept the login or password.",
  practice_insecure_connection: "The practice server is not on this computer, so the connection must be protected: add sslrootcert (and the device's sslcert and sslkey where the practice uses them).",
  practice_certificate_invalid: "The practice server's certificate did not verify: check sslrootcert, and that the address is the name on the certificate.",
  practice_not_member: "This login is not a member of any practice on that server.",
  practice_server_changed: "This computer's records came from another practice server or practice: it cannot be switched to this one.",
  file_unreadable: "A certificate, key or CA bundle file could not be read. Check the path.",
  input: "Some of what was entered is not valid.",
};

export function errorWords(code: ErrorCode): string {
  return WORDS[code] ?? "The mailbox could not be used.";
}

function describe(m: MailboxDescription): [string, string | null][] {
  return [
    ["Kind", m.kind === "mesh" ? "MESH mailbox" : m.kind === "folder" ? "Folder (for testing and demonstrations)" : m.kind],
    [m.kind === "folder" ? "Folder" : "Mailbox ID", m.mailbox],
    ["MESH address", m.url],
    ["Client certificate", m.client_cert],
    ["Client key", m.client_key],
    ["CA bundle", m.ca_bundle],
  ];
}

function fields(list: [string, string | null][]): HTMLElement {
  return h(
    "dl",
    { class: "app-settings__fields" },
    list.filter(([, v]) => v).flatMap(([l, v]) => [h("dt", {}, l), h("dd", {}, v ?? "")]),
  );
}

/**
 * The practice's people, as the practice server names them: who may work here, with what role,
 * and who was removed (kept, as the audit trail names them). Changed only on the server
 * (`handover practice add-user`, `set-role`, `remove-user`), by whoever administers it.
 */
export function peopleTable(users: User[]): HTMLElement {
  const sorted = [...users].sort((a, b) => Number(!!a.removed_at) - Number(!!b.removed_at) || (a.display_name ?? a.name).localeCompare(b.display_name ?? b.name));
  return h(
    "section",
    { class: "app-settings__section", "aria-labelledby": "settings-people", "data-testid": "practice-people" },
    h("h3", { class: "nhsuk-heading-s", id: "settings-people" }, `The practice's people (${users.filter((u) => !u.removed_at).length})`),
    h(
      "table",
      { class: "nhsuk-table app-table" },
      h("thead", {}, h("tr", {}, ["Name", "Login", "Role", "Since"].map((c) => h("th", { scope: "col", class: "nhsuk-table__header" }, c)))),
      h(
        "tbody",
        {},
        sorted.map((u) =>
          h(
            "tr",
            { "data-login": u.name, class: u.removed_at ? "app-muted" : null },
            h("td", {}, u.display_name ?? u.name),
            h("td", {}, u.name),
            h("td", {}, roleLabel(u.role)),
            h("td", { class: "app-nowrap" }, u.removed_at ? `removed ${formatDate(u.removed_at)}` : formatDate(u.added_at)),
          ),
        ),
      ),
    ),
    h("p", { class: "app-small" }, "People are added, given roles and removed on the practice server by whoever administers it (handover practice add-user, set-role, remove-user). Each change is in the practice's audit trail."),
  );
}

function testResult(t: MailboxTest): HTMLElement {
  return h(
    "div",
    { class: "app-settings__result app-settings__result--ok", role: "status", "data-testid": "mailbox-test-result" },
    h("p", {}, h("strong", {}, t.handshake ? "Connected." : "Reached the mailbox."), ` ${t.handshake ? "The mailbox answered and accepted the credentials." : "The handshake was not confirmed."}`),
    h("p", {}, `${t.waiting} ${t.waiting === 1 ? "message is" : "messages are"} waiting in ${t.mailbox.kind === "mesh" ? `MESH mailbox ${t.mailbox.mailbox}` : `folder ${t.mailbox.mailbox}`}.`),
  );
}

function errorResult(e: unknown, prefix: string): HTMLElement {
  const err = toCommandError(e);
  return h(
    "div",
    { class: "app-settings__result app-settings__result--error", role: "alert", "data-testid": "mailbox-test-error", "data-code": err.code },
    h("p", {}, h("strong", {}, prefix), ` ${errorWords(err.code)}`),
    h("details", { class: "app-stale__details" }, h("summary", {}, "Technical details"), h("p", { class: "app-stale__detail" }, `[${err.code}] ${err.message}`)),
  );
}

export class SettingsDialog {
  readonly element = h("div", { class: "app-help app-settings", id: "settings", role: "dialog", "aria-modal": "true", "aria-labelledby": "settings-title", hidden: true, tabindex: "-1" });
  private readonly body = h("div", { class: "app-settings__body" });
  private returnTo: HTMLElement | null = null;

  constructor(
    private readonly handlers: SettingsHandlers,
    private readonly fallbackFocus: () => HTMLElement,
  ) {
    this.element.append(
      h(
        "div",
        { class: "app-help__panel app-settings__panel" },
        h("h2", { class: "nhsuk-heading-m", id: "settings-title" }, "Mailbox settings"),
        this.body,
        h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary", id: "settings-close", onclick: () => this.close() }, "Close"),
      ),
    );
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.close();
      }
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  async show(): Promise<void> {
    this.returnTo = document.activeElement as HTMLElement | null;
    this.element.hidden = false;
    clear(this.body);
    this.body.append(h("p", { class: "app-muted" }, "Reading the mailbox settings…"));
    this.element.focus();
    try {
      this.draw(await this.handlers.load());
    } catch (e) {
      clear(this.body);
      this.body.append(errorResult(e, "The settings could not be read."));
    }
  }

  close(): void {
    if (!this.open) return;
    this.element.hidden = true;
    (this.returnTo && document.contains(this.returnTo) ? this.returnTo : this.fallbackFocus()).focus();
  }

  private draw(view: MailboxSettingsView): void {
    clear(this.body);
    if (view.practice_server) {
      // A desktop of a practice: documents come from the practice server, whose `handover
      // serve` reads the practice's MESH mailbox. Nothing to set up here.
      this.body.append(
        h(
          "section",
          { class: "app-settings__section", "aria-labelledby": "settings-current", "data-testid": "settings-practice" },
          h("h3", { class: "nhsuk-heading-s", id: "settings-current" }, "Documents come from the practice server"),
          fields([
            ["Practice", view.practice_name ?? "not reached yet"],
            ["Server", view.practice_server],
          ]),
          h(
            "p",
            {},
            "The practice's MESH mailbox is read by the practice server, and every computer of the practice shares its documents and the work done on them. This computer keeps an encrypted copy, so it can still show what it had if the server cannot be reached.",
          ),
          view.practice_source === "environment"
            ? h("p", { class: "app-settings__env" }, "The server is set by this computer's environment (HANDOVER_PRACTICE_DATABASE): ask IT support to change it.")
            : h("p", { class: "app-small" }, "Saved on this computer (the password is in its keyring)."),
        ),
      );
      const people = this.handlers.people;
      if (people) {
        const slot = h("div", {});
        this.body.append(slot);
        void people()
          .then((users) => {
            if (users.length) slot.append(peopleTable(users));
          })
          .catch(() => {
            /* the section is left out; the rest of the screen stands */
          });
      }
      if (view.practice_source !== "environment") this.body.append(this.practiceForm(view.practice_server));
      return;
    }
    const result = h("div", { class: "app-settings__slot", "data-testid": "settings-result" });
    const inUse = h(
      "section",
      { class: "app-settings__section", "aria-labelledby": "settings-current" },
      h("h3", { class: "nhsuk-heading-s", id: "settings-current" }, "The mailbox in use"),
      view.mailbox ? fields(describe(view.mailbox)) : h("p", { "data-testid": "settings-no-mailbox" }, "No mailbox is set up: no documents can arrive until one is."),
      view.from_environment
        ? h("p", { class: "app-settings__env", "data-testid": "settings-from-environment" }, "This mailbox is set by the computer's environment (HANDOVER_MESH_* or HANDOVER_MAILBOX_DIR), which overrides saved settings, so it cannot be changed here. Ask IT support to change it.")
        : null,
      view.error ? h("div", { class: "app-settings__result app-settings__result--error", role: "alert" }, h("p", {}, h("strong", {}, "This mailbox cannot be used. "), errorWords(view.error.code)), h("p", { class: "app-stale__detail" }, `[${view.error.code}] ${view.error.message}`)) : null,
      view.mailbox
        ? h(
            "button",
            {
              type: "button",
              class: "nhsuk-button nhsuk-button--secondary app-small-button",
              "data-testid": "test-connection",
              onclick: async (e: Event) => {
                const button = e.currentTarget as HTMLButtonElement;
                button.disabled = true;
                clear(result);
                result.append(h("p", { class: "app-muted", role: "status" }, "Testing the connection…"));
                try {
                  const t = await this.handlers.test();
                  clear(result);
                  result.append(testResult(t));
                } catch (err) {
                  clear(result);
                  result.append(errorResult(err, "The test failed."));
                } finally {
                  button.disabled = false;
                  button.focus();
                }
              },
            },
            "Test connection",
          )
        : null,
      result,
    );
    this.body.append(inUse);
    if (!view.from_environment) {
      this.body.append(this.form(view.mailbox?.kind === "mesh" ? view.mailbox : null));
      this.body.append(this.practiceForm(null));
    }
  }

  /**
   * "Use the practice server": this computer becomes one of the practice's desktops, sharing
   * its inbox. Save checks the server first (nothing is saved unless it answers, accepts the
   * login and is the server this computer's records came from).
   */
  private practiceForm(current: string | null): HTMLElement {
    const field = (id: string, label: string, hint: string, attrs: Record<string, string>) => {
      const el = h("input", { class: "nhsuk-input app-settings__input", id, name: id, autocomplete: "off", spellcheck: "false", "aria-describedby": `${id}-hint`, ...attrs });
      return {
        el,
        row: h("div", { class: "nhsuk-form-group app-settings__group" }, h("label", { class: "nhsuk-label", for: id }, label), h("div", { class: "nhsuk-hint app-small", id: `${id}-hint` }, hint), el),
      };
    };
    const url = field("practice-url", "Practice server address", "postgres://LOGIN@HOST:PORT/DATABASE, with ?sslrootcert=... where the server is not on this computer (ask the practice manager)", { required: "" });
    const password = field("practice-password", "Your practice server password", "Kept in this computer's keyring, never in a file", { type: "password", required: "" });
    const result = h("div", { class: "app-settings__slot", "data-testid": "practice-save-result" });
    const save = h("button", { type: "submit", class: "nhsuk-button app-small-button", "data-testid": "save-practice" }, "Test and save");
    const form = h(
      "form",
      { class: "app-settings__section", "aria-labelledby": "settings-practice-title", novalidate: true, "data-testid": "practice-form" },
      h("h3", { class: "nhsuk-heading-s", id: "settings-practice-title" }, current ? "Change the practice server login" : "Or: share the practice's inbox through its practice server"),
      h("p", { class: "app-small" }, "Where the practice runs a Handover practice server, every computer shares one inbox: documents, filing, tasks and notes."),
      url.row,
      password.row,
      result,
      save,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clear(result);
      if (!url.el.value.trim() || !password.el.value) {
        result.append(h("p", { class: "nhsuk-error-message", role: "alert" }, "Enter the practice server's address and your password."));
        return;
      }
      save.disabled = true;
      result.append(h("p", { class: "app-muted", role: "status" }, "Checking the practice server before saving…"));
      try {
        const check = await this.handlers.savePractice(url.el.value.trim(), password.el.value);
        password.el.value = "";
        clear(result);
        result.append(h("p", { role: "status" }, h("strong", {}, "Saved. "), `This computer now shares the inbox of ${check.practice_name} (${check.practice_id}) at ${check.address}, and is fetching it.`));
        this.handlers.saved();
      } catch (err) {
        clear(result);
        result.append(errorResult(err, "Not saved."));
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }

  private form(current: MailboxDescription | null): HTMLElement {
    const input = (id: string, label: string, hint: string | null, attrs: Record<string, string> = {}, value = "") => {
      const el = h("input", { class: "nhsuk-input app-settings__input", id, name: id, autocomplete: "off", spellcheck: "false", "aria-describedby": hint ? `${id}-hint` : null, ...attrs });
      el.value = value;
      return {
        el,
        row: h(
          "div",
          { class: "nhsuk-form-group app-settings__group" },
          h("label", { class: "nhsuk-label", for: id }, label),
          hint ? h("div", { class: "nhsuk-hint app-small", id: `${id}-hint` }, hint) : null,
          el,
        ),
      };
    };
    const url = input("mesh-url", "MESH address", "For example https://mesh-sync.spineservices.nhs.uk", { type: "url", required: "" }, current?.url ?? "");
    const mailbox = input("mesh-mailbox", "Mailbox ID", "For example X26ABC1", { required: "" }, current?.mailbox ?? "");
    const password = input("mesh-password", "Mailbox password", "Kept in this computer's keyring, never in a file", { type: "password", required: "" });
    const sharedKey = input("mesh-shared-key", "Shared key", "The environment's MESH shared key; kept in the keyring", { type: "password", required: "" });
    const cert = input("mesh-client-cert", "Client certificate (optional)", "Path to the PEM file", {}, current?.client_cert ?? "");
    const key = input("mesh-client-key", "Client key (optional)", "Path to the PEM file", {}, current?.client_key ?? "");
    const ca = input("mesh-ca-bundle", "CA bundle (optional)", "Path to the PEM file", {}, current?.ca_bundle ?? "");
    const error = h("div", { class: "app-settings__slot", "data-testid": "save-result" });
    const save = h("button", { type: "submit", class: "nhsuk-button app-small-button", "data-testid": "save-mailbox" }, "Test and save");
    const form = h(
      "form",
      { class: "app-settings__section", "aria-labelledby": "settings-form-title", novalidate: true },
      h("h3", { class: "nhsuk-heading-s", id: "settings-form-title" }, current ? "Change the MESH mailbox" : "Set up the practice's MESH mailbox"),
      h("p", { class: "app-small" }, "Save tests the mailbox first: nothing is saved unless MESH accepts it."),
      [url, mailbox, password, sharedKey, cert, key, ca].map((f) => f.row),
      error,
      save,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const opt = (v: string) => (v.trim() ? v.trim() : null);
      const missing = [
        [url, "the MESH address"],
        [mailbox, "the mailbox ID"],
        [password, "the password"],
        [sharedKey, "the shared key"],
      ].filter(([f]) => !(f as { el: HTMLInputElement }).el.value.trim());
      clear(error);
      if (missing.length) {
        error.append(h("p", { class: "nhsuk-error-message", role: "alert" }, `Enter ${missing.map(([, w]) => w).join(", ")}.`));
        return;
      }
      save.disabled = true;
      error.append(h("p", { class: "app-muted", role: "status" }, "Testing the mailbox before saving…"));
      try {
        const t = await this.handlers.save({
          url: url.el.value.trim(),
          mailbox: mailbox.el.value.trim(),
          password: password.el.value,
          shared_key: sharedKey.el.value,
          client_cert: opt(cert.el.value),
          client_key: opt(key.el.value),
          ca_bundle: opt(ca.el.value),
        });
        password.el.value = "";
        sharedKey.el.value = "";
        clear(error);
        error.append(h("p", { role: "status" }, h("strong", {}, "Saved. "), "Handover now uses this mailbox and is syncing."), testResult(t));
        this.handlers.saved();
      } catch (err) {
        clear(error);
        error.append(errorResult(err, "Not saved."));
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }
}
