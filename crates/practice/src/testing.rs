//! A throwaway PostgreSQL cluster for tests (feature `test-support`).
//!
//! [`Cluster::start`] runs `initdb` and `pg_ctl` (PostgreSQL 15, from
//! `/usr/lib/postgresql/15/bin` or `HANDOVER_PG_BIN`) in a new temporary directory, on a free
//! loopback port with its socket in that directory, SCRAM authentication everywhere, and
//! `fsync` off (nothing in it outlives the test). When run as root the server runs as the
//! `postgres` OS user (PostgreSQL refuses to run as root). Dropping the cluster stops it
//! (`pg_ctl stop -m immediate`) and removes the directory, also when a test panics.
//!
//! Missing binaries fail the test with "run make deps-test": nothing is skipped.

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
        // A free port can be taken between our check and the server's bind: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port();
            let options = format!(
                "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections=120 -c log_min_messages=warning",
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
