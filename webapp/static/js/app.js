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
    const focusWasInside = dialog.contains(document.activeElement);
    const wrongField = firstWrongFieldBeside(dialog); // a problems popup: see "Forms" below
    dialog.remove();
    if (wrongField) {
      wrongField.focus();
      return;
    }
    // The browser itself gives focus back when a modal dialog closes, before this "close"
    // event runs; by now the person may have moved on (Shift+Tab, typing), so leave focus
    // alone unless it is lost. It is lost when htmx swapped the opener out (a form
    // re-rendered with its errors): focus its replacement, which carries the same id.
    const active = document.activeElement;
    if (!focusWasInside && active && active !== document.body) return;
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

  // The controls Tab can reach inside an element, in order.
  function tabbable(root) {
    const selector = "a[href], button, input, select, textarea, [tabindex]";
    return Array.from(root.querySelectorAll(selector)).filter((element) =>
      !element.disabled && element.tabIndex >= 0 && element.type !== "hidden"
      && element.getClientRects().length > 0);
  }

  // A modal dialog keeps Tab inside: past its last control Tab goes to the first, and
  // Shift+Tab before the first goes to the last. (A native <dialog> lets focus leave the
  // page for the browser's own toolbar instead.)
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) return;
    const modal = Array.from(document.querySelectorAll("dialog[open]"))
      .filter((dialog) => dialog.matches(":modal")).pop();
    if (!modal) return;
    const controls = tabbable(modal);
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    const inside = modal.contains(document.activeElement);
    if (event.shiftKey && (!inside || document.activeElement === first)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
      event.preventDefault();
      first.focus();
    }
  });

  // A swap that replaces the focused control (a row's Edit, Save or Cancel; a deleted row's
  // trash button) would drop focus to the top of the page. Keep keyboard users where they
  // were: on the row now at the same place (its first field when editing, else its "Edit"),
  // or else on the first control of what was swapped in.
  let lostFocus = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const active = document.activeElement;
    const target = event.detail.target;
    lostFocus = null;
    if (!active || active === document.body || !target || !target.contains(active)) return;
    const row = active.closest("tbody > tr");
    lostFocus = {
      target: target,
      tbody: row ? row.parentElement : null,
      rowIndex: row ? row.sectionRowIndex : -1,
    };
  });
  document.addEventListener("htmx:afterSettle", () => {
    const lost = lostFocus;
    lostFocus = null;
    if (!lost || (document.activeElement && document.activeElement !== document.body)) return;
    let place = lost.target.isConnected ? lost.target : null;
    if (lost.tbody) {
      const tbody = lost.tbody.isConnected ? lost.tbody
        : lost.tbody.id && document.getElementById(lost.tbody.id);
      if (tbody && tbody.rows.length) {
        place = tbody.rows[Math.min(lost.rowIndex, tbody.rows.length - 1)];
      }
    }
    const control = place && (place.querySelector("[autofocus]") || tabbable(place)[0]);
    if (control) control.focus();
  });

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

  // A failed request always says so; the server's own toast (HX-Trigger) comes first. The
  // words are the page's, in its language (data-text-* on <body>, see base.html).
  const pageText = (name) => document.body.dataset[name] || "";
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Trigger") || xhr.getResponseHeader("HX-Redirect")) return;
    showToast(pageText("textRequestFailed").replace("{status}", xhr.status), "error");
  });
  document.addEventListener("htmx:sendError", () => {
    showToast(pageText("textUnreachable"), "error");
  });

  // --- Forms: errors beside their fields, typed passwords kept, hints that follow a choice ---
  // A form that comes back with errors (422) marks each wrong field aria-invalid with its
  // message under it, and lists the problems in a popup (class popup-error) when there are
  // any besides missing fields.

  // A form's fields include those outside it that name it (form="…", as in a table row).
  function firstWrongField(form) {
    return Array.from(form.elements).find((field) =>
      field.getAttribute("aria-invalid") === "true" && !field.disabled
      && field.getClientRects().length > 0) || null;
  }

  // When a problems popup inside a form closes, the person goes on at the first field it was
  // about. Null for any other dialog, and when no field is at fault (a rule such as "an
  // account keeps an Admin"): then focus goes back as for any dialog.
  function firstWrongFieldBeside(dialog) {
    if (!dialog.classList.contains("popup-error") || !dialog.parentElement) return null;
    const form = dialog.parentElement.closest("form");
    return form ? firstWrongField(form) : null;
  }

  // Without a popup (only required fields missing) the first wrong field gets focus at once.
  document.addEventListener("htmx:afterSettle", (event) => {
    const swapped = event.target;
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 422 || !swapped.querySelector) return;
    if (swapped.querySelector("dialog[data-modal]")) return; // focus follows its closing
    for (const form of findAll(swapped, "form")) {
      const field = firstWrongField(form);
      if (field) {
        field.focus();
        return;
      }
    }
  });

  // Typed passwords stay in a form that comes back with its errors, though the server never
  // sends a password back: remembered here as htmx swaps the form out, put into the same
  // fields (same form id and name) of the form swapped in, and forgotten at once. Closing
  // the dialog removes the form, and them with it.
  let typedPasswords = [];
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    typedPasswords = [];
    if (event.detail.xhr.status !== 422 || !target || !target.querySelectorAll) return;
    typedPasswords = Array.from(target.querySelectorAll('input[type="password"]'))
      .filter((input) => input.value && input.form && input.form.id)
      .map((input) => ({ form: input.form.id, name: input.name, value: input.value }));
  });
  document.addEventListener("htmx:afterSwap", () => {
    for (const typed of typedPasswords) {
      const form = document.getElementById(typed.form);
      const input = form && form.elements.namedItem(typed.name);
      if (input && input.type === "password" && !input.value) input.value = typed.value;
    }
    typedPasswords = [];
  });
  document.addEventListener("htmx:afterRequest", () => { typedPasswords = []; });

  // A hint shown only while another field has certain values (Division: "Required for
  // Agents and Supervisors." once Role is one of them). The markup names that field and the
  // values (data-hint-when, data-hint-when-values); the server renders the first state.
  function showHintsFor(control) {
    if (!control.id) return;
    for (const hint of document.querySelectorAll("[data-hint-when]")) {
      if (hint.dataset.hintWhen !== control.id) continue;
      const shown = JSON.parse(hint.dataset.hintWhenValues).includes(control.value);
      hint.hidden = !shown;
      const field = document.getElementById(hint.dataset.hintFor);
      if (field) describeBy(field, hint.id, shown);
    }
  }

  // Add or remove one id in a field's aria-describedby, keeping the others and their order.
  function describeBy(field, id, on) {
    const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/)
      .filter((each) => each && each !== id);
    if (on) ids.push(id);
    if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
    else field.removeAttribute("aria-describedby");
  }

  document.addEventListener("change", (event) => showHintsFor(event.target));
  // --- end of Forms ---

  document.addEventListener("DOMContentLoaded", () => {
    fadeFlashedToasts();
    openDialogs(document.body);
    htmx.onLoad(openDialogs);
  });
})();

