// Words and colours shared by the worker, the popup and (through the worker) the content script.
// Category ids come from ../shared/TAXONOMY.md; an unknown id still gets a readable label.

export const CATEGORY_LABELS = {
  ai_training: "AI training",
  content_license: "Broad licence to your content",
  moral_rights_waiver: "Moral rights or feedback given away",
  content_access: "They may read your content",
  data_sale: "Personal data sold",
  third_party_sharing: "Shared with third parties",
  tracking: "Tracking across sites",
  sensitive_data: "Sensitive data collected",
  data_retention: "Data kept for long",
  no_deletion: "Data cannot be fully deleted",
  business_transfer: "Data passes to a buyer",
  government_access: "Disclosure to authorities",
  no_opt_out: "No way to opt out",
  do_not_track: "Privacy signals ignored",
  unilateral_change: "Terms can change at any time",
  contract_by_using: "Bound just by using it",
  unilateral_termination: "Account can be closed at will",
  content_removal: "Your content can be removed",
  auto_renewal: "Automatic renewal or no refunds",
  privacy_included: "Privacy policy accepted with the terms",
  arbitration: "Binding arbitration",
  class_action_waiver: "No class actions or jury",
  jurisdiction: "Courts far from you",
  choice_of_law: "Foreign law governs",
  liability_limitation: "Liability limited",
  indemnification: "You pay their costs",
  commitment_no_ai_training: "No AI training on your content",
  commitment_no_sale: "Your data is not sold",
  advance_notice_of_changes: "Notice before changes",
  opt_out_available: "You can opt out",
  deletion_available: "You can delete your data",
};

export function categoryLabel(id) {
  if (CATEGORY_LABELS[id]) return CATEGORY_LABELS[id];
  const words = String(id ?? "").replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "Other";
}

// Worst first. "protection" is not a severity but sorts and colours like one.
export const SEVERITIES = ["critical", "high", "medium", "low"];

export const SEVERITY_LABELS = {
  critical: "Critical",
  high: "High",
  medium: "Medium",
  low: "Low",
  protection: "Protection",
};

// A finding's colour key: its severity, or "protection" for good news.
export function tone(finding) {
  return finding.polarity === "protection" ? "protection" : finding.severity;
}

export const GRADE_MEANINGS = {
  A: "few or no risky clauses",
  B: "some risky clauses, none severe",
  C: "several risky clauses, or a critical one",
  D: "many risky clauses",
  E: "a great many serious risky clauses",
};

// Badge background and text colours per grade; contrast checked for the white or dark text.
export const GRADE_COLOURS = {
  A: { bg: "#15803d", fg: "#ffffff" },
  B: { bg: "#65a30d", fg: "#ffffff" },
  C: { bg: "#facc15", fg: "#1f2937" },
  D: { bg: "#ea580c", fg: "#ffffff" },
  E: { bg: "#b91c1c", fg: "#ffffff" },
};
export const PENDING_COLOUR = { bg: "#6b7280", fg: "#ffffff" };

// "1 risk", "2 risks": every count the user reads goes through here.
export function plural(n, one, many = `${one}s`) {
  const count = Number(n) || 0;
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

// Why a page has no grade (the server's `status`); the server's own sentence wins when it sent one.
export function statusMessage(result) {
  if (result?.message) return result.message;
  if (result?.status === "unsupported_language") {
    return `clausewatch reads English terms for now; this page is in ${result.language_name ?? result.language ?? "another language"}`;
  }
  if (result?.status === "not_a_policy") return "This page doesn't look like terms or a privacy policy";
  return "";
}

export function isGraded(result) {
  return !result?.status || result.status === "analysed";
}
