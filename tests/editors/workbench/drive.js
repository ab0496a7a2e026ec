// Drives hearth's VS Code extension in a real workbench (code-server in Debian's Chromium, through
// playwright-core) as a person would, and writes what it saw to OUT/result.json. Started by
// tests/editors/workbench.py as `node drive.js CONFIG.json`; asks that process for things it
// cannot do from the browser (stopping the inference server...) with "@name" lines on stdout.
//
// config.mode "test": the checks of test_vscode_workbench.py. "bench": last keystroke → ghost
// text drawn, config.samples times (scripts/bench_editors.py).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { chromium } = require(config.playwright);

const STATUS = '[id="hearth.hearth-lsp.hearth.status"]';
const EDITOR = ".editor-group-container.active .monaco-editor:not(.webview)";
const GHOST = `${EDITOR} .ghost-text-decoration, ${EDITOR} .ghost-text`;
const result = { ok: false, steps: [], timings: {}, facts: {}, error: null, screenshots: [] };
let page;

// -- talking to the Python side --------------------------------------------------------------
const answers = [];
let waiting = null;
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (waiting) {
    const resolve = waiting;
    waiting = null;
    resolve(line);
  } else {
    answers.push(line);
  }
});

function ask(name) {
  process.stdout.write(`@${name}\n`);
  return new Promise((resolve) => (answers.length ? resolve(answers.shift()) : (waiting = resolve)));
}

// -- helpers -----------------------------------------------------------------------------------
async function step(name, body) {
  result.steps.push(name);
  const started = Date.now();
  await body();
  result.timings[name] = Date.now() - started;
}

async function until(what, probe, timeoutMs = 30000, everyMs = 50) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
    } catch (error) {
      last = undefined;
    }
    if (last) {
      return last;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await page.waitForTimeout(everyMs);
  }
}

/** The status bar item as a person reads it: its text, and its icon (the aria label's start). */
async function status() {
  return page.$eval(STATUS, (el) => ({
    text: el.textContent.replace(/\s+/g, " ").trim(),
    icon: (el.getAttribute("aria-label") || "").split(/\s/)[0],
    label: el.getAttribute("aria-label") || "",
  }));
}

function isReady(s) {
  return s && s.icon === "sparkle" && /^hearth( \d+ ms)?$/.test(s.text);
}

async function untilStatus(what, test, timeoutMs = 60000) {
  let stopped;
  const found = await until(`the status bar to show ${what}`, async () => {
    const s = await status();
    if (s.icon === "circle-slash" || s.icon === "error") {
      stopped = s; // the server is not running, or its model failed: no point waiting
      return true;
    }
    return test(s) ? s : undefined;
  }, timeoutMs);
  if (stopped) {
    throw new Error(`the status bar shows ${stopped.text} instead of ${what}: ${stopped.label}`);
  }
  return found;
}

/** The text of the active editor's document, as drawn (without ghost text). */
async function editorText() {
  return page.$eval(`${EDITOR} .view-lines`, (lines) => {
    const rows = [...lines.querySelectorAll(".view-line")].map((row) => {
      const copy = row.cloneNode(true);
      copy.querySelectorAll(".ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text")
        .forEach((ghost) => ghost.remove());
      return { top: parseFloat(row.style.top) || 0, text: copy.textContent.replace(/\u00a0/g, " ") };
    });
    return rows.sort((a, b) => a.top - b.top).map((row) => row.text).join("\n").replace(/\s+$/, "");
  });
}

async function ghostText() {
  return page.$$eval(GHOST, (els) => els.map((el) => el.textContent).join("").replace(/\u00a0/g, " "));
}

async function command(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-widget .monaco-list-row.focused", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
}

async function openFile(name) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(name);
  await page.locator(".quick-input-widget .monaco-list-row.focused", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await until(`${name} in the editor`, async () =>
    (await page.locator(".tab.active", { hasText: name }).count()) > 0);
  await page.locator(`${EDITOR} .view-lines`).click();
}

async function goToLine(line, end = true) {
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").fill(`:${line}`);
  await page.keyboard.press("Enter");
  if (end) {
    await page.keyboard.press("End");
  }
}

