/* The editor's progressive extras: add and remove formset rows (thousands at once from a pasted log),
   save with fetch so that a failed save keeps the page as it is, keep an unsaved copy in this browser
   and offer it back, choose sides in a conflict, warn before leaving with unsaved changes, tag
   suggestions, and the timeline paste preview. Without it the editor is a plain form that works. */
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) return;

  var slug = form.getAttribute("data-postmortem") || "";
  var loginUrl = form.getAttribute("data-login-url") || "";
  var COPY_PREFIX = "hindsight:editor:" + slug + ":";
  var COPY_DELAY = 700;

  var el = window.Hindsight.el;

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  /* ---- Formset rows --------------------------------------------------------------------- */

  function formsetOf(prefix) {
    return form.querySelector("[data-formset='" + prefix + "']");
  }

  function totalInput(formset) {
    return formset.querySelector("input[name='" + formset.getAttribute("data-formset") + "-TOTAL_FORMS']");
  }

  var PREFIXED = ["name", "id", "for", "aria-describedby"];

  function rowPrototype(formset) {
    if (!formset._rowPrototype) {
      var holder = document.createElement("template");
      holder.innerHTML = formset.querySelector("template[data-formset-template]").innerHTML.trim();
      var row = holder.content.firstElementChild;
      // The elements whose attributes carry the row number, found once per formset.
      var marked = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).map(function (el, index) {
        return PREFIXED.some(function (a) { var v = el.getAttribute(a); return v && v.indexOf("__prefix__") !== -1; })
          ? index : -1;
      }).filter(function (index) { return index !== -1; });
      formset._rowPrototype = { row: row, marked: marked };
    }
    return formset._rowPrototype;
  }

  function numbered(proto, index) {
    var row = proto.row.cloneNode(true);
    var all = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*")));
    proto.marked.forEach(function (i) {
      var el = all[i];
      PREFIXED.forEach(function (a) {
        var v = el.getAttribute(a);
        if (v && v.indexOf("__prefix__") !== -1) el.setAttribute(a, v.replace(/__prefix__/g, index));
      });
    });
    return row;
  }

  // Build `count` new rows in one fragment: rows are cloned (not parsed), inserted at once, and
  // nothing is focused or measured per row.
  function buildRows(formset, count, fill, offset) {
    var total = totalInput(formset);
    var start = parseInt(total.value, 10);
    var proto = rowPrototype(formset);
    var fragment = document.createDocumentFragment();
    var rows = [];
    for (var i = 0; i < count; i++) {
      var row = numbered(proto, String(start + i));
      if (fill) fill(row, (offset || 0) + i);
      addMoveButtons(row, formset);
      fragment.appendChild(row);
      rows.push(row);
    }
    formset.querySelector("[data-formset-rows]").appendChild(fragment);
    total.value = String(start + count);
    return rows;
  }

  // Thousands of rows go in in batches, one per task, so the page keeps answering meanwhile.
  var BATCH = 100;

  function buildRowsGradually(formset, count, fill, progress, done) {
    var added = 0;
    buttons(true);
    (function next() {
      var n = Math.min(BATCH, count - added);
      buildRows(formset, n, fill, added);
      added += n;
      if (added < count) {
        if (progress) progress(added, count);
        setTimeout(next, 0);
        return;
      }
      buttons(false);
      if (done) done();
      formset.dispatchEvent(new CustomEvent("hindsight:rows-added", { bubbles: true, detail: { count: count } }));
    })();
  }

  function addRow(formset) {
    var row = buildRows(formset, 1)[0];
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
    markDirty();
    return row;
  }

  function removeRow(row) {
    var del = row.querySelector(".formset-row__delete input[type=checkbox]");
    if (del) del.checked = true;
    row.hidden = true;
    row.classList.add("formset-row--removed");
  }

  form.classList.add("editor--js");
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-formset-remove]");
    if (!button) return;
    var row = button.closest("[data-formset-row]");
    removeRow(row);
    markDirty();
    var add = row.closest("[data-formset]").querySelector("[data-formset-add]");
    if (add) add.focus();
  });
  form.querySelectorAll(".formset-row__delete input[type=checkbox]:checked").forEach(function (box) {
    removeRow(box.closest("[data-formset-row]"));
  });
  form.querySelectorAll("[data-formset]").forEach(function (formset) {
    var add = formset.querySelector("[data-formset-add]");
    if (add) add.addEventListener("click", function () { addRow(formset); });
  });

  /* ---- Unsaved changes and the copy kept in this browser --------------------------------- */

  var dirty = false;
  var status = form.querySelector("[data-unsaved-status]");
  var problem = form.querySelector("[data-save-problem]");
  var copyTimer = null;

  function markDirty() {
    if (!dirty) {
      dirty = true;
      if (status) status.textContent = "Unsaved changes.";
    }
    scheduleCopy();
  }

  function fields() {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return;
      if (el.closest("template")) return;
      var type = (el.type || "").toLowerCase();
      if (type === "submit" || type === "button" || type === "file") return;
      if ((type === "checkbox" || type === "radio") && !el.checked) return;
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { if (o.selected) out.push([el.name, o.value]); });
        return;
      }
      out.push([el.name, el.value]);
    });
    return out;
  }

  function content(list) {
    // What the author wrote, without the bookkeeping that says which version it started from.
    return JSON.stringify(list.filter(function (pair) { return pair[0] !== "version" && pair[0] !== "conflicts"; }));
  }

  function copyKeys() {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && key.indexOf(COPY_PREFIX) === 0) keys.push(key);
    }
    return keys;
  }

  function versionInput() { return form.querySelector("input[name=version]"); }

  function saveCopy() {
    clearTimeout(copyTimer);
    if (!slug || !window.localStorage) return;
    var version = versionInput() ? versionInput().value : "";
    var copy = { savedAt: new Date().toISOString(), version: version, fields: fields() };
    try {
      copyKeys().forEach(function (key) { if (key !== COPY_PREFIX + version) localStorage.removeItem(key); });
      localStorage.setItem(COPY_PREFIX + version, JSON.stringify(copy));
    } catch (e) {
      // Full or forbidden storage: the page itself still holds everything.
    }
  }

  function scheduleCopy() {
    clearTimeout(copyTimer);
    copyTimer = setTimeout(saveCopy, COPY_DELAY);
  }

  function dropCopies() {
    clearTimeout(copyTimer);
    try { copyKeys().forEach(function (key) { localStorage.removeItem(key); }); } catch (e) { /* nothing kept */ }
  }

  function latestCopy() {
    var best = null;
    try {
      copyKeys().forEach(function (key) {
        var copy = JSON.parse(localStorage.getItem(key) || "null");
        if (copy && copy.fields && (!best || copy.savedAt > best.savedAt)) best = copy;
      });
    } catch (e) { return null; }
    return best;
  }

  function applyCopy(copy) {
    var values = {};
    copy.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    form.querySelectorAll("[data-formset]").forEach(function (formset) {
      var prefix = formset.getAttribute("data-formset");
      var wanted = parseInt((values[prefix + "-TOTAL_FORMS"] || ["0"])[0], 10);
      var have = parseInt(totalInput(formset).value, 10);
      if (wanted > have) buildRows(formset, wanted - have);
    });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.closest("template")) return;
      var type = (el.type || "").toLowerCase();
      if (type === "submit" || type === "button" || type === "file") return;
      var given = values[el.name];
      if (type === "checkbox" || type === "radio") {
        el.checked = !!given && given.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = !!given && given.indexOf(o.value) !== -1; });
      } else if (given) {
        el.value = given[0];
      }
    });
    form.querySelectorAll(".formset-row__delete input[type=checkbox]:checked").forEach(function (box) {
      removeRow(box.closest("[data-formset-row]"));
    });
    form.querySelectorAll("textarea").forEach(function (el) {
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function when(iso) {
    var date = new Date(iso);
    var today = new Date().toDateString() === date.toDateString();
    var time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return today ? time : date.toLocaleDateString([], { day: "numeric", month: "short" }) + ", " + time;
  }

  function offerCopy(copy) {
    var box = document.createElement("section");
    box.className = "card restore-offer";
    box.setAttribute("role", "alert");
    box.setAttribute("data-restore-offer", "");
    var text = document.createElement("p");
    text.textContent = "This browser kept changes to this post-mortem that were not saved.";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button button--primary";
    restore.textContent = "Restore your unsaved changes from " + when(copy.savedAt);
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button";
    discard.textContent = "Discard";
    var row = document.createElement("div");
    row.className = "row";
    row.appendChild(restore);
    row.appendChild(discard);
    box.appendChild(text);
    box.appendChild(row);
    form.parentNode.insertBefore(box, form);
    restore.addEventListener("click", function () {
      applyCopy(copy);
      box.remove();
      markDirty();
      if (status) status.textContent = "Restored your unsaved changes: save to keep them.";
    });
    discard.addEventListener("click", function () {
      dropCopies();
      box.remove();
    });
  }

  if (form.hasAttribute("data-rerendered")) {
    // The server showed the editor again (bad input or a conflict) with everything that was typed.
    dirty = true;
    saveCopy();
  } else if (window.localStorage) {
    var copy = latestCopy();
    if (copy && content(copy.fields) !== content(fields())) offerCopy(copy);
    else if (copy) dropCopies();
  }

  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  /* ---- Saving with fetch: a failed save keeps the page --------------------------------- */

  function showProblem(message) {
    if (!problem) return;
    problem.textContent = message;
    problem.hidden = false;
    if (status) status.textContent = "Unsaved changes.";
  }

  function buttons(disabled) {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = disabled; });
  }

  var KEPT = " Your text is kept here and in this browser.";

  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.FormData || !window.URLSearchParams) {
      dirty = false;
      return;
    }
    event.preventDefault();
    saveCopy();
    var data;
    try { data = new FormData(form, event.submitter || null); } catch (e) { data = new FormData(form); }
    if (event.submitter && event.submitter.name && !data.has(event.submitter.name)) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var body = new URLSearchParams();
    data.forEach(function (value, key) { if (typeof value === "string") body.append(key, value); });
    if (problem) problem.hidden = true;
    if (status) status.textContent = "Saving…";
    buttons(true);
    window.Hindsight.request(form.action, {
      method: "POST", body: body, headers: { "X-Requested-With": "fetch", "Accept": "application/json, text/html" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.ok && type.indexOf("application/json") !== -1) {
        return response.json().then(function (answer) {
          dirty = false;
          dropCopies();
          window.location.assign(answer.redirect);
        });
      }
      if ((response.status === 400 || response.status === 409) && response.headers.get("X-Hindsight-Editor")) {
        return response.text().then(function (html) {
          dirty = false;
          clearTimeout(copyTimer);
          document.open();
          document.write(html);
          document.close();
        });
      }
      buttons(false);
      if (response.redirected && loginUrl && response.url.indexOf(loginUrl) !== -1) {
        showProblem("Not saved: you were signed out. Sign in again in another tab, then save here." + KEPT);
      } else if (response.status === 413) {
        showProblem("Not saved: the post-mortem is too large to send in one go." + KEPT);
      } else if (response.status === 403) {
        showProblem("Not saved: the server refused the save (403); reload the page in another tab to check you may still edit." + KEPT);
      } else if (response.status >= 500) {
        showProblem("Not saved: the server had a problem (" + response.status + "). Try again in a moment." + KEPT);
      } else {
        showProblem("Not saved: the server answered " + response.status + "." + KEPT);
      }
    }).catch(function () {
      buttons(false);
      showProblem("Not saved: the server could not be reached. Check your connection and save again." + KEPT);
    });
  });

  /* ---- Conflicts: choosing a side fills the field ---------------------------------------- */

  form.querySelectorAll("[data-conflict]").forEach(function (panel) {
    var field = document.getElementById(panel.getAttribute("data-conflict-field") || "");
    if (!field || field.type === "hidden") return;
    var theirs = panel.querySelector("[data-conflict-theirs]");
    var mine = field.value;
    panel.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (!radio.checked) return;
        if (radio.value === "theirs" && theirs) field.value = theirs.getAttribute("data-conflict-theirs");
        if (radio.value === "mine") field.value = mine;
        if (radio.value === "edit") field.focus();
        field.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    field.addEventListener("input", function (event) {
      if (!event.isTrusted) return;
      var edit = panel.querySelector("input[type=radio][value=edit]");
      if (edit && !edit.checked) edit.checked = true;
    });
  });

  /* ---- Tag suggestions for the comma-separated tag field -------------------------------- */
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
    var currentTerm = function () {
      var parts = tagInput.value.split(",");
      return parts[parts.length - 1].trim();
    };
    var choose = function (name) {
      var parts = tagInput.value.split(",");
      parts[parts.length - 1] = " " + name;
      tagInput.value = parts.join(",").replace(/^\s+/, "") + ", ";
      list.hidden = true;
      tagInput.focus();
      markDirty();
    };
    tagInput.addEventListener("input", function () {
      clearTimeout(timer);
      var term = currentTerm();
      if (term.length < 1) { list.hidden = true; return; }
      timer = setTimeout(function () {
        window.Hindsight.request(tagInput.getAttribute("data-tag-autocomplete") + "?q=" + encodeURIComponent(term)).then(function (r) { return r.ok ? r.json() : { results: [] }; }).then(function (data) {
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
      return window.Hindsight.request(textarea.getAttribute("data-markdownx-upload-urls-path"), {
        method: "POST", body: body, headers: { "X-Requested-With": "XMLHttpRequest" }
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


  /* ---- Timeline paste: preview parsed events, then add them as rows ---------------------- */
  var paste = form.querySelector("details.paste");
  if (paste) {
    var preview = paste.querySelector("[data-paste-preview]");
    var eventsFormset = formsetOf("events");
    paste.querySelector("[data-paste-parse]").addEventListener("click", function () {
      var text = paste.querySelector("#timeline-paste").value;
      var body = new URLSearchParams();
      body.set("text", text);
      preview.textContent = "Reading…";
      window.Hindsight.request(paste.getAttribute("data-parse-url"), { method: "POST", body: body }).then(function (r) {
        return r.json().catch(function () { return { error: "The server could not read that text." }; });
      }).then(function (data) { showPreview(data); })
        .catch(function () { preview.textContent = "Could not reach the server; your text is still here."; });
    });

    var upload = paste.querySelector("[data-upload-url]");
    if (upload) {
      paste.querySelector("[data-upload-parse]").addEventListener("click", function () {
        var files = paste.querySelector("#timeline-upload-file").files;
        var body = new FormData();
        for (var i = 0; i < files.length; i++) body.append("file", files[i]);
        body.set("channel", paste.querySelector("#timeline-upload-channel").value);
        body.set("from", paste.querySelector("#timeline-upload-from").value);
        body.set("to", paste.querySelector("#timeline-upload-to").value);
        preview.textContent = "Reading…";
        window.Hindsight.request(upload.getAttribute("data-upload-url"), { method: "POST", body: body }).then(function (r) {
          return r.json().catch(function () { return { error: "The server could not read that file." }; });
        }).then(function (data) { showPreview(data); })
          .catch(function () { preview.textContent = "Could not reach the server; choose the file again to retry."; });
      });
    }

    var fillEmptyTimes = function (times) {
      Object.keys(times || {}).forEach(function (name) {
        var input = form.querySelector("input[name='" + name + "']");
        if (input && !input.value) { input.value = times[name]; markDirty(); }
      });
    };

    var PREVIEW_ROWS = 200;

    var showPreview = function (data) {
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
      (data.report || []).forEach(function (line) {
        var note = document.createElement("p");
        note.className = "help";
        note.textContent = line;
        preview.appendChild(note);
      });
      var speakers = data.speakers || [];
      var renames = [];
      if (speakers.length && events.length) {
        /* Chat names become placeholders; the author names each by role in one step. */
        var box = document.createElement("fieldset");
        box.className = "paste__speakers";
        var legend = document.createElement("legend");
        legend.textContent = "People in this chat appear as placeholders. Name each by role (e.g. “incident commander”), or leave the placeholder:";
        box.appendChild(legend);
        speakers.forEach(function (sp, i) {
          var label = document.createElement("label");
          label.setAttribute("for", "paste-speaker-" + i);
          label.textContent = sp.placeholder + " (" + sp.name + ")";
          var input = document.createElement("input");
          input.type = "text";
          input.id = "paste-speaker-" + i;
          input.maxLength = 60;
          input.placeholder = sp.placeholder;
          input.setAttribute("data-placeholder", sp.placeholder);
          renames.push(input);
          box.appendChild(label);
          box.appendChild(input);
        });
        preview.appendChild(box);
      }
      var renamed = function (text) {
        renames.forEach(function (input) {
          var role = input.value.trim();
          if (role) text = text.split(input.getAttribute("data-placeholder")).join(role);
        });
        return text;
      };
      if (events.length) {
        var table = document.createElement("table");
        table.innerHTML = "<thead><tr><th>When</th><th>Kind</th><th>What happened</th></tr></thead>";
        var tbody = document.createElement("tbody");
        events.slice(0, PREVIEW_ROWS).forEach(function (ev) {
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
        if (events.length > PREVIEW_ROWS) {
          var more = document.createElement("p");
          more.className = "help";
          more.textContent = "…and " + (events.length - PREVIEW_ROWS) + " more.";
          preview.appendChild(more);
        }
        var add = document.createElement("button");
        add.type = "button";
        add.className = "button button--primary";
        add.textContent = "Add " + events.length + " event" + (events.length === 1 ? "" : "s") + " to the timeline";
        add.addEventListener("click", function () {
          add.disabled = true;
          var fillEvent = function (row, i) {
            var ev = events[i];
            row.querySelector("input[name$='-occurred_at']").value = ev.occurred_at_local.replace("T", " ");
            var kind = row.querySelector("select[name$='-kind']");
            if (kind) kind.value = ev.kind;
            row.querySelector("textarea[name$='-description']").value = renamed(ev.description);
          };
          // Empty rows at the end of the timeline (the blank one offered for typing) take the first
          // events, so the pasted events do not land after an empty row.
          var blanks = trailingBlankRows(eventsFormset).slice(0, events.length);
          blanks.forEach(function (row, i) { fillEvent(row, i); });
          buildRowsGradually(eventsFormset, events.length - blanks.length, function (row, i) {
            fillEvent(row, i + blanks.length);
          }, function (added, count) {
            add.textContent = "Adding… " + added + " of " + count;
          }, function () {
            markDirty();
            fillEmptyTimes(data.times);
            preview.textContent = "Added " + events.length + " event" + (events.length === 1 ? "" : "s") + ". Check them below, then save.";
            paste.querySelector("#timeline-paste").value = unparsed.join("\n");
          });
        });
        preview.appendChild(add);
      }
      if (unparsed.length) {
        var pre = document.createElement("pre");
        pre.textContent = unparsed.join("\n");
        preview.appendChild(pre);
      }
    };
  }
  /* ---- Rows at the end that nobody has typed in ----------------------------------------- */
  function isBlankRow(row) {
    if (row.hidden) return false;
    var typed = Array.prototype.some.call(row.querySelectorAll("input, textarea"), function (field) {
      var type = (field.type || "").toLowerCase();
      if (type === "hidden" || type === "checkbox" || type === "radio" || type === "button") return false;
      return field.value.trim() !== "";
    });
    var id = row.querySelector("input[type=hidden][name$='-id']");
    return !typed && !(id && id.value);
  }

  function trailingBlankRows(formset) {
    var rows = Array.prototype.slice.call(formset.querySelectorAll("[data-formset-rows] > [data-formset-row]"));
    var blanks = [];
    for (var i = rows.length - 1; i >= 0; i--) {
      if (rows[i].hidden) continue;
      if (!isBlankRow(rows[i])) break;
      blanks.unshift(rows[i]);
    }
    return blanks;
  }

  /* ---- Moving rows up and down: buttons, so it works from the keyboard too --------------- */
  var NUMBERED = ["name", "id", "for", "aria-describedby", "data-conflict-field"];
  var mover = el("p", "visually-hidden");
  mover.setAttribute("aria-live", "polite");
  form.appendChild(mover);

  // Timeline events and contributing factors; action items are listed by due date anyway.
  var MOVABLE = ["events", "factors"];

  function addMoveButtons(row, formset) {
    formset = formset || row.closest("[data-formset]");
    if (!formset || MOVABLE.indexOf(formset.getAttribute("data-formset")) === -1) return;
    if (row.querySelector(".formset-row__move")) return;
    var box = el("div", "formset-row__move");
    [["up", "Move up"], ["down", "Move down"]].forEach(function (pair) {
      var button = el("button", "button button--small", pair[0] === "up" ? "↑ Up" : "↓ Down");
      button.type = "button";
      button.setAttribute("data-formset-move", pair[0]);
      button.setAttribute("aria-label", pair[1]);
      box.appendChild(button);
    });
    row.appendChild(box);
  }

  function renumber(formset) {
    var prefix = formset.getAttribute("data-formset");
    var pattern = new RegExp("(^|[^A-Za-z0-9_])(" + prefix + "-)\\d+(-)", "g");
    var rows = formset.querySelectorAll("[data-formset-rows] > [data-formset-row]");
    Array.prototype.forEach.call(rows, function (row, index) {
      [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (node) {
        NUMBERED.forEach(function (attribute) {
          var value = node.getAttribute(attribute);
          if (value && value.indexOf(prefix + "-") !== -1) {
            node.setAttribute(attribute, value.replace(pattern, "$1$2" + index + "$3"));
          }
        });
      });
    });
  }

  function visibleSibling(row, direction) {
    var next = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    while (next && next.hidden) next = direction === "up" ? next.previousElementSibling : next.nextElementSibling;
    return next;
  }

  form.querySelectorAll("[data-formset-rows] > [data-formset-row]").forEach(function (row) { addMoveButtons(row); });
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-formset-move]");
    if (!button) return;
    var direction = button.getAttribute("data-formset-move");
    var row = button.closest("[data-formset-row]");
    var other = visibleSibling(row, direction);
    if (!other) {
      mover.textContent = direction === "up" ? "Already the first row." : "Already the last row.";
      return;
    }
    if (direction === "up") other.parentNode.insertBefore(row, other);
    else other.parentNode.insertBefore(other, row);
    var formset = row.closest("[data-formset]");
    renumber(formset);
    button.focus();
    var visible = Array.prototype.filter.call(formset.querySelectorAll("[data-formset-rows] > [data-formset-row]"),
      function (r) { return !r.hidden; });
    mover.textContent = "Moved to row " + (visible.indexOf(row) + 1) + " of " + visible.length + ".";
    markDirty();
  });

  /* ---- Authors: a searchable list of checkboxes over the multiple select ----------------- */
  var authors = form.querySelector("select[multiple][name=authors]");
  if (authors) {
    var picker = el("div", "picker");
    var search = el("input", "picker__search");
    search.type = "search";
    search.id = authors.id + "-search";
    search.placeholder = "Type to find a person…";
    var list = el("ul", "picker__list");
    list.setAttribute("aria-label", "People who can be credited");
    Array.prototype.forEach.call(authors.options, function (option, index) {
      var item = el("li");
      var label = el("label", "checkbox");
      var box = el("input");
      box.type = "checkbox";
      box.id = authors.id + "-pick-" + index;
      box.checked = option.selected;
      box.addEventListener("change", function () {
        option.selected = box.checked;
        authors.dispatchEvent(new Event("change", { bubbles: true }));
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + option.text));
      item.appendChild(label);
      item.setAttribute("data-name", option.text.toLowerCase());
      list.appendChild(item);
    });
    var none = el("p", "help", "Nobody by that name.");
    none.hidden = true;
    search.addEventListener("input", function () {
      var term = search.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(list.children, function (item) {
        item.hidden = term !== "" && item.getAttribute("data-name").indexOf(term) === -1;
        if (!item.hidden) shown++;
      });
      none.hidden = shown !== 0;
    });
    search.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    picker.appendChild(search);
    picker.appendChild(list);
    picker.appendChild(none);
    authors.hidden = true;
    authors.insertAdjacentElement("afterend", picker);
    var label = form.querySelector("label[for='" + authors.id + "']");
    if (label) label.setAttribute("for", search.id);
    var help = document.getElementById(authors.id + "-help");
    if (help) help.textContent = "Credit for the write-up. Tick everyone who wrote it; type to narrow the list.";
  }
})();

/* Related write-ups are linked and unlinked without leaving the editor, so nothing typed there is
   put at risk (and no "leave the page?" prompt): the server's answer replaces the links box. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var target = event.target;
    var box = target.closest && target.closest("#related-links");
    if (!box || !document.getElementById("editor-form") || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    var submitter = box.querySelectorAll("button");
    submitter.forEach(function (b) { b.disabled = true; });
    window.Hindsight.request(target.action, {
      method: "POST", body: new URLSearchParams(new FormData(target)), headers: { "Accept": "text/html" }
    }).then(function (response) {
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("related-links");
        if (!response.ok || !fresh) throw new Error(String(response.status));
        var messages = page.querySelector(".messages");
        if (messages) {
          var note = window.Hindsight.el("div", "links-editor__status");  // the list is role=status itself
          note.appendChild(document.importNode(messages, true));
          fresh.insertBefore(note, fresh.children[1] || null);
        }
        var adopted = document.importNode(fresh, true);
        box.replaceWith(adopted);
        var focus = adopted.querySelector("#link-target");
        if (focus) focus.focus();
      });
    }).catch(function () {
      submitter.forEach(function (b) { b.disabled = false; });
      var problem = window.Hindsight.el("p", "errorlist", "The link could not be saved; your editor is unchanged. Try again.");
      problem.setAttribute("role", "alert");
      box.appendChild(problem);
    });
  });
})();
