// The HTTP client for the local clausewatch server. Only the service worker imports this file:
// content scripts and pages never fetch. Every failure becomes a ServerError with a `kind` the
// popup can explain in words: offline, refused, too_large, unreadable, http.
import { getSettings } from "../shared/settings.js";

export class ServerError extends Error {
  constructor(kind, message, { status = 0, code = "", server = "" } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.server = server;
  }
}

const TIMEOUT_MS = { GET: 10_000, POST: 60_000 };

export async function call(path, { method = "GET", body, server } = {}) {
  server = server ?? (await getSettings()).server;
  let response;
  try {
    response = await fetch(server + path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS[method] ?? 10_000),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (err) {
    const timedOut = err?.name === "TimeoutError";
    throw new ServerError(timedOut ? "timeout" : "offline",
      timedOut ? `The clausewatch server at ${server} did not answer in time.`
        : `The clausewatch server is not running at ${server}.`, { server });
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Something answered, but not with JSON: another program holds the port.
  }
  if (response.ok && data) return data;
  const error = data?.error ?? {};
  const kind = response.status === 403 ? "refused" : response.status === 413 ? "too_large"
    : response.status === 422 ? "unreadable" : data ? "http" : "not_clausewatch";
  throw new ServerError(kind, error.message || `The server answered ${response.status}.`,
    { status: response.status, code: error.code ?? "", server });
}

// The server reads a long page over several requests, each within its CPU budget: while the
// answer says "reading", the same request again reads on from where the last stopped. Every
// request reads at least one clause, so this ends; the cap matches the server's READING_ROUNDS.
export const READING_ROUNDS = 64;

async function analyzeWhole(payload) {
  const post = (body) => call("/api/analyze", { method: "POST", body });
  let data = await post(payload);
  for (let round = 1; data?.status === "reading" && round < READING_ROUNDS; round++) {
    data = await post(payload);
  }
  if (data?.status === "reading") {
    throw new ServerError("http", "This page is too long for clausewatch to read in full.", { code: "too_long" });
  }
  return data;
}

export const api = {
  analyze: (payload) => analyzeWhole(payload),
  vendors: () => call("/api/vendors"),
  site: (host) => call(`/api/site?host=${encodeURIComponent(host)}`),
  seen: (host) => call("/api/site/seen", { method: "POST", body: { host } }),
  fetchSite: (host) => call("/api/site/fetch", { method: "POST", body: { host } }),
  health: (server) => call("/api/health", { server }),
};

// What a message reply carries for an error: plain data, safe to structured-clone.
export function errorInfo(err) {
  if (err instanceof ServerError) {
    return { kind: err.kind, message: err.message, status: err.status, code: err.code, server: err.server };
  }
  return { kind: err?.kind ?? "internal", message: String(err?.message ?? err), origin: err?.origin ?? null };
}
