// The inbox against the synthetic fixtures in a folder mailbox: listing, search, the document
// view (sections, medicines and badges), hostile narrative, keyboard triage, quarantine, axe.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { axeViolations, fixtureMailbox, inspect, laneCounts, launch, listName, press, repoRoot, screenshot, selectFileable, until } from "./harness.mjs";

const GARBAGE = '<?xml version="1.0"?><notABundle><script>window.__handoverPwned = true</script>not a ToC message</notABundle>';

/** A discharge summary (another seed, so not a duplicate) whose PDF attachment is a real PDF. */
function pdfFixture() {
  const { pristine } = fixtureMailbox({ count: 1, seed: 13 });
  const file = path.join(pristine, "0001-inpatient-discharge.xml");
  const pdf = spawnSync("python3", [path.join(repoRoot, "tests/e2e/make_pdf.py"), "Handover test PDF"]).stdout;
  const xml = readFileSync(file, "utf8");
  const replaced = xml.replace(/(<contentType value="application\/pdf"\/>\s*<(?:content|data) value=")[^"]*(")/, `$1${pdf.toString("base64")}$2`);
  assert.notEqual(replaced, xml, "the fixture has a PDF attachment to replace");
  writeFileSync(file, replaced);
  return { file, xml: replaced, doc: inspect(file) };
}

let session;
let fixtures;
let pdfDoc;
before(async () => {
  const pdf = pdfFixture();
  pdfDoc = pdf.doc;
  fixtures = fixtureMailbox({ extra: { "0099-garbage.xml": GARBAGE, "0098-real-pdf.xml": pdf.xml } });
  session = await launch({ env: { HANDOVER_MAILBOX_DIR: fixtures.mailbox, HANDOVER_STALE_MINUTES: "15" } });
});
after(async () => {
  await session?.close();
});

const rows = (browser) => browser.$$("#inbox-list [role=option][data-id]");
/** The rendered rows, read in one go (rows are re-rendered as the list scrolls). */
const rowData = (browser) =>
  browser.execute(() => [...document.querySelectorAll("#inbox-list [role=option][data-id]")].map((r) => ({ id: r.getAttribute("data-id"), text: r.textContent })));
const openRow = async (browser, id) => (await browser.$(`#inbox-list [data-id="${id}"]`)).click();

async function searchFor(browser, text) {
  await press(browser, "Escape");
  await press(browser, "/");
  const search = await browser.$("#search");
  await until(async () => (await browser.execute(() => document.activeElement?.id)) === "search", { message: "search focused" });
  await search.setValue(text);
  // Wait until the list shows the results of this search (not of an earlier one).
  await until(async () => browser.execute((t) => document.getElementById("inbox-list").getAttribute("data-search") === t && document.getElementById("inbox-list").getAttribute("aria-busy") === "false", text), { message: `results for ${text}` });
}

/** Documents in New once the start-up sync has stored them all (read from the store). */
let N;
const newIs = (n) => new RegExp(`^New: ${n} documents?$`);

async function summary(browser) {
  return (await browser.$("#list-summary")).getText();
}

test("the app syncs the folder mailbox and the inbox lists the documents", async () => {
  const { browser } = session;
  await (await browser.$("h1#inbox-heading")).waitForDisplayed({ timeout: 20000 });
  // All 40 fixtures and the PDF one are documents once the start-up sync has run; New holds all
  // but those in Needs GP review (mental health discharges) and the replaced versions.
  await until(async () => (await (await browser.$('[data-queue="all"] .app-queues__count')).getText()) === "41", { timeout: 30000, message: "41 documents" });
  const lanes = laneCounts(session.dataDir);
  N = lanes.new;
  assert.equal(N + lanes["needs-gp-review"] + lanes.superseded, 41, JSON.stringify(lanes));
  assert.ok(lanes["needs-gp-review"] > 0, "mental health discharges wait for a GP");
  await until(async () => newIs(N).test(await summary(browser)), { timeout: 30000, message: `${N} new documents` });
  const first = await rows(browser);
  assert.ok(first.length >= 5, `rows rendered: ${first.length}`);
  // Virtualised: far fewer rows in the DOM than documents would be possible, each a compact row.
  const text = await first[0].getText();
  assert.match(text, /\d{3} \d{3} \d{4}/, "NHS number spaced 3 3 4");
  // No stale banner after a successful sync.
  await until(async () => !(await (await browser.$("#stale-banner")).isExisting()), { message: "no stale banner" });
  assert.match(await (await browser.$("#sync-indicator")).getText(), /^Synced at \d\d:\d\d$/);
  // Quarantine count in the queues.
  assert.equal(await (await browser.$('[data-queue="quarantine"] .app-queues__count')).getText(), "1");
  await screenshot(browser, "02-inbox");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});

test("search finds a patient by NHS number, with or without spaces", async () => {
  const { browser } = session;
  const doc = inspect(path.join(fixtures.pristine, "0001-inpatient-discharge.xml"));
  const nhs = doc.patient.nhs_number;
  await searchFor(browser, `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
  const found = await rowData(browser);
  assert.ok(found.length >= 1);
  for (const r of found) assert.ok(r.text.includes(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`), r.text);
  assert.ok(found.some((r) => r.text.includes(listName(doc.patient))));
  // Arrow down from the search box moves into the results; Enter opens the selected document.
  await press(browser, "ArrowDown");
  await until(async () => (await browser.execute(() => document.activeElement?.id)) === "inbox-list", { message: "list focused" });
});

test("the list filters by kind and sorts by patient", async () => {
  const { browser } = session;
  await browser.execute(() => {
    const s = document.getElementById("search");
    s.value = "";
    s.dispatchEvent(new Event("input"));
  });
  await until(async () => newIs(N).test(await summary(browser)), { message: "search cleared" });
  await (await browser.$(".app-filters__summary")).click();
  await (await browser.$("#filter-kind")).selectByAttribute("value", "outpatient-letter");
  await until(async () => /matching$/.test(await summary(browser)), { message: "filtered list" });
  const shown = await rowData(browser);
  assert.ok(shown.length >= 5, `rows: ${shown.length}`);
  for (const r of shown) assert.ok(r.text.includes("Outpatient letter"), r.text);
  const before = await summary(browser);
  await (await browser.$("#sort")).selectByAttribute("value", "patient");
  await until(async () => (await browser.execute(() => document.getElementById("inbox-list").getAttribute("aria-busy"))) === "false" && (await summary(browser)) === before, { message: "sorted list" });
  const sortedRows = await rowData(browser);
  assert.equal(sortedRows.length, shown.length);
  for (const r of sortedRows) assert.ok(r.text.includes("Outpatient letter"), r.text);
  await (await browser.$("#clear-filters")).click();
  await until(async () => newIs(N).test(await summary(browser)), { message: "filters cleared" });
  await (await browser.$(".app-filters__summary")).click();
});

test("a discharge summary shows every section title and its medicines with change badges", async () => {
  const { browser } = session;
  const doc = inspect(path.join(fixtures.pristine, "0001-inpatient-discharge.xml"));
  await searchFor(browser, doc.patient.nhs_number);
  // 0001 is an original (a later fixture may replace it, about the same patient).
  const found = (await rowData(browser)).filter(
    (r) => r.text.includes(listName(doc.patient)) && r.text.includes("Inpatient discharge") && !r.text.includes("Replacement"),
  );
  assert.equal(found.length, 1, JSON.stringify(found));
  await openRow(browser, found[0].id);
  const title = await browser.$("#document-title");
  await until(async () => (await title.getText()) === doc.title, { message: `document title ${doc.title}` });

  const shown = await browser.execute(() => [...document.querySelectorAll("[data-testid=section] .app-section__title-text")].map((e) => e.textContent));
  const expected = doc.sections.map((s) => s.title);
  assert.deepEqual(shown, expected, "every section, in order");

  // The patient banner comes from the document's Patient resource.
  const banner = await (await browser.$("[data-testid=patient-banner]")).getText();
  const n = doc.patient.nhs_number;
  assert.ok(banner.includes(`${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`), banner);
  assert.match(banner, /Born \d\d-[A-Z][a-z]{2}-\d{4} \(\d+[ym]\)/);

  // Every medicine is in the table with its badge word.
  const medRows = await browser.execute(() => [...document.querySelectorAll("[data-testid=medicines] tbody tr")].map((tr) => tr.textContent));
  assert.equal(medRows.length, doc.medications.length);
  for (const m of doc.medications) {
    const row = medRows.find((t) => t.includes(m.name));
    assert.ok(row, `medicine ${m.name} shown`);
    const word = { added: "Added", amended: "Amended", continued: "Continued", "on-hold": "On hold" }[m.change];
    if (m.status === "stopped") assert.ok(row.startsWith("Stopped"), row);
    else if (word) assert.ok(row.startsWith(word), `${m.name}: ${row}`);
  }
  // The prominent sections are marked as such.
  const prominent = await browser.execute(() => [...document.querySelectorAll(".app-section--prominent .app-section__title-text")].map((e) => e.textContent));
  assert.ok(prominent.includes("Plan and requested actions"));
  assert.ok(prominent.includes("Medications and medical devices"));

  await screenshot(browser, "02-document");
  await browser.execute(() => document.querySelector("[data-testid=medicines]").scrollIntoView());
  await screenshot(browser, "02-document-medicines");
  await browser.execute(() => { document.getElementById("document-scroll").scrollTop = 0; });
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));

  // The banner stays in view when the document scrolls.
  await browser.execute(() => { const s = document.getElementById("document-scroll"); s.scrollTop = s.scrollHeight; });
  const bannerTop = await browser.execute(() => document.querySelector("[data-testid=patient-banner]").getBoundingClientRect().top);
  assert.ok(bannerTop >= 0 && bannerTop < 200, `banner top ${bannerTop}`);
});

