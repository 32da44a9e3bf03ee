// The one file that knows which browser it runs in. Firefox has `browser` (promise-based) and a
// `chrome` alias; Chrome has only `chrome`, promise-based in MV3. The rest of the code imports
// `ext` and the helpers below and never touches a raw browser global.

export const ext = globalThis.browser ?? globalThis.chrome;

export const isFirefox = ext.runtime.getURL("").startsWith("moz-extension:");

// Per-tab badge. setBadgeTextColor arrived late (Chrome 110, Firefox 63 as browserAction), so it is optional.
export async function setBadge(tabId, { text = "", color, textColor, title }) {
  const action = ext.action;
  await action.setBadgeText({ tabId, text });
  if (color) await action.setBadgeBackgroundColor({ tabId, color });
  if (textColor && action.setBadgeTextColor) await action.setBadgeTextColor({ tabId, color: textColor });
  if (title !== undefined) await action.setTitle({ tabId, title });
}

// storage.session (memory only, survives the worker's restarts) exists in Chrome 102+ and Firefox 115+.
export const session = ext.storage.session ?? ext.storage.local;

// The content scripts, in the order they must load; each one guards against a second injection.
const CONTENT_FILES = ["src/content/anchor.js", "src/content/tooltip.js", "src/content/reveal.js",
  "src/content/marks.js", "src/content/main.js"];

export async function injectContent(tabId) {
  await ext.scripting.insertCSS({ target: { tabId }, files: ["src/content/highlight.css"] });
  await ext.scripting.executeScript({ target: { tabId }, files: CONTENT_FILES });
}

// Access to every site is optional: asked only when the user turns on automatic analysis.
export const ALL_SITES = { origins: ["<all_urls>"] };

export async function canScript(url) {
  try {
    return await ext.permissions.contains({ origins: [new URL(url).origin + "/*"] });
  } catch {
    return false;
  }
}
