(function () {
'use strict';
var SVGNS = 'http://www.w3.org/2000/svg';
var box = document.getElementById('frames'), G = box.children, n = G.length;
var lvl = [], st = [], cnt = [], name = [], file = [], par = [], end = [];
var rect = [], txt = [], ox = [], ow = [], otext = [], oy = [];
var details = document.getElementById('details'), hint = details.textContent;
var matched = document.getElementById('matched');
var resetBtn = document.getElementById('reset');
var clearBtn = document.getElementById('clear');
var open = [], i, j;
for (i = 0; i < n; i++) {
  var k = 5 * i;
  lvl[i] = F[k]; st[i] = F[k + 1]; cnt[i] = F[k + 2];
  name[i] = S[F[k + 3]] || '?'; file[i] = S[F[k + 4]];
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
function fit(s, w) {
  var cps = Array.from(s), max = Math.floor((w - 6) / 7.4);
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
    if (j >= z && j < end[z]) place(j, P + (st[j] - st[z]) * W / cnt[z], cnt[j] * W / cnt[z], false);
    else if (inAnc[j]) place(j, P, W, true);
    else G[j].style.display = 'none';
  }
  zoomed = z;
  resetBtn.style.opacity = 1;
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
  resetBtn.style.opacity = '';
}
function pct(v) { return (T ? 100 * v / T : 0).toFixed(2) + '%'; }
var query = '';
function search(src) {
  var re;
  try { re = new RegExp(src); } catch (e) {
    matched.textContent = 'invalid regular expression: ' + src; return;
  }
  var sum = 0, covered = 0, hits = 0;
  for (j = 0; j < n; j++) {
    var m = re.test(name[j]) || (file[j] !== '' && re.test(file[j]));
    G[j].classList.toggle('hit', m);
    if (m) hits++;
    if (m && j >= covered) { sum += cnt[j]; covered = end[j]; }
  }
  query = src;
  matched.textContent = 'matched: ' + pct(sum);
  matched.setAttribute('data-samples', sum);
  matched.setAttribute('data-frames', hits);
  clearBtn.style.display = '';
}
function clearSearch() {
  for (j = 0; j < n; j++) G[j].classList.remove('hit');
  query = '';
  matched.textContent = '';
  clearBtn.style.display = 'none';
}
function ask() {
  var s = window.prompt('Search frames (regular expression, matched against function and file):', query);
  if (s === null) return;
  if (s === '') clearSearch(); else search(s);
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
  if (i < 0) return;
  var t = G[i].getElementsByTagName('title')[0];
  details.textContent = t ? t.textContent.split('\n').join('  |  ') : name[i];
});
box.addEventListener('mouseout', function () { details.textContent = hint; });
resetBtn.addEventListener('click', unzoom);
document.getElementById('search').addEventListener('click', ask);
clearBtn.addEventListener('click', clearSearch);
document.addEventListener('keydown', function (e) {
  if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); ask(); }
  else if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); ask(); }
  else if (e.key === 'Escape') { if (query) clearSearch(); else unzoom(); }
});
window.csprof = { zoom: zoom, unzoom: unzoom, search: search, clearSearch: clearSearch };
})();
