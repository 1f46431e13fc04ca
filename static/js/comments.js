/* The language coach on comments: as someone writes a comment (any textarea marked
   data-comment-coach), the text is checked (debounced) at the page's data-coach-url and the hints
   appear under it. Hints only: a comment is never held back. Server text goes in with textContent. */
(function () {
  "use strict";

  var root = document.querySelector("[data-coach-url]");
  if (!root || !window.fetch || !window.JSON) return;
  var url = root.getAttribute("data-coach-url");
  var slug = root.getAttribute("data-postmortem") || "";
  var DELAY = 600;

  function hintsFor(area) {
    var box = area.parentNode.querySelector(".comment-hints");
    if (!box) {
      box = document.createElement("ul");
      box.className = "comment-hints";
      box.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function show(area, findings) {
    var box = hintsFor(area);
    box.textContent = "";
    findings.forEach(function (f) {
      var li = document.createElement("li");
      var text = document.createElement("strong");
      text.textContent = "“" + f.text + "”";
      li.appendChild(text);
      li.appendChild(document.createTextNode(" " + f.message + (f.suggestion ? " Try: " + f.suggestion : "")));
      box.appendChild(li);
    });
  }

  function check(area, number) {
    var text = area.value;
    if (!text.trim()) { show(area, []); return; }
    window.Hindsight.request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ texts: [{ location: "comment", kind: "narrative", text: text.slice(0, 20000) }],
                             postmortem: slug })
    }).then(function (response) {
      return response.ok ? response.json() : { findings: [] };
    }).then(function (data) {
      if (area.getAttribute("data-coach-number") === String(number)) show(area, data.findings || []);
    }).catch(function () { /* the coach is advice: when it cannot answer, the comment is still sent */ });
  }

  var counter = 0;
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("textarea[data-comment-coach]")) return;
    clearTimeout(area._coachTimer);
    area._coachTimer = setTimeout(function () {
      counter += 1;
      area.setAttribute("data-coach-number", String(counter));
      check(area, counter);
    }, DELAY);
  });
})();
