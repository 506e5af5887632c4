//! `handover bench practice`: the practice store's figures (issue 14), on a throwaway
//! PostgreSQL 15 cluster (`handover_practice::testing::Cluster`: initdb and pg_ctl in a
//! temporary directory, loopback only, `fsync` off unless `--durable`, removed at the end) and throwaway
//! encrypted desktop caches (generated keys, not the keyring).
//!
//! 1. Fill: N generated documents stored on the server the way `handover serve` stores them
//!    (`FencedIngest::store_message` under the puller's lease, 1,000 per transaction), each
//!    with its message's bytes as received. A pool of 200 generated discharge messages, each
//!    document given its own identity (bundle and composition ids, content key, NHS number,
//!    patient name), as `bench inbox` does.
//! 2. Pull: all N into an empty desktop cache (`pull_into_cache`, as `sync --once` does).
//! 3. Step latency by polling: a note added on desktop A (queued in A's outbox with the step),
//!    A's push (`pull_into_cache`: the outbox, then a pull), then B's pull, until the note is
//!    folded in B's cache; repeated, p50 and p95. B is a second desktop that pulled all N
//!    itself first (its time reported too). Over loopback, with polling: each pull is
//!    immediate, so this is the push plus pull round trip, not a wake-up delay.
//! 4. Action to appearance, as the app does it: desktop B keeps a connection LISTENing
//!    (`PracticeDb::listen`, schema 5) on a thread of its own and pulls when woken (a 10 s
//!    poll as the fallback, as the app's default); A takes a step and pushes it; timed from
//!    A's step to the event folded in B's cache.
//! 5. The inbox's local queries on the pulled cache (first page, a filter, a search): the
//!    server is not asked.
//! 6. Many writers (`--writers`, 30): a practice of their own, each writer its own login on
//!    its own connection and thread (its own desktop), appending one event per transaction
//!    (`append_events`, as a desktop's push of one step) for `--write-seconds` or
//!    `--writer-events` each; then the chain is verified (`verify_chain`) and the seqs the
//!    writers were given checked to be 1..=total with no gap and no repeat.
//!    `--writer-practices N` spreads the writers over N practices of their own, each
//!    practice's log checked the same way.
//! 7. Many desktops pulling at once (`--desktops`, 30): a practice of its own with
//!    `--desktop-documents` documents (1,000 by default: every desktop's cache is an encrypted
//!    file of its own on the same disk); one desktop pulls them alone first, then all the
//!    desktops, each its own login, connection, thread and SQLCipher store, start from empty
//!    at the same moment. Then all of them listen (as in 4) while the desktop that pulled
//!    alone takes `--fanout-steps` steps, each timed until every desktop has folded it.
//! 8. Many practices on one server (`--practices`, none by default; issue 14's primary care
//!    network): each practice its own puller and two GP logins and `--practice-documents`
//!    documents of its own (1,000); its two desktops pull them, all practices' desktops at
//!    once; then every practice's desktop B listens (as in 4) while its desktop A takes
//!    `--practice-steps` steps, all practices at the same time, each step timed until that
//!    practice's B has folded it. Then each cache is checked to hold its own practice's
//!    documents and events alone, and each B's wakes counted against its practice's steps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use handover_inbox::practice_cache::pull_into_cache;
use handover_practice::testing::Cluster;
use handover_practice::{
    connect, MessageOutcome, NewPracticeEvent, ReceivedDocument, ReceivedMessage,
};
use handover_store::{DbKey, ListQuery, Queue, Store};
use handover_workflow::WorkflowConfig;
use serde_json::json;

use crate::bench::{p95, peak_rss_mb, time_ms};
use crate::CliError;
use handover_errors::ErrorCode;

#[derive(clap::Args)]
pub struct PracticeArgs {
    /// Documents on the practice server.
    #[arg(long, default_value_t = 100_000)]
    documents: usize,
    /// Steps timed from desktop A to desktop B.
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Timed repetitions of each local query.
    #[arg(long, default_value_t = 200)]
    rounds: usize,
    /// Concurrent writers appending to the practice log, each its own login, connection and
    /// thread (0: not measured).
    #[arg(long, default_value_t = 30)]
    writers: usize,
    /// How long the writers append, in seconds.
    #[arg(long, default_value_t = 10)]
    write_seconds: u64,
    /// Events each writer appends (instead of --write-seconds).
    #[arg(long)]
    writer_events: Option<usize>,
    /// Practices the writers are spread over, each its own log (writer w in practice w modulo
    /// this): 1, all of them appending to one practice's log.
    #[arg(long, default_value_t = 1)]
    writer_practices: usize,
    /// Desktops pulling into empty caches at the same moment (0: not measured).
    #[arg(long, default_value_t = 30)]
    desktops: usize,
    /// Documents those desktops pull (a practice of its own on the same server).
    #[arg(long, default_value_t = 1_000)]
    desktop_documents: usize,
    /// Steps one desktop takes while all those desktops listen, each timed until every one
    /// has it (0: not measured).
    #[arg(long, default_value_t = 50)]
    fanout_steps: usize,
    /// Practices on the same server, all busy at once (0: not measured): each its own
    /// logins, documents and two desktops; every practice's desktop A takes steps while its
    /// desktop B listens.
    #[arg(long, default_value_t = 0)]
    practices: usize,
    /// Documents each of those practices holds.
    #[arg(long, default_value_t = 1_000)]
    practice_documents: usize,
    /// Steps each of those practices' desktop A takes (all practices at once), each timed
    /// until its desktop B has it.
    #[arg(long, default_value_t = 50)]
    practice_steps: usize,
    /// A server that commits durably (fsync, synchronous_commit and full_page_writes on, as a
    /// real server), instead of the tests' fast settings.
    #[arg(long)]
    durable: bool,
    #[arg(long)]
    json: bool,
}

const PASSWORD: &str = "bench-practice-password";

fn err(e: impl std::fmt::Display) -> CliError {
    CliError::new(ErrorCode::BenchFailed, e.to_string())
}

