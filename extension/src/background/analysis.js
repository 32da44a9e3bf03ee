// One analysis of one tab: snapshot the page through the content script, POST it to the server,
// send the findings back to the content script to highlight, remember the result for the popup.
import { ext, injectContent } from "../shared/platform.js";
import { getSettings } from "../shared/settings.js";
import { categoryLabel, SEVERITY_LABELS, tone } from "../shared/labels.js";
import { api, ServerError } from "./server.js";
import { getTabState, samePage, updateTabState } from "./tabstate.js";
import { updateBadge } from "./badge.js";
import { PageError } from "./errors.js";
import { fetchPdf, looksLikePdfUrl, toBase64 } from "./pdf.js";

export { PageError };

const CANNOT_READ = "clausewatch cannot read this page. Browsers keep their own pages and extension " +
  "stores off-limits to extensions.";

const CHECKABLE = /^(https?|file):/;

export function toContent(tabId, message) {
  return ext.tabs.sendMessage(tabId, message, { frameId: 0 });
}

// The content script gets what it shows in tooltips ready-made: it knows no labels of its own.
function forPage(findings) {
  return findings.map((f) => ({
    ...f,
    label: categoryLabel(f.category),
    tone: tone(f),
    toneLabel: SEVERITY_LABELS[tone(f)] ?? f.severity,
  }));
}

async function snapshot(tabId) {
  try {
    // Inject once per page load: a content script that answers is already there with its CSS.
    const present = await toContent(tabId, { type: "ping" }).then(() => true, () => false);
    if (!present) await injectContent(tabId);
    return await toContent(tabId, { type: "snapshot" });
  } catch {
    return null; // a page no script may enter: a browser page, a store, or the PDF viewer
  }
}

// The page as the server should read it: its HTML from the content script, or a PDF's bytes
// fetched by the worker (the PDF viewer lets no content script in).
async function readTab(tab) {
  if (looksLikePdfUrl(tab.url)) return { pdf: await fetchPdf(tab.url) };
  const page = await snapshot(tab.id);
  if (page && page.contentType !== "application/pdf") return { page };
  if (page) return { pdf: await fetchPdf(tab.url) };
  // Not scriptable: a PDF at an address without ".pdf" is still readable by its bytes.
  const bytes = /^https?:/.test(tab.url) ? await fetchPdf(tab.url, { onlyIfPdf: true }).catch(() => null) : null;
  if (bytes) return { pdf: bytes };
  throw new PageError(CANNOT_READ);
}

async function postPage(page) {
  try {
    return await api.analyze({ url: page.url, html: page.html, title: page.title });
  } catch (err) {
    // A page bloated with markup may still fit as plain text.
    if (err instanceof ServerError && err.kind === "too_large" && page.text) {
      return api.analyze({ url: page.url, text: page.text, title: page.title });
    }
    throw err;
  }
}

export async function analyseTab(tabId, { force = false } = {}) {
  const tab = await ext.tabs.get(tabId);
  if (!CHECKABLE.test(tab.url ?? "")) {
    throw new PageError("This is a browser page, not a website: there are no terms here to check.");
  }
  const state = await getTabState(tabId);
  if (!force && state?.analysis && samePage(state.analysis.url, tab.url)) {
    // Same page and its marks are still there (no reload): reuse, do not analyse twice. A PDF has
    // no marks; the same address is the same analysis until the tab navigates.
    if (state.analysis.kind === "pdf") return state.analysis;
    const ping = await toContent(tabId, { type: "ping" }).catch(() => null);
    if (ping?.analysisId && ping.analysisId === state.analysis.id) return state.analysis;
  }
  const { page, pdf } = await readTab(tab);
  const { server } = await getSettings();
  // A PDF's title is the one inside it (the server reads it); the tab shows a file name.
  const result = pdf ? await api.analyze({ url: tab.url, pdf: toBase64(pdf), title: "" }) : await postPage(page);
  const findings = forPage(result.findings ?? []);
  const id = String(result.report_id ?? result.document?.content_hash ?? Date.now());
  let anchored;
  if (pdf) {
    anchored = { found: [], missing: [] }; // the viewer cannot be marked: the reader view holds the highlights
  } else {
    try {
      // With no findings (a page with no grade) this clears the marks of an earlier analysis.
      anchored = await toContent(tabId, { type: "highlight", analysisId: id, findings });
    } catch {
      anchored = { found: [], missing: findings.map((f) => f.id) };
    }
  }
  const analysis = {
    id,
    kind: pdf ? "pdf" : "page",
    url: tab.url,
    title: page?.title || result.document?.title || tab.title,
    server,
    at: Date.now(),
    result: { ...result, findings },
    missing: anchored?.missing ?? [],
    highlights: true,
  };
  await updateTabState(tabId, { analysis });
  await updateBadge(tabId);
  return analysis;
}

export async function setHighlights(tabId, on) {
  await toContent(tabId, { type: "set-highlights", on: Boolean(on) });
  const state = await getTabState(tabId);
  if (state?.analysis) await updateTabState(tabId, { analysis: { ...state.analysis, highlights: Boolean(on) } });
  return { on: Boolean(on) };
}

export async function scrollToFinding(tabId, findingId) {
  return toContent(tabId, { type: "scroll-to", id: String(findingId) });
}
