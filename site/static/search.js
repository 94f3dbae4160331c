/* Offline catalogue search over the prebuilt index (search-index.<lang>.json).
   Same rules as credgraph.graph.services.catalogue.search: every word must occur; values
   of one facet are alternatives, different facets all apply; the counts of a
   facet are computed with every other facet applied. The state lives in the URL. */
(function () {
  "use strict";
  var form = document.getElementById("search");
  if (!form) return;
  var input = document.getElementById("q");
  var resultsEl = document.getElementById("results");
  var countEl = document.getElementById("count");
  var moreBtn = document.getElementById("more");
  var clearBtn = document.getElementById("clear");
  var root = form.getAttribute("data-root");
  var T = { count: form.dataset.tCount, none: form.dataset.tNone, ects: form.dataset.tEcts, fallback: form.dataset.tFallback };
  var PAGE = 30, FACET_LIMIT = 30;
  var index = null, names = [], texts = [], titles = [], ranks = [], shown = PAGE, chosen = {};
  // On narrow screens the filters start folded, so that the results are in view.
  var facetsBox = document.getElementById("facets");
  if (facetsBox && window.matchMedia && !window.matchMedia("(min-width: 56rem)").matches) facetsBox.open = false;

  function norm(s) {
    return s.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/\u00df/g, "ss").replace(/\s+/g, " ").trim();
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function readState() {
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    chosen = {};
    names.forEach(function (f) {
      var vals = params.getAll(f);
      if (vals.length) chosen[f] = new Set(vals);
    });
  }
  function writeState() {
    var params = new URLSearchParams();
    if (input.value.trim()) params.set("q", input.value.trim());
    names.forEach(function (f) { if (chosen[f]) chosen[f].forEach(function (v) { params.append(f, v); }); });
    var qs = params.toString();
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
  }
  function keyIndexes() {
    // Selected keys as index sets per facet position.
    return names.map(function (f, i) {
      if (!chosen[f] || !chosen[f].size) return null;
      var set = new Set();
      index.facets[f].forEach(function (row, j) { if (chosen[f].has(row[0])) set.add(j); });
      return set;
    });
  }
  function passes(doc, sel, skip) {
    for (var i = 0; i < sel.length; i++) {
      if (i === skip || !sel[i]) continue;
      var vals = doc[4][i], ok = false;
      for (var j = 0; j < vals.length; j++) if (sel[i].has(vals[j])) { ok = true; break; }
      if (!ok) return false;
    }
    return true;
  }
  // The documents matching the words typed last: typing on refines them instead of scanning every document.
  var lastTokens = null, lastMatched = null;
  function textMatches(tokens) {
    var pool = null;
    if (lastTokens && tokens.length >= lastTokens.length && lastTokens.length) {
      // Every earlier word is contained in its successor (one typed further): the new matches are among the old.
      var refines = lastTokens.every(function (t, k) { return tokens[k].indexOf(t) >= 0; });
      if (refines) pool = lastMatched;
    }
    var matched = [];
    var n = pool ? pool.length : texts.length;
    for (var k = 0; k < n; k++) {
      var d = pool ? pool[k] : k, text = texts[d], ok = true;
      for (var t = 0; t < tokens.length; t++) if (text.indexOf(tokens[t]) < 0) { ok = false; break; }
      if (ok) matched.push(d);
    }
    lastTokens = tokens;
    lastMatched = matched;
    return matched;
  }
  function run() {
    var tokens = norm(input.value).split(" ").filter(Boolean);
    var sel = keyIndexes();
    var matched = textMatches(tokens);
    // One pass gives the hits and every facet's counts: a document counts for facet i if it
    // passes every selected facet except perhaps i (the counts show what choosing a value would give).
    var counts = names.map(function () { return new Int32Array(0); });
    names.forEach(function (f, i) { counts[i] = new Int32Array(index.facets[f].length); });
    var hits = [];
    for (var m = 0; m < matched.length; m++) {
      var doc = index.docs[matched[m]], failed = -1, fails = 0;
      for (var i = 0; i < sel.length && fails < 2; i++) {
        if (!sel[i]) continue;
        var vals = doc[4][i], ok = false;
        for (var j = 0; j < vals.length; j++) if (sel[i].has(vals[j])) { ok = true; break; }
        if (!ok) { fails++; failed = i; }
      }
      if (fails === 0) {
        hits.push(matched[m]);
        for (var c = 0; c < names.length; c++) { var v = doc[4][c]; for (var x = 0; x < v.length; x++) counts[c][v[x]]++; }
      } else if (fails === 1) {
        var w = doc[4][failed];
        for (var y = 0; y < w.length; y++) counts[failed][w[y]]++;
      }
    }
    if (tokens.length) {
      // Title matches first, then the index order (titles A to Z): a stable partition, no sort.
      var inTitle = [], rest = [];
      hits.forEach(function (d) {
        var title = titles[d];
        (tokens.every(function (t) { return title.indexOf(t) >= 0; }) ? inTitle : rest).push(d);
      });
      hits = inTitle.concat(rest);
    }
    renderFacets(counts, sel);
    renderResults(hits);
  }
  function renderFacets(allCounts, sel) {
    names.forEach(function (f, i) {
      var counts = allCounts[i];
      var rows = index.facets[f];
      var order = [];
      for (var j = 0; j < rows.length; j++) if (counts[j] || (sel[i] && sel[i].has(j))) order.push(j);
      // Labels are ranked once (locale collation) when the index loads: sorting compares numbers.
      if (f !== "eqf" && f !== "ects") order.sort(function (a, b) { return counts[b] - counts[a] || ranks[i][a] - ranks[i][b]; });
      else if (f === "eqf") order.sort(function (a, b) { return rows[a][0].length - rows[b][0].length || rows[a][0].localeCompare(rows[b][0]); });
      var box = form.querySelector('fieldset[data-facet="' + f + '"]');
      var values = box.querySelector(".values");
      var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('fieldset[data-facet="' + f + '"]') ? document.activeElement.value : null;
      var frag = document.createDocumentFragment(), refocus = null;
      order.slice(0, Math.max(FACET_LIMIT, sel[i] ? sel[i].size : 0)).forEach(function (j) {
        var id = "f-" + f + "-" + j;
        var label = el("label", { "for": id, "class": counts[j] ? null : "zero" });
        var cb = el("input", { type: "checkbox", id: id, name: f, value: rows[j][0] });
        cb.checked = !!(sel[i] && sel[i].has(j));
        label.appendChild(cb);
        var name = el("span", rows[j][2] ? { lang: rows[j][2] } : {}, rows[j][1]);
        label.appendChild(name);
        label.appendChild(el("span", { "class": "n" }, String(counts[j] || 0)));
        frag.appendChild(label);
        if (focused === rows[j][0]) refocus = cb;
      });
      values.textContent = "";
      values.appendChild(frag);
      if (refocus) refocus.focus();
      box.hidden = order.length === 0;
    });
    clearBtn.hidden = !names.some(function (f) { return chosen[f] && chosen[f].size; });
  }
  function renderResults(hits) {
    countEl.textContent = hits.length ? T.count.replace("{n}", hits.length) : T.none;
    var frag = document.createDocumentFragment();
    hits.slice(0, shown).forEach(function (d) {
      var doc = index.docs[d];
      var li = el("li", { "class": "card" });
      var h = el("h3");
      var a = el("a", { href: root + doc[0] }, doc[1]);
      if (doc[2]) a.setAttribute("lang", doc[2]);
      h.appendChild(a);
      if (doc[2]) h.appendChild(document.createTextNode(" "));
      if (doc[2]) h.appendChild(el("abbr", { "class": "fallback", title: T.fallback + " " + doc[2] }, doc[2].toUpperCase()));
      li.appendChild(h);
      var meta = [];
      [6, 5, 0].forEach(function (i) { doc[4][i].forEach(function (v) { meta.push(index.facets[names[i]][v][1]); }); });
      if (doc[3] !== null) meta.push(T.ects.replace("{ects}", doc[3]));
      doc[4][3].forEach(function (v) { meta.push(index.facets.mode[v][1]); });
      li.appendChild(el("p", { "class": "meta" }, meta.join(" · ")));
      frag.appendChild(li);
    });
    resultsEl.textContent = "";
    resultsEl.appendChild(frag);
    moreBtn.hidden = hits.length <= shown;
  }
  function update() { shown = PAGE; writeState(); run(); }

  fetch(form.getAttribute("data-index")).then(function (r) { return r.json(); }).then(function (data) {
    index = data;
    names = data.facetNames;
    // The searchable text of a document: its own words plus the labels of its provider, field and skills.
    var extra = ["provider", "field", "skill"].map(function (f) { return names.indexOf(f); });
    titles = data.docs.map(function (doc) { return norm(doc[1]); });
    texts = data.docs.map(function (doc) {
      var words = [doc[5]];
      extra.forEach(function (i) { doc[4][i].forEach(function (v) { words.push(norm(data.facets[names[i]][v][1])); }); });
      return words.join(" ");
    });
    var collator = new Intl.Collator(document.documentElement.lang || undefined);
    ranks = names.map(function (f) {
      var rows = data.facets[f], order = rows.map(function (_, j) { return j; });
      order.sort(function (a, b) { return collator.compare(rows[a][1], rows[b][1]); });
      var rank = new Int32Array(rows.length);
      order.forEach(function (j, r) { rank[j] = r; });
      return rank;
    });
    readState();
    run();
  });
  input.addEventListener("input", update);
  form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.type !== "checkbox") return;
    var set = chosen[t.name] || (chosen[t.name] = new Set());
    if (t.checked) set.add(t.value); else set.delete(t.value);
    update();
  });
  moreBtn.addEventListener("click", function () { shown += PAGE; run(); });
  clearBtn.addEventListener("click", function () { chosen = {}; update(); input.focus(); });
  window.addEventListener("popstate", function () { readState(); run(); });
})();
