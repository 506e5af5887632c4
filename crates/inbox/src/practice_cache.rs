//! A desktop as a cache of the practice server (issue 14): what `handover sync --once` does
//! when `HANDOVER_PRACTICE_DATABASE` is set.
//!
//! 1. Checks who the server is (its database id and this login's practice) against what the
//!    cache was filled from; another server or practice is refused
//!    (`practice_server_changed`), never mixed in.
//! 2. Pulls the practice's documents `doc_seq > cursor` in pages of [`DOCUMENT_PAGE`]; each
//!    page is stored in **one** local transaction together with the cursor it advances, so a
//!    pull stopped anywhere loses nothing and repeats nothing. Each document is stored as the
//!    desktop stores one from its own mailbox (`Store::ingest`, source `practice`, the practice
//!    as the mailbox, the content hash as the message id; the message's bytes as received, so
//!    attachments are decoded from them as usual), placed by the same policy (`policy::place`:
//!    replacements supersede, identifier conflicts are warned about), and brought into the
//!    workflow locally (`received_from_practice`: requested actions, matching against this
//!    desktop's register, GP review; no business response, which is the puller's to send). A
//!    document already in the cache by content hash is recorded as a delivery of it, not
//!    stored again.
//! 3. Pulls the practice log's events `seq > cursor` in pages of [`EVENT_PAGE`] and keeps them
//!    as pulled (seq, actor, device, ...), one local transaction per page with its cursor, in
//!    which other desktops' workflow events are folded into the cached documents' projections
//!    (`apply_practice_event`, by `document_key`; an event about a document not cached yet is
//!    folded when the document arrives).
//! 4. Before all that, sends this desktop's own workflow events waiting in its outbox (queued by
//!    the workflow in the transaction of the step) with `append_events`, idempotent by event id;
//!    they leave the outbox when the pull finds them in the practice log. A filing another
//!    desktop made first is refused by the server (`already_filed`, "already filed by NAME at
//!    TIME"): it leaves the outbox, is reported in `refused`, and the other filing, pulled, is
//!    folded over this desktop's.
//! 5. Records when the pull finished, or why it failed (what `handover status` shows).
//!
//! Between 4 and 2 (so documents pulled in the same round are matched against it): the
//! practice register, shared through the server (schema 7, [`take_register`]). When the
//! server's latest version is newer than the one the cache last took, each version after it is
//! taken in order, each in one local transaction that writes its rows into the local register
//! as `handover register import` does, records `RegisterImported`, and records the version
//! taken; then the documents waiting for a match are matched again
//! (`rematch_after_practice_import`: no business response from a desktop). So every desktop of
//! the practice matches against the same register, whichever desktop imported it.
//!
//! Before 2 to 4: a server restored from an older backup is found ([`CacheSummary::chain_break`],
//! see `rewind`). Its identity (`handover.server`, in the backup) is the same, but its log no
//! longer has the event at the cache's cursor with the hash the cache kept, or its documents
//! end before the cache's document cursor (or another document has that number). The cache
//! is taken back, in one local transaction, to the last event and document the two have
//! alike: the break recorded (for the summary and `status`), this desktop's own lost events
//! put back in the outbox (sent again by this pull; same event ids, so a desktop that already
//! resent them adds nothing), the lost practice events dropped, the cursors moved back, and
//! every projection rebuilt from the own log and the practice events still valid (so what
//! other desktops' lost events did is undone here until each of them pulls and sends its own
//! again; then they are folded like any other event). Documents are never dropped: those the
//! server lost are counted and listed by id, and stay in the cache. An event sent again that
//! lands under the seq it had, after the same events, has the same hash: it is the same event,
//! and a desktop that kept it keeps it.
//!
//! Practice events folded into a document are recorded with the own log's last event at that
//! moment (`practice_folds`), so the workflow's `rebuild` folds both logs in the order this
//! desktop did.
//!
//! Not yet: the version a step expects checked by the server for steps other than filing
//! (see ARCHITECTURE.md, issue 14).