test("a document with hostile narrative shows its text and runs no script", async () => {
  const { browser } = session;
  // Fixture 0004 carries script in its narrative that would set window.__handoverPwned.
  const doc = inspect(path.join(fixtures.pristine, "0004-outpatient-letter.xml"));
  await searchFor(browser, doc.patient.nhs_number);
  const found = (await rowData(browser)).filter((r) => r.text.includes(listName(doc.patient)) && r.text.includes("Outpatient letter"));
  assert.equal(found.length, 1, JSON.stringify(found));
  await openRow(browser, found[0].id);
  await until(async () => (await (await browser.$("#document-title")).getText()) === doc.title, { message: "hostile document open" });
  await until(async () => (await browser.execute(() => document.querySelector(".app-narrative") !== null)), { message: "narrative shown" });
  const text = await browser.execute(() => document.getElementById("document-scroll").textContent);
  assert.ok(text.includes("Hidden note: check potassium."), "the hidden note's words are shown");
  assert.ok(text.includes("Open results"));
  const unsafe = await browser.execute(() => document.querySelectorAll(".app-narrative script, .app-narrative img, .app-narrative iframe, .app-narrative svg, .app-narrative [onclick], .app-narrative [onerror], .app-narrative a[href]").length);
  assert.equal(unsafe, 0);
  // Give any injected handler a chance to fire, then click the former link and check the flag.
  await (await browser.$(".app-narrative__link")).click().catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await browser.execute(() => window.__handoverPwned === true), false);
  await screenshot(browser, "02-hostile");
});

