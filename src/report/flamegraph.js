// flamegraph.js -- the standalone flamegraph SVG's own controls, after
// flamecore.js in the SVG's script (fmt_svg.c writes both, with the tree as
// D before them). Embedded by src/tools/embed_text.c; linted in the tests.
//
// The buttons in the SVG: "Reset zoom" (flamecore.js), "Search" (a prompt:
// there is no text field in SVG) and "Clear search"; keys Ctrl-F or / to
// search, Escape to clear the search, then the zoom.
(function () {
  'use strict';
  var f = csprofFlame(document.documentElement, D);
  var matched = document.getElementById('matched');
  var clearBtn = document.getElementById('clear');
  var query = '';
  function search(src) {
    var re;
    try { re = new RegExp(src); } catch (e) {
      matched.textContent = 'invalid regular expression: ' + src; return;
    }
    f.search(re);
    query = src;
    clearBtn.style.display = '';
  }
  function clearSearch() {
    f.clearSearch();
    query = '';
    clearBtn.style.display = 'none';
  }
  function ask() {
    var s = window.prompt('Search frames (regular expression, matched against function and file):', query);
    if (s === null) return;
    if (s === '') clearSearch(); else search(s);
  }
  document.getElementById('search').addEventListener('click', ask);
  clearBtn.addEventListener('click', clearSearch);
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); ask(); }
    else if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); ask(); }
    else if (e.key === 'Escape') { if (query) clearSearch(); else f.unzoom(); }
  });
  window.csprof = { zoom: f.zoom, unzoom: f.unzoom, search: search, clearSearch: clearSearch };
})();
