// The app starts on a fresh, encrypted store and shows the inbox.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { launch, screenshot } from "./harness.mjs";

let session;
before(async () => {
  session = await launch();
});
after(async () => {
  await session?.close();
});

test("the window shows the inbox heading on a fresh encrypted store", async () => {
  const { browser, dataDir } = session;
  const heading = await browser.$("h1#inbox-heading");
  await heading.waitForDisplayed({ timeout: 20000 });
  assert.equal(await heading.getText(), "Inbox");
  assert.equal(await browser.getTitle(), "Handover");

  // Started as the harness's profile; no register imported yet, said like stale data.
  assert.equal(await (await browser.$("#current-user")).getText(), "Alex Admin (Admin)");
  const register = await browser.$("#register-banner");
  await register.waitForDisplayed({ timeout: 10000 });
  assert.match(await register.getText(), /No practice register imported: documents are not matched to registered patients\./);

  const status = await browser.$("#store-status");
  assert.match(await status.getText(), /^Encrypted store \(SQLCipher 4\./);

  // The store was created in the throwaway data directory, encrypted.
  const db = path.join(dataDir, "handover.db");
  assert.ok(existsSync(db), "the database file exists");
  assert.notEqual(readFileSync(db).subarray(0, 15).toString("latin1"), "SQLite format 3");

  const file = await screenshot(browser, "01-inbox-empty");
  assert.ok(existsSync(file));
});
