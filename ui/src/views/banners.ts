// The global stale-data banner (says what is shown, as of when, and why), the "last sync
// finished with problems" notice and the sync indicator in the header. Built only from the
// backend's SyncStatusView (never from guesses in the window).
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ProblemKind } from "../bindings/ProblemKind";
import type { SyncStatusView } from "../bindings/SyncStatusView";
import { clear, h } from "../widgets/dom";
import { when } from "../lib/format";

export interface StaleNotice {
  /** The full error text, for the "Technical details" disclosure. */
  detail?: string | null;
  /** `warning`: records may be out of date (not dismissible); `info`: plain notice. */
  level: "warning" | "info";
  /** What the banner is about, for tests and styling; the freshness kind when stale. */
  kind?: string;
  /** Offer the mailbox settings (no usable mailbox). */
  settings?: boolean;
  title: string;
  lines: string[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Plain words for the sync errors a person can do something about, by code. */
const PLAIN: Partial<Record<ErrorCode, string>> = {
  mesh_connection: "could not connect",
  mesh_timeout: "no answer in time",
  mesh_tls: "secure connection failed",
  mesh_authentication: "mailbox password or key rejected",
  mesh_unknown_mailbox: "the mailbox id is not known to MESH",
  mesh_server_error: "MESH server error",
  mesh_rate_limited: "MESH asked Handover to slow down",
  mesh_insecure_url: "the MESH address is not secure",
  mesh_config: "the mailbox settings are not valid",
  mesh_config_incomplete: "the mailbox settings are incomplete",
  mesh_secret_missing: "the mailbox password or key is missing from the keyring",
  mailbox_folder_missing: "the mailbox folder does not exist",
  keyring_unavailable: "the keyring could not be read",
  practice_unreachable: "no connection",
  practice_authentication: "your practice login was refused",
  practice_insecure_connection: "the connection would not be secure",
  practice_certificate_invalid: "the server's certificate did not verify",
  practice_not_member: "your login is not a member of the practice",
  practice_not_found: "the practice is not on that server",
  practice_server_changed: "it is not the server this computer's records came from",
  schema_too_new: "the server is newer than this version of Handover",
};

/** "2 of your steps are waiting to be sent": steps taken here not yet on the practice server. */
export function pendingText(view: SyncStatusView): string | null {
  const n = view.practice?.pending ?? 0;
  if (!n) return null;
  return `${n === 1 ? "1 step" : `${n} steps`} taken on this computer ${n === 1 ? "is" : "are"} not yet on the practice server: ${n === 1 ? "it is" : "they are"} kept here and sent when it can be reached.`;
}

/** A short, plain reason for a sync error ("could not connect"); the full text stays available. */
export function plainError(code: ErrorCode | null, error: string | null): string | null {
  if (code && PLAIN[code]) return PLAIN[code] ?? null;
  if (!error) return null;
  return error.length > 120 ? `${error.slice(0, 117)}…` : error;
}

/** What the banner says, or null when records are up to date. */
export function staleNotice(view: SyncStatusView): StaleNotice | null {
  if (!view.configured) {
    const lines = [
      "Handover is not receiving documents, so new discharge summaries and letters will not appear. Showing only records already stored on this computer.",
    ];
    if (view.config_error) lines.push(`Configuration problem: ${view.config_error.message}`);
    return { level: "info", title: "No mailbox is configured", lines, settings: true };
  }
  const f = view.freshness;
  // The first sync is running: say what it is doing, not that nothing has been fetched.
  if (view.syncing && f.kind === "never-synced") {
    const p = view.progress;
    const progress = p && p.total > 0 ? `${p.done} of ${p.total} messages so far` : "starting";
    return {
      level: "info",
      kind: "first-sync",
      title: "Fetching documents for the first time",
      lines: [`Syncing with ${view.mailbox_label}: ${progress}. Documents appear in the list as they are stored.`],
    };
  }
  if (!f.stale) return chainBreakNotice(view) ?? problemsNotice(view);
  const label = view.mailbox_label;
  const asOf = f.as_of ? `Showing records as of ${when(f.as_of, view.now)}.` : "No records have been fetched yet.";
  switch (f.kind) {
    case "failing": {
      const since = f.failing_since ? ` since ${when(f.failing_since, view.now)}` : "";
      const reason = plainError(f.last_error_code, f.last_error);
      const why = reason ? ` (${reason})` : "";
      const pending = pendingText(view);
      return {
        level: "warning",
        title: "Records may be out of date",
        lines: [`Cannot reach ${label}${since}${why}. ${asOf}`, ...(pending ? [pending] : [])],
        detail: f.last_error,
      };
    }
    case "never-synced": {
      const lines = [`Not yet synced with ${label}: no records have been fetched.`];
      if (f.last_error) lines.push(`Last attempt failed: ${plainError(f.last_error_code, f.last_error)}.`);
      return { level: "warning", title: "Records may be out of date", lines, detail: f.last_error };
    }
    case "overdue":
    default: {
      const last = f.as_of
        ? `Last synced at ${when(f.as_of, view.now)} (more than ${plural(f.threshold_minutes, "minute")} ago).`
        : `Not synced in the last ${plural(f.threshold_minutes, "minute")}.`;
      return {
        level: "warning",
        title: "Records may be out of date",
        lines: [`${last} ${asOf} New documents from ${label} may not be shown.`],
      };
    }
  }
}

/** How long the notice of a practice server restored from a backup stays up. */
const CHAIN_BREAK_NOTICE_HOURS = 24;

/**
 * The practice server went back to an older copy (restored from a backup) within the last day:
 * what this computer did about it and what the practice should check. Records are current
 * again (the pull carried on from the copy), so this is said beside them, not as staleness.
 */
export function chainBreakNotice(view: SyncStatusView): StaleNotice | null {
  const b = view.practice?.chain_break;
  if (!b) return null;
  const age = Date.parse(view.now) - Date.parse(b.detected_at);
  if (!(age >= 0 && age < CHAIN_BREAK_NOTICE_HOURS * 3600_000)) return null;
  const lines = [`At ${when(b.detected_at, view.now)} the practice server was found to have gone back to an older copy (restored from a backup). This computer carried on from that copy.`];
  const entries = (n: number) => `${n} ${n === 1 ? "entry" : "entries"}`;
  if (b.own_events_resent) lines.push(`${entries(b.own_events_resent)} of this computer's audit trail (steps, documents opened) ${b.own_events_resent === 1 ? "was" : "were"} sent to it again.`);
  if (b.others_events_lost) lines.push(`${entries(b.others_events_lost)} made on other computers ${b.others_events_lost === 1 ? "is" : "are"} missing from it until those computers connect again.`);
  const docs = b.lost_document_ids;
  if (docs.length) {
    lines.push(`${plural(docs.length, "document")} this computer holds ${docs.length === 1 ? "is" : "are"} no longer on the server (kept here): document${docs.length === 1 ? "" : "s"} ${docs.join(", ")}. Tell the practice manager: the practice server must receive ${docs.length === 1 ? "it" : "them"} again.`);
  }
  return { level: "warning", kind: "chain-break", title: "The practice server was restored from a backup", lines, detail: b.message };
}

/**
 * A sync that reached the mailbox but could not finish everything (a message it could not
 * download or acknowledge, a response MESH did not accept): records are current, but the
 * user is told, since what failed is retried and may need someone to look at it.
 */
function problemsNotice(view: SyncStatusView): StaleNotice | null {
  if (view.state.health !== "degraded") return null;
  // Kept with the sync state, so they are still listed after a restart.
  const kept = view.state.problems.length > 0;
  const problems = kept ? view.state.problems : (view.last_summary?.problems ?? []);
  const more = kept ? view.state.more_problems : 0;
  const count = (kinds: ProblemKind[]) => problems.filter((p) => kinds.includes(p.kind)).length;
  const responses = count(["response"]);
  const messages = count(["download", "acknowledgement", "other"]);
  const undecodable = count(["undecodable"]);
  const files = count(["mailbox-file"]);
  const parts: string[] = [];
  if (responses) {
    parts.push(
      responses === 1
        ? "1 acknowledgement to a sending hospital could not be sent"
        : `${responses} acknowledgements to sending hospitals could not be sent`,
    );
  }
  if (messages) {
    parts.push(
      messages === 1
        ? "1 message could not be fetched or confirmed with the mailbox"
        : `${messages} messages could not be fetched or confirmed with the mailbox`,
    );
  }
  if (undecodable) {
    parts.push(
      undecodable === 1
        ? "1 message arrived damaged and will be kept in Quarantine if it fails again"
        : `${undecodable} messages arrived damaged and will be kept in Quarantine if they fail again`,
    );
  }
  if (files) {
    parts.push(
      files === 1
        ? "1 file in the mailbox folder cannot be read"
        : `${files} files in the mailbox folder cannot be read`,
    );
  }
  if (more) parts.push(`and ${plural(more, "more problem")}`);
  const what = parts.length
    ? `${parts.join("; ")}.`
    : "Some messages or acknowledgements could not be completed.";
  const detail = problems.map((p) => `[${p.code}] ${p.message}`);
  if (more) detail.push(`… and ${plural(more, "more problem")} not listed`);
  return {
    level: "info",
    kind: "problems",
    title: "The last sync finished with problems",
    lines: [`${what} Handover tries again at every sync. Documents already fetched are shown as normal.`],
    detail: detail.length ? detail.join("\n") : null,
  };
}

/** The banner element (full width, NHS warning callout), or null when nothing is stale. */
export function renderStaleBanner(view: SyncStatusView, openSettings: (() => void) | null = null): HTMLElement | null {
  const notice = staleNotice(view);
  if (!notice) return null;
  const cls = notice.level === "warning" ? "nhsuk-warning-callout app-stale" : "nhsuk-inset-text app-stale app-stale--info";
  return h(
    "div",
    {
      class: cls,
      id: "stale-banner",
      role: notice.level === "warning" ? "alert" : "status",
      "data-kind": notice.kind ?? view.freshness.kind ?? "unconfigured",
    },
    h(
      "h2",
      { class: notice.level === "warning" ? "nhsuk-warning-callout__label app-stale__title" : "app-stale__title" },
      h("span", { class: "nhsuk-u-visually-hidden" }, "Important: "),
      notice.title,
    ),
    notice.lines.map((line) => h("p", { class: "app-stale__text" }, line)),
    notice.settings && openSettings
      ? h("p", { class: "app-stale__text" }, h("button", { type: "button", class: "app-linkbutton", "data-testid": "banner-settings", onclick: () => openSettings() }, "Open the mailbox settings"))
      : null,
    notice.detail
      ? h(
          "details",
          { class: "app-stale__details" },
          h("summary", {}, "Technical details"),
          notice.detail.split("\n").map((line) => h("p", { class: "app-stale__detail" }, line)),
        )
      : null,
  );
}

/** The sync indicator text: "Syncing 12 of 40", "Synced 10:40", "Sync failed 10:42". */
export function syncIndicatorText(view: SyncStatusView): string {
  if (!view.configured) return "No mailbox configured";
  if (view.syncing) {
    const p = view.progress;
    return p && p.total > 0 ? `Syncing ${p.done} of ${p.total}` : "Syncing…";
  }
  const s = view.state;
  const pending = view.practice?.pending ? ` · ${view.practice.pending} pending` : "";
  if (s.failing_since && s.last_attempt_at) return `Sync failed at ${when(s.last_attempt_at, view.now)}${pending}`;
  if (s.last_success_at) return `Synced at ${when(s.last_success_at, view.now)}${pending}`;
  return "Not yet synced";
}

/** The slot above the three panes that holds the stale-data banner or the problems notice. */
export class StaleSlot {
  readonly element = h("div", { class: "app-stale-slot", id: "stale-slot" });

  constructor(private readonly openSettings: (() => void) | null = null) {}

  /**
   * Shows the banner for `view`. It is replaced only when what it says changes, so screen
   * readers do not hear the alert again on every refresh and an open "Technical details" stays
   * open.
   */
  show(view: SyncStatusView): void {
    const banner = renderStaleBanner(view, this.openSettings);
    const current = this.element.firstElementChild;
    if (!banner) clear(this.element);
    else if (!current || current.textContent !== banner.textContent) {
      clear(this.element);
      this.element.append(banner);
    }
  }
}

/** The tooltip of the sync indicator: mailbox, last success, last error, how often it checks. */
export function syncIndicatorTitle(view: SyncStatusView): string {
  const s = view.state;
  return [
    view.mailbox_label,
    s.last_success_at ? `Last successful sync ${when(s.last_success_at, view.now)}` : "Never synced successfully",
    s.last_error ? `Last error: ${s.last_error}` : "",
    view.practice ? `Checks every ${view.practice.poll_seconds} seconds` : `Checks every ${view.poll_minutes} minutes`,
    pendingText(view) ?? "",
  ].filter(Boolean).join(". ");
}

/** The header's sync indicator: status text, progress bar and the "Sync now" button. */
export class SyncIndicator {
  readonly text = h("span", { class: "app-sync__text", id: "sync-indicator", role: "status", "aria-live": "polite" });
  readonly progress = h("progress", { class: "app-sync__progress", max: "1", value: "0", "aria-label": "Sync progress", hidden: true });
  readonly button = h("button", { type: "button", class: "app-sync__button", id: "sync-now", "aria-keyshortcuts": "s" }, "Sync now");

  constructor(onSyncNow: () => void) {
    this.button.addEventListener("click", () => onSyncNow());
  }

  /** Shows `view`; `buttonDisabled` from the sync state. */
  show(view: SyncStatusView, buttonDisabled: boolean): void {
    this.text.textContent = syncIndicatorText(view);
    this.text.title = syncIndicatorTitle(view);
    this.text.classList.toggle("app-sync__text--failing", !!view.state.failing_since);
    const p = view.progress;
    this.progress.hidden = !(view.syncing && p && p.total > 0);
    if (p && p.total > 0) {
      this.progress.max = p.total;
      this.progress.value = p.done;
    }
    this.button.disabled = buttonDisabled;
    this.button.textContent = view.syncing ? "Syncing…" : "Sync now";
  }

  /** "Sync now" was pressed and has not answered yet. */
  showRequested(): void {
    this.button.disabled = true;
    this.text.textContent = "Syncing…";
  }

  showUnavailable(message: string): void {
    this.text.textContent = `Sync status unavailable: ${message}`;
  }

  setButtonDisabled(disabled: boolean): void {
    this.button.disabled = disabled;
  }
}

/**
 * The practice register's banner: shown while the register is stale (older than the threshold,
 * or never imported), in the stale-data style, because matching depends on it.
 */
export class RegisterSlot {
  readonly element = h("div", { class: "app-register-slot", id: "register-slot" });

  show(notice: { title: string; text: string } | null): void {
    const current = this.element.firstElementChild;
    if (!notice) {
      clear(this.element);
      return;
    }
    if (current && current.getAttribute("data-title") === notice.title) return;
    clear(this.element);
    this.element.append(
      h(
        "div",
        { class: "nhsuk-warning-callout app-stale", id: "register-banner", role: "status", "data-title": notice.title },
        h("h2", { class: "nhsuk-warning-callout__label app-stale__title" }, h("span", { class: "nhsuk-u-visually-hidden" }, "Important: "), notice.title),
        " ",
        h("p", { class: "app-stale__text" }, notice.text),
      ),
    );
  }
}
