// The pharmacist's medicines reconciliation (issue 13), keyboard only in the real window: the
// fixtures' practice lists are imported with the CLI; a pharmacist opens a discharge with an
// added, an amended, a stopped and an omitted medicine, finds the sign-off refused while rows are
// undecided, decides every row (a decision made elsewhere meanwhile is reloaded, not
// overwritten; the omission is queried with the hospital, with a note, which opens a follow-up
// task), and signs off. The practice list then has version 2 from the reconciliation, the audit
// has each decision under the pharmacist's name, the summary shows every row and the FHIR
// export reads back. A second discharge: its unchanged rows confirmed in one step, an on-hold
// medicine kept with a restart review due on a chosen day, and the Tasks view listing both the
// reconciliations still to sign off and the follow-ups.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { addUser, axeViolations, cli, fixtureMailbox, inspect, launch, press, screenshot, until } from "./harness.mjs";

const PHARMACIST = { name: "Pat Pharmacist", role: "pharmacist" };

let session;
let dataDir;
let chosen; // { file, doc, nhs, rows }
let second; // { file, doc, nhs, rows }: unchanged rows and a medicine on hold

const toast = async (browser) => (await browser.$("#toast")).getText();
const active = (browser) =>
  browser.execute(() => {
    const a = document.activeElement;
    const row = a?.closest("[data-medrec-row]");
    return {
      id: a?.id ?? "",
      tag: a?.tagName ?? "",
      testid: a?.getAttribute("data-testid") ?? null,
      row: row?.getAttribute("data-medrec-row") ?? null,
      category: row?.getAttribute("data-category") ?? null,
      undecided: row?.getAttribute("data-undecided") === "true",
    };
  });
