import { describe, expect, it } from "vitest";
import type { SyncProblem } from "../bindings/SyncProblem";
import type { SyncStatusView } from "../bindings/SyncStatusView";
import { renderStaleBanner, staleNotice, StaleSlot, SyncIndicator, syncIndicatorText, syncIndicatorTitle } from "./banners";

function view(over: Partial<SyncStatusView> = {}, freshness: Partial<SyncStatusView["freshness"]> = {}): SyncStatusView {
  return {
    configured: true, source: "mesh", mailbox_label: "MESH mailbox X26ABC1", config_error: null,
    state: { mailbox: "X26ABC1", last_attempt_at: "2026-11-22T10:40:00Z", last_success_at: "2026-11-22T10:40:00Z", last_error: null, last_error_code: null, health: "online", failing_since: null, problems: [], more_problems: 0 },
    freshness: { stale: false, kind: null, as_of: "2026-11-22T10:40:00Z", failing_since: null, last_error: null, last_error_code: null, threshold_minutes: 15, ...freshness },
    syncing: false, progress: null, last_summary: null, poll_minutes: 5, practice: null, now: "2026-11-22T11:00:00Z", seq: 1, ...over,
  };
}

describe("the stale-data banner", () => {
  it("is absent while records are fresh", () => {
    expect(staleNotice(view())).toBeNull();
    expect(renderStaleBanner(view())).toBeNull();
  });
  it("says why, since when and as of when when the mailbox cannot be reached", () => {
    const n = staleNotice(view({}, { stale: true, kind: "failing", failing_since: "2026-11-22T10:42:00Z", last_error: "connection refused", last_error_code: "mesh_connection" }));
    expect(n?.level).toBe("warning");
    expect(n?.lines).toEqual(["Cannot reach MESH mailbox X26ABC1 since 10:42 (could not connect). Showing records as of 10:40."]);
  });
  it("gives a plain reason from the error's code, never from its English, and keeps the detail", () => {
    const error = "could not reach MESH after 4 attempts (list inbox): error sending request: tcp connect error: Connection refused (os error 111)";
    const v = view({}, { stale: true, kind: "failing", failing_since: "2026-11-22T10:42:00Z", last_error: error, last_error_code: "mesh_connection" });
    expect(staleNotice(v)?.lines[0]).toBe("Cannot reach MESH mailbox X26ABC1 since 10:42 (could not connect). Showing records as of 10:40.");
    expect(renderStaleBanner(v)?.querySelector("details")?.textContent).toContain(error);
    // The words come from the code alone: a message that reads like another error is not reworded.
    const odd = view({}, { stale: true, kind: "failing", failing_since: "2026-11-22T10:42:00Z", last_error: "certificate timeout 401", last_error_code: "mesh_authentication" });
    expect(staleNotice(odd)?.lines[0]).toContain("(mailbox password or key rejected)");
    const uncoded = view({}, { stale: true, kind: "failing", failing_since: "2026-11-22T10:42:00Z", last_error: "timed out", last_error_code: null });
    expect(staleNotice(uncoded)?.lines[0]).toContain("(timed out)");
  });
  it("uses UK time (BST in summer) and dates for other days", () => {
    const n = staleNotice(
      view({ now: "2026-07-02T09:00:00Z" }, { stale: true, kind: "failing", failing_since: "2026-07-01T09:42:00Z", as_of: "2026-07-01T09:40:00Z", last_error: "timed out", last_error_code: "mesh_timeout" }),
    );
    expect(n?.lines[0]).toBe("Cannot reach MESH mailbox X26ABC1 since 01-Jul-2026 10:42 (no answer in time). Showing records as of 01-Jul-2026 10:40.");
  });
  it("says when nothing has ever been fetched", () => {
    const n = staleNotice(view({}, { stale: true, kind: "never-synced", as_of: null }));
    expect(n?.lines[0]).toBe("Not yet synced with MESH mailbox X26ABC1: no records have been fetched.");
  });
  it("says when the last sync is older than the threshold", () => {
    const n = staleNotice(view({}, { stale: true, kind: "overdue" }));
    expect(n?.lines[0]).toBe("Last synced at 10:40 (more than 15 minutes ago). Showing records as of 10:40. New documents from MESH mailbox X26ABC1 may not be shown.");
  });
  it("is a plain notice when no mailbox is configured", () => {
    const n = staleNotice(view({ configured: false, source: null, config_error: { code: "mesh_config", message: "HANDOVER_MESH_PASSWORD is not set" } }));
    expect(n?.level).toBe("info");
    expect(n?.title).toBe("No mailbox is configured");
    expect(n?.lines[1]).toBe("Configuration problem: HANDOVER_MESH_PASSWORD is not set");
    // It offers the mailbox settings.
    let opened = 0;
    const el = renderStaleBanner(view({ configured: false, source: null, config_error: null }), () => opened++);
    (el?.querySelector("[data-testid=banner-settings]") as HTMLButtonElement).click();
    expect(opened).toBe(1);
  });
  it("says what the first sync is doing, not that nothing has been fetched", () => {
    const n = staleNotice(view({ syncing: true, progress: { done: 256, total: 400 } }, { stale: true, kind: "never-synced", as_of: null }));
    expect(n).toMatchObject({ level: "info", kind: "first-sync", title: "Fetching documents for the first time" });
    expect(n?.lines.join(" ")).toContain("256 of 400 messages so far");
    expect(n?.lines.join(" ")).not.toMatch(/no records have been fetched/i);
  });
  it("renders as a warning callout with text only", () => {
    const el = renderStaleBanner(view({ mailbox_label: "<img src=x onerror=alert(1)>" }, { stale: true, kind: "failing", last_error: "<b>x</b>" }));
    expect(el?.classList.contains("nhsuk-warning-callout")).toBe(true);
    expect(el?.getAttribute("role")).toBe("alert");
    expect(el?.querySelector("img, b")).toBeNull();
    expect(el?.textContent).toContain("<img src=x onerror=alert(1)>");
  });
});

