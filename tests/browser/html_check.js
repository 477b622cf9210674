// html_check.js -- open csprof's HTML report in headless Chromium, once with
// JavaScript disabled and once enabled, and report what a person would see,
// as JSON on stdout. It asserts nothing: tests/test_html_report.py compares
// the observations with expectations computed from the profiles.
//
// usage: node html_check.js CONFIG.json
// CONFIG: { "html": path, "png": path prefix, "profile_dir": fresh dir,
//           "click": function name to click in the first flamegraph,
//           "search": regex typed into the page's search box }
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

// Every flamegraph as the page currently shows it.
function snapshot() {
  return Array.from(document.querySelectorAll('figure.fg')).map((fig) => {
    const svg = fig.querySelector('svg');
    const box = svg.querySelector('#frames');
    const bbox = svg.getBoundingClientRect();
    const matched = svg.querySelector('#matched');
    return {
      visible: bbox.width > 0 && bbox.height > 0,
      matched: matched ? matched.textContent : null,
      matched_samples: matched && matched.getAttribute('data-samples'),
      bars: Array.from(box.children).map((g) => {
        const r = g.getElementsByTagName('rect')[0];
        const t = g.getElementsByTagName('text')[0];
        const rb = r.getBoundingClientRect();
        return {
          title: g.getElementsByTagName('title')[0].textContent,
          label: t ? t.textContent : '',
          x: parseFloat(r.getAttribute('x')),
          w: parseFloat(r.getAttribute('width')),
          shown: getComputedStyle(g).display !== 'none' && rb.width > 0,
          hit: g.classList.contains('hit'),
        };
      }),
    };
  });
}

async function open(context, out, key) {
  const page = await context.newPage();
  page.on('pageerror', (e) => out.errors.push(key + ': ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') out.errors.push(key + ': console: ' + m.text()); });
  // Self-contained: any request other than the file itself is an error.
  page.on('request', (r) => { if (!r.url().startsWith('file://')) out.errors.push(key + ': network: ' + r.url()); });
  const t0 = Date.now();
  await page.goto('file://' + path.resolve(cfg.html), { waitUntil: 'load', timeout: 120000 });
  out.load_ms[key] = Date.now() - t0;
  return page;
}

async function main() {
  const out = { errors: [], load_ms: {}, shots: {} };
  const launch = (js) => chromium.launchPersistentContext(cfg.profile_dir + (js ? '-js' : '-nojs'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled: js,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 60000,
  });

  let context = await launch(false);
  try {
    const page = await open(context, out, 'nojs');
    out.nojs = {
      figures: await page.evaluate(snapshot),
      searchbar_hidden: await page.evaluate(() => document.getElementById('searchbar').hidden),
      text: await page.evaluate(() => document.body.innerText),
    };
    if (cfg.png) {
      await page.screenshot({ path: cfg.png + '-nojs.png', fullPage: false });
      out.shots.nojs = cfg.png + '-nojs.png';
    }
  } finally {
    await context.close();
  }

  context = await launch(true);
  try {
    const page = await open(context, out, 'js');
    out.js = { before: await page.evaluate(snapshot) };
    out.js.searchbar_hidden = await page.evaluate(() => document.getElementById('searchbar').hidden);
    if (cfg.click) {
      // A real click on the first flamegraph's bar whose tooltip names it.
      const idx = out.js.before[0].bars.findIndex((b) => b.title.split('\n')[0] === cfg.click);
      out.js.clicked = idx;
      if (idx >= 0) {
        const g = page.locator('figure.fg').first().locator('#frames > g').nth(idx);
        await g.locator('rect').click({ force: true });
        out.js.zoomed = await page.evaluate(snapshot);
      }
    }
    if (cfg.search) {
      await page.fill('#searchinput', cfg.search);
      out.js.searched = await page.evaluate(snapshot);
      out.js.searchinfo = await page.evaluate(() => document.getElementById('searchinfo').textContent);
    }
    if (cfg.png) {
      await page.screenshot({ path: cfg.png + '-js.png', fullPage: false });
      out.shots.js = cfg.png + '-js.png';
    }
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
