// Two desktops of one practice (issue 14): two app windows, each on its own data directory (its
// own encrypted cache, its own keyring key), against one real PostgreSQL practice server that
// `handover serve --once` filled from a folder mailbox. They poll only every 30 s: what they
// show of each other comes from the server's notifications. One files a document; the other
// shows it filed within seconds, with who filed it. The server stops: both show the stale banner with
// the practice server's name and keep reading their caches; a filing taken meanwhile on each is
// kept as pending; the server starts: both recover, the first filing sent wins, and the other
// desktop is told who filed it first. Last, the server is restored from a backup taken before
// that second filing: the desktop whose filing it was finds the break, sends the filing again,
// and both say what happened.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { axeViolations, cli, fixtureMailbox, inspect, laneCounts, launch, press, screenshot, selectFileable, storeRows, until } from "./harness.mjs";
import { PracticeCluster } from "./practice.mjs";

const PASSWORD = "correct horse battery";
const PRACTICE = { HANDOVER_PRACTICE_ODS: "Y99999", HANDOVER_PRACTICE_NAME: "Riverside Surgery" };

let pg;
let a;
let b;
let stored;
/** Pristine copies of the fixtures the practice's mailbox received. */
let pristine;
/** Documents in New on both desktops once they have pulled (some go to other lanes: GP review). */
let N;
/** A backup of the practice database taken after the first filing. */
const backup = path.join(mkdtempSync(path.join(tmpdir(), "handover-e2e-backup-")), "practice.dump");
/** The login whose filing won while the server was down, and the document's NHS number. */
let winnerLogin;

before(async () => {
  pg = new PracticeCluster();
  await pg.start();
  cli(["practice", "init", "--database", pg.superuserUrl(), "--practice", "PRC1", "--name", "Riverside Surgery"]);
  for (const [login, role] of [["puller", "puller"], ["alex_admin", "admin"], ["gita_gp", "gp"]]) {
    cli(["practice", "add-user", login, "--role", role, "--database", pg.superuserUrl()], { HANDOVER_PRACTICE_PASSWORD: PASSWORD });
  }
  // The practice's one MESH puller stores the mailbox's documents on the server.
  let mailbox;
  ({ mailbox, pristine } = fixtureMailbox({ count: 16, seed: 23 }));
  const round = JSON.parse(cli(["serve", "--once", "--json", "--holder", "e2e", "--folder", mailbox], { ...PRACTICE, HANDOVER_PRACTICE_DATABASE: pg.url("puller", PASSWORD) }));
  stored = round.stored;
  assert.ok(stored >= 4, JSON.stringify(round));
  const env = (login) => ({ ...PRACTICE, HANDOVER_PRACTICE_DATABASE: pg.url(login, PASSWORD), HANDOVER_PRACTICE_POLL_SECONDS: "30" });
  a = await launch({ env: env("alex_admin"), user: { name: "Alex Admin", role: "admin" } });
  b = await launch({ env: env("gita_gp"), user: { name: "Gita GP", role: "gp" } });
});

after(async () => {
  await a?.close();
  await b?.close();
  pg?.destroy();
});

const banner = (browser) =>
  browser.execute(() => {
    const el = document.getElementById("stale-banner");
    return el ? { kind: el.getAttribute("data-kind"), text: el.textContent } : null;
  });
const count = async (browser, queue) => Number(await (await browser.$(`[data-queue="${queue}"] .app-queues__count`)).getText());
const indicator = async (browser) => (await browser.$("#sync-indicator")).getText();
const selectedNhs = (browser) => browser.execute(() => document.querySelector("#inbox-list [role=option][aria-selected=true]")?.getAttribute("data-nhs") ?? null);
const paneNhs = (browser) =>
  browser.execute(() => {
    const nhs = document.querySelector("#document-pane [data-testid=patient-banner] .app-field--nhs .app-field__value")?.textContent ?? "";
    return (nhs.match(/\d{3} \d{3} \d{4}/)?.[0] ?? "").replace(/ /g, "") || null;
  });
const text = (browser, selector) => browser.execute((s) => document.querySelector(s)?.textContent ?? null, selector);

/** Puts the keyboard in the document list, with a row selected. */
async function focusList(browser) {
  await browser.execute(() => document.getElementById("inbox-list")?.focus());
  if ((await selectedNhs(browser)) === null) await press(browser, "j");
  await until(async () => (await selectedNhs(browser)) !== null, { message: "a selected row" });
}

