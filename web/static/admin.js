// The admin pages' copy buttons: a button with data-copy="ID" copies the
// value of the readonly input #ID (the forwarding address, a webhook's
// secret). The clipboard API needs a secure context (https or localhost);
// elsewhere the input's text is selected for the member to copy by hand.
"use strict";

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button.copy[data-copy]");
  if (!btn) return;
  const input = document.getElementById(btn.dataset.copy);
  if (!input) return;
  input.focus();
  input.select();
  let copied = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch (err) {
      copied = false; // permission refused: the selection is the fallback
    }
  }
  if (!copied) {
    try {
      copied = document.execCommand("copy");
    } catch (err) {
      copied = false;
    }
  }
  const done = btn.parentElement.querySelector(".copy-done");
  if (done) {
    done.textContent = copied ? "Copied" : "Selected: press Ctrl+C";
    done.hidden = false;
  }
});
