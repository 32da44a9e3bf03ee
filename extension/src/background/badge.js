// All badge logic: updateBadge(tabId) decides what one tab's badge says, from (1) the analysis
// of the page the user asked for, or (2) the vendor's site status when the host is a known vendor.
import { ext, setBadge } from "../shared/platform.js";
import { getSettings } from "../shared/settings.js";
import { GRADE_COLOURS, GRADE_MEANINGS, PENDING_COLOUR, isGraded, plural, statusMessage } from "../shared/labels.js";
import { hasChanges } from "../shared/changes.js";
import { api } from "./server.js";
import { matchVendor, vendorIndex } from "./vendors.js";
import { getTabState, samePage, updateTabState } from "./tabstate.js";

const IDLE = { text: "", title: "clausewatch: check this page's terms" };
// While a vendor's analysis is pending, ask again after 2, 4, 8 ... seconds, for about 4 minutes.
const RECHECK_MS = [2_000, 4_000, 8_000, 15_000, 30_000, 60_000, 120_000];

const latest = new Map(); // tabId -> number of the newest updateBadge call; older ones give way
const rechecks = new Map(); // tabId -> { timer, left } while a vendor's analysis is pending

export function gradeLetter(grade) {
  const letter = typeof grade === "object" && grade ? grade.grade : grade;
  return /^[A-E]$/.test(letter ?? "") ? letter : null;
}

function when(value) {
  if (!value) return "at an unknown time";
  const date = new Date(typeof value === "number" && value < 1e12 ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function httpHost(url) {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.hostname : null;
  } catch {
    return null;
  }
}

// A page with no grade (not English, not terms): a dash, and the reason on hover.
function statusView(analysis) {
  return {
    text: "–",
    color: PENDING_COLOUR.bg,
    textColor: PENDING_COLOUR.fg,
    title: `clausewatch: ${statusMessage(analysis.result)}.`,
  };
}

function analysedView(analysis) {
  if (!isGraded(analysis.result)) return statusView(analysis);
  const g = analysis.result.grade ?? {};
  const letter = gradeLetter(g);
  if (!letter) return IDLE;
  const changed = hasChanges(analysis.result.changes);
  const colours = GRADE_COLOURS[letter];
  return {
    text: letter + (changed ? "!" : ""),
    color: colours.bg,
    textColor: colours.fg,
    title: `clausewatch: this page is graded ${letter}, ${g.meaning ?? GRADE_MEANINGS[letter]}` +
      ` (${plural(g.risks, "risk")}, ${plural(g.protections, "protection")}). Analysed ${when(analysis.at)}.` +
      (changed ? "\nIt changed since you last read it: open clausewatch to see what changed." : ""),
  };
}

function siteView(site, name) {
  const letter = site.status === "analysed" ? gradeLetter(site.grade) : null;
  if (!letter) {
    return {
      text: "…",
      color: PENDING_COLOUR.bg,
      textColor: PENDING_COLOUR.fg,
      title: site.watching === false
        ? `clausewatch: ${name} has no analysis yet, and your server is not fetching policies.` +
          ` Open ${name}'s terms and click clausewatch to grade them.`
        : `clausewatch: ${name} has no analysis yet. Analysis of its terms was requested` +
          " from your clausewatch server; the badge shows the grade when it is done.",
    };
  }
  const colours = GRADE_COLOURS[letter];
  const meaning = (typeof site.grade === "object" && site.grade?.meaning) || GRADE_MEANINGS[letter];
  return {
    text: letter + (site.changed ? "!" : ""),
    color: colours.bg,
    textColor: colours.fg,
    title: `clausewatch: ${name}'s terms are graded ${letter}, ${meaning}. Computed ${when(site.analysed_at)}.` +
      (site.changed ? "\nThey changed since you last read them: open clausewatch to see what changed." : ""),
  };
}

// Ask again while the server works on a pending vendor, a few times, then stop.
function scheduleRecheck(tabId, pending) {
  const entry = rechecks.get(tabId);
  if (!pending) {
    if (entry) clearTimeout(entry.timer);
    rechecks.delete(tabId);
    return;
  }
  if (entry?.timer) return;
  const step = entry ? entry.step : 0;
  if (step >= RECHECK_MS.length) return;
  const timer = setTimeout(() => {
    rechecks.set(tabId, { timer: null, step: step + 1 });
    updateBadge(tabId);
  }, RECHECK_MS[step]);
  rechecks.set(tabId, { timer, step });
}

// On a known vendor's site the badge is always the grade of the vendor's own policies (the URLs of
// vendors.yaml), whatever page of the site was clicked; elsewhere it is the clicked page's.
async function badgeView(tab) {
  const state = await getTabState(tab.id);
  const analysis = state?.analysis && samePage(state.analysis.url, tab.url) ? state.analysis : null;
  const host = httpHost(tab.url);
  const hit = host && (await getSettings()).autoBadge ? matchVendor(host, await vendorIndex()) : null;
  if (!hit) {
    if (state?.site) await updateTabState(tab.id, { site: null });
    // not a known vendor: the server is never asked about this host
    return analysis ? analysedView(analysis) : IDLE;
  }
  let site;
  try {
    site = await api.site(host);
    if (site.status === "pending" && site.watching !== false && !site.requested) {
      // GET /api/site only reads; asking the server's watcher to fetch the vendor is a POST.
      site.requested = (await api.fetchSite(host)).requested;
    }
  } catch (err) {
    return analysis ? analysedView(analysis) : { ...IDLE, title: `clausewatch: cannot grade ${hit.vendor.name}. ${err.message}` };
  }
  const name = site.vendor?.name ?? hit.vendor.name;
  await updateTabState(tab.id, { site: { ...site, host, name, url: tab.url } });
  scheduleRecheck(tab.id, site.status !== "analysed");
  // The vendor's own policy page, read but not graded (not English): say so, not "open its terms".
  if (site.status !== "analysed" && analysis?.result?.vendor?.doc_type && !isGraded(analysis.result)) {
    return statusView(analysis);
  }
  return siteView(site, name);
}

export async function updateBadge(tabId) {
  const seq = (latest.get(tabId) ?? 0) + 1;
  latest.set(tabId, seq);
  let tab;
  try {
    tab = await ext.tabs.get(tabId);
  } catch {
    return null; // closed
  }
  const view = await badgeView(tab);
  if (latest.get(tabId) !== seq) return null;
  try {
    await setBadge(tabId, view);
  } catch {
    // The tab closed while we looked.
  }
  return view;
}

export function forgetBadge(tabId) {
  scheduleRecheck(tabId, false);
  latest.delete(tabId);
}

// At start-up (the worker may have slept through navigations) every open tab gets its badge.
export async function updateAllBadges() {
  const tabs = await ext.tabs.query({});
  await Promise.all(tabs.map((t) => updateBadge(t.id)));
}