use handover_errors::{Coded, ErrorCode};
use handover_practice::{NewPracticeEvent, PracticeDb, PracticeError, PulledDocument};
use handover_store::{
    ChainBreak, Disposition, DocumentIdentity, DocumentRecord, Incoming, IngestOutcome,
    MessageSource, PracticeEventRecord, PracticeRegisterRecord, RegisterPatient, Store, StoreError,
};
use handover_workflow::WorkflowConfig;
use serde::Serialize;

use crate::policy::{self, Placement};
use crate::sync::now_rfc3339;

/// Documents per page (each page one local transaction). A page carries the messages' bytes,
/// so it is kept small.
pub const DOCUMENT_PAGE: u32 = 50;
/// Events per page.
pub const EVENT_PAGE: u32 = 1_000;

/// Fault injection for the crash test (feature `test-hooks`, enabled only by the CLI's
/// dev-dependencies): `HANDOVER_TEST_DOCUMENT_PAGE=N` pulls N documents per page;
/// `HANDOVER_TEST_CRASH_BEFORE_PAGE_COMMIT=K` aborts the process just before the K-th page of
/// documents commits (the pages before it committed); `HANDOVER_TEST_HOLD_BEFORE_EVENTS=1`
/// says so on stderr and waits for a line on stdin between the documents and the events;
/// `HANDOVER_TEST_CRASH_BEFORE_REMATCH=1` aborts between taking a register version and matching
/// the waiting documents again.
mod hooks {
    #[cfg(feature = "test-hooks")]
    fn number(name: &str) -> Option<u32> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }

    pub(super) fn page_size(default: u32) -> u32 {
        #[cfg(feature = "test-hooks")]
        if let Some(n) = number("HANDOVER_TEST_DOCUMENT_PAGE") {
            return n;
        }
        default
    }

    /// Waits off the runtime for a line on stdin (the test makes a document and an event on
    /// the server meanwhile).
    pub(super) async fn before_events() {
        #[cfg(feature = "test-hooks")]
        if number("HANDOVER_TEST_HOLD_BEFORE_EVENTS") == Some(1) {
            eprintln!("HANDOVER-TEST holding before events");
            let _ = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)
            })
            .await;
        }
    }

    /// `HANDOVER_TEST_CRASH_BEFORE_REMATCH=1`: aborts once a register version is taken (its
    /// rows and version committed) and before the waiting documents are matched again.
    pub(super) fn before_rematch() {
        #[cfg(feature = "test-hooks")]
        if number("HANDOVER_TEST_CRASH_BEFORE_REMATCH") == Some(1) {
            eprintln!("HANDOVER-TEST crashing before the rematch");
            std::process::abort();
        }
    }

    pub(super) fn before_page_commit(_page: u32) {
        #[cfg(feature = "test-hooks")]
        if number("HANDOVER_TEST_CRASH_BEFORE_PAGE_COMMIT") == Some(_page) {
            eprintln!("HANDOVER-TEST crashing before page {_page} commits");
            std::process::abort();
        }
    }
}

/// What one pull did; `handover sync --once --json` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CacheSummary {
    pub server_id: String,
    pub practice_id: String,
    /// Documents the server sent (after the cursor).
    pub documents_pulled: u64,
    /// Of those, stored as new documents in the cache.
    pub documents_stored: u64,
    /// Of those, already in the cache (by content hash): recorded as another delivery.
    pub already_cached: u64,
    pub events_pulled: u64,
    /// Of those, not kept before.
    pub events_new: u64,
    /// Of those, other desktops' workflow events folded into a cached document's state.
    pub events_applied: u64,
    /// This desktop's own events sent to the practice log.
    pub events_pushed: u64,
    /// Answers to hospitals (business responses) this desktop handed to the practice server,
    /// which sends one per message.
    pub answers_handed_over: u64,
    /// This desktop's steps the practice refused (a filing another desktop made first: "already
    /// filed by NAME at TIME"); they stay in this desktop's own log, and the other desktop's
    /// step, pulled below, is folded over them.
    pub refused: Vec<RefusedStep>,
    pub document_cursor: i64,
    pub event_cursor: i64,
    pub pulled_at: String,
    /// The server had gone back (restored from an older backup) since the last pull: what it
    /// no longer had, and what this pull did about it (see the module docs). Not an error: the pull
    /// carried on from what the server still has.
    pub chain_break: Option<ChainBreak>,
    /// The version of the practice register the cache has after this pull (0: none taken).
    pub register_version: i64,
    /// What this pull took of the practice register (None: nothing new).
    pub register: Option<RegisterTaken>,
}

