"""Is this page a contract or a privacy policy at all? A cheap test that can say why.

A home page, an article or a shop has no grade to give: grading it would tell the user "A, few
risky clauses" about a page that has no clauses. Three signals, each a number a person can check:

- vocabulary: how many distinct contract/privacy terms (VOCABULARY: "personal data", "governing
  law", "liability", "you agree", ...) the text uses, and how dense they are per 1,000 words;
- headings: whether the title or a heading names the document ("Terms of Service", "Privacy");
- share of sentences: a short text whose sentences are mostly contract language (a pasted clause,
  a one-screen policy) is contract language, however short.

A page is a policy when it uses many distinct terms, or some terms and names itself a policy, or
is dense with them; a page with no such language (a home page, an article, a shop) is not. The thresholds come from bench/policy_check.py: on the 150 real policy
pages of ../shared/data/pages and our own non-policy pages (tests/fixtures/not_policies/), figures
in bench/policy_check.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import regex

# Distinct terms enough on their own, and the smaller number enough with a policy-like heading.
STRONG_TERMS = 8
TITLED_TERMS = 3
MIN_DENSITY = 4.0  # terms per 1,000 words, so that a long article that mentions "privacy" once does not pass
# Half the sentences or more use a term: a short text made of contract language ("Any dispute shall go
# to binding arbitration. We may sell your personal information.") is graded, however short.
SENTENCE_SHARE, DENSE_MIN_WORDS = 0.5, 5  # "Redirecting to legal.example" is no clause
SENTENCE_END = regex.compile(r"(?<=[.!?;:])\s+|\n+")
PROSE_WORDS = 8  # a block shorter than this is a link, a button or a label, not prose

# One entry per idea; each counts once however often it appears (distinct terms), and every
# occurrence counts towards the density.
VOCABULARY = {
    "agreement": r"\bagreements?\b",
    "terms": r"\bterms\W+(?:of\W+(?:service|use|sale)|and\W+conditions)\b",
    "privacy": r"\bprivacy\b",
    "personal data": r"\bpersonal(?:ly)?\W+(?:data|information|identifiable)\b",
    "collect": r"\bcollect(?:s|ed|ion|ing)?\b",
    "third party": r"\bthird[\W_]+part(?:y|ies)\b",
    "consent": r"\bconsent(?:s|ed)?\b",
    "cookies": r"\bcookies?\b",
    "liability": r"\bliab(?:le|ility|ilities)\b",
    "warranty": r"\bwarrant(?:y|ies)\b",
    "indemnify": r"\bindemnif",
    "governing law": r"\bgoverning\W+law\b|\blaws?\W+of\W+the\W+state\b|\bgoverned\W+by\W+the\W+laws?\b",
    "arbitration": r"\barbitrat",
    "jurisdiction": r"\bjurisdiction",
    "termination": r"\bterminat(?:e|es|ed|ion)\b",
    "license": r"\blicen[cs]e",
    "intellectual property": r"\bintellectual\W+property\b",
    "you agree": r"\byou\W+(?:agree|acknowledge|consent)\b",
    "shall": r"\bshall\b",
    "disclose": r"\bdisclos(?:e|es|ed|ure)\b",
    "retain": r"\bretention\b|\bretain(?:s|ed)?\b",
    "rights": r"\byour\W+rights\b|\bright\W+to\W+(?:access|delete|object|opt)",
    "opt out": r"\bopt(?:[\W_]+|-)?out\b",
    "data protection": r"\bdata\W+(?:protection|controller|processor|subject)\b|\bgdpr\b|\bccpa\b",
    "applicable law": r"\bapplicable\W+laws?\b",
    "prohibited": r"\bprohibit(?:ed|s)?\b|\byou\W+(?:may|must)\W+not\b",
    "notice": r"\b(?:prior|advance|written)\W+notice\b",
    "service provider": r"\bservice\W+providers?\b",
    "account": r"\byour\W+account\b",
    "your content": r"\b(?:your|user)\W+content\b",
    "changes to terms": r"\b(?:modify|change|amend|update|revise)\w*\W+(?:these|this|our|the)\W+(?:terms|policy|agreement)\b",
    "pursuant": r"\bpursuant\b|\bhereby\b|\bherein\b|\bthereof\b",
    "policy": r"\bpolic(?:y|ies)\b",
    "comply": r"\bcompl(?:y|ies|iance)\b|\badhere\b|\bin\W+accordance\W+with\b",
    "violate": r"\bviolat(?:e|es|ed|ing|ion|ions)\b",
    "permitted": r"\b(?:permitted|permissible|unauthori[sz]ed)\b",
    "law": r"\blaws?\b|\blegal\b|\bregulations?\b",
    "registered office": r"\bregistered\W+(?:office|address|number)\b|\bcompany\W+regist",
}
WORD = regex.compile(r"\p{L}+")  # "·" and "|" between footer links are no words
TERMS = {name: regex.compile(pattern, regex.IGNORECASE) for name, pattern in VOCABULARY.items()}
HEADING = regex.compile(
    r"\b(?:terms|privacy|policy|policies|agreement|conditions|legal|notice|eula|cookies?|gdpr|"
    r"data\W+protection|acceptable\W+use|licen[cs]e|guidelines|imprint|usage|subprocessors?)\b", regex.IGNORECASE)


@dataclass(slots=True)
class PolicyCheck:
    is_policy: bool
    words: int
    terms: list[str]  # the distinct vocabulary entries found
    density: float  # vocabulary hits per 1,000 words
    titled: bool  # the title or a heading names a terms or privacy document
    reason: str  # one sentence a person can read

    def to_dict(self) -> dict:
        return asdict(self)


def check(text: str, title: str = "", blocks=None) -> PolicyCheck:
    """`blocks` are the extraction's segment.Blocks; without them the text's paragraphs are used."""
    spans = [text[b.start:b.end] for b in blocks] if blocks else text.split("\n\n")
    kinds = [b.kind for b in blocks] if blocks else ["text"] * len(spans)
    # Vocabulary counts in prose only: a footer's "Terms · Privacy Policy · Cookies" links are on
    # every page, policy or not.
    prose = "\n".join(s for s, k in zip(spans, kinds) if k != "heading" and len(WORD.findall(s)) >= PROSE_WORDS)
    if len(spans) == 1:
        prose = text  # one short paragraph is all there is: it is the prose
    headings = [s for s, k in zip(spans, kinds) if k == "heading"][:50]
    words = len(text.split())
    found, hits = [], 0
    for name, pattern in TERMS.items():
        n = sum(1 for _ in pattern.finditer(prose))
        if n:
            found.append(name)
            hits += n
    density = round(1000 * hits / max(words, 1), 1)
    sentences = [x for x in SENTENCE_END.split(prose) if len(WORD.findall(x)) >= 3]
    with_terms = sum(1 for x in sentences if any(p.search(x) for p in TERMS.values()))
    share = with_terms / len(sentences) if sentences else 0.0
    titled = any(HEADING.search(h) for h in [title, *headings] if h)
    if share >= SENTENCE_SHARE and words >= DENSE_MIN_WORDS:
        ok, reason = True, f"{with_terms} of {len(sentences)} sentences use contract or privacy terms"
    elif density < MIN_DENSITY:
        ok, reason = False, f"{density} contract or privacy terms per 1,000 words: too few for a policy"
    elif len(found) >= STRONG_TERMS:
        ok, reason = True, f"{_terms(len(found))}"
    elif titled and len(found) >= TITLED_TERMS:
        ok, reason = True, f"a terms or privacy heading and {len(found)} distinct contract or privacy terms"
    else:
        ok, reason = False, (f"{_terms(len(found))}"
                             + ("" if titled else " and no terms or privacy heading"))
    return PolicyCheck(ok, words, found, density, titled, reason)



def _terms(n: int) -> str:
    return f"{n} distinct contract or privacy term{'' if n == 1 else 's'}"
