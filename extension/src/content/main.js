// The content script's entry: answers the worker's typed messages and wires hover/focus to the
// tooltip. It never fetches and never reads storage; the worker does both.
(function (root) {
  "use strict";
  if (root.cwMain) return;
  root.cwMain = true;
  const ext = root.browser ?? root.chrome;
  const { cwMarks: marks, cwTooltip: tooltip, cwReveal: reveal } = root;
  const html = document.documentElement;
  let analysisId = null;

  function markOf(target) {
    return target instanceof Element ? target.closest("mark.cw-mark") : null;
  }

  function setActive(group, on) {
    for (const m of group?.marks ?? []) m.classList.toggle("cw-active", on);
  }

  function showFor(mark) {
    const group = marks.groupOf(mark);
    if (!group || html.classList.contains("cw-hidden")) return;
    setActive(group, true);
    tooltip.show(mark, group.findings);
  }

  function hideFor(mark) {
    setActive(marks.groupOf(mark), false);
    tooltip.hide();
  }

  document.addEventListener("mouseover", (e) => {
    const mark = markOf(e.target);
    if (mark && !mark.contains(markOf(e.relatedTarget))) showFor(mark);
  }, true);
  document.addEventListener("mouseout", (e) => {
    const mark = markOf(e.target);
    const to = markOf(e.relatedTarget);
    if (mark && (!to || marks.groupOf(to) !== marks.groupOf(mark))) hideFor(mark);
  }, true);
  document.addEventListener("focusin", (e) => { const m = markOf(e.target); if (m) showFor(m); }, true);
  document.addEventListener("focusout", (e) => { const m = markOf(e.target); if (m) hideFor(m); }, true);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") tooltip.hide(); }, true);

  function scrollTo(id) {
    const group = marks.groupForFinding(id);
    const first = group?.marks[0];
    if (!first) return { found: false };
    // A clause in a collapsed section: open it first (details, accordion, tab), then scroll.
    const shown = reveal.reveal(first);
    const reduce = root.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    first.scrollIntoView({ block: "center", inline: "nearest", behavior: reduce ? "auto" : "smooth" });
    for (const m of group.marks) {
      m.classList.remove("cw-flash");
      void m.offsetWidth; // restart the animation when the same clause is picked twice
      m.classList.add("cw-flash");
    }
    setTimeout(() => { for (const m of group.marks) m.classList.remove("cw-flash"); }, 2400);
    first.focus({ preventScroll: true });
    // Still hidden (a panel that would not open): say where it is, by its nearest heading.
    return { found: true, visible: shown, where: shown ? null : reveal.where(first) };
  }

  const HANDLERS = {
    ping: () => ({ analysisId: marks.count() ? analysisId : null }),
    // The page as the server should see it: without our marks and tooltip.
    snapshot: () => {
      marks.clear();
      tooltip.remove();
      analysisId = null;
      return {
        url: location.href,
        title: document.title,
        contentType: document.contentType, // "application/pdf" in a PDF viewer the script could enter
        html: html.outerHTML,
        text: document.body?.innerText ?? "",
      };
    },
    highlight: (msg) => {
      const result = marks.highlight(Array.isArray(msg.findings) ? msg.findings : []);
      analysisId = msg.analysisId ?? null;
      html.classList.remove("cw-hidden");
      return result;
    },
    "set-highlights": (msg) => {
      html.classList.toggle("cw-hidden", !msg.on);
      if (!msg.on) tooltip.hide();
      return { on: Boolean(msg.on) };
    },
    "scroll-to": (msg) => scrollTo(String(msg.id)),
  };

  ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
    if (sender.id !== ext.runtime.id) return false;
    const handler = Object.hasOwn(HANDLERS, msg?.type) ? HANDLERS[msg.type] : null;
    if (!handler) return false; // not ours: popup-to-worker traffic, or unknown
    try {
      sendResponse(handler(msg));
    } catch (err) {
      sendResponse({ error: String(err?.message ?? err) });
    }
    return false;
  });
})(globalThis);
