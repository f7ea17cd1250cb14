/* Calendar: drag an appointment onto a free slot to move it (PATCH /api/appointments/{id}
   with the page's CSRF token). Without this script every action still works through
   the links and forms of the page (book from a slot, edit to move). */
(function () {
  "use strict";
  var table = document.querySelector("table.cal");
  var status = document.querySelector("[data-cal-status]");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  if (!table) return;
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function say(text) { if (status) status.textContent = text; }
  var dragged = null;
  table.querySelectorAll("td.cal-appt[draggable]").forEach(function (td) {
    td.addEventListener("dragstart", function (e) {
      dragged = td;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", td.getAttribute("data-appt-id"));
    });
    td.addEventListener("dragend", function () { dragged = null; });
  });
  table.querySelectorAll("td.cal-free").forEach(function (td) {
    td.addEventListener("dragover", function (e) {
      if (!dragged) return;
      e.preventDefault();
      td.classList.add("cal-drop");
    });
    td.addEventListener("dragleave", function () { td.classList.remove("cal-drop"); });
    td.addEventListener("drop", function (e) {
      e.preventDefault();
      td.classList.remove("cal-drop");
      var id = e.dataTransfer.getData("text/plain") || (dragged && dragged.getAttribute("data-appt-id"));
      if (!id) return;
      move(id, td.getAttribute("data-slot"), td.getAttribute("data-practitioner"));
    });
  });
  function move(id, start, practitioner) {
    say("Moving…");
    fetch("/api/appointments/" + encodeURIComponent(id), {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), "Accept": "application/json" },
      body: JSON.stringify({ start: start, practitioner_id: parseInt(practitioner, 10) })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (res.ok) { window.location.reload(); return; }
      say(res.body.message || "The appointment could not be moved.");
      if (status) status.classList.add("flash", "flash-error");
    }).catch(function () { say("The appointment could not be moved (no connection)."); });
  }
})();
