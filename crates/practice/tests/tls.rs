//! TLS to the practice server, on real PostgreSQL 15 clusters with certificates made at test
//! time (`testing::TestPki`, the `openssl` command; keys only in temporary directories).

use handover_errors::{Coded, ErrorCode};
use handover_practice::testing::{Cluster, ServerTls, TestPki, SUPERUSER_PASSWORD};
use handover_practice::{connect, PracticeDb, PracticeError};

const PASSWORD: &str = "correct horse battery";

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn start(pki: &TestPki, server_names: &[&str], client_cert: bool) -> Cluster {
    start_with(ServerTls {
        pki,
        server_names: names(server_names),
        client_cert,
        server_expired: false,
    })
    .await
}

async fn start_with(tls: ServerTls<'_>) -> Cluster {
    // The cluster is started on a blocking thread (initdb and pg_ctl take a while).
    std::thread::scope(|s| s.spawn(|| Cluster::start_tls(&tls)).join().unwrap())
}

/// A URL over TLS to `host` on the cluster's port, trusting `ca`, with `extra` parameters.
fn tls_url(
    cluster: &Cluster,
    user: &str,
    password: &str,
    host: &str,
    ca: &TestPki,
    extra: &str,
) -> String {
    format!(
        "postgres://{user}:{password}@{host}:{}/postgres?sslmode=verify-full&sslrootcert={}{extra}",
        cluster.port(),
        ca.ca_cert().display()
    )
}

fn refused<T>(r: Result<T, PracticeError>) -> PracticeError {
    match r {
        Ok(_) => panic!("the connection should be refused"),
        Err(e) => e,
    }
}

async fn on_tls(db: &PracticeDb) -> bool {
    db.client()
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// A server whose certificate the practice's authority signed, for localhost and 127.0.0.1:
/// the connection is TLS (pg_stat_ssl), by host name and by address, and a person's login
/// over it is their own role. The cluster takes TCP only over TLS (`hostssl`), so a plain
/// connection is refused by the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_signed_by_the_practice_authority_is_reached_over_tls() {
    let pki = TestPki::new("Practice CA");
    let cluster = start(&pki, &["DNS:localhost", "IP:127.0.0.1"], false).await;
    for host in ["localhost", "127.0.0.1"] {
        let db = connect(&tls_url(
            &cluster,
            "postgres",
            SUPERUSER_PASSWORD,
            host,
            &pki,
            "",
        ))
        .await
        .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(on_tls(&db).await, "{host}");
    }
    let mut admin = connect(&tls_url(
        &cluster,
        "postgres",
        SUPERUSER_PASSWORD,
        "localhost",
        &pki,
        "",
    ))
    .await
    .unwrap();
    admin.init("PRC1", "Practice One").await.unwrap();
    admin
        .add_user("PRC1", "gp_p1", "gp", PASSWORD)
        .await
        .unwrap();
    let gp = connect(&tls_url(&cluster, "gp_p1", PASSWORD, "localhost", &pki, ""))
        .await
        .unwrap();
    assert!(on_tls(&gp).await);
    let who: String = gp
        .client()
        .query_one("SELECT session_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(who, "gp_p1");
    assert_eq!(gp.session_practice().await.unwrap(), "PRC1");
    // A wrong password over TLS is the server's refusal of the login.
    assert_eq!(
        refused(
            connect(&tls_url(
                &cluster,
                "gp_p1",
                "not the password",
                "localhost",
                &pki,
                ""
            ))
            .await
        )
        .code(),
        ErrorCode::PracticeAuthentication
    );
    // Plain TCP (loopback, no TLS asked for) reaches the server, which takes TLS only.
    assert_eq!(
        refused(connect(&cluster.url("gp_p1", PASSWORD)).await).code(),
        ErrorCode::PracticeAuthentication
    );
}

/// The server's certificate is from another authority than the one the practice trusts, or
/// from none the system trusts: refused before any login, `practice_certificate_invalid`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_another_authority_is_refused() {
    let pki = TestPki::new("Practice CA");
    let other = TestPki::new("Someone else's CA");
    let cluster = start(&pki, &["DNS:localhost", "IP:127.0.0.1"], false).await;
    let e = refused(
        connect(&tls_url(
            &cluster,
            "postgres",
            SUPERUSER_PASSWORD,
            "localhost",
            &other,
            "",
        ))
        .await,
    );
    assert_eq!(e.code(), ErrorCode::PracticeCertificateInvalid, "{e}");
    assert!(e.to_string().contains("unknown issuer"), "{e}");
    // Without sslrootcert the system's authorities are trusted, and none of them signed it.
    let e = refused(
        connect(&format!(
            "postgres://postgres:{SUPERUSER_PASSWORD}@localhost:{}/postgres?sslmode=verify-full",
            cluster.port()
        ))
        .await,
    );
    assert_eq!(e.code(), ErrorCode::PracticeCertificateInvalid, "{e}");
    assert!(e.to_string().contains("unknown issuer"), "{e}");
}

