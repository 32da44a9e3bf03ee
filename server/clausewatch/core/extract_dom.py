"""The DOM pass: every readable block of an HTML page, in document order, minus site chrome.

extract.py's primary pass (why: bench/extraction.md). Unlike trafilatura's main-content guess it
keeps accordion headings in <button>, hidden FAQ panels and text in plain <div>/<span> layouts,
and it never emits the same text twice.
"""

from __future__ import annotations

import re

# Never page text.
DROP = ("script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object", "embed",
        "canvas", "select", "option", "textarea", "input", "video", "audio", "picture", "img", "dialog")
# Site chrome by markup. Only dropped when it looks like chrome (see _is_chrome): terms pages do
# put real clauses in a <footer> or a "cookie" section.
CHROME_TAGS = {"nav", "header", "footer", "aside"}
CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "dialog", "alertdialog"}
CHROME_WORDS = re.compile(r"cookie|consent|gdpr|onetrust|banner|navbar|nav-|-nav|navigation|menu|"
                          r"breadcrumb|share|social|skip-?link|newsletter|toast|modal", re.IGNORECASE)
CONSENT = re.compile(r"cookie|consent", re.IGNORECASE)
# Unlabelled chrome found by what it says: a consent bar's buttons, a "Related articles" list.
CONSENT_BUTTON = re.compile(r"(accept|reject|allow|decline|agree|deny)\b", re.IGNORECASE)
# Not "More resources" or "See also": Meta's privacy policy uses those for its own sections.
RELATED = re.compile(r"related (articles|posts|stories)\b|you may also like", re.IGNORECASE)
# A chrome-looking element with more words than this, most of them not links, is content.
CHROME_MAX_WORDS = 120
# Only these can be chrome; a heading, paragraph or list item never is on its own.
CONTAINERS = {"div", "section", "nav", "header", "footer", "aside", "ul", "ol", "form", "span"}
# Elements that start a new block. Everything else (span, a, b, em, ...) is inline and joins
# the text around it, so a clause split by <a>/<b> stays whole.
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "body", "button", "caption", "dd", "details",
              "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
              "h4", "h5", "h6", "header", "hr", "html", "label", "legend", "li", "main", "nav", "ol", "p",
              "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
KINDS = {"h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading", "h5": "heading",
         "h6": "heading", "li": "item", "td": "cell", "th": "cell", "dt": "heading", "summary": "heading"}


def _words(s: str) -> int:
    return len(s.split())


def _is_chrome(el) -> bool:
    tag = el.tag
    if tag not in CONTAINERS:
        return False  # a heading or paragraph whose id says "cookie" is a cookie policy's text
    label = f"{el.get('id', '')} {el.get('class', '')}"
    role = el.get("role", "")
    if (el.get("aria-modal") == "true" or role in ("dialog", "alertdialog")) and \
            CONSENT.search(f"{label} {el.get('aria-label', '')} {el.text_content()[:300]}"):
        return True  # a consent pop-up can be long (Meta's is 230 words): it is never the policy
    if not (tag in CHROME_TAGS or role in CHROME_ROLES or CHROME_WORDS.search(label)):
        return False
    if next(el.iter("h1"), None) is not None:
        return False  # the document's title sits in an article <header>
    total = _words(el.text_content())
    linked = sum(_words(a.text_content()) for a in el.iter("a"))
    if linked > total / 2:
        return True  # menus, link lists, breadcrumbs
    # A short <header>/<footer> is usually a date line or a note under the policy, not chrome.
    return tag not in ("header", "footer") and total <= CHROME_MAX_WORDS


def _drop_by_content(tree) -> None:
    # From a consent button up to the largest short ancestor that speaks of cookies (OpenAI's
    # help centre bar is a bare <div class="fixed bottom-0">); from a "Related articles" heading
    # to its short section. Both are looked for from the few elements that can start them, so
    # the pass stays linear.
    starts = [(b, CONSENT) for b in tree.iter("button") if CONSENT_BUTTON.match(b.text_content().strip())]
    starts += [(h, None) for h in tree.iter("h2", "h3", "h4") if RELATED.match(h.text_content().strip())]
    for el, needs in starts:
        if el.getroottree().getroot() is not tree.getroottree().getroot():
            continue  # already dropped with an earlier one
        target = None
        for anc in el.iterancestors():
            if anc.tag not in CONTAINERS or anc.tag in ("ul", "ol", "span"):
                if anc.tag in ("body", "main", "article", "html"):
                    break
                continue
            text = anc.text_content()
            if _words(text) > CHROME_MAX_WORDS:
                break
            if needs is None or needs.search(text):
                target = anc
        if target is not None and target.getparent() is not None:
            target.drop_tree()


def clean(tree, chrome: bool = True) -> None:
    """Drop what is never policy text and, unless chrome=False, site chrome, in place."""
    for bad in tree.xpath("//" + " | //".join(DROP)):
        bad.drop_tree()
    if not chrome:
        return
    _drop_by_content(tree)
    # Outermost first, so a big content <div class="...share..."> is judged before its children
    # and a dropped element's children are not judged at all.
    todo = [tree]
    while todo:
        el = todo.pop()
        for child in list(el):
            if isinstance(child.tag, str) and _is_chrome(child):
                child.drop_tree()
            else:
                todo.append(child)


def pieces(tree) -> list[tuple[str, str]]:
    """(kind, text) for every block of the tree, in document order; <br> ends a line."""
    out: list[tuple[str, str]] = []
    open_blocks: list[tuple[str, list[str]]] = [("text", [])]  # kind and text of each open block

    def flush():
        kind, parts = open_blocks[-1]
        if "".join(parts).strip():
            out.append((kind, "".join(parts)))
        parts.clear()

    # Iterative, not recursive: a page nested a few thousand levels deep must not crash us.
    todo = [(tree, False)]
    while todo:
        el, leaving = todo.pop()
        tag = el.tag if isinstance(el.tag, str) else ""  # comments have a function as tag
        block = tag in BLOCK_TAGS
        if leaving:
            if block:
                flush()
                open_blocks.pop()
            if el.tail:
                open_blocks[-1][1].append(el.tail)
            continue
        if block:
            flush()
            # A <p> inside an <li> is still the item; a <span>/<div> inside an <h2> the heading.
            parent = open_blocks[-1][0]
            open_blocks.append((KINDS.get(tag, parent if parent in ("item", "heading") else "text"), []))
        elif tag == "br":
            flush()
        if tag and el.text:
            open_blocks[-1][1].append(el.text)
        todo.append((el, True))
        todo.extend((child, False) for child in reversed(el))
    flush()
    return out
