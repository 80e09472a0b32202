// postdesk's web inbox: a little plain JavaScript, no framework, no build.
// Pages work without it; it adds live updates from the event stream.
"use strict";
(function () {
  var body = document.body;
  var prop = body.dataset.prop;
  if (!prop || !window.EventSource) return;
  // The API's live stream accepts the session cookie on GET (webapi).
  var es = new EventSource("/api/events");
  var live = document.getElementById("live");
  es.onmessage = null;
  function changed(ev) {
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    if (!data || !data.data || data.data.property !== prop) return;
    document.dispatchEvent(new CustomEvent("postdesk:event", { detail: { type: ev.type, event: data } }));
  }
  ["ticket.created", "message.created", "ticket.assigned", "ticket.priority_changed",
   "ticket.status_changed", "ticket.closed", "ticket.overdue"].forEach(function (t) {
    es.addEventListener(t, changed);
  });
  document.addEventListener("postdesk:event", function (e) {
    if (!live) return;
    var t = e.detail.event.data.ticket;
    live.textContent = e.detail.type.replace("ticket.", "").replace("_", " ") + (t ? ": #" + t.number + " " + t.subject : "");
    live.hidden = false;
  });
})();
