// What the worker remembers per tab, in storage.session so that it outlives the worker's restarts
// but not the browser session: the last analysis of the page and the vendor site status.
import { session } from "../shared/platform.js";

const key = (tabId) => `tab:${tabId}`;

export async function getTabState(tabId) {
  return (await session.get(key(tabId)))[key(tabId)] ?? null;
}

export async function setTabState(tabId, state) {
  await session.set({ [key(tabId)]: state });
}

export async function updateTabState(tabId, changes) {
  const state = (await getTabState(tabId)) ?? {};
  const next = { ...state, ...changes };
  await setTabState(tabId, next);
  return next;
}

export async function dropTabState(tabId) {
  await session.remove(key(tabId));
}

// The analysis belongs to one URL (fragment aside); a navigation makes it stale.
export function samePage(a, b) {
  const strip = (u) => String(u ?? "").split("#")[0];
  return Boolean(a) && strip(a) === strip(b);
}
