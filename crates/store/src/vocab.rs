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
    /// Where a document stands in the practice's work.
    DocumentStatus {
        New => "new",
        NeedsAction => "needs-action",
        Filed => "filed",
    }
}

vocabulary! {
    /// A list of documents the inbox shows: by status, or all of them.
    Queue {
        New => "new",
        NeedsAction => "needs-action",
        Filed => "filed",
        All => "all",
    }
}

impl Queue {
    /// The status a queue lists, or None for all.
    pub fn status(self) -> Option<DocumentStatus> {
        match self {
            Queue::New => Some(DocumentStatus::New),
            Queue::NeedsAction => Some(DocumentStatus::NeedsAction),
            Queue::Filed => Some(DocumentStatus::Filed),
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
