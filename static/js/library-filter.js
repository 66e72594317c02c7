/* Step 2's library: filter as you type, over the strategies the page already lists (best fit first).
 *
 * Progressive enhancement of the GET filter form: without this script the form submits and the
 * server filters the same way (coaching.selectors.library_search), and "Show all" is a link.
 * Markup: <form data-library-filter="#list"> with inputs named q, category, itu_indicator, subject,
 * grade_band; items [data-strategy] carrying data-text, -category, -itu, -subject, -grade; an item
 * [data-empty]; a link [data-show-more]; a live region #library-count.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-library-filter]");
  if (!form) return;
  var list = document.querySelector(form.getAttribute("data-library-filter"));
  var items = Array.prototype.slice.call(list.querySelectorAll("[data-strategy]"));
  var empty = list.querySelector("[data-empty]");
  var more = document.querySelector("[data-show-more]");
  var count = document.getElementById("library-count");
  var shown = parseInt(list.getAttribute("data-shown") || "10", 10);
  var showAll = list.hasAttribute("data-show-all");

  function value(name) {
    var field = form.elements[name];
    return field ? field.value.trim().toLowerCase() : "";
  }

  function fits(item, f) {
    var d = item.dataset;
    if (f.q && d.text.indexOf(f.q) === -1) return false;
    if (f.category && d.category !== f.category) return false;
    if (f.itu && d.itu !== f.itu) return false;
    // A strategy for any subject or any grade band fits every teacher.
    if (f.subject && d.subject && d.subject.indexOf(f.subject) === -1) return false;
    if (f.grade && d.grade !== f.grade && d.grade !== "all") return false;
    return true;
  }

  function apply() {
    var f = { q: value("q"), category: value("category"), itu: value("itu_indicator"),
              subject: value("subject"), grade: value("grade_band") };
    var matching = items.filter(function (item) { return fits(item, f); });
    items.forEach(function (item) { item.hidden = true; });
    matching.forEach(function (item, i) { item.hidden = !showAll && i >= shown; });
    if (empty) empty.hidden = matching.length > 0;
    if (more) {
      more.hidden = showAll || matching.length <= shown;
      more.textContent = "Show all " + matching.length + " strategies";
    }
    if (count) {
      count.textContent = matching.length === 1 ? "1 strategy matches" : matching.length + " strategies match";
    }
  }

  var timer = null;
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 150);  // announce once the typing pauses
  });
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  if (more) {
    more.addEventListener("click", function (event) {
      event.preventDefault();
      showAll = true;
      apply();
      var next = items.filter(function (item) { return !item.hidden; })[shown];
      if (next) next.querySelector("h3").focus();
    });
  }
})();
