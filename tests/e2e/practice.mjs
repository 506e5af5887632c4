// A throwaway PostgreSQL 15 cluster for the end-to-end tests of the practice server (issue 14),
// as crates/practice/src/testing.rs starts one for the Rust tests: initdb and pg_ctl (as the
// `postgres` user when run as root) in a temporary directory, on a free loopback port, with
// scram passwords. It can be stopped and started again on the same port (the "server down"
// test). Nothing here is a fake: the app talks to this real server.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const bin = process.env.HANDOVER_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const SUPERUSER_PASSWORD = "handover-e2e-superuser";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function postgresIds() {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("no postgres OS user: PostgreSQL is not installed: run make deps-test");
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export class PracticeCluster {
  constructor() {
    for (const tool of ["initdb", "pg_ctl", "postgres", "psql", "pg_dump", "pg_restore"]) {
      if (!existsSync(path.join(bin, tool))) throw new Error(`PostgreSQL 15 is not installed (${bin}/${tool} is missing): run make deps-test`);
    }
    this.asPostgres = process.getuid?.() === 0;
    this.dir = mkdtempSync(path.join(tmpdir(), "handover-e2e-pg-"));
    this.data = path.join(this.dir, "data");
    this.port = 0;
    const pwfile = path.join(this.dir, "pwfile");
    writeFileSync(pwfile, SUPERUSER_PASSWORD);
    if (this.asPostgres) {
      const { uid, gid } = postgresIds();
      chownSync(this.dir, uid, gid);
      chownSync(pwfile, uid, gid);
    }
    this.run("initdb", ["-D", this.data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C", "--no-sync"]);
  }

  command(tool, args) {
    const exe = path.join(bin, tool);
    const [cmd, argv] = this.asPostgres ? ["runuser", ["-u", "postgres", "--", exe, ...args]] : [exe, args];
    return spawnSync(cmd, argv, { cwd: this.dir, encoding: "utf8", env: { ...process.env, PGPASSWORD: SUPERUSER_PASSWORD } });
  }

  run(tool, args) {
    const r = this.command(tool, args);
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Starts the server: on a free port the first time, on the same port after a stop. */
  async start() {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!this.port) this.port = await freePort();
      const options = `-c port=${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c log_min_messages=warning`;
      const r = this.command("pg_ctl", ["start", "-w", "-t", "30", "-D", this.data, "-l", path.join(this.dir, "server.log"), "-o", options]);
      if (r.status === 0) return;
      if (attempt === 4) throw new Error(`PostgreSQL did not start: ${r.stdout}${r.stderr}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  /** Stops the server as an outage would look to the desktops (connections closed at once). */
  stop() {
    this.run("pg_ctl", ["stop", "-m", "fast", "-w", "-D", this.data]);
  }

  url(login, password) {
    return `postgres://${login}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/postgres`;
  }

  superuserUrl() {
    return this.url("postgres", SUPERUSER_PASSWORD);
  }

  /** One value from a query, as the superuser. */
  query(sql) {
    return this.client("psql", ["-At", "-d", this.superuserUrl(), "-c", sql]).trim();
  }

  /** A client tool (psql, pg_dump, pg_restore) as this user: it reaches the server over TCP. */
  client(tool, args) {
    const r = spawnSync(path.join(bin, tool), args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** A backup of the practice database (`pg_dump`, custom format) into `file`. */
  backup(file) {
    this.client("pg_dump", ["--format=custom", "--file", file, "--dbname", this.superuserUrl()]);
  }

  /** Restores the backup in `file`: the database dropped (its connections ended) and made again from it. */
  restore(file) {
    const template = `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${this.port}/template1`;
    for (const sql of ["DROP DATABASE postgres WITH (FORCE)", "CREATE DATABASE postgres"]) this.client("psql", ["-At", "-d", template, "-c", sql]);
    this.client("pg_restore", ["--exit-on-error", "--dbname", this.superuserUrl(), file]);
  }

  /** Stops the server (if running) and removes its directory. */
  destroy() {
    this.command("pg_ctl", ["stop", "-m", "immediate", "-w", "-D", this.data]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
