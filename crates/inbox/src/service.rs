//! The sync service the desktop app runs: the mailbox polled on an interval and on demand ("Sync
//! now"), one sync at a time, with a status view for the stale-data banner and the sync
//! indicator after every change. Headless: it reports through a [`StatusSink`], which the Tauri
//! shell implements with window events and tests implement with a vector.
//!
//! With `HANDOVER_PRACTICE_DATABASE` set (issue 14) the desktop is a cache of the practice
//! server instead: each round pushes this desktop's waiting steps and pulls what is new
//! ([`crate::practice_cache::pull_into_cache`]) over one kept connection, as soon as the server
//! notifies that the practice's log or documents grew (LISTEN/NOTIFY on that connection), when
//! poked (a step was taken, "Sync now"), and at the latest every
//! `HANDOVER_PRACTICE_POLL_SECONDS` (default 10: the fallback, and how soon a server that
//! went away without closing the connection is noticed; one that stops is noticed at once, its
//! connection's end waking the loop). The status view then describes the practice server: the stale banner's "as of" is
//! the last pull, and [`PracticeSyncView`] carries the steps still pending and those the
//! practice refused.
//!
//! Status views are numbered (`seq`, taken before the store is read), so the window can ignore a
//! view older than the one it shows: a status command and the sync's own reports can arrive out
//! of order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use handover_errors::{Coded, ErrorCode, ErrorReport};
use handover_practice::PracticeDb;
use handover_store::{DataDir, KeyStore, MailboxHealth, MessageSource, Store, SyncState};
use serde::Serialize;

use crate::practice_cache::{pull_into_cache, record_unreachable, CacheSummary};
use crate::{assess, Freshness, MailboxSettings, SyncProgress, SyncSummary};

/// The practice server, when this desktop is a cache of one: what the window shows beside the
/// stale banner.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PracticeSyncView {
    /// The practice's name, once a pull has reached the server.
    pub practice_name: Option<String>,
    /// The practice login this desktop works as, once a pull has found out (every step here
    /// is that login's).
    pub person: Option<String>,
    /// This desktop's steps not yet in the practice log (waiting to be sent, or sent and not
    /// yet pulled back): the window marks them pending.
    #[ts(type = "number")]
    pub pending: u64,
    /// Increases whenever a pull brought something (documents, other people's steps) or
    /// refused a step: the window fetches its lists and the open document again.
    #[ts(type = "number")]
    pub changes: u64,
    /// The steps of this desktop the practice refused since the app started (newest last, at
    /// most 20): "already filed by NAME at TIME".
    pub refused: Vec<RefusedStepView>,
    #[ts(type = "number")]
    pub poll_seconds: u64,
    /// The last time this desktop found the practice server gone back to an older copy (a
    /// restore from backup), and what that meant here.
    pub chain_break: Option<ChainBreakView>,
}

/// A practice server found restored from an older backup, as the window words it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ChainBreakView {
    pub detected_at: String,
    /// Steps of this desktop the server had lost, sent again.
    #[ts(type = "number")]
    pub own_events_resent: u64,
    /// Other people's steps the server lost (their desktops send them again when they pull).
    #[ts(type = "number")]
    pub others_events_lost: u64,
    /// Documents this desktop holds that the server no longer has (kept here), by id.
    #[ts(type = "number[]")]
    pub lost_document_ids: Vec<i64>,
    pub message: String,
}

/// A step of this desktop's the practice log refused.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RefusedStepView {
    /// Increases with every refusal the service has seen: the window tells the person once.
    #[ts(type = "number")]
    pub number: u64,
    pub kind: String,
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    pub code: ErrorCode,
    pub message: String,
}

