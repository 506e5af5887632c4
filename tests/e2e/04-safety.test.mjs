// Safety in the real window: a document sent under another patient's identifier is shown as its
// own, with a warning on both; a duplicate delivery is listed on the original; a quarantined
// document that can be read is shown (unverified) under its reason, and a large unreadable
// message as a bounded preview, with "Save the original" writing every byte to a new file.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { axeViolations, cli, fixtureMailbox, inspect, launch, press, screenshot, until } from "./harness.mjs";

/** The same NHS number with its check digit changed: fails the modulus 11 check. */
function failingCheckDigit(nhs) {
  return nhs.slice(0, 9) + String((Number(nhs[9]) + 1) % 10);
}

let session;
let a;
let b;
let unverified;
let downloads;
const BIG = "This message is not XML and it is long. ".repeat(8000);

before(async () => {
  const { pristine } = fixtureMailbox({ count: 6, seed: 31 });
  const files = readdirSync(pristine).filter((f) => f.endsWith(".xml")).sort();
  const docs = files.map((f) => ({ file: path.join(pristine, f), doc: inspect(path.join(pristine, f)) }));
  a = docs.find((d) => !d.doc.replaces);
  b = docs.find((d) => !d.doc.replaces && d.doc.patient.nhs_number !== a.doc.patient.nhs_number);
  const aXml = readFileSync(a.file, "utf8");
  const bXml = readFileSync(b.file, "utf8").replaceAll(b.doc.document_id, a.doc.document_id);
  // Another seed's document with an NHS number that fails its check: quarantined, but readable.
  const other = fixtureMailbox({ count: 1, seed: 32 });
  const oFile = path.join(other.pristine, readdirSync(other.pristine).find((f) => f.endsWith(".xml")));
  const oDoc = inspect(oFile);
  unverified = { nhs: failingCheckDigit(oDoc.patient.nhs_number), title: oDoc.title, patient: oDoc.patient };
  const oXml = readFileSync(oFile, "utf8").replaceAll(oDoc.patient.nhs_number, unverified.nhs);
  const mailbox = mkdtempSync(path.join(tmpdir(), "handover-mailbox-"));
  writeFileSync(path.join(mailbox, "1-a.xml"), aXml);
  writeFileSync(path.join(mailbox, "2-b-reusing-a-bundle-id.xml"), bXml);
  writeFileSync(path.join(mailbox, "3-a-again.xml"), aXml);
  writeFileSync(path.join(mailbox, "4-invalid-nhs.xml"), oXml);
  writeFileSync(path.join(mailbox, "5-big.txt"), BIG);
  // Where "Save to Downloads" writes: the XDG user directory the app reads.
  downloads = mkdtempSync(path.join(tmpdir(), "handover-downloads-"));
  const config = mkdtempSync(path.join(tmpdir(), "handover-xdg-"));
  writeFileSync(path.join(config, "user-dirs.dirs"), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
  session = await launch({ env: { HANDOVER_MAILBOX_DIR: mailbox, XDG_CONFIG_HOME: config } });
});
after(async () => {
  await session?.close();
});

const summary = async (browser) => (await browser.$("#list-summary")).getText();

test("a document reusing another patient's identifier is its own document, with a warning on both", async () => {
  const { browser } = session;
  await (await browser.$("h1#inbox-heading")).waitForDisplayed({ timeout: 20000 });
  await until(async () => /New: 2 documents/.test(await summary(browser)), { timeout: 30000, message: "2 new documents" });
  for (const d of [a, b]) {
    const nhs = d.doc.patient.nhs_number;
    const id = await browser.execute(
      (n) => [...document.querySelectorAll("#inbox-list [data-id]")].find((r) => r.textContent.replace(/\s/g, "").includes(n))?.getAttribute("data-id"),
      nhs,
    );
    assert.ok(id, `a row for ${nhs}`);
    await (await browser.$(`#inbox-list [data-id="${id}"]`)).click();
    const issues = await browser.$("[data-testid=identity-issues]");
    await issues.waitForDisplayed({ timeout: 10000 });
    assert.match(await issues.getText(), /another patient/);
    const banner = await (await browser.$("[data-testid=patient-banner]")).getText();
    assert.ok(banner.replace(/\s/g, "").includes(nhs), "the banner names this document's patient");
  }
});

test("a duplicate delivery is listed on the original", async () => {
  const { browser } = session;
  const nhs = a.doc.patient.nhs_number;
  const id = await browser.execute(
    (n) => [...document.querySelectorAll("#inbox-list [data-id]")].find((r) => r.textContent.replace(/\s/g, "").includes(n))?.getAttribute("data-id"),
    nhs,
  );
  await (await browser.$(`#inbox-list [data-id="${id}"]`)).click();
  const deliveries = await browser.$("[data-testid=deliveries]");
  await deliveries.waitForDisplayed({ timeout: 10000 });
  assert.match(await deliveries.getText(), /Received 2 times\./);
  await screenshot(browser, "04-identity-and-deliveries");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});

test("a quarantined document that can be read is shown unverified under its reason", async () => {
  const { browser } = session;
  await press(browser, "3");
  await until(async () => /Quarantine: 2 messages$/.test(await summary(browser)), { message: "quarantine queue" });
  const target = await browser.execute(
    () => [...document.querySelectorAll("#quarantine-list [role=option]")].findIndex((r) => /NHS number/i.test(r.textContent)),
  );
  assert.ok(target >= 0, "the invalid NHS number is the listed reason");
  await (await browser.$$("#quarantine-list [role=option]"))[target].click();
  const doc = await browser.$("[data-testid=quarantined-document]");
  await doc.waitForDisplayed({ timeout: 10000 });
  // No patient banner for a message nobody has verified: the patient it seems to be about, under
  // "Not verified", with the failed check said.
  assert.equal(await browser.$$("[data-testid=patient-banner]").length, 0);
  const banner = await (await browser.$("[data-testid=unverified-patient]")).getText();
  assert.match(banner, /Not verified/);
  assert.match(banner, /invalid NHS number/i);
  assert.ok(banner.replace(/\s/g, "").includes(unverified.nhs));
  assert.match(await (await browser.$("[data-testid=quarantine-reason]")).getText(), /NHS number/i);
  await screenshot(browser, "04-quarantined-readable");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});

test("a large unreadable message is previewed, and saved whole as received", async () => {
  const { browser } = session;
  const target = await browser.execute(
    () => [...document.querySelectorAll("#quarantine-list [role=option]")].findIndex((r) => !/NHS number/i.test(r.textContent)),
  );
  await (await browser.$$("#quarantine-list [role=option]"))[target].click();
  const cut = await browser.$("[data-testid=preview-truncated]");
  await cut.waitForDisplayed({ timeout: 10000 });
  assert.match(await cut.getText(), /Showing the first 256(\.0)? KB of 312\.5 KB/);
  const shown = await browser.execute(() => document.querySelector("[data-testid=quarantine-raw]").textContent.length);
  assert.equal(shown, 256 * 1024);
  await (await browser.$("[data-testid=save-original]")).click();
  const toast = await until(async () => {
    const t = await (await browser.$("#toast")).getText();
    return /Saved the message as received/.test(t) ? t : null;
  }, { message: "the saved toast" });
  const saved = readdirSync(downloads);
  assert.equal(saved.length, 1, JSON.stringify(saved));
  assert.ok(toast.includes(path.join(downloads, saved[0])), toast);
  assert.equal(readFileSync(path.join(downloads, saved[0]), "utf8"), BIG, "every byte, as received");
  // Saving again never overwrites: a second file.
  await (await browser.$("[data-testid=save-original]")).click();
  await until(async () => readdirSync(downloads).length === 2, { message: "a second file" });
  await screenshot(browser, "04-quarantined-preview");
});

test("a document quarantined only for its NHS number is kept by a person who knows the patient, matched to the register", async () => {
  const { browser, dataDir } = session;
  // The practice register holds the patient under the right NHS number.
  const p = unverified.patient;
  const csv = path.join(mkdtempSync(path.join(tmpdir(), "handover-register-")), "register.csv");
  writeFileSync(
    csv,
    "nhs_number,family_name,given_name,birth_date,gender,postcode,registration,deceased_date\n" +
      `${p.nhs_number},${p.family},${(p.given ?? [])[0] ?? ""},${p.birth_date.slice(0, 10)},${p.gender ?? "unknown"},,registered,\n`,
  );
  const imported = JSON.parse(cli(["register", "import", csv, "--json"], { HANDOVER_DATA_DIR: dataDir }));
  assert.equal(imported.imported, 1, JSON.stringify(imported));

  await press(browser, "3");
  await until(async () => /Quarantine: \d+ messages?$/.test(await summary(browser)), { message: "quarantine queue" });
  const target = await browser.execute(
    () => [...document.querySelectorAll("#quarantine-list [role=option]")].findIndex((r) => /NHS number/i.test(r.textContent)),
  );
  await (await browser.$$("#quarantine-list [role=option]"))[target].click();
  const form = await browser.$("[data-testid=by-hand-form]");
  await form.waitForDisplayed({ timeout: 10000 });
  // Refused without a valid number: nothing changes.
  await (await browser.$("[data-testid=by-hand-nhs]")).setValue(unverified.nhs);
  await (await browser.$("[data-testid=by-hand-reason]")).setValue("The ward confirmed the NHS number by phone");
  await (await browser.$("[data-testid=by-hand-match]")).click();
  assert.match(await (await browser.$("#by-hand-error")).getText(), /10-digit NHS number/);
  await (await browser.$("[data-testid=by-hand-nhs]")).setValue(p.nhs_number);
  await (await browser.$("[data-testid=by-hand-match]")).click();
  await until(async () => /Kept and matched/.test(await (await browser.$("#toast")).getText()), { message: "the kept toast" });
  // The document is shown with its patient banner, and the quarantine has one message fewer.
  await (await browser.$("[data-testid=patient-banner]")).waitForDisplayed({ timeout: 10000 });
  const rows = JSON.parse(cli(["list", "--json"], { HANDOVER_DATA_DIR: dataDir }));
  const kept = rows.find((r) => r.nhs_number === unverified.nhs);
  assert.ok(kept, "the document is in the inbox");
  assert.equal(kept.match, "matched");
  assert.equal(kept.business_response, null, "no business response after an invalid-message response");
  const shown = JSON.parse(cli(["show", String(kept.id), "--json"], { HANDOVER_DATA_DIR: dataDir }));
  const matched = shown.events.find((e) => e.kind === "matched");
  assert.equal(matched.actor, "Alex Admin");
  assert.match(matched.details.reason, /ward confirmed/);
  // The register imported from the command line while the window was open: its banner went.
  await until(async () => (await browser.$$("#register-banner").length) === 0, { message: "the no-register banner gone" });
  await screenshot(browser, "04-kept-by-hand");
  const violations = await axeViolations(browser);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});
