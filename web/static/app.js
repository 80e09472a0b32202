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

// Keyboard shortcuts: a registry each page's script adds to with
// window.postdesk.shortcut(keys, help, fn) (keys: "j", or a sequence such
// as "g i"), and a help overlay listing them on "?". Keys typed into a
// field are the field's.
(function () {
  var list = [];
  var pending = "";
  var timer = 0;
  var overlay = null;
  var pd = window.postdesk = window.postdesk || {};
  pd.shortcut = function (keys, help, fn) { list.push({ keys: keys, help: help, fn: fn }); };
  function typing(el) {
    if (!el || !el.tagName) return false;
    var t = el.tagName.toLowerCase();
    return t === "input" || t === "textarea" || t === "select" || el.isContentEditable;
  }
  function help() {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "shortcuts";
      overlay.className = "shortcuts";
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-label", "Keyboard shortcuts");
      overlay.hidden = true;
      overlay.addEventListener("click", function (e) { if (e.target === overlay) overlay.hidden = true; });
      document.body.appendChild(overlay);
    }
    var box = document.createElement("div");
    box.className = "shortcuts-box";
    var h = document.createElement("h2");
    h.textContent = "Keyboard shortcuts";
    var dl = document.createElement("dl");
    list.forEach(function (s) {
      var dt = document.createElement("dt");
      s.keys.split(" ").forEach(function (k, i) {
        if (i > 0) dt.appendChild(document.createTextNode(" then "));
        var kbd = document.createElement("kbd");
        kbd.textContent = k;
        dt.appendChild(kbd);
      });
      var dd = document.createElement("dd");
      dd.textContent = s.help;
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.appendChild(h);
    box.appendChild(dl);
    overlay.replaceChildren(box);
    overlay.hidden = !overlay.hidden;
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && overlay && !overlay.hidden) { overlay.hidden = true; return; }
    if (typing(e.target)) return;
    var key = pending ? pending + " " + e.key : e.key;
    pending = "";
    clearTimeout(timer);
    for (var i = 0; i < list.length; i++) {
      if (list[i].keys === key) { e.preventDefault(); list[i].fn(e); return; }
    }
    if (list.some(function (s) { return s.keys.indexOf(key + " ") === 0; })) {
      pending = key;
      timer = setTimeout(function () { pending = ""; }, 1500);
    }
  });
  pd.shortcut("?", "Show or hide this help", help);
  var prop = document.body.dataset.prop;
  if (prop) pd.shortcut("g i", "Go to the inbox", function () { location.href = "/p/" + prop + "/"; });
})();
