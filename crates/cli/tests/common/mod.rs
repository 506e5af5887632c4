//! What the practice-store CLI tests share (`mod common;` in each): a throwaway PostgreSQL 15
//! cluster with one practice and its logins (`Server`), `handover serve --once` over a folder
//! mailbox, and desktops (`Desktop`: a data directory of its own, whose store key is in the OS
//! keyring, and the person's practice login). Each test file adds what only it needs through
//! its own extension traits.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use handover_practice::testing::Cluster;
use handover_practice::{connect, PracticeDb};

/// Every test login's password.
pub const PASSWORD: &str = "correct horse battery";

/// A command's outcome, for an assertion's message.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `handover` with the practice's identity and nothing from the environment that would pick
/// another mailbox, person or fault-injection hook.
pub fn base(cmd: &mut Command) -> &mut Command {
    cmd.env("HANDOVER_PRACTICE_ODS", "Y99999")
        .env("HANDOVER_PRACTICE_NAME", "Riverside Surgery")
        .env_remove("HANDOVER_MAILBOX_DIR")
        .env_remove("HANDOVER_MESH_URL")
        .env_remove("HANDOVER_MESH_MAILBOX")
        .env_remove("HANDOVER_MESH_PASSWORD")
        .env_remove("HANDOVER_MESH_SHARED_KEY")
        .env_remove("HANDOVER_USER")
        .env_remove("HANDOVER_PRACTICE_PASSWORD")
        .env_remove("HANDOVER_TEST_HOLD_BEFORE_COMMIT")
        .env_remove("HANDOVER_TEST_CRASH_AFTER_COMMIT")
        .env_remove("HANDOVER_TEST_BATCH_MESSAGES")
        .env_remove("HANDOVER_TEST_DOCUMENT_PAGE")
        .env_remove("HANDOVER_TEST_CRASH_BEFORE_PAGE_COMMIT")
        .env_remove("HANDOVER_TEST_HOLD_BEFORE_EVENTS")
        .env_remove("HANDOVER_TEST_CRASH_BEFORE_REMATCH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
}

/// A practice server: a throwaway cluster with practice PRC1 ("Riverside Surgery").
pub struct Server {
    pub cluster: Cluster,
    pub rt: tokio::runtime::Runtime,
}

impl Server {
    /// PRC1 with a puller (`puller_a`) and two GPs (`gp_one`, `gp_two`).
    pub fn start() -> Server {
        Server::start_with(&[("puller_a", "puller"), ("gp_one", "gp"), ("gp_two", "gp")])
    }

    /// PRC1 with these logins and roles.
    pub fn start_with(people: &[(&str, &str)]) -> Server {
        let cluster = Cluster::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut su = connect(&cluster.superuser_url()).await.unwrap();
            su.init("PRC1", "Riverside Surgery").await.unwrap();
            for (login, role) in people {
                su.add_user("PRC1", login, role, PASSWORD).await.unwrap();
            }
        });
        Server { cluster, rt }
    }

    pub fn url(&self, login: &str) -> String {
        self.cluster.url(login, PASSWORD)
    }

    /// A new superuser connection (a new one each time: a restore ends the old ones).
    pub fn superuser(&self) -> PracticeDb {
        self.rt
            .block_on(connect(&self.cluster.superuser_url()))
            .unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        let su = self.superuser();
        self.rt
            .block_on(su.client().query_one(sql, &[]))
            .unwrap()
            .get(0)
    }

    pub fn string(&self, sql: &str) -> String {
        let su = self.superuser();
        self.rt
            .block_on(su.client().query_one(sql, &[]))
            .unwrap()
            .get(0)
    }
}

/// `handover serve --once --json` over the folder `inbox`, as `puller_a`: its summary.
pub fn serve(server: &Server, inbox: &Path) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
    base(&mut cmd)
        .args([
            "serve", "--once", "--json", "--holder", "host-a", "--folder",
        ])
        .arg(inbox)
        .env("HANDOVER_PRACTICE_DATABASE", server.url("puller_a"))
        .env_remove("HANDOVER_DATA_DIR");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Writes `n` synthetic messages (seed `seed`) into the folder mailbox `inbox`.
pub fn mailbox(inbox: &Path, n: usize, seed: u64) -> Vec<handover_fixtures::Fixture> {
    std::fs::create_dir_all(inbox).unwrap();
    let fixtures = handover_fixtures::generate(n, seed);
    for f in &fixtures {
        std::fs::write(inbox.join(format!("s{seed}-{}", f.file_name)), &f.bytes).unwrap();
    }
    fixtures
}

/// A desktop: its own data directory, and the practice database URL (its person's login).
pub struct Desktop {
    pub data_dir: PathBuf,
    pub database: String,
}

impl Desktop {
    pub fn new(tmp: &Path, name: &str, database: String) -> Desktop {
        Desktop {
            data_dir: tmp.join(name),
            database,
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_handover"));
        base(&mut cmd)
            .args(args)
            .env("HANDOVER_DATA_DIR", &self.data_dir)
            .env("HANDOVER_PRACTICE_DATABASE", &self.database);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Runs `args`, which must succeed.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        out
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
    }

    pub fn sync(&self) -> serde_json::Value {
        self.json(&["sync", "--once", "--json"])
    }
}
