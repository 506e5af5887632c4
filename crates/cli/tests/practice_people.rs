//! The practice's people with the real binary (issue 14): `handover practice add-user --name`,
//! `practice users --json`, `practice set-role`, `practice remove-user` against a real
//! PostgreSQL 15 (a throwaway cluster), and a desktop (its own SQLCipher store, the key in the
//! OS keyring: run inside `scripts/with-keyring.sh`) that takes the people, their display
//! names, roles and removals at `handover sync --once`, and still verifies the practice's log
//! (`practice audit`) with the administrator's events in it.

use std::process::{Command, Output};

use handover_practice::{connect, NewPracticeEvent};

mod common;
use common::{base, text, Desktop, Server, PASSWORD};

/// `handover` as the administrator (the superuser URL, no data directory).
fn admin(server: &Server, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    base(&mut cmd)
        .args(args)
        .env("HANDOVER_PRACTICE_DATABASE", server.cluster.superuser_url())
        .env("HANDOVER_PRACTICE_PASSWORD", PASSWORD)
        .env_remove("HANDOVER_DATA_DIR");
    cmd.output().unwrap()
}

fn admin_ok(server: &Server, args: &[&str]) -> String {
    let out = admin(server, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(server: &Server, args: &[&str], code: &str) {
    let out = admin(server, args);
    assert!(!out.status.success(), "{args:?}: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("error [{code}]")),
        "{args:?}: {}",
        text(&out)
    );
}

/// The desktop's profiles by name.
fn people(desktop: &Desktop) -> serde_json::Map<String, serde_json::Value> {
    desktop
        .json(&["user", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap().to_string(), u.clone()))
        .collect()
}

#[test]
fn people_are_added_named_reroled_and_removed_and_desktops_follow() {
    let server = Server::start_with(&[("puller_a", "puller")]);
    let tmp = tempfile::tempdir().unwrap();

    let out = admin_ok(
        &server,
        &[
            "practice",
            "add-user",
            "gita_gp",
            "--role",
            "gp",
            "--name",
            "Dr Gita Patel",
        ],
    );
    assert!(out.contains("gita_gp (Dr Gita Patel) added"), "{out}");
    admin_ok(
        &server,
        &[
            "practice",
            "add-user",
            "alex_admin",
            "--role",
            "admin",
            "--name",
            "Alex Adams",
        ],
    );
    let listed: serde_json::Value =
        serde_json::from_str(&admin_ok(&server, &["practice", "users", "--json"])).unwrap();
    let rows = listed.as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (
                r["login"].as_str().unwrap(),
                r["display_name"].as_str(),
                r["role"].as_str(),
                r["removed_at"].is_null()
            ))
            .collect::<Vec<_>>(),
        [
            ("alex_admin", Some("Alex Adams"), Some("admin"), true),
            ("gita_gp", Some("Dr Gita Patel"), Some("gp"), true),
            ("puller_a", None, None, true),
        ]
    );
    assert!(rows.iter().all(|r| r["added_at"].as_str().is_some()));

    // A desktop of the practice, as Alex, takes the people with their display names.
    let desk = Desktop::new(tmp.path(), "alex", server.url("alex_admin"));
    let pulled = desk.sync();
    assert_eq!(pulled["events_new"], 2, "{pulled}");
    let p = people(&desk);
    assert_eq!(p["gita_gp"]["display_name"], "Dr Gita Patel");
    assert_eq!(p["gita_gp"]["role"], "gp");
    assert_eq!(p["alex_admin"]["display_name"], "Alex Adams");
    assert!(!p.contains_key("puller_a"));

    // Gita works (an event of hers in the log), then is made an admin.
    server.rt.block_on(async {
        let mut gita = connect(&server.url("gita_gp")).await.unwrap();
        gita.append_events(&[NewPracticeEvent {
            event_id: "desk-g:1".into(),
            at: "2026-07-01T10:00:00.000Z".into(),
            os_user: "gita".into(),
            device: "desk-g".into(),
            document_key: None,
            kind: "note".into(),
            details: "{\"n\":1}".into(),
        }])
        .await
        .unwrap();
    });
    let out = admin_ok(
        &server,
        &["practice", "set-role", "gita_gp", "--role", "admin"],
    );
    assert!(out.contains("now admin (was gp)"), "{out}");
    let pulled = desk.sync();
    assert_eq!(pulled["events_new"], 2, "{pulled}");
    assert_eq!(people(&desk)["gita_gp"]["role"], "admin");

    // Refusals, with their codes; nothing reaches the log.
    refused(
        &server,
        &["practice", "remove-user", "puller_a"],
        "practice_puller_login",
    );
    refused(
        &server,
        &["practice", "set-role", "puller_a", "--role", "gp"],
        "practice_puller_login",
    );
    refused(
        &server,
        &["practice", "remove-user", "nobody"],
        "practice_user_not_found",
    );
    refused(
        &server,
        &["practice", "set-role", "gita_gp", "--role", "surgeon"],
        "invalid_argument",
    );

    // Gita is removed: her login cannot connect, the desktop marks her removed and keeps her.
    let out = admin_ok(&server, &["practice", "remove-user", "gita_gp"]);
    assert!(out.contains("gita_gp removed from practice PRC1"), "{out}");
    let gone = Desktop::new(tmp.path(), "gita", server.url("gita_gp"));
    let out = gone.run(&["sync", "--once", "--json"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error [practice_authentication]"),
        "{}",
        text(&out)
    );
    refused(
        &server,
        &["practice", "remove-user", "gita_gp"],
        "practice_user_removed",
    );
    let pulled = desk.sync();
    assert_eq!(pulled["events_new"], 1, "{pulled}");
    let p = people(&desk);
    assert!(p["gita_gp"]["removed_at"].is_string(), "{p:?}");
    assert_eq!(p["gita_gp"]["display_name"], "Dr Gita Patel");
    assert!(p["alex_admin"]["removed_at"].is_null());
    let listed: serde_json::Value =
        serde_json::from_str(&admin_ok(&server, &["practice", "users", "--json"])).unwrap();
    assert!(listed[1]["removed_at"].is_string(), "{listed}");

    // The log names each change's administrator, with no role; Gita's own event is kept.
    assert_eq!(
        server.string(
            "SELECT string_agg(kind || ':' || coalesce(role, '-'), ',' ORDER BY seq)
               FROM handover.events"
        ),
        "person_added:-,person_added:-,note:gp,role_changed:-,person_removed:-"
    );

    // The desktop's copy and the server's log verify with the administrator's events in them.
    let audit = desk.json(&["practice", "audit", "--json"]);
    assert_eq!(audit["cache"]["ok"], true, "{audit}");
    assert_eq!(audit["cache"]["events"], 5, "{audit}");
    assert_eq!(audit["server"]["ok"], true, "{audit}");
    assert_eq!(audit["server"]["events"], 5, "{audit}");

    // A name of another practice is refused as such.
    admin_ok(
        &server,
        &[
            "practice",
            "init",
            "--practice",
            "PRC2",
            "--name",
            "Hillside",
        ],
    );
    admin_ok(
        &server,
        &[
            "practice",
            "add-user",
            "sam_gp",
            "--role",
            "gp",
            "--practice",
            "PRC2",
        ],
    );
    refused(
        &server,
        &[
            "practice",
            "set-role",
            "sam_gp",
            "--role",
            "admin",
            "--practice",
            "PRC1",
        ],
        "practice_user_other_practice",
    );
    let out = admin_ok(&server, &["practice", "users", "--practice", "PRC2"]);
    assert!(out.contains("sam_gp"), "{out}");
    assert!(!out.contains("gita_gp"), "{out}");
}
