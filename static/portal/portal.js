/* The portal's small shared behaviours (loaded by base.html; the CSP allows scripts from our files only).
 *
 * 1. Error summary (GOV.UK pattern): when a page arrives with one, focus it so a screen reader reads the
 *    errors first and a keyboard user starts there; its links move focus to the field (and scroll the
 *    field's label or legend into view, not just the control).
 * 2. Menu button: on a narrow screen the main navigation folds behind a "Menu" button (aria-expanded).
 * 3. Tables never widen the page (WCAG 1.4.10): each sits in its own horizontally scrolling region,
 *    focusable (so it can be scrolled with the keyboard) only while it really overflows.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.scrollIntoView({block: "start"});
    }
    return summary;
  }

  function labelFor(control) {
    var fieldset = control.closest("fieldset");
    if (fieldset && (control.type === "radio" || control.type === "checkbox" && fieldset.querySelectorAll("input").length > 1)) {
      return fieldset.querySelector("legend");
    }
    return control.id ? document.querySelector('label[for="' + CSS.escape(control.id) + '"]') : null;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var control = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!control) { return; }
    event.preventDefault();
    var label = labelFor(control);
    (label || control).scrollIntoView({block: "start"});
    control.focus({preventScroll: true});
  });

  function setUpMenu() {
    var button = document.querySelector("[data-menu-toggle]");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!button || !menu) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        menu.classList.remove("is-open");
        button.focus();
      }
    });
  }

  function regionLabel(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var labelledby = table.getAttribute("aria-labelledby");
    var heading = labelledby && document.getElementById(labelledby);
    if (heading) { return heading.textContent.trim(); }
    var section = table.closest("section");
    heading = section && section.querySelector("h2, h3");
    return heading ? heading.textContent.trim() : "Table";
  }

  function wrapTables(root) {
    (root || document).querySelectorAll("main table").forEach(function (table) {
      var region = table.parentElement;
      if (!region.classList.contains("table-scroll")) {
        region = document.createElement("div");
        region.className = "table-scroll";
        table.parentNode.insertBefore(region, table);
        region.appendChild(table);
      }
      if (!region.dataset.regionLabel) {
        region.dataset.regionLabel = regionLabel(table) + " (scrolls sideways)";
      }
    });
    markScrollable();
  }

  function markScrollable() {
    document.querySelectorAll(".table-scroll").forEach(function (region) {
      // A scrolling region is a labelled, focusable region; one that fits is just a wrapper (no tab stop).
      if (region.scrollWidth > region.clientWidth + 1) {
        region.setAttribute("tabindex", "0");
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", region.dataset.regionLabel || "Table (scrolls sideways)");
      } else {
        region.removeAttribute("tabindex");
        region.removeAttribute("role");
        region.removeAttribute("aria-label");
      }
    });
  }

  function ready() {
    setUpMenu();
    wrapTables(document);
    focusErrorSummary(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  var resizeTimer;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(markScrollable, 100); });
  // htmx swaps in fragments: a fragment with an error summary is focused like a page, new tables wrapped.
  document.addEventListener("htmx:afterSwap", function (event) {
    wrapTables(event.target);
    focusErrorSummary(event.target);
  });
})();
