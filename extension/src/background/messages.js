// The one message dispatcher. Extension pages (popup, options) send typed messages; anything
// else, and any type not listed here, is rejected. Replies are {ok, data} or {ok: false, error}.
import { ext } from "../shared/platform.js";
import { normaliseServer } from "../shared/settings.js";
import { analyseTab, scrollToFinding, setHighlights } from "./analysis.js";
import { updateBadge } from "./badge.js";
import { api, errorInfo } from "./server.js";
import { getTabState, updateTabState } from "./tabstate.js";

async function popupData(tabId, analysis) {
  const state = await getTabState(tabId);
  return { analysis, site: state?.site ?? null };
}

const HANDLERS = {
  // The popup opened: analyse its tab (or reuse the analysis when the marks are still there).
  async analyze({ tabId, force }) {
    return popupData(tabId, await analyseTab(Number(tabId), { force: Boolean(force) }));
  },
  // What is known without analysing (the badge's vendor status), for when analysis is impossible.
  async "tab-state"({ tabId }) {
    return popupData(tabId, (await getTabState(Number(tabId)))?.analysis ?? null);
  },
  async "scroll-to"({ tabId, findingId }) {
    return scrollToFinding(Number(tabId), findingId);
  },
  async "set-highlights"({ tabId, on }) {
    return setHighlights(Number(tabId), on);
  },
  // The popup showed a vendor's changes: the user has now seen this version.
  async "site-seen"({ tabId, host }) {
    await api.seen(String(host));
    const state = await getTabState(Number(tabId));
    if (state?.site) await updateTabState(Number(tabId), { site: { ...state.site, changed: false } });
    await updateBadge(Number(tabId));
    return { seen: true };
  },
  async "check-server"({ server }) {
    const address = normaliseServer(server);
    if (!address) throw Object.assign(new Error("Use an address like http://127.0.0.1:8787."), { kind: "bad_address" });
    return api.health(address);
  },
};

function fromExtensionPage(sender) {
  return sender.id === ext.runtime.id && String(sender.url ?? "").startsWith(ext.runtime.getURL(""));
}

export function dispatch(message, sender) {
  const type = message?.type;
  if (!fromExtensionPage(sender)) {
    return Promise.resolve({ ok: false, error: { kind: "forbidden", message: "Only clausewatch's own pages may ask." } });
  }
  if (typeof type !== "string" || !Object.hasOwn(HANDLERS, type)) {
    return Promise.resolve({ ok: false, error: { kind: "unknown_message", message: `Unknown message type: ${String(type)}` } });
  }
  return HANDLERS[type](message).then(
    (data) => ({ ok: true, data }),
    (err) => ({ ok: false, error: errorInfo(err) }),
  );
}

export function listen() {
  // sendResponse + `return true` works in Chrome and Firefox alike; returning a promise does not.
  ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
    dispatch(message, sender).then(sendResponse);
    return true;
  });
}