describe("the sync indicator", () => {
  it("shows progress, success and failure", () => {
    expect(syncIndicatorText(view({ syncing: true, progress: { done: 12, total: 40 } }))).toBe("Syncing 12 of 40");
    expect(syncIndicatorText(view({ syncing: true }))).toBe("Syncing…");
    expect(syncIndicatorText(view())).toBe("Synced at 10:40");
    expect(syncIndicatorText(view({ state: { ...view().state, failing_since: "2026-11-22T10:42:00Z", last_attempt_at: "2026-11-22T10:55:00Z" } }))).toBe("Sync failed at 10:55");
    expect(syncIndicatorText(view({ configured: false }))).toBe("No mailbox configured");
  });
});

describe("a sync that finished with problems", () => {
  const problems: SyncProblem[] = [
    {
      kind: "response",
      code: "mesh_rejected",
      message: "response 20013 to X26HOSP9: MESH rejected the message (417): unknown recipient",
      subject: "response 20013 to X26HOSP9",
    },
    { kind: "download", code: "mesh_server_error", message: "message 2026112210-0001: MESH server error (500)", subject: "message 2026112210-0001" },
  ];
  const detailOf = (p: SyncProblem) => `[${p.code}] ${p.message}`;
  it("is told, with each problem in the details, while records stay current", () => {
    const v = view({
      state: { ...view().state, health: "degraded" },
      last_summary: {
        downloaded: 3, stored: 3, duplicates: 0, quarantined: 0, acknowledged: 2, responses_sent: 2,
        already_stored: 0, responses_received: 0, reports: 0, retrying: 0, problems,
      },
    });
    const n = staleNotice(v);
    expect(n?.level).toBe("info");
    expect(n?.title).toBe("The last sync finished with problems");
    expect(n?.lines[0]).toBe(
      "1 acknowledgement to a sending hospital could not be sent; 1 message could not be fetched or confirmed with the mailbox. Handover tries again at every sync. Documents already fetched are shown as normal.",
    );
    const banner = renderStaleBanner(v);
    expect(banner?.getAttribute("data-kind")).toBe("problems");
    expect(banner?.getAttribute("role")).toBe("status");
    const details = [...(banner?.querySelectorAll(".app-stale__detail") ?? [])].map((p) => p.textContent);
    expect(details).toEqual(problems.map(detailOf));
  });
  it("shows a single short problem in the details too", () => {
    const one: SyncProblem = {
      kind: "response",
      code: "mesh_rejected",
      message: "response 20013 to RTHOT004: unknown recipient",
      subject: "response 20013 to RTHOT004",
    };
    const v = view({
      state: { ...view().state, health: "degraded" },
      last_summary: {
        downloaded: 1, stored: 1, duplicates: 0, quarantined: 0, acknowledged: 1, responses_sent: 0,
        already_stored: 0, responses_received: 0, reports: 0, retrying: 0, problems: [one],
      },
    });
    expect(staleNotice(v)?.lines[0]).toMatch(/^1 acknowledgement to a sending hospital could not be sent\. Handover/);
    const details = [...(renderStaleBanner(v)?.querySelectorAll(".app-stale__detail") ?? [])].map((p) => p.textContent);
    expect(details).toEqual([detailOf(one)]);
  });
  it("lists the problems kept with the sync state after a restart", () => {
    const v = view({ state: { ...view().state, health: "degraded", problems: [problems[0]] } });
    expect(staleNotice(v)?.lines[0]).toMatch(/^1 acknowledgement to a sending hospital could not be sent\./);
    const details = [...(renderStaleBanner(v)?.querySelectorAll(".app-stale__detail") ?? [])].map((p) => p.textContent);
    expect(details).toEqual([detailOf(problems[0])]);
  });
  it("counts problems by kind, including those not kept, and names skipped folder files", () => {
    const file: SyncProblem = {
      kind: "mailbox-file",
      code: "mailbox_skipped_file",
      message: "/inbox/x.dat: a .dat file without its .ctl control file (there for 12 minutes)",
      subject: "/inbox/x.dat",
    };
    const damaged: SyncProblem = { kind: "undecodable", code: "mesh_undecodable", message: "broken gzip", subject: "M1" };
    const v = view({ state: { ...view().state, health: "degraded", problems: [...problems, file, damaged], more_problems: 12 } });
    expect(staleNotice(v)?.lines[0]).toBe(
      "1 acknowledgement to a sending hospital could not be sent; 1 message could not be fetched or confirmed with the mailbox; 1 message arrived damaged and will be kept in Quarantine if it fails again; 1 file in the mailbox folder cannot be read; and 12 more problems. Handover tries again at every sync. Documents already fetched are shown as normal.",
    );
    const details = [...(renderStaleBanner(v)?.querySelectorAll(".app-stale__detail") ?? [])].map((p) => p.textContent);
    expect(details.at(-1)).toBe("… and 12 more problems not listed");
  });
  it("is told without details when no problems were kept (a store from an older version)", () => {
    const n = staleNotice(view({ state: { ...view().state, health: "degraded" } }));
    expect(n?.lines[0]).toMatch(/^Some messages or acknowledgements could not be completed\./);
    expect(n?.detail).toBeNull();
  });
  it("gives way to the out-of-date warning when records are stale", () => {
    const v = view({ state: { ...view().state, health: "degraded" } }, { stale: true, kind: "never-synced", as_of: null });
    expect(staleNotice(v)?.level).toBe("warning");
  });
});