/// The sync status the window shows: the stale-data banner and the status indicator.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncStatusView {
    /// A mailbox is configured.
    pub configured: bool,
    /// The configured mailbox, or none.
    pub source: Option<MessageSource>,
    /// e.g. "MESH mailbox X26ABC1" or "folder /path".
    pub mailbox_label: String,
    /// Why there is no usable mailbox configuration, if so.
    pub config_error: Option<ErrorReport>,
    pub state: SyncState,
    pub freshness: Freshness,
    pub syncing: bool,
    pub progress: Option<SyncProgress>,
    pub last_summary: Option<SyncSummary>,
    #[ts(type = "number")]
    pub poll_minutes: i64,
    /// The practice server this desktop is a cache of (`HANDOVER_PRACTICE_DATABASE`); None
    /// when it works alone with its own mailbox.
    pub practice: Option<PracticeSyncView>,
    /// The time these figures were computed (RFC 3339).
    pub now: String,
    /// Increases with every view computed (taken before the store is read): the window ignores
    /// a view older than the one it shows.
    #[ts(type = "number")]
    pub seq: u64,
}

/// Where the service reports each new status view (the window, or a test).
pub trait StatusSink: Send + Sync {
    fn status(&self, view: SyncStatusView);
}

/// How the service is set up: its timings, and where its store and secrets come from.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// How often the mailbox is polled (`HANDOVER_POLL_MINUTES`, default 5).
    pub poll: Duration,
    /// How old the last success may be before what is shown is stale
    /// (`HANDOVER_STALE_MINUTES`, default 15).
    pub stale_after: chrono::Duration,
    /// The data directory the sync opens its own connection in.
    pub data_dir: DataDir,
    /// How often the practice server is asked for what is new without being woken by it, on a
    /// desktop of a practice (`HANDOVER_PRACTICE_POLL_SECONDS`, default 10).
    pub practice_poll: Duration,
}

fn positive_from_env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(default)
}

impl ServiceOptions {
    /// The timings from the environment, for the data directory given.
    pub fn from_env(data_dir: DataDir) -> Self {
        ServiceOptions {
            poll: Duration::from_secs(60 * positive_from_env("HANDOVER_POLL_MINUTES", 5) as u64),
            stale_after: chrono::Duration::minutes(positive_from_env("HANDOVER_STALE_MINUTES", 15)),
            data_dir,
            practice_poll: Duration::from_secs(positive_from_env(
                "HANDOVER_PRACTICE_POLL_SECONDS",
                5,
            ) as u64),
        }
    }
}

#[derive(Default)]
struct Progress {
    /// The last view reported, reused for progress reports (which must not touch the store).
    last_view: Option<SyncStatusView>,
    syncing: bool,
    progress: Option<SyncProgress>,
    last_summary: Option<SyncSummary>,
    /// The last [`SyncStatusView::seq`] handed out.
    seq: u64,
    /// [`PracticeSyncView::changes`].
    practice_changes: u64,
    /// [`PracticeSyncView::refused`], and how many there have been.
    refused: Vec<RefusedStepView>,
    refused_count: u64,
    /// A document whose refused step the command that took it reports itself (see
    /// [`SyncService::send_step_now`]): not listed again in `refused`.
    told: Option<i64>,
    /// What the last quiet practice round reported: a round that changes nothing of it is not
    /// reported again (see [`SyncService::practice_round`]).
    last_practice_report: Option<(Option<ErrorCode>, Option<String>, u64, i64)>,
}

/// The sync's own resources, held for the whole of a sync (one at a time).
#[derive(Default)]
struct Running {
    store: Option<Store>,
    /// The practice server's connection, kept between rounds (dropped when it fails), and
    /// the URL it was made with (another URL, after the settings changed, needs another).
    practice: Option<PracticeDb>,
    practice_url: Option<String>,
}