test("keyboard triage: j/k, Enter, f to file, Esc back, ? for help", async () => {
  const { browser } = session;
  await press(browser, "Escape");
  await press(browser, "/");
  const search = await browser.$("#search");
  await search.clearValue();
  await press(browser, "Escape", "Escape");
  await until(async () => newIs(N).test(await summary(browser)), { message: "all 41 back" });
  await until(async () => (await browser.execute(() => document.activeElement?.id)) === "inbox-list", { message: "list focused" });
  await press(browser, "j", "j", "k");
  const selected = await browser.execute(() => document.querySelector("#inbox-list [aria-selected=true]")?.getAttribute("data-index"));
  assert.equal(selected, "1");
  // On to a document that asks nothing of the practice (one with requested actions waits for
  // a decision on each before it may be filed: see 06-workflow).
  await selectFileable(browser);
  await press(browser, "Enter");
  await until(async () => (await browser.execute(() => document.activeElement?.id)) === "document-scroll", { message: "document focused" });
  const openedId = await browser.execute(() => document.querySelector(".app-doc")?.getAttribute("data-document-id"));
  await press(browser, "f");
  await until(async () => newIs(N - 1).test(await summary(browser)), { message: "filed document leaves New" });
  assert.equal(await (await browser.$('[data-queue="filed"] .app-queues__count')).getText(), "1");
  assert.equal(await browser.execute(() => document.activeElement?.id), "inbox-list");
  // Filed queue holds it.
  await press(browser, "4");
  await until(async () => /Filed: 1 document$/.test(await summary(browser)), { message: "filed queue" });
  const filedId = await browser.execute(() => document.querySelector("#inbox-list [data-id]")?.getAttribute("data-id"));
  assert.equal(filedId, openedId);
  await press(browser, "1");
  await until(async () => newIs(N - 1).test(await summary(browser)), { message: "back to New" });
  // Help panel.
  await press(browser, "?");
  const help = await browser.$("#help");
  await help.waitForDisplayed({ timeout: 5000 });
  const helpText = await help.getText();
  for (const word of ["Next document", "File the open document", "Mark the open document as needs action", "Search"]) assert.ok(helpText.includes(word), word);
  await screenshot(browser, "02-help");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  await press(browser, "Escape");
  await until(async () => !(await help.isDisplayed()), { message: "help closed" });
});

