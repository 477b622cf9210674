// report.js -- zoom and search for the flamegraphs of csprof's HTML report
// (embedded by src/tools/embed_text.c; `node --check` lints it in the tests).
//
// The page is complete without this script: every bar, label and tooltip is
// static SVG. Each <figure class="fg"> holds one inline <svg> (rendered by
// fmt_svg.c) and a <script type="application/json" class="fg-data"> with the
// tree: W (frame area width), P (left margin), T (total samples), C (label
// character advance), F (level, first sample, samples, name, file per bar,
// in the order of the <g> elements under #frames) and S (strings). Ids repeat
// between figures, so every lookup is scoped to its own <svg>.
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';

  function r2(v) { return String(Math.round(v * 100) / 100); }

  function Flame(fig) {
    var svg = fig.querySelector('svg');
    var D = JSON.parse(fig.querySelector('script.fg-data').textContent);
    var box = svg.querySelector('#frames');
    var G = box.children, n = G.length;
    var lvl = [], st = [], cnt = [], name = [], file = [], par = [], end = [];
    var rect = [], txt = [], ox = [], ow = [], otext = [], oy = [];
    var details = svg.querySelector('#details'), hint = details ? details.textContent : '';
    var matched = svg.querySelector('#matched');
    var resetBtn = svg.querySelector('#reset');
    var clearBtn = svg.querySelector('#clear');
    var open = [], i, j;
    if (D.F.length !== 5 * n) throw new Error('flamegraph data does not match its bars');
    for (i = 0; i < n; i++) {
      var k = 5 * i;
      lvl[i] = D.F[k]; st[i] = D.F[k + 1]; cnt[i] = D.F[k + 2];
      name[i] = D.S[D.F[k + 3]] || '?'; file[i] = D.S[D.F[k + 4]];
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
    // Samples under matching bars, a bar inside a matching bar not counted
    // again: in preorder a subtree is the range [i, end[i]).
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
      if (!g || g.parentNode !== box) return -1;
      return Array.prototype.indexOf.call(G, g);
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
    if (clearBtn) clearBtn.style.display = 'none';
    return { svg: svg, zoom: zoom, unzoom: unzoom, search: search, clearSearch: clearSearch,
      zoomed: function () { return zoomed; } };
  }

  var flames = [];
  Array.prototype.forEach.call(document.querySelectorAll('figure.fg'), function (fig) {
    flames.push(Flame(fig));
  });

  // One search box for the whole page, shown only when this script runs.
  var bar = document.getElementById('searchbar');
  var input = document.getElementById('searchinput');
  var info = document.getElementById('searchinfo');
  function runSearch() {
    var src = input.value;
    if (src === '') {
      flames.forEach(function (f) { f.clearSearch(); });
      info.textContent = '';
      return;
    }
    var re;
    try { re = new RegExp(src); } catch (e) {
      info.textContent = 'invalid regular expression';
      return;
    }
    var hits = 0;
    flames.forEach(function (f) { hits += f.search(re); });
    info.textContent = hits + (hits === 1 ? ' bar matches' : ' bars match') +
      ' (each flamegraph shows its matched share at its bottom right)';
  }
  if (bar && input) {
    bar.hidden = false;
    input.addEventListener('input', runSearch);
    document.getElementById('searchclear').addEventListener('click', function () {
      input.value = '';
      runSearch();
    });
    flames.forEach(function (f) {
      var b = f.svg.querySelector('#search');
      if (b) b.addEventListener('click', function () { input.focus(); });
    });
    document.addEventListener('keydown', function (e) {
      if (e.target === input) {
        if (e.key === 'Escape') { input.value = ''; runSearch(); input.blur(); }
        return;
      }
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); input.focus(); }
      else if (e.key === 'Escape') flames.forEach(function (f) { f.unzoom(); });
    });
  }
  window.csprof = { flames: flames, search: function (s) { input.value = s; runSearch(); } };
})();