async function screenshot(name) {
  const file = path.join(config.out, `${name}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
  result.screenshots.push(file);
}

// -- the checks --------------------------------------------------------------------------------
async function workbenchTest() {
  await step("the status bar goes loading → ready", async () => {
    await untilStatus("ready", isReady, 120000);
    const seen = await page.evaluate(() => window.__hearthStatus);
    result.facts.statusHistory = seen.map((s) => s.text);
    const loading = seen.findIndex((s) => s.text === "hearth loading");
    const ready = seen.findIndex((s) => /^hearth( \d+ ms)?$/.test(s.text) && s.label.startsWith("sparkle"));
    if (loading < 0 || ready < loading) {
      throw new Error(`no loading before ready: ${JSON.stringify(result.facts.statusHistory)}`);
    }
  });

  await step("typing shows ghost text, and Tab accepts it", async () => {
    await openFile("add.py");
    await page.keyboard.type("def add(a, b):", { delay: 15 });
    await page.keyboard.press("Enter");
    await page.keyboard.type("return ", { delay: 15 });
    const ghost = await until("ghost text", async () => (await ghostText()).trim() || undefined, 60000);
    result.facts.ghost = ghost;
    const before = await editorText();
    result.facts.beforeTab = before;
    if (before !== "def add(a, b):\n    return") {
      throw new Error(`the ghost text is in the document before Tab: ${JSON.stringify(before)}`);
    }
    await page.keyboard.press("Tab");
    const accepted = await until("the suggestion in the document", async () => {
      const text = await editorText();
      return text !== before && text;
    }, 10000);
    result.facts.accepted = accepted;
  });

  await step("the light bulb's Fix with hearth changes the document; one undo reverts it", async () => {
    await openFile("total.py");
    const original = await editorText();
    result.facts.fixOriginal = original;
    await until("hearth's diagnostic", async () => (await page.locator(`${EDITOR} .squiggly-error`).count()) > 0, 30000);
    await goToLine(config.fixLine);
    const bulb = page.locator(`${EDITOR} .lightBulbWidget`);
    await bulb.waitFor({ state: "visible", timeout: 20000 });
    await bulb.click();
    const item = page.locator(".action-widget .monaco-list-row", { hasText: "Fix with hearth" }).first();
    await item.waitFor({ state: "visible", timeout: 10000 });
    result.facts.fixTitle = (await item.textContent()).trim();
    await item.click();
    const fixed = await until("the fix in the document", async () => {
      const text = await editorText();
      return text !== original && text;
    }, 180000, 200);
    result.facts.fixed = fixed;
    await page.locator(`${EDITOR} .view-lines`).click();
    await page.keyboard.press("Control+Z");
    result.facts.undone = await until("the undo", async () => {
      const text = await editorText();
      return text === original && text;
    }, 10000);
  });

  await step("hearth: Explain shows rendered Markdown beside the editor", async () => {
    await openFile("add.py");
    await goToLine(1);
    await command("hearth: Explain");
    const page_ = await until("the explanation page", async () => {
      for (const frame of page.frames()) {
        const found = await frame.evaluate(() => {
          const h1 = document.querySelector("h1");
          if (!h1 || !/Explanation/.test(h1.textContent)) {
            return null;
          }
          const rendered = [...document.body.querySelectorAll("p, strong, em, code, ul, ol, h2, h3, pre")]
            .filter((el) => !el.closest("h1")).map((el) => el.tagName.toLowerCase());
          return { title: h1.textContent, tags: [...new Set(rendered)], text: document.body.innerText };
        }).catch(() => null);
        if (found) {
          return found;
        }
      }
      return undefined;
    }, 180000, 200);
    result.facts.explanation = page_;
    const tabs = await page.locator(".editor-group-container").count();
    result.facts.editorGroups = tabs;
    if (tabs < 2) {
      throw new Error("the explanation is not beside the editor");
    }
  });

  await step("a setting changed in Settings applies without a restart", async () => {
    await page.keyboard.press("Control+,");
    const search = page.locator(".settings-editor .suggest-input-container .view-lines, .settings-editor .settings-header-widget textarea").first();
    await search.waitFor({ state: "visible" });
    await search.click();
    await page.keyboard.type("hearth.engine", { delay: 10 });
    const select = page.locator('.settings-editor .setting-item-enum [data-key="hearth.engine"] select, .settings-editor .setting-item-contents:has-text("Engine") select').first();
    await select.waitFor({ state: "visible", timeout: 15000 });
    await select.selectOption("http");
    result.facts.engineSetting = await select.inputValue();
    await untilStatus("the model served over http", (s) => isReady(s) && /Engine \| http/.test(s.label), 60000);
    const seen = await page.evaluate(() => window.__hearthStatus);
    result.facts.statusAfterSetting = seen.slice(-4).map((s) => s.text);
    for (let i = 0; i < 3 && await page.locator(".settings-editor").isVisible(); i++) {
      await page.keyboard.press("Escape"); // close Settings
      await page.waitForTimeout(200);
    }
  });

  await step("the status bar shows the inference server's outage, and ready again", async () => {
    await openFile("add.py");
    await goToLine(2);
    if ((await ask("stop-inference")) !== "ok") {
      throw new Error("the inference server could not be stopped");
    }
    const down = await until("the outage in the status bar", async () => {
      await page.keyboard.type("x", { delay: 10 });
      await page.keyboard.press("Backspace");
      try {
        return await untilStatus("unavailable", (s) => s.text === "hearth unavailable", 3000);
      } catch {
        return undefined;
      }
    }, 60000, 10);
    result.facts.outage = down;
    if ((await ask("start-inference")) !== "ok") {
      throw new Error("the inference server could not be started again");
    }
    result.facts.back = await until("ready again", async () => {
      await page.keyboard.type("y", { delay: 10 });
      await page.keyboard.press("Backspace");
      try {
        return await untilStatus("ready", isReady, 3000);
      } catch {
        return undefined;
      }
    }, 60000, 10);
  });
}

// -- the latency benchmark -------------------------------------------------------------------------
async function traceRequests() {
  // the language client traces requests only while its channel's level is Trace
  await command("Developer: Set Log Level...");
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: /^hearth/ }).first().click();
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Trace" }).first().click();
}

async function bench() {
  await untilStatus("ready", isReady, 120000);
  await traceRequests().catch((error) => {
    result.facts.traceError = String(error);
  });
  await openFile(config.bench.file);
  const samples = [];
  for (let i = 0; i < config.samples; i++) {
    const { line, keys } = config.bench.cases[i % config.bench.cases.length];
    await goToLine(line);
    await page.waitForTimeout(300);
    await page.keyboard.type(keys);
    const drawn = await until("ghost text", () => page.evaluate(() => window.__ghostAt), 20000, 2);
    const key = await page.evaluate(() => window.__lastKeyAt);
    samples.push({ keyAt: key, drawnAt: drawn, ms: drawn - key, ghost: await ghostText() });
    await page.keyboard.press("Escape");
    for (let k = 0; k < keys.length; k++) {
      await page.keyboard.press("Backspace");
    }
  }
  result.facts.samples = samples;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
      "--disable-default-apps", "--disable-sync", "--disable-extensions", "--no-first-run",
      "--disable-gpu", "--disable-features=Translate,OptimizationHints,MediaRouter",
      "--metrics-recording-only", "--no-pings", "--disable-domain-reliability"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // nothing but code-server on loopback: no page may reach anywhere else
    await context.route((url) => !/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url.href)
      && !url.href.startsWith("data:") && !url.href.startsWith("blob:"), (route) => {
      result.facts.blocked = [...(result.facts.blocked || []), route.request().url()];
      return route.abort();
    });
    await context.addInitScript(() => {
      window.__hearthStatus = [];
      window.__lastKeyAt = 0;
      window.__ghostAt = null;
      document.addEventListener("keydown", (event) => {
        if (event.key.length === 1) {
          window.__lastKeyAt = Date.now();
          window.__ghostAt = null;
        }
      }, true);
      const watch = () => {
        const el = document.getElementById("hearth.hearth-lsp.hearth.status");
        if (el) {
          const label = el.getAttribute("aria-label") || "";
          const last = window.__hearthStatus[window.__hearthStatus.length - 1];
          if (!last || last.label !== label) {
            window.__hearthStatus.push({ at: Date.now(), text: el.textContent.replace(/\s+/g, " ").trim(), label });
          }
        }
        if (window.__ghostAt === null && document.querySelector(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text")) {
          window.__ghostAt = Date.now();
        }
      };
      new MutationObserver(watch).observe(document, {
        subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-label", "class"],
      });
    });
    page = await context.newPage();
    const opened = Date.now();
    await page.goto(config.url);
    await page.locator(STATUS).waitFor({ timeout: 60000 });
    result.timings.workbench = Date.now() - opened;
    if (config.mode === "bench") {
      await bench();
    } else {
      await workbenchTest();
    }
    result.ok = true;
  } catch (error) {
    result.error = `${result.steps[result.steps.length - 1] || "start"}: ${error && error.stack || error}`;
    if (page) {
      await screenshot("failure");
      result.facts.lastStatus = await status().catch(() => null);
      result.facts.statusTrail = await page.evaluate(() => window.__hearthStatus).catch(() => null);
    }
  } finally {
    fs.writeFileSync(path.join(config.out, "result.json"), JSON.stringify(result, null, 1));
    await browser.close().catch(() => undefined);
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
