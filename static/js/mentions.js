/* @mention autocomplete in comment boxes and the editor's sections. Typing "@" and a few letters
   lists matching people (from the page's data-mention-url, limited to who may see the post-mortem);
   choosing one writes "@username ". Names from the server go in with textContent. */
(function () {
  "use strict";

  var source = document.querySelector("[data-mention-url]");
  if (!source || !window.fetch) return;
  var url = source.getAttribute("data-mention-url");
  var slug = source.getAttribute("data-postmortem") || "";
  var TRIGGER = /(^|[^\w@.+-])@([\w.+-]{1,30})$/;
  var list = null;
  var timer = null;

  function close() {
    if (list) { list.remove(); list = null; }
  }

  function insert(area, username) {
    var caret = area.selectionStart;
    var before = area.value.slice(0, caret).replace(/@[\w.+-]*$/, "@" + username + " ");
    area.value = before + area.value.slice(caret);
    area.selectionStart = area.selectionEnd = before.length;
    area.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    area.focus();
  }

  function show(area, people) {
    close();
    if (!people.length) return;
    list = document.createElement("ul");
    list.className = "mention-list";
    list.setAttribute("aria-label", "People to mention");
    people.forEach(function (person) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "mention-list__person";
      button.textContent = "@" + person.username + (person.name ? " · " + person.name : "");
      button.addEventListener("mousedown", function (e) { e.preventDefault(); });
      button.addEventListener("click", function () { insert(area, person.username); });
      li.appendChild(button);
      list.appendChild(li);
    });
    area.insertAdjacentElement("afterend", list);
  }

  function lookup(area) {
    var match = TRIGGER.exec(area.value.slice(0, area.selectionStart));
    if (!match) { close(); return; }
    var query = "?q=" + encodeURIComponent(match[2]) + (slug ? "&postmortem=" + encodeURIComponent(slug) : "");
    window.Hindsight.request(url + query)
      .then(function (r) { return r.ok ? r.json() : { people: [] }; })
      .then(function (data) { if (document.activeElement === area) show(area, data.people || []); })
      .catch(close);
  }

  function wanted(el) {
    return el && el.matches && el.matches("textarea[data-comment-coach], .section-editor textarea");
  }

  document.addEventListener("input", function (event) {
    if (!wanted(event.target)) return;
    clearTimeout(timer);
    var area = event.target;
    timer = setTimeout(function () { lookup(area); }, 200);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });
  document.addEventListener("focusout", function (event) {
    if (wanted(event.target)) setTimeout(function () {
      if (list && !list.contains(document.activeElement)) close();
    }, 150);
  });
})();