fn pctl(mut samples: Vec<f64>, q: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let i = ((samples.len() as f64) * q).ceil() as usize;
    let v = samples[i.saturating_sub(1).min(samples.len() - 1)];
    (v * 1000.0).round() / 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn file_mb(path: &Path) -> f64 {
    let mut bytes = 0;
    for suffix in ["", "-wal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        bytes += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
    }
    round1(bytes as f64 / 1_048_576.0)
}

pub fn run(args: PracticeArgs) -> Result<(), CliError> {
    let n = args.documents.max(1);
    let tmp = std::env::temp_dir().join(format!("handover-bench-practice-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(err)?;
    let result = run_in(&tmp, n, &args);
    let _ = std::fs::remove_dir_all(&tmp);
    let value = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        for (k, v) in value.as_object().expect("an object") {
            println!("{k}: {v}");
        }
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(err)
}

/// The machine's load average (1, 5 and 15 minutes), as `uptime` says it.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Removes a store's files (the database, its WAL and shared memory).
fn remove_store(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(&p);
    }
}

fn run_in(tmp: &Path, n: usize, args: &PracticeArgs) -> Result<serde_json::Value, CliError> {
    let load_at_start = load_average();
    let cluster = if args.durable {
        Cluster::start_durable()
    } else {
        Cluster::start()
    };
    let config = WorkflowConfig {
        practice_ods: "Y99999".into(),
        practice_name: "Bench Practice".into(),
        unmatched_grace_hours: 48,
        register_max_age_days: 7,
    };
    let mut value = runtime()?.block_on(two_desktops(&cluster, tmp, n, args, &config))?;
    // The two caches are not needed any more: their disk is, for the desktops below.
    remove_store(&tmp.join("desktop-a.db"));
    remove_store(&tmp.join("desktop-b.db"));
    let figures = value.as_object_mut().expect("an object");
    if args.writers > 0 {
        figures.insert(
            "writers".into(),
            many_writers(
                &cluster,
                args.writers,
                args.writer_practices.clamp(1, args.writers),
                Duration::from_secs(args.write_seconds.max(1)),
                args.writer_events,
            )?,
        );
    }
    if args.desktops > 0 {
        figures.insert(
            "desktops".into(),
            many_desktops(
                &cluster,
                tmp,
                args.desktops,
                args.desktop_documents.max(1),
                args.fanout_steps,
                &config,
            )?,
        );
    }
    if args.practices > 0 {
        figures.insert(
            "practices".into(),
            many_practices(
                &cluster,
                tmp,
                args.practices,
                args.practice_documents.max(1),
                args.practice_steps.max(1),
                &config,
            )?,
        );
    }
    figures.insert("durable_server".into(), json!(args.durable));
    figures.insert("peak_rss_mb".into(), json!(peak_rss_mb()));
    figures.insert("load_average_at_start".into(), json!(load_at_start));
    figures.insert("load_average_at_end".into(), json!(load_average()));
    Ok(value)
}

/// Parts 1 to 5: the fill, two desktops' full pulls, a step from one to the other (polled,
/// then woken by the server), and the local queries.
async fn two_desktops(
    cluster: &Cluster,
    tmp: &Path,
    n: usize,
    args: &PracticeArgs,
    config: &WorkflowConfig,
) -> Result<serde_json::Value, CliError> {
    let config = config.clone();
    let mut su = connect(&cluster.superuser_url()).await?;
    su.init("BENCH1", "Bench Practice").await?;
    su.add_user("BENCH1", "bench_puller", "puller", PASSWORD)
        .await?;
    for gp in ["bench_a", "bench_b"] {
        su.add_user("BENCH1", gp, "gp", PASSWORD).await?;
    }

    // 1. Fill the server.
    let fill_start = Instant::now();
    fill(&cluster.url("bench_puller", PASSWORD), n).await?;
    let fill_secs = fill_start.elapsed().as_secs_f64();
    let server_mb: i64 = su
        .client()
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .map_err(err)?
        .get(0);

    // 2. Pull all of it into an empty cache.
    let a_path = tmp.join("desktop-a.db");
    let mut a = Store::open_with_key(&a_path, &DbKey::generate())?;
    let mut a_db = connect(&cluster.url("bench_a", PASSWORD)).await?;
    let pull_start = Instant::now();
    let pulled = pull_into_cache(&mut a, &mut a_db, &config).await?;
    let pull_secs = pull_start.elapsed().as_secs_f64();
    if pulled.documents_stored != n as u64 {
        return Err(err(format!(
            "the pull stored {} documents of {n}",
            pulled.documents_stored
        )));
    }
    let cache_mb = file_mb(&a_path);

    // 3. Step latency, A to B. B is a second desktop with its own full pull.
    let b_path = tmp.join("desktop-b.db");
    let mut b = Store::open_with_key(&b_path, &DbKey::generate())?;
    let mut b_db = connect(&cluster.url("bench_b", PASSWORD)).await?;
    let b_start = Instant::now();
    let b_pulled = pull_into_cache(&mut b, &mut b_db, &config).await?;
    let b_pull_secs = b_start.elapsed().as_secs_f64();
    if b_pulled.documents_stored != n as u64 {
        return Err(err("desktop B's pull did not store every document"));
    }
    let now = handover_inbox::now_rfc3339();
    a.add_user("Bench GP", handover_store::Role::Gp, &now)?;
    let gp = handover_workflow::actor_for(&a, Some("Bench GP"))?;
    let (mut total, mut push, mut pull) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.steps.max(1) {
        let id = 1 + ((i * 7919) % n) as i64;
        let start = Instant::now();
        handover_workflow::add_note(
            &a,
            &gp,
            id,
            format!("bench note {i}"),
            &handover_inbox::now_rfc3339(),
        )?;
        if a.practice_outbox_len()? != 1 {
            return Err(err("the step was not queued for the practice"));
        }
        let sent = pull_into_cache(&mut a, &mut a_db, &config).await?;
        if sent.events_pushed != 1 {
            return Err(err(format!("A pushed {} events", sent.events_pushed)));
        }
        let pushed = start.elapsed();
        // B pulls until the note is folded into its cache (the first pull finds it: the
        // push committed before it).
        let mut pulls = 0;
        loop {
            pulls += 1;
            let got = pull_into_cache(&mut b, &mut b_db, &config).await?;
            if got.events_applied >= 1 {
                break;
            }
            if pulls >= 100 {
                return Err(err("B never saw A's step"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let done = start.elapsed();
        total.push(done.as_secs_f64() * 1000.0);
        push.push(pushed.as_secs_f64() * 1000.0);
        pull.push((done - pushed).as_secs_f64() * 1000.0);
    }

    // 4. As the app does it: B listens on a connection of its own, on a thread of its own
    // (another desktop), and pulls when the server wakes it.
    let b_url = cluster.url("bench_b", PASSWORD);
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let listener = {
        let config = config.clone();
        std::thread::spawn(move || {
            listening_desktop(0, b, &b_url, &config, seen_tx, ready_tx, stop)
        })
    };
    let _ = ready_rx.await;
    let (mut woken_total, mut woken_push, mut woken_wake, mut woken_pull) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut by_poll = 0;
    let mut listen_error = None;
    for i in 0..args.steps.max(1) {
        let id = 1 + ((i * 7919 + 13) % n) as i64;
        let start = Instant::now();
        handover_workflow::add_note(
            &a,
            &gp,
            id,
            format!("bench note, woken {i}"),
            &handover_inbox::now_rfc3339(),
        )?;
        let sent = pull_into_cache(&mut a, &mut a_db, &config).await?;
        if sent.events_pushed != 1 {
            return Err(err(format!("A pushed {} events", sent.events_pushed)));
        }
        let pushed = start.elapsed();
        let seen: Seen = match tokio::time::timeout(Duration::from_secs(60), seen_rx.recv()).await {
            Ok(Some(seen)) => seen,
            Ok(None) => {
                listen_error = Some("desktop B stopped".to_string());
                break;
            }
            Err(_) => {
                listen_error = Some(format!("desktop B did not see step {i} within 60 s"));
                break;
            }
        };
        if seen.by_poll {
            by_poll += 1;
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        woken_total.push(ms(seen.applied.saturating_duration_since(start)));
        woken_push.push(ms(pushed));
        woken_wake.push(ms(seen.woken.saturating_duration_since(start)));
        woken_pull.push(ms(seen.applied.saturating_duration_since(seen.woken)));
    }
    let _ = stop_tx.send(true);
    let b = listener
        .join()
        .map_err(|_| err("desktop B's thread panicked"))??;
    drop(b.store);
    if let Some(e) = listen_error {
        return Err(err(e));
    }

    // 5. The local queries on the pulled cache.
    a.optimize()?;
    let page = |q: ListQuery| ListQuery { limit: 200, ..q };
    let (mut list, mut filter, mut search) = (Vec::new(), Vec::new(), Vec::new());
    let (mut audit, mut work_panel) = (Vec::new(), Vec::new());
    let words = ["discharge", "warfarin", "review", "clinic"];
    for r in 0..args.rounds.max(1) {
        // The audit view's first page (the practice log with this desktop's own entries) and a
        // document's work panel (its history from both).
        let id = 1 + ((r * 104_729) % n) as i64;
        let q = handover_store::AuditQuery {
            newest_first: true,
            limit: 200,
            document_id: (r % 2 == 1).then_some(id),
            ..Default::default()
        };
        audit.push(time_ms(|| {
            std::hint::black_box(a.audit_trail(&q).ok());
        }));
        work_panel.push(time_ms(|| {
            std::hint::black_box(handover_workflow::workflow_view(&a, id).ok());
        }));
        list.push(time_ms(|| {
            std::hint::black_box(a.query_documents(&page(ListQuery::default())).ok());
        }));
        filter.push(time_ms(|| {
            std::hint::black_box(
                a.query_documents(&page(ListQuery {
                    queue: Some(Queue::New),
                    ..Default::default()
                }))
                .ok(),
            );
        }));
        let text = if r % 2 == 0 {
            handover_toc::nhs::test_nhs_number(((r * 7919) % n) as u64)
        } else {
            words[r % words.len()].to_string()
        };
        search.push(time_ms(|| {
            std::hint::black_box(
                a.query_documents(&page(ListQuery {
                    search: Some(text.clone()),
                    ..Default::default()
                }))
                .ok(),
            );
        }));
    }
    Ok(json!({
        "documents": n,
        "server_fill_seconds": round1(fill_secs),
        "server_fill_documents_per_second": (n as f64 / fill_secs).round(),
        "server_database_mb": (server_mb as f64 / 1_048_576.0).round(),
        "pull_seconds": round1(pull_secs),
        "pull_documents_per_second": (n as f64 / pull_secs).round(),
        "second_desktop_pull_seconds": round1(b_pull_secs),
        "cache_mb": cache_mb,
        "steps": total.len(),
        "step_to_other_desktop_p50_ms": pctl(total.clone(), 0.5),
        "step_to_other_desktop_p95_ms": pctl(total, 0.95),
        "push_p50_ms": pctl(push.clone(), 0.5),
        "push_p95_ms": pctl(push, 0.95),
        "pull_p50_ms": pctl(pull.clone(), 0.5),
        "pull_p95_ms": pctl(pull, 0.95),
        "woken": {
            "steps": woken_total.len(),
            "fallback_poll_seconds": FALLBACK_POLL.as_secs(),
            "woken_by_the_fallback_poll": by_poll,
            "step_to_other_desktop_p50_ms": pctl(woken_total.clone(), 0.5),
            "step_to_other_desktop_p95_ms": pctl(woken_total.clone(), 0.95),
            "step_to_other_desktop_max_ms": pctl(woken_total, 1.0),
            "step_and_push_p50_ms": pctl(woken_push.clone(), 0.5),
            "step_and_push_p95_ms": pctl(woken_push, 0.95),
            "step_to_wake_p50_ms": pctl(woken_wake.clone(), 0.5),
            "step_to_wake_p95_ms": pctl(woken_wake, 0.95),
            "wake_to_folded_p50_ms": pctl(woken_pull.clone(), 0.5),
            "wake_to_folded_p95_ms": pctl(woken_pull, 0.95),
        },
        "local_rounds": args.rounds.max(1),
        "local_list_p95_ms": p95(list),
        "local_filter_new_p95_ms": p95(filter),
        "local_search_p95_ms": p95(search),
        "local_audit_first_page_p95_ms": p95(audit),
        "local_work_panel_p95_ms": p95(work_panel),
        "practice_events_in_cache": a.practice_event_count()?,
    }))
}

/// The app's fallback poll (`HANDOVER_PRACTICE_POLL_SECONDS`' default): a desktop woken by it
/// rather than by the server's notification is counted.
const FALLBACK_POLL: Duration = Duration::from_secs(10);

/// What the listening desktop saw: when it was woken, when the pull that folded another
/// desktop's event ended, and whether the fallback poll woke it.
struct Seen {
    desktop: usize,
    woken: Instant,
    applied: Instant,
    by_poll: bool,
}

/// What a listening desktop ends with: its store, and how often it was woken.
struct Listened {
    store: Store,
    /// Woken by the server's notification.
    wakes: usize,
    /// Woken by the fallback poll.
    polls: usize,
    /// Wakes (either) whose pull found nothing new.
    empty_wakes: usize,
}

/// Desktop B as the app runs it: a connection of its own LISTENing for the practice, a pull
/// at start, then a pull each time the server wakes it (or the fallback poll does), until
/// `stop`. Each pull that folds another desktop's event is reported to `seen`. Returns the
/// store and its wakes.
fn listening_desktop(
    desktop: usize,
    mut store: Store,
    url: &str,
    config: &WorkflowConfig,
    seen: tokio::sync::mpsc::UnboundedSender<Seen>,
    ready: tokio::sync::oneshot::Sender<()>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Listened, CliError> {
    runtime()?.block_on(async {
        let (mut wakes, mut polls, mut empty_wakes) = (0, 0, 0);
        let mut db = connect(url).await?;
        let practice = db.session_practice().await?;
        let wake = db.listen(&practice).await?;
        pull_into_cache(&mut store, &mut db, config).await?;
        let _ = ready.send(());
        loop {
            let by_poll = tokio::select! {
                _ = wake.notified() => false,
                _ = tokio::time::sleep(FALLBACK_POLL) => true,
                _ = stop.changed() => break,
            };
            let woken = Instant::now();
            if by_poll {
                polls += 1;
            } else {
                wakes += 1;
            }
            let got = pull_into_cache(&mut store, &mut db, config).await?;
            if got.events_pulled == 0 && got.documents_pulled == 0 {
                empty_wakes += 1;
            }
            if got.events_applied > 0 {
                let applied = Instant::now();
                if seen
                    .send(Seen {
                        desktop,
                        woken,
                        applied,
                        by_poll,
                    })
                    .is_err()
                {
                    break;
                }
            }
        }
        Ok(Listened {
            store,
            wakes,
            polls,
            empty_wakes,
        })
    })
}

/// Part 6: `writers` logins of a practice of their own (or spread over `practices`
/// practices of their own, writer w in practice w modulo `practices`), each on its own
/// connection and thread, appending one event per transaction for `duration` (or `count`
/// each); then each practice's chain verified and its seqs checked gapless.
fn many_writers(
    cluster: &Cluster,
    writers: usize,
    practices: usize,
    duration: Duration,
    count: Option<usize>,
) -> Result<serde_json::Value, CliError> {
    let practice = |p: usize| format!("WRITE{}", p + 1);
    runtime()?.block_on(async {
        let mut su = connect(&cluster.superuser_url()).await?;
        for p in 0..practices {
            su.init(&practice(p), "Bench Writers").await?;
        }
        for w in 0..writers {
            su.add_user(
                &practice(w % practices),
                &format!("bench_w{w}"),
                "admin",
                PASSWORD,
            )
            .await?;
        }
        Ok::<_, CliError>(())
    })?;
    let barrier = Arc::new(Barrier::new(writers + 1));
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let url = cluster.url(&format!("bench_w{w}"), PASSWORD);
            let barrier = barrier.clone();
            std::thread::spawn(move || -> Result<(Vec<f64>, Vec<i64>), CliError> {
                let prepared = runtime().and_then(|rt| {
                    let db = rt.block_on(connect(&url))?;
                    Ok((rt, db))
                });
                // Every writer reaches the barrier, connected or not, so none waits forever.
                barrier.wait();
                let (rt, mut db) = prepared?;
                rt.block_on(async {
                    let device = format!("bench-w{w}");
                    let start = Instant::now();
                    let (mut latencies, mut seqs) = (Vec::new(), Vec::new());
                    let mut k = 0usize;
                    loop {
                        match count {
                            Some(c) if k >= c => break,
                            None if start.elapsed() >= duration => break,
                            _ => {}
                        }
                        k += 1;
                        let event = NewPracticeEvent {
                            event_id: format!("{device}:{k}"),
                            at: handover_inbox::now_rfc3339(),
                            os_user: "bench".into(),
                            device: device.clone(),
                            document_key: Some(format!(
                                "bench-document-{:05}",
                                (w * 7919 + k) % 10_000
                            )),
                            kind: "note_added".into(),
                            details: json!({ "markdown": format!("note {k} from {device}") })
                                .to_string(),
                        };
                        let t = Instant::now();
                        let got = db.append_events(std::slice::from_ref(&event)).await?;
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        seqs.extend(got);
                    }
                    Ok((latencies, seqs))
                })
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.join().map_err(|_| err("a writer's thread panicked"))?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let (mut latencies, mut per_writer) = (Vec::new(), Vec::new());
    let mut seqs = vec![Vec::new(); practices];
    for (w, r) in results.into_iter().enumerate() {
        let (l, s) = r?;
        per_writer.push(s.len());
        latencies.extend(l);
        seqs[w % practices].extend(s);
    }
    let per_practice: Vec<usize> = seqs.iter().map(Vec::len).collect();
    let total: usize = per_practice.iter().sum();
    let gapless = seqs.into_iter().all(gapless_from_one);
    // Each practice's log verified by one of its writers (writer p is in practice p).
    let verify_start = Instant::now();
    let chains = runtime()?.block_on(async {
        let mut chains = Vec::new();
        for p in 0..practices {
            let mut db = connect(&cluster.url(&format!("bench_w{p}"), PASSWORD)).await?;
            chains.push(db.verify_chain().await?);
        }
        Ok::<_, CliError>(chains)
    })?;
    let verify_seconds = verify_start.elapsed().as_secs_f64();
    if !gapless {
        return Err(err(
            "the writers' seqs are not 1..=total in each practice: a gap or a repeat",
        ));
    }
    for (p, chain) in chains.iter().enumerate() {
        if !chain.ok || chain.events != per_practice[p] as u64 {
            return Err(err(format!(
                "{}'s chain does not verify after the writers ({} events of {}): {:?}",
                practice(p),
                chain.events,
                per_practice[p],
                chain.problem
            )));
        }
    }
    let chain_events: u64 = chains.iter().map(|c| c.events).sum();
    let mut figures = json!({
        "writers": writers,
        "seconds": round1(seconds),
        "events": total,
        "events_per_second": (total as f64 / seconds).round(),
        "append_p50_ms": pctl(latencies.clone(), 0.5),
        "append_p95_ms": pctl(latencies.clone(), 0.95),
        "append_p99_ms": pctl(latencies.clone(), 0.99),
        "append_max_ms": pctl(latencies, 1.0),
        "chain_verified": chains.iter().all(|c| c.ok),
        "chain_events": chain_events,
        "verify_seconds": round1(verify_seconds),
        "seqs_gapless": gapless,
        "events_per_writer_min": per_writer.iter().min(),
        "events_per_writer_max": per_writer.iter().max(),
    });
    if practices > 1 {
        let f = figures.as_object_mut().expect("an object");
        f.insert("practices".into(), json!(practices));
        f.insert(
            "events_per_practice_min".into(),
            json!(per_practice.iter().min()),
        );
        f.insert(
            "events_per_practice_max".into(),
            json!(per_practice.iter().max()),
        );
    }
    Ok(figures)
}

/// Whether `seqs`, in any order, are exactly 1, 2, ..., their number: no gap, no repeat.
fn gapless_from_one(mut seqs: Vec<i64>) -> bool {
    seqs.sort_unstable();
    seqs.iter().zip(1..).all(|(&s, expected)| s == expected)
}

/// Part 7: `desktops` desktops, each its own login, connection, thread and encrypted store,
/// pulling a practice of `m` documents into empty caches at the same moment (after one
/// desktop pulled them alone, for comparison). Then, `fanout_steps` times, the lone desktop
/// takes a step while all of them listen as the app does: the time until every one has it.
fn many_desktops(
    cluster: &Cluster,
    tmp: &Path,
    desktops: usize,
    m: usize,
    fanout_steps: usize,
    config: &WorkflowConfig,
) -> Result<serde_json::Value, CliError> {
    const PRACTICE: &str = "CROWD1";
    let fill_seconds = runtime()?.block_on(async {
        let mut su = connect(&cluster.superuser_url()).await?;
        su.init(PRACTICE, "Bench Desktops").await?;
        su.add_user(PRACTICE, "crowd_puller", "puller", PASSWORD)
            .await?;
        su.add_user(PRACTICE, "crowd_alone", "gp", PASSWORD).await?;
        for d in 0..desktops {
            su.add_user(PRACTICE, &format!("bench_d{d}"), "gp", PASSWORD)
                .await?;
        }
        let start = Instant::now();
        fill(&cluster.url("crowd_puller", PASSWORD), m).await?;
        Ok::<_, CliError>(start.elapsed().as_secs_f64())
    })?;

    // One desktop alone, for comparison; kept as the desktop that takes the steps below.
    let alone_path = tmp.join("crowd-alone.db");
    let alone_url = cluster.url("crowd_alone", PASSWORD);
    let alone = pull_from_empty(&alone_url, &alone_path, config, m, None);
    let cache_mb = file_mb(&alone_path);
    let alone = match alone {
        Ok(a) => a,
        Err(e) => {
            remove_store(&alone_path);
            return Err(e);
        }
    };

    let barrier = Arc::new(Barrier::new(desktops + 1));
    let (pulled_tx, pulled_rx) = std::sync::mpsc::channel();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut ready = Vec::new();
    let handles: Vec<_> = (0..desktops)
        .map(|d| {
            let url = cluster.url(&format!("bench_d{d}"), PASSWORD);
            let path: PathBuf = tmp.join(format!("crowd-{d}.db"));
            let (barrier, config) = (barrier.clone(), config.clone());
            let (pulled_tx, seen_tx, stop) = (pulled_tx.clone(), seen_tx.clone(), stop_rx.clone());
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            ready.push(ready_rx);
            std::thread::spawn(move || {
                let result =
                    pull_from_empty(&url, &path, &config, m, Some(&barrier)).and_then(|pulled| {
                        let _ = pulled_tx.send(Ok((pulled.seconds, pulled.ended)));
                        if fanout_steps == 0 {
                            return Ok(());
                        }
                        listening_desktop(d, pulled.store, &url, &config, seen_tx, ready_tx, stop)
                            .map(drop)
                    });
                if let Err(e) = &result {
                    let _ = pulled_tx.send(Err(e.message.clone()));
                }
                remove_store(&path);
                result
            })
        })
        .collect();
    drop((pulled_tx, seen_tx));
    barrier.wait();
    let start = Instant::now();

    let outcome = (|| -> Result<serde_json::Value, CliError> {
        let mut per_desktop = Vec::new();
        let mut last_end = start;
        while per_desktop.len() < desktops {
            match pulled_rx.recv() {
                Ok(Ok((seconds, ended))) => {
                    per_desktop.push(seconds);
                    last_end = last_end.max(ended);
                }
                Ok(Err(e)) => return Err(err(format!("a desktop failed: {e}"))),
                Err(_) => return Err(err("a desktop stopped")),
            }
        }
        let seconds = last_end.duration_since(start).as_secs_f64();
        let mut figures = json!({
            "desktops": desktops,
            "documents": m,
            "server_fill_seconds": round1(fill_seconds),
            "one_desktop_alone_seconds": round1(alone.seconds),
            "one_desktop_alone_documents_per_second": (m as f64 / alone.seconds).round(),
            "cache_mb_each": cache_mb,
            "all_at_once_seconds": round1(seconds),
            "all_at_once_documents_per_second": ((desktops * m) as f64 / seconds).round(),
            "per_desktop_p50_seconds": round1(pctl(per_desktop.clone(), 0.5)),
            "per_desktop_p95_seconds": round1(pctl(per_desktop.clone(), 0.95)),
            "per_desktop_max_seconds": round1(pctl(per_desktop, 1.0)),
        });
        if fanout_steps == 0 {
            return Ok(figures);
        }

        // Every desktop listening: the lone desktop takes a step, timed until all have it.
        let mut store = alone.store;
        let config = config.clone();
        let fanout = runtime()?.block_on(async move {
            for r in ready {
                r.await
                    .map_err(|_| err("a desktop stopped before it listened"))?;
            }
            let mut db = connect(&alone_url).await?;
            let now = handover_inbox::now_rfc3339();
            store.add_user("Bench GP", handover_store::Role::Gp, &now)?;
            let gp = handover_workflow::actor_for(&store, Some("Bench GP"))?;
            let (mut every, mut each) = (Vec::new(), Vec::new());
            let mut by_poll = 0;
            for i in 0..fanout_steps {
                let id = 1 + ((i * 7919) % m) as i64;
                let start = Instant::now();
                handover_workflow::add_note(
                    &store,
                    &gp,
                    id,
                    format!("bench note to all {i}"),
                    &handover_inbox::now_rfc3339(),
                )?;
                let sent = pull_into_cache(&mut store, &mut db, &config).await?;
                if sent.events_pushed != 1 {
                    return Err(err(format!(
                        "the lone desktop pushed {} events",
                        sent.events_pushed
                    )));
                }
                let mut have = vec![false; desktops];
                let mut last = Duration::ZERO;
                while have.iter().any(|h| !h) {
                    let seen: Seen =
                        match tokio::time::timeout(Duration::from_secs(60), seen_rx.recv()).await {
                            Ok(Some(seen)) => seen,
                            Ok(None) => return Err(err("a listening desktop stopped")),
                            Err(_) => {
                                return Err(err(format!(
                                    "not every desktop saw step {i} within 60 s"
                                )))
                            }
                        };
                    if std::mem::replace(&mut have[seen.desktop], true) {
                        continue;
                    }
                    by_poll += usize::from(seen.by_poll);
                    let took = seen.applied.saturating_duration_since(start);
                    each.push(took.as_secs_f64() * 1000.0);
                    last = last.max(took);
                }
                every.push(last.as_secs_f64() * 1000.0);
            }
            Ok::<_, CliError>(json!({
                "listening_desktops": desktops,
                "steps": every.len(),
                "woken_by_the_fallback_poll": by_poll,
                "step_to_every_desktop_p50_ms": pctl(every.clone(), 0.5),
                "step_to_every_desktop_p95_ms": pctl(every.clone(), 0.95),
                "step_to_every_desktop_max_ms": pctl(every, 1.0),
                "step_to_each_desktop_p50_ms": pctl(each.clone(), 0.5),
                "step_to_each_desktop_p95_ms": pctl(each, 0.95),
            }))
        })?;
        figures
            .as_object_mut()
            .expect("an object")
            .insert("fanout".into(), fanout);
        Ok(figures)
    })();

    let _ = stop_tx.send(true);
    join_desktops(handles)?;
    remove_store(&alone_path);
    outcome
}

/// How many of a cache's documents or events belong to its own practice, to another, or to
/// none of the practices filled.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    own: usize,
    foreign: usize,
    unknown: usize,
}

/// Tallies the owners of what a cache holds (`None`: not one of the practices') against `own`.
fn tally(owners: impl IntoIterator<Item = Option<usize>>, own: usize) -> Tally {
    let mut t = Tally::default();
    for owner in owners {
        match owner {
            Some(o) if o == own => t.own += 1,
            Some(_) => t.foreign += 1,
            None => t.unknown += 1,
        }
    }
    t
}

/// What one practice's desktop holds: its documents and practice events, by owner.
fn cache_contents(
    store: &Store,
    owner: &std::collections::HashMap<String, usize>,
    own: usize,
) -> Result<serde_json::Value, CliError> {
    let total = store.document_counts()?.total as usize;
    let mut found = Vec::new();
    for (key, &practice) in owner {
        if store.document_by_content(key)?.is_some() {
            found.push(Some(practice));
        }
    }
    found.extend(std::iter::repeat_n(None, total.saturating_sub(found.len())));
    let documents = tally(found, own);
    let mut events = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.audit_trail(&handover_store::AuditQuery {
            log: Some(handover_store::AuditLog::Practice),
            offset,
            limit: 10_000,
            ..Default::default()
        })?;
        let got = page.len();
        events.extend(
            page.into_iter()
                .map(|e| e.document_key.as_ref().and_then(|k| owner.get(k).copied())),
        );
        if got < 10_000 {
            break;
        }
        offset += got as u32;
    }
    let events_total = store.practice_event_count()?;
    let events = tally(events, own);
    Ok(json!({
        "documents": total,
        "own_documents": documents.own,
        "other_practices_documents": documents.foreign,
        "unknown_documents": documents.unknown,
        "practice_events": events_total,
        "own_events": events.own,
        "other_practices_events": events.foreign,
        "unknown_events": events.unknown,
    }))
}

/// One practice's desktop A stepping, as its thread ends: its store, the steps' times (total
/// to B, and A's step and push), and when it finished.
struct Stepped {
    store: Store,
    total_ms: Vec<f64>,
    push_ms: Vec<f64>,
    ended: Instant,
}

/// Part 8: `practices` practices on the one server, each with `m` documents of its own, a
/// puller's and two GPs' logins and two desktops. All the desktops pull at once; then every
/// practice's desktop B listens while its desktop A takes `steps` steps, all practices at the
/// same time; each step timed until its own B has folded it. Then every cache is checked to
/// hold its own practice's documents and events alone, and each B's wakes are counted
/// against its own practice's steps.
fn many_practices(
    cluster: &Cluster,
    tmp: &Path,
    practices: usize,
    m: usize,
    steps: usize,
    config: &WorkflowConfig,
) -> Result<serde_json::Value, CliError> {
    let id = |k: usize| format!("MANY{k:03}");
    let login = |k: usize, who: &str| format!("many{k}_{who}");
    // Each practice's documents numbered apart from the others': their own keys and ids.
    let (fill_seconds, keys) = runtime()?.block_on(async {
        let mut su = connect(&cluster.superuser_url()).await?;
        for k in 0..practices {
            su.init(&id(k), &format!("Bench Network Practice {k}"))
                .await?;
            su.add_user(&id(k), &login(k, "puller"), "puller", PASSWORD)
                .await?;
            for who in ["a", "b"] {
                su.add_user(&id(k), &login(k, who), "gp", PASSWORD).await?;
            }
        }
        let start = Instant::now();
        let mut keys = Vec::new();
        for k in 0..practices {
            let mut mine = Vec::with_capacity(m);
            fill_from(
                &cluster.url(&login(k, "puller"), PASSWORD),
                k * m,
                m,
                Some(&mut mine),
            )
            .await?;
            keys.push(mine);
        }
        Ok::<_, CliError>((start.elapsed().as_secs_f64(), keys))
    })?;
    let owner: std::collections::HashMap<String, usize> = keys
        .iter()
        .enumerate()
        .flat_map(|(k, mine)| mine.iter().map(move |key| (key.clone(), k)))
        .collect();
    drop(keys);

    let pull_barrier = Arc::new(Barrier::new(2 * practices + 1));
    let step_barrier = Arc::new(Barrier::new(practices + 1));
    let (pulled_tx, pulled_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut listeners = Vec::new();
    let mut steppers = Vec::new();
    for k in 0..practices {
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Seen>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        // Desktop B: pulls everything, then listens.
        listeners.push({
            let url = cluster.url(&login(k, "b"), PASSWORD);
            let path = tmp.join(format!("network-{k}-b.db"));
            let (barrier, config, pulled_tx, stop) = (
                pull_barrier.clone(),
                config.clone(),
                pulled_tx.clone(),
                stop_rx.clone(),
            );
            std::thread::spawn(move || {
                let pulled = pull_from_empty(&url, &path, &config, m, Some(&barrier));
                let _ = pulled_tx.send(match &pulled {
                    Ok(p) => Ok((p.seconds, p.ended)),
                    Err(e) => Err(e.message.clone()),
                });
                let result = pulled.and_then(|pulled| {
                    listening_desktop(k, pulled.store, &url, &config, seen_tx, ready_tx, stop)
                });
                if result.is_err() {
                    remove_store(&path);
                }
                result.map(|l| (l, path))
            })
        });
        // Desktop A: pulls everything, then steps once its B listens.
        steppers.push({
            let url = cluster.url(&login(k, "a"), PASSWORD);
            let path = tmp.join(format!("network-{k}-a.db"));
            let (barrier, steps_at, config, pulled_tx) = (
                pull_barrier.clone(),
                step_barrier.clone(),
                config.clone(),
                pulled_tx.clone(),
            );
            std::thread::spawn(move || {
                let pulled = pull_from_empty(&url, &path, &config, m, Some(&barrier));
                let _ = pulled_tx.send(match &pulled {
                    Ok(p) => Ok((p.seconds, p.ended)),
                    Err(e) => Err(e.message.clone()),
                });
                let listening = ready_rx.blocking_recv();
                // Every desktop A reaches the start, ready or not, so none waits forever.
                steps_at.wait();
                let result = (|| {
                    let mut store = pulled?.store;
                    listening.map_err(|_| err(format!("practice {k}'s desktop B stopped")))?;
                    let rt = runtime()?;
                    rt.block_on(async {
                        let mut db = connect(&url).await?;
                        let now = handover_inbox::now_rfc3339();
                        store.add_user("Bench GP", handover_store::Role::Gp, &now)?;
                        let gp = handover_workflow::actor_for(&store, Some("Bench GP"))?;
                        let (mut total_ms, mut push_ms) = (Vec::new(), Vec::new());
                        for i in 0..steps {
                            let doc = 1 + ((i * 7919 + k) % m) as i64;
                            let start = Instant::now();
                            handover_workflow::add_note(
                                &store,
                                &gp,
                                doc,
                                format!("bench note, practice {k}, step {i}"),
                                &handover_inbox::now_rfc3339(),
                            )?;
                            let sent = pull_into_cache(&mut store, &mut db, &config).await?;
                            if sent.events_pushed != 1 {
                                return Err(err(format!(
                                    "practice {k}'s desktop A pushed {} events",
                                    sent.events_pushed
                                )));
                            }
                            let pushed = start.elapsed();
                            let seen =
                                match tokio::time::timeout(Duration::from_secs(60), seen_rx.recv())
                                    .await
                                {
                                    Ok(Some(seen)) => seen,
                                    Ok(None) => {
                                        return Err(err(format!(
                                            "practice {k}'s desktop B stopped"
                                        )))
                                    }
                                    Err(_) => {
                                        return Err(err(format!(
                                    "practice {k}'s desktop B did not see step {i} within 60 s"
                                )))
                                    }
                                };
                            total_ms.push(
                                seen.applied.saturating_duration_since(start).as_secs_f64()
                                    * 1000.0,
                            );
                            push_ms.push(pushed.as_secs_f64() * 1000.0);
                        }
                        Ok(Stepped {
                            store,
                            total_ms,
                            push_ms,
                            ended: Instant::now(),
                        })
                    })
                })();
                if result.is_err() {
                    remove_store(&path);
                }
                result.map(|s| (s, path))
            })
        });
    }
    drop(pulled_tx);

    pull_barrier.wait();
    let pulls_start = Instant::now();
    let (mut pull_seconds, mut pulls_end, mut failed) = (Vec::new(), pulls_start, None);
    for _ in 0..2 * practices {
        match pulled_rx.recv() {
            Ok(Ok((seconds, ended))) => {
                pull_seconds.push(seconds);
                pulls_end = pulls_end.max(ended);
            }
            Ok(Err(e)) => {
                failed.get_or_insert(format!("a desktop's pull failed: {e}"));
            }
            Err(_) => {
                failed.get_or_insert("a desktop stopped".to_string());
                break;
            }
        }
    }
    // Every desktop A waits here (whatever happened), so this is reached whatever happened.
    step_barrier.wait();
    let steps_start = Instant::now();

    let mut stepped = Vec::new();
    for h in steppers {
        stepped.push(
            h.join()
                .map_err(|_| err("a desktop A's thread panicked"))
                .and_then(|r| r),
        );
    }
    let _ = stop_tx.send(true);
    let mut listened = Vec::new();
    for h in listeners {
        listened.push(
            h.join()
                .map_err(|_| err("a desktop B's thread panicked"))
                .and_then(|r| r),
        );
    }
    let mut paths = Vec::new();
    let outcome = (|| -> Result<serde_json::Value, CliError> {
        if let Some(e) = failed {
            return Err(err(e));
        }
        let mut per_practice = Vec::new();
        let (mut all_total, mut all_push) = (Vec::new(), Vec::new());
        let mut steps_end = steps_start;
        let (mut foreign, mut woken_more, mut by_poll) = (0u64, 0usize, 0usize);
        for (k, (a, b)) in stepped.into_iter().zip(listened).enumerate() {
            let (a, a_path) = a?;
            let (b, b_path) = b?;
            paths.extend([a_path, b_path]);
            steps_end = steps_end.max(a.ended);
            let a_cache = cache_contents(&a.store, &owner, k)?;
            let b_cache = cache_contents(&b.store, &owner, k)?;
            for c in [&a_cache, &b_cache] {
                foreign += c["other_practices_documents"].as_u64().unwrap_or(0)
                    + c["other_practices_events"].as_u64().unwrap_or(0)
                    + c["unknown_documents"].as_u64().unwrap_or(0)
                    + c["unknown_events"].as_u64().unwrap_or(0);
            }
            // Only its own practice's notifications can wake B (each of A's steps one commit,
            // one notification at most; several may wake B once): more wakes than its
            // practice's steps would be another practice's activity.
            woken_more += usize::from(b.wakes > a.total_ms.len());
            by_poll += b.polls;
            per_practice.push(json!({
                "practice": id(k),
                "steps": a.total_ms.len(),
                "step_to_other_desktop_p50_ms": pctl(a.total_ms.clone(), 0.5),
                "step_to_other_desktop_p95_ms": pctl(a.total_ms.clone(), 0.95),
                "step_to_other_desktop_max_ms": pctl(a.total_ms.clone(), 1.0),
                "step_and_push_p95_ms": pctl(a.push_ms.clone(), 0.95),
                "b_woken_by_the_server": b.wakes,
                "b_woken_by_the_fallback_poll": b.polls,
                "b_wakes_with_nothing_new": b.empty_wakes,
                "desktop_a_cache": a_cache,
                "desktop_b_cache": b_cache,
            }));
            all_total.extend(a.total_ms);
            all_push.extend(a.push_ms);
            drop((a.store, b.store));
        }
        let seconds = steps_end.duration_since(steps_start).as_secs_f64();
        let pulls_seconds = pulls_end.duration_since(pulls_start).as_secs_f64();
        let events = all_total.len();
        if foreign > 0 {
            return Err(err(format!(
                "{foreign} documents or events of another practice (or of none) in a desktop's cache: {}",
                serde_json::to_string(&per_practice).expect("json")
            )));
        }
        Ok(json!({
            "practices": practices,
            "documents_each": m,
            "server_fill_seconds": round1(fill_seconds),
            "server_fill_documents_per_second": ((practices * m) as f64 / fill_seconds).round(),
            "desktops_pulling_at_once": 2 * practices,
            "all_pulls_seconds": round1(pulls_seconds),
            "all_pulls_documents_per_second": ((2 * practices * m) as f64 / pulls_seconds).round(),
            "pull_per_desktop_p50_seconds": round1(pctl(pull_seconds.clone(), 0.5)),
            "pull_per_desktop_max_seconds": round1(pctl(pull_seconds, 1.0)),
            "steps_each": steps,
            "steps": events,
            "stepping_seconds": round1(seconds),
            "appends_per_second": (events as f64 / seconds).round(),
            "step_to_other_desktop_p50_ms": pctl(all_total.clone(), 0.5),
            "step_to_other_desktop_p95_ms": pctl(all_total.clone(), 0.95),
            "step_to_other_desktop_max_ms": pctl(all_total, 1.0),
            "step_and_push_p50_ms": pctl(all_push.clone(), 0.5),
            "step_and_push_p95_ms": pctl(all_push, 0.95),
            "woken_by_the_fallback_poll": by_poll,
            "caches_hold_only_their_own_practice": foreign == 0,
            "desktops_woken_more_than_their_practice_stepped": woken_more,
            "per_practice": per_practice,
        }))
    })();
    for p in &paths {
        remove_store(p);
    }
    outcome
}

/// Joins the desktops' threads: the first error, if any.
fn join_desktops(
    handles: Vec<std::thread::JoinHandle<Result<(), CliError>>>,
) -> Result<(), CliError> {
    let mut first = Ok(());
    for h in handles {
        let r = h
            .join()
            .map_err(|_| err("a desktop's thread panicked"))
            .and_then(|r| r);
        if first.is_ok() {
            first = r;
        }
    }
    first
}

struct Pulled {
    seconds: f64,
    ended: Instant,
    store: Store,
}

/// A desktop's first pull: a new encrypted store (a generated key), its own login and
/// connection, all `m` documents; after `barrier` when there is one (the store is opened and
/// the connection made before it).
fn pull_from_empty(
    url: &str,
    path: &Path,
    config: &WorkflowConfig,
    m: usize,
    barrier: Option<&Barrier>,
) -> Result<Pulled, CliError> {
    let prepared = (|| {
        let rt = runtime()?;
        let store = Store::open_with_key(path, &DbKey::generate())?;
        let db = rt.block_on(connect(url))?;
        Ok::<_, CliError>((rt, store, db))
    })();
    // Every desktop reaches the barrier, ready or not, so none waits forever.
    if let Some(b) = barrier {
        b.wait();
    }
    let (rt, mut store, mut db) = prepared?;
    let start = Instant::now();
    let got = rt.block_on(pull_into_cache(&mut store, &mut db, config))?;
    let ended = Instant::now();
    if got.documents_stored != m as u64 {
        return Err(err(format!(
            "a desktop stored {} documents of {m}",
            got.documents_stored
        )));
    }
    Ok(Pulled {
        seconds: ended.duration_since(start).as_secs_f64(),
        ended,
        store,
    })
}

/// N documents on the server, stored as `handover serve` stores them, 1,000 per fenced
/// transaction.
async fn fill(puller_url: &str, n: usize) -> Result<(), CliError> {
    fill_from(puller_url, 0, n, None).await
}

/// `fill`, numbering the documents from `first` (so documents filled from different numbers
/// have different identities: keys, bundle and composition ids), and giving their keys to
/// `keys` when asked.
async fn fill_from(
    puller_url: &str,
    first: usize,
    n: usize,
    mut keys: Option<&mut Vec<String>>,
) -> Result<(), CliError> {
    let pool: Vec<_> = handover_fixtures::generate(200, 5)
        .into_iter()
        .map(|f| {
            let parsed = handover_toc::parse(&f.bytes);
            let doc = parsed.document.clone().expect("fixtures hold documents");
            let record = handover_inbox::document_record(&parsed, &doc);
            (f.bytes, record)
        })
        .collect();
    let surnames = [
        "SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES", "PATEL",
        "WRIGHT",
    ];
    let given = [
        "Olivia", "Amelia", "Isla", "Ava", "Noah", "Oliver", "George", "Arthur", "Leo", "Muhammad",
    ];
    let mut db = connect(puller_url).await?;
    let holder = "bench";
    let ttl = Duration::from_secs(3600);
    let epoch = db.acquire_lease(holder, ttl).await?;
    let (mut i, end) = (first, first + n);
    while i < end {
        db.renew_lease(holder, epoch, ttl).await?;
        let ingest = db.begin_ingest(holder, epoch).await?;
        for i in i..(i + 1_000).min(end) {
            let (raw, base) = &pool[i % pool.len()];
            let base_key = base.content_sha256.as_deref().unwrap_or_default();
            // A key of its own (the cache tells documents apart by it).
            let key = format!("{}{:016x}", &base_key[..48.min(base_key.len())], i);
            let bundle = format!("bench-bundle-{i}");
            let composition = format!("bench-composition-{i}");
            let nhs = handover_toc::nhs::test_nhs_number(i as u64);
            let name = format!("{}, {}", surnames[i % 10], given[(i / 10) % 10]);
            let search = format!("{}\nbench document {i}", base.search_text);
            let source_id = format!("BENCH-{i}");
            let document = ReceivedDocument {
                document_key: &key,
                kind: base.kind.as_str(),
                itk_message_id: Some(&source_id),
                document_bundle_id: Some(&bundle),
                composition_id: Some(&composition),
                replaces: None,
                nhs_number: Some(&nhs),
                patient_name: Some(&name),
                birth_date: base.birth_date.as_deref(),
                title: base.title.as_deref(),
                sender: base.sender.as_deref(),
                sender_org: base.sender_org.as_deref(),
                care_setting: base.care_setting.as_deref(),
                document_date: base.document_date.as_deref(),
                flags: &base.flags,
                med_changes: base.med_changes as i32,
                practice_actions: base.practice_actions as i32,
                model: &base.model,
                search_text: &search,
            };
            let message = ReceivedMessage {
                mailbox: "BENCH",
                source_id: &source_id,
                workflow_id: None,
                sender_mailbox: None,
                itk_message_id: Some(&source_id),
                raw,
                mailbox_meta: None,
                diagnostics: "[]",
                outcome: MessageOutcome::Stored,
                reason: None,
                document_key: Some(&key),
            };
            ingest.store_message(&message, Some(&document), &[]).await?;
            if let Some(keys) = keys.as_deref_mut() {
                keys.push(key.clone());
            }
        }
        ingest.commit().await?;
        i = (i + 1_000).min(end);
    }
    db.release_lease(holder, epoch).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{gapless_from_one, tally, Tally};

    #[test]
    fn seqs_are_gapless_only_when_they_are_one_to_their_number() {
        assert!(gapless_from_one(vec![3, 1, 2, 4]));
        assert!(gapless_from_one(vec![]));
        assert!(!gapless_from_one(vec![1, 2, 4]), "a gap");
        assert!(!gapless_from_one(vec![1, 2, 2, 3]), "a repeat");
        assert!(!gapless_from_one(vec![2, 3, 4]), "not from 1");
    }

    #[test]
    fn a_cache_is_tallied_by_whose_rows_it_holds() {
        let owners = [Some(2), Some(2), Some(0), None, Some(2)];
        assert_eq!(
            tally(owners, 2),
            Tally {
                own: 3,
                foreign: 1,
                unknown: 1
            }
        );
        assert_eq!(tally([], 0), Tally::default());
    }
}
