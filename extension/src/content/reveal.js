// Opening the collapsed section a highlighted clause sits in: a closed <details>, an accordion
// panel or a tab panel. The section's own control is used first (its button, its tab), so the
// page stays in a state it knows; only when there is none is the panel shown directly. When the
// clause still cannot be seen, `where` names the nearest heading so the popup can say where it is.
(function (root) {
  "use strict";
  if (root.cwReveal) return;

  const HEADINGS = "h1, h2, h3, h4, h5, h6, summary, [role='heading']";
  // Site chrome and dialogs: text hidden there is not part of the document the user reads.
  const NOT_CONTENT = "nav, header, footer, dialog:not([open]), [role='dialog'], [role='alertdialog'], [aria-modal='true']";

  function style(el) {
    return root.getComputedStyle(el);
  }

  // Does this element itself hide its content?
  function hides(el) {
    if (el.tagName === "DETAILS" && !el.open) return true;
    if (el.hidden) return true;
    const s = style(el);
    if (s.display === "none" || s.visibility === "hidden") return true;
    // CSS accordions collapse with height 0 (or max-height 0) and overflow hidden.
    return (s.overflow === "hidden" || s.overflowY === "hidden") && el.getBoundingClientRect().height < 1 &&
      el.textContent.trim() !== "";
  }

  function hidingAncestors(node) {
    const out = [];
    for (let e = node instanceof Element ? node : node.parentElement; e && e !== document.body; e = e.parentElement) {
      if (hides(e)) out.push(e);
    }
    return out.reverse(); // outermost first: an inner panel cannot show inside a closed outer one
  }

  // Text hidden in a collapsible section is one click away, so it is worth highlighting; text hidden
  // in menus and dialogs is not.
  function canReveal(el) {
    return !el.closest(NOT_CONTENT);
  }

  function attrSelector(name, value) {
    return `[${name}~="${CSS.escape(value)}"]`;
  }

  // The control that opens `panel`: aria-controls, a tab that labels it, a Bootstrap-style target,
  // or the expandable button just before it.
  function controllerOf(panel) {
    if (panel.id) {
      const byAria = document.querySelector(attrSelector("aria-controls", panel.id));
      if (byAria) return byAria;
      const byTarget = document.querySelector(`[data-bs-target="#${CSS.escape(panel.id)}"], [data-target="#${CSS.escape(panel.id)}"], a[href="#${CSS.escape(panel.id)}"]`);
      if (byTarget) return byTarget;
    }
    const labelledBy = panel.getAttribute("aria-labelledby");
    if (labelledBy) {
      const label = document.getElementById(labelledBy.split(/\s+/)[0]);
      if (label && (label.matches("[role='tab'], button, [aria-expanded]"))) return label;
    }
    const before = panel.previousElementSibling;
    if (before && before.matches("button, [role='button'], [aria-expanded], [role='tab']")) return before;
    const inside = before?.querySelector?.("button[aria-expanded], [role='button'][aria-expanded]");
    return inside ?? null;
  }

  function isOpenControl(control) {
    return control.getAttribute("aria-expanded") === "true" || control.getAttribute("aria-selected") === "true";
  }

  function open(el) {
    if (el.tagName === "DETAILS") {
      el.open = true;
      return;
    }
    const control = controllerOf(el);
    if (control && !isOpenControl(control)) control.click();
    if (!hides(el)) return;
    // No control, or it did not open the panel: show the panel itself.
    if (el.hidden) el.hidden = false;
    const s = style(el);
    if (s.display === "none") el.style.setProperty("display", "block", "important");
    if (s.visibility === "hidden") el.style.setProperty("visibility", "visible", "important");
    if (el.getBoundingClientRect().height < 1) {
      el.style.setProperty("max-height", "none", "important");
      el.style.setProperty("height", "auto", "important");
    }
  }

  function visible(node) {
    if (node.checkVisibility && !node.checkVisibility({ visibilityProperty: true })) return false;
    return node.getClientRects().length > 0 && hidingAncestors(node).length === 0;
  }

  // Open every section that hides `node`, outermost first; true when it can now be seen.
  function reveal(node) {
    for (let tries = 0; tries < 12; tries += 1) {
      const [outer] = hidingAncestors(node);
      if (!outer) break;
      open(outer);
      if (hides(outer)) break; // it refused to open: give up rather than loop
    }
    return visible(node);
  }

  // The heading nearest before `node`, for "it is under ‘Data retention’".
  function where(node) {
    let best = null;
    for (const h of document.querySelectorAll(HEADINGS)) {
      if (h.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING || h.contains(node)) best = h;
    }
    const text = best?.textContent.replace(/\s+/g, " ").trim() ?? "";
    return text ? text.slice(0, 120) : null;
  }

  root.cwReveal = { reveal, where, canReveal, visible };
})(globalThis);
