//! # handover-errors
//!
//! One vocabulary of error codes for the whole of Handover: every core error type implements
//! [`Coded`]; the CLI prints `handover: error [code]: message`; the app sends `{code, message}`
//! and the window branches on `code`. The codes are generated as a TypeScript union
//! (`ui/src/bindings/ErrorCode.ts`), so a misspelt or removed code is a compile error in the UI.
//!
//! Codes are `snake_case`, the domain first where there is one (`mesh_…`, `mailbox_…`).
//! They are stable: scripts branch on them. Add codes; do not rename them.

/// Declares the enum, its `snake_case` names and the list of all codes in one place.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// Every error code Handover reports. Serialised as its `snake_case` name; a name this
        /// version does not know reads as [`ErrorCode::Unknown`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ts_rs::TS)]
        #[ts(export, rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as written (`mesh_authentication`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    // The encrypted store and its key.
    KeyringUnavailable => "keyring_unavailable",
    KeyringNotPersistent => "keyring_not_persistent",
    DatabaseKeyMissing => "database_key_missing",
    DatabaseKeyMismatch => "database_key_mismatch",
    DatabaseNotEncrypted => "database_not_encrypted",
    SqlcipherMissing => "sqlcipher_missing",
    DataDirUnavailable => "data_dir_unavailable",
    DataDirInsecure => "data_dir_insecure",
    SchemaTooNew => "schema_too_new",
    MessageBytesDamaged => "message_bytes_damaged",
    DatabaseError => "database_error",
    /// The app could not open its store at start-up (the reason is in the message).
    StoreUnavailable => "store_unavailable",

    // MESH and the mailbox.
    MeshAuthentication => "mesh_authentication",
    MeshUnknownMailbox => "mesh_unknown_mailbox",
    MeshGone => "mesh_gone",
    MeshRejected => "mesh_rejected",
    MeshRateLimited => "mesh_rate_limited",
    MeshServerError => "mesh_server_error",
    MeshTimeout => "mesh_timeout",
    MeshConnection => "mesh_connection",
    MeshTls => "mesh_tls",
    MeshSendOutcomeUnknown => "mesh_send_outcome_unknown",
    MeshSendIncomplete => "mesh_send_incomplete",
    MeshUnexpectedStatus => "mesh_unexpected_status",
    MeshInsecureUrl => "mesh_insecure_url",
    MeshConfig => "mesh_config",
    MeshProtocol => "mesh_protocol",
    MeshDecompression => "mesh_decompression",
    MeshIo => "mesh_io",
    /// A message arrived that could not be decoded (it is tried again, then quarantined).
    MeshUndecodable => "mesh_undecodable",
    MeshConfigIncomplete => "mesh_config_incomplete",
    MeshSecretMissing => "mesh_secret_missing",
    /// No mailbox is configured.
    NoMailbox => "no_mailbox",
    /// A folder mailbox that does not exist.
    MailboxFolderMissing => "mailbox_folder_missing",
    /// A file in a folder mailbox that is skipped (no control file, unreadable, empty).
    MailboxSkippedFile => "mailbox_skipped_file",

    // Documents and what a person does with them.
    DocumentNotFound => "document_not_found",
    DocumentModelUnreadable => "document_model_unreadable",
    /// An action named a document other than the one shown, or the document changed since it
    /// was shown.
    DocumentChanged => "document_changed",
    AttachmentUnavailable => "attachment_unavailable",
    AttachmentSaveFailed => "attachment_save_failed",
    MessageNotFound => "message_not_found",
    SaveFailed => "save_failed",
    InvalidStatus => "invalid_status",

    // The workflow: people, permissions, matching, filing, the audit trail.
    /// No person is chosen (the app asks who is working; the CLI takes `--as NAME`).
    NoUser => "no_user",
    /// No local profile has that name.
    UnknownUser => "unknown_user",
    /// A profile with that name exists already.
    UserExists => "user_exists",
    /// The person's role may not do this (the permission matrix in `crates/workflow`).
    PermissionDenied => "permission_denied",
    /// Filing refused: an action for the practice has no decision (done, delegated, not
    /// applicable).
    ActionsUndecided => "actions_undecided",
    /// Filing refused: the document needs a GP's review and the person is not a GP.
    GpReviewRequired => "gp_review_required",
    /// Filing refused: the document is not matched to a registered patient.
    NotMatched => "not_matched",
    /// Someone else filed the document first.
    AlreadyFiled => "already_filed",
    /// The step does not apply to the document as it stands (e.g. undoing a match that was
    /// never made).
    InvalidTransition => "invalid_transition",
    /// No requested action has that number.
    ActionNotFound => "action_not_found",
    TaskNotFound => "task_not_found",
    /// A practice register file could not be imported (nothing was imported).
    RegisterInvalid => "register_invalid",
    /// The audit trail does not verify: an event was edited, deleted or reordered.
    AuditBroken => "audit_broken",

    // Medicines reconciliation.
    /// A dm+d release directory or file could not be read (nothing was imported).
    DmdInvalid => "dmd_invalid",
    /// A practice medication list file could not be imported as a whole (nothing was imported).
    MedicationListInvalid => "medication_list_invalid",
    /// No medication list is stored for that NHS number.
    MedicationListNotFound => "medication_list_not_found",
    /// dm+d (as imported) does not know the code, or no dm+d was imported.
    DmdCodeUnknown => "dmd_code_unknown",

    // The practice-wide store on PostgreSQL (issue 14).
    /// The practice server could not be reached (or the connection broke).
    PracticeUnreachable => "practice_unreachable",
    /// The practice server refused the person's database login (name or password).
    PracticeAuthentication => "practice_authentication",
    /// The connection would not be protected: a practice server that is not on this machine
    /// is reached only over TLS (`sslmode=disable` refused, or the server does not offer TLS).
    PracticeInsecureConnection => "practice_insecure_connection",
    /// The practice server's TLS certificate did not verify (not signed by a trusted
    /// certificate authority, issued for another host name, expired): not connected.
    PracticeCertificateInvalid => "practice_certificate_invalid",
    /// The database login is not a member of any practice.
    PracticeNotMember => "practice_not_member",
    /// No such practice on the practice server.
    PracticeNotFound => "practice_not_found",
    /// The practice server is not the one this desktop's cache was filled from (another
    /// database, or another practice): nothing is pulled into it.
    PracticeServerChanged => "practice_server_changed",
    /// The MESH puller's lease is no longer this holder's (expired, or taken by another with a
    /// newer epoch): what it was writing was not committed.
    LeaseLost => "lease_lost",
    /// Another puller holds the lease.
    LeaseHeld => "lease_held",
    /// An event id already in the practice log names a different event.
    EventIdConflict => "event_id_conflict",
    /// No login of that name is a member of any practice (`practice set-role|remove-user`).
    PracticeUserNotFound => "practice_user_not_found",
    /// The login is a member of another practice than the one named.
    PracticeUserOtherPractice => "practice_user_other_practice",
    /// The login is the practice's MESH puller, not a person: it has no role to change, and is
    /// not removed as a person is.
    PracticePullerLogin => "practice_puller_login",
    /// The login was removed from its practice already.
    PracticeUserRemoved => "practice_user_removed",

    // The command line.
    /// A file to read could not be read.
    FileUnreadable => "file_unreadable",
    /// Not a message or document at all.
    Unreadable => "unreadable",
    OutputUnwritable => "output_unwritable",
    /// A command-line argument is not one the command accepts.
    InvalidArgument => "invalid_argument",
    /// Input the command asked for could not be read.
    Input => "input",
    BenchFailed => "bench_failed",

    /// A failure inside Handover itself.
    Internal => "internal",
    /// A code this version does not know (recorded by another version).
    Unknown => "unknown",
}

