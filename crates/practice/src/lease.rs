//! [`LeaseKeeper`]: holds the practice's MESH lease for a running puller, renewing it on a
//! timer over a connection of its own (the puller's other connection is busy in its ingest
//! transactions).
//!
//! The keeper's view is advisory: it lets a puller stop early when a renewal is refused. What
//! makes the lease safe is the database: an ingest commits only if its epoch is still current
//! ([`crate::FencedIngest::commit`] and the messages' deferred fence trigger), whatever the
//! keeper believes. A process paused past its lease (SIGSTOP, a long GC-like stall, a VM
//! freeze) wakes with its timer late and its commit refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{PracticeDb, PracticeError};

/// Holds the lease and renews it every third of its time to live.
pub struct LeaseKeeper {
    db: Arc<PracticeDb>,
    holder: String,
    epoch: i64,
    ttl: Duration,
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl LeaseKeeper {
    /// Takes the lease (`lease_held` while another holds it) with `db`, a connection used for
    /// nothing else, and starts renewing it.
    pub async fn acquire(
        db: PracticeDb,
        holder: &str,
        ttl: Duration,
    ) -> Result<LeaseKeeper, PracticeError> {
        let epoch = db.acquire_lease(holder, ttl).await?;
        let db = Arc::new(db);
        let lost = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(renew(
            db.clone(),
            holder.to_string(),
            epoch,
            ttl,
            lost.clone(),
        ));
        Ok(LeaseKeeper {
            db,
            holder: holder.to_string(),
            epoch,
            ttl,
            lost,
            task,
        })
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// `lease_lost` once a renewal was refused or the lease ran out unrenewed.
    pub fn check(&self) -> Result<(), PracticeError> {
        if self.lost.load(Ordering::SeqCst) {
            Err(self.lost_error())
        } else {
            Ok(())
        }
    }

    /// Renews now, and fails with `lease_lost` if the lease is no longer this holder's (before
    /// work that cannot be fenced by a commit, such as sending responses).
    pub async fn confirm(&self) -> Result<(), PracticeError> {
        self.check()?;
        match self
            .db
            .renew_lease(&self.holder, self.epoch, self.ttl)
            .await
        {
            Err(e @ PracticeError::LeaseLost(_)) => {
                self.lost.store(true, Ordering::SeqCst);
                Err(e)
            }
            other => other,
        }
    }

    fn lost_error(&self) -> PracticeError {
        PracticeError::LeaseLost(format!(
            "lease lost: {} at epoch {} is no longer the practice's MESH puller",
            self.holder, self.epoch
        ))
    }

    /// Stops renewing and gives the lease up (the next puller need not wait for it to expire).
    pub async fn release(self) -> Result<(), PracticeError> {
        self.task.abort();
        if self.lost.load(Ordering::SeqCst) {
            return Ok(());
        }
        match self.db.release_lease(&self.holder, self.epoch).await {
            Ok(()) | Err(PracticeError::LeaseLost(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn renew(
    db: Arc<PracticeDb>,
    holder: String,
    epoch: i64,
    ttl: Duration,
    lost: Arc<AtomicBool>,
) {
    let every = (ttl / 3).max(Duration::from_millis(1));
    // The lease is good until this (by our clock, which only errs on the safe side: the
    // database's expiry was set after we asked).
    let mut good_until = Instant::now() + ttl;
    loop {
        tokio::time::sleep(every).await;
        let asked = Instant::now();
        match db.renew_lease(&holder, epoch, ttl).await {
            Ok(()) => good_until = asked + ttl,
            Err(PracticeError::LeaseLost(_)) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // The server cannot be reached: keep trying until the lease would have run out.
            Err(_) => {
                if Instant::now() >= good_until {
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
    }
}
