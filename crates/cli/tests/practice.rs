//! `handover practice init|add-user` against a throwaway PostgreSQL cluster.

use std::process::{Command, Output};

use handover_practice::testing::{Cluster, ServerTls, TestPki, SUPERUSER_PASSWORD};
use handover_practice::{connect, NewPracticeEvent};

fn handover(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    cmd.args(args)
        .env_remove("HANDOVER_PRACTICE_DATABASE")
        .env_remove("HANDOVER_PRACTICE_PASSWORD")
        .env_remove("HANDOVER_PRACTICE_CA")
        .env_remove("HANDOVER_PRACTICE_CLIENT_CERT")
        .env_remove("HANDOVER_PRACTICE_CLIENT_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run handover")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn practice_init_and_add_user_make_a_login_that_can_append() {
    let cluster = Cluster::start();
    let admin = cluster.superuser_url();

    let out = handover(
        &[
            "practice",
            "init",
            "--database",
            &admin,
            "--practice",
            "A81001",
            "--name",
            "Riverside Surgery",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["schema_version"],
        handover_practice::schema::latest_version()
    );
    assert_eq!(report["practice_created"], true);
    // Again: nothing to do.
    let out = handover(
        &[
            "practice",
            "init",
            "--practice",
            "A81001",
            "--name",
            "Riverside Surgery",
        ],
        &[("HANDOVER_PRACTICE_DATABASE", &admin)],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("already there"), "{}", text(&out));

    // The password from the environment, the database from the environment, the only
    // practice by default.
    let out = handover(
        &["practice", "add-user", "alice", "--role", "gp"],
        &[
            ("HANDOVER_PRACTICE_DATABASE", &admin),
            ("HANDOVER_PRACTICE_PASSWORD", "alice's long password"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // The password from a file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "the puller's password\n").unwrap();
    let out = handover(
        &[
            "practice",
            "add-user",
            "mesh_puller",
            "--role",
            "puller",
            "--practice",
            "A81001",
            "--database",
            &admin,
            "--password-file",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));

    // Refusals carry their codes.
    let out = handover(
        &["practice", "add-user", "alice", "--role", "gp"],
        &[
            ("HANDOVER_PRACTICE_DATABASE", &admin),
            ("HANDOVER_PRACTICE_PASSWORD", "alice's long password"),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("error [user_exists]"), "{}", text(&out));
    let out = handover(&["practice", "add-user", "bob", "--role", "gp"], &[]);
    assert!(
        text(&out).contains("error [invalid_argument]"),
        "{}",
        text(&out)
    );
    let out = handover(
        &["practice", "init", "--practice", "A81001", "--name", "x"],
        &[(
            "HANDOVER_PRACTICE_DATABASE",
            "postgres://postgres:pw@practice-server.example/handover?sslmode=disable",
        )],
    );
    assert!(
        text(&out).contains("error [practice_insecure_connection]"),
        "{}",
        text(&out)
    );

    // The logins work, as themselves.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut alice = connect(&cluster.url("alice", "alice's long password"))
            .await
            .unwrap();
        let seqs = alice
            .append_events(&[NewPracticeEvent {
                event_id: "dev-1:1".into(),
                at: "2026-03-01T09:00:00Z".into(),
                os_user: "alice".into(),
                device: "dev-1".into(),
                document_key: None,
                kind: "viewed".into(),
                details: "{}".into(),
            }])
            .await
            .unwrap();
        // After the two logins' additions, which the log records (`person_added`).
        assert_eq!(seqs, vec![3]);
        let log = alice.pull(0, 10).await.unwrap();
        assert_eq!(log[0].kind, "person_added");
        assert_eq!(log[1].kind, "person_added");
        assert_eq!(log[2].actor, "alice");
        assert_eq!(log[2].role.as_deref(), Some("gp"));
        let puller = connect(&cluster.url("mesh_puller", "the puller's password"))
            .await
            .unwrap();
        assert_eq!(
            puller
                .acquire_lease("host", std::time::Duration::from_secs(5))
                .await
                .unwrap(),
            1
        );
    });
}

/// `practice init` and `add-user` over TLS to a server that requires the device's
/// certificate: the authority and the device's certificate and key from the environment,
/// `sslmode=verify-full` in the URL; the new login connects over TLS as itself. A server
/// the authority did not sign is refused with `practice_certificate_invalid`.
#[test]
fn practice_init_over_tls_with_the_devices_certificate() {
    let pki = TestPki::new("Riverside practice CA");
    let cluster = Cluster::start_tls(&ServerTls {
        pki: &pki,
        server_names: vec!["DNS:localhost".into(), "IP:127.0.0.1".into()],
        client_cert: true,
        server_expired: false,
    });
    let (cert, key) = pki.issue("device", &["DNS:reception-pc-1".into()]);
    let ca = pki.ca_cert();
    let admin = format!(
        "postgres://postgres:{SUPERUSER_PASSWORD}@localhost:{}/postgres?sslmode=verify-full",
        cluster.port()
    );
    let device = [
        ("HANDOVER_PRACTICE_CA", ca.to_str().unwrap()),
        ("HANDOVER_PRACTICE_CLIENT_CERT", cert.to_str().unwrap()),
        ("HANDOVER_PRACTICE_CLIENT_KEY", key.to_str().unwrap()),
    ];
    let out = handover(
        &[
            "practice",
            "init",
            "--database",
            &admin,
            "--practice",
            "A81001",
            "--name",
            "Riverside Surgery",
            "--json",
        ],
        &device,
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["practice_created"], true);
    let mut env = device.to_vec();
    env.push(("HANDOVER_PRACTICE_DATABASE", &admin));
    env.push(("HANDOVER_PRACTICE_PASSWORD", "alice's long password"));
    let out = handover(&["practice", "add-user", "alice", "--role", "gp"], &env);
    assert!(out.status.success(), "{}", text(&out));

    // Without the device's certificate the server refuses.
    let out = handover(
        &["practice", "init", "--practice", "A81001", "--name", "x"],
        &[
            ("HANDOVER_PRACTICE_DATABASE", &admin),
            ("HANDOVER_PRACTICE_CA", ca.to_str().unwrap()),
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("error [practice_authentication]"),
        "{}",
        text(&out)
    );
    // Trusting another authority: the server's certificate is refused.
    let other = TestPki::new("Someone else's CA");
    let other_ca = other.ca_cert();
    let mut env = device.to_vec();
    env[0] = ("HANDOVER_PRACTICE_CA", other_ca.to_str().unwrap());
    let out = handover(
        &[
            "practice",
            "init",
            "--database",
            &admin,
            "--practice",
            "A81001",
            "--name",
            "x",
        ],
        &env,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("error [practice_certificate_invalid]"),
        "{}",
        text(&out)
    );

    // The new login, over TLS with the device's certificate (URL parameters this time).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let alice = connect(&format!(
            "postgres://alice:alice%27s%20long%20password@localhost:{}/postgres\
             ?sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
            cluster.port(),
            ca.display(),
            cert.display(),
            key.display()
        ))
        .await
        .unwrap();
        let row = alice
            .client()
            .query_one(
                "SELECT session_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "alice");
        assert!(row.get::<_, bool>(1));
        assert_eq!(alice.session_practice().await.unwrap(), "A81001");
    });
}
