// Shared end-to-end harness: starts tauri-driver (which starts WebKitWebDriver, which starts the
// real app binary) with a throwaway HANDOVER_DATA_DIR, and opens a WebDriver session on it.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { remote } from "webdriverio";

export const artifacts = process.env.HANDOVER_E2E_ARTIFACTS ?? path.resolve("target/e2e-artifacts");
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, timeoutMs = 20000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const sock = new Socket();
      sock.once("connect", () => { sock.destroy(); resolve(true); });
      sock.once("error", () => resolve(false));
      sock.connect(port, "127.0.0.1");
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

/** The profile the app is started as unless a test asks otherwise. */
export const DEFAULT_USER = { name: "Alex Admin", role: "admin" };

/** Processes started for the data directory `dir` (the driver, WebKitWebDriver, the app). */
function processesFor(dir) {
  const mark = `HANDOVER_DATA_DIR=${dir}`;
  const found = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, "latin1").split("\0").includes(mark)) found.push(Number(p));
    } catch {
      /* gone, or not ours */
    }
  }
  return found;
}

/** Stops whatever a session left running (an app WebKitWebDriver did not close), TERM then KILL. */
async function stopLeftovers(dir) {
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    const left = processesFor(dir);
    if (!left.length) return;
    for (const pid of left) {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
}

/**
 * Launches the app. `env` adds variables for the app (e.g. HANDOVER_MESH_URL). `user`: the
 * profile to add (with the CLI, on the same store) and start as (HANDOVER_USER); null to start
 * with nobody chosen (the chooser shows). `users`: more profiles to add first.
 * Returns { browser, dataDir, close }.
 */
export async function launch({ env = {}, dataDir, user = DEFAULT_USER, users = [] } = {}) {
  const app = process.env.HANDOVER_APP;
  if (!app) throw new Error("HANDOVER_APP is not set (run through tests/e2e/run.sh)");
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), "handover-e2e-"));
  for (const u of [...(user ? [user] : []), ...users]) addUser(dir, u);
  if (user) env = { HANDOVER_USER: user.name, ...env };
  const port = await freePort();
  const nativePort = await freePort();
  // The driver's and the app's output go to a log file, not to the test runner: an app left
  // running would otherwise hold the runner's pipe open and the run would never end.
  const log = openSync(path.join(artifacts, `app-${path.basename(dir)}.log`), "a");
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, HANDOVER_DATA_DIR: dir, WEBKIT_DISABLE_COMPOSITING_MODE: "1", ...env },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  try {
    await waitForPort(port, driver);
    const browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      connectionRetryTimeout: 60000,
      connectionRetryCount: 1,
      capabilities: {
        "tauri:options": { application: path.resolve(app) },
        "wdio:enforceWebDriverClassic": true,
      },
    });
    const close = async () => {
      try {
        await browser.deleteSession();
      } finally {
        driver.kill("SIGTERM");
        await stopLeftovers(dir);
      }
    };
    return { browser, dataDir: dir, close };
  } catch (e) {
    driver.kill("SIGTERM");
    throw e;
  }
}

/**
 * Saves what the window shows as `<name>.png` under the artifacts directory. WebKitWebDriver can
 * return a frame painted before the latest DOM change, so wait for two animation frames first,
 * and also grab the whole X display (ImageMagick's `import`), which is what a person would see.
 */
export async function screenshot(browser, name) {
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await new Promise((r) => setTimeout(r, 400));
  const file = path.join(artifacts, `${name}.png`);
  // WebKitWebDriver's snapshot waits for the next painted frame; a page where nothing changes
  // (no toast fading, no sync) paints none, and the snapshot waits 30 s. A 1-pixel, nearly
  // transparent mark in the corner, animated while the snapshot is taken, keeps frames coming.
  await browser.execute(() => {
    const mark = document.createElement("div");
    mark.id = "e2e-paint-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.style.cssText = "position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none;z-index:-1";
    document.body.append(mark);
    let on = false;
    window.__e2ePaint = setInterval(() => (mark.style.opacity = (on = !on) ? "0.02" : "0.01"), 16);
  });
  try {
    await browser.saveScreenshot(file);
  } finally {
    await browser.execute(() => {
      clearInterval(window.__e2ePaint);
      document.getElementById("e2e-paint-mark")?.remove();
    });
  }
  const screen = spawnSync("import", ["-window", "root", path.join(artifacts, `${name}-screen.png`)]);
  if (screen.status !== 0) console.warn(`import -window root failed: ${screen.stderr}`);
  return file;
}