describe("the stale slot", () => {
  const failing = () => view({}, { stale: true, kind: "failing", failing_since: "2026-11-22T10:42:00Z", last_error: "connection refused" });

  it("keeps the same banner while what it says is unchanged, so an open disclosure stays open", () => {
    const slot = new StaleSlot();
    slot.show(failing());
    const first = slot.element.firstElementChild;
    expect(first?.id).toBe("stale-banner");
    slot.show({ ...failing(), seq: 2 });
    expect(slot.element.firstElementChild).toBe(first);
  });

  it("replaces the banner when it says something else, and empties when records are fresh", () => {
    const slot = new StaleSlot();
    slot.show(failing());
    const first = slot.element.firstElementChild;
    slot.show(view({}, { stale: true, kind: "never-synced", as_of: null }));
    expect(slot.element.firstElementChild).not.toBe(first);
    expect(slot.element.textContent).toContain("Not yet synced");
    slot.show(view());
    expect(slot.element.childElementCount).toBe(0);
  });
});

describe("the sync indicator element", () => {
  it("shows progress while syncing and disables the button", () => {
    const indicator = new SyncIndicator(() => {});
    indicator.show(view({ syncing: true, progress: { done: 3, total: 8 } }), true);
    expect(indicator.text.textContent).toBe("Syncing 3 of 8");
    expect(indicator.progress.hidden).toBe(false);
    expect(indicator.progress.value).toBe(3);
    expect(indicator.progress.max).toBe(8);
    expect(indicator.button.disabled).toBe(true);
    expect(indicator.button.textContent).toBe("Syncing…");
    indicator.show(view({ seq: 2 }), false);
    expect(indicator.progress.hidden).toBe(true);
    expect(indicator.button.disabled).toBe(false);
    expect(indicator.button.textContent).toBe("Sync now");
  });

  it("marks a failing mailbox and explains it on hover", () => {
    const indicator = new SyncIndicator(() => {});
    const v = view({ state: { ...view().state, failing_since: "2026-11-22T10:42:00Z", last_error: "connection refused" } });
    indicator.show(v, false);
    expect(indicator.text.classList.contains("app-sync__text--failing")).toBe(true);
    expect(syncIndicatorTitle(v)).toBe("MESH mailbox X26ABC1. Last successful sync 10:40. Last error: connection refused. Checks every 5 minutes");
  });

  it("calls back when Sync now is pressed", () => {
    let pressed = 0;
    const indicator = new SyncIndicator(() => pressed++);
    indicator.button.click();
    expect(pressed).toBe(1);
  });
});

