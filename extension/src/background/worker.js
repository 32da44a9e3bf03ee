// The service worker (a background script in Firefox): wiring only. It is the one part of the
// extension that talks to the clausewatch server.
import { ext } from "../shared/platform.js";
import { updateAllBadges } from "./badge.js";
import { listen } from "./messages.js";
import { onTabRemoved, onTabUpdated } from "./tabs.js";
import { forgetVendors } from "./vendors.js";

listen();

ext.tabs.onUpdated.addListener((tabId, change, tab) => {
  onTabUpdated(tabId, change, tab).catch((err) => console.warn("clausewatch: tab update", err));
});

ext.tabs.onRemoved.addListener((tabId) => {
  onTabRemoved(tabId).catch(() => {});
});

// A new server address or the badge switch: start over with the vendor list and every badge.
ext.storage.onChanged.addListener((changes, area) => {
  if (area !== "local" || !(changes.server || changes.autoBadge)) return;
  forgetVendors();
  updateAllBadges().catch(() => {});
});

// The worker starts after the browser, an install, or a sleep: tabs may already be open.
updateAllBadges().catch((err) => console.warn("clausewatch: start-up badges", err));
