//! Background mailbox sync for the desktop app: polls on an interval, runs on demand, and tells
//! the window how it is going (`sync-status` events).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use handover_inbox::{assess, Freshness, MailboxSettings, SyncProgress, SyncSummary};
use handover_store::{DataDir, OsKeyring, Store, SyncState};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

use crate::error::AppError;

/// The sync status the window shows: the stale-data banner and the status indicator.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncStatusView {
    /// A mailbox is configured.
    pub configured: bool,
    /// `mesh`, `folder` or `none`.
    pub source: String,
    /// e.g. "MESH mailbox X26ABC1" or "folder /path".
    pub mailbox_label: String,
    /// Why there is no usable mailbox configuration, if so.
    pub config_error: Option<AppError>,
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
    /// a view older than the one it shows, since a status command and the sync's events can
    /// arrive out of order.
    #[ts(type = "number")]
    pub seq: u64,
}

#[derive(Default)]
struct Runtime_ {
    /// The last status sent to the window, reused for progress events.
    last_view: Option<SyncStatusView>,
    syncing: bool,
    progress: Option<SyncProgress>,
    last_summary: Option<SyncSummary>,
    /// The last [`SyncStatusView::seq`] handed out.
    seq: u64,
}

pub struct SyncWorker {
    settings: Option<MailboxSettings>,
    config_error: Option<AppError>,
    mailbox_key: String,
    label: String,
    runtime: Mutex<Runtime_>,
    /// Held for the whole of a sync: one at a time. Holds the sync's own store connection.
    lock: tokio::sync::Mutex<Option<Store>>,
    trigger: tokio::sync::Notify,
    pub poll: Duration,
    pub stale_after: chrono::Duration,
}

fn minutes_from_env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(default)
}

impl SyncWorker {
    /// The mailbox from the environment (`HANDOVER_MESH_*`, `HANDOVER_MAILBOX_DIR`), else the one
    /// saved with `handover mailbox add` (secrets from the OS keyring).
    pub fn configure(store: Option<&Store>) -> Arc<Self> {
        let resolved = match store {
            Some(store) => MailboxSettings::resolve(store, &OsKeyring),
            None => MailboxSettings::from_env(),
        };
        let (settings, config_error) = match resolved {
            Ok(s) => (s, None),
            Err(e) => (None, Some(AppError::new(e.code(), e.to_string()))),
        };
        let (mailbox_key, label, config_error) = match &settings {
            Some(s) => match s.open() {
                Ok((_, options)) => (options.mailbox_key, s.label(), config_error),
                Err(e) => (
                    String::new(),
                    s.label(),
                    Some(AppError::new(e.code(), e.to_string())),
                ),
            },
            None => (String::new(), "no mailbox".to_string(), config_error),
        };
        Arc::new(SyncWorker {
            settings,
            config_error,
            mailbox_key,
            label,
            runtime: Mutex::new(Runtime_::default()),
            lock: tokio::sync::Mutex::new(None),
            trigger: tokio::sync::Notify::new(),
            poll: Duration::from_secs(60 * minutes_from_env("HANDOVER_POLL_MINUTES", 5) as u64),
            stale_after: chrono::Duration::minutes(minutes_from_env("HANDOVER_STALE_MINUTES", 15)),
        })
    }

    /// The status as of now, read from the store's sync state.
    pub fn status(&self, store: &Store) -> Result<SyncStatusView, AppError> {
        // Numbered before the store is read, so a higher number never carries older state.
        let seq = self.next_seq();
        let state = store.sync_state(&self.mailbox_key)?;
        let now = chrono::Utc::now();
        let rt = self
            .runtime
            .lock()
            .map_err(|_| AppError::new("internal", "sync state lock poisoned"))?;
        Ok(SyncStatusView {
            configured: self.is_configured(),
            source: self
                .settings
                .as_ref()
                .map_or("none", |s| s.source())
                .to_string(),
            mailbox_label: self.label.clone(),
            config_error: self.config_error.clone(),
            freshness: assess(&state, now, self.stale_after),
            state,
            syncing: rt.syncing,
            progress: rt.progress,
            last_summary: rt.last_summary.clone(),
            poll_minutes: (self.poll.as_secs() / 60) as i64,
            now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            seq,
        })
    }

