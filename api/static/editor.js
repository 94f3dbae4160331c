// A small SPARQL editor: highlighting overlay, Tab indents, Ctrl+Enter runs,
// example queries, results as a table. No dependencies, nothing fetched from elsewhere.
(function () {
  "use strict";
  const area = document.getElementById("query");
  const hl = document.getElementById("highlight");
  const form = document.getElementById("query-form");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const format = document.getElementById("format");
  const note = document.getElementById("example-note");
  const examples = JSON.parse(document.getElementById("example-data").textContent);
  const KEYWORDS = /^(SELECT|ASK|CONSTRUCT|DESCRIBE|WHERE|PREFIX|BASE|FILTER|OPTIONAL|UNION|MINUS|GRAPH|BIND|VALUES|GROUP|BY|ORDER|ASC|DESC|LIMIT|OFFSET|DISTINCT|REDUCED|AS|COUNT|SUM|AVG|MIN|MAX|SAMPLE|GROUP_CONCAT|HAVING|EXISTS|NOT|IN|FROM|NAMED|a|LANG|LANGMATCHES|STR|CONTAINS|STRSTARTS|LCASE|UCASE|REGEX|IF|COALESCE|BOUND|isIRI|isBlank|isLiteral|DATATYPE)$/i;
  const TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(<[^<>"{}|^`\\\s]*>)|([?$][A-Za-z_0-9]+)|([A-Za-z_][A-Za-z_0-9]*)/g;

  function escapeHtml(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function highlight() {
    const text = area.value;
    let out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      out += escapeHtml(text.slice(last, m.index));
      const t = escapeHtml(m[0]);
      if (m[1]) out += '<span class="cm">' + t + "</span>";
      else if (m[2]) out += '<span class="str">' + t + "</span>";
      else if (m[3]) out += '<span class="iriref">' + t + "</span>";
      else if (m[4]) out += '<span class="var">' + t + "</span>";
      else if (KEYWORDS.test(m[5])) out += '<span class="kw">' + t + "</span>";
      else out += t;
      last = m.index + m[0].length;
    }
    hl.innerHTML = out + escapeHtml(text.slice(last)) + "\n";
    hl.scrollTop = area.scrollTop;
  }
  let exampleText = null;  // the example whose description is shown, while the query is still that example
  function edited() {
    highlight();
    if (exampleText !== null && area.value !== exampleText) {
      // Edited: the description was the example's, and no longer says what this query does.
      note.textContent = "";
      exampleText = null;
    }
  }
  // Typing, pasting, cutting, undoing fire "input"; Tab below edits through setRangeText, which does not.
  area.addEventListener("input", edited);
  area.addEventListener("scroll", function () { hl.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", function (e) {
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey) {
      e.preventDefault();
      const s = area.selectionStart;
      area.setRangeText("  ", s, area.selectionEnd, "end");
      edited();
    } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  document.getElementById("examples").addEventListener("click", function (e) {
    const button = e.target.closest("button[data-example]");
    if (!button) return;
    const q = examples[Number(button.dataset.example)];
    area.value = q.text;
    exampleText = q.text;
    note.textContent = q.description + (q.params.length ? " Parameters (bind them by editing the query): " + q.params.join(", ") : "");
    highlight();
    area.focus();
  });

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const a = document.createElement("a");
      const local = "https://w3id.org/credgraph/id/";
      a.textContent = term.value;
      if (term.value.startsWith(local)) a.href = "/id/" + term.value.slice(local.length);
      else if (/^https?:/i.test(term.value)) a.href = term.value;
      else { td.textContent = term.value; return td; }  // never a javascript: or data: link
      td.appendChild(a);
    } else {
      td.textContent = term.value + (term["xml:lang"] ? " @" + term["xml:lang"] : "");
    }
    return td;
  }
  function table(data) {
    const t = document.createElement("table");
    const head = t.createTHead().insertRow();
    data.head.vars.forEach(function (v) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = v;
      head.appendChild(th);
    });
    const body = t.createTBody();
    data.results.bindings.forEach(function (b) {
      const row = body.insertRow();
      data.head.vars.forEach(function (v) { row.appendChild(cell(b[v])); });
    });
    return t;
  }
  async function run() {
    status.className = "";
    status.textContent = "Running…";
    results.textContent = "";
    const accept = format.value === "table" ? "application/sparql-results+json, text/turtle;q=0.9" : format.value;
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/sparql-query", "Accept": accept },
        body: area.value,
      });
      const type = response.headers.get("content-type") || "";
      const ms = Math.round(performance.now() - started);
      if (!response.ok) {
        const problem = type.includes("json") ? await response.json() : { detail: await response.text() };
        status.className = "error";
        status.textContent = problem.detail + (problem.line ? " (line " + problem.line + ", column " + problem.column + ")" : "");
        return;
      }
      const truncated = response.headers.get("x-credgraph-truncated") ? " (truncated at the row cap)" : "";
      if (format.value === "table" && type.includes("sparql-results+json")) {
        const data = await response.json();
        if ("boolean" in data) {
          status.textContent = "Answer: " + data.boolean + " (" + ms + " ms)";
          return;
        }
        status.textContent = data.results.bindings.length + " rows in " + ms + " ms" + truncated;
        results.appendChild(table(data));
      } else {
        const pre = document.createElement("pre");
        pre.textContent = await response.text();
        results.appendChild(pre);
        status.textContent = "Done in " + ms + " ms" + truncated;
      }
    } catch (err) {
      status.className = "error";
      status.textContent = "The request failed: " + err;
    }
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  highlight();
})();
