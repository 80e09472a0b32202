// The ticket page: its keyboard shortcuts (in app.js's registry, listed
// by its "?" help), Ctrl+Enter to send what is being written, and the
// notice that the ticket changed (from the event stream app.js relays),
// which never reloads by itself so that a half-written answer is kept.
"use strict";
(function () {
  var page = document.getElementById("ticket");
  if (!page) return;
  var number = Number(page.dataset.ticket);
  var notice = document.getElementById("ticket-live");

  document.addEventListener("postdesk:event", function (e) {
    var t = e.detail && e.detail.event && e.detail.event.data && e.detail.event.data.ticket;
    if (t && t.number === number && notice) notice.hidden = false;
  });

  function focus(id) {
    return function () {
      var el = document.getElementById(id);
      if (!el) return;
      el.scrollIntoView({ block: "center" });
      el.focus();
    };
  }
  function click(id) {
    return function () {
      var el = document.getElementById(id);
      if (el) el.click();
    };
  }
  var pd = window.postdesk;
  if (pd && pd.shortcut) {
    pd.shortcut("r", "Answer the customer", focus("answer-text"));
    pd.shortcut("n", "Write an internal note", focus("note-text"));
    pd.shortcut("a", "Assign the ticket", focus("assign-to"));
    pd.shortcut("p", "Set the priority", focus("priority"));
    pd.shortcut("t", "Add a tag", focus("tag-add"));
    pd.shortcut("s", "Snooze", focus("snooze-1h"));
    pd.shortcut("c", "Close as resolved (then Enter)", focus("close-resolved"));
    pd.shortcut("o", "Oldest or newest first", click("order-toggle"));
  }

  // In a field: Ctrl+Enter (Cmd+Enter) sends the answer or note being
  // written; Esc leaves the field, so that the shortcuts work again.
  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (!el || (el.tagName !== "TEXTAREA" && el.tagName !== "INPUT" && el.tagName !== "SELECT")) return;
    if (e.key === "Escape") { el.blur(); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && el.tagName === "TEXTAREA" && el.form) {
      e.preventDefault();
      el.form.requestSubmit();
    }
  });
})();
