//! `handover serve` killed at random moments, and stopped by SIGTERM, over NHS's mesh-sandbox
//! (the hospital is NHS's Python mesh-client) and a throwaway PostgreSQL 15 cluster.
//!
//! The random-kill test: the hospital sends, in three waves, valid ToC documents (some not
//! asking for an infrastructure response), exact copies of three of them (another MESH message
//! each) and a malformed message; the real binary is started again and again (`--once`, or
//! looping with `--interval 0`) and SIGKILLed after a random delay, with batches of a few
//! messages (`HANDOVER_TEST_BATCH_MESSAGES`) so that kills land before, inside and after many
//! commits. After every run: everything gone from the practice's MESH inbox is stored on the
//! server, and nothing recorded as acknowledged is still there. After a last run to the end:
//! every message stored once, every document once, nothing left on MESH or unacknowledged,
//! one response per message that needs one in the server's outbox and at the hospital.
//!
//! The seed is printed; `HANDOVER_TEST_SEED=N` repeats a schedule (the delays and the order of
//! the messages; the processes' own timing is the machine's).

mod common;
#[path = "../../inbox/tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{base, text, Server};
use handover_mesh::testing::{Sandbox, PASSWORD as MESH_PASSWORD, SHARED_KEY};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use support::*;

/// The lease's time to live in the killed runs: a killed puller's lease runs out this soon.
const LEASE_MS: u64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Copy,
    Malformed,
}

/// A message the hospital sends, and whether the practice must answer it.
struct Item {
    out: Outgoing,
    kind: Kind,
    needs_response: bool,
}

/// Whether the sender asked for an infrastructure response (or its flags cannot be read, when
/// one is sent anyway).
fn asks(bytes: &[u8]) -> bool {
    handover_toc::parse(bytes)
        .message
        .as_ref()
        .and_then(|m| m.handling.inf_ack_requested)
        != Some(false)
}

