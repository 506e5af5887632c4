//! The store's vocabularies: each a Rust enum, kept in the database as its `kebab-case` name
//! and generated for the window as a TypeScript union (ts-rs), so the UI, the CLI and the SQL
//! all spell a status, a queue or a health the same way, and a misspelling does not compile.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
        #[serde(rename_all = "kebab-case")]
        #[ts(export)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let s = value.as_str()?;
                $name::parse(s).ok_or_else(|| {
                    FromSqlError::Other(format!("{s:?} is not a {}", stringify!($name)).into())
                })
            }
        }
    };
}

vocabulary! {
    /// Where a document stands in the practice's work: its lane. Derived from the document's
    /// workflow events (`crates/workflow` decides; the store records it).
    DocumentStatus {
        /// Received and matched (or no register to match against); nobody has acted yet.
        New => "new",
        /// Must be reviewed by a GP before it can be filed (mental health discharges, and text
        /// showing suspected cancer, safeguarding, end of life or learning disability).
        NeedsGpReview => "needs-gp-review",
        /// Someone marked it as needing action.
        NeedsAction => "needs-action",
        /// Not matched to a registered patient: a person must match it, mark it awaiting
        /// registration, or reject it as not known.
        Unmatched => "unmatched",
        Filed => "filed",
        /// Rejected as not known to the practice (the hospital was told: 30002).
        Rejected => "rejected",
        /// A later version from the same sender about the same patient replaced it.
        Superseded => "superseded",
    }
}

impl DocumentStatus {
    /// Still waiting for someone: not filed, rejected or superseded.
    pub fn is_pending(self) -> bool {
        !matches!(
            self,
            DocumentStatus::Filed | DocumentStatus::Rejected | DocumentStatus::Superseded
        )
    }
}

vocabulary! {
    /// A list of documents the inbox shows: by lane, or all of them.
    Queue {
        New => "new",
        NeedsGpReview => "needs-gp-review",
        NeedsAction => "needs-action",
        Unmatched => "unmatched",
        Filed => "filed",
        Rejected => "rejected",
        Superseded => "superseded",
        All => "all",
    }
}

vocabulary! {
    /// Whether a document is matched to a patient on the practice register.
    MatchState {
        /// No register had been imported when it was checked: nothing to match against.
        Unchecked => "unchecked",
        Matched => "matched",
        /// Its NHS number is not on the register (or is missing or invalid).
        NotOnRegister => "not-on-register",
        /// The register has candidates that do not fully agree (e.g. the same NHS number with
        /// another birth date): a person must decide.
        NeedsDecision => "needs-decision",
        /// A person marked it: the patient is registering with the practice.
        AwaitingRegistration => "awaiting-registration",
        /// A person rejected it as not known to the practice.
        NotKnown => "not-known",
    }
}

impl MatchState {
    /// The word `handover list --json` uses: `matched`, `unmatched` or `awaiting-registration`.
    pub fn summary(self) -> &'static str {
        match self {
            MatchState::Matched => "matched",
            MatchState::AwaitingRegistration => "awaiting-registration",
            _ => "unmatched",
        }
    }
}

vocabulary! {
    /// A person's role in the practice: what they may do follows from it (the permission
    /// matrix in `crates/workflow`).
    Role {
        Gp => "gp",
        Admin => "admin",
        CareCoordinator => "care-coordinator",
        Pharmacist => "pharmacist",
        PracticeManager => "practice-manager",
    }
}

impl Role {
    /// In plain words.
    pub fn label(self) -> &'static str {
        match self {
            Role::Gp => "GP",
            Role::Admin => "Admin",
            Role::CareCoordinator => "Care coordinator",
            Role::Pharmacist => "Pharmacist",
            Role::PracticeManager => "Practice manager",
        }
    }
}

vocabulary! {
    /// A patient's standing on the practice register.
    Registration {
        Registered => "registered",
        Deducted => "deducted",
        Deceased => "deceased",
    }
}

vocabulary! {
    /// A delegated action's state.
    TaskStatus {
        Open => "open",
        Done => "done",
        /// The delegation was replaced (the action re-decided) or the document superseded.
        Cancelled => "cancelled",
    }
}

impl Queue {
    /// The status a queue lists, or None for all.
    pub fn status(self) -> Option<DocumentStatus> {
        match self {
            Queue::New => Some(DocumentStatus::New),
            Queue::NeedsGpReview => Some(DocumentStatus::NeedsGpReview),
            Queue::NeedsAction => Some(DocumentStatus::NeedsAction),
            Queue::Unmatched => Some(DocumentStatus::Unmatched),
            Queue::Filed => Some(DocumentStatus::Filed),
            Queue::Rejected => Some(DocumentStatus::Rejected),
            Queue::Superseded => Some(DocumentStatus::Superseded),
            Queue::All => None,
        }
    }
}

vocabulary! {
    /// How a list is ordered.
    Sort {
        /// Newest first (the default).
        ReceivedDesc => "received-desc",
        ReceivedAsc => "received-asc",
        Patient => "patient",
        Kind => "kind",
        Sender => "sender",
    }
}

vocabulary! {
    /// How the last syncs with a mailbox went.
    #[derive(Default)]
    MailboxHealth {
        /// Never synced.
        #[default]
        Unknown => "unknown",
        Online => "online",
        /// The last sync reached the mailbox but could not complete everything.
        Degraded => "degraded",
        /// The last sync failed.
        Offline => "offline",
    }
}

vocabulary! {
    /// Where a message came from.
    MessageSource {
        Mesh => "mesh",
        Folder => "folder",
        Import => "import",
        /// Written by `handover bench`.
        Bench => "bench",
        /// Pulled from the practice server (issue 14): a document the practice's MESH puller
        /// stored, kept in this desktop's cache.
        Practice => "practice",
    }
}

vocabulary! {
    /// What became of a delivered message.
    MessageOutcome {
        Stored => "stored",
        Duplicate => "duplicate",
        Quarantined => "quarantined",
        Response => "response",
        Report => "report",
    }
}

vocabulary! {
    /// The level of a dm+d concept kept in the store.
    DmdKind {
        Vtm => "vtm",
        Vmp => "vmp",
        Amp => "amp",
    }
}

vocabulary! {
    /// Whether the practice issues a medicine on repeat or as a one-off.
    MedicationLineType {
        Repeat => "repeat",
        Acute => "acute",
    }
}

vocabulary! {
    /// Where a version of a practice's medication list came from.
    PracticeListSource {
        /// `handover medlist import` (a CSV or FHIR file).
        Import => "import",
        /// A signed-off medicines reconciliation.
        Reconciliation => "reconciliation",
    }
}

impl Default for MatchState {
    /// Before any register: nothing checked.
    fn default() -> Self {
        MatchState::Unchecked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_sql() {
        for s in DocumentStatus::ALL {
            assert_eq!(DocumentStatus::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(
            Queue::NeedsAction.status(),
            Some(DocumentStatus::NeedsAction)
        );
        assert_eq!(Queue::All.status(), None);
        assert_eq!(Sort::parse("received-desc"), Some(Sort::ReceivedDesc));
        assert_eq!(MailboxHealth::parse("sideways"), None);
    }
}
