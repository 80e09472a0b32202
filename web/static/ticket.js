// The ticket page: keyboard shortcuts, its help overlay, and the notice
// that the ticket changed (from the event stream app.js relays), which
// never reloads by itself so that a half-written answer is not lost.
"use strict";
(function () {
  var page = document.getElementById("ticket");
  if (!page) return;
  var number = Number(page.dataset.ticket);
  var help = document.getElementById("ticket-help");
  var notice = document.getElementById("ticket-live");

  document.addEventListener("postdesk:event", function (e) {
    var t = e.detail && e.detail.event && e.detail.event.data && e.detail.event.data.ticket;
    if (t && t.number === number && notice) notice.hidden = false;
  });

  function focus(id) {
    var el = document.getElementById(id);
    if (!el) return;
    el.scrollIntoView({ block: "center" });
    el.focus();
  }
  function click(id) {
    var el = document.getElementById(id);
    if (el) el.click();
  }
  var keys = {
    r: function () { focus("answer-text"); },
    n: function () { focus("note-text"); },
    a: function () { focus("assign-to"); },
    p: function () { focus("priority"); },
    t: function () { focus("tag-add"); },
    s: function () { focus("snooze-1h"); },
    c: function () { focus("close-resolved"); },
    o: function () { click("order-toggle"); },
    u: function () { click("to-inbox"); },
    "?": function () { if (help) help.hidden = !help.hidden; }
  };

  document.addEventListener("keydown", function (e) {
    var el = e.target;
    var typing = el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT" || el.isContentEditable);
    if (e.key === "Escape") {
      if (help && !help.hidden) { help.hidden = true; return; }
      if (typing) el.blur();
      return;
    }
    if (typing) {
      // Ctrl+Enter (or Cmd+Enter) sends the answer or note being written.
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && el.tagName === "TEXTAREA" && el.form) {
        e.preventDefault();
        el.form.requestSubmit();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var fn = keys[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  });
  if (help) help.addEventListener("click", function (e) { if (e.target === help) help.hidden = true; });
})();
