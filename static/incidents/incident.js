/* The incident page (#19.8): conditionally revealed radios, show/hide and copy for the install code,
   and focus moved to what appears (an error summary on load, a revealed code after an htmx swap). */
(function () {
  "use strict";

  function syncConditionals(root) {
    root.querySelectorAll("input[type=radio][aria-controls]").forEach(function (radio) {
      var panel = document.getElementById(radio.getAttribute("aria-controls"));
      if (!panel) { return; }
      panel.hidden = !radio.checked;  /* GOV.UK radios: aria-controls only (aria-expanded is not allowed on a radio) */
    });
  }

  function focusFirst(root) {
    var target = root.querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[type=radio][aria-controls]")) {
      syncConditionals(event.target.form || document);
    }
  });

  document.addEventListener("click", function (event) {
    var toggleInput = event.target.closest("[data-toggle-input]");
    if (toggleInput) {
      var input = document.getElementById(toggleInput.getAttribute("data-toggle-input"));
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      toggleInput.textContent = show ? "Hide" : "Show";
      toggleInput.setAttribute("aria-pressed", show ? "true" : "false");
      return;
    }
    var box = event.target.closest("[data-revealed-code]");
    if (!box) { return; }
    var value = box.querySelector("[data-code-value]");
    if (event.target.closest("[data-toggle-code]")) {
      var hide = !value.hidden;
      value.hidden = hide;
      box.querySelector("[data-code-mask]").hidden = !hide;
      event.target.textContent = hide ? "Show code" : "Hide code";
      event.target.setAttribute("aria-pressed", hide ? "true" : "false");
    } else if (event.target.closest("[data-copy-code]")) {
      var status = box.querySelector("[data-copy-status]");
      var done = function () { status.textContent = "Code copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value.textContent.trim()).then(done, function () {
          status.textContent = "Copy did not work: select the code and copy it.";
        });
      } else {
        var range = document.createRange();
        range.selectNodeContents(value);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        status.textContent = "Code selected: press Ctrl+C to copy it.";
      }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) { focusFirst(event.target); });

  function ready() {
    document.querySelectorAll("[data-js-enhanced]").forEach(function (el) { el.hidden = false; });
    syncConditionals(document);
    focusFirst(document);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
