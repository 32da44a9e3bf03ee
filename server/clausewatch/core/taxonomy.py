"""The category ids of shared/TAXONOMY.md: the contract that rules, API, extension and history speak."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("critical", "high", "medium", "low")
# Lower rank = worse; sorting findings by rank puts the worst first.
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    severity: str
    polarity: str  # "risk" or "protection"
    claudette: str | None
    title: str
    explanation: str


def _risk(id, severity, claudette, title, explanation):
    return Category(id, severity, "risk", claudette, title, explanation)


def _protection(id, title, explanation):
    return Category(id, "low", "protection", None, title, explanation)


CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in (
        # Your content and your data
        _risk("ai_training", "critical", None, "AI training",
              "Your content, usage or service data may be used to train or improve AI or machine-learning models."),
        _risk("content_license", "high", None, "Broad licence to your content",
              "You give them a broad licence to what you upload: perpetual, irrevocable, worldwide, "
              "royalty-free, sublicensable or transferable."),
        _risk("moral_rights_waiver", "medium", None, "Moral rights or feedback given away",
              "You waive your moral rights, or the feedback and ideas you send become theirs."),
        _risk("content_access", "high", None, "They may read your content",
              "They may access, review, scan or disclose your private content or messages."),
        _risk("data_sale", "high", None, "Personal data sold",
              "Your personal data may be sold or exchanged for something of value."),
        _risk("third_party_sharing", "high", None, "Shared with third parties",
              "Your personal data goes to advertisers, partners, data brokers or other third parties "
              "beyond what the service needs."),
        _risk("tracking", "high", None, "Tracking across sites",
              "You may be tracked across other sites or apps, with advertising cookies, pixels, beacons "
              "or fingerprinting."),
        _risk("sensitive_data", "high", None, "Sensitive data collected",
              "They collect sensitive data: precise location, biometrics, health, contacts, or data about "
              "people who are not users."),
        _risk("data_retention", "medium", None, "Data kept for long",
              "Your data may be kept indefinitely, after you delete your account, or for as long as they see fit."),
        _risk("no_deletion", "high", None, "Data cannot be fully deleted",
              "Your account or data cannot be deleted, or deleted content stays in backups or copies."),
        _risk("business_transfer", "low", None, "Data passes to a buyer",
              "Your data may pass to another company in a merger, acquisition or bankruptcy."),
        _risk("government_access", "medium", None, "Disclosure to authorities",
              "Your data may be disclosed to authorities, possibly without telling you."),
        _risk("no_opt_out", "high", None, "No way to opt out",
              "There is no way to refuse this practice, or the only way out is to stop using the service."),
        _risk("do_not_track", "low", None, "Privacy signals ignored",
              "Browser privacy signals such as Do Not Track or Global Privacy Control are ignored."),
        # The contract
        _risk("unilateral_change", "high", "ch", "Terms can change at any time",
              "They may change the terms or prices whenever they like, with little or no notice."),
        _risk("contract_by_using", "medium", "use", "Bound just by using it",
              "Merely using the site or service binds you to these terms."),
        _risk("unilateral_termination", "high", "ter", "Account can be closed at will",
              "They may suspend or close your account at any time, for any reason or none."),
        _risk("content_removal", "medium", "cr", "Your content can be removed",
              "They may remove your content at their sole discretion, without notice."),
        _risk("auto_renewal", "medium", None, "Automatic renewal or no refunds",
              "Subscriptions renew automatically, fees are non-refundable, or prices change at their say."),
        _risk("privacy_included", "low", "pinc", "Privacy policy accepted with the terms",
              "Agreeing to these terms also means accepting the privacy policy."),
        # Disputes and liability
        _risk("arbitration", "high", "a", "Binding arbitration",
              "Disputes go to binding arbitration instead of a court."),
        _risk("class_action_waiver", "high", "a", "No class actions or jury",
              "You give up class actions or a jury trial."),
        _risk("jurisdiction", "medium", "j", "Courts far from you",
              "Disputes must be heard in courts that may be far from where you live."),
        _risk("choice_of_law", "low", "law", "Foreign law governs",
              "A law other than your own governs the contract."),
        _risk("liability_limitation", "medium", "ltd", "Liability limited",
              "The company limits or excludes its liability, warranties or the damages you can claim."),
        _risk("indemnification", "medium", None, "You pay their costs",
              "You must cover the company's costs and claims arising from your use."),
        # Protections: shown in green, never counted as risks
        _protection("commitment_no_ai_training", "No AI training on your content",
                    "They commit not to use your content to train AI models."),
        _protection("commitment_no_sale", "Your data is not sold",
                    "They commit not to sell your personal data."),
        _protection("advance_notice_of_changes", "Notice before changes",
                    "They promise to tell you in advance before the terms change."),
        _protection("opt_out_available", "You can opt out",
                    "You can refuse or switch off this practice."),
        _protection("deletion_available", "You can delete your data",
                    "You can delete your account or ask for your data to be deleted."),
    )
}

CLAUDETTE_LABELS = ("a", "ch", "cr", "j", "law", "ltd", "ter", "use", "pinc")
# ToS-50 (UNFAIR-ToS) has no `pinc`; its macro average is over these 8.
TOS50_LABELS = CLAUDETTE_LABELS[:-1]


def to_claudette(category_id: str) -> str | None:
    category = CATEGORIES.get(category_id)
    return category.claudette if category else None