describe("a desktop of a practice", () => {
  const practice = (pending: number, chain_break: NonNullable<SyncStatusView["practice"]>["chain_break"] = null) => ({ practice_name: "Riverside", person: "gp_one", pending, changes: 0, refused: [], poll_seconds: 5, chain_break });
  it("names the practice server, words its errors, and says which steps are waiting", () => {
    const v = view(
      { source: "practice", mailbox_label: "the practice server (Riverside)", practice: practice(2) },
      { stale: true, kind: "failing", failing_since: "2026-11-22T10:42:00Z", last_error: "the practice server could not be reached: connection refused", last_error_code: "practice_unreachable" },
    );
    expect(staleNotice(v)?.lines).toEqual([
      "Cannot reach the practice server (Riverside) since 10:42 (no connection). Showing records as of 10:40.",
      "2 steps taken on this computer are not yet on the practice server: they are kept here and sent when it can be reached.",
    ]);
    expect(syncIndicatorText({ ...v, state: { ...v.state, failing_since: "2026-11-22T10:42:00Z", last_attempt_at: "2026-11-22T10:50:00Z" } })).toBe("Sync failed at 10:50 · 2 pending");
    expect(syncIndicatorTitle(v)).toContain("Checks every 5 seconds");
  });
  it("says nothing about pending steps when there are none", () => {
    const v = view({ source: "practice", mailbox_label: "the practice server (Riverside)", practice: practice(0) });
    expect(staleNotice(v)).toBeNull();
    expect(syncIndicatorText(v)).toBe("Synced at 10:40");
  });
  it("says for a day that the server went back to a backup, what was resent, and which documents it lost", () => {
    const b = { detected_at: "2026-11-22T10:30:00Z", own_events_resent: 2, others_events_lost: 1, lost_document_ids: [14, 15], message: "the practice server's log went back from event 40 to event 37" };
    const v = view({ source: "practice", mailbox_label: "the practice server (Riverside)", practice: practice(0, b) });
    const n = staleNotice(v);
    expect(n?.title).toBe("The practice server was restored from a backup");
    expect(n?.lines).toEqual([
      "At 10:30 the practice server was found to have gone back to an older copy (restored from a backup). This computer carried on from that copy.",
      "2 entries of this computer's audit trail (steps, documents opened) were sent to it again.",
      "1 entry made on other computers is missing from it until those computers connect again.",
      "2 documents this computer holds are no longer on the server (kept here): documents 14, 15. Tell the practice manager: the practice server must receive them again.",
    ]);
    expect(n?.detail).toContain("event 37");
    expect(staleNotice({ ...v, now: "2026-11-23T10:31:00Z" })).toBeNull();
  });
});