// ----- helpers for the inbox tests -------------------------------------------------------------

import { cpSync, readFileSync as readFile, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../..");

/** Runs the `handover` CLI (HANDOVER_CLI) and returns its stdout. */
export function cli(args, env = {}) {
  const bin = process.env.HANDOVER_CLI;
  if (!bin) throw new Error("HANDOVER_CLI is not set");
  const r = spawnSync(bin, args, { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`handover ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Writes the synthetic fixtures (seed 7) into a fresh folder mailbox and returns its path, plus the
 * directory holding pristine copies (the app moves mailbox files to processed/).
 */
export function fixtureMailbox({ count = 40, seed = 7, extra = {} } = {}) {
  const pristine = mkdtempSync(path.join(tmpdir(), "handover-fixtures-"));
  cli(["fixtures", "--count", String(count), "--out", pristine, "--seed", String(seed)]);
  const mailbox = mkdtempSync(path.join(tmpdir(), "handover-mailbox-"));
  cpSync(pristine, mailbox, { recursive: true });
  for (const [name, content] of Object.entries(extra)) writeFileSync(path.join(mailbox, name), content);
  return { mailbox, pristine };
}

/** Adds a profile to the store in `dataDir` with the CLI (nothing if it is there already). */
export function addUser(dataDir, { name, role }) {
  const env = { HANDOVER_DATA_DIR: dataDir };
  const existing = JSON.parse(cli(["user", "list", "--json"], env));
  if (existing.some((u) => u.name === name)) return;
  cli(["user", "add", name, "--role", role], env);
}

/** `handover inspect --json` of a file. */
export function inspect(file) {
  return JSON.parse(cli(["inspect", "--json", file]));
}

/** A patient as the inbox list names them: `SURNAME, Given` (as crates/inbox's list_name). */
export function listName(patient) {
  const family = (patient.family ?? "").trim();
  if (!family) return patient.name;
  const given = (patient.given ?? []).join(" ");
  return given ? `${family.toUpperCase()}, ${given}` : family.toUpperCase();
}

/** Polls `fn` (async, returns truthy when done) until it succeeds or `timeout` ms pass. */
export async function until(fn, { timeout = 20000, interval = 100, message = "condition" } = {}) {
  const started = Date.now();
  let last;
  while (Date.now() - started < timeout) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

const axeSource = () => readFile(path.join(repoRoot, "node_modules/axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core in the page (injected through WebDriver, which the page CSP does not govern) and
 * returns the serious and critical violations.
 */
export async function axeViolations(browser, { context } = {}) {
  const loaded = await browser.execute(() => typeof window.axe === "object");
  if (!loaded) await browser.execute(axeSource());
  const result = await browser.executeAsync((ctx, done) => {
    window.axe
      .run(ctx ? document.querySelector(ctx) : document, { resultTypes: ["violations"] })
      .then((r) => done(JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary) })))))
      .catch((e) => done(JSON.stringify({ error: String(e) })));
  }, context ?? null);
  const parsed = JSON.parse(result);
  if (parsed.error) throw new Error(`axe failed: ${parsed.error}`);
  return parsed.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Sends keys to whatever has focus (WebDriver Actions). */
export async function press(browser, ...keys) {
  for (const key of keys) await browser.keys(key);
}

/** The store's document rows (`handover list --json`) for the app launched on `dataDir`. */
export function storeRows(dataDir) {
  return JSON.parse(cli(["list", "--json"], { HANDOVER_DATA_DIR: dataDir }));
}

/** How many documents the store has in each lane ({ new, "needs-gp-review", ... }). */
export function laneCounts(dataDir) {
  const counts = { new: 0, "needs-gp-review": 0, "needs-action": 0, unmatched: 0, filed: 0, rejected: 0, superseded: 0 };
  for (const r of storeRows(dataDir)) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/**
 * Moves the list selection down (j) to the first document with no actions for the practice (one
 * that may be filed without deciding any), and returns its row id.
 */
export async function selectFileable(browser, { max = 60, skip = [] } = {}) {
  for (let i = 0; i < max; i++) {
    const id = await browser.execute(() => {
      const row = document.querySelector("#inbox-list [role=option][aria-selected=true]");
      return row && row.getAttribute("data-practice-actions") === "0" && row.querySelector(".app-row__action--none") ? row.getAttribute("data-id") : null;
    });
    if (id && !skip.includes(id)) return id;
    await browser.keys("j");
    await new Promise((r) => setTimeout(r, 80));
  }
  throw new Error("no document without actions for the practice in the list");
}
