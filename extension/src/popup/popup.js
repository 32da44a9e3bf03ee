// The popup: asks the worker to analyse its tab, then shows the grade, the findings by severity,
// the changes, and controls. Everything from the page or the server is set with textContent.
import { ext } from "../shared/platform.js";
import { categoryLabel, GRADE_MEANINGS, isGraded, plural, SEVERITIES, SEVERITY_LABELS, statusMessage, tone } from "../shared/labels.js";
import { changesSince, describeChanges } from "../shared/changes.js";

const main = document.getElementById("main");

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "data") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return e;
}

function send(message) {
  return ext.runtime.sendMessage(message).catch((err) => ({ ok: false, error: { kind: "internal", message: String(err?.message ?? err) } }));
}

// Tests open the popup as a tab, where "the active tab" would be the popup itself.
async function targetTabId() {
  const param = new URLSearchParams(location.search).get("tabId");
  if (param && /^\d+$/.test(param)) return Number(param);
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab?.id;
}

function openTab(url) {
  ext.tabs.create({ url });
}

// Links come from the server; only plain http(s) URLs become links.
function safeHttp(raw, base) {
  if (!raw) return null;
  try {
    const url = new URL(raw, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function resolveReport(analysis) {
  return safeHttp(analysis?.result?.report_url, analysis?.server);
}

function show(...nodes) {
  main.replaceChildren(...nodes.filter(Boolean));
}

// ---- states that are not a result -------------------------------------------------------------

function commandBox(command) {
  const code = el("code", { text: command });
  const copy = el("button", { type: "button", class: "copy", text: "Copy",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(command);
        copy.textContent = "Copied";
      } catch {
        copy.textContent = "Select and copy";
      }
    } });
  return el("div", { class: "command" }, code, copy);
}

function showError(error, retry) {
  const kind = error?.kind ?? "internal";
  const again = el("button", { type: "button", class: "primary", text: "Try again", onclick: retry });
  if (kind === "offline" || kind === "timeout" || kind === "not_clausewatch") {
    const where = error.server || "http://127.0.0.1:8787";
    const lead = kind === "timeout" ? "The clausewatch server is not answering."
      : kind === "not_clausewatch" ? "Something else is answering at the clausewatch address."
        : "The clausewatch server is not running.";
    show(el("section", { class: "state offline", id: "server-offline" },
      el("h1", { text: lead }),
      el("p", { text: "clausewatch analyses pages on your own computer. Start the server from your clausewatch checkout:" }),
      commandBox("./dev serve"),
      el("p", { class: "muted" }, "Looking for it at ", el("code", { text: where }), ". You can change the address in ",
        el("button", { type: "button", class: "link-button", text: "Options", onclick: () => ext.runtime.openOptionsPage() }), "."),
      again));
    return;
  }
  if (kind === "needs_permission" && error.origin) {
    // Fetching a PDF needs access to its site; the permission is asked for in this click's gesture.
    show(el("section", { class: "state problem", id: "problem", data: { kind } },
      el("h1", { text: "clausewatch needs to download this PDF" }),
      el("p", { text: `The browser's PDF viewer is closed to extensions, so clausewatch reads the file itself. Allow it to download from ${error.origin}?` }),
      el("button", { type: "button", class: "primary", id: "grant", text: `Allow ${new URL(error.origin).host}`,
        onclick: async () => {
          const granted = await ext.permissions.request({ origins: [`${error.origin}/*`] }).catch(() => false);
          if (granted) retry();
        } })));
    return;
  }
  // A PDF that cannot be read says why, by the server's code.
  const byCode = {
    pdf_encrypted: "This PDF is locked with a password",
    pdf_no_text: "This PDF has no text to read",
    pdf_malformed: "This PDF cannot be read",
  };
  const titles = {
    page: "This page cannot be checked",
    refused: "The server refused clausewatch",
    too_large: "This page is too large to analyse",
    unreadable: "No terms text found on this page",
    bad_address: "The server address is not valid",
  };
  show(el("section", { class: "state problem", id: "problem", data: { kind, code: error?.code ?? "" } },
    el("h1", { text: byCode[error?.code] ?? titles[kind] ?? "Something went wrong" }),
    el("p", { text: error?.message || "The analysis did not finish." }),
    kind === "page" ? null : again));
}

// ---- the result -------------------------------------------------------------------------------

function gradeBlock(analysis) {
  const g = analysis.result.grade ?? {};
  const letter = /^[A-E]$/.test(g.grade ?? "") ? g.grade : "?";
  const doc = analysis.result.document ?? {};
  const counts = [plural(g.risks, "risk"), plural(g.protections, "protection")];
  if (doc.words) counts.push(plural(doc.words, "word"));
  return el("section", { class: "grade-block" },
    el("div", { class: "grade", data: { grade: letter }, id: "grade", "aria-label": `Grade ${letter}`, text: letter }),
    el("div", { class: "grade-text" },
      el("div", { class: "meaning", text: g.meaning ?? GRADE_MEANINGS[letter] ?? "" }),
      el("div", { class: "doc-title", text: doc.title || analysis.title || analysis.url }),
      el("div", { class: "muted", text: counts.join(" · ") })));
}

function changesBlock(changes, heading) {
  const lines = describeChanges(changes);
  if (!lines.length) return null;
  const since = changesSince(changes);
  return el("section", { class: "changes", id: "changes" },
    el("h2", { text: heading }),
    el("ul", {}, ...lines.map((l) => el("li", { class: `change-${l.kind}`, text: l.text }))),
    since ? el("p", { class: "muted", text: `Previous version seen ${since.toLocaleDateString()}.` }) : null);
}

function when(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString() : "at an unknown time";
}

// The vendor's own policies (from the badge's site status), shown above the page's analysis.
function siteBlock(tabId, site) {
  if (!site?.host) return null;
  const name = site.name ?? site.vendor?.name ?? site.host;
  const letter = site.status === "analysed" ? (site.grade?.grade ?? site.grade) : null;
  const report = safeHttp(site.report_url);
  const block = el("section", { class: "site", id: "site" });
  if (!/^[A-E]$/.test(letter ?? "")) {
    block.append(el("div", { class: "site-grade", data: { grade: "?" }, text: "…" }),
      el("div", { class: "site-text" },
        el("div", { class: "site-title", text: `${name}'s terms` }),
        el("div", { class: "muted", text: site.watching === false
          ? `Not analysed yet. Open ${name}'s terms page and click clausewatch there.`
          : "Not analysed yet: your clausewatch server was asked to analyse them." })));
    return block;
  }
  block.dataset.status = "analysed";
  block.append(el("div", { class: "site-grade", data: { grade: letter }, text: letter }),
    el("div", { class: "site-text" },
      el("div", { class: "site-title", text: `${name}'s terms: grade ${letter}` }),
      el("div", { class: "muted", text: `${site.grade?.meaning ?? GRADE_MEANINGS[letter]}. Computed ${when(site.analysed_at)}.` }),
      report ? el("a", { href: report, target: "_blank", rel: "noopener", text: "Read them in the reader view ↗",
        onclick: (e) => { e.preventDefault(); openTab(report); } }) : null));
  const wrapper = el("div", {}, block);
  if (site.changed) {
    const changes = changesBlock(site.changes, `${name}'s terms changed since you last read them`);
    if (changes) {
      wrapper.append(changes);
      // Shown now, so seen: the badge loses its "!".
      send({ type: "site-seen", tabId, host: site.host });
    }
  }
  return wrapper;
}

// On a vendor's site, a page that is not one of its policies: the vendor's grade is one line
// under the page's own, never a second grade box beside it.
function siteLine(site) {
  if (!site?.host) return null;
  const name = site.name ?? site.vendor?.name ?? site.host;
  const letter = site.status === "analysed" ? (site.grade?.grade ?? site.grade) : null;
  const text = /^[A-E]$/.test(letter ?? "")
    ? `${name}'s own terms and privacy policy are graded ${letter}; the toolbar badge shows that grade.`
    : `${name}'s own terms and privacy policy are not graded yet.`;
  return el("p", { class: "muted small site-line", id: "site-line", text });
}

// No grade for this page (not English, not terms): say why, and link the reader view that says so too.
function statusBlock(analysis, reportUrl) {
  const result = analysis.result;
  return el("section", { class: "state status", id: "status", data: { status: result.status } },
    el("div", { class: "grade", data: { grade: "none" }, "aria-label": "Not graded", text: "–" }),
    el("h1", { id: "status-message", text: `${statusMessage(result)}.` }),
    el("div", { class: "doc-title", text: result.document?.title || analysis.title || analysis.url }),
    result.status === "not_a_policy"
      ? el("p", { class: "muted", text: "clausewatch grades terms of service and privacy policies. Open one (they are usually linked at the bottom of a site's pages) and click clausewatch there." })
      : null,
    reportUrl ? el("a", { id: "reader-link", class: "secondary", href: reportUrl, target: "_blank", rel: "noopener", text: "Reader view ↗",
      onclick: (e) => { e.preventDefault(); openTab(reportUrl); } }) : null);
}

function categoryChips(findings) {
  const counts = new Map();
  for (const f of findings) {
    const entry = counts.get(f.category) ?? { n: 0, tone: tone(f) };
    entry.n += 1;
    counts.set(f.category, entry);
  }
  if (!counts.size) return null;
  const rank = (t) => [...SEVERITIES, "protection"].indexOf(t);
  const sorted = [...counts].sort((a, b) => rank(a[1].tone) - rank(b[1].tone) || b[1].n - a[1].n);
  return el("section", { class: "chips", "aria-label": "Findings per category" },
    ...sorted.map(([cat, { n, tone: t }]) =>
      el("span", { class: "chip", data: { tone: t, category: cat } },
        el("span", { class: "chip-label", text: categoryLabel(cat) }), el("span", { class: "chip-count", text: String(n) }))));
}

// A short excerpt of the clause with the trigger phrase in bold, built from text nodes.
function excerpt(f) {
  const quote = String(f.quote ?? "").replace(/\s+/g, " ").trim();
  const match = String(f.match ?? "").replace(/\s+/g, " ").trim();
  const at = match ? quote.toLowerCase().indexOf(match.toLowerCase()) : -1;
  const span = el("span", { class: "quote" });
  if (at < 0) {
    span.textContent = quote.length > 180 ? `${quote.slice(0, 177)}…` : quote;
    return span;
  }
  const before = quote.slice(Math.max(0, at - 70), at);
  const after = quote.slice(at + match.length, at + match.length + 90);
  span.append((at > 70 ? "…" : "") + before, el("b", { text: quote.slice(at, at + match.length) }),
    after + (at + match.length + 90 < quote.length ? "…" : ""));
  return span;
}

function findingItem(f, ctx) {
  const missing = ctx.missing.has(f.id);
  const row = el("li", { class: "finding", data: { tone: tone(f), id: f.id, category: f.category } });
  const button = el("button", { type: "button", class: "finding-button", "aria-disabled": missing ? "true" : null },
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "finding-text" },
      el("span", { class: "finding-title", text: f.title || categoryLabel(f.category) }),
      el("span", { class: "finding-cat", text: categoryLabel(f.category) }),
      excerpt(f)));
  button.addEventListener("click", () => ctx.scrollTo(f, row));
  row.append(button);
  if (missing) {
    row.classList.add("missing");
    row.append(el("div", { class: "missing-note" },
      el("span", { class: "tag", text: "not found on page" }),
      ctx.reportUrl ? el("a", { href: ctx.reportUrl, target: "_blank", rel: "noopener", text: "see it in the reader view",
        onclick: (e) => { e.preventDefault(); openTab(ctx.reportUrl); } }) : null));
  }
  return row;
}

