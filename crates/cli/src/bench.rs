//! `handover bench`: performance figures printed as JSON (see docs/benchmarks.md). Figures come
//! from release builds: `cargo run --release -p handover-cli -- bench ...`.

use std::time::{Duration, Instant};

use clap::Subcommand;
use handover_inbox::{SyncEngine, SyncOptions};
use handover_mesh::FolderMailbox;
use handover_store::{
    DbKey, DocumentRecord, Incoming, ListQuery, MessageSource, Queue, Sort, Store,
};
use handover_toc::DocumentKind;
use serde_json::json;

use crate::CliError;
use handover_errors::ErrorCode;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Medicines reconciliation: a discharge list of N lines against a practice list of N
    /// lines; then opening the reconciliation screen (the `medrec_view` command and its JSON)
    /// for documents of a throwaway encrypted store of --documents generated documents, each
    /// patient with a practice list.
    Medrec {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 40)]
        lines: usize,
        #[arg(long, default_value_t = 1000)]
        rounds: usize,
        /// Documents in the store the screen is opened from.
        #[arg(long, default_value_t = 2000)]
        documents: usize,
        /// An NHSBSA dm+d release directory to import first (pairs lines through dm+d).
        #[arg(long)]
        dmd: Option<std::path::PathBuf>,
    },
    /// Parse messages on one thread: generated 40-100 KB messages, or the files in DIR.
    Parse {
        #[arg(long)]
        json: bool,
        /// Seconds to run for.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// Parse the files in DIR (XML or JSON messages or documents) instead of generated ones,
        /// so the figures can be compared with another tool on exactly the same input.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Ingest messages from a folder mailbox into a throwaway encrypted store: N generated
    /// messages, or copies of the files in DIR.
    Ingest {
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        #[arg(long)]
        json: bool,
        /// Ingest copies of the files in DIR (each file once) instead of generated messages.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Fill a throwaway encrypted store with N documents and time the inbox's queries.
    Inbox {
        #[arg(long, default_value_t = 100_000)]
        documents: usize,
        #[arg(long)]
        json: bool,
        /// Timed repetitions of each query.
        #[arg(long, default_value_t = 200)]
        rounds: usize,
        /// Keep the filled store in DIR and reuse it on later runs (with its key, in DIR: synthetic
        /// data only). Without it the store is thrown away.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
        /// Workflow events per document in the filled store (its arrival, matching, then
        /// "viewed" events): 10 gives 1,000,000 events for 100,000 documents.
        #[arg(long, default_value_t = 10)]
        events_per_document: usize,
    },
    /// Read a full-size dm+d release (generated, or --dir) and import it into a throwaway
    /// encrypted store: wall time and peak memory of each.
    Dmd(crate::bench_dmd::DmdArgs),
    /// The practice store (issue 14): a throwaway PostgreSQL cluster filled with N generated
    /// documents; a pull of all of them into an empty encrypted cache; a step's round trip
    /// from one desktop to another (push, then pull); the inbox's local queries on the cache.
    Practice(crate::bench_practice::PracticeArgs),
}

/// Peak resident memory of this process (VmHWM), in MB. Linux only.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

fn print(value: serde_json::Value, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        for (k, v) in value.as_object().expect("an object") {
            println!("{k}: {v}");
        }
    }
}

fn err(e: impl std::fmt::Display) -> CliError {
    CliError::new(ErrorCode::BenchFailed, e.to_string())
}

