//! `handover bench practice`: the practice store's figures (issue 14), on a throwaway
//! PostgreSQL 15 cluster (`handover_practice::testing::Cluster`: initdb and pg_ctl in a
//! temporary directory, loopback only, `fsync` off, removed at the end) and throwaway
//! encrypted desktop caches (generated keys, not the keyring).
//!
//! 1. Fill: N generated documents stored on the server the way `handover serve` stores them
//!    (`FencedIngest::store_message` under the puller's lease, 1,000 per transaction), each
//!    with its message's bytes as received. A pool of 200 generated discharge messages, each
//!    document given its own identity (bundle and composition ids, content key, NHS number,
//!    patient name), as `bench inbox` does.
//! 2. Pull: all N into an empty desktop cache (`pull_into_cache`, as `sync --once` does).
//! 3. Step latency: a note added on desktop A (queued in A's outbox with the step), A's push
//!    (`pull_into_cache`: the outbox, then a pull), then B's pull, until the note is folded
//!    in B's cache; repeated, p50 and p95. B is a second desktop that pulled all N itself
//!    first (its time reported too). Over loopback, with polling: each pull is immediate, so this is the push
//!    plus pull round trip, not a wake-up delay.
//! 4. The inbox's local queries on the pulled cache (first page, a filter, a search): the
//!    server is not asked.

use std::path::Path;
use std::time::{Duration, Instant};

use handover_inbox::practice_cache::pull_into_cache;
use handover_practice::testing::Cluster;
use handover_practice::{connect, MessageOutcome, ReceivedDocument, ReceivedMessage};
use handover_store::{DbKey, ListQuery, Queue, Store};
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

fn run_in(tmp: &Path, n: usize, args: &PracticeArgs) -> Result<serde_json::Value, CliError> {
    let cluster = Cluster::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    let config = handover_workflow::WorkflowConfig {
        practice_ods: "Y99999".into(),
        practice_name: "Bench Practice".into(),
        unmatched_grace_hours: 48,
        register_max_age_days: 7,
    };
    runtime.block_on(async {
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
        drop(b);

        // 4. The local queries on the pulled cache.
        a.optimize()?;
        let page = |q: ListQuery| ListQuery { limit: 200, ..q };
        let (mut list, mut filter, mut search) = (Vec::new(), Vec::new(), Vec::new());
        let words = ["discharge", "warfarin", "review", "clinic"];
        for r in 0..args.rounds.max(1) {
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
            "local_rounds": args.rounds.max(1),
            "local_list_p95_ms": p95(list),
            "local_filter_new_p95_ms": p95(filter),
            "local_search_p95_ms": p95(search),
            "peak_rss_mb": peak_rss_mb(),
        }))
    })
}

/// N documents on the server, stored as `handover serve` stores them, 1,000 per fenced
/// transaction.
async fn fill(puller_url: &str, n: usize) -> Result<(), CliError> {
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
    let mut i = 0;
    while i < n {
        db.renew_lease(holder, epoch, ttl).await?;
        let ingest = db.begin_ingest(holder, epoch).await?;
        for i in i..(i + 1_000).min(n) {
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
        }
        ingest.commit().await?;
        i = (i + 1_000).min(n);
    }
    db.release_lease(holder, epoch).await?;
    Ok(())
}