// --- Time zone: the browser's, remembered on the user's profile ---
// While the logged-in user's time zone is not known, base.html puts the address to report it
// to on <body> (data-report-time-zone); once stored, pages no longer carry it. The report
// goes with the CSRF header htmx sends (<body hx-headers>) and survives leaving the page
// (keepalive). A zone the server does not know (422) is not sent again from this tab.
// Nothing is shown either way: until a zone is known, times simply stay in UTC.
(function () {
  "use strict";

  const REFUSED = "time-zone-refused";

  function browserTimeZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (error) {
      return {};
    }
  }

  function reportTimeZone() {
    const address = document.body.dataset.reportTimeZone;
    const zone = browserTimeZone();
    if (!address || !zone || sessionStorage.getItem(REFUSED) === zone) return;
    fetch(address, {
      method: "POST",
      headers: csrfHeaders(),
      body: new URLSearchParams({ time_zone: zone }),
      credentials: "same-origin",
      keepalive: true,
    }).then((response) => {
      if (response.status === 422) sessionStorage.setItem(REFUSED, zone);
    }).catch(() => {});
  }

  document.addEventListener("DOMContentLoaded", reportTimeZone);
})();
// --- end of Time zone ---

// --- Users list: a list that is loading says so, unsaved row edits are not lost silently,
// Escape cancels a row edit, and the rows' links, labels and hovers come from here. The
// words come from the page (data-unsaved-warning on a row being edited or on a form).
(function () {
  "use strict";

  // aria-busy follows htmx's own request class on a region marked data-busy-while-loading,
  // so screen readers wait for the new list too (and Pico draws its spinner).
  const busyWatch = new MutationObserver((changes) => {
    for (const change of changes) {
      const region = change.target;
      if (region.classList.contains("htmx-request")) region.setAttribute("aria-busy", "true");
      else region.removeAttribute("aria-busy");
    }
  });
  function watchBusyRegions(root) {
    const regions = root.querySelectorAll ? root.querySelectorAll("[data-busy-while-loading]") : [];
    for (const region of regions) {
      busyWatch.observe(region, { attributes: true, attributeFilter: ["class"] });
    }
  }

  // A row being edited, or a form marked data-unsaved-warning (Create User, Profile), has
  // unsaved changes when a field differs from what it came with, or when it came back
  // unsaved itself (data-unsaved: a refused or conflicting Save).
  function fieldChanged(field) {
    if (field.type === "hidden" || field.disabled) return false;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      const initial = Array.from(field.options).find((option) => option.defaultSelected)
        || field.options[0];
      return field.value !== (initial ? initial.value : "");
    }
    return field.value !== field.defaultValue;
  }

  function hasUnsavedChanges(edited) {
    return edited.hasAttribute("data-unsaved")
      || Array.from(edited.querySelectorAll("input, select, textarea")).some(fieldChanged);
  }

  function unsavedEdits(root) {
    return findAll(root, "[data-unsaved-warning]").filter(hasUnsavedChanges);
  }

  function findAll(root, selector) {
    const found = root.matches && root.matches(selector) ? [root] : [];
    return found.concat(Array.from(root.querySelectorAll(selector)));
  }

  function mayLeave(rows) {
    return !rows.length || window.confirm(rows.map((row) => row.dataset.unsavedWarning).join("\n"));
  }

  // A request that would swap out a row with unsaved changes (a search, a filter, a sort, a
  // page, the refresh after another user was created or deleted) asks first; the row's own
  // Save and Cancel do not.
  document.addEventListener("htmx:confirm", (event) => {
    const target = event.detail.target;
    const from = event.detail.elt;
    if (!target || !target.querySelectorAll) return;
    const losing = unsavedEdits(target).filter((row) => !row.contains(from));
    if (!losing.length) return;
    event.preventDefault();
    if (mayLeave(losing)) event.detail.issueRequest(true);
  });

  // Leaving the page (reload, a link, Logout): the browser asks, in its own words.
  window.addEventListener("beforeunload", (event) => {
    if (!unsavedEdits(document).length) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Back and Forward: htmx would fetch the earlier page in place of this one (its own
  // window.onpopstate, which this capturing listener runs before). Staying puts the
  // address back to the page still shown.
  let shownAddress = location.href;
  for (const name of ["htmx:pushedIntoHistory", "htmx:replacedInHistory", "htmx:historyRestore"]) {
    document.addEventListener(name, () => { shownAddress = location.href; });
  }
  window.addEventListener("popstate", (event) => {
    if (mayLeave(unsavedEdits(document))) {
      shownAddress = location.href;
      return;
    }
    event.stopImmediatePropagation();
    history.pushState({ htmx: true }, "", shownAddress);
  }, true);

  // hx-disabled-elt disables the clicked button while its request is on its way, and a
  // disabled button loses focus to the page itself. Keep it on the button's row instead, so
  // the focus keeping above finds it inside what is swapped and puts it on the row that
  // comes back (a keyboard user's Save lands on the row's "Edit").
  document.addEventListener("focusout", (event) => {
    const control = event.target;
    if (event.relatedTarget || !control.closest || !control.hasAttribute("data-disabled-by-htmx")) return;
    const row = control.closest("tr");
    if (!row) return;
    row.tabIndex = -1;
    row.focus({ preventScroll: true });
  });

  // Escape cancels the row edit it is pressed in, as it closes a dialog (asking first when a
  // field changed); a dialog's own Escape stays the dialog's.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || !event.target.closest) return;
    if (event.target.closest("dialog")) return;
    const row = event.target.closest("tr.editing");
    const cancel = row && row.querySelector("[data-cancel-edit]");
    if (!cancel) return;
    event.preventDefault();
    if (mayLeave(unsavedEdits(row))) cancel.click();
  });

  // A dialog holding a form with unsaved changes (Create User) asks before Escape or its
  // "Cancel" closes it, as a row edit does. Escape is caught on its way in (capturing),
  // since Chromium lets a page refuse a dialog's own "cancel" only once per user action;
  // the "cancel" listener covers the other ways the browser closes a dialog.
  function topmostModal() {
    return Array.from(document.querySelectorAll("dialog[open]"))
      .filter((dialog) => dialog.matches(":modal")).pop() || null;
  }

  function mayCloseDialog(dialog) {
    return mayLeave(unsavedEdits(dialog));
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const dialog = topmostModal();
    if (!dialog || !unsavedEdits(dialog).length) return;
    event.preventDefault();
    if (mayCloseDialog(dialog)) dialog.close();
  }, true);
  document.addEventListener("cancel", (event) => {
    const dialog = event.target;
    if (!dialog.matches || !dialog.matches("dialog") || mayCloseDialog(dialog)) return;
    event.preventDefault();
  }, true);
  document.addEventListener("click", (event) => {
    const closer = event.target.closest ? event.target.closest("[data-close-dialog]") : null;
    const dialog = closer && closer.closest("dialog[open]");
    if (!dialog || mayCloseDialog(dialog)) return;
    event.stopImmediatePropagation(); // the shared handler above would close it
  }, true);

  // A page of 25 rows stays small (issue 15: under 10 KB) by leaving out of each row what
  // every row would repeat; it is put back here, once the rows are in.
  //
  // A display row's links ("Edit", the trash button) are plain links, which without
  // JavaScript open pages of their own. A plain click sends them through htmx instead, which
  // swaps the answer where the list's <tbody data-row-links> says (the row itself), or where
  // the answer says (a dialog: HX-Retarget); the unsaved-edit check above still runs.
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("[data-row-links] > tr:not(.editing) > td > a[href]") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    // Shown busy as hx-disabled-elt shows a control (app.css), until its answer is in.
    link.setAttribute("data-disabled-by-htmx", "");
    htmx.ajax("GET", link.getAttribute("href"), { source: link })
      .finally(() => link.removeAttribute("data-disabled-by-htmx"));
  });

  // Where the rows become cards (phone width) the headings are hidden: each cell is labelled
  // with its column's heading (data-label, which app.css shows), in the page's language.
  function labelCells(root) {
    const tables = root.closest && root.closest(".users-table") ? [root.closest(".users-table")]
      : Array.from(root.querySelectorAll ? root.querySelectorAll(".users-table") : []);
    for (const table of tables) {
      const headings = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
      for (const row of table.tBodies[0] ? table.tBodies[0].rows : []) {
        Array.from(row.cells).forEach((cell, index) => {
          if (!cell.hasAttribute("data-label") && headings[index]) cell.dataset.label = headings[index];
        });
      }
    }
  }

  // A value cut short in its cell (a long name, a division) shows whole on hover.
  document.addEventListener("mouseover", (event) => {
    const cell = event.target.closest ? event.target.closest(".users-table td") : null;
    if (cell && !cell.title && cell.scrollWidth > cell.clientWidth) cell.title = cell.textContent.trim();
  });

  // "Sort by" (in the search form, where the headings are gone) says how the list is sorted,
  // also after a heading was clicked: the list tells (data-sort on its count).
  function showSort(root) {
    const sorted = root.querySelector ? root.querySelector("[data-sort]") : null;
    const choice = document.getElementById("users-sort");
    if (sorted && choice) choice.value = sorted.dataset.sort;
  }

  document.addEventListener("DOMContentLoaded", () => {
    watchBusyRegions(document);
    labelCells(document);
    htmx.onLoad((root) => {
      watchBusyRegions(root);
      labelCells(root);
      showSort(root);
    });
  });
})();
// --- end of Users list ---

