//! A throwaway PostgreSQL cluster (feature `cluster`, also enabled by `test-support`): for tests,
//! and for `handover bench practice`.
//!
//! [`Cluster::start`] runs `initdb` and `pg_ctl` (PostgreSQL 15, from
//! `/usr/lib/postgresql/15/bin` or `HANDOVER_PG_BIN`) in a new temporary directory, on a free
//! loopback port with its socket in that directory, SCRAM authentication everywhere, and
//! `fsync` off (nothing in it outlives the test). When run as root the server runs as the
//! `postgres` OS user (PostgreSQL refuses to run as root). Dropping the cluster stops it
//! (`pg_ctl stop -m immediate`) and removes the directory, also when a test panics.
//!
//! [`Cluster::start_tls`] starts one that takes TCP connections over TLS only, with a server
//! certificate from a [`TestPki`] (a certificate authority made with the `openssl` command
//! in a temporary directory; no key outlives the test).
//!
//! Missing binaries fail the test with "run make deps-test": nothing is skipped.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The superuser's password in every test cluster (loopback only, gone with the cluster).
pub const SUPERUSER_PASSWORD: &str = "handover-test-superuser";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn pg_bin() -> PathBuf {
    std::env::var_os("HANDOVER_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// The uid and gid of the `postgres` OS user.
fn postgres_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&"postgres") && f.len() > 3)
                .then(|| (f[2].parse().ok(), f[3].parse().ok()))
        })
        .and_then(|(u, g)| Some((u?, g?)))
        .expect("no postgres OS user: PostgreSQL is not installed: run make deps-test")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Cluster {
    /// Starts a new cluster; panics (failing the test) if PostgreSQL is missing or will not
    /// start.
    pub fn start() -> Cluster {
        Cluster::start_with(None, false)
    }

    /// Starts a cluster that commits durably, as a real server does (PostgreSQL's defaults:
    /// `fsync`, `synchronous_commit` and `full_page_writes` on): for `handover bench practice
    /// --durable`, where a commit's flush to disk is part of what is measured.
    pub fn start_durable() -> Cluster {
        Cluster::start_with(None, true)
    }

    /// Starts a cluster that accepts TCP connections only over TLS (`hostssl` in
    /// pg_hba.conf, SCRAM passwords), with a server certificate issued by `tls.pki` for
    /// `tls.server_names`; with `tls.client_cert`, a device certificate signed by the same
    /// authority is required as well (`clientcert=verify-ca`: any device of the practice;
    /// who logs in is still the SCRAM role).
    pub fn start_tls(tls: &ServerTls) -> Cluster {
        Cluster::start_with(Some(tls), false)
    }

    fn start_with(tls: Option<&ServerTls>, durable: bool) -> Cluster {
        let bin = pg_bin();
        for tool in ["initdb", "pg_ctl", "postgres"] {
            assert!(
                bin.join(tool).is_file(),
                "PostgreSQL 15 is not installed ({} is missing): run make deps-test",
                bin.join(tool).display()
            );
        }
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("handover-pg-")
            .tempdir_in(std::env::temp_dir())
            .expect("temporary directory");
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).expect("write pwfile");
        if as_postgres {
            let (uid, gid) = postgres_ids();
            for p in [dir.path(), pwfile.as_path()] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).expect("chown to postgres");
            }
        }
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let mut ssl_options = String::new();
        if let Some(tls) = tls {
            // The server's files in the cluster's directory, the key readable by the server's
            // OS user only (PostgreSQL refuses a key others can read).
            let days = if tls.server_expired { -1 } else { 2 };
            let (cert, key) = tls.pki.issue_for_days("server", &tls.server_names, days);
            let dir = cluster.dir.path();
            for (from, to) in [
                (cert, "server.crt"),
                (key, "server.key"),
                (tls.pki.ca_cert(), "ca.crt"),
            ] {
                let target = dir.join(to);
                std::fs::copy(from, &target).expect("copy a TLS file");
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
                    .expect("chmod a TLS file");
                if cluster.as_postgres {
                    let (uid, gid) = postgres_ids();
                    std::os::unix::fs::chown(&target, Some(uid), Some(gid))
                        .expect("chown to postgres");
                }
            }
            ssl_options = format!(
                " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key \
                 -c ssl_ca_file={0}/ca.crt",
                dir.display()
            );
            let client = if tls.client_cert {
                " clientcert=verify-ca"
            } else {
                ""
            };
            let hba = format!(
                "local all all scram-sha-256\n\
                 hostssl all all 127.0.0.1/32 scram-sha-256{client}\n\
                 hostssl all all ::1/128 scram-sha-256{client}\n"
            );
            let hba_path = dir.join("data").join("pg_hba.conf");
            std::fs::write(&hba_path, hba).expect("write pg_hba.conf");
        }
        // A free port can be taken between our check and the server's bind: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port();
            let fast = if durable {
                ""
            } else {
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            };
            let options = format!(
                "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}{fast} \
                 -c max_connections=120 -c log_min_messages=warning{ssl_options}",
                cluster.port,
                cluster.dir.path().display()
            );
            let log = cluster.dir.path().join("server.log");
            let status = cluster.command(
                "pg_ctl",
                &[
                    "start",
                    "-w",
                    "-t",
                    "30",
                    "-D",
                    &data,
                    "-l",
                    &log.display().to_string(),
                    "-o",
                    &options,
                ],
            );
            if status.status.success() {
                return cluster;
            }
            last = format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&status.stdout),
                String::from_utf8_lossy(&status.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start: {last}");
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn command(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool, args);
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the server's socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A URL for a login over loopback TCP.
    pub fn url(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// The superuser's URL.
    pub fn superuser_url(&self) -> String {
        self.url("postgres", SUPERUSER_PASSWORD)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.command("pg_ctl", &["stop", "-m", "immediate", "-w", "-D", &data]);
        // The TempDir removes the directory after this.
    }
}

/// How [`Cluster::start_tls`] sets up TLS.
pub struct ServerTls<'a> {
    /// The authority that issues the server's certificate and whose devices are accepted.
    pub pki: &'a TestPki,
    /// The names in the server certificate (`DNS:localhost`, `IP:127.0.0.1`, ...).
    pub server_names: Vec<String>,
    /// Require a client certificate signed by `pki` (`clientcert=verify-ca`).
    pub client_cert: bool,
    /// Give the server a certificate that expired yesterday.
    pub server_expired: bool,
}