    fn next_seq(&self) -> u64 {
        let mut seq = 0;
        self.set_runtime(|rt| {
            rt.seq += 1;
            seq = rt.seq;
        });
        seq
    }

    /// Tells the window the status as `store` (the sync's own connection) has it, and keeps
    /// that view for the progress events that follow while the store is busy syncing.
    fn emit<R: Runtime>(&self, app: &AppHandle<R>, store: &Store) {
        if let Ok(view) = self.status(store) {
            self.set_runtime(|rt| rt.last_view = Some(view.clone()));
            let _ = app.emit("sync-status", view);
        }
    }

    /// Progress during a sync: the last view with the new figures (no store access).
    fn emit_progress<R: Runtime>(&self, app: &AppHandle<R>, progress: SyncProgress) {
        let mut view = None;
        self.set_runtime(|rt| {
            rt.progress = Some(progress);
            rt.seq += 1;
            let seq = rt.seq;
            if let Some(v) = rt.last_view.as_mut() {
                v.progress = Some(progress);
                v.syncing = true;
                v.seq = seq;
                view = Some(v.clone());
            }
        });
        if let Some(view) = view {
            let _ = app.emit("sync-status", view);
        }
    }

    fn set_runtime(&self, f: impl FnOnce(&mut Runtime_)) {
        if let Ok(mut rt) = self.runtime.lock() {
            f(&mut rt);
        }
    }

    /// Runs one sync now (waiting for one already running to finish first).
    pub async fn sync_once<R: Runtime>(
        self: &Arc<Self>,
        app: &AppHandle<R>,
    ) -> Result<SyncSummary, AppError> {
        let Some(settings) = &self.settings else {
            return Err(self.config_error.clone().unwrap_or_else(|| {
                AppError::new(
                    "no_mailbox",
                    "no mailbox is configured, so nothing can be fetched",
                )
            }));
        };
        if let Some(e) = &self.config_error {
            return Err(e.clone());
        }
        let mut guard = self.lock.lock().await;
        if guard.is_none() {
            let dir = DataDir::resolve()?;
            *guard = Some(Store::open(&dir, &OsKeyring)?);
        }
        let store = guard.as_mut().expect("opened above");
        let engine = settings
            .engine()
            .map_err(|e| AppError::new(e.code(), e.to_string()))?;
        self.set_runtime(|rt| {
            rt.syncing = true;
            rt.progress = None;
        });
        self.emit(app, store);
        let me = Arc::clone(self);
        let app_for_progress = app.clone();
        let engine = engine.with_progress(move |p| me.emit_progress(&app_for_progress, p));
        let result = engine.sync_once(store).await;
        self.set_runtime(|rt| {
            rt.syncing = false;
            rt.progress = None;
            if let Ok(summary) = &result {
                rt.last_summary = Some(summary.clone());
            }
        });
        self.emit(app, store);
        drop(guard);
        result.map_err(|e| AppError::new(e.code(), e.to_string()))
    }

    pub fn is_configured(&self) -> bool {
        self.settings.is_some() && self.config_error.is_none()
    }

    /// Asks the polling loop to sync now.
    pub fn poke(&self) {
        self.trigger.notify_one();
    }

    /// The polling loop: a sync at start-up, then every `poll`, or sooner when poked.
    pub async fn run<R: Runtime>(self: Arc<Self>, app: AppHandle<R>) {
        if self.settings.is_none() || self.config_error.is_some() {
            return;
        }
        loop {
            if let Err(e) = self.sync_once(&app).await {
                eprintln!("handover: sync failed [{}]: {}", e.code, e.message);
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = self.trigger.notified() => {}
            }
        }
    }
}
