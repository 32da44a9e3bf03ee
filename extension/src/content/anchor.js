// Finding a clause of the extracted text in the page's text nodes. Pure: it works on an array
// of strings (the text nodes' data) and returns positions in it, so Node can test it without a DOM.
//
// The extractor's text and the DOM text differ in whitespace (collapsed runs, newlines between
// blocks that the DOM does not have, no-break spaces), quote and dash styles, and case. So both
// sides are folded the same way and whitespace is dropped entirely; each kept character remembers
// the text node and offset it came from, which maps a match back to DOM ranges.
(function (root) {
  "use strict";
  if (root.cwAnchor) return;

  const FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\ufb01": "fi", "\ufb02": "fl",
  };
  // Whitespace and invisible characters are not indexed at all.
  const SKIP = /[\s\u00ad\u200b-\u200d\u2060\ufeff]/;

  function fold(ch) {
    const f = FOLD[ch];
    if (f) return f;
    const lower = ch.toLowerCase();
    return lower.length === 1 ? lower : ch; // keep one-to-one where lowercasing would grow
  }

  function normalise(s) {
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (!SKIP.test(ch)) out += fold(ch);
    }
    return out;
  }

  // texts: string[] -> { text, node: Int32Array, off: Int32Array }
  function buildIndex(texts) {
    let total = 0;
    for (const t of texts) total += t.length;
    const node = new Int32Array(total * 3 + 1);
    const off = new Int32Array(total * 3 + 1);
    const parts = [];
    let n = 0;
    texts.forEach((t, k) => {
      for (let i = 0; i < t.length; i++) {
        const ch = t[i];
        if (SKIP.test(ch)) continue;
        const f = fold(ch);
        parts.push(f);
        for (let j = 0; j < f.length; j++) {
          node[n] = k;
          off[n] = i;
          n++;
        }
      }
    });
    return { text: parts.join(""), node: node.subarray(0, n), off: off.subarray(0, n) };
  }

  // List bullets and numbering may be CSS (::marker) in the DOM but text in the extraction.
  const LEADER = /^(?:[-*\u2022\u00b7\u25aa\u25cf>]|\(?[0-9ivxlc]{1,4}[.)]|\(?[a-z][.)])+/;

  function findHeadTail(hay, q, from) {
    const k = Math.min(48, Math.floor(q.length / 3));
    if (k < 12) return null;
    const head = q.slice(0, k);
    const tail = q.slice(-k);
    const limit = Math.ceil(q.length * 1.25) + 24;
    for (const start of [from, 0]) {
      let s = hay.indexOf(head, start);
      while (s >= 0) {
        const e = hay.indexOf(tail, s + k);
        if (e >= 0 && e + k - s <= limit) return { start: s, end: e + k, approximate: true };
        s = hay.indexOf(head, s + 1);
      }
    }
    return null;
  }

  // Where `quote` lies in the index, preferring the first occurrence at or after `from` (findings
  // come in document order, so repeated clauses map to successive places).
  function locate(index, quote, from = 0) {
    const hay = index.text;
    const q = normalise(quote);
    if (!q) return null;
    for (const candidate of [q, q.replace(LEADER, "")]) {
      if (!candidate) continue;
      let at = hay.indexOf(candidate, from);
      if (at < 0 && from > 0) at = hay.indexOf(candidate);
      if (at >= 0) return { start: at, end: at + candidate.length, approximate: false };
    }
    return findHeadTail(hay, q.replace(LEADER, ""), from);
  }

  // The trigger phrase inside a located clause, when it can be found there.
  function locateWithin(index, phrase, range) {
    const p = normalise(phrase ?? "");
    if (!p) return null;
    const at = index.text.indexOf(p, range.start);
    return at >= 0 && at + p.length <= range.end ? { start: at, end: at + p.length } : null;
  }

  // Index positions [start, end) -> per-node pieces { node, from, to } with DOM offsets. With the
  // nodes' texts, whitespace at a boundary between two pieces is included, so the marks of one
  // clause join up without gaps where it crosses an element.
  function pieces(index, start, end, extra = {}, texts = null) {
    const out = [];
    let cur = null;
    for (let i = start; i < end; i++) {
      const n = index.node[i];
      const o = index.off[i];
      if (cur && cur.node === n) {
        cur.to = o + 1;
      } else {
        cur = { node: n, from: o, to: o + 1, ...extra };
        out.push(cur);
      }
    }
    if (texts) {
      out.forEach((p, k) => {
        const t = texts[p.node];
        if (k > 0 && !t.slice(0, p.from).trim()) p.from = 0;
        if (k < out.length - 1 && !t.slice(p.to).trim()) p.to = t.length;
      });
    }
    return out;
  }

  // Cut pieces where the trigger phrase (index positions [mStart, mEnd)) begins and ends; the
  // pieces inside it get strong: true.
  function splitAtMatch(list, index, mStart, mEnd) {
    const sNode = index.node[mStart];
    const sOff = index.off[mStart];
    const eNode = index.node[mEnd - 1];
    const eOff = index.off[mEnd - 1] + 1;
    const out = [];
    for (const p of list) {
      const cuts = [p.from, p.to];
      if (p.node === sNode && sOff > p.from && sOff < p.to) cuts.push(sOff);
      if (p.node === eNode && eOff > p.from && eOff < p.to) cuts.push(eOff);
      cuts.sort((a, b) => a - b);
      for (let k = 0; k < cuts.length - 1; k++) {
        const from = cuts[k];
        const afterStart = p.node > sNode || (p.node === sNode && from >= sOff);
        const beforeEnd = p.node < eNode || (p.node === eNode && from < eOff);
        out.push({ ...p, from, to: cuts[k + 1], strong: afterStart && beforeEnd });
      }
    }
    return out;
  }

  const api = { normalise, buildIndex, locate, locateWithin, pieces, splitAtMatch };
  root.cwAnchor = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
