//! The sync service the desktop app runs: the mailbox polled on an interval and on demand ("Sync
//! now"), one sync at a time, with a status view for the stale-data banner and the sync
//! indicator after every change. Headless: it reports through a [`StatusSink`], which the Tauri
//! shell implements with window events and tests implement with a vector.
//!
//! Status views are numbered (`seq`, taken before the store is read), so the window can ignore a
//! view older than the one it shows: a status command and the sync's own reports can arrive out
//! of order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use handover_errors::{ErrorCode, ErrorReport};
use handover_store::{DataDir, KeyStore, MessageSource, Store, SyncState};
use serde::Serialize;

use crate::{assess, Freshness, MailboxSettings, SyncProgress, SyncSummary};

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
}

fn minutes_from_env(name: &str, default: i64) -> i64 {
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
            poll: Duration::from_secs(60 * minutes_from_env("HANDOVER_POLL_MINUTES", 5) as u64),
            stale_after: chrono::Duration::minutes(minutes_from_env("HANDOVER_STALE_MINUTES", 15)),
            data_dir,
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
}

/// Which mailbox the service syncs, as resolved from the environment or the stored settings.
#[derive(Clone)]
struct Configured {
    settings: Option<MailboxSettings>,
    config_error: Option<ErrorReport>,
    mailbox_key: String,
    label: String,
}

impl Configured {
    fn resolve(store: Option<&Store>, keys: &dyn KeyStore) -> Self {
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
            config_error,
            mailbox_key,
            label,
        }
    }

    fn usable(&self) -> bool {
        self.settings.is_some() && self.config_error.is_none()
    }
}

/// The desktop's background sync: see the module docs.
pub struct SyncService {
    config: std::sync::RwLock<Configured>,
    options: ServiceOptions,
    keys: Arc<dyn KeyStore + Send + Sync>,
    progress: Mutex<Progress>,
    /// Held for the whole of a sync: one at a time. Holds the sync's own store connection.
    running: tokio::sync::Mutex<Option<Store>>,
    trigger: tokio::sync::Notify,
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
            running: tokio::sync::Mutex::new(None),
            trigger: tokio::sync::Notify::new(),
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
        let state = store.sync_state(&config.mailbox_key)?;
        let now = chrono::Utc::now();
        let (syncing, progress, last_summary) =
            self.with_progress(|p| (p.syncing, p.progress, p.last_summary.clone()));
        Ok(SyncStatusView {
            configured: config.usable(),
            source: config.settings.as_ref().map(|s| s.source()),
            mailbox_label: config.label.clone(),
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
        if guard.is_none() {
            *guard = Some(Store::open(&self.options.data_dir, self.keys.as_ref())?);
        }
        let store = guard.as_mut().expect("opened above");
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

    /// Asks the polling loop to sync now.
    pub fn poke(&self) {
        self.trigger.notify_one();
    }

    /// The polling loop: a sync at start-up, then every poll interval, or sooner when poked.
    /// Without a usable mailbox it waits until one is configured (and the service poked).
    pub async fn run(self: Arc<Self>, sink: Arc<dyn StatusSink>) {
        loop {
            if self.is_configured() {
                if let Err(e) = self.sync_once(Arc::clone(&sink)).await {
                    eprintln!("handover: sync failed [{}]: {}", e.code, e.message);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.options.poll) => {}
                _ = self.trigger.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handover_store::testing::MemoryKeyStore;

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
