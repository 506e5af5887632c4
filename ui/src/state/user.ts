// Who is working: the person chosen on this desktop and what their role lets them do. The name
// is remembered (per store) and chosen again at the next start. No DOM.
import type { CurrentUser } from "../bindings/CurrentUser";
import type { Permission } from "../bindings/Permission";
import type { Storage } from "../lib/prefs";

export class UserState {
  private readonly key: string;
  private who: CurrentUser | null = null;

  constructor(
    private readonly storage: Storage | null,
    scope: string,
  ) {
    this.key = `handover.user:${scope}`;
  }

  get current(): CurrentUser | null {
    return this.who;
  }

  /** The person now working (remembered for the next start), or nobody. */
  set(user: CurrentUser | null): void {
    this.who = user;
    if (user) {
      try {
        this.storage?.setItem(this.key, user.name);
      } catch {
        /* not remembered: the chooser shows at the next start */
      }
    }
  }

  /** The name chosen last time on this desktop, if any. */
  remembered(): string | null {
    try {
      const name = this.storage?.getItem(this.key);
      return name && name.trim() ? name : null;
    } catch {
      return null;
    }
  }

  can(permission: Permission): boolean {
    return !!this.who && this.who.permissions.includes(permission);
  }
}
