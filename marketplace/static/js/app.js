// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // Confirm before destructive actions: <form data-confirm="Are you sure?">
  document.addEventListener("submit", function (event) {
    var form = event.target;
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