/** Selects the listed document of `nhs` (a click on its row) and waits for the pane to show it. */
async function open(browser, nhs) {
  const row = await browser.$(`#inbox-list [data-nhs="${nhs}"]`);
  await row.waitForExist({ timeout: 10000 });
  await row.click();
  await until(async () => (await paneNhs(browser)) === nhs && (await browser.$("#work-panel")).isExisting(), { message: `document ${nhs} open` });
}

test("two desktops list the practice server's documents, each working as its practice login", async () => {
  for (const [{ browser }, login, role] of [[a, "alex_admin", "Admin"], [b, "gita_gp", "GP"]]) {
    // The person working is the practice login, with the role the practice gave it.
    await until(async () => (await text(browser, "#current-user")) === `${login} (${role})`, { message: `working as ${login}` });
    assert.equal(await (await browser.$("#switch-user")).isDisplayed(), false, "no switching to another person");
  }
  for (const { browser } of [a, b]) {
    await until(async () => (await count(browser, "all")) === stored, { timeout: 30000, message: `${stored} documents` });
  }
  N = laneCounts(a.dataDir).new;
  assert.ok(N >= 2, `${N} in New`);
  assert.deepEqual(laneCounts(b.dataDir), laneCounts(a.dataDir));
  for (const { browser } of [a, b]) {
    await until(async () => (await count(browser, "new")) === N, { message: `${N} documents in New` });
    assert.match(await indicator(browser), /^Synced at \d\d:\d\d$/);
    assert.equal(await banner(browser), null);
  }
  // The mailbox settings say where documents come from (and never show the password).
  await (await a.browser.$("#settings-button")).click();
  const settings = await a.browser.$("[data-testid=settings-practice]");
  await settings.waitForDisplayed({ timeout: 5000 });
  const words = await settings.getText();
  assert.match(words, /Riverside Surgery/);
  assert.match(words, new RegExp(`alex_admin@127\\.0\\.0\\.1:${pg.port}/postgres`));
  assert.ok(!words.includes(PASSWORD), words);
  await screenshot(a.browser, "08-practice-settings");
  await (await a.browser.$("#settings-close")).click();
});

test("a computer working alone joins the practice's inbox from its Mailbox screen (password to the keyring)", async () => {
  const c = await launch({ env: { ...PRACTICE, HANDOVER_PRACTICE_POLL_SECONDS: "30" }, user: { name: "Casey Coordinator", role: "care-coordinator" } });
  try {
    const { browser } = c;
    await until(async () => /No mailbox is configured/.test((await banner(browser))?.text ?? ""), { message: "the no-mailbox notice" });
    await (await browser.$("#settings-button")).click();
    const form = await browser.$("[data-testid=practice-form]");
    await form.waitForDisplayed({ timeout: 5000 });
    // A wrong password is refused and nothing is saved.
    await (await browser.$("#practice-url")).setValue(`postgres://gita_gp@127.0.0.1:${pg.port}/postgres`);
    await (await browser.$("#practice-password")).setValue("not the password");
    await (await browser.$("[data-testid=save-practice]")).click();
    await until(async () => /Not saved/.test((await text(browser, "[data-testid=practice-save-result]")) ?? ""), { message: "the refusal" });
    assert.match(await text(browser, "[data-testid=practice-save-result]"), /did not accept the login or password/);
    await (await browser.$("#practice-password")).setValue(PASSWORD);
    await (await browser.$("[data-testid=save-practice]")).click();
    await until(async () => /^Saved\./.test((await text(browser, "[data-testid=practice-save-result]")) ?? ""), { message: "saved" });
    assert.match(await text(browser, "[data-testid=practice-save-result]"), /shares the inbox of Riverside Surgery \(PRC1\) at gita_gp@127\.0\.0\.1:\d+\/postgres/);
    await screenshot(browser, "08-practice-joined");
    await (await browser.$("#settings-close")).click();
    await until(async () => (await count(browser, "all")) === stored, { timeout: 30000, message: "the practice's documents" });
    assert.equal(await banner(browser), null);
    // The Mailbox screen now lists the practice's people; the profile this computer had alone
    // (Casey Coordinator) is not one of them, so no work can be given to her here.
    await (await browser.$("#settings-button")).click();
    const people = await until(async () => {
      const logins = await browser.execute(() => [...document.querySelectorAll("[data-testid=practice-people] tbody tr")].map((tr) => tr.getAttribute("data-login")));
      return logins.length ? logins : null;
    }, { message: "the practice's people" });
    assert.deepEqual([...people].sort(), ["alex_admin", "gita_gp"], JSON.stringify(people));
    await screenshot(browser, "08-practice-people");
    await (await browser.$("#settings-close")).click();
    // Saved: the URL without the password in the store, the password in the keyring.
    const status = JSON.parse(cli(["status"], { HANDOVER_DATA_DIR: c.dataDir }));
    assert.equal(status.practice?.configured, true, JSON.stringify(status.practice));
    assert.ok(!JSON.stringify(status).includes(PASSWORD));
  } finally {
    await c.close();
  }
});