test("a quarantined message shows its reason and its raw content as text", async () => {
  const { browser } = session;
  await press(browser, "3");
  await until(async () => /Quarantine: 1 message$/.test(await summary(browser)), { message: "quarantine queue" });
  await (await browser.$("#quarantine-list [role=option]")).click();
  const raw = await browser.$("[data-testid=quarantine-raw]");
  await raw.waitForDisplayed({ timeout: 10000 });
  assert.equal(await raw.getText(), GARBAGE);
  assert.ok((await (await browser.$("[data-testid=quarantine-reason]")).getText()).length > 0);
  assert.equal(await browser.execute(() => window.__handoverPwned === true), false);
  await screenshot(browser, "02-quarantine");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  assert.ok(readdirSync(fixtures.mailbox).length >= 0 && existsSync(fixtures.mailbox));
});

test("a PDF attachment opens inside the window, drawn by pdf.js (nothing executed)", async () => {
  const { browser } = session;
  await press(browser, "1");
  await searchFor(browser, pdfDoc.patient.nhs_number);
  const found = (await rowData(browser)).filter((r) => r.text.includes(listName(pdfDoc.patient)));
  assert.equal(found.length, 1, JSON.stringify(found));
  await openRow(browser, found[0].id);
  await until(async () => (await (await browser.$("#document-title")).getText()) === pdfDoc.title, { message: "PDF document open" });
  const view = await browser.$("[data-testid=view-attachment]");
  await view.scrollIntoView();
  await view.click();
  const outcome = await until(async () => browser.execute(() => {
    const err = document.querySelector("[data-testid=pdf-error]");
    if (err) return { error: err.textContent };
    const pages = document.querySelector("[data-testid=pdf-view][data-pages]");
    return pages ? { pages: pages.getAttribute("data-pages") } : null;
  }), { timeout: 30000, message: "the PDF to render" });
  assert.deepEqual(outcome, { pages: "1" });
  // The page has ink on it (the text line), not just a blank canvas.
  const inked = await browser.execute(() => {
    const c = document.querySelector("[data-testid=pdf-view] canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, Math.floor(c.height / 4)).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) dark++;
    return dark;
  });
  assert.ok(inked > 50, `dark pixels: ${inked}`);
  await browser.execute(() => document.querySelector("[data-testid=pdf-view]").scrollIntoView());
  await screenshot(browser, "02-pdf");
  assert.equal(await browser.execute(() => window.__handoverPwned === true), false);
});
