//! The practice's people, administered (schema 9), on a real PostgreSQL 15 (a throwaway
//! cluster per test): display names, a role changed, a person removed, each recorded in the
//! practice log by the administrator; and the refusals with their codes.

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::Cluster;
use handover_practice::{connect, NewPracticeEvent, PracticeDb, PracticeError};

const PASSWORD: &str = "correct horse battery";

fn event(device: &str, n: u64) -> NewPracticeEvent {
    NewPracticeEvent {
        event_id: format!("{device}:{n}"),
        at: format!("2026-03-01T09:00:{n:02}Z"),
        os_user: "reception".into(),
        device: device.into(),
        document_key: Some(format!("sha256-{n:08}")),
        kind: "note_added".into(),
        details: serde_json::json!({ "n": n }).to_string(),
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, PracticeError>) -> ErrorCode {
    match r {
        Ok(v) => panic!("should be refused, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// PRC1 with gita_gp ("Dr Gita Patel"), alex_admin (no display name) and the puller mesh_p1,
/// all added through `add_person`; PRC2 with sam_gp.
async fn cluster() -> (Cluster, PracticeDb) {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let mut su = connect(&cluster.superuser_url()).await.unwrap();
    su.init("PRC1", "Riverside").await.unwrap();
    su.init("PRC2", "Hillside").await.unwrap();
    let gita = su
        .add_person(
            "PRC1",
            "gita_gp",
            "gp",
            PASSWORD,
            Some(" Dr Gita Patel "),
            "it",
        )
        .await
        .unwrap();
    assert_eq!(gita.display_name.as_deref(), Some("Dr Gita Patel"));
    assert_eq!(gita.role.as_deref(), Some("gp"));
    assert_eq!(gita.removed_at, None);
    su.add_person("PRC1", "alex_admin", "admin", PASSWORD, None, "it")
        .await
        .unwrap();
    let puller = su
        .add_person("PRC1", "mesh_p1", "puller", PASSWORD, None, "it")
        .await
        .unwrap();
    assert_eq!((puller.kind.as_str(), puller.role), ("puller", None));
    su.add_person("PRC2", "sam_gp", "gp", PASSWORD, Some("Dr Sam Jones"), "it")
        .await
        .unwrap();
    (cluster, su)
}

async fn login(cluster: &Cluster, user: &str) -> PracticeDb {
    connect(&cluster.url(user, PASSWORD)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_named_reroled_and_removed_and_the_log_says_so() {
    let (cluster, mut su) = cluster().await;
    let administrator: String = su
        .client()
        .query_one("SELECT session_user::text", &[])
        .await
        .unwrap()
        .get(0);

    // Each addition is in the practice's own log, by the administrator, with no role.
    let mut alex = login(&cluster, "alex_admin").await;
    let log = alex.pull(0, 100).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["person_added", "person_added", "person_added"]
    );
    for e in &log {
        assert_eq!(e.actor, administrator);
        assert_eq!(e.role, None);
        assert_eq!(e.device, "practice-admin");
        assert_eq!(e.os_user, "it");
        assert_eq!(e.document_key, None);
    }
    let first: serde_json::Value = serde_json::from_str(&log[0].details).unwrap();
    assert_eq!(first["login"], "gita_gp");
    assert_eq!(first["display_name"], "Dr Gita Patel");
    assert_eq!(first["role"], "gp");
    // The other practice's addition is in its own log only.
    let sam = login(&cluster, "sam_gp").await;
    assert_eq!(sam.pull(0, 100).await.unwrap().len(), 1);

    // The desktops' view of the people: display names, no puller.
    let people = alex.practice_people().await.unwrap();
    assert_eq!(people.me, "alex_admin");
    let named: Vec<_> = people
        .people
        .iter()
        .map(|p| (p.login.as_str(), p.role.as_str(), p.display_name.as_deref()))
        .collect();
    assert_eq!(
        named,
        [
            ("alex_admin", "admin", None),
            ("gita_gp", "gp", Some("Dr Gita Patel"))
        ]
    );

    // Gita works as a GP, then is made an admin: her group role changes, the log records it,
    // and her next event carries the new role while the first keeps the old one.
    let mut gita = login(&cluster, "gita_gp").await;
    gita.append_events(&[event("dev-g", 1)]).await.unwrap();
    let change = su.set_role("PRC1", "gita_gp", "admin", "it").await.unwrap();
    assert!(change.changed);
    assert_eq!((change.from.as_str(), change.to.as_str()), ("gp", "admin"));
    let groups: (bool, bool) = {
        let r = su
            .client()
            .query_one(
                "SELECT pg_has_role('gita_gp', 'handover_gp', 'MEMBER'),
                        pg_has_role('gita_gp', 'handover_admin', 'MEMBER')",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(groups, (false, true));
    gita.append_events(&[event("dev-g", 2)]).await.unwrap();
    let log = alex.pull(3, 100).await.unwrap();
    let kinds: Vec<_> = log
        .iter()
        .map(|e| (e.kind.as_str(), e.actor.as_str(), e.role.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("note_added", "gita_gp", Some("gp")),
            ("role_changed", administrator.as_str(), None),
            ("note_added", "gita_gp", Some("admin")),
        ]
    );
    let details: serde_json::Value = serde_json::from_str(&log[1].details).unwrap();
    assert_eq!(
        details,
        serde_json::json!({ "login": "gita_gp", "from": "gp", "to": "admin" })
    );
    // The same role again: nothing changes, nothing is recorded.
    let again = su.set_role("PRC1", "gita_gp", "admin", "it").await.unwrap();
    assert!(!again.changed);
    assert_eq!(alex.pull(6, 100).await.unwrap().len(), 0);
    assert_eq!(
        alex.practice_people().await.unwrap().people[1].role,
        "admin"
    );

    // Gita is removed while her connection is open: it is ended, she cannot log in again,
    // and her row stays, marked.
    let removal = su.remove_user("PRC1", "gita_gp", "it").await.unwrap();
    assert!(removal.sessions_ended >= 1, "{removal:?}");
    let mut ended = false;
    for _ in 0..50 {
        if gita.pull(0, 1).await.is_err() {
            ended = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ended, "the removed login's session was not ended");
    let refused = connect(&cluster.url("gita_gp", PASSWORD)).await;
    assert_eq!(code(refused.map(|_| ())), ErrorCode::PracticeAuthentication);
    let members = su.members("PRC1").await.unwrap();
    let gita_row = members.iter().find(|m| m.login == "gita_gp").unwrap();
    assert_eq!(
        gita_row.removed_at.as_deref(),
        Some(removal.removed_at.as_str())
    );
    assert_eq!(gita_row.display_name.as_deref(), Some("Dr Gita Patel"));
    assert_eq!(members.len(), 3);
    let people = alex.practice_people().await.unwrap();
    assert_eq!(
        people.people[1].removed_at.as_deref(),
        Some(removal.removed_at.as_str())
    );

    // Even on a session that still had her as its user, the server refuses her as a member.
    su.client()
        .batch_execute("SET SESSION AUTHORIZATION gita_gp")
        .await
        .unwrap();
    let append = su.append_events(&[event("dev-g", 3)]).await;
    assert_eq!(code(append), ErrorCode::PracticeNotMember);
    su.client()
        .batch_execute("RESET SESSION AUTHORIZATION")
        .await
        .unwrap();

    // Her events stay in the log, naming her, and the whole chain verifies.
    let log = alex.pull(0, 100).await.unwrap();
    assert_eq!(log.len(), 7);
    assert_eq!(log.last().unwrap().kind, "person_removed");
    assert_eq!(
        log.iter().filter(|e| e.actor == "gita_gp").count(),
        2,
        "her events remain"
    );
    let report = alex.verify_chain().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 7);
    let mut prev = handover_practice::GENESIS_HASH.to_string();
    for e in &log {
        assert_eq!(e.expected_hash(&prev), e.hash, "event {}", e.seq);
        prev = e.hash.clone();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_their_codes() {
    let (cluster, mut su) = cluster().await;

    assert_eq!(
        code(su.set_role("PRC1", "nobody", "gp", "it").await),
        ErrorCode::PracticeUserNotFound
    );
    assert_eq!(
        code(su.remove_user("PRC1", "nobody", "it").await),
        ErrorCode::PracticeUserNotFound
    );
    assert_eq!(
        code(su.set_role("PRC1", "sam_gp", "admin", "it").await),
        ErrorCode::PracticeUserOtherPractice
    );
    assert_eq!(
        code(su.remove_user("PRC1", "sam_gp", "it").await),
        ErrorCode::PracticeUserOtherPractice
    );
    assert_eq!(
        code(su.set_role("PRC1", "mesh_p1", "gp", "it").await),
        ErrorCode::PracticePullerLogin
    );
    assert_eq!(
        code(su.remove_user("PRC1", "mesh_p1", "it").await),
        ErrorCode::PracticePullerLogin
    );
    assert_eq!(
        code(su.set_role("PRC1", "gita_gp", "puller", "it").await),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(su.set_role("PRC1", "gita_gp", "surgeon", "it").await),
        ErrorCode::InvalidArgument
    );
    for bad in ["", "   ", "Dr\nGita"] {
        assert_eq!(
            code(
                su.add_person("PRC1", "new_gp", "gp", PASSWORD, Some(bad), "it")
                    .await
            ),
            ErrorCode::InvalidArgument,
            "{bad:?}"
        );
    }
    assert_eq!(
        code(
            su.add_person("PRC1", "gita_gp", "gp", PASSWORD, None, "it")
                .await
        ),
        ErrorCode::UserExists
    );

    // Nothing refused above reached the log, and the puller still works.
    let alex = login(&cluster, "alex_admin").await;
    assert_eq!(alex.pull(0, 100).await.unwrap().len(), 3);
    let puller = login(&cluster, "mesh_p1").await;
    puller
        .acquire_lease("host", std::time::Duration::from_secs(5))
        .await
        .unwrap();

    // Removed once: removing or re-roling again is refused.
    su.remove_user("PRC1", "gita_gp", "it").await.unwrap();
    assert_eq!(
        code(su.remove_user("PRC1", "gita_gp", "it").await),
        ErrorCode::PracticeUserRemoved
    );
    assert_eq!(
        code(su.set_role("PRC1", "gita_gp", "admin", "it").await),
        ErrorCode::PracticeUserRemoved
    );

    // A member cannot administer: not through the library (no rights on the members table or
    // the roles), not by calling the administrator's function.
    let mut alex = login(&cluster, "alex_admin").await;
    assert_eq!(
        code(alex.set_role("PRC1", "gita_gp", "gp", "it").await),
        ErrorCode::PermissionDenied
    );
    let direct = alex
        .client()
        .query_one(
            "SELECT handover.append_admin_event('PRC1', 'person_added', '{}', 'x')",
            &[],
        )
        .await
        .map_err(PracticeError::from);
    assert_eq!(code(direct), ErrorCode::PermissionDenied);
    assert_eq!(alex.pull(0, 100).await.unwrap().len(), 4);
    assert!(alex.verify_chain().await.unwrap().ok);
}
