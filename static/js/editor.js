/* The editor's progressive extras: add and remove formset rows, warn before leaving with
   unsaved changes, tag suggestions, and the timeline paste preview. The page works without it. */
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) return;

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  /* Formset rows */
  function addRow(formset) {
    var prefix = formset.getAttribute("data-formset");
    var total = formset.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = formset.querySelector("template[data-formset-template]");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    formset.querySelector("[data-formset-rows]").appendChild(row);
    total.value = String(index + 1);
    wireRow(row);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
    markDirty();
    return row;
  }

  function wireRow(row) {
    var del = row.querySelector(".formset-row__delete input[type=checkbox]");
    if (!del || row.querySelector("[data-formset-remove]")) return;
    del.closest("label").hidden = true;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small button--danger";
    button.textContent = "Remove";
    button.setAttribute("data-formset-remove", "");
    button.addEventListener("click", function () {
      del.checked = true;
      row.hidden = true;
      row.classList.add("formset-row--removed");
      markDirty();
      var add = row.closest("[data-formset]").querySelector("[data-formset-add]");
      if (add) add.focus();
    });
    row.appendChild(button);
  }

  form.querySelectorAll("[data-formset]").forEach(function (formset) {
    formset.querySelectorAll("[data-formset-rows] > [data-formset-row]").forEach(wireRow);
    var add = formset.querySelector("[data-formset-add]");
    if (add) add.addEventListener("click", function () { addRow(formset); });
  });

  /* Unsaved changes */
  var dirty = false;
  var status = form.querySelector("[data-unsaved-status]");
  function markDirty() {
    if (dirty) return;
    dirty = true;
    if (status) status.textContent = "Unsaved changes.";
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
  if (document.querySelector(".errorlist, .stale")) markDirty();

  /* Tag suggestions for the comma-separated tag field */
  var tagInput = form.querySelector("input[data-tag-autocomplete]");
  if (tagInput) {
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.id = "tag-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    tagInput.setAttribute("aria-controls", list.id);
    tagInput.setAttribute("aria-autocomplete", "list");
    tagInput.insertAdjacentElement("afterend", list);
    var timer = null;
    function currentTerm() {
      var parts = tagInput.value.split(",");
      return parts[parts.length - 1].trim();
    }
    function choose(name) {
      var parts = tagInput.value.split(",");
      parts[parts.length - 1] = " " + name;
      tagInput.value = parts.join(",").replace(/^\s+/, "") + ", ";
      list.hidden = true;
      tagInput.focus();
      markDirty();
    }
    tagInput.addEventListener("input", function () {
      clearTimeout(timer);
      var term = currentTerm();
      if (term.length < 1) { list.hidden = true; return; }
      timer = setTimeout(function () {
        fetch(tagInput.getAttribute("data-tag-autocomplete") + "?q=" + encodeURIComponent(term), {
          headers: { "Accept": "application/json" }, credentials: "same-origin"
        }).then(function (r) { return r.ok ? r.json() : { results: [] }; }).then(function (data) {
          var names = (data.results || data.tags || []).map(function (t) { return t.name || t; });
          list.innerHTML = "";
          names.slice(0, 8).forEach(function (name) {
            var li = document.createElement("li");
            li.setAttribute("role", "option");
            li.tabIndex = -1;
            li.textContent = name;
            li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(name); });
            li.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); choose(name); } });
            list.appendChild(li);
          });
          list.hidden = names.length === 0;
        }).catch(function () { list.hidden = true; });
      }, 200);
    });
    tagInput.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && !list.hidden && list.firstElementChild) { e.preventDefault(); list.firstElementChild.focus(); }
      if (e.key === "Escape") list.hidden = true;
    });
    list.addEventListener("keydown", function (e) {
      var item = document.activeElement;
      if (e.key === "ArrowDown" && item.nextElementSibling) { e.preventDefault(); item.nextElementSibling.focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (item.previousElementSibling || tagInput).focus(); }
      if (e.key === "Escape") { list.hidden = true; tagInput.focus(); }
    });
    tagInput.addEventListener("blur", function () { setTimeout(function () {
      if (!list.contains(document.activeElement)) list.hidden = true;
    }, 150); });
  }

  /* Images dropped or pasted into a Markdown field. Handled here rather than by markdownx, whose
     script writes "Invalid response" into the author's text when an upload is refused: this listener
     runs first (capture phase, on the widget around the field) and markdownx never sees the files.
     The refusal is shown beside the field; the text is only ever changed by a successful upload. */
  form.querySelectorAll("textarea.markdownx-editor").forEach(function (textarea) {
    var widget = textarea.closest(".markdownx") || textarea.parentNode;
    var status = document.createElement("p");
    status.className = "upload-status";
    status.id = textarea.id + "-upload-status";
    status.setAttribute("role", "status");
    status.hidden = true;
    textarea.insertAdjacentElement("afterend", status);  // right under the field, above the preview
    var describedBy = textarea.getAttribute("aria-describedby");
    textarea.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + status.id);

    function show(text, kind) {
      status.textContent = text;
      status.className = "upload-status upload-status--" + kind;
      status.hidden = false;
    }

    function insert(markdown) {
      // At the caret when the author is typing in this field; at the end when they dropped from elsewhere.
      var value = textarea.value, focused = document.activeElement === textarea;
      var start = focused ? textarea.selectionStart : value.length, end = focused ? textarea.selectionEnd : start;
      var before = value.slice(0, start), after = value.slice(end);
      // Its own paragraph when added after the text; its own line when put at the caret.
      var lead = "";
      if (before && !focused) lead = /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      else if (before && !/\n$/.test(before)) lead = "\n";
      var text = lead + markdown + (after && !/^\n/.test(after) ? "\n" : "");
      textarea.value = before + text + after;
      textarea.selectionStart = textarea.selectionEnd = start + text.length;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));  // preview, coach, unsaved marker
    }

    function refusal(response, data, name) {
      if (data && data.error) return data.error;
      if (response.status === 403) return "You may not add images to this post-mortem.";
      if (response.status === 413) return "“" + name + "” is too large to upload.";
      return "“" + name + "” could not be uploaded (the server answered " + response.status + "). Your text is unchanged.";
    }

    function send(file) {
      var body = new FormData();
      body.append("image", file);
      body.append("postmortem", form.getAttribute("data-postmortem"));
      show("Uploading “" + file.name + "”…", "busy");
      return fetch(textarea.getAttribute("data-markdownx-upload-urls-path"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok && data && data.image_code) {
            insert(data.image_code);
            show("Added “" + file.name + "”.", "done");
          } else {
            show(refusal(response, data, file.name), "error");
          }
        });
      }).catch(function () {
        show("Could not reach the server, so “" + file.name + "” was not added. Your text is unchanged.", "error");
      });
    }

    function takeFiles(event, files) {
      if (!files || !files.length) return;
      event.preventDefault();
      event.stopPropagation();
      widget.querySelectorAll(".drop").forEach(function (el) { el.classList.remove("drop"); });
      Array.prototype.reduce.call(files, function (previous, file) {
        return previous.then(function () { return send(file); });
      }, Promise.resolve());
    }

    widget.addEventListener("drop", function (event) {
      if (event.target === textarea) takeFiles(event, event.dataTransfer && event.dataTransfer.files);
    }, true);
    widget.addEventListener("paste", function (event) {
      if (event.target === textarea) takeFiles(event, event.clipboardData && event.clipboardData.files);
    }, true);
  });

  /* Timeline paste: preview parsed events, then add them as rows */
  var paste = form.querySelector("details.paste");
  if (paste) {
    var preview = paste.querySelector("[data-paste-preview]");
    var eventsFormset = form.querySelector("[data-formset='events']");
    paste.querySelector("[data-paste-parse]").addEventListener("click", function () {
      var text = paste.querySelector("#timeline-paste").value;
      var body = new URLSearchParams();
      body.set("text", text);
      preview.textContent = "Reading…";
      fetch(paste.getAttribute("data-parse-url"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (r) {
        return r.json().catch(function () { return { error: "The server could not read that text." }; });
      }).then(function (data) { showPreview(data); })
        .catch(function () { preview.textContent = "Could not reach the server; your text is still here."; });
    });

    function showPreview(data) {
      preview.innerHTML = "";
      if (data.error) {
        var p = document.createElement("p");
        p.className = "errorlist";
        p.textContent = data.error;
        preview.appendChild(p);
        return;
      }
      var events = data.events || [];
      var unparsed = data.unparsed || [];
      var heading = document.createElement("p");
      heading.textContent = events.length + " event" + (events.length === 1 ? "" : "s") + " found" +
        (unparsed.length ? "; " + unparsed.length + " line" + (unparsed.length === 1 ? "" : "s") + " not understood (shown below, not added)." : ".");
      preview.appendChild(heading);
      if (events.length) {
        var table = document.createElement("table");
        table.innerHTML = "<thead><tr><th>When</th><th>Kind</th><th>What happened</th></tr></thead>";
        var tbody = document.createElement("tbody");
        events.forEach(function (ev) {
          var tr = document.createElement("tr");
          [ev.occurred_at_local.replace("T", " "), ev.kind, ev.description].forEach(function (v) {
            var td = document.createElement("td");
            td.textContent = v;
            tr.appendChild(td);
          });
          tbody.appendChild(tr);
        });
        table.appendChild(tbody);
        preview.appendChild(table);
        var add = document.createElement("button");
        add.type = "button";
        add.className = "button button--primary";
        add.textContent = "Add " + events.length + " event" + (events.length === 1 ? "" : "s") + " to the timeline";
        add.addEventListener("click", function () {
          events.forEach(function (ev) {
            var row = addRow(eventsFormset);
            row.querySelector("input[name$='-occurred_at']").value = ev.occurred_at_local;
            var kind = row.querySelector("select[name$='-kind']");
            if (kind) kind.value = ev.kind;
            row.querySelector("textarea[name$='-description']").value = ev.description;
          });
          preview.textContent = "Added. Check them below, then save.";
          paste.querySelector("#timeline-paste").value = unparsed.join("\n");
        });
        preview.appendChild(add);
      }
      if (unparsed.length) {
        var pre = document.createElement("pre");
        pre.textContent = unparsed.join("\n");
        preview.appendChild(pre);
      }
    }
  }
})();
