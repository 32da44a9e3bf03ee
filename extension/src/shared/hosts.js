// Matching a tab's host to a known vendor, locally. Pure, so Node tests it without a browser.

// "www.blog.zoom.us." -> ["blog.zoom.us", "zoom.us"]: strip www., then drop labels one at a time.
export function hostCandidates(host) {
  let h = String(host ?? "").toLowerCase().replace(/\.$/, "");
  if (h.startsWith("www.")) h = h.slice(4);
  const labels = h.split(".").filter(Boolean);
  const out = [];
  for (let i = 0; i < labels.length - 1; i++) out.push(labels.slice(i).join("."));
  return out;
}

export function buildIndex(vendors) {
  const index = new Map();
  for (const vendor of vendors ?? []) {
    for (const domain of vendor.domains ?? []) {
      const d = String(domain).toLowerCase().replace(/^www\./, "");
      if (!index.has(d)) index.set(d, vendor);
    }
  }
  return index;
}

export function matchVendor(host, index) {
  for (const candidate of hostCandidates(host)) {
    const vendor = index.get(candidate);
    if (vendor) return { vendor, domain: candidate };
  }
  return null;
}
