// flamecore.js -- zoom, search and details for one csprof flamegraph, shared
// by the standalone SVG (flamegraph.js runs after it in the SVG's script)
// and the HTML report (report.js runs after it in the page's script).
// Embedded by src/tools/embed_text.c; `node --check` lints it in the tests.
//
// csprofFlame(svg, D): svg is a flamegraph <svg> as fmt_svg.c writes it, D
// its tree (fmt_svg.h): W (frame area width), P (left margin), C (label
// character advance), T (total samples), F (level, first sample, samples,
// name, file per bar, in the order of the <g> elements under #frames) and
// S (strings). Ids may repeat between flamegraphs of one page, so every
// lookup is scoped to svg. The picture is complete without this script:
// every bar, label and tooltip is static SVG; this only redraws it.
function csprofFlame(svg, D) {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var box = svg.querySelector('#frames');
  var G = box.children, n = G.length;
  var lvl = [], st = [], cnt = [], name = [], file = [], par = [], end = [];
  var rect = [], txt = [], ox = [], ow = [], otext = [], oy = [];
  var details = svg.querySelector('#details'), hint = details ? details.textContent : '';
  var matched = svg.querySelector('#matched');
  var resetBtn = svg.querySelector('#reset');
  var open = [], i, j;
  if (D.F.length !== 5 * n) throw new Error('flamegraph data does not match its bars');
  for (i = 0; i < n; i++) {
    var k = 5 * i;
    lvl[i] = D.F[k]; st[i] = D.F[k + 1]; cnt[i] = D.F[k + 2];
    name[i] = D.S[D.F[k + 3]] || '?'; file[i] = D.S[D.F[k + 4]];
    G[i].csIndex = i;
    rect[i] = G[i].getElementsByTagName('rect')[0];
    txt[i] = G[i].getElementsByTagName('text')[0] || null;
    ox[i] = rect[i].getAttribute('x'); ow[i] = rect[i].getAttribute('width');
    oy[i] = +rect[i].getAttribute('y');
    otext[i] = txt[i] ? txt[i].textContent : null;
    while (open.length && lvl[open[open.length - 1]] >= lvl[i]) end[open.pop()] = i;
    par[i] = open.length ? open[open.length - 1] : -1;
    open.push(i);
  }
  while (open.length) end[open.pop()] = n;

  function r2(v) { return String(Math.round(v * 100) / 100); }
  // The label rule of fmt_svg.c: C px per code point, 3 px padding each
  // side, two dots when cut, nothing under three characters.
  function fit(s, w) {
    var cps = Array.from(s), max = Math.floor((w - 6) / D.C);
    if (cps.length <= max) return s;
    if (max < 3) return '';
    return cps.slice(0, max - 2).join('') + '..';
  }
  function label(i, x, w) {
    var s = fit(name[i], w);
    if (!txt[i]) {
      if (!s) return;
      txt[i] = document.createElementNS(SVGNS, 'text');
      txt[i].setAttribute('y', oy[i] + 11);
      G[i].appendChild(txt[i]);
    }
    txt[i].setAttribute('x', r2(x + 3));
    txt[i].textContent = s;
  }
  function place(i, x, w, anc) {
    G[i].style.display = '';
    rect[i].setAttribute('x', r2(x));
    rect[i].setAttribute('width', r2(w));
    G[i].classList.toggle('anc', anc);
    label(i, x, w);
  }
  var zoomed = -1;
  // Bar z fills the width, its subtree scaled with it; its ancestors stay
  // as full-width faded bars; everything else hides.
  function zoom(z) {
    var inAnc = [], a;
    for (a = par[z]; a >= 0; a = par[a]) inAnc[a] = true;
    for (j = 0; j < n; j++) {
      if (j >= z && j < end[z]) place(j, D.P + (st[j] - st[z]) * D.W / cnt[z], cnt[j] * D.W / cnt[z], false);
      else if (inAnc[j]) place(j, D.P, D.W, true);
      else G[j].style.display = 'none';
    }
    zoomed = z;
    if (resetBtn) resetBtn.style.opacity = 1;
  }
  function unzoom() {
    for (j = 0; j < n; j++) {
      G[j].style.display = '';
      G[j].classList.remove('anc');
      rect[j].setAttribute('x', ox[j]);
      rect[j].setAttribute('width', ow[j]);
      if (txt[j]) {
        txt[j].setAttribute('x', r2(+ox[j] + 3));
        txt[j].textContent = otext[j] === null ? '' : otext[j];
      }
    }
    zoomed = -1;
    if (resetBtn) resetBtn.style.opacity = '';
  }
  function pct(v) { return (D.T ? 100 * v / D.T : 0).toFixed(2) + '%'; }
  // Marks the bars whose function or file matches re and shows the samples
  // under them, a bar inside a matching bar not counted again: in preorder
  // a subtree is the range [i, end[i]). Returns the bars matched.
  function search(re) {
    var sum = 0, covered = 0, hits = 0;
    for (j = 0; j < n; j++) {
      var m = re.test(name[j]) || (file[j] !== '' && re.test(file[j]));
      G[j].classList.toggle('hit', m);
      if (m) hits++;
      if (m && j >= covered) { sum += cnt[j]; covered = end[j]; }
    }
    if (matched) {
      matched.textContent = 'matched: ' + pct(sum);
      matched.setAttribute('data-samples', sum);
      matched.setAttribute('data-frames', hits);
    }
    return hits;
  }
  function clearSearch() {
    for (j = 0; j < n; j++) G[j].classList.remove('hit');
    if (matched) matched.textContent = '';
  }
  function frameOf(e) {
    var g = e.target.closest ? e.target.closest('g') : null;
    return g && g.parentNode === box ? g.csIndex : -1;
  }
  box.addEventListener('click', function (e) {
    var i = frameOf(e);
    if (i >= 0 && i !== zoomed) zoom(i);
  });
  box.addEventListener('mouseover', function (e) {
    var i = frameOf(e);
    if (i < 0 || !details) return;
    var t = G[i].getElementsByTagName('title')[0];
    details.textContent = t ? t.textContent.split('\n').join('  |  ') : name[i];
  });
  box.addEventListener('mouseout', function () { if (details) details.textContent = hint; });
  if (resetBtn) resetBtn.addEventListener('click', unzoom);
  return { svg: svg, zoom: zoom, unzoom: unzoom, search: search, clearSearch: clearSearch,
    zoomed: function () { return zoomed; } };
}