/// The versions of the practice register a pull took, and what they changed here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegisterTaken {
    /// The versions taken, oldest first.
    pub versions: Vec<i64>,
    /// Patients added to, changed in, and already so in the local register.
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Documents waiting for a match whose match changed (matched, or another reason).
    pub rematched: u64,
}

/// A step of this desktop's that the practice log refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedStep {
    pub event_id: String,
    pub kind: String,
    pub document_key: Option<String>,
    /// The document in this cache.
    pub document_id: Option<i64>,
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Practice(#[from] PracticeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Workflow(String, ErrorCode),
}

impl Coded for CacheError {
    fn code(&self) -> ErrorCode {
        match self {
            CacheError::Practice(e) => e.code(),
            CacheError::Store(e) => e.code(),
            CacheError::Workflow(_, code) => *code,
        }
    }
}

/// Pulls what is new on the practice server into this desktop's store, and records how it
/// ended (the last successful pull, or the error) whatever happens.
pub async fn pull_into_cache(
    store: &mut Store,
    db: &mut PracticeDb,
    config: &WorkflowConfig,
) -> Result<CacheSummary, CacheError> {
    let result = pull(store, db, config).await;
    match &result {
        Ok(summary) => store.practice_pull_finished(&summary.pulled_at, None)?,
        Err(e) => {
            // The error is what the caller reports; keeping it is best effort.
            let _ = store.practice_pull_finished(&now_rfc3339(), Some((e.code(), &e.to_string())));
        }
    }
    result
}

/// Records a pull that could not start (the server could not be reached): the cache keeps
/// when it last pulled, and why this one failed.
pub fn record_unreachable(store: &Store, error: &impl Coded) -> Result<(), StoreError> {
    store.practice_pull_finished(&now_rfc3339(), Some((error.code(), &error.to_string())))
}

