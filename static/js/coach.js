/* The language coach in the editor. As the author writes, each field marked with data-coach-kind
   is checked (debounced) at the panel's data-check-url; the findings appear per text in
   #coach-panel, and as a hint right under the field being typed in. A finding can be kept with
   a reason (data-dismiss-url). Without JavaScript the editor works as before and the review page
   lists the findings. Text from the server is always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var panel = document.getElementById("coach-panel");
  if (!panel || !window.fetch || !window.JSON) return;

  var DELAY = 600;
  var BATCH = 50;
  var CONTEXT = 50;
  var checkUrl = panel.getAttribute("data-check-url");
  var dismissUrl = panel.getAttribute("data-dismiss-url");
  var slug = panel.getAttribute("data-postmortem") || slugFrom(dismissUrl);
  var results = {};   // ref -> list of findings from the last check of that field
  var latest = {};    // ref -> number of the last request sent for that field
  var touched = {};   // ref -> true once the author typed in or focused the field
  var timers = {};
  var counter = 0;
  var nextRef = 1;
  var PREFIX = { timeline: "timeline", factor: "factor", action_item: "action" };

  function slugFrom(url) {
    var match = /\/postmortems\/([^/]+)\//.exec(url || "");
    return match ? decodeURIComponent(match[1]) : "";
  }

  var el = window.Hindsight.el;

  function fields() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-coach-kind]")).filter(function (f) {
      return !f.closest("template") && !panel.contains(f);
    });
  }

  function refOf(field) {
    if (!field.getAttribute("data-coach-ref")) field.setAttribute("data-coach-ref", "c" + nextRef++);
    return field.getAttribute("data-coach-ref");
  }

  function fieldByRef(ref) {
    return document.querySelector('[data-coach-ref="' + ref + '"]');
  }

  function rowOf(field) {
    return field.closest("[data-formset-row]");
  }

  function locationOf(field) {
    var given = field.getAttribute("data-coach-location");
    if (given) return given;
    var kind = field.getAttribute("data-coach-kind");
    var row = rowOf(field);
    var id = row && row.querySelector('input[type="hidden"][name$="-id"]');
    var prefix = PREFIX[kind] || kind;
    return id && id.value ? prefix + ":" + id.value : prefix + ":new-" + refOf(field);
  }

  function labelOf(field) {
    var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    var text = label ? label.textContent.replace(/\*/g, "").replace(/\s+/g, " ").trim() : "";
    var row = rowOf(field);
    var legend = row && row.querySelector("legend");
    if (legend) text = legend.textContent.trim() + (text ? " · " + text : "");
    return text || field.getAttribute("data-coach-kind");
  }

  function actionFacts(field) {
    if (field.getAttribute("data-coach-kind") !== "action_item" || !/-title$/.test(field.name || "")) return null;
    var row = rowOf(field);
    if (!row) return null;
    function pick(suffix) { return row.querySelector('[name$="-' + suffix + '"]'); }
    var priority = pick("priority");
    if (!priority) return null;
    var owner = pick("owner"), due = pick("due_date"), status = pick("status");
    return {
      priority: priority.value,
      has_owner: !!(owner && owner.value),
      has_due_date: !!(due && due.value),
      status: status ? status.value : "open"
    };
  }


  /* ---- the panel ---------------------------------------------------------------------- */

  var heading = el("h2", "h3", "Language coach");
  heading.id = "coach-panel-h";
  var status = el("p", "coach-panel__status help");
  status.setAttribute("aria-live", "polite");
  var problem = el("p", "coach-panel__error");
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  var list = el("div", "coach-panel__groups");
  panel.setAttribute("aria-labelledby", "coach-panel-h");
  panel.classList.add("coach-panel");
  panel.appendChild(heading);
  panel.appendChild(el("p", "help", "Flags blaming and hindsight language as you write. Fix the phrase, or keep it with a reason."));
  panel.appendChild(status);
  panel.appendChild(problem);
  panel.appendChild(list);
  status.textContent = "Checking…";

  // Typing a reason in the panel is not an unsaved change to the write-up.
  ["input", "change"].forEach(function (type) {
    panel.addEventListener(type, function (event) { event.stopPropagation(); });
  });

  function showProblem(message) {
    problem.textContent = message;
    problem.hidden = false;
  }

  function excerpt(text, start, end) {
    var from = Math.max(0, start - CONTEXT), to = Math.min(text.length, end + CONTEXT);
    var p = el("p", "coach-finding__excerpt");
    p.appendChild(document.createTextNode((from > 0 ? "…" : "") + text.slice(from, start)));
    p.appendChild(el("mark", null, text.slice(start, end)));
    p.appendChild(document.createTextNode(text.slice(end, to) + (to < text.length ? "…" : "")));
    return p;
  }

  function findingItem(field, finding) {
    var li = el("li", "coach-finding coach-finding--" + finding.category + (finding.dismissed ? " coach-finding--dismissed" : ""));
    var text = field ? field.value : finding.text;
    if (field && text.slice(finding.start, finding.end) === finding.text && finding.end > finding.start) {
      li.appendChild(excerpt(text, finding.start, finding.end));
    } else if (finding.text) {
      var p = el("p", "coach-finding__excerpt");
      p.appendChild(el("mark", null, finding.text));
      li.appendChild(p);
    }
    var message = el("p", "coach-finding__message");
    message.appendChild(el("span", "coach-badge", finding.dismissed ? "Kept" : finding.category_label));
    message.appendChild(document.createTextNode(" " + finding.message));
    li.appendChild(message);
    if (finding.dismissed) {
      var reason = el("p", "coach-finding__reason");
      reason.appendChild(el("strong", null, "Kept because: "));
      reason.appendChild(document.createTextNode(finding.reason));
      li.appendChild(reason);
      return li;
    }
    if (finding.suggestion) {
      var suggestion = el("p", "coach-finding__suggestion");
      suggestion.appendChild(el("strong", null, "Try: "));
      suggestion.appendChild(document.createTextNode(finding.suggestion));
      li.appendChild(suggestion);
    }
    var actions = el("div", "coach-finding__actions row");
    if (field && finding.end > finding.start) {
      var show = el("button", "link-button", "Show in the text");
      show.type = "button";
      show.addEventListener("click", function () {
        field.focus();
        if (field.setSelectionRange) field.setSelectionRange(finding.start, finding.end);
      });
      actions.appendChild(show);
    }
    if (finding.can_dismiss) {
      var keep = el("button", "link-button", "Keep this phrase…");
      keep.type = "button";
      keep.setAttribute("aria-expanded", "false");
      actions.appendChild(keep);
      var form = dismissForm(finding, keep);
      keep.addEventListener("click", function () {
        form.hidden = !form.hidden;
        keep.setAttribute("aria-expanded", String(!form.hidden));
        if (!form.hidden) form.querySelector("textarea").focus();
      });
      li.appendChild(actions);
      li.appendChild(form);
    } else {
      if (/:new-/.test(finding.location)) actions.appendChild(el("span", "help", "Save first to keep a phrase with a reason."));
      li.appendChild(actions);
    }
    return li;
  }

  // Not a <form>: the panel sits inside the editor's form, and forms cannot nest.
  function dismissForm(finding, opener) {
    var box = el("div", "coach-dismiss");
    box.hidden = true;
    box.setAttribute("role", "group");
    var id = "coach-reason-" + (counter + 1) + "-" + Math.random().toString(36).slice(2, 7);
    var label = el("label", null, "Why should it stay? The reviewer sees your reason.");
    label.setAttribute("for", id);
    var reason = el("textarea");
    reason.id = id;
    reason.rows = 2;
    var errors = el("p", "errorlist");
    errors.setAttribute("role", "alert");
    var submit = el("button", "button button--small", "Dismiss with this reason");
    submit.type = "button";
    var cancel = el("button", "link-button", "Cancel");
    cancel.type = "button";
    var buttons = el("div", "row");
    buttons.appendChild(submit);
    buttons.appendChild(cancel);
    box.appendChild(label);
    box.appendChild(reason);
    box.appendChild(errors);
    box.appendChild(buttons);
    cancel.addEventListener("click", function () {
      box.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    });
    reason.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit.click(); }
    });
    submit.addEventListener("click", function () {
      if (!reason.value.trim()) {
        errors.textContent = "Say why this phrase should stay, so the reviewer can follow.";
        reason.focus();
        return;
      }
      submit.disabled = true;
      dismiss(finding, reason.value).then(function (message) {
        submit.disabled = false;
        if (message) { errors.textContent = message; return; }
        finding.dismissed = true;
        finding.reason = reason.value.trim();
        renderField(fieldByRef(finding.ref), finding.ref);
      });
    });
    return box;
  }

  function dismiss(finding, reason) {
    var body = new URLSearchParams();
    body.set("rule", finding.rule);
    body.set("location", finding.location);
    body.set("text", finding.text);
    body.set("reason", reason);
    return window.Hindsight.request(dismissUrl, { method: "POST", body: body }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var fieldErrors = data.errors ? Object.keys(data.errors).map(function (k) { return data.errors[k].join(" "); }) : [];
          return fieldErrors.join(" ") || data.error || "The finding could not be dismissed (" + response.status + ").";
        }
        // The dismissal is a revision of its own: move the editor's base version along with it,
        // but only when nothing else was saved in between (then the editor must report a conflict).
        var version = document.querySelector('input[name="version"]');
        if (version && String(version.value) === String(data.previous_version)) version.value = data.version;
        return "";
      });
    }).catch(function () { return "The coach could not be reached; try again."; });
  }

  function groupFor(ref) {
    return list.querySelector('[data-coach-group="' + ref + '"]');
  }

  function renderField(field, ref) {
    var findings = results[ref] || [];
    var group = groupFor(ref);
    if (!field || !findings.length) {
      if (group) group.remove();
      renderHint(field, ref);
      renderStatus();
      return;
    }
    var fresh = el("section", "coach-group");
    fresh.setAttribute("data-coach-group", ref);
    var title = el("h3", "coach-group__label");
    if (field.id) {
      var link = el("a", null, labelOf(field));
      link.href = "#" + field.id;
      link.addEventListener("click", function (event) { event.preventDefault(); field.focus(); });
      title.appendChild(link);
    } else {
      title.textContent = labelOf(field);
    }
    fresh.appendChild(title);
    var open = findings.filter(function (f) { return !f.dismissed; });
    var kept = findings.filter(function (f) { return f.dismissed; });
    if (open.length) {
      var ul = el("ul", "coach-list");
      open.forEach(function (f) { ul.appendChild(findingItem(field, f)); });
      fresh.appendChild(ul);
    }
    if (kept.length) {
      var details = el("details", "coach-kept");
      details.appendChild(el("summary", null, "Kept with a reason (" + kept.length + ")"));
      var keptList = el("ul", "coach-list");
      kept.forEach(function (f) { keptList.appendChild(findingItem(field, f)); });
      details.appendChild(keptList);
      fresh.appendChild(details);
    }
    if (group) {
      list.replaceChild(fresh, group);
    } else {
      list.insertBefore(fresh, nextGroupAfter(field));
    }
    renderHint(field, ref);
    renderStatus();
  }

  function nextGroupAfter(field) {
    var all = fields(), seen = false;
    for (var i = 0; i < all.length; i++) {
      if (all[i] === field) { seen = true; continue; }
      if (seen && all[i].getAttribute("data-coach-ref")) {
        var group = groupFor(all[i].getAttribute("data-coach-ref"));
        if (group) return group;
      }
    }
    return null;
  }

  function renderHint(field, ref) {
    var id = "coach-hint-" + ref;
    var hint = document.getElementById(id);
    var open = (results[ref] || []).filter(function (f) { return !f.dismissed; });
    if (!field || !open.length || !touched[ref]) {
      if (hint) hint.remove();
      return;
    }
    if (!hint) {
      hint = el("div", "coach-hint");
      hint.id = id;
      hint.setAttribute("role", "status");
      anchorOf(field).insertAdjacentElement("afterend", hint);
    }
    hint.textContent = "";
    var first = open[0];
    var line = el("p", "coach-hint__line");
    if (first.text) {
      line.appendChild(el("mark", null, first.text));
      line.appendChild(document.createTextNode(" — "));
    }
    line.appendChild(document.createTextNode(first.message));
    hint.appendChild(line);
    if (first.suggestion) {
      var suggestion = el("p", "coach-hint__suggestion");
      suggestion.appendChild(el("strong", null, "Try: "));
      suggestion.appendChild(document.createTextNode(first.suggestion));
      hint.appendChild(suggestion);
    }
    if (open.length > 1) {
      hint.appendChild(el("p", "coach-hint__more", (open.length - 1) + " more in the language coach panel."));
    }
  }

  // Right under the field; under the whole Markdown widget when the field has a preview beside it.
  function anchorOf(field) {
    return field.closest(".markdownx") || field;
  }

  function renderStatus() {
    var open = 0, texts = 0;
    Object.keys(results).forEach(function (ref) {
      var n = results[ref].filter(function (f) { return !f.dismissed; }).length;
      if (n && fieldByRef(ref)) { open += n; texts += 1; }
    });
    status.textContent = open
      ? open + " finding" + (open === 1 ? "" : "s") + " in " + texts + " text" + (texts === 1 ? "" : "s") + "."
      : "Nothing to flag so far.";
  }

  /* ---- checking ----------------------------------------------------------------------- */

  function check(batch) {
    var items = [], sent = {};
    batch.forEach(function (field) {
      var ref = refOf(field);
      if (!field.value.trim()) {
        latest[ref] = ++counter;
        results[ref] = [];
        renderField(field, ref);
        return;
      }
      var item = { location: locationOf(field), kind: field.getAttribute("data-coach-kind"), text: field.value, ref: ref,
                   label: labelOf(field) };
      var facts = actionFacts(field);
      if (facts) Object.keys(facts).forEach(function (k) { item[k] = facts[k]; });
      items.push(item);
      sent[ref] = field.value;
    });
    if (!items.length) return Promise.resolve();
    var number = ++counter;
    items.forEach(function (item) { latest[item.ref] = number; });
    return window.Hindsight.request(checkUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ texts: items, postmortem: slug })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          showProblem(data.error || "The coach could not check the text (" + response.status + ").");
          if (response.status === 429) retryLater(batch, parseInt(response.headers.get("Retry-After"), 10) || 30);
          return;
        }
        problem.hidden = true;
        var byRef = {};
        data.findings.forEach(function (f) { (byRef[f.ref] = byRef[f.ref] || []).push(f); });
        items.forEach(function (item) {
          var field = fieldByRef(item.ref);
          // A later check of this field is on its way, or the text changed meanwhile: skip this answer.
          if (latest[item.ref] !== number || !field || field.value !== sent[item.ref]) return;
          results[item.ref] = byRef[item.ref] || [];
          renderField(field, item.ref);
        });
      });
    }).catch(function () {
      showProblem("The coach cannot be reached right now; your writing is not affected.");
    });
  }

  /* Over the coach's rate limit: check the same fields once more when the server says it may. */
  var retryTimer = null, retryFields = [];
  function retryLater(fields, seconds) {
    fields.forEach(function (field) { if (retryFields.indexOf(field) < 0) retryFields.push(field); });
    if (retryTimer) return;
    retryTimer = setTimeout(function () {
      var again = retryFields.filter(function (field) { return document.body.contains(field); });
      retryFields = [];
      retryTimer = null;
      check(again);
    }, seconds * 1000);
  }

  function schedule(field) {
    var ref = refOf(field);
    touched[ref] = true;
    clearTimeout(timers[ref]);
    timers[ref] = setTimeout(function () { check([field]); }, DELAY);
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-coach-kind]") && !panel.contains(target)) schedule(target);
  });

  // Priority, owner and due date change what the coach says about an action item's title.
  document.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (!/-(priority|owner|due_date|status)$/.test(name)) return;
    var row = rowOf(event.target);
    var title = row && row.querySelector('[data-coach-kind="action_item"][name$="-title"]');
    if (title) schedule(title);
  });

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-coach-kind]") && !panel.contains(target)) {
      var ref = refOf(target);
      if (!touched[ref]) {
        touched[ref] = true;
        renderHint(target, ref);
      }
    }
  });

  function checkAll() {
    var all = fields().filter(function (f) { refOf(f); return f.value.trim(); });
    var batches = [];
    for (var i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
    return batches.reduce(function (done, batch) {
      return done.then(function () { return check(batch); });
    }, Promise.resolve()).then(renderStatus);
  }

  checkAll();
})();
