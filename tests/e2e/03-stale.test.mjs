// The stale-data banner against NHS's mesh-sandbox: a successful sync shows no banner; with the
// sandbox stopped, "Sync now" fails and the banner says why and as of when; with it back, "Sync
// now" succeeds and the banner goes away. Last, a response MESH refuses (its sender's mailbox
// does not exist) is reported in a "finished with problems" notice.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { axeViolations, fixtureMailbox, inspect, launch, listName, repoRoot, screenshot, until } from "./harness.mjs";

const venv = process.env.HANDOVER_TEST_VENV ?? path.join(homedir(), ".cache/handover/venv");
const python = path.join(venv, "bin/python");

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

async function healthy(port) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`);
    return r.ok;
  } catch {
    return false;
  }
}

async function startSandbox(port) {
  const child = spawn(python, ["-m", "uvicorn", "mesh_sandbox.api:app", "--host", "127.0.0.1", "--port", String(port), "--workers", "1", "--log-level", "warning"], {
    env: { ...process.env, STORE_MODE: "memory", AUTH_MODE: "full", SHARED_KEY: "TestKey", MAILBOXES_DATA_DIR: "" },
    stdio: ["ignore", "ignore", "ignore"],
  });
  await until(() => healthy(port), { timeout: 60000, interval: 200, message: "mesh-sandbox /health" });
  return child;
}

async function stopSandbox(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

function hospitalSends(file) {
  const sent = spawnSync(python, [path.join(repoRoot, "tests/e2e/mesh_send.py"), "--url", `http://127.0.0.1:${port}`, "--mailbox", "X26ABC2", "--password", "password", "--shared-key", "TestKey", "--to", "X26ABC1", "--workflow", "TOC_FHIR_IP_DISCH", file], { encoding: "utf8" });
  assert.equal(sent.status, 0, sent.stderr);
}

let sandbox;
let session;
let port;
let doc;

before(async () => {
  // These tests never skip: without the sandbox they fail, saying how to get it.
  assert.ok(existsSync(python), `no mesh-sandbox venv at ${venv}: run \`make deps-test\` (or set HANDOVER_TEST_VENV)`);
  port = await freePort();
  sandbox = await startSandbox(port);
  // The hospital (X26ABC2) sends one discharge summary to the practice (X26ABC1).
  const { pristine } = fixtureMailbox({ count: 1, seed: 11 });
  const generated = path.join(pristine, "0001-inpatient-discharge.xml");
  doc = inspect(generated);
  // Its ITK3 response goes to the sender's endpoint: make that the hospital's sandbox mailbox.
  const file = path.join(pristine, "to-send.xml");
  writeFileSync(file, readFileSync(generated, "utf8").replace(/(<endpoint value=")[A-Z0-9]+(")/, "$1X26ABC2$2"));
  hospitalSends(file);
  session = await launch({
    env: {
      HANDOVER_MESH_URL: `http://127.0.0.1:${port}`,
      HANDOVER_MESH_MAILBOX: "X26ABC1",
      HANDOVER_MESH_PASSWORD: "password",
      HANDOVER_MESH_SHARED_KEY: "TestKey",
      HANDOVER_STALE_MINUTES: "15",
    },
  });
});

after(async () => {
  await session?.close();
  await stopSandbox(sandbox);
});

const banner = (browser) => browser.execute(() => {
  const b = document.getElementById("stale-banner");
  return b ? { kind: b.getAttribute("data-kind"), text: b.textContent } : null;
});

test("the app syncs from mesh-sandbox and lists the document, with no stale banner", async () => {
  const { browser } = session;
  await until(async () => /New: 1 document$/.test(await (await browser.$("#list-summary")).getText()), { timeout: 30000, message: "one new document" });
  // The summary counts the rows before the list has fetched them: wait for the row itself.
  const name = listName(doc.patient);
  await until(async () => (await browser.execute(() => document.querySelector("#inbox-list [data-id]")?.textContent ?? "")).includes(name), { timeout: 10000, message: `a row for ${name}` });
  assert.match(await (await browser.$("#sync-indicator")).getText(), /^Synced at \d\d:\d\d$/);
  assert.equal(await banner(browser), null);
});

test("with the sandbox stopped a sync fails and the stale banner says why; a good sync removes it", async () => {
  const { browser } = session;
  await stopSandbox(sandbox);
  sandbox = null;
  await (await browser.$("#sync-now")).click();
  const shown = await until(async () => {
    const b = await banner(browser);
    return b && b.kind === "failing" ? b : null;
  }, { timeout: 60000, message: "the failing banner" });
  assert.match(shown.text, /Cannot reach MESH mailbox X26ABC1 since \d\d:\d\d \(.+\)\. Showing records as of \d\d:\d\d\./, shown.text);
  assert.match(await (await browser.$("#sync-indicator")).getText(), /^Sync failed at \d\d:\d\d$/);
  // What is shown stays shown: the cached document is still listed.
  assert.ok((await browser.execute(() => document.querySelectorAll("#inbox-list [data-id]").length)) === 1);
  await screenshot(browser, "03-stale-banner");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));

  sandbox = await startSandbox(port);
  await until(async () => !(await (await browser.$("#sync-now")).getAttribute("disabled")) && true, { message: "Sync now enabled" });
  await (await browser.$("#sync-now")).click();
  await until(async () => (await banner(browser)) === null, { timeout: 60000, message: "the banner to go" });
  assert.match(await (await browser.$("#sync-indicator")).getText(), /^Synced at \d\d:\d\d$/);
  await screenshot(browser, "03-after-recovery");
});

test("a response MESH refuses is reported as a sync that finished with problems", async () => {
  const { browser } = session;
  // A second document whose sender endpoint (an ODS-style code) is no mailbox in the sandbox.
  const { pristine } = fixtureMailbox({ count: 1, seed: 12 });
  const file = path.join(pristine, "0001-inpatient-discharge.xml");
  const endpoint = /<endpoint value="([A-Z0-9]+)"/.exec(readFileSync(file, "utf8"))[1];
  hospitalSends(file);
  await until(async () => !(await (await browser.$("#sync-now")).getAttribute("disabled")) && true, { message: "Sync now enabled" });
  await (await browser.$("#sync-now")).click();
  const shown = await until(async () => {
    const b = await banner(browser);
    return b && b.kind === "problems" ? b : null;
  }, { timeout: 60000, message: "the problems notice" });
  assert.match(shown.text, /The last sync finished with problems/);
  assert.match(shown.text, /1 acknowledgement to a sending hospital could not be sent\./);
  const details = await browser.execute(() => [...document.querySelectorAll("#stale-banner .app-stale__detail")].map((p) => p.textContent));
  assert.equal(details.length, 1, JSON.stringify(details));
  assert.match(details[0], new RegExp(`^\\[mesh_rejected\\] response 20013 to ${endpoint}: `), details[0]);
  // The document itself was stored and is listed; the sync is not reported as failed.
  await until(async () => (await browser.execute(() => document.querySelectorAll("#inbox-list [data-id]").length)) === 2, { message: "two documents" });
  assert.match(await (await browser.$("#sync-indicator")).getText(), /^Synced at \d\d:\d\d$/);
  await (await browser.$("#stale-banner summary")).click();
  await screenshot(browser, "03-sync-problems");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});
