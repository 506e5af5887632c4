//! # handover-practice
//!
//! The practice-wide shared store on PostgreSQL (issue 14): one log of workflow events per
//! practice, which every desktop appends to and pulls from, and the lease that lets exactly one
//! MESH puller per practice write what arrives.
//!
//! - **seq from the head row.** `handover.append_event` takes the next seq from the practice's
//!   row in `practice_heads`, locked to the end of the transaction, so seqs are gapless and
//!   commit in order: [`PracticeDb::pull`] with `seq > cursor` never skips an event.
//! - **The actor is the session.** Each person logs in with their own database role; the
//!   function records `session_user` and the role's workflow role, never an argument.
//! - **Append-only.** Members have no INSERT, UPDATE or DELETE on any table (row-level security
//!   limits their reads to their practice); a trigger refuses UPDATE, DELETE and TRUNCATE on
//!   the log even to its owner; the hash chain ([`handover_chain`], the same as the desktop's
//!   local log) catches whoever gets round both ([`PracticeDb::verify_chain`]).
//! - **Idempotent.** An event's id (`device:n`) is unique per practice; appending it again
//!   returns the seq it already has.
//! - **Fenced.** The puller holds a lease with an epoch; an ingest checks its epoch inside its
//!   own transaction, just before committing ([`PracticeDb::ingest`]).
//!
//! - **What the puller receives** (schema 2, [`FencedIngest::store_message`]): messages as
//!   received, documents once by content hash, the ITK3 outbox; written by the puller's own
//!   login, fenced at COMMIT by a deferred trigger as well as by [`FencedIngest::commit`].
//!
//! - **What desktops pull** (schema 3, [`PracticeDb::pull_documents`]): documents in
//!   `doc_seq` order, a per-practice change number from a head row locked to the end of the
//!   inserting transaction (gapless, in commit order, as events' seq); the server's identity
//!   ([`PracticeDb::server_identity`]).
//!
//! - **The practice register** (schema 7, [`PracticeDb::import_register`]): every import a new
//!   version per practice, kept, its rows hashed; imported only by a GP, an admin or the
//!   practice manager (checked by the server), read by every member of the practice.
//!
//! Async on tokio: [`connect`] spawns the connection's task on the current runtime.

mod cache;
mod error;
mod lease;
mod people;
mod received;
mod register;
pub mod schema;
#[cfg(feature = "cluster")]
pub mod testing;
pub mod tls;

use std::time::Duration;

pub use cache::{PulledDocument, ServerHeads, ServerIdentity};
pub use error::PracticeError;
pub use handover_chain::GENESIS_HASH;
pub use lease::LeaseKeeper;
pub use people::{Member, Person, Removal, RoleChange};
pub use received::{
    MessageOutcome, OutboxEntry, QueuedResponse, ReceivedDocument, ReceivedMessage, StoredMessage,
};
pub use register::{
    sha256_hex, RegisterHead, RegisterImport, RegisterUpload, RegisterVersion, REGISTER_SCHEMA,
};
use serde::Serialize;
use tokio_postgres::{Client, Config, NoTls};

/// An event to append: a desktop's event as it recorded it. Who appended it (the actor and
/// their role) is taken from the database session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPracticeEvent {
    /// `device:n`: the idempotency key.
    pub event_id: String,
    /// RFC 3339, as the device recorded it.
    pub at: String,
    pub os_user: String,
    pub device: String,
    /// The document's content hash.
    pub document_key: Option<String>,
    pub kind: String,
    /// The details JSON, as text (hashed as it is).
    pub details: String,
}

/// An event in the practice log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PracticeEvent {
    pub practice_id: String,
    pub seq: i64,
    pub event_id: String,
    pub at: String,
    pub actor: String,
    pub role: Option<String>,
    pub os_user: String,
    pub device: String,
    pub document_key: Option<String>,
    pub kind: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    /// When the server recorded it (its clock; not covered by the hash).
    pub recorded_at: String,
}

impl PracticeEvent {
    /// The hash this event should have after `prev`.
    pub fn expected_hash(&self, prev: &str) -> String {
        handover_chain::event_hash(
            prev,
            &handover_chain::ChainFields {
                seq: self.seq,
                event_id: &self.event_id,
                at: &self.at,
                actor: &self.actor,
                role: self.role.as_deref(),
                os_user: &self.os_user,
                device: &self.device,
                document_key: self.document_key.as_deref(),
                kind: &self.kind,
                details: &self.details,
            },
        )
    }
}