pub fn run(what: BenchCommand) -> Result<(), CliError> {
    match what {
        BenchCommand::Parse { json, seconds, dir } => {
            let min_time = Duration::from_secs_f64(seconds);
            let (figures, input) = match &dir {
                Some(dir) => {
                    let pool = read_dir_messages(dir)?;
                    (
                        handover_fixtures::bench::run(&pool, min_time),
                        dir.display().to_string(),
                    )
                }
                None => (
                    handover_fixtures::bench::parse_benchmark(1, min_time),
                    "generated".to_string(),
                ),
            };
            let mut value = serde_json::to_value(&figures).expect("figures serialise");
            value["peak_rss_mb"] = json!(peak_rss_mb());
            value["input"] = json!(input);
            print(value, json);
            Ok(())
        }
        BenchCommand::Ingest {
            messages,
            json,
            dir,
        } => ingest(messages, json, dir.as_deref()),
        BenchCommand::Medrec {
            json,
            lines,
            rounds,
            documents,
            dmd,
        } => medrec(lines, rounds, documents, dmd.as_deref(), json),
        BenchCommand::Inbox {
            documents,
            json,
            rounds,
            keep,
            events_per_document,
        } => inbox(documents, rounds, json, keep, events_per_document),
        BenchCommand::Dmd(args) => crate::bench_dmd::run(args),
        BenchCommand::Practice(args) => crate::bench_practice::run(args),
    }
}

/// The files of `dir` (not recursively; hidden files left out), sorted by name.
fn files_of(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, CliError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| {
            CliError::new(
                ErrorCode::FileUnreadable,
                format!("cannot read {}: {e}", dir.display()),
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::new(
            ErrorCode::FileUnreadable,
            format!("{} holds no files to benchmark", dir.display()),
        ));
    }
    Ok(files)
}

fn read_dir_messages(dir: &std::path::Path) -> Result<Vec<Vec<u8>>, CliError> {
    files_of(dir)?
        .iter()
        .map(|p| {
            std::fs::read(p).map_err(|e| {
                CliError::new(
                    ErrorCode::FileUnreadable,
                    format!("cannot read {}: {e}", p.display()),
                )
            })
        })
        .collect()
}

