// The pharmacist's medicines reconciliation (issue 13), keyboard only in the real window: the
// fixtures' practice lists are imported with the CLI; a pharmacist opens a discharge with an
// added, a stopped and an omitted medicine, finds the sign-off refused while rows are undecided,
// decides every row (a decision made elsewhere meanwhile is reloaded, not overwritten; the
// omission is queried with the hospital, with a note), and signs off. The practice list then has
// version 2 from the reconciliation, and the audit has each decision under the pharmacist's name.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { addUser, axeViolations, cli, fixtureMailbox, inspect, launch, press, screenshot, until } from "./harness.mjs";

const PHARMACIST = { name: "Pat Pharmacist", role: "pharmacist" };

let session;
let dataDir;
let chosen; // { file, doc, nhs, rows }

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
  // A discharge (not mental health) with an added and a stopped medicine and an omission, whose
  // patient has one document among the fixtures.
  for (const d of docs) {
    const meds = d.doc.medications ?? [];
    const nhs = d.doc.patient?.nhs_number;
    if (!/discharge/.test(d.doc.kind) || d.doc.kind === "mental-health-discharge" || !nhs || count(nhs) !== 1) continue;
    if (!meds.some((m) => m.change === "added") || !meds.some((m) => m.list === "discontinued")) continue;
    const rows = JSON.parse(cli(["medrec", "diff", "--document", d.file, "--practice-list", lists, "--json"])).rows;
    if (!rows.some((r) => r.category === "omission")) continue;
    chosen = { ...d, nhs, rows };
    break;
  }
  assert.ok(chosen, "a discharge with an added, a stopped and an omitted medicine");

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
  assert.equal(await browser.execute(() => getComputedStyle(document.querySelector("[data-category=omission] td")).borderLeftColor), "rgb(213, 40, 27)", "the omission stands out in red");

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
});