/// The practice server's address as it may be shown: the login, host, port and database of a
/// `postgres://` URL or of key=value settings, never the password or other parameters.
pub fn practice_server_address(url: &str) -> String {
    let url = url.trim();
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let (userinfo, host) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let login = userinfo.map(|u| u.split(':').next().unwrap_or(""));
        return match login {
            Some(l) if !l.is_empty() => format!("{l}@{host}"),
            _ => host.to_string(),
        };
    }
    url.split_whitespace()
        .filter(|kv| {
            let key = kv.split('=').next().unwrap_or("");
            matches!(key, "host" | "hostaddr" | "port" | "dbname" | "user")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub use crate::practice_settings::practice_database_from_env;

/// Which mailbox the service syncs, as resolved from the environment or the stored settings.
#[derive(Clone)]
struct Configured {
    settings: Option<MailboxSettings>,
    /// The practice server's URL (it may hold a password: never shown), when this desktop is
    /// a cache of one; `settings` is then None.
    practice: Option<String>,
    /// Where `practice` came from (or the saved one whose password could not be read).
    practice_source: Option<crate::practice_settings::PracticeSettingSource>,
    config_error: Option<ErrorReport>,
    mailbox_key: String,
    label: String,
}

impl Configured {
    fn resolve(store: Option<&Store>, keys: &dyn KeyStore) -> Self {
        match crate::practice_settings::resolve_practice_database(store, keys) {
            Ok(Some((url, source))) => {
                return Configured {
                    settings: None,
                    practice: Some(url),
                    practice_source: Some(source),
                    config_error: None,
                    mailbox_key: "practice".into(),
                    label: "the practice server".into(),
                }
            }
            Ok(None) => {}
            // A practice server is saved but its password cannot be read: that is the
            // configuration problem to show (never a fall back to working alone).
            Err(e) => {
                return Configured {
                    settings: None,
                    practice: None,
                    practice_source: Some(crate::practice_settings::PracticeSettingSource::Saved),
                    config_error: Some(e),
                    mailbox_key: "practice".into(),
                    label: "the practice server".into(),
                }
            }
        }
        let resolved = match store {
            Some(store) => MailboxSettings::resolve(store, keys),
            None => MailboxSettings::from_env(),
        };
        let (settings, config_error) = match resolved {
            Ok(s) => (s, None),
            Err(e) => (None, Some(ErrorReport::from(e))),
        };
        let (mailbox_key, label, config_error) = match &settings {
            Some(s) => match s.open() {
                Ok((_, o)) => (o.mailbox_key, s.label(), config_error),
                Err(e) => (String::new(), s.label(), Some(ErrorReport::from(e))),
            },
            None => (String::new(), "no mailbox".to_string(), config_error),
        };
        Configured {
            settings,
            practice: None,
            practice_source: None,
            config_error,
            mailbox_key,
            label,
        }
    }

    fn usable(&self) -> bool {
        (self.settings.is_some() || self.practice.is_some()) && self.config_error.is_none()
    }
}

/// The desktop's background sync: see the module docs.
pub struct SyncService {
    config: std::sync::RwLock<Configured>,
    options: ServiceOptions,
    keys: Arc<dyn KeyStore + Send + Sync>,
    progress: Mutex<Progress>,
    /// Held for the whole of a sync: one at a time. Holds the sync's own store connection.
    running: tokio::sync::Mutex<Running>,
    trigger: tokio::sync::Notify,
    /// Woken by the practice server's notifications on the kept connection (see
    /// [`handover_practice::PracticeDb::listen`]), when there is one.
    practice_wake: Mutex<Option<Arc<tokio::sync::Notify>>>,
}

impl SyncService {
    /// The mailbox from the environment (`HANDOVER_MESH_*`, `HANDOVER_MAILBOX_DIR`), else the one
    /// saved in `store` (its secrets from `keys`). A mailbox that cannot be used is kept as the
    /// reason ([`SyncStatusView::config_error`]).
    pub fn configure(
        store: Option<&Store>,
        keys: Arc<dyn KeyStore + Send + Sync>,
        options: ServiceOptions,
    ) -> Arc<Self> {
        Arc::new(SyncService {
            config: std::sync::RwLock::new(Configured::resolve(store, keys.as_ref())),
            options,
            keys,
            progress: Mutex::new(Progress::default()),
            running: tokio::sync::Mutex::new(Running::default()),
            trigger: tokio::sync::Notify::new(),
            practice_wake: Mutex::new(None),
        })
    }

    fn config(&self) -> Configured {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A mailbox is configured and usable.
    pub fn is_configured(&self) -> bool {
        self.config().usable()
    }

    /// The mailbox settings in use, if any.
    pub fn settings(&self) -> Option<MailboxSettings> {
        self.config().settings
    }

    /// The mailbox as it may be shown (never a secret), or None.
    pub fn mailbox(&self) -> Option<crate::MailboxDescription> {
        self.config()
            .settings
            .as_ref()
            .map(MailboxSettings::describe)
    }

    /// Resolves the mailbox again (after its settings were saved) and syncs at once.
    pub fn reconfigure(&self, store: &Store) {
        let fresh = Configured::resolve(Some(store), self.keys.as_ref());
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        self.poke();
    }

    /// The status as of now, read from `store`'s sync state.
    pub fn status(&self, store: &Store) -> Result<SyncStatusView, ErrorReport> {
        // Numbered before the store is read, so a higher number never carries older state.
        let seq = self.with_progress(|p| {
            p.seq += 1;
            p.seq
        });
        let config = self.config();
        let now = chrono::Utc::now();
        let (syncing, progress, last_summary) =
            self.with_progress(|p| (p.syncing, p.progress, p.last_summary.clone()));
        let (state, practice, label) = match &config.practice {
            None => (
                store.sync_state(&config.mailbox_key)?,
                None,
                config.label.clone(),
            ),
            Some(_) => {
                let pull = store.practice_pull_state()?;
                let health = match (&pull.last_error, &pull.last_pull_at) {
                    (Some(_), _) => MailboxHealth::Offline,
                    (None, Some(_)) => MailboxHealth::Online,
                    (None, None) => MailboxHealth::Unknown,
                };
                let label = match &pull.practice_name {
                    Some(name) => format!("the practice server ({name})"),
                    None => config.label.clone(),
                };
                let state = SyncState {
                    mailbox: label.clone(),
                    last_attempt_at: pull.last_attempt_at.clone(),
                    last_success_at: pull.last_pull_at.clone(),
                    last_error: pull.last_error.clone(),
                    last_error_code: pull.last_error_code,
                    health,
                    failing_since: pull.failing_since.clone(),
                    ..SyncState::default()
                };
                let person = store.practice_person()?.map(|u| u.name);
                let view = self.with_progress(|p| PracticeSyncView {
                    practice_name: pull.practice_name.clone(),
                    person,
                    pending: pull.pending,
                    changes: p.practice_changes,
                    refused: p.refused.clone(),
                    poll_seconds: self.options.practice_poll.as_secs(),
                    chain_break: pull.last_chain_break.as_ref().map(|b| ChainBreakView {
                        detected_at: b.detected_at.clone(),
                        own_events_resent: b.own_events_resent,
                        others_events_lost: b.events_lost.saturating_sub(b.own_events_resent),
                        lost_document_ids: b.lost_document_ids.clone(),
                        message: b.message.clone(),
                    }),
                });
                (state, Some(view), label)
            }
        };
        Ok(SyncStatusView {
            configured: config.usable(),
            source: match (&config.settings, &config.practice) {
                (Some(s), _) => Some(s.source()),
                (None, Some(_)) => Some(MessageSource::Practice),
                (None, None) => None,
            },
            mailbox_label: label,
            practice,
            config_error: config.config_error.clone(),
            freshness: assess(&state, now, self.options.stale_after),
            state,
            syncing,
            progress,
            last_summary,
            poll_minutes: (self.options.poll.as_secs() / 60) as i64,
            now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            seq,
        })
    }

    fn with_progress<T>(&self, f: impl FnOnce(&mut Progress) -> T) -> T {
        let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut p)
    }

    /// Reports the status as `store` (the sync's own connection) has it, and keeps that view
    /// for the progress reports that follow while the store is busy syncing.
    fn report(&self, sink: &dyn StatusSink, store: &Store) {
        if let Ok(view) = self.status(store) {
            self.with_progress(|p| p.last_view = Some(view.clone()));
            sink.status(view);
        }
    }

    /// Progress during a sync: the last view with the new figures (no store access).
    fn report_progress(&self, sink: &dyn StatusSink, progress: SyncProgress) {
        let view = self.with_progress(|p| {
            p.progress = Some(progress);
            p.seq += 1;
            let seq = p.seq;
            p.last_view.as_mut().map(|v| {
                v.progress = Some(progress);
                v.syncing = true;
                v.seq = seq;
                v.clone()
            })
        });
        if let Some(view) = view {
            sink.status(view);
        }
    }

    /// Runs one sync now (waiting for one already running to finish first), reporting the
    /// status before, during and after.
    pub async fn sync_once(
        self: &Arc<Self>,
        sink: Arc<dyn StatusSink>,
    ) -> Result<SyncSummary, ErrorReport> {
        let config = self.config();
        if let Some(url) = &config.practice {
            return self
                .practice_round(sink, url, true)
                .await
                .map(|c| SyncSummary {
                    downloaded: c.documents_pulled,
                    stored: c.documents_stored,
                    already_stored: c.already_cached,
                    ..SyncSummary::default()
                });
        }
        let Some(settings) = &config.settings else {
            return Err(config.config_error.clone().unwrap_or_else(|| {
                ErrorReport::new(
                    ErrorCode::NoMailbox,
                    "no mailbox is configured, so nothing can be fetched",
                )
            }));
        };
        if let Some(e) = &config.config_error {
            return Err(e.clone());
        }
        let mut guard = self.running.lock().await;
        let store = self.sync_store(&mut guard.store)?;
        let engine = settings.engine()?;
        self.with_progress(|p| {
            p.syncing = true;
            p.progress = None;
        });
        self.report(sink.as_ref(), store);
        let me = Arc::clone(self);
        let progress_sink = Arc::clone(&sink);
        let engine = engine.with_progress(move |p| me.report_progress(progress_sink.as_ref(), p));
        let result = engine.sync_once(store).await;
        self.with_progress(|p| {
            p.syncing = false;
            p.progress = None;
            if let Ok(summary) = &result {
                p.last_summary = Some(summary.clone());
            }
        });
        self.report(sink.as_ref(), store);
        drop(guard);
        Ok(result?)
    }

    /// The sync's own store connection, opened the first time.
    fn sync_store<'a>(&self, store: &'a mut Option<Store>) -> Result<&'a mut Store, ErrorReport> {
        if store.is_none() {
            *store = Some(Store::open(&self.options.data_dir, self.keys.as_ref())?);
        }
        Ok(store.as_mut().expect("opened above"))
    }

    /// One round with the practice server: this desktop's waiting steps sent, then what is new
    /// pulled into the cache (see the module docs). `loud`: the person asked for it ("Sync
    /// now"), or the cache has never pulled: the window shows it syncing. A quiet round is
    /// reported only when it changed something the window shows.
    pub async fn practice_round(
        self: &Arc<Self>,
        sink: Arc<dyn StatusSink>,
        url: &str,
        loud: bool,
    ) -> Result<CacheSummary, ErrorReport> {
        let mut guard = self.running.lock().await;
        let running = &mut *guard;
        let store = self.sync_store(&mut running.store)?;
        let loud = loud || store.practice_pull_state()?.last_pull_at.is_none();
        if loud {
            self.with_progress(|p| {
                p.syncing = true;
                p.progress = None;
            });
            self.report(sink.as_ref(), store);
        }
        let config = handover_workflow::WorkflowConfig::from_env();
        let result = async {
            if running.practice_url.as_deref() != Some(url) {
                running.practice = None;
            }
            if running.practice.is_none() {
                running.practice_url = Some(url.to_string());
                match handover_practice::connect(url).await {
                    Ok(db) => {
                        // Woken when the practice's log or documents grow (schema 5); without
                        // it the poll still finds them.
                        let wake = match db.session_practice().await {
                            Ok(practice) => db.listen(&practice).await.ok(),
                            Err(_) => None,
                        };
                        *self.practice_wake.lock().unwrap_or_else(|e| e.into_inner()) = wake;
                        running.practice = Some(db);
                    }
                    Err(e) => {
                        let _ = record_unreachable(store, &e);
                        return Err(ErrorReport::new(e.code(), e.to_string()));
                    }
                }
            }
            let db = running.practice.as_mut().expect("connected above");
            let pulled = pull_into_cache(store, db, &config).await;
            if pulled.is_err() {
                // Whatever broke, the next round starts from a new connection.
                running.practice = None;
                *self.practice_wake.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
            pulled.map_err(|e| ErrorReport::new(e.code(), e.to_string()))
        }
        .await;
        let changed = self.with_progress(|p| {
            p.syncing = false;
            p.progress = None;
            let mut changed = false;
            if let Ok(c) = &result {
                if c.documents_pulled + c.events_applied + c.events_new > 0
                    || !c.refused.is_empty()
                    || c.chain_break.is_some()
                    || c.register.is_some()
                {
                    p.practice_changes += 1;
                    changed = true;
                }
                for r in &c.refused {
                    if p.told.is_some() && r.document_id == p.told {
                        continue;
                    }
                    p.refused_count += 1;
                    p.refused.push(RefusedStepView {
                        number: p.refused_count,
                        kind: r.kind.clone(),
                        document_id: r.document_id,
                        code: r.code,
                        message: r.message.clone(),
                    });
                }
                let excess = p.refused.len().saturating_sub(20);
                p.refused.drain(..excess);
            }
            changed
        });
        // Quiet rounds: reported when the outcome, the error, the pending count or the minute
        // of the last pull changed (the indicator shows the time to the minute).
        let pull = store.practice_pull_state().ok();
        let key = pull.as_ref().map(|s| {
            (
                s.last_error_code,
                s.last_error.clone(),
                s.pending,
                s.last_pull_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp() / 60)
                    .unwrap_or(0),
            )
        });
        let same = self.with_progress(|p| {
            let same = p.last_practice_report == key;
            p.last_practice_report = key;
            same
        });
        if loud || changed || !same {
            self.report(sink.as_ref(), store);
        }
        drop(guard);
        result
    }

    /// The practice server's URL, when this desktop is a cache of one.
    pub fn practice_url(&self) -> Option<String> {
        self.config().practice
    }

    /// Where the practice server setting comes from, when there is one.
    pub fn practice_source(&self) -> Option<crate::practice_settings::PracticeSettingSource> {
        self.config().practice_source
    }

    /// After a step on `document_id` on a desktop of a practice: sends it at once (a round with
    /// the practice server) and returns the practice's refusal of it, if it refused it: a
    /// filing another desktop made first, `already_filed`, "already filed by NAME at TIME", or
    /// a step on a view someone else has changed since, `document_changed` (the step is then
    /// folded out of this desktop's state, and the other person's pulled in). A server that
    /// cannot be reached leaves the step pending (Ok: the banner says so). Alone (no practice
    /// server), nothing.
    pub async fn send_step_now(
        self: &Arc<Self>,
        sink: Arc<dyn StatusSink>,
        document_id: i64,
    ) -> Result<(), ErrorReport> {
        let Some(url) = self.practice_url() else {
            return Ok(());
        };
        self.with_progress(|p| p.told = Some(document_id));
        let round = self.practice_round(sink, &url, false).await;
        self.with_progress(|p| p.told = None);
        match round {
            Ok(c) => match c
                .refused
                .iter()
                .find(|r| r.document_id == Some(document_id))
            {
                Some(r) => Err(ErrorReport::new(r.code, r.message.clone())),
                None => Ok(()),
            },
            Err(_) => Ok(()),
        }
    }

    /// Asks the polling loop to sync now.
    pub fn poke(&self) {
        self.trigger.notify_one();
    }

    /// The polling loop: a sync at start-up, then every poll interval, or sooner when poked.
    /// Without a usable mailbox it waits until one is configured (and the service poked).
    pub async fn run(self: Arc<Self>, sink: Arc<dyn StatusSink>) {
        let mut last_error: Option<ErrorCode> = None;
        // Practice rounds that failed in a row: the next is tried sooner than the poll (after
        // 1, 2, 4, then every 5 seconds, or the poll if shorter), so a server that comes back is
        // found quickly; trying costs one connection attempt.
        let mut failures: u32 = 0;
        loop {
            let config = self.config();
            let result = match (&config.practice, config.usable()) {
                (Some(url), _) => self
                    .practice_round(Arc::clone(&sink), url, false)
                    .await
                    .map(|_| ()),
                (None, true) => self.sync_once(Arc::clone(&sink)).await.map(|_| ()),
                (None, false) => Ok(()),
            };
            failures = match (&result, &config.practice) {
                (Err(_), Some(_)) => failures.saturating_add(1),
                _ => 0,
            };
            match result {
                // A practice server that stays down is said once, not every few seconds.
                Err(e) if last_error != Some(e.code) || config.practice.is_none() => {
                    eprintln!("handover: sync failed [{}]: {}", e.code, e.message);
                    last_error = Some(e.code);
                }
                Err(_) => {}
                Ok(()) => last_error = None,
            }
            let wait = match config.practice {
                Some(_) if failures > 0 => self
                    .options
                    .practice_poll
                    .min(Duration::from_secs((1u64 << (failures - 1).min(3)).min(5))),
                Some(_) => self.options.practice_poll,
                None => self.options.poll,
            };
            let wake = self
                .practice_wake
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let practice_news = async {
                match wake {
                    Some(w) => w.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.trigger.notified() => {}
                _ = practice_news => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handover_store::testing::MemoryKeyStore;

    #[test]
    fn the_practice_servers_address_never_shows_its_password() {
        assert_eq!(
            practice_server_address(
                "postgres://gp_one:s3cret:x@db.practice.nhs.uk:5432/handover?sslrootcert=/ca.pem"
            ),
            "gp_one@db.practice.nhs.uk:5432/handover"
        );
        assert_eq!(
            practice_server_address("postgresql://db.local/handover"),
            "db.local/handover"
        );
        assert_eq!(
            practice_server_address("host=db.local port=5433 user=gp_one password=s3cret dbname=h"),
            "host=db.local port=5433 user=gp_one dbname=h"
        );
    }

    #[derive(Default)]
    struct Collect(Mutex<Vec<SyncStatusView>>);

    impl StatusSink for Collect {
        fn status(&self, view: SyncStatusView) {
            self.0.lock().unwrap().push(view);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sync_reports_its_status_in_order_and_the_store_says_online() {
        let tmp = tempfile::tempdir().unwrap();
        let inbox = tmp.path().join("inbox");
        std::fs::create_dir(&inbox).unwrap();
        for f in handover_fixtures::generate(3, 4) {
            std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
        }
        let keys: Arc<dyn KeyStore + Send + Sync> = Arc::new(MemoryKeyStore::default());
        let data_dir = DataDir::new(tmp.path().join("data"));
        let reader = Store::open(&data_dir, keys.as_ref()).unwrap();
        // The folder comes from the settings the service is given, as the app gets them.
        let service =
            SyncService::configure(None, keys.clone(), ServiceOptions::from_env(data_dir));
        assert!(!service.is_configured(), "no mailbox in this environment");
        let err = service
            .sync_once(Arc::new(Collect::default()))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NoMailbox);

        *service.config.write().unwrap() = Configured {
            settings: Some(MailboxSettings::Folder(inbox.clone())),
            practice: None,
            practice_source: None,
            config_error: None,
            mailbox_key: inbox.canonicalize().unwrap().display().to_string(),
            label: "folder".into(),
        };
        let before = service.status(&reader).unwrap();
        assert!(before.freshness.stale, "never synced is stale");
        let sink = Arc::new(Collect::default());
        let summary = service.sync_once(sink.clone()).await.unwrap();
        assert_eq!(summary.stored, 3);
        let views = sink.0.lock().unwrap().clone();
        assert!(views.len() >= 2, "{}", views.len());
        assert!(views.first().unwrap().syncing);
        let last = views.last().unwrap();
        assert!(!last.syncing);
        assert!(!last.freshness.stale);
        assert_eq!(last.last_summary.as_ref().unwrap().stored, 3);
        assert!(
            views.windows(2).all(|w| w[0].seq < w[1].seq),
            "numbered in order"
        );
        // A status read afterwards (the window's own command) is newer still.
        let after = service.status(&reader).unwrap();
        assert!(after.seq > last.seq);
        assert_eq!(after.state.health, handover_store::MailboxHealth::Online);
    }
}
