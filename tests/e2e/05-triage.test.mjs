// Triage by keyboard alone, with the one invariant checked after every step: the document pane
// shows the selected row's document (the banner's NHS number is the row's) or nothing. File and
// Needs action open the next document and offer Undo; a stale action is refused by the core
// (`document_changed`) and the window recovers; the summary, the medicines and the quarantine
// read as a GP needs them; search covers every queue; and the window works at 1024x700,
// 1280x800, 1920x1080 and with text at 200%, with axe clean at each.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { Key } from "webdriverio";
import { axeViolations, fixtureMailbox, inspect, laneCounts, launch, press, screenshot, selectFileable, storeRows, until } from "./harness.mjs";

let session;
let fixtures;
before(async () => {
  fixtures = fixtureMailbox({ count: 40, seed: 7, extra: { "0099-garbage.xml": "<?xml version=\"1.0\"?><notABundle>not a ToC message</notABundle>" } });
  session = await launch({ env: { HANDOVER_MAILBOX_DIR: fixtures.mailbox } });
});
after(async () => {
  await session?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const summary = async (browser) => (await browser.$("#list-summary")).getText();
const toast = async (browser) => (await browser.$("#toast")).getText();
/** The summary line of the New queue holding `n` documents. */
const newIs = (n, suffix = "") => new RegExp(`^New: ${n} documents?${suffix}$`);
/** Documents in New once the start-up sync has stored them all (read from the store). */
let N;
const count = async (browser, queue) => Number(await (await browser.$(`[data-queue="${queue}"] .app-queues__count`)).getText());

/** What the window shows: the selected row (of the list in view) and what the document pane holds. */
function readState(browser) {
  return browser.execute(() => {
    const quarantine = !document.getElementById("quarantine-list").hidden;
    const list = document.getElementById(quarantine ? "quarantine-list" : "inbox-list");
    const row = list.querySelector("[role=option][aria-selected=true]");
    const pane = document.getElementById("document-pane");
    const doc = pane.querySelector(".app-doc[data-document-id]");
    const message = pane.querySelector(".app-doc[data-quarantine-id]");
    const banner = pane.querySelector("[data-testid=patient-banner]");
    const nhs = banner?.querySelector(".app-field--nhs .app-field__value")?.textContent ?? null;
    return {
      quarantine,
      rowId: row?.getAttribute("data-id") ?? null,
      rowMessageId: row?.getAttribute("data-message-id") ?? null,
      rowNhs: row?.getAttribute("data-nhs") ?? null,
      docId: doc?.getAttribute("data-document-id") ?? null,
      messageId: message?.getAttribute("data-quarantine-id") ?? null,
      bannerNhs: nhs ? (nhs.match(/\d{3} \d{3} \d{4}/)?.[0] ?? "").replace(/ /g, "") : null,
      hasBanner: !!banner,
      busy: pane.getAttribute("aria-busy") === "true",
    };
  });
}

/** Never a document other than the selected row's: checked at once, whatever is still loading. */
function checkNoWrongDocument(s, step) {
  if (s.quarantine) {
    assert.equal(s.hasBanner, false, `${step}: a patient banner is shown in quarantine`);
    assert.equal(s.docId, null, `${step}: a document is shown in quarantine`);
    if (s.messageId !== null) assert.equal(s.messageId, s.rowMessageId, `${step}: the pane shows another message than the selected row's`);
    return;
  }
  if (s.docId !== null || s.hasBanner) {
    assert.equal(s.docId, s.rowId, `${step}: the pane shows document ${s.docId} but row ${s.rowId} is selected`);
    assert.equal(s.bannerNhs, s.rowNhs, `${step}: banner NHS ${s.bannerNhs} is not the selected row's ${s.rowNhs}`);
  }
}

/**
 * The invariant after a step: checked immediately (nothing wrong is ever shown, even while the
 * next document loads), then once the pane has settled: the selected row's document, or nothing.
 */
async function invariant(browser, step, { expectShown = true } = {}) {
  checkNoWrongDocument(await readState(browser), `${step} (at once)`);
  const s = await until(
    async () => {
      const st = await readState(browser);
      checkNoWrongDocument(st, `${step} (settling)`);
      if (st.busy) return null;
      const settled = st.quarantine ? st.messageId === st.rowMessageId : st.docId === st.rowId;
      return settled || (!expectShown && st.docId === null && st.messageId === null) ? st : null;
    },
    { message: `the pane to follow the selection after ${step}` },
  );
  checkNoWrongDocument(s, step);
  if (!s.quarantine && s.docId !== null) assert.ok(s.bannerNhs && s.bannerNhs.length === 10, `${step}: banner NHS number shown`);
  return s;
}

/** Empties the search box and waits for the unsearched list. */
async function clearSearch(browser) {
  await browser.execute(() => {
    const s = document.getElementById("search");
    s.value = "";
    s.dispatchEvent(new Event("input"));
  });
  await until(async () => browser.execute(() => document.getElementById("inbox-list").getAttribute("data-search") === "" && document.getElementById("inbox-list").getAttribute("aria-busy") === "false"), { message: "search cleared" });
}

/** Calls a Handover command from the webview, as the window would: a second path into the core. */
async function invoke(browser, command, args) {
  const answer = await browser.executeAsync(
    (command, args, done) => {
      window.__TAURI_INTERNALS__.invoke(command, args).then(
        (value) => done(JSON.stringify({ ok: true, value })),
        (error) => done(JSON.stringify({ ok: false, error })),
      );
    },
    command,
    args,
  );
  return JSON.parse(answer);
}

test("the inbox opens on the first document of New", async () => {
  const { browser } = session;
  await (await browser.$("h1#inbox-heading")).waitForDisplayed({ timeout: 20000 });
  // All 40 fixtures are stored (the garbage one quarantined); New holds those no person needs to
  // look at first: mental health discharges wait in Needs GP review, replaced versions in Superseded.
  await until(async () => (await count(browser, "all")) === 40, { timeout: 30000, message: "40 documents stored" });
  const lanes = laneCounts(session.dataDir);
  N = lanes.new;
  const rows = storeRows(session.dataDir);
  const mh = rows.filter((r) => r.kind === "mental-health-discharge" && r.superseded_by === null);
  assert.ok(mh.length > 0 && mh.every((r) => r.status === "needs-gp-review"), JSON.stringify(mh.map((r) => r.status)));
  assert.ok(N > 20 && N < 40, `New: ${N}`);
  await until(async () => newIs(N).test(await summary(browser)), { timeout: 30000, message: `${N} new documents` });
  assert.equal(await count(browser, "needs-gp-review"), lanes["needs-gp-review"]);
  assert.equal(await count(browser, "superseded"), lanes.superseded);
  await until(async () => (await browser.execute(() => document.activeElement?.id)) === "inbox-list", { message: "list focused" });
  const s = await invariant(browser, "start");
  assert.ok(s.docId, "the first row's document is shown");
});

test("keyboard only: j/k, file, needs action, undo and queues, the pane following the selection at every step", async () => {
  const { browser } = session;
  for (const [i, key] of ["j", "j", "k", "j", "ArrowDown", "ArrowUp"].entries()) {
    await press(browser, key);
    await invariant(browser, `${key} (#${i + 1})`);
  }
  // Holding j: many moves at once, then the pane shows the row it stopped on.
  await press(browser, "j", "j", "j", "j", "j");
  await invariant(browser, "five j presses");

  // File (a document with no actions for the practice): the next document opens, and Undo is offered.
  await selectFileable(browser);
  const before = await invariant(browser, "a document that may be filed");
  await press(browser, "f");
  await until(async () => newIs(N - 1).test(await summary(browser)), { message: "filed leaves New" });
  const afterFile = await invariant(browser, "f");
  assert.notEqual(afterFile.docId, before.docId, "the next document opened");
  assert.match(await toast(browser), /^Filed: .+\.$/);
  assert.equal(await (await browser.$("[data-testid=toast-action]")).getText(), "Undo (u)");
  assert.equal(await count(browser, "filed"), 1);
  const filedId = before.docId;

  // Needs action on the one that opened: the next opens.
  await press(browser, "a");
  await until(async () => newIs(N - 2).test(await summary(browser)), { message: "needs action leaves New" });
  const afterA = await invariant(browser, "a");
  assert.notEqual(afterA.docId, afterFile.docId);
  assert.equal(await count(browser, "needs-action"), 1);

  // Undo puts it back in New (a versioned change too), and it is selected again.
  await press(browser, "u");
  await until(async () => newIs(N - 1).test(await summary(browser)), { message: "undo" });
  assert.match(await toast(browser), /^Undone: .+ is back in New\.$/);
  const afterU = await invariant(browser, "u");
  assert.equal(afterU.docId, afterFile.docId, "the document undone is selected again");
  assert.equal(await count(browser, "needs-action"), 0);

  // Queues, Quarantine included, and back: the pane follows each time.
  for (const key of ["4", "3", "j", "k", "2", "5", "3", "1"]) {
    await press(browser, key);
    const s = await invariant(browser, `key ${key}`, { expectShown: key !== "2" });
    if (key === "4") assert.equal(s.docId, filedId, "Filed shows the filed document");
    if (key === "3") {
      assert.equal(s.quarantine, true);
      assert.ok(s.messageId, "the quarantined message is shown");
      // Nothing to file in quarantine: File does nothing to any document.
      await press(browser, "f");
      await until(async () => /not filed/.test(await toast(browser)), { message: "quarantine refuses File" });
      assert.equal(await count(browser, "filed"), 1);
    }
    if (key === "2") {
      // An empty queue: nothing is shown, and File acts on nothing.
      assert.equal(s.docId, null);
      await press(browser, "f");
      await until(async () => /No document is open/.test(await toast(browser)), { message: "nothing to file" });
    }
  }
  await until(async () => newIs(N - 1).test(await summary(browser)), { message: "back in New" });
  await screenshot(browser, "05-after-triage");
});

test("a stale action is refused by the core (document_changed) and the window reloads the document", async () => {
  const { browser } = session;
  await selectFileable(browser);
  const shown = await invariant(browser, "before the stale action");
  const id = Number(shown.docId);
  const seen = await invoke(browser, "open_document", { id });
  assert.ok(seen.ok, JSON.stringify(seen.error));
  const version = seen.value.row.version;
  // Someone else (a second path into the core) marks it as needs action.
  const other = await invoke(browser, "set_document_status", { id, status: "needs-action", expectedVersion: version });
  assert.ok(other.ok, JSON.stringify(other.error));
  assert.ok(other.value.version > version);
  // The old version is refused, whoever sends it.
  const stale = await invoke(browser, "set_document_status", { id, status: "filed", expectedVersion: version });
  assert.equal(stale.ok, false);
  assert.equal(stale.error.code, "document_changed");
  // The window still shows the version it had: filing it is refused, said plainly, and the document reloaded.
  const filedBefore = await count(browser, "filed");
  await press(browser, "f");
  await until(async () => /This document was changed elsewhere; it has been reloaded/.test(await toast(browser)), { message: "the changed-elsewhere message" });
  await until(
    async () => (await browser.execute(() => document.querySelector("#document-pane .app-actions__status")?.textContent ?? "")).includes("Needs action"),
    { message: "the reloaded document shows its new status" },
  );
  const s = await invariant(browser, "after document_changed");
  assert.equal(Number(s.docId), id, "nothing else opened");
  assert.equal(await count(browser, "filed"), filedBefore, "nothing was filed");
  // With what it now shows, the person can act: File works.
  await press(browser, "f");
  await until(async () => (await count(browser, "filed")) === filedBefore + 1, { message: "filed after the reload" });
  await invariant(browser, "file after reload");
  await screenshot(browser, "05-after-stale");
});

test("search covers every queue, each result with its status; an empty queue says where the matches are", async () => {
  const { browser } = session;
  // The filed document from the first test.
  await press(browser, "4");
  const filed = await invariant(browser, "Filed queue");
  const nhs = filed.rowNhs;
  await press(browser, "/");
  await (await browser.$("#search")).setValue(nhs);
  await until(async () => /^All queues: \d+ documents? matching$/.test(await summary(browser)), { message: "search across queues" });
  assert.match(await (await browser.$("#search-scope")).getText(), /Searching every queue/);
  const statuses = await browser.execute(() => [...document.querySelectorAll("#inbox-list [role=option][data-id]")].map((r) => r.querySelector(".app-tag--status")?.textContent));
  assert.ok(statuses.includes("Filed"), JSON.stringify(statuses));
  await press(browser, "ArrowDown");
  await invariant(browser, "search results");
  // Narrow to a queue with none of them: the window says where they are.
  const queues = [["1", "New"], ["6", "Needs GP review"], ["2", "Needs action"], ["7", "Unmatched"], ["4", "Filed"], ["8", "Rejected"], ["9", "Superseded"]];
  const [key, word] = queues.find(([, w]) => !statuses.includes(w));
  await press(browser, key);
  const where = await browser.$("[data-testid=search-elsewhere]");
  await where.waitForDisplayed({ timeout: 10000 });
  const n = (w) => statuses.filter((x) => x === w).length;
  const expected = queues.filter(([, w]) => n(w) > 0 || w === word).map(([, w]) => `${n(w)} in ${w}`).join(", ");
  assert.equal(await where.getText(), `${expected}: show them`);
  await invariant(browser, `empty ${word}`, { expectShown: false });
  await screenshot(browser, "05-search-elsewhere");
  await (await browser.$("[data-testid=show-elsewhere]")).click();
  await until(async () => /^All queues:/.test(await summary(browser)), { message: "back to every queue" });
  // Clear the search.
  await press(browser, "/");
  await (await browser.$("#search")).clearValue();
  await browser.execute(() => document.getElementById("search").dispatchEvent(new Event("input")));
  await press(browser, "Escape");
  await press(browser, "1");
  await until(async () => newIs(N - 2).test(await summary(browser)), { message: "search cleared" });
});

test("filters: medicine changes, actions for the practice, and dates typed as dd-Mmm-yyyy", async () => {
  const { browser } = session;
  await (await browser.$("label[for=filter-medicine-changes]")).click();
  await until(async () => /matching$/.test(await summary(browser)), { message: "medicine filter" });
  let rows = await browser.execute(() => [...document.querySelectorAll("#inbox-list [role=option][data-id]")].map((r) => r.querySelector(".app-tag--meds")?.textContent ?? ""));
  assert.ok(rows.length > 0 && rows.every((t) => /stopped|new|dose changed|on hold|medicine change/.test(t)), JSON.stringify(rows));
  await (await browser.$("label[for=filter-medicine-changes]")).click();
  await (await browser.$("label[for=filter-practice-actions]")).click();
  await until(async () => /matching$/.test(await summary(browser)), { message: "actions filter" });
  rows = await browser.execute(() => [...document.querySelectorAll("#inbox-list [role=option][data-id]")].map((r) => r.querySelector(".app-row__action")?.textContent ?? ""));
  assert.ok(rows.length > 0 && rows.every((t) => t.startsWith("For the practice")), JSON.stringify(rows));
  await (await browser.$("label[for=filter-practice-actions]")).click();
  await until(async () => newIs(N - 2).test(await summary(browser)), { message: "filters off" });

  // Dates: today as 1/12/2026-style, shown back as dd-Mmm-yyyy; a day that does not exist is refused plainly.
  await (await browser.$(".app-filters__summary")).click();
  const today = new Date();
  const typed = `${today.getDate()}/${today.getMonth() + 1}/${today.getFullYear()}`;
  const from = await browser.$("#filter-from");
  assert.equal(await from.getAttribute("type"), "text");
  await from.setValue(typed);
  await press(browser, "Enter");
  await until(async () => /^\d\d-[A-Z][a-z]{2}-\d{4}$/.test(await from.getValue()), { message: "date shown as dd-Mmm-yyyy" });
  await until(async () => newIs(N - 2, " matching").test(await summary(browser)), { message: "date filter applied" });
  const to = await browser.$("#filter-to");
  await to.setValue("31/02/2026");
  await press(browser, "Enter");
  const error = await browser.$("#filter-to-error");
  await error.waitForDisplayed({ timeout: 5000 });
  assert.equal(await error.getText(), "Feb 2026 has no day 31. Not applied.");
  await screenshot(browser, "05-date-filter");
  await (await browser.$("#clear-filters")).click();
  await until(async () => newIs(N - 2).test(await summary(browser)), { message: "filters cleared" });
  assert.equal(await error.isDisplayed(), false);
  await (await browser.$(".app-filters__summary")).click();
});

/** Finds the fixture of `kind` (an original, not a replacement) still in New, and opens it. */
async function openFixture(browser, kind, pick = () => true) {
  const docs = (await import("node:fs")).readdirSync(fixtures.pristine).filter((f) => f.includes(kind) && !f.includes("replacement")).sort();
  for (const f of docs) {
    const doc = inspect(path.join(fixtures.pristine, f));
    if (!pick(doc)) continue;
    await press(browser, "/");
    const search = await browser.$("#search");
    await search.setValue(doc.patient.nhs_number);
    await until(async () => browser.execute((n) => document.getElementById("inbox-list").getAttribute("data-search") === n && document.getElementById("inbox-list").getAttribute("aria-busy") === "false", doc.patient.nhs_number), { message: "search" });
    const id = await browser.execute(
      (title) => [...document.querySelectorAll("#inbox-list [role=option][data-id]")].find((r) => !r.textContent.includes("Replacement") && !r.textContent.includes("Superseded") && r.textContent.includes(title))?.getAttribute("data-id"),
      doc.kind === "mental-health-discharge" ? "Mental health discharge" : doc.kind === "outpatient-letter" ? "Outpatient letter" : "discharge",
    );
    if (!id) continue;
    await (await browser.$(`#inbox-list [data-id="${id}"]`)).click();
    await until(async () => (await readState(browser)).docId === id, { message: `document ${id} open` });
    await invariant(browser, `open ${f}`);
    return { doc, id: Number(id) };
  }
  throw new Error(`no ${kind} fixture found`);
}

test("a mental health discharge: summary first, with risk, legal status, CPA, crisis plan and care coordinator, and the actions word for word", async () => {
  const { browser } = session;
  const { id } = await openFixture(browser, "mental-health-discharge");
  const view = (await invoke(browser, "open_document", { id })).value;
  const summaryBox = await browser.$("[data-testid=summary]");
  await summaryBox.waitForDisplayed({ timeout: 10000 });
  const mh = await (await browser.$("[data-testid=summary-mh-facts]")).getText();
  // Whatever of these the document states, the summary shows (and it states nothing it does not).
  const text = view.parsed.document.sections.map((s) => s.text).join("\n");
  for (const word of [/Risks? to self/, /Mental Health Act/, /\bCPA\b/, /Section 117/, /Crisis plan/i, /Care coordinator:/i]) {
    if (word.test(text)) assert.match(mh, word);
  }
  assert.match(mh, /Risks? to self/);
  assert.match(mh, /Mental Health Act/);
  // Every requested action, word for word, with its person responsible and status.
  const actions = await browser.execute(() => [...document.querySelectorAll("[data-testid=summary-actions] > li")].map((li) => ({ text: li.querySelector(".app-summary__action-text").textContent, meta: li.querySelector(".app-summary__action-meta").textContent, practice: li.getAttribute("data-for-practice") })));
  assert.equal(actions.length, view.actions.length);
  view.actions.forEach((a, i) => {
    assert.ok(actions[i].text.endsWith(a.text), `${actions[i].text} / ${a.text}`);
    assert.equal(actions[i].practice, String(a.for_practice));
    if (a.responsible) assert.ok(actions[i].meta.includes(`Person responsible: ${a.responsible}`));
    if (a.status) assert.ok(actions[i].meta.includes(`Status: ${a.status}`));
  });
  // The summary comes before every section, and every section still follows in order.
  const titles = await browser.execute(() => [...document.querySelectorAll("[data-testid=section] .app-section__title-text")].map((e) => e.textContent));
  assert.deepEqual(titles, view.parsed.document.sections.map((s) => s.title));
  assert.equal(await (await browser.$("[data-testid=document-kind]")).getText(), "Mental health discharge");
  await screenshot(browser, "05-mental-health");
  // Jump keys: m to the medicines, p to the plan, g back to the summary.
  await browser.execute(() => document.getElementById("document-scroll").focus());
  await press(browser, "p");
  await until(async () => (await browser.execute(() => document.activeElement?.closest("[data-section-index]")?.querySelector(".app-section__title-text")?.textContent)) === "Plan and requested actions", { message: "p jumps to the plan" });
  await press(browser, "m");
  await until(async () => (await browser.execute(() => !!document.activeElement?.closest("[data-section-index]")?.querySelector("[data-testid=medicines]"))), { message: "m jumps to the medicines" });
  await screenshot(browser, "05-mental-health-medicines");
  await press(browser, "g");
  await until(async () => (await browser.execute(() => document.activeElement?.id)) === "summary-title", { message: "g jumps to the summary" });
  const axe = await axeViolations(browser);
  assert.deepEqual(axe, [], JSON.stringify(axe, null, 2));
});

test("medicines: coded table first with what changed and why, high-risk tags, the hospital's own list labelled", async () => {
  const { browser } = session;
  const { id } = await openFixture(browser, "discharge", (d) => d.medications.some((m) => m.change === "amended"));
  const view = (await invoke(browser, "open_document", { id })).value;
  const meds = view.parsed.document.medications;
  const table = await browser.$("[data-testid=medicines]");
  await table.waitForExist({ timeout: 10000 });
  const rows = await browser.execute(() => [...document.querySelectorAll("[data-testid=medicines] tbody tr")].map((tr) => ({ text: tr.textContent, why: tr.querySelector(".app-med__why").textContent, risk: tr.getAttribute("data-high-risk") })));
  assert.equal(rows.length, meds.length);
  for (const m of meds) {
    const r = rows.find((x) => x.text.includes(m.name));
    assert.ok(r, m.name);
    if (m.high_risk) assert.equal(r.risk, m.high_risk);
    const changed = m.status === "stopped" || (m.change && m.change !== "continued");
    if (changed) assert.ok(r.why.includes(m.change_indication ? `Reason: ${m.change_indication}` : "Reason: no reason given"), r.why);
    if (m.change === "amended" && m.change_details) assert.ok(r.why.includes(m.change_details), r.why);
  }
  const label = await browser.$(".app-hospital-table__label");
  assert.equal(await label.getText(), "The hospital's own list, as written");
  // The summary words each change from the model.
  const summaryMeds = await (await browser.$("[data-testid=summary-medicines]")).getText();
  for (const m of meds.filter((x) => x.change === "amended")) assert.ok(summaryMeds.includes(m.name), summaryMeds);
  // No sideways scroll in the document at 1024 px.
  await browser.setWindowSize(1024, 700);
  await sleep(500);
  await browser.execute(() => document.querySelector("[data-testid=medicines]").scrollIntoView());
  const overflow = await browser.execute(() => {
    const s = document.getElementById("document-scroll");
    const t = document.querySelector("[data-testid=medicines]");
    return { scroll: s.scrollWidth - s.clientWidth, table: t.getBoundingClientRect().right - s.getBoundingClientRect().right };
  });
  assert.ok(overflow.scroll <= 0 && overflow.table <= 1, JSON.stringify(overflow));
  await screenshot(browser, "05-medicines-1024");
  await browser.setWindowSize(1280, 800);
});

test("quarantine: plain words first, marked as dealt with only with a note, and shown so in the list", async () => {
  const { browser } = session;
  await press(browser, "Escape");
  await press(browser, "3");
  const s = await invariant(browser, "quarantine");
  assert.ok(s.messageId);
  const plain = await (await browser.$("[data-testid=quarantine-plain-reason]")).getText();
  assert.ok(plain.length > 10, plain);
  assert.ok(await (await browser.$("[data-testid=quarantine-reason]")).isExisting(), "the technical reason follows");
  // A blank note is refused, in the window, before anything is sent.
  await (await browser.$("[data-testid=mark-dealt-with]")).click();
  await (await browser.$("#dealt-note-error")).waitForDisplayed({ timeout: 5000 });
  await (await browser.$("[data-testid=dealt-note]")).setValue("Asked the sending trust to resend it");
  await (await browser.$("[data-testid=mark-dealt-with]")).click();
  const done = await browser.$("[data-testid=dealt-with]");
  await done.waitForDisplayed({ timeout: 10000 });
  assert.match(await done.getText(), /Asked the sending trust to resend it/);
  await until(async () => /Dealt with/.test(await browser.execute(() => document.querySelector("#quarantine-list [aria-selected=true]")?.textContent ?? "")), { message: "the row shows it" });
  await invariant(browser, "after dealt with");
  await screenshot(browser, "05-quarantine-dealt-with");
  const axe = await axeViolations(browser);
  assert.deepEqual(axe, [], JSON.stringify(axe, null, 2));
  await press(browser, "1");
  await invariant(browser, "back to New");
});

test("the mailbox settings show the mailbox in use, which the environment sets, and test it", async () => {
  const { browser } = session;
  await (await browser.$("#settings-button")).click();
  const dialog = await browser.$("#settings");
  await dialog.waitForDisplayed({ timeout: 5000 });
  await (await browser.$("[data-testid=settings-from-environment]")).waitForDisplayed({ timeout: 10000 });
  assert.match(await dialog.getText(), /cannot be changed here/);
  assert.ok(!(await (await browser.$("[data-testid=save-mailbox]")).isExisting()), "no form for a mailbox the environment sets");
  await (await browser.$("[data-testid=test-connection]")).click();
  const result = await browser.$("[data-testid=mailbox-test-result]");
  await result.waitForDisplayed({ timeout: 20000 });
  assert.match(await result.getText(), /messages? (is|are) waiting in folder/);
  await screenshot(browser, "05-settings");
  const axe = await axeViolations(browser);
  assert.deepEqual(axe, [], JSON.stringify(axe, null, 2));
  await press(browser, "Escape");
  await until(async () => !(await dialog.isDisplayed()), { message: "settings closed" });
});

const SIZES = [
  [1024, 700, 1],
  [1280, 800, 1],
  [1920, 1080, 1],
  [1920, 1080, 2],
  [1280, 800, 2],
];

test("at 1024x700, 1280x800, 1920x1080 and with text at 200%: nothing wraps badly, axe is clean", async () => {
  const { browser } = session;
  await clearSearch(browser);
  await press(browser, "1");
  await until(async () => newIs(N - 2).test(await summary(browser)), { message: "New, unsearched" });
  await invariant(browser, "before sizes");
  await browser.execute(() => document.getElementById("inbox-list").focus());
  for (const [w, h, zoom] of SIZES) {
    await browser.setWindowSize(w, h);
    // Text size with the keys: Ctrl+0, then Ctrl+= up to 200%.
    await browser.execute(() => document.getElementById("inbox-list").focus());
    await browser.keys([Key.Ctrl, "0"]);
    if (zoom === 2) for (let i = 0; i < 5; i++) await browser.keys([Key.Ctrl, "="]);
    await until(async () => Number(await browser.execute(() => document.documentElement.dataset.zoom)) === zoom, { message: `zoom ${zoom}` });
    await sleep(600);
    const layout = await browser.execute(() => {
      const panes = document.getElementById("main");
      const file = document.querySelector("#document-pane [data-action=filed]");
      // The button's words on one line: its label's text makes one box.
      let fileLines = null;
      if (file) {
        const range = document.createRange();
        range.selectNodeContents(file.firstChild);
        fileLines = range.getClientRects().length;
      }
      const scroll = document.getElementById("document-scroll");
      return {
        narrow: panes.classList.contains("app-panes--narrow"),
        single: panes.classList.contains("app-panes--single"),
        fileLines,
        docOverflow: scroll ? scroll.scrollWidth - scroll.clientWidth : 0,
        pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        // The window itself never scrolls: the header is at the top, and the status bar (when shown) at the bottom.
        pageScroll: document.scrollingElement.scrollTop,
        headerTop: document.querySelector(".app-header").getBoundingClientRect().top,
        layoutBottom: document.querySelector(".app-layout").getBoundingClientRect().bottom - innerHeight,
        rowHeight: document.querySelector("#inbox-list [role=option]")?.getBoundingClientRect().height ?? 0,
        rootFont: parseFloat(getComputedStyle(document.documentElement).fontSize),
      };
    });
    const name = `05-${w}x${h}${zoom === 2 ? "-200pc" : ""}`;
    await screenshot(browser, name);
    assert.equal(layout.narrow, w / zoom < 1280, `${name}: queue pane collapses below 1280 px (${JSON.stringify(layout)})`);
    assert.ok(layout.pageOverflow <= 0, `${name}: the window does not scroll sideways (${JSON.stringify(layout)})`);
    assert.ok(layout.pageScroll === 0 && layout.headerTop === 0 && Math.abs(layout.layoutBottom) < 1, `${name}: the window itself never scrolls: its panes do (${JSON.stringify(layout)})`);
    if (!layout.single) {
      assert.equal(layout.fileLines, 1, `${name}: the File button is on one line (${JSON.stringify(layout)})`);
      assert.ok(layout.docOverflow <= 0, `${name}: the document does not scroll sideways (${JSON.stringify(layout)})`);
    }
    // Rows are sized in rem: they grow with the text.
    assert.ok(Math.abs(layout.rowHeight - 5.75 * layout.rootFont) < 2, `${name}: row height ${layout.rowHeight} at ${layout.rootFont}px`);
    const axe = await axeViolations(browser);
    assert.deepEqual(axe, [], `${name}: ${JSON.stringify(axe, null, 2)}`);
    await invariant(browser, name);
  }
  // The text size is remembered: reload the window and it is still 200%.
  await browser.execute(() => location.reload());
  await (await browser.$("h1#inbox-heading")).waitForDisplayed({ timeout: 20000 });
  await until(async () => Number(await browser.execute(() => document.documentElement.dataset.zoom)) === 2, { message: "zoom remembered" });
  // In the single-pane layout (text at 200% in 1280x800), Enter shows the document and Esc the list.
  await until(async () => /^New: \d+ documents$/.test(await summary(browser)), { message: "list after reload" });
  await browser.execute(() => document.getElementById("inbox-list").focus());
  await press(browser, "j");
  await invariant(browser, "j at 200%");
  await press(browser, "Enter");
  await until(async () => (await browser.execute(() => document.getElementById("main").dataset.view)) === "document", { message: "document view" });
  await sleep(500);
  const page = await browser.execute(() => ({ top: document.scrollingElement.scrollTop, header: document.querySelector(".app-header").getBoundingClientRect().top }));
  assert.deepEqual(page, { top: 0, header: 0 }, "the header stays at the top; only the document scrolls");
  await screenshot(browser, "05-1280x800-200pc-document");
  const axe = await axeViolations(browser);
  assert.deepEqual(axe, [], JSON.stringify(axe, null, 2));
  await press(browser, "Escape");
  await until(async () => (await browser.execute(() => document.getElementById("main").dataset.view)) === "list", { message: "list view" });
  await browser.keys([Key.Ctrl, "0"]);
  await browser.setWindowSize(1280, 800);
});

test("the list's width can be dragged, and is remembered", async () => {
  const { browser } = session;
  const width = () => browser.execute(() => document.getElementById("list-pane").getBoundingClientRect().width);
  const start = await width();
  const splitter = await browser.$("[data-testid=splitter]");
  await splitter.dragAndDrop({ x: 120, y: 0 });
  await until(async () => (await width()) > start + 80, { message: "wider list" });
  const dragged = await width();
  await browser.execute(() => location.reload());
  await (await browser.$("h1#inbox-heading")).waitForDisplayed({ timeout: 20000 });
  await until(async () => Math.abs((await width()) - dragged) < 6, { message: "width remembered" });
  // Keyboard: the splitter takes the arrow keys; Home goes back to following the window.
  await browser.execute(() => document.querySelector("[data-testid=splitter]").focus());
  await press(browser, "ArrowLeft");
  await until(async () => (await width()) < dragged - 8, { message: "narrower by key" });
  await press(browser, "Home");
  await until(async () => Math.abs((await width()) - start) < 6, { message: "back to the default" });
});