/// What [`PracticeDb::verify_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub events: u64,
    pub ok: bool,
    /// The seq of the first event that does not verify.
    pub first_bad_event: Option<i64>,
    pub problem: Option<String>,
}

/// A practice's people as the server knows them (see [`PracticeDb::practice_people`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticePeople {
    /// This connection's login.
    pub me: String,
    /// Every person of the practice (removed ones too, marked: the log still names them).
    pub people: Vec<Person>,
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    pub practice_id: String,
    pub schema_version: i32,
    /// Migrations applied by this call (none when the schema was already current).
    pub migrations_applied: Vec<i32>,
    /// False when the practice was there already (its name is left as it was).
    pub practice_created: bool,
}

/// The lease's name: the one MESH puller of a practice.
pub const MESH_LEASE: &str = "mesh";

/// A connection to the practice server, as the login in its URL.
pub struct PracticeDb {
    client: Client,
    /// Woken by the server's notifications on this connection (see [`PracticeDb::listen`]).
    wake: std::sync::Arc<tokio::sync::Notify>,
}

/// Connects to the practice server (`postgres://user:password@host:port/db`, or key=value).
///
/// The TLS rule (see [`tls`]): a server that is not on this machine is reached only over TLS
/// (never falling back to plain; `sslmode=disable` is refused), its certificate verified as
/// `sslmode=verify-full` (`practice_certificate_invalid` when it does not chain to a trusted
/// authority, names another host or has expired). Trusted authorities: the file in
/// `sslrootcert=` (else `HANDOVER_PRACTICE_CA`), only those; without either, the system's.
/// The device's certificate and key: `sslcert=`/`sslkey=` (else
/// `HANDOVER_PRACTICE_CLIENT_CERT`/`_KEY`). Loopback addresses and local sockets stay plain
/// unless TLS is asked for (`sslmode=require`/`verify-full`, `sslrootcert`, `sslcert`).
pub async fn connect(url: &str) -> Result<PracticeDb, PracticeError> {
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let (rest, params) = tls::split_tls_params(url)?;
    let mut config: Config = rest.parse().map_err(|e: tokio_postgres::Error| {
        PracticeError::InvalidArgument(format!("not a PostgreSQL connection URL: {e}"))
    })?;
    let transport = tls::transport(&mut config, &params)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.application_name("handover");
    let client = match transport {
        tls::Transport::Plain => {
            let (client, connection) = config
                .connect(NoTls)
                .await
                .map_err(|e| tls::connect_error(e, &config))?;
            tokio::spawn(drive(connection, wake.clone()));
            client
        }
        tls::Transport::Tls(connector) => {
            let (client, connection) = config
                .connect(postgres_native_tls::MakeTlsConnector::new(connector))
                .await
                .map_err(|e| tls::connect_error(e, &config))?;
            tokio::spawn(drive(connection, wake.clone()));
            client
        }
    };
    Ok(PracticeDb { client, wake })
}

/// Drives a connection (its requests and replies) and turns the server's notifications into
/// wake-ups ([`PracticeDb::listen`]). When the connection ends, waiters are woken too, so they
/// find out at their next request. Errors reach the client as errors on its next request.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    wake: std::sync::Arc<tokio::sync::Notify>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => wake.notify_one(),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    wake.notify_one();
}

/// A practice's ODS code: 3 to 10 capital letters and digits.
fn check_practice_id(id: &str) -> Result<(), PracticeError> {
    if (3..=10).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(PracticeError::InvalidArgument(format!(
            "{id:?} is not an ODS code (3 to 10 capital letters and digits)"
        )))
    }
}

/// A login name: lower-case letters, digits and `_`, starting with a letter, at most 63
/// bytes, and not one of PostgreSQL's or Handover's own role names.
fn check_login(name: &str) -> Result<(), PracticeError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with("pg_")
        && !name.starts_with("handover_")
        && !matches!(
            name,
            "postgres" | "public" | "none" | "current_user" | "session_user"
        );
    if ok {
        Ok(())
    } else {
        Err(PracticeError::InvalidArgument(format!(
            "{name:?} cannot be a login name: use lower-case letters, digits and _, starting \
             with a letter (at most 63), not pg_... or handover_..."
        )))
    }
}