/// A throwaway certificate authority (EC P-256, valid two days), made with the `openssl`
/// command in a temporary directory, which it issues certificates into.
pub struct TestPki {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (run make deps-test): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPki {
    /// A new authority named `name` (its certificate's common name).
    pub fn new(name: &str) -> TestPki {
        let dir = tempfile::Builder::new()
            .prefix("handover-pki-")
            .tempdir_in(std::env::temp_dir())
            .expect("temporary directory");
        openssl(
            dir.path(),
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                &format!("/CN={name}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        TestPki { dir }
    }

    /// The authority's certificate (PEM): what a device trusts (`sslrootcert`).
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// Issues a certificate for `names` (`DNS:...`/`IP:...`; the first, without its prefix,
    /// is also the common name) valid for server and client use; returns the certificate's
    /// and the key's (PKCS#8 PEM) paths, named after `file`.
    pub fn issue(&self, file: &str, names: &[String]) -> (PathBuf, PathBuf) {
        self.issue_for_days(file, names, 2)
    }

    /// As [`TestPki::issue`], valid for `days` from now (negative: it expired that long ago).
    pub fn issue_for_days(&self, file: &str, names: &[String], days: i32) -> (PathBuf, PathBuf) {
        let dir = self.dir.path();
        let cn = names
            .first()
            .map(|n| n.split_once(':').map(|(_, v)| v).unwrap_or(n))
            .unwrap_or(file);
        let ext = dir.join(format!("{file}.ext"));
        let mut text = String::from(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth,clientAuth\n",
        );
        if !names.is_empty() {
            text.push_str(&format!("subjectAltName={}\n", names.join(",")));
        }
        std::fs::write(&ext, text).expect("write the extensions");
        let (key, csr, crt) = (
            format!("{file}.key"),
            format!("{file}.csr"),
            format!("{file}.crt"),
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={cn}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                &days.to_string(),
                "-extfile",
                &ext.display().to_string(),
            ],
        );
        // A device's key readable by its owner only, as `connect` requires.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.join(&key), std::fs::Permissions::from_mode(0o600))
                .expect("key permissions");
        }
        (dir.join(crt), dir.join(key))
    }
}
