/* Small behaviours of every page, kept out of the HTML so the Content-Security-Policy needs no
   inline script: print buttons, and fields whose text is selected when they get focus.

   Also the helpers the page scripts share (window.Hindsight): the CSRF token, an element builder
   and a same-origin fetch that sends the token. Loaded first (every script is deferred, so they
   run in document order). */
window.Hindsight = (function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input) return input.value;
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // el("p", "help", "Text") -> <p class="help">Text</p>
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // fetch() for this site: cookies sent, JSON preferred, and the CSRF token on anything but a read.
  function request(url, options) {
    options = options || {};
    var headers = options.headers || {};
    if (!headers.Accept) headers.Accept = "application/json";
    var method = (options.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD" && !headers["X-CSRFToken"]) headers["X-CSRFToken"] = csrfToken();
    var init = {};
    Object.keys(options).forEach(function (key) { init[key] = options[key]; });
    init.headers = headers;
    init.credentials = "same-origin";
    return fetch(url, init);
  }

  return { csrfToken: csrfToken, el: el, request: request };
})();

(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;  // without JavaScript there is nothing it could do: the browser's menu prints
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
