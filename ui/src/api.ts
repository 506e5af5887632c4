// The only way the UI reaches data: Tauri commands (and the `sync-status` event). Payload types
// are generated from the Rust types by ts-rs (ui/src/bindings), never written by hand.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { DocumentStatus } from "./bindings/DocumentStatus";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { AppStatus } from "./bindings/AppStatus";
import type { AttachmentData } from "./bindings/AttachmentData";
import type { DocumentPage } from "./bindings/DocumentPage";
import type { DocumentRow } from "./bindings/DocumentRow";
import type { DocumentView } from "./bindings/DocumentView";
import type { ListQuery } from "./bindings/ListQuery";
import type { QuarantinedView } from "./bindings/QuarantinedView";
import type { QuarantineRow } from "./bindings/QuarantineRow";
import type { SyncStatusView } from "./bindings/SyncStatusView";
import type { MailboxSettingsView } from "./bindings/MailboxSettingsView";
import type { MailboxTest } from "./bindings/MailboxTest";
import type { MeshMailboxInput } from "./bindings/MeshMailboxInput";

/** A command failure with the stable `code` the Rust side assigned. */
export class CommandError extends Error {
  readonly code: ErrorCode;
  constructor(error: ErrorReport) {
    super(error.message);
    this.code = error.code;
    this.name = "CommandError";
  }
}

export function toCommandError(raw: unknown): CommandError {
  if (raw instanceof CommandError) return raw;
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    return new CommandError(raw as ErrorReport);
  }
  return new CommandError({ code: "internal", message: String(raw) });
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toCommandError(raw);
  }
}

export type { DocumentStatus };

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
  syncStatus: () => call<SyncStatusView>("sync_status"),
  syncNow: () => call<SyncStatusView>("sync_now"),
  listDocuments: (query: ListQuery) => call<DocumentPage>("list_documents", { query }),
  listSenders: () => call<string[]>("list_senders"),
  openDocument: (id: number) => call<DocumentView>("open_document", { id }),
  /**
   * Moves document `id` to `status`, if it is still at `expectedVersion` (the version the user
   * saw); resolves to the updated row. Fails with `document_changed` when it changed since (and
   * nothing changes), `document_not_found` when it is gone.
   */
  setDocumentStatus: (id: number, status: DocumentStatus, expectedVersion: number) =>
    call<DocumentRow>("set_document_status", { id, status, expectedVersion }),
  openAttachment: (documentId: number, index: number) =>
    call<AttachmentData>("open_attachment", { documentId, index }),
  saveAttachment: (documentId: number, index: number) =>
    call<string>("save_attachment", { documentId, index }),
  listQuarantine: (offset: number, limit: number) =>
    call<QuarantineRow[]>("list_quarantine", { offset, limit }),
  openQuarantined: (messageId: number) => call<QuarantinedView>("open_quarantined", { messageId }),
  /** Saves a quarantined message, byte for byte as received, to a new file; resolves to its path. */
  saveQuarantined: (messageId: number) => call<string>("save_quarantined", { messageId }),
  /** Marks a quarantined message as dealt with (the note is required; the message is kept). */
  markQuarantineDealtWith: (messageId: number, note: string) =>
    call<QuarantinedView>("mark_quarantine_dealt_with", { messageId, note }),
  mailboxSettings: () => call<MailboxSettingsView>("mailbox_settings", {}),
  /** Tests the MESH mailbox, then saves it (secrets to the OS keyring) and syncs. */
  saveMailbox: (input: MeshMailboxInput) => call<MailboxTest>("save_mailbox", { input }),
  testMailboxNow: () => call<MailboxTest>("test_mailbox_now", {}),
  /** Calls `handler` with every `sync-status` event; resolves to an unsubscribe function. */
  onSyncStatus: async (handler: (view: SyncStatusView) => void): Promise<() => void> =>
    listen<SyncStatusView>("sync-status", (event) => handler(event.payload)),
};

export type Api = typeof api;
