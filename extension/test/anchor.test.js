// Unit tests of the anchoring core (src/content/anchor.js) under Node: a table of real cases.
const test = require("node:test");
const assert = require("node:assert/strict");
const { buildIndex, locate, locateWithin, pieces, normalise, splitAtMatch } = require("../src/content/anchor.js");

// Text of the pieces a quote maps to, joined: what the marks would contain.
function marked(texts, quote) {
  const index = buildIndex(texts);
  const range = locate(index, quote);
  if (!range) return null;
  return pieces(index, range.start, range.end, {}, texts).map((p) => texts[p.node].slice(p.from, p.to)).join("|");
}

const CASES = [
  ["one text node", ["Intro. We may terminate your account. Outro."], "We may terminate your account.",
    "We may terminate your account."],
  ["spans a link and bold", ["We may ", "terminate", " your ", "account", " at any time."],
    "We may terminate your account at any time.", "We may |terminate| your |account| at any time."],
  ["DOM has extra whitespace and newlines", ["We  may\n   terminate\tyour account."],
    "We may terminate your account.", "We  may\n   terminate\tyour account."],
  ["extraction has a newline where the DOM has none (list items)", ["First item.", "Second item."],
    "First item.\nSecond item.", "First item.|Second item."],
  ["no-break spaces and curly quotes", ["Zoom\u2019s Service\u00a0Generated\u00a0Data"],
    "Zoom's Service Generated Data", "Zoom\u2019s Service\u00a0Generated\u00a0Data"],
  ["case differs", ["TO THE MAXIMUM EXTENT PERMITTED BY LAW"], "To the maximum extent permitted by law",
    "TO THE MAXIMUM EXTENT PERMITTED BY LAW"],
  ["list numbering drawn by CSS", ["You waive any right to a jury trial."], "1. You waive any right to a jury trial.",
    "You waive any right to a jury trial."],
  ["soft hyphen in the DOM", ["arbi\u00adtration is binding"], "arbitration is binding", "arbi\u00adtration is binding"],
  ["not on the page", ["Nothing here about that."], "We may sell your personal data to brokers.", null],
];

for (const [name, texts, quote, expected] of CASES) {
  test(name, () => assert.equal(marked(texts, quote), expected));
}

test("a clause with one word changed in the middle is still found by its head and tail", () => {
  const dom = ["You agree that Zoom may use Service Generated Data for any purpose whatsoever, including " +
    "for the purposes of training and tuning of algorithms and models, and product development."];
  const quote = "You agree that Zoom may use Service Generated Data for any purpose at all, including " +
    "for the purposes of training and tuning of algorithms and models, and product development.";
  const index = buildIndex(dom);
  const range = locate(index, quote);
  assert.ok(range && range.approximate);
});

test("repeated clauses map to successive places when searched from the previous end", () => {
  const dom = ["A: we may change these terms. B: we may change these terms."];
  const index = buildIndex(dom);
  const first = locate(index, "we may change these terms.");
  const second = locate(index, "we may change these terms.", first.end);
  assert.ok(second.start > first.start);
});

test("the trigger phrase is found inside its clause only", () => {
  const index = buildIndex(["terminate. Later: We may terminate your account."]);
  const range = locate(index, "We may terminate your account.");
  const m = locateWithin(index, "terminate", range);
  assert.ok(m.start >= range.start && m.end <= range.end);
  assert.equal(locateWithin(index, "sell", range), null);
});

test("normalise drops whitespace and folds dashes, quotes and case", () => {
  assert.equal(normalise("Non\u2013exclusive \u201cLicense\u201d"), 'non-exclusive"license"');
});

test("the trigger phrase splits the clause's pieces, across nodes too", () => {
  const texts = ["We may ", "terminate your", " account at any time."];
  const index = buildIndex(texts);
  const range = locate(index, "We may terminate your account at any time.");
  const m = locateWithin(index, "terminate your account", range);
  const parts = splitAtMatch(pieces(index, range.start, range.end, {}, texts), index, m.start, m.end)
    .map((p) => (p.strong ? "*" : "") + texts[p.node].slice(p.from, p.to));
  assert.deepEqual(parts, ["We may ", "*terminate your", "* account", " at any time."]);
});