// --- Copy: a read-only field shown once (a new API token) and its "Copy" button ---
// The button names its field (data-copy-from) and carries its words (data-text-copied,
// data-text-copy-failed); it is hidden in the markup, since without JavaScript it could do
// nothing, and shown here. The field selects its whole value when it gets focus, so that
// the keyboard's own copy works too.
(function () {
  "use strict";

  function showCopyButtons(root) {
    const buttons = root.querySelectorAll ? root.querySelectorAll("button[data-copy-from]") : [];
    for (const button of buttons) button.hidden = false;
  }

  function say(message, level) {
    document.dispatchEvent(new CustomEvent("toast", { detail: { message: message, level: level } }));
  }

  // The Clipboard API, else the older copy command on the selected field.
  function copy(field) {
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value).then(() => true, () => document.execCommand("copy"));
    }
    return Promise.resolve(document.execCommand("copy"));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest ? event.target.closest("button[data-copy-from]") : null;
    const field = button && document.getElementById(button.dataset.copyFrom);
    if (!field) return;
    copy(field).then((copied) => {
      if (copied) say(button.dataset.textCopied, "success");
      else say(button.dataset.textCopyFailed, "error");
    });
  });

  document.addEventListener("focusin", (event) => {
    const field = event.target;
    if (field.matches && field.matches("input[data-select-on-focus]")) field.select();
  });

  document.addEventListener("DOMContentLoaded", () => {
    showCopyButtons(document);
    htmx.onLoad(showCopyButtons);
  });
})();
// --- end of Copy ---
