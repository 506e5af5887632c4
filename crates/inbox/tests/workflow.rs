//! The workflow over real syncs of generated ToC messages from a folder mailbox: matching to the
//! practice register at arrival, ITK3 business responses (at most one per message), filing
//! rules enforced by the core, delegation and tasks, the hash-chained audit trail, rebuilding
//! the state from the events, and the conservation report.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};
use handover_errors::{Coded, ErrorCode};
use handover_inbox::{SyncEngine, SyncOptions};
use handover_mesh::FolderMailbox;
use handover_store::{
    Actor, DbKey, DocumentStatus, MatchState, MessageSource, Role, Store, TaskQuery,
};
use handover_toc::DocumentKind;
use handover_workflow::{self as workflow, Decision, WorkflowConfig};

fn config(grace_hours: u32) -> WorkflowConfig {
    WorkflowConfig {
        practice_ods: "Y99999".into(),
        practice_name: "Test Practice".into(),
        unmatched_grace_hours: grace_hours,
        register_max_age_days: 7,
    }
}

fn options(root: &Path, grace_hours: u32) -> SyncOptions {
    SyncOptions {
        source: MessageSource::Folder,
        mailbox_key: root.display().to_string(),
        workflow_filter: None,
        practice: config(grace_hours),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The patient a fixture is about, as its document says.
#[derive(Debug, Clone)]
struct Who {
    nhs: String,
    family: String,
    given: String,
    birth: String,
}

fn who(bytes: &[u8]) -> Who {
    let parsed = handover_toc::parse(bytes);
    let p = parsed
        .document
        .as_ref()
        .and_then(|d| d.patient.clone())
        .expect("fixtures name their patient");
    Who {
        nhs: p.nhs_number.unwrap(),
        family: p.family.unwrap_or_default(),
        given: p.given.first().cloned().unwrap_or_default(),
        birth: p.birth_date.unwrap()[..10].to_string(),
    }
}

struct World {
    _tmp: tempfile::TempDir,
    inbox: std::path::PathBuf,
    store: Store,
    /// Document id by NHS number (the first document for each patient).
    by_nhs: HashMap<String, i64>,
    fixtures: Vec<handover_fixtures::Fixture>,
}

fn world(count: usize) -> World {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let store = Store::open_with_key(&tmp.path().join("h.db"), &DbKey::generate()).unwrap();
    let fixtures = handover_fixtures::generate(count, 11);
    World {
        _tmp: tmp,
        inbox,
        store,
        by_nhs: HashMap::new(),
        fixtures,
    }
}

impl World {
    fn sync(&mut self, grace_hours: u32, fixtures: &[handover_fixtures::Fixture]) {
        for f in fixtures {
            std::fs::write(self.inbox.join(&f.file_name), &f.bytes).unwrap();
        }
        let engine = SyncEngine::new(
            FolderMailbox::new(&self.inbox, "FOLDER"),
            options(&self.inbox, grace_hours),
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(engine.sync_once(&mut self.store)).unwrap();
        self.by_nhs.clear();
        for row in self.store.list_documents(1000, 0).unwrap() {
            if let Some(n) = row.nhs_number.clone() {
                let e = self.by_nhs.entry(n).or_insert(row.id);
                *e = (*e).min(row.id);
            }
        }
    }

    fn user(&self, name: &str, role: Role) -> Actor {
        if self.store.user(name).unwrap().is_none() {
            self.store.add_user(name, role, &now()).unwrap();
        }
        workflow::actor_for(&self.store, Some(name)).unwrap()
    }

    /// (kind, code) of every response queued for a document's message.
    fn responses(&self, id: i64) -> Vec<(String, String)> {
        let m = self.store.document_work(id).unwrap().unwrap().message_id;
        self.store.queued_responses(m).unwrap()
    }

    fn business(&self, id: i64) -> Vec<String> {
        self.responses(id)
            .into_iter()
            .filter(|(k, _)| k == "business")
            .map(|(_, c)| c)
            .collect()
    }

    fn version(&self, id: i64) -> i64 {
        self.store.document_work(id).unwrap().unwrap().version
    }

    fn status(&self, id: i64) -> DocumentStatus {
        self.store.document_work(id).unwrap().unwrap().status
    }
}

fn register_csv(rows: &[(Who, &str, Option<String>, Option<&str>)]) -> String {
    let mut csv = String::from(
        "nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date\n",
    );
    for (w, reg, deceased, birth_override) in rows {
        csv.push_str(&format!(
            "{},{},{},{},female,LS1 4AP,{},{}\n",
            w.nhs,
            w.family,
            w.given,
            birth_override.unwrap_or(&w.birth),
            reg,
            deceased.clone().unwrap_or_default()
        ));
    }
    csv
}

fn import(store: &Store, csv: &str) {
    let today = chrono::Utc::now().date_naive();
    let file = workflow::read_register(csv, today).unwrap();
    assert!(file.rejected.is_empty(), "{:?}", file.rejected);
    store.write_register(&file.patients, &now()).unwrap();
}

/// Distinct patients among the original (not replacement) fixtures, with their fixture.
fn patients(fixtures: &[handover_fixtures::Fixture]) -> Vec<(Who, handover_fixtures::Fixture)> {
    // Patients none of whose documents is replaced (a replacement supersedes the original).
    let mut seen: std::collections::HashSet<String> = fixtures
        .iter()
        .filter(|f| f.replaces.is_some())
        .map(|f| f.nhs_number.clone())
        .collect();
    fixtures
        .iter()
        .filter(|f| f.replaces.is_none() && !f.hostile)
        .filter_map(|f| {
            let w = who(&f.bytes);
            seen.insert(w.nhs.clone()).then(|| (w, f.clone()))
        })
        .collect()
}

#[test]
fn arrival_matches_the_register_and_answers_the_hospital_once() {
    let mut w = world(40);
    let people = patients(&w.fixtures);
    assert!(
        people.len() >= 6,
        "need six distinct patients, got {}",
        people.len()
    );
    let today = chrono::Utc::now().date_naive();
    let recently = (today - chrono::Duration::days(60)).to_string();
    let long_ago = today
        .checked_sub_months(Months::new(13))
        .unwrap()
        .to_string();
    let other_birth = {
        let b = NaiveDate::parse_from_str(&people[4].0.birth, "%Y-%m-%d").unwrap();
        b.with_year(b.year() - 1).unwrap_or(b).to_string()
    };
    // 0 registered, 1 deducted, 2 died two months ago, 3 died 13 months ago, 4 another birth
    // date on the register, 5 not on the register at all.
    import(
        &w.store,
        &register_csv(&[
            (people[0].0.clone(), "registered", None, None),
            (people[1].0.clone(), "deducted", None, None),
            (people[2].0.clone(), "deceased", Some(recently), None),
            (people[3].0.clone(), "deceased", Some(long_ago), None),
            (people[4].0.clone(), "registered", None, Some(&other_birth)),
        ]),
    );
    let fixtures = w.fixtures.clone();
    w.sync(0, &fixtures);
    let ids: Vec<i64> = (0..6).map(|i| w.by_nhs[&people[i].0.nhs]).collect();
    let id = |i: usize| ids[i];

    assert_eq!(w.business(id(0)), vec!["30001"]);
    assert_eq!(w.business(id(1)), vec!["30003"]);
    assert_eq!(w.business(id(2)), vec!["30004"]);
    assert_eq!(w.business(id(3)), vec!["30003"]);
    // The birth date disagrees: nothing is said until a person decides.
    assert_eq!(w.business(id(4)), Vec::<String>::new());
    let d4 = w.store.document_work(id(4)).unwrap().unwrap();
    assert_eq!(d4.match_state, MatchState::NeedsDecision);
    assert_eq!(d4.status, DocumentStatus::Unmatched);
    // Not on the register, grace 0, register fresh: 30002 at once; still Unmatched.
    assert_eq!(w.business(id(5)), vec!["30002"]);
    assert_eq!(w.status(id(5)), DocumentStatus::Unmatched);
    // Every business response follows the positive infrastructure response (20013).
    for i in 0..6 {
        let r = w.responses(id(i));
        assert!(
            r.iter().any(|(k, c)| k == "infrastructure" && c == "20013"),
            "{r:?}"
        );
    }
    // Matched documents are in New, or Needs GP review (always for a mental health discharge),
    // never Unmatched.
    for (i, (_, fixture)) in people.iter().enumerate().take(4) {
        let d = w.store.document_work(id(i)).unwrap().unwrap();
        assert_eq!(d.match_state, MatchState::Matched);
        let state: handover_workflow::WorkState =
            serde_json::from_str(d.workflow.as_deref().unwrap()).unwrap();
        if fixture.kind == DocumentKind::MentalHealthDischarge {
            assert!(!state.gp_review.is_empty());
        }
        let expected = if state.gp_review.is_empty() {
            DocumentStatus::New
        } else {
            DocumentStatus::NeedsGpReview
        };
        assert_eq!(d.status, expected, "{:?}", fixture.kind);
    }

    // A person matches 4 after checking: a business response now; never a second one.
    let admin = w.user("Alex Admin", Role::Admin);
    let r = workflow::match_patient(
        &w.store,
        &admin,
        id(4),
        Some(w.version(id(4))),
        None,
        "birth date typo at the hospital; confirmed by phone".into(),
        &config(0),
        &now(),
    )
    .unwrap();
    assert_eq!(r.match_state, MatchState::Matched);
    assert_eq!(w.business(id(4)), vec!["30001"]);
    // Undo and match again: recorded, but the hospital is not told twice.
    let v = w.version(id(4));
    workflow::undo_match(
        &w.store,
        &admin,
        id(4),
        Some(v),
        "wrong patient".into(),
        &now(),
    )
    .unwrap();
    let v = w.version(id(4));
    workflow::match_patient(
        &w.store,
        &admin,
        id(4),
        Some(v),
        None,
        "checked again".into(),
        &config(0),
        &now(),
    )
    .unwrap();
    assert_eq!(w.business(id(4)), vec!["30001"]);
    // 5 is registered later: the import matches it again, and no second response is sent.
    import(
        &w.store,
        &register_csv(&[(people[5].0.clone(), "registered", None, None)]),
    );
    assert_eq!(
        workflow::rematch_after_import(&w.store, &config(0), &now()).unwrap(),
        1
    );
    assert_eq!(
        w.store.document_work(id(5)).unwrap().unwrap().match_state,
        MatchState::Matched
    );
    assert_eq!(w.business(id(5)), vec!["30002"]);
    // Syncing again (nothing new) queues nothing more.
    w.sync(0, &[]);
    for i in 0..6 {
        assert!(w.business(id(i)).len() <= 1);
    }
    let report = w.store.conservation_report(&now()).unwrap();
    assert!(report.balanced, "{report:?}");
}

#[test]
fn no_business_response_when_the_hospital_did_not_ask_or_the_register_is_missing() {
    // With no register, nothing is matched or answered, and every document can be filed.
    let mut w = world(6);
    let fixtures = w.fixtures.clone();
    w.sync(0, &fixtures);
    for id in w.by_nhs.values() {
        assert_eq!(w.business(*id), Vec::<String>::new());
        assert_eq!(
            w.store.document_work(*id).unwrap().unwrap().match_state,
            MatchState::Unchecked
        );
    }
    // A message that did not ask for a business response gets none, even when matched.
    let mut w = world(3);
    let f = w.fixtures[0].clone();
    let text = String::from_utf8(f.bytes.clone()).unwrap();
    let flag = text.find("BusAckRequested").expect("the flag");
    let value = flag + text[flag..].find("true").expect("its value");
    assert!(value - flag < 120);
    let quiet = format!("{}false{}", &text[..value], &text[value + 4..]);
    let mut quiet_fixture = f.clone();
    quiet_fixture.bytes = quiet.into_bytes();
    import(
        &w.store,
        &register_csv(&[(who(&f.bytes), "registered", None, None)]),
    );
    w.sync(0, &[quiet_fixture]);
    let id = w.by_nhs[&who(&f.bytes).nhs];
    assert_eq!(
        w.store.document_work(id).unwrap().unwrap().match_state,
        MatchState::Matched
    );
    assert_eq!(w.business(id), Vec::<String>::new());
}

#[test]
fn filing_is_refused_until_every_action_is_decided_and_a_gp_has_reviewed() {
    let mut w = world(30);
    let fixtures = w.fixtures.clone();
    w.sync(48, &fixtures);
    let admin = w.user("Alex Admin", Role::Admin);
    let gp = w.user("Dr Gita Patel", Role::Gp);
    let cc = w.user("Carol Coordinator", Role::CareCoordinator);

    // A document asking the practice to do something, not needing GP review.
    let f = w
        .fixtures
        .iter()
        .find(|f| {
            f.asks_practice
                && f.replaces.is_none()
                && !f.hostile
                && f.kind != DocumentKind::MentalHealthDischarge
                && w.status(w.by_nhs[&f.nhs_number]) == DocumentStatus::New
        })
        .expect("a fixture asking the practice")
        .clone();
    let id = w.by_nhs[&f.nhs_number];
    let actions = workflow::action_items(&w.store, id).unwrap();
    let open: Vec<_> = actions.iter().filter(|a| a.needs_decision).collect();
    assert!(!open.is_empty(), "{actions:?}");
    let row = w.store.document(id).unwrap().unwrap().row;
    assert_eq!(row.flags.practice_actions as usize, open.len());
    assert!(row.flags.first_action.is_some());

    let err = workflow::file(&w.store, &admin, id, Some(w.version(id)), None, &now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ActionsUndecided, "{err}");
    assert_eq!(
        w.status(id),
        DocumentStatus::New,
        "a refused step changes nothing"
    );

    // A stale version is refused whatever the step.
    let stale = w.version(id) - 1;
    let err = workflow::decide_action(
        &w.store,
        &admin,
        id,
        Some(stale),
        open[0].index,
        Decision::Done { note: None },
        &now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DocumentChanged);

    // Delegate the first to the care coordinator; the rest are done.
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(7)).to_string();
    for (n, a) in open.iter().enumerate() {
        let decision = if n == 0 {
            Decision::Delegated {
                to_user: Some("Carol Coordinator".into()),
                to_role: None,
                due: due.clone(),
                note: Some("please book".into()),
            }
        } else {
            Decision::Done { note: None }
        };
        workflow::decide_action(
            &w.store,
            &admin,
            id,
            Some(w.version(id)),
            a.index,
            decision,
            &now(),
        )
        .unwrap();
    }
    // The list row no longer says there is something for the practice to decide.
    let row = w.store.document(id).unwrap().unwrap().row;
    assert_eq!(row.flags.practice_actions, 0, "{:?}", row.flags);
    assert_eq!(row.flags.first_action, None);
    let filed = workflow::file(&w.store, &admin, id, Some(w.version(id)), None, &now()).unwrap();
    assert_eq!(filed.status, DocumentStatus::Filed);
    // Someone else filing the same document is told who did it first.
    let err = workflow::file(&w.store, &gp, id, None, None, &now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AlreadyFiled);
    assert!(err.to_string().contains("Alex Admin"), "{err}");

    // The care coordinator has the task, and completes it.
    let tasks = w
        .store
        .tasks(&TaskQuery {
            user: Some("Carol Coordinator".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].due_date, due);
    assert_eq!(tasks[0].text, open[0].action.text);
    workflow::complete_task(&w.store, &cc, tasks[0].id, Some("booked".into()), &now()).unwrap();
    assert!(w
        .store
        .tasks(&TaskQuery {
            user: Some("Carol Coordinator".into()),
            ..Default::default()
        })
        .unwrap()
        .is_empty());

    // A care coordinator may not match or reject (the core refuses, not only the window).
    let other = w.by_nhs.values().copied().find(|d| *d != id).unwrap();
    let err = workflow::reject_not_known(
        &w.store,
        &cc,
        other,
        None,
        "not ours".into(),
        &config(48),
        &now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);

    // A mental health discharge: an admin may not file it; a GP may (that is the review).
    if let Some(mh) = w
        .fixtures
        .iter()
        .find(|f| f.kind == DocumentKind::MentalHealthDischarge && f.replaces.is_none())
    {
        let id = w.by_nhs[&mh.nhs_number];
        assert_eq!(w.status(id), DocumentStatus::NeedsGpReview);
        for a in workflow::action_items(&w.store, id).unwrap() {
            if a.needs_decision {
                workflow::decide_action(
                    &w.store,
                    &admin,
                    id,
                    None,
                    a.index,
                    Decision::NotApplicable {
                        reason: "for the community team".into(),
                    },
                    &now(),
                )
                .unwrap();
            }
        }
        let err = workflow::file(&w.store, &admin, id, None, None, &now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::GpReviewRequired, "{err}");
        let r = workflow::file(&w.store, &gp, id, None, None, &now()).unwrap();
        assert_eq!(r.status, DocumentStatus::Filed);
        let state: handover_workflow::WorkState = serde_json::from_str(
            &w.store
                .document_work(id)
                .unwrap()
                .unwrap()
                .workflow
                .unwrap(),
        )
        .unwrap();
        assert_eq!(state.gp_reviewed.unwrap().by, "Dr Gita Patel");
    } else {
        panic!("the fixtures include a mental health discharge");
    }

    // Every step is an event with the person, their role, the OS user and this device.
    let events = w.store.document_events(id).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"received"));
    assert!(
        kinds.contains(&"action_decided") && kinds.contains(&"filed"),
        "{kinds:?}"
    );
    let filed_event = events.iter().find(|e| e.kind == "filed").unwrap();
    assert_eq!(filed_event.actor, "Alex Admin");
    assert_eq!(filed_event.role, Some(Role::Admin));
    assert!(!filed_event.device.is_empty() && !filed_event.os_user.is_empty());

    // The projection is exactly what the events fold to.
    let before: Vec<_> = w
        .store
        .document_ids()
        .unwrap()
        .into_iter()
        .map(|d| w.store.document_work(d).unwrap().unwrap())
        .map(|d| {
            (
                d.id,
                d.status,
                d.match_state,
                d.assigned_to,
                d.business_response,
                d.workflow,
            )
        })
        .collect();
    let tasks_before = w
        .store
        .tasks(&TaskQuery {
            include_closed: true,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|t| (t.document_id, t.action_index, t.status, t.due_date))
        .collect::<Vec<_>>();
    workflow::rebuild(&w.store).unwrap();
    let after: Vec<_> = w
        .store
        .document_ids()
        .unwrap()
        .into_iter()
        .map(|d| w.store.document_work(d).unwrap().unwrap())
        .map(|d| {
            (
                d.id,
                d.status,
                d.match_state,
                d.assigned_to,
                d.business_response,
                d.workflow,
            )
        })
        .collect();
    assert_eq!(before, after);
    let tasks_after = w
        .store
        .tasks(&TaskQuery {
            include_closed: true,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|t| (t.document_id, t.action_index, t.status, t.due_date))
        .collect::<Vec<_>>();
    assert_eq!(tasks_before, tasks_after);
    assert!(w.store.conservation_report(&now()).unwrap().balanced);
}

#[test]
fn the_audit_trail_catches_an_edited_deleted_or_reordered_event() {
    let mut w = world(8);
    let fixtures = w.fixtures.clone();
    w.sync(48, &fixtures);
    let admin = w.user("Alex Admin", Role::Admin);
    for id in w.by_nhs.values().copied().collect::<Vec<_>>() {
        workflow::viewed(&w.store, &admin, id, &now()).unwrap();
        workflow::add_note(&w.store, &admin, id, "Checked *today*".into(), &now()).unwrap();
    }
    let v = w.store.verify_audit().unwrap();
    assert!(v.ok, "{v:?}");
    let n = v.events as i64;
    assert!(n > 10);

    // The triggers refuse edits through SQL as it stands.
    let conn = w.store.connection();
    assert!(conn
        .execute("UPDATE events SET actor = 'Mallory' WHERE seq = 3", [])
        .is_err());
    assert!(conn
        .execute("DELETE FROM events WHERE seq = 3", [])
        .is_err());
    // Whoever drops them is caught by the chain.
    conn.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .unwrap();
    let snapshot: Vec<(i64, String, String)> = conn
        .prepare("SELECT seq, actor, details FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let restore = |conn: &rusqlite::Connection| {
        for (seq, actor, details) in &snapshot {
            conn.execute(
                "UPDATE events SET actor = ?2, details = ?3 WHERE seq = ?1",
                rusqlite::params![seq, actor, details],
            )
            .unwrap();
        }
    };

    // Edited.
    conn.execute("UPDATE events SET actor = 'Mallory' WHERE seq = 5", [])
        .unwrap();
    let v = w.store.verify_audit().unwrap();
    assert!(!v.ok);
    assert_eq!(v.first_bad_event, Some(5), "{v:?}");
    restore(conn);
    assert!(w.store.verify_audit().unwrap().ok);

    // Reordered: two events' contents swapped.
    let (a, b) = (&snapshot[6], &snapshot[7]);
    conn.execute(
        "UPDATE events SET actor = ?2, details = ?3 WHERE seq = ?1",
        rusqlite::params![a.0, b.1, b.2],
    )
    .unwrap();
    conn.execute(
        "UPDATE events SET actor = ?2, details = ?3 WHERE seq = ?1",
        rusqlite::params![b.0, a.1, a.2],
    )
    .unwrap();
    let v = w.store.verify_audit().unwrap();
    assert!(!v.ok);
    assert_eq!(v.first_bad_event, Some(a.0), "{v:?}");
    restore(conn);
    assert!(w.store.verify_audit().unwrap().ok);

    // Deleted from the middle, then from the end.
    conn.execute("DELETE FROM events WHERE seq = 9", [])
        .unwrap();
    let v = w.store.verify_audit().unwrap();
    assert!(!v.ok);
    assert_eq!(v.first_bad_event, Some(9), "{v:?}");
    conn.execute("DELETE FROM events WHERE seq = ?1", [n])
        .unwrap();
    let v = w.store.verify_audit().unwrap();
    assert!(!v.ok);
}

#[test]
fn a_notes_markup_is_never_markup() {
    let mut w = world(3);
    let fixtures = w.fixtures.clone();
    w.sync(48, &fixtures);
    let admin = w.user("Alex Admin", Role::Admin);
    let id = *w.by_nhs.values().next().unwrap();
    let v = w.version(id);
    workflow::add_note(
        &w.store,
        &admin,
        id,
        "Rang ward: **INR 2.5** <img src=x onerror=alert(1)>".into(),
        &now(),
    )
    .unwrap();
    assert_eq!(
        w.version(id),
        v,
        "a note does not change the document's version"
    );
    let view = workflow::workflow_view(&w.store, id).unwrap();
    assert_eq!(view.notes.len(), 1);
    assert!(view.notes[0].html.contains("<strong>INR 2.5</strong>"));
    assert!(
        !view.notes[0].html.contains("<img"),
        "{}",
        view.notes[0].html
    );
    assert!(
        view.notes[0].html.contains("&lt;img"),
        "{}",
        view.notes[0].html
    );
}

#[test]
fn a_document_quarantined_only_for_its_nhs_number_can_be_matched_by_hand() {
    let mut w = world(3);
    let f = w.fixtures[0].clone();
    let person = who(&f.bytes);
    // The hospital mistyped the NHS number's last digit: it fails the check.
    let last = person.nhs.chars().last().unwrap().to_digit(10).unwrap();
    let typo = format!("{}{}", &person.nhs[..9], (last + 1) % 10);
    assert!(!handover_toc::nhs::nhs_number_valid(&typo));
    let text = String::from_utf8(f.bytes.clone())
        .unwrap()
        .replace(&person.nhs, &typo);
    let mut bad = f.clone();
    bad.bytes = text.into_bytes();
    import(
        &w.store,
        &register_csv(&[(person.clone(), "registered", None, None)]),
    );
    w.sync(0, &[bad]);
    let quarantine = w.store.quarantine(10, 0).unwrap();
    assert_eq!(quarantine.len(), 1);
    let message_id = quarantine[0].message.message_id;
    let view = handover_inbox::views::quarantined_view(&w.store, message_id).unwrap();
    assert!(view.matchable_by_hand);

    let cc = w.user("Carol Coordinator", Role::CareCoordinator);
    let err = handover_inbox::by_hand::match_quarantined(
        &w.store,
        &cc,
        message_id,
        &person.nhs,
        "known".into(),
        &config(0),
        &now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    let admin = w.user("Alex Admin", Role::Admin);
    let r = handover_inbox::by_hand::match_quarantined(
        &w.store,
        &admin,
        message_id,
        &person.nhs,
        "the ward confirmed the NHS number by phone".into(),
        &config(0),
        &now(),
    )
    .unwrap();
    assert_eq!(r.match_state, MatchState::Matched);
    assert!(w.store.quarantine(10, 0).unwrap().is_empty());
    let work = w.store.document_work(r.document_id).unwrap().unwrap();
    assert_eq!(work.message_id, message_id);
    // The hospital was told the message is invalid: no business response follows.
    let responses = w.store.queued_responses(message_id).unwrap();
    assert_eq!(responses.len(), 1, "{responses:?}");
    assert_eq!(responses[0].0, "infrastructure");
    assert!(w.store.conservation_report(&now()).unwrap().balanced);
    // Done once: the message is no longer in quarantine.
    assert!(handover_inbox::by_hand::match_quarantined(
        &w.store,
        &admin,
        message_id,
        &person.nhs,
        "again".into(),
        &config(0),
        &now(),
    )
    .is_err());
}

#[test]
fn a_replacement_that_arrives_first_leaves_the_original_superseded() {
    let mut w = world(40);
    let replacement = w
        .fixtures
        .iter()
        .find(|f| f.replaces.is_some() && !f.hostile)
        .expect("the fixtures include a replacement")
        .clone();
    let original = w
        .fixtures
        .iter()
        .find(|f| Some(&f.composition_id) == replacement.replaces.as_ref())
        .expect("and its original")
        .clone();
    w.sync(48, std::slice::from_ref(&replacement));
    w.sync(48, std::slice::from_ref(&original));
    let rows = w.store.list_documents(10, 0).unwrap();
    assert_eq!(rows.len(), 2);
    let old = rows
        .iter()
        .find(|r| r.superseded_by.is_some())
        .expect("superseded");
    assert_eq!(old.status, DocumentStatus::Superseded, "{old:?}");
    let new = rows.iter().find(|r| r.superseded_by.is_none()).unwrap();
    assert_ne!(new.status, DocumentStatus::Superseded);
    // And the log says so: rebuilding gives the same.
    workflow::rebuild(&w.store).unwrap();
    assert_eq!(
        w.store.document_work(old.id).unwrap().unwrap().status,
        DocumentStatus::Superseded
    );
}

#[test]
fn a_pharmacist_reconciles_and_signs_off_and_the_practice_list_gets_a_new_version() {
    use handover_store::{MedicationLineType, PracticeListLine, PracticeListSource};
    use handover_workflow::{MedChoice, MedIntent};
    let mut w = world(30);
    let fixtures = w.fixtures.clone();
    w.sync(48, &fixtures);
    // The practice's lists for every patient, as they were before the hospital episodes.
    let lists: Vec<(String, Vec<PracticeListLine>)> = w
        .by_nhs
        .keys()
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
    w.store
        .write_practice_lists(
            &lists,
            PracticeListSource::Import,
            Some("lists.csv"),
            &now(),
        )
        .unwrap();
    // A discharge with a stopped and an added medicine.
    let f = w
        .fixtures
        .iter()
        .find(|f| {
            if f.replaces.is_some() || f.hostile {
                return false;
            }
            let meds = handover_toc::parse(&f.bytes).document.unwrap().medications;
            meds.iter()
                .any(|m| m.list == handover_toc::MedicationList::Discontinued)
                && meds
                    .iter()
                    .any(|m| m.change == Some(handover_toc::MedicationChange::Added))
                && w.status(w.by_nhs[&f.nhs_number]) != DocumentStatus::Superseded
        })
        .expect("a discharge that stops one medicine and adds another")
        .clone();
    let id = w.by_nhs[&f.nhs_number];
    let view = workflow::medrec_view(&w.store, id).unwrap();
    assert_eq!(view.practice_list.as_ref().unwrap().version, 1);
    assert!(view.rows.len() >= 3);
    let categories: Vec<_> = view.rows.iter().map(|r| r.row.category).collect();
    assert!(
        categories.contains(&handover_medrec::Category::Stopped),
        "{categories:?}"
    );
    assert!(
        categories.contains(&handover_medrec::Category::Added),
        "{categories:?}"
    );
    assert!(
        categories.contains(&handover_medrec::Category::Omission),
        "{categories:?}"
    );

    // The 7-day clock runs: the row says so and the Tasks view lists it.
    let row = w.store.document(id).unwrap().unwrap().row;
    assert!(row.flags.medrec_open, "{:?}", row.flags);
    let (due, total) = w.store.medrec_due(2000).unwrap();
    assert!(due.iter().any(|d| d.document_id == id));
    assert_eq!(total as usize, due.len());
    assert_eq!(view.due_by, workflow::medrec::due_by(&row.received_at));

    let pharmacist = w.user("Pat Pharmacist", Role::Pharmacist);
    let admin = w.user("Alex Admin", Role::Admin);
    // Signing off with rows undecided is refused; so is an admin's sign-off.
    assert!(workflow::medrec_sign_off(&w.store, &pharmacist, id, None, &now()).is_err());
    // Unchanged rows are confirmed in one step (one event each).
    let unchanged = view
        .rows
        .iter()
        .filter(|r| r.row.category == handover_medrec::Category::Unchanged)
        .count();
    match workflow::medrec_confirm_unchanged(&w.store, &pharmacist, id, Some(w.version(id)), &now())
    {
        Ok((_, n)) => assert_eq!(n as usize, unchanged),
        Err(e) => assert_eq!(unchanged, 0, "{e}"),
    }
    let view = workflow::medrec_view(&w.store, id).unwrap();
    assert_eq!(view.undecided as usize, view.rows.len() - unchanged);
    // The omission is queried with the hospital (the line stays; a task is due in 3 days);
    // everything else accepted.
    for r in view.rows.iter().filter(|r| r.decision.is_none()) {
        let (choice, note) = if r.row.category == handover_medrec::Category::Omission {
            (
                MedChoice::QueryHospital,
                Some("Was losartan meant to stop?".to_string()),
            )
        } else {
            (MedChoice::AcceptHospital, None)
        };
        workflow::medrec_decide(
            &w.store,
            &pharmacist,
            id,
            Some(w.version(id)),
            workflow::MedDecisionInput {
                row: r.key.clone(),
                choice,
                intent: Some(MedIntent::IntentionalDocumented),
                note,
                follow_up_due: None,
            },
            &now(),
        )
        .unwrap();
    }
    let query_key = &view
        .rows
        .iter()
        .find(|r| r.row.category == handover_medrec::Category::Omission)
        .unwrap()
        .key;
    let tasks = w
        .store
        .tasks(&handover_store::TaskQuery {
            document_id: Some(id),
            ..Default::default()
        })
        .unwrap();
    let task = tasks
        .iter()
        .find(|t| t.medrec_row.as_deref() == Some(query_key.as_str()))
        .expect("the query is a task");
    assert_eq!(task.assignee_user.as_deref(), Some("Pat Pharmacist"));
    assert!(
        task.text.contains("Was losartan meant to stop?"),
        "{}",
        task.text
    );
    let today = workflow::medrec::uk_day_of(&now()).unwrap();
    assert_eq!(
        task.due_date,
        (today + chrono::Duration::days(workflow::medrec::QUERY_DAYS))
            .format("%Y-%m-%d")
            .to_string()
    );
    // A follow-up date in the past is refused.
    let err = workflow::medrec_decide(
        &w.store,
        &pharmacist,
        id,
        None,
        workflow::MedDecisionInput {
            row: query_key.clone(),
            choice: MedChoice::QueryHospital,
            intent: None,
            note: Some("again".into()),
            follow_up_due: Some("2001-01-01".into()),
        },
        &now(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("in the past"), "{err}");
    // A draft summary says so.
    let draft = workflow::medrec_summary(&w.store, id).unwrap();
    assert!(draft.draft);
    assert!(draft.markdown.contains("DRAFT: not signed off"));
    let err = workflow::medrec_sign_off(&w.store, &admin, id, None, &now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    workflow::medrec_sign_off(&w.store, &pharmacist, id, Some(w.version(id)), &now()).unwrap();

    let list = w.store.practice_list(&f.nhs_number).unwrap().unwrap();
    assert_eq!(list.version, 2);
    assert_eq!(list.source, PracticeListSource::Reconciliation);
    let doc = handover_toc::parse(&f.bytes).document.unwrap();
    let names: Vec<&str> = list.lines.iter().map(|l| l.name.as_str()).collect();
    for m in &doc.medications {
        let name = m.name.as_deref().unwrap();
        if m.list == handover_toc::MedicationList::Discontinued {
            assert!(!names.contains(&name), "stopped {name} is gone: {names:?}");
        } else if m.change == Some(handover_toc::MedicationChange::Added) {
            assert!(names.contains(&name), "added {name} is there: {names:?}");
        }
    }
    let omitted = &view.practice_list.as_ref().unwrap().lines[view
        .rows
        .iter()
        .find(|r| r.row.category == handover_medrec::Category::Omission)
        .unwrap()
        .row
        .practice_index
        .unwrap()];
    assert!(
        names.contains(&omitted.name.as_str()),
        "the queried line stays"
    );
    // Signed off: the view stays on the version decided against; no more decisions.
    let after = workflow::medrec_view(&w.store, id).unwrap();
    assert_eq!(after.signed_off.unwrap().by, "Pat Pharmacist");
    assert_eq!(after.practice_list.unwrap().version, 1);
    assert!(workflow::medrec_decide(
        &w.store,
        &pharmacist,
        id,
        None,
        workflow::MedDecisionInput {
            row: view.rows[0].key.clone(),
            choice: MedChoice::KeepPractice,
            intent: None,
            note: None,
            follow_up_due: None,
        },
        &now()
    )
    .is_err());
    // The clock stops; the query stays open until the hospital answers, then is done.
    assert!(!w.store.document(id).unwrap().unwrap().row.flags.medrec_open);
    assert!(!w
        .store
        .medrec_due(2000)
        .unwrap()
        .0
        .iter()
        .any(|d| d.document_id == id));
    workflow::complete_task(
        &w.store,
        &pharmacist,
        task.id,
        Some("Hospital: stopped in error, continue".into()),
        &now(),
    )
    .unwrap();
    let done = w.store.task(task.id).unwrap().unwrap();
    assert_eq!(done.status, handover_store::TaskStatus::Done);
    let state = workflow::medrec_view(&w.store, id).unwrap();
    assert!(state
        .rows
        .iter()
        .find(|r| &r.key == query_key)
        .unwrap()
        .decision
        .as_ref()
        .unwrap()
        .follow_up_done
        .is_some());

    // The summary: every row with its decision, the follow-up, the reconciled list.
    let summary = workflow::medrec_summary(&w.store, id).unwrap();
    assert!(!summary.draft);
    assert!(
        summary
            .html
            .contains("<strong>Signed off:</strong> Pat Pharmacist (Pharmacist)"),
        "{}",
        summary.html
    );
    assert!(summary
        .markdown
        .contains("Reconciled list (practice list version 2)"));
    assert!(summary.html.contains("Was losartan meant to stop?"));
    for l in &list.lines {
        assert!(
            summary.html.contains(&l.name.replace('&', "&amp;")),
            "{} in the summary",
            l.name
        );
    }
    // The FHIR export reads back, line for line, as the practice list it came from.
    let bundle = workflow::medrec_fhir_bundle(&w.store, id, &now()).unwrap();
    let back = handover_medrec::practice_import::read_lists(&bundle.to_string()).unwrap();
    assert!(back.rejected.is_empty(), "{:?}", back.rejected);
    let lines = &back.patients[&f.nhs_number];
    assert_eq!(lines.len(), list.lines.len());
    for (a, b) in lines.iter().zip(&list.lines) {
        assert_eq!(
            (&a.code, &a.name, &a.dosage, &a.route, a.line_type.as_str()),
            (&b.code, &b.name, &b.dosage, &b.route, b.line_type.as_str())
        );
    }
    workflow::record_medrec_export(
        &w.store,
        &pharmacist,
        id,
        workflow::MedrecExportFormat::Fhir,
        &now(),
    )
    .unwrap();
    // Every decision and the sign-off are events, and the state rebuilds from them.
    let kinds: Vec<String> = w
        .store
        .document_events(id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "medrec_decided").count(),
        view.rows.len()
    );
    for k in [
        "medrec_signed_off",
        "medrec_follow_up_done",
        "medrec_exported",
    ] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
    let before = w.store.document_work(id).unwrap().unwrap().workflow;
    let all_tasks = |w: &World| {
        w.store
            .tasks(&handover_store::TaskQuery {
                include_closed: true,
                limit: 2000,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|t| (t.document_id, t.medrec_row, t.text, t.status, t.due_date))
            .collect::<Vec<_>>()
    };
    let tasks_before = all_tasks(&w);
    workflow::rebuild(&w.store).unwrap();
    assert_eq!(w.store.document_work(id).unwrap().unwrap().workflow, before);
    assert_eq!(all_tasks(&w), tasks_before);
    assert!(w.store.verify_audit().unwrap().ok);
}

#[test]
fn an_on_hold_medicine_opens_a_restart_review_and_a_changed_mind_cancels_it() {
    use handover_workflow::MedChoice;
    let mut w = world(40);
    let fixtures = w.fixtures.clone();
    w.sync(48, &fixtures);
    let (id, key) = w
        .by_nhs
        .values()
        .find_map(|&id| {
            let v = workflow::medrec_view(&w.store, id).ok()?;
            let r = v
                .rows
                .iter()
                .find(|r| r.row.category == handover_medrec::Category::OnHold)?;
            Some((id, r.key.clone()))
        })
        .expect("a document with a medicine on hold");
    let gp = w.user("Gita GP", Role::Gp);
    let decide = |choice, due: Option<&str>| {
        workflow::medrec_decide(
            &w.store,
            &gp,
            id,
            None,
            workflow::MedDecisionInput {
                row: key.clone(),
                choice,
                intent: None,
                note: Some("restart when eGFR back above 45".into()),
                follow_up_due: due.map(str::to_string),
            },
            &now(),
        )
    };
    decide(MedChoice::KeepPractice, None).unwrap();
    let task_of = |w: &World| {
        w.store
            .tasks(&handover_store::TaskQuery {
                document_id: Some(id),
                include_closed: true,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .find(|t| t.medrec_row.as_deref() == Some(key.as_str()))
            .expect("the restart review is a task")
    };
    let t = task_of(&w);
    assert!(
        t.text.starts_with("On hold: review whether to restart"),
        "{}",
        t.text
    );
    assert!(
        t.text.contains("restart when eGFR back above 45"),
        "{}",
        t.text
    );
    let today = workflow::medrec::uk_day_of(&now()).unwrap();
    assert_eq!(
        t.due_date,
        (today + chrono::Duration::days(workflow::medrec::RESTART_REVIEW_DAYS))
            .format("%Y-%m-%d")
            .to_string()
    );
    assert_eq!(t.assignee_user.as_deref(), Some("Gita GP"));
    // A date the person chooses.
    let later = (today + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    decide(MedChoice::KeepPractice, Some(&later)).unwrap();
    let t = task_of(&w);
    assert_eq!(
        (t.due_date.as_str(), t.status),
        (later.as_str(), handover_store::TaskStatus::Open)
    );
    // Not applicable after all: the task is cancelled, not left open.
    decide(MedChoice::NotApplicable, None).unwrap();
    assert_eq!(task_of(&w).status, handover_store::TaskStatus::Cancelled);
}

/// A person the practice removed (taken at a pull as `removed_at`) stays a profile, so the
/// audit trail still names them, but is given no more work: assigning or delegating to them is
/// refused (`invalid_transition`), while others still can be.
#[test]
fn a_person_the_practice_removed_is_given_no_more_work() {
    let mut w = world(4);
    let fixtures = w.fixtures.clone();
    w.sync(48, &fixtures);
    let admin = w.user("alex_admin", Role::Admin);
    let person = |login: &str, removed_at: Option<&str>| handover_store::PracticePerson {
        login: login.into(),
        role: Role::Gp,
        display_name: Some(format!("Dr {login}")),
        removed_at: removed_at.map(str::to_string),
    };
    w.store
        .set_practice_people(
            "alex_admin",
            &[
                person("gita_gp", Some("2026-12-01T08:00:00.000000Z")),
                person("sam_gp", None),
            ],
            &now(),
        )
        .unwrap();
    let gita = w.store.user("gita_gp").unwrap().unwrap();
    assert_eq!(gita.display_name.as_deref(), Some("Dr gita_gp"));
    assert!(gita.removed_at.is_some());
    let id = *w.by_nhs.values().min().unwrap();
    let err = workflow::assign(
        &w.store,
        &admin,
        id,
        Some(w.version(id)),
        Some("gita_gp".into()),
        None,
        None,
        &now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidTransition, "{err}");
    assert!(
        err.to_string().contains("removed from the practice"),
        "{err}"
    );
    workflow::assign(
        &w.store,
        &admin,
        id,
        Some(w.version(id)),
        Some("sam_gp".into()),
        None,
        None,
        &now(),
    )
    .unwrap();
    assert_eq!(
        w.store
            .document(id)
            .unwrap()
            .unwrap()
            .row
            .assigned_to
            .as_deref(),
        Some("sam_gp")
    );
}