fn seed() -> u64 {
    let seed = std::env::var("HANDOVER_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("seed {seed} (HANDOVER_TEST_SEED={seed} repeats this schedule)");
    seed
}

/// `valid` generated documents (every sixth not asking for a response), exact copies of three
/// of them and a malformed message, in an order shuffled by `rng`.
fn items(valid: usize, rng: &mut StdRng) -> Vec<Item> {
    let mut items: Vec<Item> = toc_messages(valid, 14, true)
        .into_iter()
        .enumerate()
        .map(|(i, mut out)| {
            if i % 6 == 5 {
                out.bytes = with_inf_ack(&out.bytes, false);
            }
            let needs_response = asks(&out.bytes);
            Item {
                out,
                kind: Kind::Valid,
                needs_response,
            }
        })
        .collect();
    for i in [0, 1, 7] {
        let out = items[i].out.clone();
        let needs_response = items[i].needs_response;
        items.push(Item {
            out,
            kind: Kind::Copy,
            needs_response,
        });
    }
    items.push(Item {
        out: Outgoing::new(
            b"<Bundle xmlns=\"http://hl7.org/fhir\"><oops".to_vec(),
            "TOC_FHIR_EC_DISCH",
        ),
        kind: Kind::Malformed,
        needs_response: true,
    });
    items.shuffle(rng);
    items
}

/// The practice's MESH mailbox, its server and what the hospital has sent so far.
struct World {
    sb: Sandbox,
    server: Server,
    items: Vec<Item>,
    /// MESH message id -> index in `items`.
    sent: BTreeMap<String, usize>,
}

impl World {
    fn start(valid: usize, rng: &mut StdRng) -> World {
        let sb = Sandbox::start();
        let server = Server::start_with(&[("puller_a", "puller")]);
        World {
            sb,
            server,
            items: items(valid, rng),
            sent: BTreeMap::new(),
        }
    }

    /// The hospital sends `items[range]`.
    fn send(&mut self, range: std::ops::Range<usize>) {
        let outs: Vec<Outgoing> = self.items[range.clone()]
            .iter()
            .map(|i| i.out.clone())
            .collect();
        let ids = hospital_sends(&self.sb, &outs);
        assert_eq!(ids.len(), outs.len());
        for (id, index) in ids.into_iter().zip(range) {
            self.sent.insert(id, index);
        }
    }

    /// `handover serve ARGS` as `puller_a` on the sandbox's practice mailbox.
    fn serve(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
        base(&mut cmd)
            .arg("serve")
            .args(args)
            .env("HANDOVER_PRACTICE_DATABASE", self.server.url("puller_a"))
            .env("HANDOVER_MESH_URL", &self.sb.url)
            .env("HANDOVER_MESH_MAILBOX", PRACTICE)
            .env("HANDOVER_MESH_PASSWORD", MESH_PASSWORD)
            .env("HANDOVER_MESH_SHARED_KEY", SHARED_KEY)
            .env_remove("HANDOVER_DATA_DIR");
        cmd
    }

    fn stored_source_ids(&self) -> Vec<String> {
        let su = self.server.superuser();
        self.server
            .rt
            .block_on(su.client().query(
                "SELECT source_id FROM handover.messages WHERE mailbox = $1",
                &[&PRACTICE],
            ))
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    fn acknowledged_source_ids(&self) -> BTreeSet<String> {
        let su = self.server.superuser();
        self.server
            .rt
            .block_on(su.client().query(
                "SELECT source_id FROM handover.messages WHERE acknowledged_at IS NOT NULL",
                &[],
            ))
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// What must hold at any moment, even right after a kill: each message stored at most
    /// once; nothing gone from the MESH inbox that is not stored; nothing recorded as
    /// acknowledged still waiting there; at most one response per message and kind (the
    /// schema's own constraint, checked anyway) and no response sent twice to the hospital
    /// (counted at the end).
    fn check_nothing_lost(&self, when: &str) {
        let stored = self.stored_source_ids();
        let unique: BTreeSet<&String> = stored.iter().collect();
        assert_eq!(unique.len(), stored.len(), "{when}: a message stored twice");
        let waiting: BTreeSet<String> = inbox_of(&self.sb, PRACTICE).into_iter().collect();
        for id in self.sent.keys() {
            if !waiting.contains(id) {
                assert!(
                    unique.contains(id),
                    "{when}: message {id} was acknowledged to MESH but is not stored"
                );
            }
        }
        for id in &waiting {
            assert!(self.sent.contains_key(id), "{when}: unknown message {id}");
        }
        for id in self.acknowledged_source_ids() {
            assert!(
                !waiting.contains(&id),
                "{when}: {id} recorded as acknowledged, still on MESH"
            );
        }
        assert_eq!(
            self.server
                .count("SELECT count(*) - count(DISTINCT (message_id, kind)) FROM handover.outbox"),
            0,
            "{when}: a message with two responses of a kind"
        );
    }

    /// After a run to the end: every message stored once and acknowledged, nothing on MESH,
    /// each document once, one response per message that needs one, sent once.
    fn check_all_done(&self) {
        let n = self.sent.len() as i64;
        let count = |kind: Kind| self.items.iter().filter(|i| i.kind == kind).count() as i64;
        let needs = self.items.iter().filter(|i| i.needs_response).count() as i64;
        assert!(
            inbox_of(&self.sb, PRACTICE).is_empty(),
            "nothing left on MESH"
        );
        let stored: BTreeSet<String> = self.stored_source_ids().into_iter().collect();
        let sent: BTreeSet<String> = self.sent.keys().cloned().collect();
        assert_eq!(stored, sent, "every message stored, once");
        assert_eq!(
            self.server
                .count("SELECT count(*) FROM handover.messages WHERE acknowledged_at IS NULL"),
            0
        );
        assert_eq!(
            self.server.count(
                "SELECT count(*) FROM handover.messages WHERE sha256 = encode(sha256(raw), 'hex')"
            ),
            n,
            "kept as received"
        );
        assert_eq!(
            self.server.count("SELECT count(*) FROM handover.documents"),
            count(Kind::Valid),
            "each document once"
        );
        let outcomes = |o: &str| {
            self.server.count(&format!(
                "SELECT count(*) FROM handover.messages WHERE outcome = '{o}'"
            ))
        };
        assert_eq!(outcomes("stored"), count(Kind::Valid));
        assert_eq!(outcomes("duplicate"), count(Kind::Copy));
        assert_eq!(outcomes("quarantined"), count(Kind::Malformed));
        // The server's outbox: one infrastructure response per message that needs one, sent.
        assert_eq!(
            self.server.count(
                "SELECT count(DISTINCT message_id) FROM handover.outbox \
                 WHERE kind = 'infrastructure' AND sent_at IS NOT NULL"
            ),
            needs
        );
        assert_eq!(
            self.server.count("SELECT count(*) FROM handover.outbox"),
            needs
        );
        // serve appends nothing to the practice log (yet): it is empty, and its chain verifies.
        assert_eq!(self.server.count("SELECT count(*) FROM handover.events"), 0);
        let mut puller = self
            .server
            .rt
            .block_on(handover_practice::connect(&self.server.url("puller_a")))
            .unwrap();
        let chain = self.server.rt.block_on(puller.verify_chain()).unwrap();
        assert!(chain.ok, "{chain:?}");

        // The hospital got exactly that: per ITK message id, 20013 for the first delivery and
        // 20007 for a copy; one answer to the malformed message; nothing else.
        let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for item in self.items.iter().filter(|i| i.needs_response) {
            let code = match item.kind {
                Kind::Valid => "20013",
                Kind::Copy => "20007",
                Kind::Malformed => continue,
            };
            expected
                .entry(itk_message_id(&item.out.bytes))
                .or_default()
                .push(code.to_string());
        }
        let received = hospital_receives(&self.sb);
        let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut unknown = Vec::new();
        for r in &received {
            if expected.contains_key(&r.original_message_id) {
                got.entry(r.original_message_id.clone())
                    .or_default()
                    .push(r.code.clone());
            } else {
                unknown.push(r.clone());
            }
        }
        for codes in expected.values_mut().chain(got.values_mut()) {
            codes.sort();
        }
        assert_eq!(got, expected, "one response per message that needs one");
        assert_eq!(
            unknown.len(),
            1,
            "one answer to the malformed one: {unknown:?}"
        );
        assert_eq!(received.len() as i64, needs);
    }
}

/// A running `handover serve`, its stderr read as it comes.
struct Running {
    child: Child,
    stderr: mpsc::Receiver<String>,
    lines: Vec<String>,
}

impl Running {
    fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().unwrap();
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stderr: rx,
            lines: Vec::new(),
        }
    }

    fn stderr(&mut self) -> String {
        self.lines.extend(self.stderr.try_iter());
        self.lines.join("\n")
    }

    /// Waits up to `limit` for it to exit.
    fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader ends with the pipe.
                self.lines.extend(self.stderr.iter());
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn serve_killed_at_random_moments_loses_nothing_and_stores_nothing_twice() {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed());
    let mut world = World::start(46, &mut rng);
    let total = world.items.len();
    let kills: usize = rng.random_range(10..=15);
    // The hospital sends in three waves (before the first run, a third and two thirds of the
    // way), so that most runs find work.
    let wave = |k: usize| k * total / 3..(k + 1) * total / 3;
    let mut cut_between_commit_and_ack = 0;

    for run in 0..kills {
        if run * 3 % kills < 3 {
            world.send(wave(run * 3 / kills));
        }
        let looping = rng.random_bool(0.5);
        // Half the kills at any moment from the start (connecting, taking the lease, working,
        // done), half at a moment of the work itself: counted from when it holds the lease.
        let from_lease = rng.random_bool(0.5);
        let delay = Duration::from_millis(if from_lease {
            rng.random_range(0..=500)
        } else {
            rng.random_range(5..=1000)
        });
        // Batches of 1, 2 or 4 messages: a commit and its acknowledgements every few downloads.
        let batch = [1, 2, 4][rng.random_range(0..3)].to_string();
        let holder = format!("kill-{run}");
        let lease = LEASE_MS.to_string();
        let mut args = vec!["--json", "--holder", &holder, "--lease-ms", &lease];
        if looping {
            args.extend(["--interval", "0"]);
        } else {
            args.push("--once");
        }
        let mut cmd = world.serve(&args);
        cmd.env("HANDOVER_TEST_BATCH_MESSAGES", &batch);
        let mut child = Running::spawn(cmd);
        if from_lease {
            let holds = format!(
                "SELECT count(*) FROM handover.leases WHERE holder = '{holder}' \
                 AND expires_at > now()"
            );
            let deadline = Instant::now() + Duration::from_secs(20);
            while world.server.count(&holds) == 0 && child.child.try_wait().unwrap().is_none() {
                assert!(
                    Instant::now() < deadline,
                    "never took the lease: {}",
                    child.stderr()
                );
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        std::thread::sleep(delay);
        let how = match child.child.try_wait().unwrap() {
            Some(status) => format!("exited by itself, {status}"),
            None => {
                child.child.kill().unwrap(); // SIGKILL
                child.child.wait().unwrap();
                "SIGKILLed".to_string()
            }
        };
        let when = format!(
            "run {run} ({}, batches of {batch}, {delay:?} after {}, {how})",
            if looping { "looping" } else { "--once" },
            if from_lease {
                "taking the lease"
            } else {
                "starting"
            }
        );
        let stored = world.stored_source_ids().len();
        let acknowledged = world.acknowledged_source_ids().len();
        if acknowledged < stored {
            cut_between_commit_and_ack += 1;
        }
        eprintln!(
            "{when}: {} sent, {stored} stored, {acknowledged} acknowledged, {} responses sent{}",
            world.sent.len(),
            world
                .server
                .count("SELECT count(*) FROM handover.outbox WHERE sent_at IS NOT NULL"),
            if how.starts_with("exited") {
                format!("\n  {}", child.stderr())
            } else {
                String::new()
            }
        );
        world.check_nothing_lost(&when);
        // A killed puller's lease runs out before the next one starts.
        std::thread::sleep(Duration::from_millis(LEASE_MS + 50));
    }

    // A last round, left to finish.
    let out = world
        .serve(&["--once", "--json", "--holder", "final"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    eprintln!("final round: {}", String::from_utf8_lossy(&out.stdout));
    world.check_nothing_lost("after the last round");
    world.check_all_done();
    eprintln!(
        "{kills} runs, {total} messages, {cut_between_commit_and_ack} runs ended with messages \
         stored and not acknowledged, {:?}",
        started.elapsed()
    );
}

/// SIGTERM to a looping `handover serve` (as systemd stops it): in the middle of a round it
/// abandons the round, between rounds it just stops; either way it exits 0 within a few
/// seconds and gives its lease up (the next puller, with a 30 s lease, starts at once), and
/// nothing is lost or stored twice.
#[test]
fn serve_stops_promptly_and_safely_on_sigterm() {
    let mut rng = StdRng::seed_from_u64(seed());
    let mut world = World::start(40, &mut rng);
    let total = world.items.len();
    world.send(0..total);

    // Mid-round: stopped just after its first commit, with batches of two.
    let mut cmd = world.serve(&["--json", "--holder", "term-1", "--interval", "1"]);
    cmd.env("HANDOVER_TEST_BATCH_MESSAGES", "2");
    let mut a = Running::spawn(cmd);
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.server.count("SELECT count(*) FROM handover.messages") == 0 {
        assert!(Instant::now() < deadline, "nothing stored: {}", a.stderr());
        std::thread::sleep(Duration::from_millis(5));
    }
    sigterm(&a.child);
    let asked = Instant::now();
    let status = a.wait_for_exit(Duration::from_secs(5));
    let err = a.stderr();
    assert!(status.is_some(), "still running 5 s after SIGTERM: {err}");
    eprintln!("mid-round stop took {:?}: {err}", asked.elapsed());
    assert!(status.unwrap().success(), "{:?}: {err}", status);
    assert!(err.contains("SIGTERM"), "{err}");
    assert!(err.contains("abandoned"), "stopped mid-round: {err}");
    assert!(
        world.server.count("SELECT count(*) FROM handover.messages") < total as i64,
        "the round was cut short"
    );
    world.check_nothing_lost("after SIGTERM mid-round");
    assert_eq!(
        world.server.count(
            "SELECT count(*) FROM handover.leases WHERE holder = 'term-1' AND expires_at > now()"
        ),
        0,
        "the lease was given up"
    );

    // Between rounds: the next puller (30 s lease) starts at once, finishes the work, then is
    // stopped while it waits for its next round.
    let mut b = Running::spawn(world.serve(&["--json", "--holder", "term-2", "--interval", "60"]));
    // Its first round's summary (pretty-printed JSON): the round is over.
    // (Read on a thread: had A kept its lease, B would wait a minute for it, saying so.)
    let stdout = b.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let first = serde_json::Deserializer::from_reader(stdout)
            .into_iter::<serde_json::Value>()
            .next();
        let _ = tx.send(first);
    });
    let summary = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(Ok(summary))) => summary,
        other => panic!("no summary from B ({other:?}): {}", b.stderr()),
    };
    assert_eq!(summary["holder"], "term-2", "{summary}");
    sigterm(&b.child);
    let asked = Instant::now();
    let status = b.wait_for_exit(Duration::from_secs(5));
    let err = b.stderr();
    assert!(status.is_some_and(|s| s.success()), "{status:?}: {err}");
    assert!(asked.elapsed() < Duration::from_secs(5));
    assert!(err.contains("SIGTERM: stopping (between rounds)"), "{err}");
    world.check_nothing_lost("after SIGTERM between rounds");
    world.check_all_done();
}
