// Shared end-to-end harness: starts tauri-driver (which starts WebKitWebDriver, which starts the
// real app binary) with a throwaway HANDOVER_DATA_DIR, and opens a WebDriver session on it.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
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

/**
 * Launches the app. `env` adds variables for the app (e.g. HANDOVER_MESH_URL).
 * Returns { browser, dataDir, close }.
 */
export async function launch({ env = {}, dataDir } = {}) {
  const app = process.env.HANDOVER_APP;
  if (!app) throw new Error("HANDOVER_APP is not set (run through tests/e2e/run.sh)");
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), "handover-e2e-"));
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, HANDOVER_DATA_DIR: dir, WEBKIT_DISABLE_COMPOSITING_MODE: "1", ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
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
  await browser.saveScreenshot(file);
  const screen = spawnSync("import", ["-window", "root", path.join(artifacts, `${name}-screen.png`)]);
  if (screen.status !== 0) console.warn(`import -window root failed: ${screen.stderr}`);
  return file;
}