impl ErrorCode {
    /// The code of a string (older versions wrote `mesh.timeout`); `Unknown` if none.
    pub fn parse(s: &str) -> ErrorCode {
        let normal = s.trim().replace('.', "_");
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == normal)
            .unwrap_or(ErrorCode::Unknown)
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(ErrorCode::parse(&s))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// An error with a stable [`ErrorCode`]: how every core error reaches the CLI and the app.
pub trait Coded: std::fmt::Display {
    fn code(&self) -> ErrorCode;
}

/// An error as it is reported to a person or a program: its code and its message. What every
/// app command returns on failure (the window branches on `code`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ErrorReport {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorReport {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorReport {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

/// Every coded error becomes a report the same way: its code and its message.
impl<E: Coded> From<E> for ErrorReport {
    fn from(e: E) -> Self {
        ErrorReport::new(e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_round_trip() {
        for code in [
            ErrorCode::MeshAuthentication,
            ErrorCode::KeyringUnavailable,
            ErrorCode::DocumentChanged,
            ErrorCode::Unknown,
        ] {
            let json = ::serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::parse(code.as_str()), code);
        }
        // What earlier versions stored.
        assert_eq!(
            ErrorCode::parse("mesh_server_error"),
            ErrorCode::MeshServerError
        );
        assert_eq!(ErrorCode::parse("no such code"), ErrorCode::Unknown);
        assert_eq!(
            ::serde_json::from_str::<ErrorCode>("\"from_the_future\"").unwrap(),
            ErrorCode::Unknown
        );
    }
}
