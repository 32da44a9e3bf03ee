// Tab lifecycle: a navigation makes the page's analysis stale; a finished load may start an
// automatic analysis (only when the user turned it on and granted access to sites).
import { canScript } from "../shared/platform.js";
import { getSettings } from "../shared/settings.js";
import { analyseTab } from "./analysis.js";
import { forgetBadge, updateBadge } from "./badge.js";
import { dropTabState, getTabState, samePage, updateTabState } from "./tabstate.js";

const TERMS_WORDS = /\b(terms|tos|privacy|legal|eula|conditions|user[-_ ]?agreement|policy|policies)\b/i;

export function looksLikeTerms(url, title = "") {
  try {
    const u = new URL(url);
    return TERMS_WORDS.test(decodeURIComponent(u.pathname).replace(/[-_/.]+/g, " ")) || TERMS_WORDS.test(title);
  } catch {
    return false;
  }
}

export async function onTabUpdated(tabId, change, tab) {
  if (!change.url && change.status !== "complete") return;
  // The setting as it was when the page finished loading: read before the badge's request, which
  // can take seconds, so turning the option on later never analyses a page loaded while it was off.
  const autoAnalyze = change.status === "complete" && (await getSettings()).autoAnalyze;
  const state = await getTabState(tabId);
  if (state?.analysis && !samePage(state.analysis.url, tab.url)) {
    await updateTabState(tabId, { analysis: null });
  }
  await updateBadge(tabId);
  if (autoAnalyze) await maybeAutoAnalyse(tab);
}

async function maybeAutoAnalyse(tab) {
  if (!looksLikeTerms(tab.url, tab.title) || !(await canScript(tab.url))) return;
  const state = await getTabState(tab.id);
  if (state?.analysis && samePage(state.analysis.url, tab.url)) return;
  await analyseTab(tab.id).catch(() => {}); // silent: the popup shows errors when the user asks
}

export async function onTabRemoved(tabId) {
  forgetBadge(tabId);
  await dropTabState(tabId);
}
