"""Internal keys in words: the one rule every page and printed document uses.

Data and records name things by stable keys (``liver_qi_stagnation``,
``left_oblique``); people read words ("Liver qi stagnation", "Left oblique").
"""

from __future__ import annotations

import re

#: Words that stay in capitals when a key is put into words.
ACRONYMS: frozenset[str] = frozenset(
    {"tmj", "inr", "gais", "uv", "tcm", "who", "bmi", "fhir", "csv", "pdf", "id", "ipd", "lab"}
)
_KEY_RE = re.compile(r"^[a-z0-9]+(?:[_.\-][a-z0-9]+)*$")


_EMBEDDED_RE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _words(key: str) -> str:
    return " ".join(w.upper() if w in ACRONYMS else w for w in key.split("_"))


def humanize(key: object) -> str:
    """Return an internal key as words: ``liver_qi_stagnation`` -> ``Liver qi stagnation``.

    A key alone (lower case words joined by ``_``, ``-`` or ``.``) becomes words
    with a capital; in a sentence (a stored plan's reasons, say), each
    ``snake_case`` key becomes words in place ("screening (needle phobia
    fainting)"). Point codes (``ST2``, ``EX-HN5``) and plain sentences are left as
    they are, so the filter is safe on any value.

    Parameters
    ----------
    key : object
        The key or text (``None`` gives an empty string).
    """
    if key is None:
        return ""
    text = str(key)
    if not _KEY_RE.match(text) or not re.search(r"[a-z]", text):
        return _EMBEDDED_RE.sub(lambda m: _words(m.group(0)), text)
    words = re.split(r"[_.\-]", text)
    out = [w.upper() if w in ACRONYMS else w for w in words]
    first = out[0]
    out[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(out)