/// The group role for a workflow role name (`gp`, ..., or `puller`).
fn group_role(role: &str) -> Result<&'static str, PracticeError> {
    schema::PERSON_ROLES
        .iter()
        .chain(std::iter::once(&schema::PULLER_ROLE))
        .find(|(name, _)| *name == role)
        .map(|(_, group)| *group)
        .ok_or_else(|| {
            PracticeError::InvalidArgument(format!(
                "{role:?} is not a role: gp, admin, care-coordinator, pharmacist, \
                 practice-manager or puller"
            ))
        })
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

const EVENT_SELECT: &str = "SELECT practice_id, seq, event_id, at, actor, role, os_user, device, \
     document_key, kind, details, prev_hash, hash, \
     to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
     FROM handover.events";

fn event_row(r: &tokio_postgres::Row) -> PracticeEvent {
    PracticeEvent {
        practice_id: r.get(0),
        seq: r.get(1),
        event_id: r.get(2),
        at: r.get(3),
        actor: r.get(4),
        role: r.get(5),
        os_user: r.get(6),
        device: r.get(7),
        document_key: r.get(8),
        kind: r.get(9),
        details: r.get(10),
        prev_hash: r.get(11),
        hash: r.get(12),
        recorded_at: r.get(13),
    }
}

const APPEND_SQL: &str = "SELECT handover.append_event($1, $2, $3, $4, $5, $6, $7)";

async fn append_in<C: tokio_postgres::GenericClient>(
    client: &C,
    events: &[NewPracticeEvent],
) -> Result<Vec<i64>, PracticeError> {
    let stmt = client.prepare(APPEND_SQL).await?;
    let mut seqs = Vec::with_capacity(events.len());
    for e in events {
        let row = client
            .query_one(
                &stmt,
                &[
                    &e.event_id,
                    &e.at,
                    &e.os_user,
                    &e.device,
                    &e.document_key,
                    &e.kind,
                    &e.details,
                ],
            )
            .await?;
        seqs.push(row.get(0));
    }
    Ok(seqs)
}

fn ttl_ms(ttl: Duration) -> i64 {
    ttl.as_millis().clamp(1, i64::MAX as u128) as i64
}

