"""Reading point codes as people type them.

Only the text is handled here (case, spaces, separators); which code an alias
such as ``yintang`` stands for is the atlas's business
(:meth:`acuface.atlas.Atlas.lookup`).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[,;]")


def normalise_code(text: str) -> str:
    """Return a typed point code trimmed and upper-cased (``" st2 "`` -> ``"ST2"``)."""
    return text.strip().upper()


def split_codes(text: str) -> list[str]:
    """Split a typed list of point codes (``"ST2, li20; yintang"``).

    Parameters
    ----------
    text : str
        Codes separated by commas or semicolons.

    Returns
    -------
    list of str
        Each code trimmed (case kept, so that messages quote what was typed),
        empty entries dropped, in the order typed (duplicates kept: the caller
        decides what they mean).
    """
    return [code for code in (part.strip() for part in _SEPARATORS.split(text)) if code]