fn ingest(n: usize, json: bool, dir: Option<&std::path::Path>) -> Result<(), CliError> {
    let tmp = tempdir()?;
    let inbox = tmp.join("mailbox");
    std::fs::create_dir_all(&inbox).map_err(err)?;
    // Written one at a time, so the peak memory reported is the sync's, not the generator's.
    let mut bytes = 0u64;
    let n = match dir {
        Some(dir) => {
            let files = files_of(dir)?;
            for (i, p) in files.iter().enumerate() {
                // Numbered, so that files of the same name in DIR stay apart.
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let to = inbox.join(format!("{i:06}-{name}"));
                bytes += std::fs::copy(p, &to).map_err(err)?;
            }
            files.len()
        }
        None => {
            let mut written = Ok(());
            handover_fixtures::generate_each(n, 11, |f| {
                bytes += f.bytes.len() as u64;
                if written.is_ok() {
                    written = std::fs::write(inbox.join(&f.file_name), &f.bytes);
                }
            });
            written.map_err(err)?;
            n
        }
    };
    let mut store = Store::open_with_key(&tmp.join("bench.db"), &DbKey::generate())?;
    let (engine, runtime) = folder_sync(&inbox)?;
    let start = Instant::now();
    let summary = runtime.block_on(engine.sync_once(&mut store))?;
    let secs = start.elapsed().as_secs_f64();
    let stored = summary.stored + summary.duplicates + summary.quarantined;
    if stored != n as u64 || !summary.adds_up() {
        return Err(err(format!(
            "expected {n} messages ingested, got {stored}: {summary:?}"
        )));
    }
    print(
        json!({
            "messages": n,
            "messages_per_second": (n as f64 / secs).round(),
            "seconds": (secs * 1000.0).round() / 1000.0,
            "megabytes": (bytes as f64 / 1048576.0 * 10.0).round() / 10.0,
            "responses_sent": summary.responses_sent,
            "stored": summary.stored,
            "duplicates": summary.duplicates,
            "quarantined": summary.quarantined,
            "input": dir.map_or("generated".to_string(), |d| d.display().to_string()),
            "peak_rss_mb": peak_rss_mb(),
        }),
        json,
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// A sync engine over the folder mailbox `inbox` (the bench practice's), and a runtime for it.
fn folder_sync(
    inbox: &std::path::Path,
) -> Result<(SyncEngine<FolderMailbox>, tokio::runtime::Runtime), CliError> {
    let options = SyncOptions {
        source: MessageSource::Folder,
        mailbox_key: inbox.display().to_string(),
        workflow_filter: None,
        practice: handover_workflow::WorkflowConfig {
            practice_ods: "Y99999".into(),
            practice_name: "Bench Practice".into(),
            unmatched_grace_hours: 48,
            register_max_age_days: 7,
        },
    };
    let engine = SyncEngine::new(FolderMailbox::new(inbox, "FOLDER"), options);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    Ok((engine, runtime))
}

fn tempdir() -> Result<std::path::PathBuf, CliError> {
    let dir = std::env::temp_dir().join(format!("handover-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(err)?;
    Ok(dir)
}

pub(crate) fn p95(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let i = ((samples.len() as f64) * 0.95).ceil() as usize;
    let v = samples[i.saturating_sub(1).min(samples.len() - 1)];
    (v * 1000.0).round() / 1000.0
}

/// p95 per sort, by the sort's name.
fn sort_figures(samples: &[Vec<f64>; 5]) -> serde_json::Value {
    let mut figures = serde_json::Map::new();
    for (sort, samples) in Sort::ALL.iter().zip(samples) {
        if !samples.is_empty() {
            figures.insert(sort.as_str().to_string(), json!(p95(samples.clone())));
        }
    }
    serde_json::Value::Object(figures)
}

pub(crate) fn time_ms(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1000.0
}

/// Fills the store from a pool of parsed fixtures, varying identity, patient and date, so the
/// store holds `n` distinct documents with realistic models.
///
/// Each document enters the workflow as it would on arrival (requested actions, matching
/// against a register holding 95% of the pool's patients, GP review), then gets "viewed" events
/// up to `events_per_document`; one in ten with an action for the practice has it delegated to
/// the care coordinators' lane (a task).
fn fill(store: &mut Store, n: usize, events_per_document: usize) -> Result<Vec<String>, CliError> {
    let pool: Vec<_> = handover_fixtures::generate(200, 5)
        .into_iter()
        .map(|f| {
            let parsed = handover_toc::parse(&f.bytes);
            let doc = parsed.document.clone().expect("fixtures hold documents");
            let record = handover_inbox::document_record(&parsed, &doc);
            (f.bytes, record, parsed)
        })
        .collect();
    // The register: every pool patient but one in twenty.
    let register: Vec<handover_store::RegisterPatient> = pool
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 20 != 7)
        .filter_map(|(_, (_, _, parsed))| {
            let p = parsed.document.as_ref()?.patient.as_ref()?;
            Some(handover_store::RegisterPatient {
                nhs_number: p.nhs_number.clone()?,
                family_name: p.family.clone().unwrap_or_default(),
                given_name: p.given.first().cloned().unwrap_or_default(),
                birth_date: p.birth_date.clone()?.get(..10)?.to_string(),
                gender: p.gender.clone(),
                postcode: p.postcode.clone(),
                registration: handover_store::Registration::Registered,
                deceased_date: None,
            })
        })
        .collect();
    let now = handover_inbox::now_rfc3339();
    store.write_register(&register, &now)?;
    let config = handover_workflow::WorkflowConfig {
        practice_ods: "Y99999".into(),
        practice_name: "Bench Practice".into(),
        unmatched_grace_hours: 48,
        register_max_age_days: 7,
    };
    let responder = handover_toc::response::Responder {
        ods_code: "Y99999".into(),
        name: "Bench Practice".into(),
        mailbox: "BENCH".into(),
    };
    for (name, role) in [
        ("Bench Admin", handover_store::Role::Admin),
        ("Bench Coordinator", handover_store::Role::CareCoordinator),
    ] {
        if store.user(name)?.is_none() {
            store.add_user(name, role, &now)?;
        }
    }
    let admin = handover_workflow::actor_for(store, Some("Bench Admin"))?;
    let surnames = [
        "SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES", "PATEL",
        "WRIGHT",
    ];
    let given = [
        "Olivia", "Amelia", "Isla", "Ava", "Noah", "Oliver", "George", "Arthur", "Leo", "Muhammad",
    ];
    let mut nhs_numbers = Vec::with_capacity(n);
    let start = chrono::DateTime::parse_from_rfc3339("2021-01-01T08:00:00Z")
        .expect("a date")
        .to_utc();
    store.begin_batch()?;
    let no_links = handover_store::DocumentLinks::default();
    for i in 0..n {
        let (raw, base, parsed) = &pool[i % pool.len()];
        let mut record: DocumentRecord = base.clone();
        record.document_bundle_id = Some(format!("bench-bundle-{i}"));
        record.composition_id = Some(format!("bench-composition-{i}"));
        record.replaces = None;
        let nhs = handover_toc::nhs::test_nhs_number(i as u64);
        record.patient_name = Some(format!("{}, {}", surnames[i % 10], given[(i / 10) % 10]));
        record.nhs_number = Some(nhs.clone());
        record
            .search_text
            .push_str(&format!("\nbench document {i}"));
        nhs_numbers.push(nhs);
        // Documents arrive over the years in id order, as they do in use: 100,000 over 5.7 years.
        let received = (start + chrono::Duration::minutes(30 * i as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let id = format!("BENCH-{i}");
        let incoming = Incoming {
            source: MessageSource::Bench,
            mailbox: "BENCH",
            source_id: &id,
            workflow_id: None,
            sender_mailbox: None,
            received_at: &received,
            raw,
            body: None,
            mailbox_meta: None,
        };
        let disposition = handover_store::Disposition::Document {
            document: &record,
            links: &no_links,
        };
        let ingested = store.ingest(&incoming, Some(&id), disposition, "[]", &[])?;
        if let handover_store::IngestOutcome::Stored { document_id, .. } = ingested.outcome {
            handover_workflow::received(
                store,
                document_id,
                parsed,
                &responder,
                &config,
                &received,
            )?;
            if i % 10 == 3 {
                if let Some(a) = handover_workflow::action_items(store, document_id)?
                    .into_iter()
                    .find(|a| a.needs_decision)
                {
                    let due = (start
                        + chrono::Duration::minutes(30 * i as i64)
                        + chrono::Duration::days(7))
                    .format("%Y-%m-%d")
                    .to_string();
                    handover_workflow::decide_action(
                        store,
                        &admin,
                        document_id,
                        None,
                        a.index,
                        handover_workflow::Decision::Delegated {
                            to_user: None,
                            to_role: Some(handover_store::Role::CareCoordinator),
                            due,
                            note: None,
                        },
                        &received,
                    )?;
                }
            }
            let have = store.document_events(document_id)?.len();
            for _ in have..events_per_document {
                handover_workflow::viewed(store, &admin, document_id, &received)?;
            }
        }
        if i % 5000 == 4999 {
            store.commit_batch()?;
            store.begin_batch()?;
        }
    }
    store.commit_batch()?;
    store.optimize()?;
    Ok(nhs_numbers)
}

fn inbox(
    n: usize,
    rounds: usize,
    json: bool,
    keep: Option<std::path::PathBuf>,
    events_per_document: usize,
) -> Result<(), CliError> {
    let tmp = match &keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(err)?;
            dir.clone()
        }
        None => tempdir()?,
    };
    let key_file = tmp.join("bench.key");
    let reuse = keep.is_some() && key_file.exists() && tmp.join("bench.db").exists();
    let key = if reuse {
        let hex = std::fs::read_to_string(&key_file).map_err(err)?;
        DbKey::from_hex(&hex).ok_or_else(|| err("bad bench.key"))?
    } else {
        let key = DbKey::generate();
        if keep.is_some() {
            std::fs::write(&key_file, key.to_hex().as_bytes()).map_err(err)?;
        }
        key
    };
    let mut store = Store::open_with_key(&tmp.join("bench.db"), &key)?;
    let fill_start = Instant::now();
    let nhs_numbers = if reuse {
        // `fill` gives document i the test NHS number i. The planner's statistics are refreshed,
        // as after a fill: a newer schema may have added indexes since the store was filled.
        store.optimize()?;
        let n = store.document_counts()?.total;
        (0..n).map(handover_toc::nhs::test_nhs_number).collect()
    } else {
        fill(&mut store, n, events_per_document)?
    };
    let n = nhs_numbers.len();
    let fill_secs = fill_start.elapsed().as_secs_f64();
    let senders = store.senders()?;
    let page = |q: ListQuery| ListQuery { limit: 200, ..q };

    let mut list = Vec::new();
    let mut filter = Vec::new();
    let mut by_variant: [Vec<f64>; 4] = Default::default();
    // The kind and date filters, by sort (the sort decides the plan).
    let mut by_sort: [[Vec<f64>; 5]; 2] = Default::default();
    let mut search = Vec::new();
    let mut search_by: [Vec<f64>; 2] = Default::default();
    let mut open = Vec::new();
    let mut unmatched = Vec::new();
    let mut tasks = Vec::new();
    // The audit view's first page (no filter, one person, one document) and a document's work
    // panel (its workflow with its history from the audit trail).
    let mut audit = Vec::new();
    let mut work_panel = Vec::new();
    let start_day = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("a date");
    let kinds = [
        DocumentKind::InpatientDischarge,
        DocumentKind::EmergencyDischarge,
        DocumentKind::MentalHealthDischarge,
        DocumentKind::OutpatientLetter,
    ];
    let sorts = Sort::ALL;
    let words = [
        "warfarin",
        "discharge",
        "follow",
        "review",
        "allergy",
        "clinic",
        "medication",
        "plan",
    ];
    for r in 0..rounds {
        list.push(time_ms(|| {
            std::hint::black_box(
                store
                    .query_documents(&page(ListQuery::default()))
                    .expect("list"),
            );
        }));
        let q = match r % 4 {
            0 => ListQuery {
                queue: Some(Queue::New),
                ..Default::default()
            },
            1 => ListQuery {
                kind: Some(kinds[r % 4]),
                sort: Some(sorts[r % 5]),
                ..Default::default()
            },
            2 => ListQuery {
                sender: senders.get(r % senders.len().max(1)).cloned(),
                ..Default::default()
            },
            _ => ListQuery {
                sort: Some(sorts[r % 5]),
                received_from: Some("2022-01-01".into()),
                received_to: Some("2022-06-30".into()),
                ..Default::default()
            },
        };
        let t = time_ms(|| {
            std::hint::black_box(store.query_documents(&page(q.clone())).expect("filter"));
        });
        filter.push(t);
        by_variant[r % 4].push(t);
        if r % 2 == 1 {
            by_sort[r % 4 / 2][r % 5].push(t);
        }
        let text = if r % 2 == 0 {
            nhs_numbers[(r * 7919) % n].clone()
        } else {
            words[r % words.len()].to_string()
        };
        let t = time_ms(|| {
            std::hint::black_box(
                store
                    .query_documents(&page(ListQuery {
                        search: Some(text.clone()),
                        ..Default::default()
                    }))
                    .expect("search"),
            );
        });
        search.push(t);
        search_by[r % 2].push(t);
        unmatched.push(time_ms(|| {
            std::hint::black_box(
                store
                    .query_documents(&page(ListQuery {
                        queue: Some(Queue::Unmatched),
                        ..Default::default()
                    }))
                    .expect("unmatched"),
            );
        }));
        let today = (start_day + chrono::Duration::days((r * 11 % 2000) as i64))
            .format("%Y-%m-%d")
            .to_string();
        tasks.push(time_ms(|| {
            std::hint::black_box(
                store
                    .tasks(&handover_store::TaskQuery {
                        role: Some(handover_store::Role::CareCoordinator),
                        due_by: Some(today.clone()),
                        limit: 200,
                        ..Default::default()
                    })
                    .expect("tasks"),
            );
        }));
        let id = 1 + ((r * 104_729) % n) as i64;
        open.push(time_ms(|| {
            std::hint::black_box(handover_inbox::views::document_view(&store, id).expect("open"));
        }));
        work_panel.push(time_ms(|| {
            std::hint::black_box(handover_workflow::workflow_view(&store, id).expect("work panel"));
        }));
        let q = handover_store::AuditQuery {
            newest_first: true,
            limit: 200,
            actor: (r % 3 == 1).then(|| "Bench Admin".to_string()),
            document_id: (r % 3 == 2).then_some(id),
            ..Default::default()
        };
        audit.push(time_ms(|| {
            std::hint::black_box(store.audit_trail(&q).expect("audit"));
        }));
    }
    print(
        json!({
            "documents": n,
            "list_p95_ms": p95(list),
            "filter_p95_ms": p95(filter),
            "search_p95_ms": p95(search),
            "open_p95_ms": p95(open),
            "unmatched_p95_ms": p95(unmatched),
            "tasks_p95_ms": p95(tasks),
            "work_panel_p95_ms": p95(work_panel),
            "audit_first_page_p95_ms": p95(audit),
            "events": store.event_count()?,
            "open_tasks_listed_up_to_2000": store.tasks(&handover_store::TaskQuery { limit: 2000, ..Default::default() })?.len(),
            "unmatched_documents": store.document_counts()?.by_status.get(handover_store::DocumentStatus::Unmatched),
            "rounds": rounds,
            "search_p95_ms_by_kind": {
                "nhs_number": p95(search_by[0].clone()),
                "word": p95(search_by[1].clone()),
            },
            "filter_p95_ms_by_kind": {
                "status": p95(by_variant[0].clone()),
                "kind_and_sort": p95(by_variant[1].clone()),
                "sender": p95(by_variant[2].clone()),
                "dates_and_sort": p95(by_variant[3].clone()),
            },
            "filter_p95_ms_by_sort": {
                "kind": sort_figures(&by_sort[0]),
                "dates": sort_figures(&by_sort[1]),
            },
            "fill_seconds": (fill_secs * 10.0).round() / 10.0,
            "database_mb": (std::fs::metadata(store.path()).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0).round(),
            "peak_rss_mb": peak_rss_mb(),
        }),
        json,
    );
    drop(store);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

/// Builds a discharge list and a practice list of `n` lines each from the generated documents'
/// medicines and their patients' practice lists (names varied so lines stay distinct), and
/// times the diff.
fn medrec(
    n: usize,
    rounds: usize,
    documents: usize,
    dmd: Option<&std::path::Path>,
    json: bool,
) -> Result<(), CliError> {
    let mut discharge = Vec::new();
    let mut practice = Vec::new();
    for f in handover_fixtures::generate(200, 12) {
        let parsed = handover_toc::parse(&f.bytes);
        if let Some(doc) = parsed.document {
            discharge.extend(doc.medications);
        }
        practice.extend(
            handover_fixtures::practice_medication_list(&f.nhs_number)
                .into_iter()
                .map(|m| handover_medrec::PracticeLine {
                    nhs_number: f.nhs_number.clone(),
                    code: m.code,
                    name: m.name,
                    dosage: Some(m.dosage),
                    route: Some(m.route),
                    kind: m.kind,
                }),
        );
        if discharge.len() >= n && practice.len() >= n {
            break;
        }
    }
    discharge.truncate(n);
    practice.truncate(n);
    let dict = handover_medrec::NoDictionary;
    let mut samples = Vec::with_capacity(rounds);
    let mut rows = 0;
    for _ in 0..rounds {
        samples.push(time_ms(|| {
            let d = handover_medrec::diff(&discharge, &practice, &dict);
            rows = d.rows.len();
            std::hint::black_box(d);
        }));
    }
    let p95_ms = p95(samples.clone());
    samples.sort_by(|a, b| a.total_cmp(b));
    let median_ms = (samples[samples.len() / 2] * 1000.0).round() / 1000.0;
    let mut figures = json!({
        "discharge_lines": discharge.len(),
        "practice_lines": practice.len(),
        "rows": rows,
        "rounds": rounds,
        "diff_p95_ms": p95_ms,
        "diff_median_ms": median_ms,
    });
    let screen = medrec_screen(documents, rounds.min(500), dmd)?;
    for (k, v) in screen.as_object().expect("an object") {
        figures[k] = v.clone();
    }
    print(figures, json);
    Ok(())
}

/// Opening the reconciliation screen: what the window waits for (`medrec_view` and its JSON,
/// as the command returns it) for random documents with medicines of a filled store.
fn medrec_screen(
    documents: usize,
    rounds: usize,
    dmd: Option<&std::path::Path>,
) -> Result<serde_json::Value, CliError> {
    use handover_store::{MedicationLineType, PracticeListLine, PracticeListSource};
    let tmp = tempdir()?;
    let inbox = tmp.join("mailbox");
    std::fs::create_dir_all(&inbox).map_err(err)?;
    let mut nhs_numbers = std::collections::BTreeSet::new();
    let mut written = Ok(());
    handover_fixtures::generate_each(documents, 13, |f| {
        nhs_numbers.insert(f.nhs_number.clone());
        if written.is_ok() {
            written = std::fs::write(inbox.join(&f.file_name), &f.bytes);
        }
    });
    written.map_err(err)?;
    let mut store = Store::open_with_key(&tmp.join("bench.db"), &DbKey::generate())?;
    if let Some(dir) = dmd {
        let release = handover_medrec::DmdRelease::read_dir(dir)?;
        crate::medicines::import_release(&store, &release, "2026-12-01T09:00:00Z")?;
    }
    let lists: Vec<(String, Vec<PracticeListLine>)> = nhs_numbers
        .iter()
        .map(|nhs| {
            let lines = handover_fixtures::practice_medication_list(nhs)
                .into_iter()
                .map(|m| PracticeListLine {
                    code: m.code,
                    name: m.name,
                    dosage: Some(m.dosage),
                    route: Some(m.route),
                    line_type: if m.kind == "acute" {
                        MedicationLineType::Acute
                    } else {
                        MedicationLineType::Repeat
                    },
                })
                .collect();
            (nhs.clone(), lines)
        })
        .collect();
    store.write_practice_lists(
        &lists,
        PracticeListSource::Import,
        Some("bench"),
        "2026-12-01T09:00:00Z",
    )?;
    let (engine, runtime) = folder_sync(&inbox)?;
    runtime.block_on(engine.sync_once(&mut store))?;
    let (due, _) = store.medrec_due(2000)?;
    let ids: Vec<i64> = due.iter().map(|d| d.document_id).collect();
    if ids.is_empty() {
        return Err(err("no document with medicines was stored"));
    }
    let mut samples = Vec::with_capacity(rounds);
    let mut max_rows = 0;
    let mut bytes = 0;
    for i in 0..rounds {
        // A spread of documents, not one kept hot in the cache.
        let id = ids[(i * 7919) % ids.len()];
        samples.push(time_ms(|| {
            let view = handover_workflow::medrec_view(&store, id).expect("the view reads");
            max_rows = max_rows.max(view.rows.len());
            let json = serde_json::to_vec(&view).expect("the view serialises");
            bytes = bytes.max(json.len());
            std::hint::black_box(json);
        }));
    }
    let open_p95 = p95(samples.clone());
    samples.sort_by(|a, b| a.total_cmp(b));
    let open_median = (samples[samples.len() / 2] * 1000.0).round() / 1000.0;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(json!({
        "screen_documents": documents,
        "screen_with_medicines": ids.len(),
        "screen_dmd": dmd.is_some(),
        "screen_rounds": rounds,
        "screen_max_rows": max_rows,
        "screen_max_json_bytes": bytes,
        "screen_open_p95_ms": open_p95,
        "screen_open_median_ms": open_median,
    }))
}
