// The hover/focus card for a highlighted clause: category, severity and the plain-language
// explanation. One element for the page, built with createElement and textContent only.
(function (root) {
  "use strict";
  if (root.cwTooltip) return;

  const ID = "clausewatch-tooltip";
  let card = null;
  let anchor = null;

  function el(tag, className, text) {
    const e = document.createElement(tag);
    e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function ensure() {
    if (card && card.isConnected) return card;
    card = el("div", "cw-tooltip");
    card.id = ID;
    card.setAttribute("role", "tooltip");
    card.hidden = true;
    document.documentElement.appendChild(card);
    return card;
  }

  function fill(findings) {
    card.replaceChildren();
    for (const f of findings) {
      const row = el("div", "cw-tt-item");
      const head = el("div", "cw-tt-head");
      const chip = el("span", "cw-tt-chip", f.toneLabel);
      chip.dataset.cwTone = f.tone;
      head.append(chip, el("span", "cw-tt-cat", f.label));
      row.append(head);
      if (f.title && f.title !== f.label) row.append(el("div", "cw-tt-title", f.title));
      if (f.explanation) row.append(el("div", "cw-tt-text", f.explanation));
      card.append(row);
    }
    card.append(el("div", "cw-tt-foot", "clausewatch"));
  }

  function place() {
    if (!card || card.hidden || !anchor || !anchor.isConnected) return;
    const rects = anchor.getClientRects();
    const r = rects.length ? rects[0] : anchor.getBoundingClientRect();
    const gap = 8;
    const w = card.offsetWidth;
    const h = card.offsetHeight;
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    let top = r.bottom + gap;
    if (top + h > vh && r.top - gap - h > 0) top = r.top - gap - h;
    const left = Math.max(gap, Math.min(r.left, vw - w - gap));
    card.style.left = `${Math.round(left)}px`;
    card.style.top = `${Math.round(Math.max(gap, top))}px`;
  }

  function show(target, findings) {
    ensure();
    anchor = target;
    fill(findings);
    card.hidden = false;
    target.setAttribute("aria-describedby", ID);
    place();
  }

  function hide() {
    if (anchor) anchor.removeAttribute("aria-describedby");
    anchor = null;
    if (card) card.hidden = true;
  }

  function remove() {
    hide();
    if (card) card.remove();
    card = null;
  }

  let queued = false;
  root.addEventListener("scroll", () => {
    if (queued || !anchor) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; place(); });
  }, { passive: true, capture: true });

  root.cwTooltip = { show, hide, remove, isFor: (e) => anchor === e };
})(globalThis);