/// The certificate is from the trusted authority but for another host: refused, by name and
/// by address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_is_refused() {
    let pki = TestPki::new("Practice CA");
    let cluster = start(&pki, &["DNS:practice-server.example", "IP:10.1.2.3"], false).await;
    for host in ["localhost", "127.0.0.1"] {
        let e = refused(
            connect(&tls_url(
                &cluster,
                "postgres",
                SUPERUSER_PASSWORD,
                host,
                &pki,
                "",
            ))
            .await,
        );
        assert_eq!(
            e.code(),
            ErrorCode::PracticeCertificateInvalid,
            "{host}: {e}"
        );
        assert!(e.to_string().contains("wrong host name"), "{host}: {e}");
    }
}

/// The certificate is from the trusted authority, for this host, but expired yesterday.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused() {
    let pki = TestPki::new("Practice CA");
    let cluster = start_with(ServerTls {
        pki: &pki,
        server_names: names(&["DNS:localhost"]),
        client_cert: false,
        server_expired: true,
    })
    .await;
    let e = refused(
        connect(&tls_url(
            &cluster,
            "postgres",
            SUPERUSER_PASSWORD,
            "localhost",
            &pki,
            "",
        ))
        .await,
    );
    assert_eq!(e.code(), ErrorCode::PracticeCertificateInvalid, "{e}");
    assert!(e.to_string().contains("expired"), "{e}");
}

/// The server requires a device certificate signed by the practice's authority
/// (`clientcert=verify-ca`): without one, or with one from another authority, the server
/// refuses; with the device's, the login is still the person's own SCRAM role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_can_require_the_devices_certificate() {
    let pki = TestPki::new("Practice CA");
    let cluster = start(&pki, &["DNS:localhost", "IP:127.0.0.1"], true).await;
    let (cert, key) = pki.issue("device", &names(&["DNS:reception-pc-1"]));
    let device = format!("&sslcert={}&sslkey={}", cert.display(), key.display());
    let mut admin = connect(&tls_url(
        &cluster,
        "postgres",
        SUPERUSER_PASSWORD,
        "localhost",
        &pki,
        &device,
    ))
    .await
    .unwrap();
    admin.init("PRC1", "Practice One").await.unwrap();
    admin
        .add_user("PRC1", "gp_p1", "gp", PASSWORD)
        .await
        .unwrap();

    let e = refused(connect(&tls_url(&cluster, "gp_p1", PASSWORD, "localhost", &pki, "")).await);
    assert_eq!(e.code(), ErrorCode::PracticeAuthentication, "{e}");
    assert!(e.to_string().contains("certificate"), "{e}");

    let stranger = TestPki::new("Someone else's CA");
    let (s_cert, s_key) = stranger.issue("device", &names(&["DNS:reception-pc-1"]));
    let e = refused(
        connect(&tls_url(
            &cluster,
            "gp_p1",
            PASSWORD,
            "localhost",
            &pki,
            &format!("&sslcert={}&sslkey={}", s_cert.display(), s_key.display()),
        ))
        .await,
    );
    assert_eq!(e.code(), ErrorCode::PracticeAuthentication, "{e}");

    let gp = connect(&tls_url(
        &cluster,
        "gp_p1",
        PASSWORD,
        "localhost",
        &pki,
        &device,
    ))
    .await
    .unwrap();
    let row = gp
        .client()
        .query_one(
            "SELECT session_user::text, s.ssl, s.client_dn FROM pg_stat_ssl s \
             WHERE s.pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "gp_p1");
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, String>(2), "/CN=reception-pc-1");
    assert_eq!(gp.session_practice().await.unwrap(), "PRC1");
    // The device's certificate does not stand in for the person's password.
    assert_eq!(
        refused(
            connect(&tls_url(
                &cluster,
                "gp_p1",
                "not the password",
                "localhost",
                &pki,
                &device
            ))
            .await
        )
        .code(),
        ErrorCode::PracticeAuthentication
    );
}

/// TLS asked for, and a server without TLS: refused, never plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_tls_is_not_used_when_tls_is_asked_for() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let url = format!("{}?sslmode=verify-full", cluster.superuser_url());
    let e = refused(connect(&url).await);
    assert_eq!(e.code(), ErrorCode::PracticeInsecureConnection, "{e}");
    // Plain loopback stays allowed when not asked for.
    connect(&cluster.superuser_url()).await.unwrap();
}

/// Settings that cannot work are refused before connecting.
#[tokio::test]
async fn tls_settings_are_checked_before_connecting() {
    let code = |r: Result<PracticeDb, PracticeError>| refused(r).code();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here").unwrap();
    for url in [
        format!(
            "postgres://u:p@localhost/db?sslrootcert={}",
            empty.display()
        ),
        "postgres://u:p@localhost/db?sslrootcert=/nonexistent/ca.pem".to_string(),
        "postgres://u:p@localhost/db?sslmode=verify-full&sslcert=/some/cert.pem".to_string(),
        "postgres://u:p@localhost/db?sslmode=sometimes".to_string(),
        "host=/run/postgresql user=u sslmode=verify-full".to_string(),
    ] {
        assert_eq!(
            code(connect(&url).await),
            ErrorCode::InvalidArgument,
            "{url}"
        );
    }
}
