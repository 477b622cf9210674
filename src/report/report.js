// report.js -- the HTML report's page-wide search over its flamegraphs,
// after flamecore.js (zoom, search and details of each flamegraph) in the
// page's script. Embedded by src/tools/embed_text.c; `node --check` lints
// it in the tests.
//
// Each <figure class="fg"> holds one inline <svg> (rendered by fmt_svg.c)
// and a <script type="application/json" class="fg-data"> with its tree (the
// D of flamecore.js).
(function () {
  'use strict';

  var flames = [];
  Array.prototype.forEach.call(document.querySelectorAll('figure.fg'), function (fig) {
    flames.push(csprofFlame(fig.querySelector('svg'),
      JSON.parse(fig.querySelector('script.fg-data').textContent)));
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
