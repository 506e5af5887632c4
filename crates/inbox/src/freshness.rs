//! Is what the app shows current? The rule behind the stale-data banner.

use chrono::{DateTime, Duration, Utc};
use handover_store::SyncState;
use serde::Serialize;

/// Why records may be out of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StaleKind {
    /// No sync has ever succeeded.
    NeverSynced,
    /// The last sync attempt failed.
    Failing,
    /// The last success is older than the threshold (syncs stopped happening).
    Overdue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Freshness {
    pub stale: bool,
    pub kind: Option<StaleKind>,
    /// The last successful sync: what is shown is "as of" this.
    pub as_of: Option<String>,
    /// When the current run of failures began.
    pub failing_since: Option<String>,
    pub last_error: Option<String>,
    /// The last error's stable code: what the window words the reason from.
    pub last_error_code: Option<handover_errors::ErrorCode>,
    #[ts(type = "number")]
    pub threshold_minutes: i64,
}

fn parse(t: &Option<String>) -> Option<DateTime<Utc>> {
    t.as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Stale when the last attempt failed, when no sync ever succeeded, or when the last success is
/// older than `threshold`. Never "fresh" by default: unknown means stale.
pub fn assess(state: &SyncState, now: DateTime<Utc>, threshold: Duration) -> Freshness {
    let last_success = parse(&state.last_success_at);
    let kind = if state.last_error.is_some() || state.failing_since.is_some() {
        Some(StaleKind::Failing)
    } else {
        match last_success {
            None => Some(StaleKind::NeverSynced),
            Some(t) if now - t > threshold => Some(StaleKind::Overdue),
            Some(_) => None,
        }
    };
    Freshness {
        stale: kind.is_some(),
        kind,
        as_of: state.last_success_at.clone(),
        failing_since: state.failing_since.clone(),
        last_error: state.last_error.clone(),
        last_error_code: state.last_error_code,
        threshold_minutes: threshold.num_minutes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn staleness_follows_the_sync_history() {
        let threshold = Duration::minutes(15);
        let mut state = SyncState {
            mailbox: "X26ABC1".into(),
            health: handover_store::MailboxHealth::Unknown,
            ..Default::default()
        };
        let now = at("2026-11-22T10:45:00Z");
        assert_eq!(
            assess(&state, now, threshold).kind,
            Some(StaleKind::NeverSynced)
        );

        state.last_success_at = Some("2026-11-22T10:40:00Z".into());
        let f = assess(&state, now, threshold);
        assert!(!f.stale, "synced five minutes ago");
        assert_eq!(f.as_of.as_deref(), Some("2026-11-22T10:40:00Z"));

        assert_eq!(
            assess(&state, at("2026-11-22T10:56:00Z"), threshold).kind,
            Some(StaleKind::Overdue)
        );

        state.last_error = Some("connection refused".into());
        state.failing_since = Some("2026-11-22T10:42:00Z".into());
        let f = assess(&state, now, threshold);
        assert_eq!(
            f.kind,
            Some(StaleKind::Failing),
            "a failed attempt is stale at once"
        );
        assert_eq!(f.failing_since.as_deref(), Some("2026-11-22T10:42:00Z"));
        assert_eq!(f.threshold_minutes, 15);
    }
}
