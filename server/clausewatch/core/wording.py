"""What a clause's wording says beyond its category, for core/detect.py.

TAXONOMY.md fixes what each category means and lets milder or worse wording move its default
severity. These are the readings of wording that the model does not make by itself and that
detect.py applies on top of it: a definition or a title line is not a clause to read, a sentence
that names nobody's data is no AI training, the user's recourse to a change is no power to change,
and some wording makes a risk milder. Each was found on real pages of train services and checked on
the selection set (DEVELOPERS.md, "How the encoder and the rules combine").
"""

from __future__ import annotations

import regex

from .segment import Clause

# TAXONOMY.md's AI training is "your content, usage or 'service generated' data" used to train. A
# whole sentence that names nobody's data ("OpenAI trains its models in two stages.") says how
# models are made, not what happens to the user's data, and is not read as AI training. A list item
# or a fragment (not ending in ".", "!" or "?") is exempt: "* train and build models for our services;"
# takes its data from the sentence that leads the list.
SOMEONES_DATA = regex.compile(
    r"\b(?:you|your|yours|users?|customers?|members?|people|personal|content|inputs?|outputs?|prompts?|"
    r"conversations?|chats?|messages?|data|information|materials?|feedback|usage|uploads?|files?|"
    r"recordings?|interactions?|submissions?)\b", regex.IGNORECASE)
LIST_MARK = regex.compile(r"^\W*(?:[*•·‣–-]|\(?\w{1,3}[.)])\s")
# Wording that makes a risk milder on its own (TAXONOMY.md: "A rule may raise or lower the default
# when the wording is milder"): messages about the user's own account or orders that cannot be
# refused are a way the service works, not a practice forced on the user; one step under default.
NOTICES = r"(?:messages?|communications?|e-?mails?|notices?|notifications?|announcements?)"
MILDER = {"no_opt_out": regex.compile(
    r"\b(?:services?|transactional|administrative|account|operational|product|technical|security|legal|"
    r"billing|order|non-?promotional|non-?marketing)\W+(?:\w+\W+){0,2}?" + NOTICES + r"\b"
    r"|\b" + NOTICES + r"\W+(?:\w+\W+){0,3}?required\b"
    r"|\b(?:still|continue\W+to)\W+(?:\w+\W+){0,3}?(?:send|receive|contact)\w*\W+(?:\w+\W+){0,6}?"
    r"(?:about|regarding|relat\w+\W+to|concerning)\W+(?:\w+\W+){0,4}?"
    r"(?:account|orders?|purchases?|transactions?|billing|policy|services?|subscriptions?)\b", regex.IGNORECASE)}
# TAXONOMY.md: "A heading, a table of contents line or a definition is not a finding." The model
# does not read a clause that defines a term or names a practice without saying what this company
# does ("'Content' means ...", "... is referred to under the CCPA as cross-context behavioral
# advertising"), nor a short title-case line the page did not mark as a heading ("Updates to these
# Terms."). A definition that says "we" is the practice itself ("we sell it, which is known as ...").
DEFINES = regex.compile(
    r"\b(?:is|are|be|been)\W+(?:\w+\W+)?(?:called|known\W+as|defined\W+as|classified\W+as|termed"
    r"|referred\W+to\W+(?:\w+\W+){0,4}?as)\b|^\W*[\"“][^\"”]{1,40}[\"”]\W+(?:means|shall\W+mean|refers\W+to)\b",
    regex.IGNORECASE)
DEFINITION_WORDS = 60  # a longer clause says more than a name: read it (and spare hostile text the search)
PARENTHESES = regex.compile(r"\([^()]*\)")  # "(this is called interest-based advertising)" is an aside
WE = regex.compile(r"\b(?:we|us|our)\b", regex.IGNORECASE)
TITLE_WORDS = 8
SMALL_WORDS = frozenset("a an and as at by for from in of on or our the these this to with your".split())
# A short line in capitals that says who does what is a clause all the same ("IN NO EVENT SHALL WE BE LIABLE").
SAYS_WHO = regex.compile(r"\b(?:we|you|they|us|i|may|will|shall|must|can|cannot|is|are|be|do|does|not)\b", regex.IGNORECASE)
# What the user may do if they reject a change ("If you do not agree to the revised terms, stop
# using the Service") is no power to change: that is stated in another clause. Its findings show
# at medium at most, unless a rule's escalation fired.
RECOURSE = regex.compile(r"^\W*if\W+you\W+(?:do\W+not\W+|don't\W+)?(?:agree|accept|consent|disagree|object)\w*\W+"
                         r"(?:\w+\W+){0,4}?(?:chang|modif|revis|updat|amend|new\b)", regex.IGNORECASE)


def names_no_data(clause: Clause, body: str) -> bool:
    """A whole sentence, not a list item or a fragment, that names nobody's data (SOMEONES_DATA)."""
    return (clause.kind == "text" and body.rstrip()[-1:] in (".", "!", "?") and LIST_MARK.match(body) is None
            and SOMEONES_DATA.search(body) is None)


def not_a_clause(body: str) -> bool:
    """A definition, or a title-case line the page did not mark as a heading (the note above DEFINES)."""
    words = body.split()
    if len(words) <= TITLE_WORDS and SAYS_WHO.search(body) is None and all(
            w[0].isupper() or not w[0].isalpha() or w.lower() in SMALL_WORDS for w in words):
        return True
    if len(words) > DEFINITION_WORDS:
        return False
    plain = PARENTHESES.sub("", body)
    return DEFINES.search(plain) is not None and WE.search(plain) is None


def is_recourse(body: str) -> bool:
    """The user's recourse to a change, not the change (RECOURSE)."""
    return RECOURSE.search(body) is not None


def is_milder(category: str, body: str) -> bool:
    """Wording that makes the category's risk milder than its default (MILDER)."""
    pattern = MILDER.get(category)
    return pattern is not None and pattern.search(body) is not None