function findingGroups(findings, ctx) {
  const order = [...SEVERITIES, "protection"];
  const sections = [];
  for (const key of order) {
    const items = findings.filter((f) => tone(f) === key);
    if (!items.length) continue;
    sections.push(el("section", { class: "group", data: { tone: key } },
      el("h2", {}, el("span", { class: "dot", "aria-hidden": "true" }),
        `${key === "protection" ? "Protections" : SEVERITY_LABELS[key]} `, el("span", { class: "muted", text: `(${items.length})` })),
      el("ul", { class: "findings" }, ...items.map((f) => findingItem(f, ctx)))));
  }
  if (!sections.length) {
    return el("p", { class: "empty", text: "No risky clauses found on this page. clausewatch only knows the clauses its rules describe: read the terms that matter to you." });
  }
  return el("div", { id: "findings" }, ...sections);
}

function showResult(tabId, data) {
  const { analysis, site } = data;
  const findings = analysis.result.findings ?? [];
  const reportUrl = resolveReport(analysis);
  const ctx = {
    missing: new Set(analysis.missing ?? []),
    reportUrl,
    scrollTo: async (f, row) => {
      if (analysis.kind === "pdf") {
        // The PDF viewer cannot be marked: the reader view shows the clause, highlighted.
        if (reportUrl) openTab(`${reportUrl}#c${f.start}`);
        return;
      }
      const res = await send({ type: "scroll-to", tabId, findingId: f.id });
      row.classList.toggle("missing", !(res.ok && res.data?.found));
      row.querySelector(".where-note")?.remove();
      if (res.ok && res.data?.found && res.data.visible === false) {
        // It is on the page but stays hidden (a section that would not open): say where.
        row.append(el("div", { class: "where-note muted small", text: res.data.where
          ? `It is in a hidden part of the page, under “${res.data.where}”.`
          : "It is in a hidden part of the page; see it in the reader view." }));
      }
    },
  };
  let on = analysis.highlights !== false;
  const toggle = el("button", { type: "button", id: "toggle-highlights", class: "secondary", "aria-pressed": String(on) });
  const label = () => { toggle.textContent = on ? "Hide highlights" : "Show highlights"; toggle.setAttribute("aria-pressed", String(on)); };
  label();
  toggle.addEventListener("click", async () => {
    const res = await send({ type: "set-highlights", tabId, on: !on });
    if (res.ok) { on = res.data.on; label(); }
  });
  const reader = reportUrl
    ? el("a", { id: "reader-link", class: "secondary", href: reportUrl, target: "_blank", rel: "noopener", text: "Reader view ↗",
      onclick: (e) => { e.preventDefault(); openTab(reportUrl); } })
    : null;

  // The server says whether this page is one of the vendor's listed policies (then its grade is
  // the vendor's, and the badge's).
  const ownDoc = Boolean(analysis.result.vendor?.doc_type);
  if (!isGraded(analysis.result)) {
    // No grade for the page; on a vendor's site the vendor's own grade is still worth showing.
    show(ownDoc ? null : siteBlock(tabId, site), statusBlock(analysis, reportUrl));
    document.body.dataset.state = "status";
    return;
  }
  const changes = changesBlock(analysis.result.changes, "Changed since you last read it");
  const missingCount = ctx.missing.size;
  const pdfNote = analysis.kind === "pdf"
    ? el("p", { class: "muted small", id: "pdf-note", text: "This is a PDF: your browser's PDF viewer cannot be marked, so the highlights are in the reader view. Click a finding to open it there." })
    : null;
  show(gradeBlock(analysis), ownDoc ? null : siteLine(site), changes,
    el("div", { class: "actions" }, analysis.kind === "pdf" ? null : toggle, reader),
    pdfNote,
    categoryChips(findings),
    missingCount ? el("p", { class: "muted small", text: `${missingCount} of ${plural(findings.length, "finding")} could not be placed on the page; they are marked below.` }) : null,
    findingGroups(findings, ctx));
  document.body.dataset.state = "result";
}

async function run() {
  const tabId = await targetTabId();
  show(loadingNode);
  document.body.dataset.state = "loading";
  const res = await send({ type: "analyze", tabId });
  if (res.ok) {
    showResult(tabId, res.data);
    return;
  }
  showError(res.error, run);
  document.body.dataset.state = "error";
  if (res.error?.kind === "page") {
    // The page cannot be read, but a known vendor's grade can still be shown.
    const known = await send({ type: "tab-state", tabId });
    const block = known.ok ? siteBlock(tabId, known.data.site) : null;
    if (block) {
      show(block, el("p", { class: "muted small", id: "page-unreadable",
        text: "This page itself could not be read, so nothing is highlighted here. The grade above is for the site's own terms." }));
      document.body.dataset.state = "site";
    }
  }
}

const loadingNode = document.getElementById("loading");
document.getElementById("options").addEventListener("click", () => ext.runtime.openOptionsPage());
run().catch((err) => showError({ kind: "internal", message: String(err?.message ?? err) }, run));
