// "Changed since you last read it": turns the server's `changes` into short lines. The server
// gives finding-level lists (findings_added / findings_removed: what matters to the reader) and
// clause-level lists (added / removed / changed clauses, with or without findings). Older servers
// gave only added / removed findings; both read the same here.
import { categoryLabel } from "./labels.js";

const LISTS = ["added", "removed", "changed", "findings_added", "findings_removed"];

// A vendor's site status carries one change object per document; they read as one.
function merged(changes) {
  if (!Array.isArray(changes)) return changes;
  const out = Object.fromEntries(LISTS.map((k) => [k, []]));
  for (const c of changes) for (const k of LISTS) if (Array.isArray(c?.[k])) out[k].push(...c[k]);
  out.since = changes.map((c) => c?.since).filter(Boolean).sort()[0] ?? null;
  return out;
}

const list = (value) => (Array.isArray(value) ? value : []);

// Category labels of the items that carry a category, once each, in the server's order (worst first).
function categories(items) {
  const labels = items
    .map((i) => (typeof i === "string" ? i : i?.category))
    .filter((c) => typeof c === "string" && c)
    .map(categoryLabel);
  return [...new Set(labels)];
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function describeChanges(raw) {
  const changes = merged(raw);
  if (!changes || typeof changes !== "object") return [];
  const findingLevel = Array.isArray(changes.findings_added) || Array.isArray(changes.findings_removed);
  const added = categories(findingLevel ? list(changes.findings_added) : list(changes.added));
  const removed = categories(findingLevel ? list(changes.findings_removed) : list(changes.removed));
  const lines = [];
  if (added.length) lines.push({ kind: "added", text: `Added: ${added.join(", ")}` });
  if (removed.length) lines.push({ kind: "removed", text: `Removed: ${removed.join(", ")}` });
  if (findingLevel) {
    const reworded = categories(list(changes.changed));
    if (reworded.length) lines.push({ kind: "changed", text: `Reworded: ${reworded.join(", ")}` });
    const counts = [
      [list(changes.added).length, "added"],
      [list(changes.removed).length, "removed"],
      [list(changes.changed).length, "reworded"],
    ].filter(([n]) => n > 0);
    if (counts.length) {
      lines.push({ kind: "clauses", text: `In all: ${counts.map(([n, w], k) => (k ? `${n} ${w}` : `${plural(n, "clause")} ${w}`)).join(", ")}.` });
    }
  }
  return lines;
}

export function hasChanges(changes) {
  return describeChanges(changes).length > 0;
}

// The date the previous version was seen, when the server says.
export function changesSince(raw) {
  const changes = merged(raw);
  const value = changes?.since ?? null;
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}