async fn pull(
    store: &mut Store,
    db: &mut PracticeDb,
    config: &WorkflowConfig,
) -> Result<CacheSummary, CacheError> {
    let identity = db.server_identity().await?;
    let known = handover_practice::schema::latest_version();
    if identity.schema_version > known {
        return Err(PracticeError::SchemaTooNew {
            found: identity.schema_version,
            known,
        }
        .into());
    }
    store.bind_practice_server(
        &identity.server_id,
        &identity.practice_id,
        &identity.practice_name,
    )?;
    // Who this desktop works as (its login, with the role the practice gave it), and the
    // practice's people, as this desktop's profiles.
    let people = db.practice_people().await?;
    // (A role changed, a display name given or a person removed on the server is taken here
    // at the next pull; the change's event in the practice log wakes the desktops.)
    let roles: Vec<handover_store::PracticePerson> = people
        .people
        .iter()
        .filter_map(|p| {
            handover_store::Role::parse(&p.role).map(|role| handover_store::PracticePerson {
                login: p.login.clone(),
                role,
                display_name: p.display_name.clone(),
                removed_at: p.removed_at.clone(),
            })
        })
        .collect();
    store.set_practice_people(&people.me, &roles, &now_rfc3339())?;
    let mut summary = CacheSummary {
        server_id: identity.server_id.clone(),
        practice_id: identity.practice_id.clone(),
        ..CacheSummary::default()
    };
    // Before anything is sent or pulled: has the server gone back?
    summary.chain_break = rewind(store, db).await?;
    // This desktop's own events first (idempotent by event id: a batch resent after a lost
    // reply adds nothing); they leave the outbox when the pull below finds them in the log.
    let mut after = 0;
    loop {
        let outgoing = store.practice_outbox(after, EVENT_PAGE)?;
        let Some(last) = outgoing.last().map(|e| e.seq) else {
            break;
        };
        let events: Vec<NewPracticeEvent> = outgoing
            .iter()
            .map(|e| NewPracticeEvent {
                event_id: e.event_id.clone(),
                at: e.at.clone(),
                os_user: e.os_user.clone(),
                device: e.device.clone(),
                document_key: e.document_key.clone(),
                kind: e.kind.clone(),
                details: e.details.clone(),
            })
            .collect();
        // One at a time: a step the practice refuses (a filing another desktop made first)
        // must not hold up the others.
        for (e, out) in events.iter().zip(&outgoing) {
            match db.append_events(std::slice::from_ref(e)).await {
                Ok(_) => summary.events_pushed += 1,
                Err(
                    refused @ (PracticeError::AlreadyFiled(_) | PracticeError::DocumentChanged(_)),
                ) => {
                    store.drop_practice_push(out.seq)?;
                    // The step stays in this desktop's log, marked refused, and its document
                    // shows what the practice has.
                    let document = match e.document_key.as_deref() {
                        Some(k) => store.document_by_content(k)?,
                        None => None,
                    };
                    if let Some(id) = document {
                        handover_workflow::practice_refused(store, id, out.seq)
                            .map_err(|e| CacheError::Workflow(e.to_string(), e.code()))?;
                    }
                    summary.refused.push(RefusedStep {
                        event_id: e.event_id.clone(),
                        kind: e.kind.clone(),
                        document_key: e.document_key.clone(),
                        document_id: match e.document_key.as_deref() {
                            Some(k) => store.document_by_content(k)?,
                            None => None,
                        },
                        code: refused.code(),
                        message: refused.to_string(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        after = last;
        if outgoing.len() < EVENT_PAGE as usize {
            break;
        }
    }
    // The practice register before the documents, so that those pulled now are matched
    // against the newest.
    summary.register = take_register(store, db, config).await?;
    summary.register_version = store.practice_register()?.map_or(0, |r| r.version);
    let (document_cursor, event_cursor) = store.practice_cursors()?;
    let mut cursor = document_cursor;
    let page_size = hooks::page_size(DOCUMENT_PAGE);
    let mut pages = 0;
    loop {
        let page = db.pull_documents(cursor, page_size).await?;
        let Some(last) = page.last().map(|d| d.doc_seq) else {
            break;
        };
        pages += 1;
        store_page(
            store,
            &identity.practice_id,
            &page,
            config,
            pages,
            &mut summary,
        )?;
        cursor = last;
        if page.len() < page_size as usize {
            break;
        }
    }
    summary.document_cursor = cursor;
    hooks::before_events().await;

    let mut cursor = event_cursor;
    loop {
        let page = db.pull(cursor, EVENT_PAGE).await?;
        let Some(last) = page.last().map(|e| e.seq) else {
            break;
        };
        let records: Vec<PracticeEventRecord> = page
            .into_iter()
            .map(|e| PracticeEventRecord {
                seq: e.seq,
                event_id: e.event_id,
                at: e.at,
                actor: e.actor,
                role: e.role,
                os_user: e.os_user,
                device: e.device,
                document_key: e.document_key,
                kind: e.kind,
                details: e.details,
                prev_hash: e.prev_hash,
                hash: e.hash,
                recorded_at: e.recorded_at,
            })
            .collect();
        summary.events_pulled += records.len() as u64;
        // Kept and folded into the documents' projections in one transaction.
        let applied = store.atomically(|s| {
            let new = s.record_practice_events(&records, &now_rfc3339())?;
            summary.events_new += new.len() as u64;
            let mut applied = 0;
            for e in new.iter().map(|&i| &records[i]) {
                applied += u64::from(fold(s, e)?);
            }
            Ok::<_, StoreError>(applied)
        })?;
        summary.events_applied += applied;
        cursor = last;
        if records.len() < EVENT_PAGE as usize {
            break;
        }
    }
    summary.event_cursor = cursor;
    // The answers to hospitals this desktop queued (on arrival, after a register version, or
    // by a person's step) go to the practice server, which sends them.
    summary.answers_handed_over = hand_over_answers(store, db).await?;
    summary.pulled_at = now_rfc3339();
    Ok(summary)
}

/// Finds a server that has gone back since the last pull (restored from an older backup) and
/// takes the cache back to what it still has.
///
/// Gone back: the server's log no longer has the event at the cache's event cursor with the
/// hash the cache kept (its head is lower, or the event under that seq is another), or its
/// documents end before the cache's document cursor, or the document it numbered at that
/// cursor is another. Then the last event both have alike is found (a binary search: the
/// hash chain makes "the same event at seq N" mean "the same log up to N"), and the last
/// document (documents have no chain; a restored server numbers its new documents after its
/// backup's, so the same search holds), and in one local transaction
/// ([`Store::rewind_practice_cache`]): the break is recorded, this desktop's own events the
/// server lost go back into the outbox (sent again by this pull, with the same event ids), the
/// practice events it lost are dropped, the cursors go back, and every projection is rebuilt
/// from this desktop's own log and the practice events still valid (`rebuild`), so what other
/// desktops' lost events did is undone here until those desktops send them again (each
/// desktop resends its own when it next pulls). Cached documents are never dropped: those the
/// server no longer has are counted and listed. Then the pull carries on as usual.
async fn rewind(store: &mut Store, db: &mut PracticeDb) -> Result<Option<ChainBreak>, CacheError> {
    let (document_cursor, event_cursor) = store.practice_cursors()?;
    if document_cursor == 0 && event_cursor == 0 {
        return Ok(None);
    }
    let heads = db.heads().await?;
    let cache_hash = store.practice_event_hash(event_cursor)?;
    // Whether the server has the cache's event `seq` as the cache has it.
    let events_gone = match &cache_hash {
        _ if event_cursor == 0 => false,
        _ if heads.event_seq < event_cursor => true,
        Some(hash) => db.event_hash_at(event_cursor).await?.as_ref() != Some(hash),
        None => false,
    };
    let documents_gone = heads.document_seq < document_cursor
        || match store.practice_document_key(document_cursor)? {
            Some(key) if document_cursor > 0 => {
                db.document_key_at(document_cursor).await?.as_ref() != Some(&key)
            }
            _ => false,
        };
    if !events_gone && !documents_gone {
        return Ok(None);
    }

    // The last event both have: seq 0 (the genesis) always; a probe is the same when the
    // server's hash there is the cache's.
    let mut events_kept_to = event_cursor.min(heads.event_seq);
    if events_gone {
        let (mut same, mut differs) = (0, events_kept_to + 1);
        if events_kept_to > 0 {
            let at = events_kept_to;
            if db.event_hash_at(at).await? == store.practice_event_hash(at)? {
                same = at;
            } else {
                differs = at;
            }
        }
        while differs - same > 1 {
            let mid = same + (differs - same) / 2;
            if db.event_hash_at(mid).await? == store.practice_event_hash(mid)? {
                same = mid;
            } else {
                differs = mid;
            }
        }
        events_kept_to = same;
    }
    // The last document both have (a number this cache did not record, pulled before schema
    // 12, counts as the same).
    let mut documents_kept_to = document_cursor.min(heads.document_seq);
    {
        let agrees = |n: i64, server: Option<String>, cached: Option<String>| {
            n == 0 || cached.is_none() || server == cached
        };
        let at = documents_kept_to;
        if !agrees(
            at,
            db.document_key_at(at).await?,
            store.practice_document_key(at)?,
        ) {
            let (mut same, mut differs) = (0, at);
            while differs - same > 1 {
                let mid = same + (differs - same) / 2;
                if agrees(
                    mid,
                    db.document_key_at(mid).await?,
                    store.practice_document_key(mid)?,
                ) {
                    same = mid;
                } else {
                    differs = mid;
                }
            }
            documents_kept_to = same;
        }
    }
    // Cached documents the server no longer has: kept, and listed.
    let candidates = store.practice_documents_after(documents_kept_to)?;
    let keys: Vec<String> = candidates.iter().map(|(k, _)| k.clone()).collect();
    let held: std::collections::HashSet<String> =
        db.documents_held(&keys).await?.into_iter().collect();
    let lost_document_ids: Vec<i64> = candidates
        .iter()
        .filter(|(k, _)| !held.contains(k))
        .map(|&(_, id)| id)
        .collect();

    let mut report = ChainBreak {
        detected_at: now_rfc3339(),
        server_event_seq: heads.event_seq,
        server_event_hash: heads.event_hash,
        server_document_seq: heads.document_seq,
        cache_event_seq: event_cursor,
        cache_event_hash: cache_hash,
        cache_document_seq: document_cursor,
        events_kept_to,
        documents_kept_to,
        documents_lost: lost_document_ids.len() as u64,
        lost_document_ids,
        ..ChainBreak::default()
    };
    store.atomically(|s| {
        s.rewind_practice_cache(&mut report)?;
        handover_workflow::rebuild(s).map_err(|e| match e {
            handover_workflow::WorkflowError::Store(e) => e,
            other => StoreError::Step(other.to_string()),
        })?;
        Ok::<_, StoreError>(())
    })?;
    Ok(Some(report))
}

fn step_error(e: handover_workflow::WorkflowError) -> StoreError {
    match e {
        handover_workflow::WorkflowError::Store(e) => e,
        other => StoreError::Step(other.to_string()),
    }
}

/// Takes the practice register's versions newer than the one this cache last took (see the
/// module docs), and matches again the documents waiting for a match. A cache that took a
/// version but stopped before matching again (a crash) matches again at its next pull.
///
/// A server that has gone back (restored from an older backup: its latest version is older
/// than the cache's, or has another hash under the same number) has its latest version taken
/// again: the local register is only ever added to, so the cache keeps the patients of the
/// versions the server lost, and takes whatever the server numbers after its latest from
/// then on.
async fn take_register(
    store: &mut Store,
    db: &PracticeDb,
    config: &WorkflowConfig,
) -> Result<Option<RegisterTaken>, CacheError> {
    let cached = store.practice_register()?;
    let have = cached.as_ref().map_or(0, |r| r.version);
    let mut taken = RegisterTaken::default();
    if let Some(latest) = db.latest_register().await? {
        let latest_version = i64::from(latest.version);
        let first = if latest_version > have {
            have + 1
        } else if cached
            .as_ref()
            .is_some_and(|c| c.version == latest_version && c.sha256 == latest.sha256)
        {
            latest_version + 1 // nothing new
        } else {
            latest_version // the server went back: its latest again
        };
        for version in first..=latest_version {
            let Some(v) = db.register_version(version as i32).await? else {
                return Err(PracticeError::Database(format!(
                    "the practice register's version {version} is missing on the server"
                ))
                .into());
            };
            let patients: Vec<RegisterPatient> = serde_json::from_str(&v.patients_json)
                .map_err(|e| {
                    PracticeError::Database(format!(
                        "the practice register's version {version} cannot be read by this                          Handover: {e}"
                    ))
                })?;
            let at = now_rfc3339();
            let record = PracticeRegisterRecord {
                version,
                sha256: v.head.sha256.clone(),
                imported_at: v.head.imported_at.clone(),
                imported_by: v.head.imported_by.clone(),
                taken_at: at.clone(),
                rematched: false,
            };
            let written = store.atomically(|s| {
                let written = s.write_register(&patients, &at)?;
                let actor = handover_workflow::system_actor(s).map_err(step_error)?;
                handover_workflow::record(
                    s,
                    &actor,
                    &at,
                    &handover_workflow::WorkEvent::RegisterImported {
                        imported: written.imported,
                        updated: written.updated,
                        rejected: v.head.rejected.max(0) as u64,
                    },
                )
                .map_err(step_error)?;
                s.set_practice_register(&record)?;
                Ok::<_, StoreError>(written)
            })?;
            taken.versions.push(version);
            taken.imported += written.imported;
            taken.updated += written.updated;
            taken.unchanged += written.unchanged;
        }
    }
    let Some(mut record) = store.practice_register()? else {
        return Ok(None);
    };
    if record.rematched {
        return Ok(None);
    }
    hooks::before_rematch();
    let at = now_rfc3339();
    taken.rematched = handover_workflow::rematch_after_practice_import(store, config, &at)
        .map_err(step_error)? as u64;
    record.rematched = true;
    store.set_practice_register(&record)?;
    Ok(Some(taken))
}

/// One page of documents and the cursor after it, in one local transaction.
fn store_page(
    store: &mut Store,
    practice_id: &str,
    page: &[PulledDocument],
    config: &WorkflowConfig,
    number: u32,
    summary: &mut CacheSummary,
) -> Result<(), StoreError> {
    store.begin_batch()?;
    let mut counts = CacheSummary::default();
    let result = (|| {
        for d in page {
            cache_document(store, practice_id, d, config, &mut counts)?;
        }
        if let Some(last) = page.last() {
            store.set_practice_document_cursor(last.doc_seq)?;
        }
        hooks::before_page_commit(number);
        store.commit_batch()
    })();
    match result {
        Ok(()) => {
            summary.documents_pulled += counts.documents_pulled;
            summary.documents_stored += counts.documents_stored;
            summary.already_cached += counts.already_cached;
            summary.events_applied += counts.events_applied;
            Ok(())
        }
        Err(e) => {
            store.rollback_batch();
            Err(e)
        }
    }
}

/// Folds one practice event into the cached document it is about, if the cache has it (if
/// not, it is folded when the document arrives: `cache_document`).
fn fold(store: &Store, e: &PracticeEventRecord) -> Result<bool, StoreError> {
    let Some(key) = e.document_key.as_deref() else {
        return Ok(false);
    };
    let Some(id) = store.document_by_content(key)? else {
        return Ok(false);
    };
    handover_workflow::apply_practice_event(store, id, e).map_err(|e| match e {
        handover_workflow::WorkflowError::Store(e) => e,
        other => StoreError::Step(other.to_string()),
    })
}

fn record(d: &PulledDocument, kind: handover_toc::DocumentKind) -> DocumentRecord {
    DocumentRecord {
        kind,
        document_bundle_id: d.document_bundle_id.clone(),
        composition_id: d.composition_id.clone(),
        replaces: d.replaces.clone(),
        nhs_number: d.nhs_number.clone(),
        patient_name: d.patient_name.clone(),
        birth_date: d.birth_date.clone(),
        title: d.title.clone(),
        sender: d.sender.clone(),
        sender_org: d.sender_org.clone(),
        care_setting: d.care_setting.clone(),
        document_date: d.document_date.clone(),
        content_sha256: Some(d.document_key.clone()),
        med_changes: d.med_changes.max(0) as u32,
        practice_actions: d.practice_actions.max(0) as u32,
        flags: d.flags.clone(),
        model: d.model.clone(),
        search_text: d.search_text.clone(),
    }
}

/// Stores one pulled document (inside the page's transaction).
fn cache_document(
    store: &mut Store,
    practice_id: &str,
    d: &PulledDocument,
    config: &WorkflowConfig,
    counts: &mut CacheSummary,
) -> Result<(), StoreError> {
    counts.documents_pulled += 1;
    store.record_practice_document(d.doc_seq, &d.document_key)?;
    // The model as the server stored it; the bytes parsed again only if this version cannot
    // read it.
    let parsed: handover_toc::Parsed =
        serde_json::from_str(&d.model).unwrap_or_else(|_| handover_toc::parse(&d.raw));
    let kind =
        serde_json::from_value(serde_json::Value::String(d.kind.clone())).unwrap_or(parsed.kind);
    let record = record(d, kind);
    let incoming = Incoming {
        source: MessageSource::Practice,
        mailbox: practice_id,
        source_id: &d.document_key,
        workflow_id: d.workflow_id.as_deref(),
        sender_mailbox: d.sender_mailbox.as_deref(),
        received_at: &d.received_at,
        raw: &d.raw,
        body: None,
        mailbox_meta: d.mailbox_meta.as_deref(),
    };
    let itk_message_id = d.itk_message_id.as_deref();
    let placement;
    let disposition = match store.document_by_content(&d.document_key)? {
        Some(of) => Disposition::Duplicate { of },
        None => {
            let matches = store.identity_matches(&DocumentIdentity {
                itk_message_id,
                document_bundle_id: record.document_bundle_id.as_deref(),
                composition_id: record.composition_id.as_deref(),
                replaces: record.replaces.as_deref(),
            })?;
            placement = policy::place(&record, &matches);
            match &placement {
                Placement::Duplicate { of, .. } => Disposition::Duplicate { of: *of },
                Placement::Document { links, .. } => Disposition::Document {
                    document: &record,
                    links,
                },
            }
        }
    };
    let ingested = store.ingest(&incoming, itk_message_id, disposition, &d.diagnostics, &[])?;
    match &ingested.outcome {
        IngestOutcome::Stored {
            document_id,
            superseded,
            ..
        } => {
            counts.documents_stored += 1;
            let at = now_rfc3339();
            let step = |e: handover_workflow::WorkflowError| match e {
                handover_workflow::WorkflowError::Store(e) => e,
                other => StoreError::Step(other.to_string()),
            };
            handover_workflow::superseded(store, superseded, *document_id, &at).map_err(step)?;
            store.set_practice_mesh_mailbox(&d.mailbox)?;
            handover_workflow::received_from_practice(
                store,
                *document_id,
                &parsed,
                &d.mailbox,
                config,
                &at,
            )
            .map_err(step)?;
            // Events of the practice's log kept before the document reached this cache.
            for e in store.practice_events_for(&d.document_key)? {
                counts.events_applied += u64::from(
                    handover_workflow::apply_practice_event(store, *document_id, &e)
                        .map_err(step)?,
                );
            }
        }
        IngestOutcome::Duplicate { .. } | IngestOutcome::AlreadyStored { .. } => {
            counts.already_cached += 1
        }
        _ => {}
    }
    // The server has it acknowledged to MESH; nothing is owed to a mailbox from here.
    store.mark_acknowledged(ingested.outcome.message_id(), &d.received_at)?;
    Ok(())
}

/// Hands the answers to hospitals queued here for documents from the practice (business
/// responses) to the practice server (practice schema 8), which sends one per message: the
/// first desktop's. Each is then recorded here as handed over (`mesh_message_id`
/// `practice-outbox:ID`, or, when another desktop's answer with another code went first,
/// `practice-outbox:ID:CODE-from-another-desktop`), so it is never sent from here, and never
/// handed over twice. Returns how many were handed over.
async fn hand_over_answers(store: &mut Store, db: &PracticeDb) -> Result<u64, CacheError> {
    let mut n = 0;
    for a in store.answers_to_hand_over()? {
        let (outbox_id, code, _) = db
            .queue_business_response(
                &a.document_key,
                &a.response_code,
                &a.to_mailbox,
                &a.workflow_id,
                &a.local_id,
                &a.body,
            )
            .await?;
        // (Local ids are made from the document's content, so every desktop's answer to a
        // message has the same one: the code is what tells another desktop's answer apart.)
        let note = if code == a.response_code {
            format!("practice-outbox:{outbox_id}")
        } else {
            format!("practice-outbox:{outbox_id}:{code}-from-another-desktop")
        };
        store.outbox_sent(a.outbox_id, &note, &now_rfc3339())?;
        n += 1;
    }
    Ok(n)
}