test("the register imported on one desktop reaches the other, which matches its documents alike", async () => {
  // Every fixture patient, registered, as the practice's register.
  const seen = new Set();
  const lines = ["nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date"];
  const csv = (v) => (/[",]/.test(v ?? "") ? `"${v.replace(/"/g, '""')}"` : (v ?? ""));
  for (const f of readdirSync(pristine).filter((n) => n.endsWith(".xml"))) {
    const p = inspect(path.join(pristine, f)).patient;
    if (!p?.nhs_number || !p.birth_date || seen.has(p.nhs_number)) continue;
    seen.add(p.nhs_number);
    lines.push([p.nhs_number, csv(p.family ?? ""), csv((p.given ?? []).join(" ")), p.birth_date.slice(0, 10), p.gender ?? "", csv(p.postcode ?? ""), "registered", ""].join(","));
  }
  assert.ok(lines.length > 2, lines.join("\n"));
  const file = path.join(mkdtempSync(path.join(tmpdir(), "handover-e2e-register-")), "register.csv");
  writeFileSync(file, `${lines.join("\n")}\n`);
  assert.equal(await (await b.browser.$("#register-banner")).isExisting(), true, "B has no register yet");
  // Imported on A's computer (from the command line, as A's practice login): it goes to the server.
  const imported = JSON.parse(cli(["register", "import", file, "--json"], { ...PRACTICE, HANDOVER_DATA_DIR: a.dataDir, HANDOVER_PRACTICE_DATABASE: pg.url("alex_admin", PASSWORD) }));
  assert.deepEqual(imported.rejected ?? [], [], JSON.stringify(imported));
  // B takes it at once (the server's notification), and its banner goes.
  await until(async () => !(await (await b.browser.$("#register-banner")).isExisting()), { timeout: 10000, message: "B's register banner to go" });
  // Both desktops now match the documents alike.
  await until(async () => {
    const lanes = (d) => storeRows(d).map((r) => `${r.nhs_number}:${r.match}:${r.status}`).sort().join(" ");
    return lanes(a.dataDir) === lanes(b.dataDir) && storeRows(b.dataDir).some((r) => r.match === "matched");
  }, { message: "both desktops matched alike" });
  N = laneCounts(a.dataDir).new;
  // A's own window follows too, without Sync now: the import ran in another process on A's
  // store (which may have taken the register before the window's own pull did, so the pull
  // brings nothing), and the window notices the store changed under it.
  for (const { browser } of [a, b]) await until(async () => (await count(browser, "new")) === N, { timeout: 15000, message: "New recounted" });
});

test("a document filed on one desktop shows as filed on the other within seconds, with who filed it", async () => {
  // B reads the document in All (where a filed document stays listed).
  await focusList(a.browser);
  const id = await selectFileable(a.browser);
  assert.ok(id);
  const nhs = await selectedNhs(a.browser);
  await press(b.browser, "5");
  await open(b.browser, nhs);
  assert.equal(await text(b.browser, "#work-filed"), null, "not filed yet");

  await until(async () => (await paneNhs(a.browser)) === nhs, { message: "A shows the document" });
  await press(a.browser, "f");
  await until(async () => /^Filed/.test((await text(a.browser, "#toast")) ?? ""), { message: "A's filing" });
  const filedAt = Date.now();
  const seen = await until(async () => {
    const t = await text(b.browser, "#work-filed");
    return t && /^Filed by alex_admin, \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d\.$/.test(t) ? t : null;
    // Well before B's next poll (30 s): the server's notification woke it.
  }, { timeout: 10000, message: "B's pane to show the filing" });
  const seconds = (Date.now() - filedAt) / 1000;
  console.log(`# B showed "${seen}" ${seconds.toFixed(1)} s after A filed`);
  await until(async () => (await count(b.browser, "new")) === N - 1 && (await count(b.browser, "filed")) === 1, { message: "B's queues" });
  assert.equal(await paneNhs(b.browser), nhs, "B still shows the same document");
  await screenshot(b.browser, "08-practice-filed-elsewhere");
  // B's history of the document names A's filing (from the practice log) and its own arrival.
  await b.browser.execute(() => {
    const history = document.getElementById("work-history");
    history.open = true;
    history.scrollIntoView({ block: "end" });
  });
  const history = await until(async () => {
    const t = await text(b.browser, "#work-history");
    return t && /Filed by alex_admin \(Admin\)/.test(t) ? t : null;
  }, { message: "B's history to show A's filing" });
  assert.match(history, /Received by Handover/, history);
  await screenshot(b.browser, "08-practice-history");
  // The practice log has the one filing, by A's login.
  assert.equal(pg.query("SELECT count(*) || ' ' || string_agg(actor, ',') FROM handover.events WHERE kind = 'filed'"), "1 alex_admin");
  pg.backup(backup);
});

test("with the practice server stopped both desktops say so and keep reading; filings wait as pending; the first sent wins", async () => {
  pg.stop();
  for (const { browser } of [a, b]) {
    const shown = await until(async () => {
      const s = await banner(browser);
      return s && s.kind === "failing" ? s : null;
    }, { timeout: 20000, message: "the failing banner" });
    assert.match(shown.text, /Cannot reach the practice server \(Riverside Surgery\) since \d\d:\d\d \(no connection\)\. Showing records as of \d\d:\d\d\./, shown.text);
    assert.match(await indicator(browser), /^Sync failed at \d\d:\d\d$/);
  }
  // Both still read their caches: the New queue, and a document opened in full.
  await press(a.browser, "1");
  await press(b.browser, "1");
  for (const { browser } of [a, b]) await until(async () => (await count(browser, "new")) === N - 1, { message: "New still listed" });

  // The same document filed on both desktops while the server is down.
  await focusList(a.browser);
  await press(a.browser, "Home");
  await selectFileable(a.browser);
  const nhs = await selectedNhs(a.browser);
  await until(async () => (await paneNhs(a.browser)) === nhs, { message: "A shows the document" });
  await open(b.browser, nhs);
  for (const { browser } of [a, b]) {
    await press(browser, "f");
    await until(async () => /^Filed/.test((await text(browser, "#toast")) ?? ""), { message: "the filing taken offline" });
    await until(async () => / · 1 pending$/.test(await indicator(browser)), { message: "one step pending" });
    const s = await banner(browser);
    assert.match(s.text, /1 step taken on this computer is not yet on the practice server: it is kept here and sent when it can be reached\./, s.text);
  }
  // On B the document (in Filed, here) says its filing is pending.
  await press(b.browser, "4");
  await open(b.browser, nhs);
  assert.match(await text(b.browser, "#work-pending"), /^Pending 1 step on this document is not yet on the practice server/);
  await screenshot(b.browser, "08-practice-offline-pending");
  const violations = await axeViolations(b.browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));

  // The server comes back: both send their filing; the practice takes the first, refuses the other.
  const told = new Map();
  await pg.start();
  await until(async () => {
    for (const [name, { browser }] of [["A", a], ["B", b]]) {
      const t = await text(browser, "#toast");
      if (t && /already filed by/.test(t)) told.set(name, t);
    }
    const done = [];
    for (const { browser } of [a, b]) done.push((await banner(browser)) === null && /^Synced at \d\d:\d\d$/.test(await indicator(browser)));
    return done.every(Boolean) && told.size > 0;
  }, { timeout: 30000, interval: 200, message: "both desktops back, and the later filing refused" });
  assert.equal(told.size, 1, JSON.stringify([...told]));
  const [[loser, message]] = [...told];
  const winner = loser === "A" ? "gita_gp" : "alex_admin";
  winnerLogin = winner;
  assert.match(message, new RegExp(`^Not recorded on the practice server: Filed \\(document \\d+\\): already filed by ${winner} at \\d\\d-[A-Z][a-z]{2}-\\d{4} \\d\\d:\\d\\d\\.$`), message);
  assert.equal(pg.query("SELECT count(*) FROM handover.events WHERE kind = 'filed'"), "2");
  // Both caches agree: two filed, nothing pending, and the document names the one who filed it first.
  for (const { browser } of [a, b]) {
    await until(async () => (await count(browser, "filed")) === 2 && (await count(browser, "new")) === N - 2, { message: "the queues converge" });
  }
  // B names who filed first: the practice login, whichever desktop it was.
  await until(async () => (await text(b.browser, "#work-filed"))?.startsWith(`Filed by ${winner}, `), { message: "B names who filed first" });
  assert.equal(await text(b.browser, "#work-pending"), null);
  await screenshot(b.browser, "08-practice-recovered");
});

test("a practice server restored from an older backup is noticed, the lost filing sent again, and both desktops say so", async () => {
  assert.ok(winnerLogin, "the previous test decided a winner");
  const [winner] = winnerLogin === "alex_admin" ? [a, b] : [b, a];
  pg.restore(backup);
  // The desktop whose filing the server lost finds the break and sends its filing again.
  const notice = await until(async () => {
    const s = await banner(winner.browser);
    return s && s.kind === "chain-break" ? s : null;
  }, { timeout: 30000, message: "the restored-from-backup notice" });
  assert.match(notice.text, /The practice server was restored from a backup/);
  assert.match(notice.text, /the practice server was found to have gone back to an older copy/);
  assert.match(notice.text, /\d+ entr(y|ies) of this computer's audit trail \(steps, documents opened\) (was|were) sent to it again\./, notice.text);
  await until(async () => pg.query("SELECT count(*) FROM handover.events WHERE kind = 'filed'") === "2", { message: "the filing back on the server" });
  // The first filing (A's, in the backup) and the resent one, by whoever filed it first.
  assert.equal(pg.query("SELECT string_agg(actor, ',' ORDER BY seq) FROM handover.events WHERE kind = 'filed'"), `alex_admin,${winnerLogin}`);
  await screenshot(winner.browser, "08-practice-restored");
  // The other desktop ends where it was (whether it notices the break depends on whether the
  // filing was back, in the same place of the log, before it next pulled).
  for (const { browser } of [a, b]) {
    await until(async () => (await count(browser, "filed")) === 2 && (await count(browser, "new")) === N - 2, { message: "the queues as before the restore" });
    assert.match(await indicator(browser), /^Synced at \d\d:\d\d$/);
  }
});

test("the GP's audit trail is the practice's: everyone's steps with this computer's own, and all three logs verify", async () => {
  const { browser } = b;
  await press(browser, "l");
  await (await browser.$("#audit-page")).waitForDisplayed({ timeout: 5000 });
  await until(async () => browser.execute(() => !!document.querySelector("[data-testid=audit-events]")), { message: "the events" });
  const rows = () =>
    browser.execute(() =>
      [...document.querySelectorAll("[data-testid=audit-events] tbody tr")].map((tr) => ({
        log: tr.getAttribute("data-log"),
        state: tr.getAttribute("data-state"),
        kind: tr.getAttribute("data-kind"),
        place: tr.querySelector("td")?.textContent,
        actor: tr.querySelector("td:nth-child(3)")?.firstChild?.textContent,
      })),
    );
  const shown = await rows();
  // A's steps come from the practice log; B's own arrivals from B's.
  assert.ok(shown.some((r) => r.log === "practice" && r.actor === "alex_admin" && r.kind === "filed"), JSON.stringify(shown));
  assert.ok(shown.some((r) => r.log === "desktop" && r.actor === "system" && r.kind === "received"), JSON.stringify(shown));
  assert.ok(shown.every((r) => /^(Practice|This computer) \d+$/.test(r.place)), JSON.stringify(shown));
  // B's filing taken offline: in the practice log if it won, else marked refused here.
  const mine = shown.filter((r) => r.actor === "gita_gp" && r.kind === "filed");
  assert.equal(mine.length, 1, JSON.stringify(shown));
  if (winnerLogin === "gita_gp") assert.equal(mine[0].log, "practice");
  else assert.deepEqual([mine[0].log, mine[0].state], ["desktop", "refused"]);
  assert.match(await text(browser, "#audit-trail-note"), /^The practice's log \(everyone's steps, from every computer\)/);
  // Only the practice's log.
  await browser.execute(() => {
    const select = document.getElementById("audit-log");
    select.value = "practice";
    select.closest("form").requestSubmit();
  });
  await until(async () => {
    const r = await rows();
    return r.length > 0 && r.every((x) => x.log === "practice");
  }, { message: "only the practice's entries" });
  // Verify: this computer's log, its copy of the practice's, and the server's.
  await (await browser.$("#audit-verify")).click();
  const verified = await until(() => text(browser, "[data-testid=verify-ok]"), { message: "the audit trail verifies" });
  assert.match(verified, /This computer's log: all \d+ events intact and in order\./, verified);
  assert.match(verified, /This computer's copy of the practice's log: all \d+ events intact and in order\./, verified);
  assert.match(verified, /The practice server's log: all \d+ events intact and in order\./, verified);
  await browser.execute(() => document.getElementById("events-heading")?.scrollIntoView());
  await screenshot(browser, "08-practice-audit");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});
