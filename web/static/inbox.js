// The inbox page: keyboard selection of rows, filters applied as they
// change, and the list kept live from the event stream (app.js dispatches
// "postdesk:event" for each change to the page's property).
"use strict";
(function () {
  var section = document.getElementById("inbox");
  if (!section) return;
  var pd = window.postdesk || { shortcut: function () {} };
  var selected = 0; // the selected ticket's number, 0: none
  var news = document.getElementById("inbox-news");
  var changes = 0;
  var timer = 0;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#inbox-list tr.ticket")); }
  function mark() {
    rows().forEach(function (r) {
      var on = Number(r.dataset.number) === selected;
      r.classList.toggle("selected", on);
      if (on) r.setAttribute("aria-selected", "true"); else r.removeAttribute("aria-selected");
    });
  }
  function move(by) {
    var rs = rows();
    if (!rs.length) return;
    var i = rs.findIndex(function (r) { return Number(r.dataset.number) === selected; });
    i = i < 0 ? (by > 0 ? 0 : rs.length - 1) : Math.min(rs.length - 1, Math.max(0, i + by));
    selected = Number(rs[i].dataset.number);
    mark();
    rs[i].scrollIntoView({ block: "nearest" });
  }
  function open() {
    var r = rows().find(function (r) { return Number(r.dataset.number) === selected; });
    if (r) location.href = r.dataset.href;
  }
  pd.shortcut("j", "Select the next ticket", function () { move(1); });
  pd.shortcut("k", "Select the previous ticket", function () { move(-1); });
  pd.shortcut("Enter", "Open the selected ticket", open);
  pd.shortcut("o", "Open the selected ticket", open);
  pd.shortcut("/", "Search", function () { var q = document.getElementById("inbox-q"); q.focus(); q.select(); });

  // A click anywhere on a row (a card on a phone) opens its ticket.
  section.addEventListener("click", function (e) {
    var r = e.target.closest("tr.ticket");
    if (r && !e.target.closest("a")) location.href = r.dataset.href;
  });
  // Filters apply as soon as they change.
  var form = section.querySelector("form.filters");
  form.addEventListener("change", function (e) {
    if (e.target.name !== "q") form.submit();
  });

  // Live: the list is fetched again (the same URL, the list alone) and
  // swapped in one step, keeping the selection and the scroll position.
  // While the member reads (scrolled down, a ticket selected, a later
  // page, the search field in use) a bar offers the changes instead.
  function reading() {
    return window.scrollY > 40 || selected !== 0 || /[?&]cursor=/.test(location.search) ||
      document.activeElement === document.getElementById("inbox-q");
  }
  function refresh() {
    fetch(location.href, { headers: { "X-Fragment": "inbox" }, credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        var t = document.createElement("template");
        t.innerHTML = html;
        var fresh = t.content.getElementById("inbox-list");
        var old = document.getElementById("inbox-list");
        if (!fresh || !old) return;
        var y = window.scrollY;
        old.replaceWith(fresh);
        window.scrollTo(0, y);
        mark();
        changes = 0;
        news.hidden = true;
      })
      .catch(function () { /* the next event tries again */ });
  }
  news.querySelector("button").addEventListener("click", refresh);
  document.addEventListener("postdesk:event", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!reading()) { refresh(); return; }
      changes++;
      news.querySelector("button").textContent = changes + (changes === 1 ? " change" : " changes") + " — show";
      news.hidden = false;
    }, 250);
  });
})();
