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
import type { PracticeServerCheck } from "./bindings/PracticeServerCheck";
import type { AuditQuery } from "./bindings/AuditQuery";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { AuditTrailVerification } from "./bindings/AuditTrailVerification";
import type { ConservationReport } from "./bindings/ConservationReport";
import type { CurrentUser } from "./bindings/CurrentUser";
import type { RegisterView } from "./bindings/RegisterView";
import type { Role } from "./bindings/Role";
import type { Task } from "./bindings/Task";
import type { TaskQuery } from "./bindings/TaskQuery";
import type { User } from "./bindings/User";
import type { WorkflowView } from "./bindings/WorkflowView";
import type { WorkStep } from "./bindings/WorkStep";
import type { MedDecisionInput } from "./bindings/MedDecisionInput";
import type { MedrecDue } from "./bindings/MedrecDue";
import type { MedrecSummary } from "./bindings/MedrecSummary";
import type { MedrecView } from "./bindings/MedrecView";

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
  /** Whether another connection committed to the store since last asked (another process on this computer, or the sync service). */
  storeChanged: () => call<boolean>("store_changed"),
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
  /** Keeps a quarantined message's document, matched by hand to a registered patient. */
  matchQuarantined: (messageId: number, nhsNumber: string, reason: string) =>
    call<DocumentRow>("match_quarantined", { messageId, nhsNumber, reason }),
  mailboxSettings: () => call<MailboxSettingsView>("mailbox_settings", {}),
  /** Tests the MESH mailbox, then saves it (secrets to the OS keyring) and syncs. */
  saveMailbox: (input: MeshMailboxInput) => call<MailboxTest>("save_mailbox", { input }),
  testMailboxNow: () => call<MailboxTest>("test_mailbox_now", {}),
  /** Checks the practice server (postgres://LOGIN@HOST...) with the login's password and, if usable, saves it. */
  savePracticeServer: (url: string, password: string) => call<PracticeServerCheck>("save_practice_server", { url, password }),
  // ----- the workflow (issue 12) ------------------------------------------------------------
  listUsers: () => call<User[]>("list_users"),
  addUser: (name: string, role: Role) => call<User>("add_user", { name, role }),
  /** Chooses who is working on this desktop; fails with `unknown_user` for a name not on file. */
  chooseUser: (name: string) => call<CurrentUser>("choose_user", { name }),
  currentUser: () => call<CurrentUser | null>("current_user"),
  documentWorkflow: (id: number) => call<WorkflowView>("document_workflow", { id }),
  /** One workflow step on document `id`, refused (`document_changed`) if it changed since `expectedVersion`. */
  workflowStep: (id: number, expectedVersion: number, step: WorkStep) => call<DocumentRow>("workflow_step", { id, expectedVersion, step }),
  /** Records that the person working opened document `id` (the audit trail's "viewed"). */
  documentViewed: (id: number) => call<null>("document_viewed", { id }),
  listTasks: (query: TaskQuery) => call<Task[]>("list_tasks", { query }),
  completeTask: (taskId: number, note: string | null) => call<Task>("complete_task", { taskId, note }),
  auditEvents: (query: AuditQuery) => call<AuditEntry[]>("audit_events", { query }),
  verifyAudit: () => call<AuditTrailVerification>("verify_audit"),
  /** Saves the audit trail as CSV to Downloads (practice manager); resolves to the path. */
  exportAudit: () => call<string>("export_audit"),
  conservationReport: () => call<ConservationReport>("conservation_report"),
  // ----- medicines reconciliation (issue 13) ------------------------------------------------
  medrecView: (id: number) => call<MedrecView>("medrec_view", { id }),
  /**
   * Decides one row, refused (`document_changed`) if the document changed since `expectedVersion`;
   * a query to the hospital or an on-hold medicine opens a follow-up task (due `follow_up_due`,
   * or the default when null).
   */
  medrecDecide: (id: number, expectedVersion: number, decision: MedDecisionInput) => call<MedrecView>("medrec_decide", { id, expectedVersion, decision }),
  /** Records every undecided unchanged row as "keep practice version" (confirmed unchanged). */
  medrecConfirmUnchanged: (id: number, expectedVersion: number) => call<MedrecView>("medrec_confirm_unchanged", { id, expectedVersion }),
  /** The printable summary (reading it records nothing); `html` is safe to insert. */
  medrecSummary: (id: number) => call<MedrecSummary>("medrec_summary", { id }),
  /** Records the print in the audit trail and opens the print dialog (only when the person presses Print). */
  medrecPrint: (id: number) => call<null>("medrec_print", { id }),
  /** Saves the signed-off reconciled list as a FHIR STU3 Bundle in Downloads; resolves to its path. */
  medrecExport: (id: number) => call<string>("medrec_export", { id }),
  /** Reconciliations not signed off, oldest first (at most `limit`), and how many there are in all. */
  medrecDue: (limit: number) => call<[MedrecDue[], number]>("medrec_due", { limit }),
  /** Signs off (pharmacist or GP): the reconciled list becomes the practice list's next version. */
  medrecSignOff: (id: number, expectedVersion: number) => call<MedrecView>("medrec_sign_off", { id, expectedVersion }),
  registerStatus: () => call<RegisterView>("register_status"),
  /** Calls `handler` with every `sync-status` event; resolves to an unsubscribe function. */
  onSyncStatus: async (handler: (view: SyncStatusView) => void): Promise<() => void> =>
    listen<SyncStatusView>("sync-status", (event) => handler(event.payload)),
};

export type Api = typeof api;
