// Behaviour every page shares: modal dialogs, toasts, and a visible message for any
// request that fails. Server responses drive it through markup (dialog[data-modal],
// [data-close-dialog]) and HX-Trigger events (toast, close-dialog), never per-page scripts.
(function () {
  "use strict";

  // The element that started the latest request, so focus can go back to it.
  let lastTrigger = null;
  const openerOf = new WeakMap();

  function findAll(root, selector) {
    const found = root.matches && root.matches(selector) ? [root] : [];
    return found.concat(Array.from(root.querySelectorAll ? root.querySelectorAll(selector) : []));
  }

  function openDialogs(root) {
    for (const dialog of findAll(root, "dialog[data-modal]")) {
      if (dialog.open && dialog.matches(":modal")) continue;
      if (dialog.open) dialog.close(); // rendered open for browsers without JavaScript
      const opener = lastTrigger && lastTrigger.isConnected ? lastTrigger : document.activeElement;
      openerOf.set(dialog, opener);
      dialog.addEventListener("close", () => onDialogClosed(dialog), { once: true });
      dialog.showModal();
    }
  }

  function onDialogClosed(dialog) {
    const opener = openerOf.get(dialog);
    dialog.remove();
    // htmx may have swapped the opener out (a form re-rendered with its errors): focus its
    // replacement, which carries the same id.
    const target = opener && (opener.isConnected ? opener : opener.id && document.getElementById(opener.id));
    if (target && typeof target.focus === "function") target.focus();
  }

  function closeDialog(fromElement) {
    const dialog = fromElement.closest ? fromElement.closest("dialog[open]") : null;
    const topmost = dialog || Array.from(document.querySelectorAll("dialog[open]")).pop();
    if (topmost) topmost.close();
  }

  function showToast(message, level) {
    const toast = document.createElement("div");
    toast.className = "toast toast-" + (level === "error" ? "error" : "success");
    toast.textContent = message; // text, never HTML: names in messages stay harmless
    document.getElementById("toasts").append(toast);
    setTimeout(() => toast.remove(), level === "error" ? 10000 : 5000);
  }

  function fadeFlashedToasts() {
    for (const toast of document.querySelectorAll("#toasts .toast")) {
      setTimeout(() => toast.remove(), 5000);
    }
  }

  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closeDialog(closer);
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    lastTrigger = document.activeElement && document.activeElement !== document.body
      ? document.activeElement : event.detail.elt;
  });

  document.addEventListener("toast", (event) => showToast(event.detail.message, event.detail.level));
  document.addEventListener("close-dialog", (event) => closeDialog(event.target));

  // A failed request always says so; the server's own toast (HX-Trigger) comes first.
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Trigger") || xhr.getResponseHeader("HX-Redirect")) return;
    showToast("The request failed (" + xhr.status + "). Please try again.", "error");
  });
  document.addEventListener("htmx:sendError", () => {
    showToast("The server could not be reached. Check your connection and try again.", "error");
  });

  document.addEventListener("DOMContentLoaded", () => {
    fadeFlashedToasts();
    openDialogs(document.body);
    htmx.onLoad(openDialogs);
  });
})();
