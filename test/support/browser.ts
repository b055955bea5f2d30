// Headless Chromium for the Web UI tests (test/ui): Debian's `chromium` (installed by
// `bash hack/dev.sh setup`) driven by puppeteer-core, which downloads nothing. Also builds the UI
// from the working tree into a private directory, so a test serves exactly the current sources
// (`hawser server --staticassets DIR`) and test files running side by side do not share a build.
import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** HAWSER_CHROMIUM, else Debian's path. */
export function chromiumPath(): string {
  return process.env.HAWSER_CHROMIUM ?? "/usr/bin/chromium";
}

/** Starts a headless Chromium closed when the test ends. */
export async function startBrowser(t: TestContext): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install Debian's chromium package (bash hack/dev.sh setup does) or set HAWSER_CHROMIUM`);
  }
  const profile = await mkdtemp(join(tmpdir(), "hawser-chromium-"));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    // Root in CI has no user namespace sandbox; /dev/shm is small in containers.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--window-size=1400,900"],
    defaultViewport: { width: 1400, height: 900 },
  });
  t.after(async () => {
    await browser.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  });
  return browser;
}

/** A page whose console errors and failed requests are kept for assertion messages. */
export async function newPage(browser: Browser, opts: { incognito?: boolean } = {}): Promise<{ page: Page; log: string[] }> {
  const context = opts.incognito ? await browser.createBrowserContext() : browser.defaultBrowserContext();
  const page = await context.newPage();
  const log: string[] = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warn") log.push(`console.${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => log.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  page.on("requestfailed", (r) => log.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return { page, log };
}

let built: Promise<string> | undefined;

/** Builds ui/ once per test process into a temporary directory; the path to give --staticassets. */
export function buildUi(): Promise<string> {
  built ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), "hawser-ui-build-"));
    const build = (): Promise<void> => new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [join(root, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "ui/vite.config.ts", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"],
        { cwd: root, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => (err ? reject(new Error(`building the UI failed: ${stderr || err.message}`)) : resolve()));
    });
    // Vite refuses a second build of the same project while one runs (it locks the project), and
    // hack/test.mjs runs two test files at once: wait for the other build instead of failing.
    for (let attempt = 1; ; attempt++) {
      try {
        await build();
        break;
      } catch (err) {
        if (attempt >= 40 || !String(err).includes("Found another Vite build process")) throw err;
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
    process.once("exit", () => rmSync(out, { recursive: true, force: true }));
    return out;
  })();
  return built;
}

/** Saves a screenshot under test-results/ui/ (git-ignored; CI keeps it as an artifact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(root, "test-results", "ui");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path: path });
  return path;
}

/** Waits for a selector; on timeout the error carries the page's text and its console log. */
export async function waitFor(page: Page, selector: string, log: string[], timeout = 60_000): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout });
  } catch (err) {
    // A string expression: this module is also compiled without the DOM library (tsconfig.build.json).
    const text = String(await page.evaluate("document.body.innerText").catch(() => ""));
    throw new Error(`${selector} not shown within ${timeout} ms at ${page.url()}\npage:\n${text.slice(0, 3000)}\nlog:\n${log.join("\n")}\n${String(err)}`);
  }
}

/**
 * Clicks a button once it is enabled. A click on a disabled button does nothing, and buttons here
 * are disabled while a request of the page is in flight (a refresh, a sync being started), which a
 * test watching the cluster cannot see.
 */
export async function clickEnabled(page: Page, selector: string, log: string[], timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    await waitFor(page, `${selector}:not([disabled])`, log, Math.max(1, deadline - Date.now()));
    try {
      await page.click(selector);
      return;
    } catch (err) {
      // The element found may be replaced or laid out again before the click lands (a form
      // re-rendered after a mode switch): puppeteer then finds no point to click. Look again.
      if (!/not clickable|detached|not an Element|No node found/i.test(String(err)) || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Logs in through the login form and waits for the navigation it causes. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.waitForSelector("form[aria-label='Log in'] input[name=username]");
  await page.type("input[name=username]", username);
  await page.type("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("form[aria-label='Log in'] button[type=submit]")]);
}

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

interface AxeViolation { id: string; impact?: string; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }

/** axe-core on the page as it is now: the serious and critical violations, described. */
export async function axeProblems(page: Page): Promise<string[]> {
  // String expressions: this module is also compiled without the DOM library.
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)") as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} (${n.failureSummary ?? ""})`).join("; ")}`);
}
