//! The conservation report: every message received is accounted for, and every document stored
//! is filed, rejected, superseded or still pending in a lane. The counts come from different
//! tables (messages by outcome; documents by lane), so a number that does not add up is a bug
//! the report shows rather than hides.

use serde::Serialize;

use crate::{DocumentStatus, StatusCounts, Store, StoreError};

/// One line of the report: a day (UTC date the message was received) or the total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConservationLine {
    /// `yyyy-mm-dd`, or `total`.
    pub day: String,
    /// Messages received that carried (or claimed to carry) a document: not ITK3 responses or
    /// MESH reports.
    #[ts(type = "number")]
    pub received: u64,
    /// Documents stored (counted from the documents themselves).
    #[ts(type = "number")]
    pub stored: u64,
    #[ts(type = "number")]
    pub duplicates: u64,
    #[ts(type = "number")]
    pub quarantined: u64,
    /// The stored documents by lane.
    pub by_status: StatusCounts,
    /// Still waiting for someone (every lane but filed, rejected and superseded).
    #[ts(type = "number")]
    pub pending: u64,
    /// received = stored + duplicates + quarantined, and stored = filed + rejected +
    /// superseded + pending.
    pub balanced: bool,
}

/// What `handover report` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConservationReport {
    pub total: ConservationLine,
    /// Newest day first.
    pub days: Vec<ConservationLine>,
    /// ITK3 responses and MESH reports received (not documents).
    #[ts(type = "number")]
    pub responses_and_reports: u64,
    /// When the oldest pending document was received, and how many hours ago.
    pub oldest_pending_received_at: Option<String>,
    #[ts(type = "number | null")]
    pub oldest_pending_hours: Option<i64>,
    pub balanced: bool,
}

impl ConservationLine {
    fn finish(&mut self) {
        self.pending = self.by_status.pending();
        let lanes = self.by_status.get(DocumentStatus::Filed)
            + self.by_status.get(DocumentStatus::Rejected)
            + self.by_status.get(DocumentStatus::Superseded)
            + self.pending;
        self.balanced = self.received == self.stored + self.duplicates + self.quarantined
            && self.stored == lanes
            && self.stored == self.by_status.total();
    }
}

impl Store {
    /// The conservation report, as of `now` (RFC 3339).
    pub fn conservation_report(&self, now: &str) -> Result<ConservationReport, StoreError> {
        let mut days: std::collections::BTreeMap<String, ConservationLine> = Default::default();
        let mut responses_and_reports = 0;
        {
            let mut stmt = self.conn.prepare(
                "SELECT substr(received_at, 1, 10), outcome, count(*) FROM messages
                 GROUP BY 1, 2",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let day: String = r.get(0)?;
                let outcome: String = r.get(1)?;
                let n = r.get::<_, i64>(2)? as u64;
                if matches!(outcome.as_str(), "response" | "report") {
                    responses_and_reports += n;
                    continue;
                }
                let line = days.entry(day.clone()).or_insert_with(|| ConservationLine {
                    day,
                    ..Default::default()
                });
                line.received += n;
                match outcome.as_str() {
                    "duplicate" => line.duplicates += n,
                    "quarantined" => line.quarantined += n,
                    _ => {}
                }
            }
        }
        {
            let mut stmt = self.conn.prepare(
                "SELECT substr(m.received_at, 1, 10), d.status, count(*)
                 FROM documents d JOIN messages m ON m.id = d.message_id GROUP BY 1, 2",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let day: String = r.get(0)?;
                let status: DocumentStatus = r.get(1)?;
                let n = r.get::<_, i64>(2)? as u64;
                let line = days.entry(day.clone()).or_insert_with(|| ConservationLine {
                    day,
                    ..Default::default()
                });
                line.stored += n;
                line.by_status.add(status, n);
            }
        }
        let mut total = ConservationLine {
            day: "total".into(),
            ..Default::default()
        };
        let mut lines: Vec<ConservationLine> = days.into_values().collect();
        for line in &mut lines {
            line.finish();
            total.received += line.received;
            total.stored += line.stored;
            total.duplicates += line.duplicates;
            total.quarantined += line.quarantined;
            for s in DocumentStatus::ALL {
                total.by_status.add(*s, line.by_status.get(*s));
            }
        }
        total.finish();
        lines.reverse();
        let oldest: Option<String> = self.conn.query_row(
            "SELECT min(received_at) FROM documents
             WHERE status NOT IN ('filed', 'rejected', 'superseded')",
            [],
            |r| r.get(0),
        )?;
        let hours = oldest.as_deref().and_then(|o| {
            let then = chrono::DateTime::parse_from_rfc3339(o).ok()?;
            let now = chrono::DateTime::parse_from_rfc3339(now).ok()?;
            Some((now - then).num_hours())
        });
        let balanced = total.balanced && lines.iter().all(|l| l.balanced);
        Ok(ConservationReport {
            total,
            days: lines,
            responses_and_reports,
            oldest_pending_received_at: oldest,
            oldest_pending_hours: hours,
            balanced,
        })
    }
}
