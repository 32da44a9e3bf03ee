"""Which language a document is in, judged per block so that mixed pages get the right answer.

Why py3langid (PyPI `py3langid`, a maintained port of langid.py): a 4.5 MB package with one small
naive-Bayes model over byte n-grams, pure NumPy, no network, no randomness (the same text always
gets the same answer), about 0.1 ms a sentence. lingua-language-detector is more accurate on very
short strings but ships ~100 MB of models and takes seconds to load; we judge paragraphs, where
langid is right, and short strings ("OK", "Accept all") are ignored anyway.

Mixed pages: every block of at least MIN_BLOCK_LETTERS letters votes for its language with its
length in characters. The document's language is the one with the largest share, so a German page
with an English cookie banner is German and an English policy with a short French paragraph is
English. Only English is analysed (the rules and the model read English).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

import regex

SUPPORTED = ("en",)
MIN_BLOCK_LETTERS = 25  # below this a block ("Accept all", "OK", a heading) is too short to judge
MAX_CHARS = 60_000  # the first 60k characters are plenty to know a page's language
LETTER = regex.compile(r"\p{L}")

# Names for the languages people are likely to meet; any other code is shown as it is.
NAMES = {
    "en": "English", "de": "German", "fr": "French", "it": "Italian", "es": "Spanish",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "no": "Norwegian", "nb": "Norwegian", "fi": "Finnish", "cs": "Czech", "sk": "Slovak",
    "hu": "Hungarian", "ro": "Romanian", "el": "Greek", "tr": "Turkish", "ru": "Russian",
    "uk": "Ukrainian", "bg": "Bulgarian", "hr": "Croatian", "sl": "Slovenian", "lt": "Lithuanian",
    "lv": "Latvian", "et": "Estonian", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
    "ar": "Arabic", "he": "Hebrew", "hi": "Hindi", "id": "Indonesian", "vi": "Vietnamese",
    "th": "Thai", "ca": "Catalan", "lb": "Luxembourgish",
}


@dataclass(slots=True)
class Language:
    code: str  # ISO 639-1, or "und" when there was nothing to judge
    share: float  # the share of the judged characters in that language
    english_share: float

    @property
    def name(self) -> str:
        return language_name(self.code)

    @property
    def supported(self) -> bool:
        # Nothing long enough to judge (a near-empty page) is left to the policy check, not refused here.
        return self.code in SUPPORTED or self.code == "und"


# A clause this long is judged on its own (lowercased: langid reads English in capitals as
# Nigerian Pidgin or Sesotho). Over 10,763 English sentences of the selection set and CLAUDETTE
# 2024 en, 13 were judged another language, all addresses and lists of countries; of 18,059
# German, Italian and Polish ones of CLAUDETTE 2024, 66 were judged English.
MIN_CLAUSE_LETTERS = 40
CLAUSE_CHARS = 1_000  # enough to know; a hostile 100k-character clause costs no more


def in_another_language(clause: str) -> bool:
    """A clause long enough to judge that is not English: the French legal-guarantee paragraphs
    of an English page for EU consumers are not read by an English model or English rules."""
    if len(LETTER.findall(clause, endpos=4 * MIN_CLAUSE_LETTERS)) < MIN_CLAUSE_LETTERS:
        return False
    return _identifier().classify(clause[:CLAUSE_CHARS].lower())[0] not in SUPPORTED


def language_name(code: str) -> str:
    return NAMES.get(code, "an unknown language" if code == "und" else code)


@functools.cache
def _identifier():
    # Loading the model (xz-compressed) takes ~1-2 s: once per process, on first use.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def detect(text: str, blocks=None) -> Language:
    """The language of `text`, by a length-weighted vote of its blocks (`segment.Block`s with
    start/end) or, without blocks, of its paragraphs."""
    text = text[:MAX_CHARS]
    if blocks:
        pieces = [text[b.start:b.end] for b in blocks if b.start < len(text)]
    else:
        pieces = text.split("\n\n")
    votes: Counter[str] = Counter()
    classify = _identifier().classify
    for piece in pieces:
        letters = len(LETTER.findall(piece))
        if letters >= MIN_BLOCK_LETTERS:
            votes[classify(piece)[0]] += letters
    if not votes:
        letters = len(LETTER.findall(text))
        if letters < MIN_BLOCK_LETTERS:
            return Language("und", 0.0, 0.0)
        votes[classify(text)[0]] += letters
    total = sum(votes.values())
    code, weight = votes.most_common(1)[0]
    return Language(code, weight / total, votes["en"] / total)
