// Who is working: the chooser (at start when nobody is chosen, and from the header's Switch
// button) and the header's "Alex Admin (Admin) Switch" box.
import type { CurrentUser } from "../bindings/CurrentUser";
import type { Role } from "../bindings/Role";
import type { User } from "../bindings/User";
import { personLabel, roleLabel, ROLES, userName } from "../lib/workflow";
import { clear, h } from "../widgets/dom";

export interface ChooserActions {
  list: () => Promise<User[]>;
  /** Chooses `name`; resolves to an error message, or null when chosen. */
  choose: (name: string) => Promise<string | null>;
  /** Adds a profile; resolves to an error message, or null when added. */
  add: (name: string, role: Role) => Promise<string | null>;
}

export class UserChooser {
  readonly element = h("div", { class: "app-help app-chooser", id: "user-chooser", role: "dialog", "aria-modal": "true", "aria-labelledby": "chooser-title", hidden: true, tabindex: "-1" });
  private readonly body = h("div", { class: "app-chooser__body" });
  private readonly error = h("p", { class: "nhsuk-error-message app-chooser__error", id: "chooser-error", role: "alert" });
  private readonly closeButton = h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary", id: "chooser-close" }, "Cancel");
  private returnTo: HTMLElement | null = null;
  /** Nobody is working yet: the chooser cannot be closed without choosing. */
  private required = false;

  constructor(
    private readonly actions: ChooserActions,
    private readonly fallbackFocus: () => HTMLElement,
  ) {
    this.closeButton.addEventListener("click", () => this.close());
    this.element.append(
      h(
        "div",
        { class: "app-help__panel app-chooser__panel" },
        h("h2", { class: "nhsuk-heading-m", id: "chooser-title" }, "Who is working?"),
        h("p", { class: "nhsuk-body-s app-muted" }, "Everything you do is recorded under your name and role."),
        this.error,
        this.body,
        this.closeButton,
      ),
    );
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        if (!this.required) this.close();
      }
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Shows the chooser; `required` when nobody is working yet (it cannot be cancelled). */
  async show(required: boolean, current: CurrentUser | null = null): Promise<void> {
    this.required = required;
    this.closeButton.hidden = required;
    if (!this.open) this.returnTo = document.activeElement as HTMLElement | null;
    this.element.hidden = false;
    this.error.textContent = "";
    let users: User[] = [];
    try {
      users = await this.actions.list();
    } catch (e) {
      this.error.textContent = `The profiles could not be read: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.renderBody(users, current);
    const first = this.body.querySelector<HTMLElement>("button.app-chooser__person, input");
    (first ?? this.element).focus();
  }

  close(): void {
    this.element.hidden = true;
    (this.returnTo && document.contains(this.returnTo) ? this.returnTo : this.fallbackFocus()).focus();
  }

  private renderBody(all: User[], current: CurrentUser | null): void {
    clear(this.body);
    // People the practice removed cannot be chosen.
    const users = all.filter((u) => !u.removed_at);
    if (users.length) {
      this.body.append(
        h(
          "ul",
          { class: "app-chooser__people", "aria-label": "Profiles" },
          users.map((u) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "app-chooser__person",
                  "data-user": u.name,
                  "aria-current": current?.name === u.name ? "true" : null,
                  onclick: () => void this.choose(u.name),
                },
                h("span", { class: "app-chooser__name" }, userName(u)),
                u.display_name ? h("span", { class: "app-chooser__login" }, ` (${u.name})`) : null,
                h("span", { class: "app-chooser__role" }, roleLabel(u.role)),
              ),
            ),
          ),
        ),
      );
    }
    const form = this.addForm(users.length === 0);
    this.body.append(
      users.length
        ? h("details", { class: "nhsuk-details app-chooser__add" }, h("summary", { class: "nhsuk-details__summary" }, h("span", { class: "nhsuk-details__summary-text" }, "Add a profile")), h("div", { class: "nhsuk-details__text" }, form))
        : h("div", {}, h("h3", { class: "nhsuk-heading-s" }, "Add the first profile"), form),
    );
  }

  private addForm(first: boolean): HTMLElement {
    const name = h("input", { class: "nhsuk-input", id: "profile-name", type: "text", autocomplete: "off", spellcheck: "false" });
    const role = h("select", { class: "nhsuk-select", id: "profile-role" }, ROLES.map((r) => h("option", { value: r.id }, r.label)));
    if (first) role.value = "practice-manager";
    const form = h(
      "form",
      { class: "app-chooser__form" },
      h("div", { class: "nhsuk-form-group" }, h("label", { class: "nhsuk-label", for: "profile-name" }, "Full name"), name),
      h("div", { class: "nhsuk-form-group" }, h("label", { class: "nhsuk-label", for: "profile-role" }, "Role"), role),
      h("button", { type: "submit", class: "nhsuk-button", id: "profile-add" }, first ? "Add and start" : "Add profile"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.add(name.value.trim(), role.value as Role);
    });
    return form;
  }

  private async choose(name: string): Promise<void> {
    const problem = await this.actions.choose(name);
    if (problem) {
      this.error.textContent = problem;
      return;
    }
    this.close();
  }

  private async add(name: string, role: Role): Promise<void> {
    if (!name) {
      this.error.textContent = "Give the person's full name.";
      this.body.querySelector<HTMLInputElement>("#profile-name")?.focus();
      return;
    }
    const problem = await this.actions.add(name, role);
    if (problem) {
      this.error.textContent = problem;
      return;
    }
    await this.choose(name);
  }
}

/** The header's box: who is working, and the Switch button. */
export class UserBox {
  private readonly text = h("span", { class: "app-user__name", id: "current-user", "aria-live": "polite" });
  readonly button = h("button", { type: "button", class: "app-sync__button", id: "switch-user", "aria-keyshortcuts": "Shift+U" }, "Switch");
  readonly element = h("div", { class: "app-user" }, this.text, this.button);

  constructor(onSwitch: () => void) {
    this.button.addEventListener("click", () => onSwitch());
  }

  show(user: CurrentUser | null): void {
    this.text.textContent = user ? personLabel(userName(user), user.role) : "Nobody chosen";
    // On a desktop of a practice the person is its practice login: nobody else can be chosen.
    this.button.hidden = !!user?.practice_login;
    this.text.title = user?.practice_login ? `Your practice server login${user.display_name ? ` (${user.name})` : ""}: every step here is recorded as yours` : "";
    this.button.textContent = user ? "Switch" : "Choose";
    this.button.setAttribute("aria-label", user ? `Switch user (now ${personLabel(userName(user), user.role)})` : "Choose who is working");
  }
}
