// The user's options, with their defaults. Stored flat in storage.local so tests can set one key.
import { ext } from "./platform.js";

export const DEFAULT_SERVER = "http://127.0.0.1:8787";

export const DEFAULTS = Object.freeze({
  server: DEFAULT_SERVER,
  autoBadge: true, // the grade badge on known vendors' sites
  autoAnalyze: false, // analyse pages that look like terms without a click
});

export async function getSettings() {
  const stored = await ext.storage.local.get(Object.keys(DEFAULTS));
  const settings = { ...DEFAULTS, ...stored };
  settings.server = normaliseServer(settings.server) ?? DEFAULT_SERVER;
  return settings;
}

export async function saveSettings(changes) {
  await ext.storage.local.set(changes);
}

// The manifest grants loopback only, so any other address could never be reached: refuse it here.
export function normaliseServer(value) {
  let url;
  try {
    url = new URL(String(value ?? "").trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" || !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return null;
  return url.origin;
}