const undecided = (browser) => browser.execute(() => document.querySelectorAll("#medrec [data-medrec-row][data-undecided=true]").length);
const env = () => ({ HANDOVER_DATA_DIR: dataDir });
const amended = ["dose-changed", "route-changed", "strength-or-form-changed"];
const today = () => new Date().toLocaleDateString("en-CA", { timeZone: "Europe/London" });
const plusDays = (ymd, n) => {
  const d = new Date(`${ymd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

async function type(browser, text) {
  for (const ch of text) await browser.keys(ch);
}

before(async () => {
  const fixtures = fixtureMailbox({ count: 16, seed: 7 });
  const lists = path.join(mkdtempSync(path.join(tmpdir(), "handover-medlists-")), "lists.csv");
  const pristine = mkdtempSync(path.join(tmpdir(), "handover-fixtures-pl-"));
  cli(["fixtures", "--count", "16", "--out", pristine, "--seed", "7", "--practice-lists", lists]);
  const docs = readdirSync(fixtures.pristine)
    .sort()
    .map((f) => ({ file: path.join(fixtures.pristine, f), doc: inspect(path.join(fixtures.pristine, f)) }));
  const count = (nhs) => docs.filter((d) => d.doc.patient?.nhs_number === nhs).length;
  // A discharge (not mental health) with an added, an amended and a stopped medicine and an
  // omission, whose patient has one document among the fixtures; and another with unchanged
  // rows and a medicine on hold.
  for (const d of docs) {
    const meds = d.doc.medications ?? [];
    const nhs = d.doc.patient?.nhs_number;
    if (!/discharge/.test(d.doc.kind) || d.doc.kind === "mental-health-discharge" || !nhs || count(nhs) !== 1) continue;
    const rows = JSON.parse(cli(["medrec", "diff", "--document", d.file, "--practice-list", lists, "--json"])).rows;
    const has = (c) => rows.some((r) => r.category === c);
    if (!chosen && meds.some((m) => m.change === "added") && meds.some((m) => m.change === "amended") && meds.some((m) => m.list === "discontinued") && has("omission") && rows.some((r) => amended.includes(r.category))) {
      chosen = { ...d, nhs, rows };
    } else if (!second && has("on-hold") && has("unchanged")) {
      second = { ...d, nhs, rows };
    }
  }
  assert.ok(chosen, "a discharge with an added, an amended, a stopped and an omitted medicine");
  assert.ok(second, "a discharge with unchanged rows and a medicine on hold");

  dataDir = mkdtempSync(path.join(tmpdir(), "handover-e2e-"));
  addUser(dataDir, PHARMACIST);
  const imported = JSON.parse(cli(["medlist", "import", lists, "--json"], env()));
  assert.ok(imported, "practice lists imported");
  session = await launch({ dataDir, user: PHARMACIST, env: { HANDOVER_MAILBOX_DIR: fixtures.mailbox } });
});
after(async () => {
  await session?.close();
});

test("a pharmacist reconciles a discharge by keyboard and signs off", async () => {
  const { browser } = session;
  await browser.setWindowSize(1280, 800);
  await until(async () => browser.execute(() => document.getElementById("inbox-list")?.getAttribute("aria-busy") === "false" && !!document.querySelector("#inbox-list [aria-selected=true]")), { message: "inbox listed" });

  // Open the discharge from the search box: / NHS number ↓ Enter.
  await press(browser, "/");
  await until(async () => (await active(browser)).id === "search", { message: "search focused" });
  await type(browser, chosen.nhs);
  await until(async () => browser.execute((t) => document.getElementById("inbox-list").getAttribute("data-search") === t && document.getElementById("inbox-list").getAttribute("aria-busy") === "false", chosen.nhs), { message: "search results" });
  await press(browser, "ArrowDown");
  await until(async () => browser.execute(() => !!document.querySelector("#medrec [data-testid=medrec-table]")), { message: "reconciliation shown" });
  await press(browser, "Enter");
  await until(async () => (await active(browser)).id === "document-scroll", { message: "document focused" });
  const id = Number(await browser.execute(() => document.querySelector(".app-doc[data-document-id]").getAttribute("data-document-id")));

  // The header: the list's version and age, the due date; one table row per diff row.
  const list = await browser.execute(() => document.querySelector("[data-testid=medrec-list]").textContent);
  assert.match(list, /practice list version 1, imported \d\d-[A-Z][a-z]{2}-\d{4}, 0 days old/);
  assert.match(await browser.execute(() => document.querySelector("[data-testid=medrec-due]").textContent), /^Reconcile by \d\d-[A-Z][a-z]{2}-\d{4}$/);
  const categories = await browser.execute(() => [...document.querySelectorAll("#medrec [data-medrec-row]")].map((r) => r.getAttribute("data-category")));
  assert.deepEqual(categories, chosen.rows.map((r) => r.category));
  for (const c of ["added", "stopped", "omission"]) assert.ok(categories.includes(c), c);
  assert.ok(categories.some((c) => amended.includes(c)), `an amended medicine: ${categories}`);
  assert.equal(await browser.execute(() => { const r = document.querySelector("[data-category=omission]"); const s = getComputedStyle(r); const t = getComputedStyle(r.querySelector("td")); return parseFloat(s.borderLeftWidth) > 0 ? s.borderLeftColor : t.borderLeftColor; }), "rgb(213, 40, 27)", "the omission stands out in red");

  // Sign off is shown to the pharmacist, refused with its reason while rows are undecided.
  const sign = await browser.execute(() => ({ disabled: document.getElementById("medrec-signoff")?.getAttribute("aria-disabled"), reason: document.getElementById("medrec-signoff-reason")?.textContent }));
  assert.equal(sign.disabled, "true");
  assert.match(sign.reason, new RegExp(`^${chosen.rows.length} rows have no decision yet`));

  assert.deepEqual(await axeViolations(browser), []);
  // The section's heading below the sticky index.
  await browser.execute(() => {
    document.getElementById("medrec").scrollIntoView();
    document.getElementById("document-scroll").scrollTop -= 90;
  });
  await screenshot(browser, "07-medrec-open");

  // y: the first undecided row's decision.
  await press(browser, "y");
  await until(async () => (await active(browser)).testid === "medrec-choice", { message: "first row's decision focused" });
  const total = await undecided(browser);
  assert.equal(total, chosen.rows.length);

  // Meanwhile someone decides that row elsewhere (the CLI): the window's decision is refused,
  // the reconciliation reloads and says so; nothing is overwritten.
  const first = (await active(browser)).row;
  cli(["medrec", "decide", String(id), first, "--choice", "not-applicable", "--note", "decided elsewhere", "--as", PHARMACIST.name], env());
  await type(browser, "Accept");
  await press(browser, "Tab", "Tab");
  assert.equal((await active(browser)).testid, "medrec-note");
  await press(browser, "Enter");
  await until(async () => browser.execute(() => /changed elsewhere/.test(document.querySelector("[data-testid=medrec-notice]")?.textContent ?? "")), { message: "reloaded notice" });
  assert.match(await toast(browser), /changed elsewhere/);
  assert.equal(await undecided(browser), total - 1);
  const elsewhere = await browser.execute((k) => [...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k)?.querySelector("[data-testid=medrec-decision]")?.textContent, first);
  assert.match(elsewhere, /^Not applicable: decided elsewhere\. Pat Pharmacist/);

  // Every other row: the omission queried with the hospital (a note is required), the rest accepted.
  while ((await undecided(browser)) > 0) {
    const before = await undecided(browser);
    // After each decision focus moves to the next undecided row by itself; y finds it otherwise
    // (y in a select would be type-ahead, so only from outside one).
    const at = await active(browser);
    if (!(at.testid === "medrec-choice" && at.undecided)) await press(browser, "y");
    await until(async () => { const a = await active(browser); return a.testid === "medrec-choice" && a.undecided; }, { message: "next undecided row" });
    const a = await active(browser);
    if (a.category === "omission") {
      await type(browser, "Query");
      assert.equal(await browser.execute(() => document.activeElement.value), "query-hospital");
      await press(browser, "Tab");
      await type(browser, "Unint");
      assert.equal(await browser.execute(() => document.activeElement.value), "unintentional");
      await press(browser, "Tab");
      // No note: refused in the window.
      await press(browser, "Enter");
      await until(async () => browser.execute(() => !!document.querySelector("[data-category=omission] .nhsuk-error-message:not([hidden])")), { message: "note required" });
      assert.equal((await active(browser)).testid, "medrec-note");
      await type(browser, "Was this stopped on purpose?");
    } else {
      await type(browser, "Accept");
      assert.equal(await browser.execute(() => document.activeElement.value), "accept-hospital");
      await press(browser, "Tab");
      await type(browser, "Intentional, d");
      await press(browser, "Tab");
    }
    await press(browser, "Enter");
    await until(async () => (await undecided(browser)) === before - 1, { message: `row ${a.row} decided` });
  }
  const omission = await browser.execute(() => document.querySelector("[data-category=omission] [data-testid=medrec-decision]").textContent);
  assert.match(omission, /^Query hospital \(Unintentional\): Was this stopped on purpose\? Pat Pharmacist \(Pharmacist\), \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d$/);

  // Every row decided: focus is on Sign off, now enabled.
  await until(async () => (await active(browser)).id === "medrec-signoff", { message: "sign off focused" });
  assert.equal(await browser.execute(() => document.getElementById("medrec-signoff").getAttribute("aria-disabled")), null);
  assert.deepEqual(await axeViolations(browser), []);
  await browser.execute(() => document.querySelector("#medrec [data-category=omission]").scrollIntoView({ block: "center" }));
  await screenshot(browser, "07-medrec-decided");

  await press(browser, "Enter");
  await until(async () => browser.execute(() => !!document.querySelector("[data-testid=medrec-signed-off]")), { message: "signed off" });
  const signed = await browser.execute(() => document.querySelector("[data-testid=medrec-signed-off]").textContent);
  assert.match(signed, /^Signed off by Pat Pharmacist \(Pharmacist\), .* The reconciled list is now the practice list's version 2 \(compared with the practice list version 1, imported/);
  await until(async () => /reconciled list is now version 2 of the practice list/.test(await toast(browser)), { message: "signed-off toast" });
  assert.deepEqual(await axeViolations(browser), []);
  await browser.execute(() => document.querySelector("[data-testid=medrec-signed-off]").scrollIntoView({ block: "center" }));
  await screenshot(browser, "07-medrec-signed-off");

  // The store: the practice list's version 2 is the reconciliation; the audit has each decision.
  const versions = JSON.parse(cli(["medlist", "versions", chosen.nhs, "--json"], env()));
  const newest = versions[0];
  assert.equal(newest.version, 2);
  assert.equal(newest.source, "reconciliation");
  const shown = JSON.parse(cli(["show", String(id), "--json"], env()));
  const events = shown.events.map((e) => `${e.kind}:${e.actor}`);
  const kinds = (k) => shown.events.filter((e) => e.kind === k);
  assert.equal(kinds("medrec_decided").length, chosen.rows.length, events.join(", "));
  assert.ok(kinds("medrec_decided").every((e) => e.actor === PHARMACIST.name), events.join(", "));
  assert.ok(events.includes(`medrec_signed_off:${PHARMACIST.name}`), events.join(", "));
  // The omission's query to the hospital is the pharmacist's task, due in 3 days.
  const query = shown.tasks.find((t) => t.medrec_row && /Medicines query to the hospital/.test(t.text));
  assert.ok(query, JSON.stringify(shown.tasks));
  assert.equal(query.assignee_user, PHARMACIST.name);
  assert.equal(query.due_date, plusDays(today(), 3));
  assert.match(query.text, /Was this stopped on purpose\?/);

  // The summary: every row's decision and the reconciled list; Escape closes it.
  await browser.execute(() => document.querySelector("[data-testid=medrec-summary]").focus());
  await press(browser, "Enter");
  await until(async () => browser.execute(() => !!document.querySelector("[data-testid=medrec-summary-view]")?.textContent.includes("Reconciled list")), { message: "summary shown" });
  const summary = await browser.execute(() => document.querySelector("[data-testid=medrec-summary-view]").textContent);
  assert.doesNotMatch(summary, /DRAFT/);
  assert.match(summary, /Signed off: Pat Pharmacist \(Pharmacist\)/);
  for (const m of chosen.doc.medications) assert.ok(summary.includes(m.name), `${m.name} in the summary`);
  assert.match(summary, /Was this stopped on purpose\?/);
  assert.deepEqual(await axeViolations(browser), []);
  await screenshot(browser, "07-medrec-summary");
  await press(browser, "Escape");
  await until(async () => browser.execute(() => !document.querySelector("[data-testid=medrec-summary-view]") || document.querySelector("[data-testid=medrec-summary-view]").closest("[hidden]") !== null || !document.querySelector("[data-testid=medrec-summary-view]").checkVisibility()), { message: "summary closed" });
  assert.equal((await active(browser)).testid, "medrec-summary");

  // The export: a FHIR Bundle saved to Downloads, reading back as version 2's lines.
  await browser.execute(() => document.querySelector("[data-testid=medrec-export]").focus());
  await press(browser, "Enter");
  await until(async () => /\.json/.test(await browser.execute(() => document.querySelector("[data-testid=medrec-export-result]")?.textContent ?? "")), { message: "export saved" });
  const saved = (await browser.execute(() => document.querySelector("[data-testid=medrec-export-result]").textContent)).match(/(\/\S+\.json)/)[1];
  const bundle = JSON.parse(readFileSync(saved, "utf8"));
  assert.equal(bundle.resourceType, "Bundle");
  const statements = bundle.entry.filter((e) => e.resource.resourceType === "MedicationStatement");
  const v2 = JSON.parse(cli(["medlist", "show", chosen.nhs, "--version", "2", "--json"], env()));
  assert.deepEqual(statements.map((e) => e.resource.medicationCodeableConcept.text), v2.lines.map((l) => l.name));
  const exported = JSON.parse(cli(["show", String(id), "--json"], env())).events.filter((e) => e.kind === "medrec_exported");
  assert.deepEqual(exported.map((e) => `${e.details.format}:${e.actor}`), [`fhir:${PHARMACIST.name}`]);
});

test("unchanged rows confirmed at once, an on-hold restart review, and the Tasks view", async () => {
  const { browser } = session;
  // The inbox row of a reconciliation not yet signed off shows its clock (the search cleared).
  await press(browser, "Escape");
  await press(browser, "Escape");
  await until(async () => browser.execute(() => document.querySelectorAll("#inbox-list [data-testid=row-medrec-clock]").length > 0), { message: "clocks after clearing the search" });
  const clocks = await browser.execute(() => [...document.querySelectorAll("#inbox-list [data-testid=row-medrec-clock]")].map((t) => ({ text: t.textContent, overdue: t.getAttribute("data-overdue") })));
  assert.ok(clocks.length > 0, "clock tags in the list");
  assert.ok(clocks.every((c) => /^Meds rec due /.test(c.text) && c.overdue === "false"), JSON.stringify(clocks));

  await press(browser, "/");
  await until(async () => (await active(browser)).id === "search", { message: "search focused" });
  await browser.execute(() => { const s = document.getElementById("search"); s.value = ""; s.dispatchEvent(new Event("input", { bubbles: true })); });
  await type(browser, second.nhs);
  await until(async () => browser.execute((t) => document.getElementById("inbox-list").getAttribute("data-search") === t && document.getElementById("inbox-list").getAttribute("aria-busy") === "false", second.nhs), { message: "search results" });
  await press(browser, "ArrowDown");
  await until(async () => browser.execute(() => !!document.querySelector("#medrec [data-testid=medrec-table]")), { message: "reconciliation shown" });
  const id = Number(await browser.execute(() => document.querySelector(".app-doc[data-document-id]").getAttribute("data-document-id")));
  assert.equal(await browser.execute(() => document.querySelector("[data-testid=row-medrec-clock]") !== null), true);

  // Confirm all unchanged: one step, every unchanged row decided.
  const unchanged = second.rows.filter((r) => r.category === "unchanged").length;
  await browser.execute(() => document.querySelector("[data-testid=medrec-confirm-unchanged]").focus());
  assert.match(await browser.execute(() => document.activeElement.textContent), new RegExp(`\\(${unchanged}\\)`));
  const before = await undecided(browser);
  await press(browser, "Enter");
  await until(async () => (await undecided(browser)) === before - unchanged, { message: "unchanged rows confirmed" });
  assert.equal(await browser.execute(() => [...document.querySelectorAll("#medrec [data-category=unchanged]")].every((r) => r.getAttribute("data-undecided") === "false")), true);

  // The on-hold medicine: keep the practice version, restart review on a chosen day.
  const key = second.rows.find((r) => r.category === "on-hold");
  const rowKey = await browser.execute(() => document.querySelector("#medrec [data-category=on-hold]").getAttribute("data-medrec-row"));
  await browser.execute((k) => [...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k).querySelector("[data-testid=medrec-choice]").focus(), rowKey);
  await type(browser, "Keep");
  assert.equal(await browser.execute(() => document.activeElement.value), "keep-practice");
  const due = await until(async () => browser.execute((k) => {
    const input = [...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k).querySelector("[data-testid=medrec-follow-up-due]");
    return input && input.offsetParent !== null ? input.value : null;
  }, rowKey), { message: "follow-up date shown" });
  assert.equal(due, plusDays(today(), 14));
  const chosenDay = plusDays(today(), 21);
  await browser.execute((k, v) => {
    const input = [...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k).querySelector("[data-testid=medrec-follow-up-due]");
    input.value = v;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }, rowKey, chosenDay);
  await browser.execute((k) => [...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k).querySelector("[data-testid=medrec-note]").focus(), rowKey);
  await type(browser, "Restart when eGFR above 45");
  await press(browser, "Enter");
  await until(async () => browser.execute((k) => !!([...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k)?.querySelector("[data-testid=medrec-follow-up]")), rowKey), { message: "follow-up shown" });
  const follow = await browser.execute((k) => [...document.querySelectorAll("[data-medrec-row]")].find((r) => r.getAttribute("data-medrec-row") === k).querySelector("[data-testid=medrec-follow-up]").textContent, rowKey);
  assert.match(follow, /review whether to restart/);
  const shown = JSON.parse(cli(["show", String(id), "--json"], env()));
  const task = shown.tasks.find((t) => t.medrec_row === rowKey);
  assert.ok(task, JSON.stringify(shown.tasks));
  assert.equal(task.due_date, chosenDay);
  assert.ok(key);

  // Tasks: the reconciliations to sign off (this one among them) and the follow-ups.
  await press(browser, "Escape");
  await press(browser, "t");
  await (await browser.$("#tasks-page")).waitForDisplayed({ timeout: 5000 });
  await until(async () => (await browser.$$("#tasks-page [data-testid=medrec-due-row]")).length >= 1, { message: "reconciliations listed" });
  const dueRows = await browser.execute(() => [...document.querySelectorAll("[data-testid=medrec-due-row]")].map((r) => r.textContent));
  const spaced = (n) => n.replace(/(\d{3})(\d{3})(\d{4})/, "$1 $2 $3");
  assert.ok(dueRows.some((t) => t.includes(spaced(second.nhs))), dueRows.join("\n"));
  assert.ok(!dueRows.some((t) => t.includes(spaced(chosen.nhs))), "the signed-off one is gone");
  const tasks = await browser.execute(() => [...document.querySelectorAll("[data-testid=task]")].map((r) => r.textContent));
  assert.ok(tasks.some((t) => /review whether to restart/.test(t) && /Medicines/.test(t)), tasks.join("\n"));
  assert.ok(tasks.some((t) => /Medicines query to the hospital/.test(t)), tasks.join("\n"));
  assert.deepEqual(await axeViolations(browser), []);
  await screenshot(browser, "07-medrec-tasks");
});
