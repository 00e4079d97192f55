// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // Confirm before destructive actions: <form data-confirm="Are you sure?">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // Enter in an ordinary field submits the form's own button, not a picker's "Find"
    // (the first button in the form, which the browser would otherwise take).
    var by = event.submitter;
    var focus = document.activeElement;
    if (by && by.name === "find" && focus && focus !== by && focus.type !== "search") {
      var main = form.querySelector("button[type=submit]:not([name=find])");
      if (main) {
        event.preventDefault();
        main.click();
        return;
      }
    }
    var text = form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      return;
    }
    // A second click on the same button does not submit twice.
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    window.setTimeout(function () { form.dataset.submitted = ""; }, 5000);
  });
  // Name search beside a long picker: <input data-filter-for="ID"> hides, as one types,
  // the options and list items of element ID whose text lacks the words (the chosen
  // ones stay). Without this script the "Find" button narrows the list on the server.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-for]"), function (box) {
    var target = document.getElementById(box.getAttribute("data-filter-for"));
    if (!target) { return; }
    function filter() {
      var needle = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(target.querySelectorAll("option, li"), function (item) {
        var input = item.querySelector ? item.querySelector("input") : null;
        var chosen = item.selected || (input && input.checked) || item.value === "";
        item.hidden = !!needle && !chosen && item.textContent.toLowerCase().indexOf(needle) === -1;
      });
    }
    box.addEventListener("input", filter);
  });
  // Search filters: open beside the results on wide screens, a toggle on phones.
  var filters = document.querySelector(".search-filters details");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 900px)").matches) {
    filters.open = true;
  }

  // Phone-width menu.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
})();
