// svg_check.js -- drive a csprof flamegraph SVG in headless Chromium and
// report what a person would see, as JSON on stdout. It asserts nothing:
// tests/test_svg_browser.py compares the observations with expectations it
// computes from the profile itself.
//
// usage: node svg_check.js CONFIG.json
// CONFIG: { "svg": path, "png": path prefix, "profile_dir": fresh dir,
//           "hover": function name, "click": function name,
//           "searches": [regex, ...] (first typed after Ctrl-F, the rest after "/") }
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

// Every bar as the page currently shows it.
function snapshot() {
  return Array.from(document.getElementById('frames').children).map((g) => {
    const r = g.getElementsByTagName('rect')[0];
    const t = g.getElementsByTagName('text')[0];
    const title = g.getElementsByTagName('title')[0].textContent;
    return {
      name: title.split('\n')[0],
      title,
      x: parseFloat(r.getAttribute('x')),
      w: parseFloat(r.getAttribute('width')),
      y: parseFloat(r.getAttribute('y')),
      shown: getComputedStyle(g).display !== 'none',
      anc: g.classList.contains('anc'),
      hit: g.classList.contains('hit'),
      fill: getComputedStyle(r).fill,
      label: t ? t.textContent : '',
    };
  });
}

async function main() {
  const out = { errors: [], console: [], shots: {} };
  const context = await chromium.launchPersistentContext(cfg.profile_dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 800 },
    timeout: 60000,
  });
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => out.errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') out.errors.push('console: ' + m.text()); });
    // The SVG must work offline: any request other than the file itself is an error.
    page.on('request', (r) => { if (!r.url().startsWith('file://')) out.errors.push('network: ' + r.url()); });
    const t0 = Date.now();
    await page.goto('file://' + path.resolve(cfg.svg));
    out.load_ms = Date.now() - t0;
    out.root = await page.evaluate(() => {
      const s = document.documentElement;
      return { tag: s.tagName, width: +s.getAttribute('width'), height: +s.getAttribute('height'),
               parseerror: document.getElementsByTagName('parsererror').length,
               title: (document.getElementById('title') || {}).textContent };
    });
    // The style sheet as Chromium parsed it: a rule or declaration it could
    // not parse is missing here (the test compares with flamegraph.css).
    out.css = await page.evaluate(() => Array.from(document.styleSheets).flatMap((sh) =>
      Array.from(sh.cssRules).map((r) => ({ sel: r.selectorText, css: r.style ? r.style.cssText : '' }))));
    // A page-sized screenshot: playwright's fullPage needs an HTML body.
    await page.setViewportSize({ width: out.root.width || 1200, height: out.root.height || 800 });
    const shot = async (name) => {
      const p = cfg.png + '-' + name + '.png';
      await page.screenshot({ path: p });
      out.shots[name] = p;
    };
    await shot('initial');
    out.initial = await page.evaluate(snapshot);
    out.details_idle = await page.textContent('#details');

    // A bar by function name, or {level: N}: the widest bar N rows above the roots.
    const index = (want) => {
      if (typeof want === 'string') return out.initial.findIndex((b) => b.name === want);
      const bottom = Math.max(...out.initial.map((b) => b.y));
      let best = -1;
      out.initial.forEach((b, i) => {
        if (Math.round((bottom - b.y) / 16) === want.level && (best < 0 || b.w > out.initial[best].w)) best = i;
      });
      return best;
    };
    const rectOf = (i) => page.locator('#frames > g').nth(i).locator('rect');

    if (cfg.hover) {
      const i = index(cfg.hover);
      out.hover_index = i;
      if (i >= 0) {
        await rectOf(i).hover();
        out.hover_details = await page.textContent('#details');
        await page.mouse.move(2, 2);
        out.details_after_leave = await page.textContent('#details');
      }
    }
    if (cfg.click) {
      const i = index(cfg.click);
      out.click_index = i;
      if (i >= 0) {
        await rectOf(i).click();
        out.zoomed = await page.evaluate(snapshot);
        out.reset_opacity_zoomed = await page.evaluate(() => getComputedStyle(document.getElementById('reset')).opacity);
        await shot('zoomed');
        await page.click('#reset');
        out.reset = await page.evaluate(snapshot);
      }
    }
    out.searches = [];
    for (let k = 0; k < (cfg.searches || []).length; k++) {
      const re = cfg.searches[k];
      const dialog = new Promise((resolve) => {
        page.once('dialog', async (d) => { const msg = d.message(); await d.accept(re); resolve(msg); });
      });
      if (k === 0) await page.keyboard.press('Control+f');
      else await page.keyboard.press('/');
      const prompt = await Promise.race([dialog, new Promise((r) => setTimeout(() => r(null), 5000))]);
      const matched = await page.textContent('#matched');
      const bars = await page.evaluate(snapshot);
      out.searches.push({ regex: re, prompt, matched, hits: bars.filter((b) => b.hit).map((b) => b.name),
                          hit_fill: (bars.find((b) => b.hit) || {}).fill });
      if (k === 0) await shot('search');
    }
    if ((cfg.searches || []).length) {
      await page.keyboard.press('Escape');
      out.after_escape = { matched: await page.textContent('#matched'),
                           hits: (await page.evaluate(snapshot)).filter((b) => b.hit).length };
    }
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error('svg_check: ' + (e && e.stack ? e.stack : e)); process.exit(1); });