impl PracticeDb {
    /// Listens on this connection for the practice's notifications (schema 5: its log or its
    /// documents grew; schema 10: on the practice's private channel) and returns what they wake: a waiter on it is woken once per
    /// notification (a notification while nobody waits is kept for the next wait), and also
    /// when the connection ends. On a server older than schema 5 nothing notifies: the caller
    /// keeps polling.
    pub async fn listen(
        &self,
        practice_id: &str,
    ) -> Result<std::sync::Arc<tokio::sync::Notify>, PracticeError> {
        check_practice_id(practice_id)?;
        let channel = if self.schema_version().await? >= 10 {
            // Its members alone can read it (row-level security).
            self.client
                .query_opt(
                    "SELECT notify_channel FROM handover.practices WHERE practice_id = $1",
                    &[&practice_id],
                )
                .await?
                .map(|r| r.get::<_, String>(0))
                .ok_or_else(|| PracticeError::PracticeNotFound(practice_id.to_string()))?
        } else {
            schema::legacy_practice_channel(practice_id)
        };
        // Made by the server as `handover_` and 32 hex digits (checked there), or from a
        // checked ODS code: a plain identifier either way.
        self.client
            .batch_execute(&format!("LISTEN \"{channel}\""))
            .await?;
        Ok(self.wake.clone())
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The underlying client, mutably (to open a transaction of one's own).
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The schema version on the server (0 when there is none yet).
    pub async fn schema_version(&self) -> Result<i32, PracticeError> {
        let row = self
            .client
            .query_one(
                "SELECT to_regclass('handover.schema_migrations') IS NOT NULL",
                &[],
            )
            .await?;
        if !row.get::<_, bool>(0) {
            return Ok(0);
        }
        let row = self
            .client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM handover.schema_migrations",
                &[],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Creates (or brings up to date) the schema and the group roles, and the practice with
    /// its log head and lease. Safe to run again. Needs a superuser login (it creates roles
    /// and runs the migrations as `handover_owner`).
    pub async fn init(
        &mut self,
        practice_id: &str,
        name: &str,
    ) -> Result<InitReport, PracticeError> {
        self.init_to(practice_id, name, schema::latest_version())
            .await
    }

    /// `init` stopping at schema `version` (for tests of a later migration over rows written
    /// under an earlier schema).
    #[cfg(feature = "test-support")]
    pub async fn init_at_version(
        &mut self,
        practice_id: &str,
        name: &str,
        version: i32,
    ) -> Result<InitReport, PracticeError> {
        self.init_to(practice_id, name, version).await
    }

    async fn init_to(
        &mut self,
        practice_id: &str,
        name: &str,
        target: i32,
    ) -> Result<InitReport, PracticeError> {
        check_practice_id(practice_id)?;
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(PracticeError::InvalidArgument(
                "the practice needs a name (at most 200 characters)".into(),
            ));
        }
        let superuser: bool = self
            .client
            .query_one(
                "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user",
                &[],
            )
            .await?
            .get(0);
        if !superuser {
            return Err(PracticeError::PermissionDenied(
                "practice init needs a PostgreSQL superuser login (it creates roles and the \
                 schema)"
                    .into(),
            ));
        }
        let tx = self.client.transaction().await?;
        // One init at a time (a transaction-scoped advisory lock, released at commit).
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('handover.migrate'))",
            &[],
        )
        .await?;
        tx.batch_execute(schema::ROLES_SQL).await?;
        tx.batch_execute("CREATE SCHEMA IF NOT EXISTS handover AUTHORIZATION handover_owner")
            .await?;
        tx.batch_execute("SET LOCAL ROLE handover_owner").await?;
        let exists: bool = tx
            .query_one(
                "SELECT to_regclass('handover.schema_migrations') IS NOT NULL",
                &[],
            )
            .await?
            .get(0);
        let current: i32 = if exists {
            tx.query_one(
                "SELECT coalesce(max(version), 0) FROM handover.schema_migrations",
                &[],
            )
            .await?
            .get(0)
        } else {
            0
        };
        let known = schema::latest_version();
        if current > known {
            return Err(PracticeError::SchemaTooNew {
                found: current,
                known,
            });
        }
        let mut applied = Vec::new();
        for (index, sql) in schema::MIGRATIONS
            .iter()
            .enumerate()
            .take(target.max(0) as usize)
            .skip(current as usize)
        {
            let version = index as i32 + 1;
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO handover.schema_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await?;
            applied.push(version);
        }
        let created = tx
            .execute(
                "INSERT INTO handover.practices (practice_id, name) VALUES ($1, $2)
                 ON CONFLICT (practice_id) DO NOTHING",
                &[&practice_id, &name],
            )
            .await?
            == 1;
        tx.execute(
            "INSERT INTO handover.practice_heads (practice_id) VALUES ($1)
             ON CONFLICT (practice_id) DO NOTHING",
            &[&practice_id],
        )
        .await?;
        tx.execute(
            "INSERT INTO handover.leases (practice_id, name) VALUES ($1, $2)
             ON CONFLICT (practice_id, name) DO NOTHING",
            &[&practice_id, &MESH_LEASE],
        )
        .await?;
        // (Schema 3 on; a schema stopped earlier by `init_at_version` has no such table.)
        let has_document_heads: bool = tx
            .query_one(
                "SELECT to_regclass('handover.document_heads') IS NOT NULL",
                &[],
            )
            .await?
            .get(0);
        if has_document_heads {
            tx.execute(
                "INSERT INTO handover.document_heads (practice_id) VALUES ($1)
                 ON CONFLICT (practice_id) DO NOTHING",
                &[&practice_id],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(InitReport {
            practice_id: practice_id.to_string(),
            schema_version: target.clamp(current, known),
            migrations_applied: applied,
            practice_created: created,
        })
    }

    /// The practices on the server (as this login may see them).
    pub async fn practices(&self) -> Result<Vec<(String, String)>, PracticeError> {
        let rows = self
            .client
            .query(
                "SELECT practice_id, name FROM handover.practices ORDER BY practice_id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Creates a login role for a person (or the MESH puller, role `puller`) in a practice:
    /// its password is sent only as a SCRAM-SHA-256 verifier. Needs a superuser login. Not
    /// recorded in the practice log (for test and bench setups): `handover practice add-user`
    /// uses [`PracticeDb::add_person`], which records `person_added`.
    pub async fn add_user(
        &mut self,
        practice_id: &str,
        name: &str,
        role: &str,
        password: &str,
    ) -> Result<(), PracticeError> {
        let tx = self.client.transaction().await?;
        people::create_login(&tx, practice_id, name, role, password, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The practice this login works in (`practice_not_member` if none).
    pub async fn session_practice(&self) -> Result<String, PracticeError> {
        let row = self
            .client
            .query_one("SELECT practice_id FROM handover.require_member()", &[])
            .await?;
        Ok(row.get(0))
    }

    /// The people of this login's practice (not the puller): login, workflow role, display
    /// name and removal, and which of them this login is. What a desktop of the practice acts
    /// as, and may assign to.
    pub async fn practice_people(&self) -> Result<PracticePeople, PracticeError> {
        let me: String = self
            .client
            .query_one("SELECT session_user::text", &[])
            .await?
            .get(0);
        // Display names and removals from schema 9 (an older server has neither).
        let sql = if self.schema_version().await? >= 9 {
            "SELECT login::text, role, display_name,
                    to_char(removed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
               FROM handover.members
              WHERE kind = 'person' AND practice_id = handover.session_practice()
              ORDER BY login"
        } else {
            "SELECT login::text, role, NULL::text, NULL::text FROM handover.members
              WHERE kind = 'person' AND practice_id = handover.session_practice()
              ORDER BY login"
        };
        let rows = self.client.query(sql, &[]).await?;
        Ok(PracticePeople {
            me,
            people: rows
                .iter()
                .map(|r| Person {
                    login: r.get(0),
                    role: r.get(1),
                    display_name: r.get(2),
                    removed_at: r.get(3),
                })
                .collect(),
        })
    }

    /// Appends a batch in one transaction; returns each event's seq. Idempotent: events
    /// already in the log (by event id) keep the seq they have, and are not added again.
    pub async fn append_events(
        &mut self,
        events: &[NewPracticeEvent],
    ) -> Result<Vec<i64>, PracticeError> {
        let tx = self.client.transaction().await?;
        let seqs = append_in(&tx, events).await?;
        tx.commit().await?;
        Ok(seqs)
    }

    /// Appends inside a transaction the caller holds (commit or roll back is theirs).
    pub async fn append_in_transaction(
        tx: &tokio_postgres::Transaction<'_>,
        events: &[NewPracticeEvent],
    ) -> Result<Vec<i64>, PracticeError> {
        append_in(tx, events).await
    }

    /// Events of this login's practice after `after_seq`, in seq order, at most `limit`.
    pub async fn pull(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<PracticeEvent>, PracticeError> {
        let limit = i64::from(limit.clamp(1, 10_000));
        let rows = self
            .client
            .query(
                &format!(
                    "{EVENT_SELECT} WHERE practice_id = handover.session_practice() \
                     AND seq > $1 ORDER BY seq LIMIT $2"
                ),
                &[&after_seq, &limit],
            )
            .await?;
        Ok(rows.iter().map(event_row).collect())
    }

    /// Checks this login's practice log: every event's hash, its link to the one before, no
    /// gap in seq, and the last event against the head row.
    pub async fn verify_chain(&mut self) -> Result<ChainReport, PracticeError> {
        let practice = self.session_practice().await?;
        let mut prev_hash = GENESIS_HASH.to_string();
        let mut prev_seq = 0i64;
        let mut count = 0u64;
        let bad = |seq: i64, count: u64, problem: String| ChainReport {
            events: count,
            ok: false,
            first_bad_event: Some(seq),
            problem: Some(problem),
        };
        // Read in one snapshot, so the head matches the events read.
        let tx = self
            .client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let head = tx
            .query_opt(
                "SELECT seq, hash FROM handover.practice_heads WHERE practice_id = $1",
                &[&practice],
            )
            .await?
            .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)))
            .unwrap_or((0, GENESIS_HASH.to_string()));
        loop {
            let rows = tx
                .query(
                    &format!(
                        "{EVENT_SELECT} WHERE practice_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000"
                    ),
                    &[&practice, &prev_seq],
                )
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = event_row(row);
                count += 1;
                if e.seq != prev_seq + 1 {
                    return Ok(bad(
                        prev_seq + 1,
                        count,
                        format!("events {} to {} are missing", prev_seq + 1, e.seq - 1),
                    ));
                }
                if e.prev_hash != prev_hash {
                    return Ok(bad(
                        e.seq,
                        count,
                        format!("event {} does not follow the event before it", e.seq),
                    ));
                }
                if e.expected_hash(&prev_hash) != e.hash {
                    return Ok(bad(
                        e.seq,
                        count,
                        format!("event {} was changed after it was recorded", e.seq),
                    ));
                }
                prev_hash = e.hash;
                prev_seq = e.seq;
            }
        }
        tx.commit().await?;
        if head.0 != prev_seq || head.1 != prev_hash {
            return Ok(bad(
                prev_seq + 1,
                count,
                format!(
                    "the log's head ({}) does not match its last event ({prev_seq})",
                    head.0
                ),
            ));
        }
        Ok(ChainReport {
            events: count,
            ok: true,
            first_bad_event: None,
            problem: None,
        })
    }

    /// Takes the practice's MESH lease for `ttl` and returns its epoch (the same epoch when
    /// this holder still holds it; a new one otherwise). `lease_held` while another holds it.
    pub async fn acquire_lease(&self, holder: &str, ttl: Duration) -> Result<i64, PracticeError> {
        let row = self
            .client
            .query_one(
                "SELECT handover.acquire_lease($1, $2)",
                &[&holder, &ttl_ms(ttl)],
            )
            .await?;
        Ok(row.get(0))
    }

    /// Extends the lease from now (the database's clock); `lease_lost` if it is no longer
    /// this holder's at this epoch.
    pub async fn renew_lease(
        &self,
        holder: &str,
        epoch: i64,
        ttl: Duration,
    ) -> Result<(), PracticeError> {
        self.client
            .execute(
                "SELECT handover.renew_lease($1, $2, $3)",
                &[&holder, &epoch, &ttl_ms(ttl)],
            )
            .await?;
        Ok(())
    }

    /// Gives the lease up (the next holder need not wait for it to expire).
    pub async fn release_lease(&self, holder: &str, epoch: i64) -> Result<(), PracticeError> {
        self.client
            .execute("SELECT handover.release_lease($1, $2)", &[&holder, &epoch])
            .await?;
        Ok(())
    }

    /// Starts a fenced ingest: writes made through it commit only if `holder` still holds the
    /// lease at `epoch` when it commits.
    pub async fn begin_ingest<'a>(
        &'a mut self,
        holder: &'a str,
        epoch: i64,
    ) -> Result<FencedIngest<'a>, PracticeError> {
        Ok(FencedIngest {
            tx: self.client.transaction().await?,
            holder,
            epoch,
        })
    }

    /// Appends a batch as the puller at `epoch`, in one transaction that commits only if the
    /// lease is still this holder's at that epoch (`lease_lost` otherwise: nothing is written).
    pub async fn ingest(
        &mut self,
        holder: &str,
        epoch: i64,
        events: &[NewPracticeEvent],
    ) -> Result<Vec<i64>, PracticeError> {
        let mut ingest = self.begin_ingest(holder, epoch).await?;
        let seqs = ingest.append(events).await?;
        ingest.commit().await?;
        Ok(seqs)
    }
}

/// A transaction whose commit is fenced by the lease's epoch.
pub struct FencedIngest<'a> {
    tx: tokio_postgres::Transaction<'a>,
    holder: &'a str,
    epoch: i64,
}

impl FencedIngest<'_> {
    pub async fn append(&mut self, events: &[NewPracticeEvent]) -> Result<Vec<i64>, PracticeError> {
        append_in(&self.tx, events).await
    }

    /// The transaction, for other writes of the same ingest.
    pub fn transaction(&self) -> &tokio_postgres::Transaction<'_> {
        &self.tx
    }

    /// Checks the epoch (locking the lease row, so it cannot change hands before the commit)
    /// and commits; on `lease_lost` the transaction is rolled back and nothing is written.
    pub async fn commit(self) -> Result<(), PracticeError> {
        self.tx
            .execute(
                "SELECT handover.check_epoch($1, $2)",
                &[&self.holder, &self.epoch],
            )
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
