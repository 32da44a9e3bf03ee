// Terms published as a PDF: the browser's PDF viewer is off-limits to content scripts, so the
// worker fetches the document's bytes itself (the click on the icon granted the tab's origin
// through activeTab; elsewhere the popup asks for that one origin) and sends them to the server.
import { PageError } from "./errors.js";

// The server's body cap is 8 MB of JSON; base64 makes 4 bytes of 3, so about 6 MB of PDF fits.
export const MAX_PDF_BYTES = 6 * 1024 * 1024;
const FETCH_MS = 30_000;

export function looksLikePdfUrl(url) {
  try {
    const u = new URL(url);
    return /^https?:$/.test(u.protocol) && /\.pdf$/i.test(decodeURIComponent(u.pathname));
  } catch {
    return false;
  }
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

// Chunks of String.fromCharCode: one call per byte is slow, one call for all overflows the stack.
export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function isPdfBytes(bytes) {
  const head = String.fromCharCode(...bytes.subarray(0, 1024));
  return head.includes("%PDF-");
}

// The bytes of the PDF at `url`, or null when the response is not a PDF (an HTML page whose
// content script could not run). Throws a PageError the popup can act on.
export async function fetchPdf(url, { onlyIfPdf = false } = {}) {
  if (!/^https?:/.test(url)) {
    throw new PageError("clausewatch can read PDFs from websites only. Open this file from a web address, " +
      "or run `clausewatch analyze FILE.pdf` on your computer.");
  }
  let response;
  try {
    response = await fetch(url, { credentials: "omit", cache: "force-cache", signal: AbortSignal.timeout(FETCH_MS) });
  } catch {
    // Without access to the site the request fails like a network error (CORS).
    const origin = originOf(url);
    throw Object.assign(new PageError(`clausewatch needs your permission to download this PDF from ${origin}.`),
      { kind: "needs_permission", origin });
  }
  const type = (response.headers.get("content-type") ?? "").toLowerCase();
  if (onlyIfPdf && !type.includes("pdf") && !looksLikePdfUrl(url)) return null;
  if (!response.ok) throw new PageError(`The PDF could not be downloaded (the site answered ${response.status}).`);
  const length = Number(response.headers.get("content-length") ?? 0);
  if (length > MAX_PDF_BYTES) throw Object.assign(new PageError("This PDF is too large for clausewatch to read (over 6 MB)."), { kind: "too_large" });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_PDF_BYTES) throw Object.assign(new PageError("This PDF is too large for clausewatch to read (over 6 MB)."), { kind: "too_large" });
  if (!isPdfBytes(bytes)) {
    if (onlyIfPdf) return null;
    throw new PageError("This address did not return a PDF.");
  }
  return bytes;
}
