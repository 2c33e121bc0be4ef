// JobForge dashboard: small enhancements over pages that work without JavaScript.
// Copy buttons: a button with data-copy-target="ID" copies the text of element ID.
"use strict";

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  // Older browsers and plain-HTTP hosts: copy a selection instead.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

function enableCopyButtons() {
  for (const button of document.querySelectorAll("button[data-copy-target]")) {
    const source = document.getElementById(button.dataset.copyTarget);
    if (!source) {
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      copyText(source.textContent.trim()).then(
        () => { button.textContent = "Copied"; button.dataset.copied = "true"; },
        () => { button.textContent = "Select and copy by hand"; },
      );
    });
  }
}

function enableAutosubmit() {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  enableCopyButtons();
  enableAutosubmit();
});
