// The known-vendor list, cached from GET /api/vendors (host matching itself is in shared/hosts.js).
// Because matching is local, the server is asked about a host only when it belongs to a vendor.
import { ext } from "../shared/platform.js";
import { getSettings } from "../shared/settings.js";
import { api } from "./server.js";
import { buildIndex } from "../shared/hosts.js";

export { matchVendor } from "../shared/hosts.js";

const CACHE_KEY = "vendorCache";
const MAX_AGE_MS = 12 * 60 * 60 * 1000;

let memo = null; // { server, fetchedAt, version, vendors, index }
let failedAt = 0; // a server that is down is asked again after a minute, not on every tab event

// The index, fetched at most every 12 hours (or when the server address changes). When the
// server is down, a stale list is better than none.
export async function vendorIndex({ refresh = false } = {}) {
  const { server } = await getSettings();
  const fresh = (c) => c && c.server === server && Date.now() - c.fetchedAt < MAX_AGE_MS;
  if (!refresh && fresh(memo)) return memo.index;
  const stored = (await ext.storage.local.get(CACHE_KEY))[CACHE_KEY];
  if (!refresh && fresh(stored)) {
    memo = { ...stored, index: buildIndex(stored.vendors) };
    return memo.index;
  }
  const stale = stored ?? memo;
  if (!refresh && Date.now() - failedAt < 60_000) return stale ? buildIndex(stale.vendors) : new Map();
  try {
    const data = await api.vendors();
    const cache = { server, fetchedAt: Date.now(), version: data.version ?? null, vendors: data.vendors ?? [] };
    await ext.storage.local.set({ [CACHE_KEY]: cache });
    memo = { ...cache, index: buildIndex(cache.vendors) };
  } catch {
    failedAt = Date.now();
    return stale ? buildIndex(stale.vendors) : new Map();
  }
  return memo.index;
}

export function forgetVendors() {
  memo = null;
  failedAt = 0;
}
