/* Small progressive enhancements; every page works without them.
   - [data-nav-toggle]: opens the menu on phones.
   - form[data-autosubmit] select/checkbox: submits the filter form when a value changes.
   - [data-confirm="…"] on a submit button or form: asks before submitting.
   - forms submit once: their submit buttons are disabled after the first click. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var toggle = document.querySelector("[data-nav-toggle]");
    if (toggle) {
      var menu = document.getElementById(toggle.getAttribute("aria-controls"));
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
        menu.classList.toggle("is-open", !open);
      });
    }

    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("select, input[type=checkbox]").forEach(function (input) {
        input.addEventListener("change", function () {
          if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        });
      });
    });

    document.addEventListener("submit", function (event) {
      var form = event.target;
      var button = event.submitter;
      var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        return;
      }
      if (form.method.toLowerCase() === "post") {
        if (form.dataset.submitted === "1") { event.preventDefault(); return; }
        form.dataset.submitted = "1";
        // Keep the clicked button's name/value: disabling it would drop it from the data.
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
            b.setAttribute("aria-disabled", "true");
          });
        }, 0);
      }
    });

    // Diagrams fit the page width; "实际大小" shows them at drawing scale, scrollable.
    // A diagram far wider than the page starts at drawing scale, scrolled to the step in
    // progress, because fitted it would be too small to read.
    document.querySelectorAll("[data-diagram-zoom]").forEach(function (button) {
      var box = document.getElementById(button.getAttribute("aria-controls"));
      var svg = box.querySelector("svg");
      function show(actual) {
        button.setAttribute("aria-pressed", actual ? "true" : "false");
        box.classList.toggle("diagram--actual", actual);
        if (actual) { focusCurrent(); }
      }
      function focusCurrent() {
        var current = box.querySelector(".el.state-incident, .el.state-active");
        if (!current) { return; }
        var step = current.getBoundingClientRect();
        var frame = box.getBoundingClientRect();
        box.scrollLeft += step.left - frame.left - (frame.width - step.width) / 2;
        box.scrollTop += step.top - frame.top - (frame.height - step.height) / 2;
      }
      button.addEventListener("click", function () {
        show(button.getAttribute("aria-pressed") !== "true");
      });
      var natural = svg ? parseFloat(svg.getAttribute("width")) : 0;
      if (natural > box.clientWidth * 1.6) { show(true); }
    });

    // Put the keyboard where the user must act: the first field with an error.
    var invalid = document.querySelector(".error-summary");
    if (invalid) { invalid.focus(); }
  });
})();
