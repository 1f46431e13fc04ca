/* Small behaviours of every page, kept out of the HTML so the Content-Security-Policy needs no
   inline script: print buttons, and fields whose text is selected when they get focus. */
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
