// Run axe-core's WCAG 2.2 A and AA rules on HTML files in the machine's own Chromium.
//
// Usage: node tests/a11y/axe_check.mjs FILE.html... > results.json
// Prints one JSON object: {"axe": version, "browser": version, "tags": [...], "pages": {file: {...}}},
// each page with its violations (rule id, impact, help, and the offending nodes' selectors and HTML)
// and counts of passed and incomplete checks. No browser is downloaded: playwright-core drives the
// Chromium from apt (CHROMIUM, default /usr/lib/chromium/chromium). Exit 0 when it ran, whatever
// it found (the caller judges); 2 on bad usage or when Chromium or axe cannot be started.
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const TAGS = (process.env.AXE_TAGS || "wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22aa").split(",");
const CHROMIUM = process.env.CHROMIUM || "/usr/lib/chromium/chromium";
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
];

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tests/a11y/axe_check.mjs FILE.html...");
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  process.exit(2);
}

const { chromium } = require("playwright-core");
const axePath = require.resolve("axe-core/axe.min.js");
const axeVersion = require("axe-core/package.json").version;

const profile = mkdtempSync(join(tmpdir(), "wres-axe-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 900 },
    locale: "en-GB",
  });
  // Reports are self-contained: any request leaving the machine is a fault, so none is let out.
  await context.route(/^(?!file:|data:)/, (route) => route.abort());
  const page = context.pages()[0] || (await context.newPage());
  const pages = {};
  for (const file of files) {
    const started = Date.now();
    await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load" });
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async (tags) => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return {
        violations: r.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help, tags: v.tags,
          nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary })),
        })),
        passes: r.passes.length,
        incomplete: r.incomplete.map((v) => v.id),
      };
    }, TAGS);
    pages[file] = { ...result, seconds: (Date.now() - started) / 1000 };
  }
  const browser = context.browser();
  const version = browser ? browser.version() : "chromium";
  process.stdout.write(JSON.stringify({ axe: axeVersion, browser: version, tags: TAGS, pages }, null, 1) + "\n");
} catch (error) {
  console.error(String(error && error.stack ? error.stack : error));
  process.exitCode = 2;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
