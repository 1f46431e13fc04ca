/* "Has this happened before?": while the author types the title and summary, ask the library for
   similar incidents and show them in the editor's sidebar. Progressive: without JavaScript the
   sidebar keeps its hint, and the write-up page lists similar incidents anyway. */
(function () {
  "use strict";
  var box = document.getElementById("similar-incidents");
  var title = document.getElementById("id_title");
  var summary = document.getElementById("id_summary");
  var url = box && box.getAttribute("data-url");
  if (!box || !url || (!title && !summary)) { return; }
  var exclude = box.getAttribute("data-exclude") || "";
  var timer = null;
  var lastQuery = null;
  var pending = null;

  function query() {
    var params = new URLSearchParams();
    params.set("title", title ? title.value : "");
    params.set("summary", summary ? summary.value : "");
    if (exclude) { params.set("exclude", exclude); }
    return params.toString();
  }

  function refresh() {
    var q = query();
    if (q === lastQuery) { return; }
    lastQuery = q;
    if (pending) { pending.abort(); }
    pending = new AbortController();
    box.setAttribute("aria-busy", "true");
    window.Hindsight.request(url + "?" + q, { headers: { "X-Requested-With": "fetch", "Accept": "text/html" }, signal: pending.signal })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { box.innerHTML = html; })
      .catch(function (error) { if (error && error.name === "AbortError") { return; } })
      .finally(function () { box.removeAttribute("aria-busy"); });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  [title, summary].forEach(function (input) {
    if (input) { input.addEventListener("input", schedule); }
  });
  box.setAttribute("aria-live", "polite");
  refresh();
})();
