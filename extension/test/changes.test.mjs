// Unit tests of the "changed since you last read it" lines (src/shared/changes.js).
import test from "node:test";
import assert from "node:assert/strict";
import { describeChanges, hasChanges } from "../src/shared/changes.js";

const texts = (c) => describeChanges(c).map((l) => l.text);

test("clause-level diff from the server: findings first, then clause counts", () => {
  const changes = {
    since: "2026-11-28T22:34:19+00:00",
    added: [{ category: "ai_training" }, { category: null }, { category: null }],
    removed: [],
    changed: [{ category: "unilateral_change" }],
    findings_added: [{ category: "ai_training" }, { category: "unilateral_change" }],
    findings_removed: [],
  };
  assert.deepEqual(texts(changes), [
    "Added: AI training, Terms can change at any time",
    "Reworded: Terms can change at any time",
    "In all: 3 clauses added, 1 reworded.",
  ]);
});

test("a vendor's per-document list reads as one", () => {
  const site = [
    { doc_type: "terms", added: [{ category: "ai_training" }], removed: [], changed: [],
      findings_added: [{ category: "ai_training" }], findings_removed: [] },
    { doc_type: "privacy", added: [], removed: [{ category: "data_sale" }], changed: [],
      findings_added: [], findings_removed: [{ category: "commitment_no_sale" }] },
  ];
  assert.deepEqual(texts(site), ["Added: AI training", "Removed: Your data is not sold",
    "In all: 1 clause added, 1 removed."]);
});

test("older finding-only shape", () => {
  assert.deepEqual(texts({ added: [{ category: "arbitration" }], removed: [] }), ["Added: Binding arbitration"]);
});

test("nothing changed, or no earlier version", () => {
  for (const c of [null, undefined, {}, [], { added: [], removed: [], changed: [], findings_added: [], findings_removed: [] }]) {
    assert.equal(hasChanges(c), false);
  }
});
