// microscout web UI: small progressive enhancements, no framework, no inline handlers.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Collapsible blocks (navigation and filters) on small screens.
  function setupToggles() {
    var small = window.matchMedia("(max-width: 860px)");
    document.querySelectorAll("[data-toggle]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-toggle"));
      if (!target) { return; }
      var visible = window.getComputedStyle(button).display !== "none";
      if (visible && small.matches) { target.hidden = true; }
      button.addEventListener("click", function () {
        target.hidden = !target.hidden;
        button.setAttribute("aria-expanded", String(!target.hidden));
      });
    });
  }

  // Forms that ask before they submit (deletes).
  function setupConfirms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  // Live progress of running ingest jobs (the JSON twin: /api/v1/ingest-jobs/{id}).
  function pollJob(row) {
    var id = row.getAttribute("data-job-id");
    fetch("/api/v1/ingest-jobs/" + encodeURIComponent(id), {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (job) {
      if (!job) { return; }
      var bar = row.querySelector("progress");
      if (bar) { bar.value = job.progress || 0; }
      var percent = row.querySelector(".job-percent");
      if (percent) { percent.textContent = Math.round(100 * (job.progress || 0)) + "%"; }
      var status = row.querySelector(".job-status");
      if (status) { status.textContent = job.status; }
      if (job.status === "queued" || job.status === "running") {
        window.setTimeout(function () { pollJob(row); }, 1000);
      } else {
        var result = row.querySelector(".job-result");
        if (result && job.error) { result.textContent = job.error; }
        else if (result && job.result && job.result.tables) {
          result.textContent = Object.keys(job.result.tables).map(function (t) {
            var n = job.result.tables[t];
            return t + ": " + n.accepted + " accepted, " + n.quarantined + " quarantined";
          }).join("; ");
        }
      }
    }).catch(function () { /* the page still shows the last known state */ });
  }

  function setupJobs() {
    document.querySelectorAll("tr[data-job-id]").forEach(function (row) {
      var status = row.getAttribute("data-job-status");
      if (status === "queued" || status === "running") { pollJob(row); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupToggles();
    setupConfirms();
    setupJobs();
  });
})();
