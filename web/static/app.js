// postdesk's web inbox: a little plain JavaScript, no framework, no build.
// Pages work without it; it adds keyboard shortcuts shared by the pages
// and live updates from the event stream.
"use strict";
(function () {
  var pd = window.postdesk = window.postdesk || {};

  // ---- Keyboard shortcuts ------------------------------------------------
  // A page registers its own: postdesk.shortcut("j", "Next ticket", fn).
  // A key is one character ("j", "?", "/") or two in a row separated by a
  // space ("g i"). Shortcuts sleep while the member types in a field or
  // holds Ctrl, Alt or Meta; "?" lists them, Escape closes the list.
  var shortcuts = [];
  var pending = "";  // the first key of a two-key shortcut
  var pendingTimer = 0;

  pd.shortcut = function (key, help, fn) {
    shortcuts = shortcuts.filter(function (s) { return s.key !== key; });
    shortcuts.push({ key: key, help: help, fn: fn });
  };
  pd.shortcuts = function () { return shortcuts.slice(); };
  if (document.body.dataset.prop) {
    pd.shortcut("g i", "Go to the inbox", function () { location.href = "/p/" + document.body.dataset.prop + "/"; });
  }

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  var overlay = null;
  function buildOverlay() {
    overlay = document.createElement("div");
    overlay.id = "shortcuts";
    overlay.className = "shortcuts";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-labelledby", "shortcuts-title");
    overlay.hidden = true;
    overlay.addEventListener("click", function (e) { if (e.target === overlay) hideOverlay(); });
    document.body.appendChild(overlay);
  }
  function showOverlay() {
    if (!overlay) buildOverlay();
    overlay.textContent = "";
    var box = document.createElement("div");
    box.className = "shortcuts-box";
    var h = document.createElement("h2");
    h.id = "shortcuts-title";
    h.textContent = "Keyboard shortcuts";
    box.appendChild(h);
    var dl = document.createElement("dl");
    shortcuts.concat([{ key: "?", help: "Show this list" }, { key: "Esc", help: "Close it" }]).forEach(function (s) {
      var dt = document.createElement("dt");
      s.key.split(" ").forEach(function (k, i) {
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
    box.appendChild(dl);
    overlay.appendChild(box);
    overlay.hidden = false;
  }
  function hideOverlay() { if (overlay) overlay.hidden = true; }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { hideOverlay(); pending = ""; return; }
    if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing || typing(e.target)) return;
    if (e.key === "?") { e.preventDefault(); if (overlay && !overlay.hidden) hideOverlay(); else showOverlay(); return; }
    var key = pending ? pending + " " + e.key : e.key;
    var match = null, prefix = false;
    shortcuts.forEach(function (s) {
      if (s.key === key) match = s;
      else if (s.key.indexOf(key + " ") === 0) prefix = true;
    });
    clearTimeout(pendingTimer);
    pending = "";
    if (match) {
      e.preventDefault();
      hideOverlay();
      match.fn(e);
    } else if (prefix) {
      pending = key;
      pendingTimer = setTimeout(function () { pending = ""; }, 1500);
    }
  });

  // ---- Live updates ------------------------------------------------------
  // The API's live stream accepts the session cookie on GET (webapi). The
  // browser reconnects by itself after a dropped connection, sending
  // Last-Event-ID, so no event is lost; when the server refuses (a restart
  // answering 5xx) it gives up, and we open a new stream after the last
  // event seen (?last_event_id=). While the stream is down, a discreet
  // "offline" mark shows in the header.
  var prop = document.body.dataset.prop;
  if (!prop || !window.EventSource) return;
  var live = document.getElementById("live");
  var mark = document.createElement("span");
  mark.id = "offline";
  mark.className = "offline";
  mark.textContent = "offline";
  mark.title = "The live updates are interrupted; reconnecting.";
  mark.hidden = true;
  var top = document.querySelector("header.top");
  if (top) top.appendChild(mark);

  var types = ["ticket.created", "message.created", "ticket.assigned", "ticket.priority_changed",
    "ticket.status_changed", "ticket.closed", "ticket.overdue"];
  var lastId = "";
  var delay = 1000;
  var es = null;

  function changed(ev) {
    if (ev.lastEventId) lastId = ev.lastEventId;
    var data;
    try { data = JSON.parse(ev.data); } catch (err) { return; }
    if (!data || !data.data || data.data.property !== prop) return;
    document.dispatchEvent(new CustomEvent("postdesk:event", { detail: { type: ev.type, event: data } }));
  }
  function connect() {
    es = new EventSource("/api/events" + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : ""));
    es.onopen = function () { mark.hidden = true; delay = 1000; };
    es.onerror = function () {
      mark.hidden = false;
      if (es.readyState === EventSource.CLOSED) { // the browser gave up: we do not
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
    types.forEach(function (t) { es.addEventListener(t, changed); });
  }
  pd.stream = function () { return es; };
  connect();
  window.addEventListener("offline", function () { mark.hidden = false; });

  document.addEventListener("postdesk:event", function (e) {
    if (!live) return;
    var t = e.detail.event.data.ticket;
    live.textContent = e.detail.type.replace("ticket.", "").replace("_", " ") + (t ? ": #" + t.number + " " + t.subject : "");
    live.hidden = false;
  });
})();
