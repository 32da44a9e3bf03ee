// Wrapping located clauses in <mark> elements, and unwrapping them. A clause may cross several
// text nodes and inline elements, so one finding may own several marks (a "group").
(function (root) {
  "use strict";
  if (root.cwMarks) return;
  const { buildIndex, locate, locateWithin, pieces, splitAtMatch } = root.cwAnchor;

  const SKIP_TAGS = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEXTAREA", "TEMPLATE", "SELECT", "OPTION",
    "IFRAME", "OBJECT", "SVG", "CANVAS", "HEAD", "TITLE", "INPUT", "BUTTON"]);
  const RANK = { critical: 0, high: 1, medium: 2, low: 3, protection: 4 };

  let groups = []; // [{ id, findings, marks, tone }]
  const byFinding = new Map(); // finding id -> group

  // Text the reader can see or open: skip code-ish elements and our own tooltip. Text folded in a
  // collapsed section (<details>, accordion, tab panel) is one click away, so it is kept and
  // scrolling to it opens the section (reveal.js); text hidden in menus and dialogs is not kept, and
  // such a finding is reported as not found instead.
  const { canReveal } = root.cwReveal;
  function textNodes() {
    const visible = new Map();
    const isVisible = (el) => {
      if (!visible.has(el)) {
        let v = true;
        if (SKIP_TAGS.has(el.tagName.toUpperCase()) || el.closest(".cw-tooltip")) v = false;
        else if (el.checkVisibility && !el.checkVisibility()) v = canReveal(el);
        visible.set(el, v);
      }
      return visible.get(el);
    };
    const walker = document.createTreeWalker(document.body ?? document.documentElement, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.data.trim() && n.parentElement && isVisible(n.parentElement)
        ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT),
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  function worstTone(findings) {
    return findings.map((f) => f.tone).sort((a, b) => (RANK[a] ?? 9) - (RANK[b] ?? 9))[0] ?? "low";
  }

  function wrap(node, from, to, group, strong) {
    const middle = from > 0 ? node.splitText(from) : node;
    if (to - from < middle.length) middle.splitText(to - from);
    const mark = document.createElement("mark");
    mark.className = strong ? "cw-mark cw-match" : "cw-mark";
    mark.dataset.cwGroup = String(group.id);
    middle.parentNode.insertBefore(mark, middle);
    mark.appendChild(middle);
    return mark;
  }

  // findings (in document order) -> { found: [ids], missing: [ids] }
  function highlight(findings) {
    clear();
    const nodes = textNodes();
    const texts = nodes.map((n) => n.data);
    const index = buildIndex(texts);
    const found = [];
    const missing = [];
    const located = []; // { range, match, group }
    let from = 0;
    for (const f of findings) {
      const range = locate(index, f.quote ?? "", from);
      if (!range) {
        missing.push(f.id);
        continue;
      }
      found.push(f.id);
      // Several findings on one clause share its marks; an overlapping one joins the earlier group.
      const same = located.find((l) => range.start < l.range.end && l.range.start < range.end);
      if (same) {
        same.group.findings.push(f);
        byFinding.set(f.id, same.group);
        continue;
      }
      const group = { id: groups.length, findings: [f], marks: [], tone: "low" };
      groups.push(group);
      byFinding.set(f.id, group);
      located.push({ range, match: locateWithin(index, f.match, range), group });
      from = range.end;
    }
    // All positions are computed before the DOM changes; then each node is cut from its end
    // backwards, so the offsets still to be used stay valid.
    const cuts = [];
    for (const { range, match, group } of located) {
      group.tone = worstTone(group.findings);
      const list = pieces(index, range.start, range.end, { group, strong: false }, texts);
      cuts.push(...(match ? splitAtMatch(list, index, match.start, match.end) : list));
    }
    cuts.sort((a, b) => a.node - b.node || b.from - a.from);
    for (const c of cuts) {
      if (c.to <= c.from) continue;
      c.group.marks.push(wrap(nodes[c.node], c.from, c.to, c.group, c.strong));
    }
    for (const group of groups) {
      group.marks.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
      for (const m of group.marks) m.dataset.cwTone = group.tone;
      // One tab stop per clause, on its first piece.
      if (group.marks[0]) {
        group.marks[0].tabIndex = 0;
        group.marks[0].dataset.cwFindings = group.findings.map((f) => f.id).join(" ");
      }
    }
    return { found, missing };
  }

  function clear() {
    const parents = new Set();
    for (const group of groups) {
      for (const mark of group.marks) {
        if (!mark.parentNode) continue;
        parents.add(mark.parentNode);
        mark.replaceWith(...mark.childNodes);
      }
    }
    for (const p of parents) p.normalize();
    groups = [];
    byFinding.clear();
  }

  function groupOf(mark) {
    return groups[Number(mark?.dataset?.cwGroup)] ?? null;
  }

  root.cwMarks = { highlight, clear, groupOf, groupForFinding: (id) => byFinding.get(id) ?? null,
    count: () => groups.length };
})(globalThis);
