"""In a printed line that mixes hanzi and Latin, only the hanzi come from the hanzi font.

The shipped hanzi font (``Acuface Hanzi``) has no brackets or Latin letters (and had no
space). With it first in the font list, the space after "足三里" in "Zusanli 足三里 (Leg
Three Miles)" was drawn from it: a missing-glyph box in the handout's ST36 row. The
checks read each embedded font's ToUnicode map (the characters the PDF draws with it)
and the font's own character map, so they do not depend on how a viewer draws the box.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

import pytest
from fontTools.ttLib import TTFont

from acuface.planner import Intake, PlanOptions, make_plan
from acuface.reports.handout import render_handout_html, render_handout_pdf

_OBJ = re.compile(rb"(\d+) 0 obj\s*(<<.*?>>)\s*stream\r?\n", re.S)
_PLAIN = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)


def _objects(pdf: bytes) -> dict[int, bytes]:
    """Every object's text: stream objects decompressed, object streams opened."""
    objects = {int(n): body for n, body in _PLAIN.findall(pdf)}
    for m in _OBJ.finditer(pdf):
        head = m.group(2)
        data = pdf[m.end() :]
        if b"/FlateDecode" in head:
            data = zlib.decompressobj().decompress(data)
        objects[int(m.group(1))] = head + b"\nstream\n" + data
        if b"/ObjStm" in head:
            first = int(re.search(rb"/First (\d+)", head).group(1))  # type: ignore[union-attr]
            nums = [int(x) for x in data[:first].split()]
            starts = nums[1::2] + [len(data) - first]
            for i, num in enumerate(nums[::2]):
                objects[num] = data[first + starts[i] : first + starts[i + 1]]
    return objects


def _hex_chars(text: bytes) -> str:
    raw = bytes.fromhex(text.decode("ascii"))
    return raw.decode("utf-16-be")


def _font_refs(
    objects: dict[int, bytes], *, name: bytes, ref: bytes
) -> Iterator[tuple[str, bytes]]:
    """(font name without its subset tag, the object its */ref* points to) of each font."""
    for body in objects.values():
        named = re.search(rb"/" + name + rb"\s*/(?:[A-Z]{6}\+)?([^\s/<>]+)", body)
        pointed = re.search(rb"/" + ref + rb"\s+(\d+)\s+0\s+R", body)
        if named and pointed:
            yield named.group(1).decode(), objects[int(pointed.group(1))]


def font_chars(pdf: bytes) -> dict[str, str]:
    """Characters each embedded font draws (subset tag dropped), from its ToUnicode map."""
    drawn: dict[str, set[str]] = defaultdict(set)
    for font, cmap in _font_refs(_objects(pdf), name=b"BaseFont", ref=b"ToUnicode"):
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
            for _, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                drawn[font].update(_hex_chars(dst))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
            ):
                start = ord(_hex_chars(dst)[-1])
                drawn[font].update(chr(start + k) for k in range(int(hi, 16) - int(lo, 16) + 1))
    return {font: "".join(sorted(chars)) for font, chars in drawn.items()}


def embedded_chars(pdf: bytes) -> dict[str, str]:
    """Characters each embedded font has (subset tag dropped), from its own cmap."""
    have: dict[str, set[str]] = defaultdict(set)
    for font, stream in _font_refs(_objects(pdf), name=b"FontName", ref=b"FontFile2"):
        cmap = TTFont(io.BytesIO(stream.split(b"\nstream\n", 1)[1])).getBestCmap()
        have[font].update(chr(c) for c in cmap)
    return {font: "".join(sorted(chars)) for font, chars in have.items()}


def missing_glyphs(pdf: bytes) -> dict[str, str]:
    """Characters the PDF draws from a font that has no glyph for them (a box)."""
    have = embedded_chars(pdf)
    missing = {n: set(chars) - set(have.get(n, "")) for n, chars in font_chars(pdf).items()}
    return {n: "".join(sorted(chars)) for n, chars in missing.items() if chars}


def _is_hanzi(char: str) -> bool:
    return 0x3400 <= ord(char) <= 0x9FFF  # the @font-face's unicode-range


@pytest.fixture(scope="module")
def st36_pdf() -> bytes:
    plan = make_plan(Intake(concerns=["eczema"]), PlanOptions(start=date(2026, 12, 3)))
    assert "Zusanli 足三里 (Leg Three Miles)" in render_handout_html(plan)
    return render_handout_pdf(plan, client_name="Mara Lindqvist")


def test_the_hanzi_font_draws_only_hanzi(st36_pdf: bytes) -> None:
    fonts = font_chars(st36_pdf)
    [hanzi_font] = [name for name in fonts if name.startswith("Acuface-Hanzi")]
    assert set("足三里") <= set(fonts[hanzi_font])
    # Before the fix the space after 足三里 was drawn from it (its missing glyph).
    assert [c for c in fonts[hanzi_font] if not _is_hanzi(c)] == []
    assert missing_glyphs(st36_pdf) == {}


def test_spaces_brackets_and_latin_come_from_the_latin_font(st36_pdf: bytes) -> None:
    fonts = font_chars(st36_pdf)
    latin = "".join(chars for name, chars in fonts.items() if name.startswith("DejaVu"))
    assert set(" ()Zusanli") <= set(latin)
    # Every hanzi is the shipped font's, none a system CJK font's (e.g. WenQuanYi).
    assert not any(_is_hanzi(c) for c in latin)
    assert all(n.startswith(("DejaVu", "Acuface-Hanzi")) for n in fonts), sorted(fonts)


@pytest.mark.parametrize("name", ["白 阳", "白\u3000阳", "白\u00a0阳"])
def test_a_space_between_two_hanzi_is_a_real_space(name: str) -> None:
    # Pango draws a space in the font of the text around it: between two hanzi, the
    # hanzi font's own (scripts/build_hanzi_font.py keeps the spaces); it had none.
    plan = make_plan(Intake(concerns=["wrinkles"]), PlanOptions(start=date(2026, 12, 3)))
    pdf = render_handout_pdf(plan, client_name=f"Ann {name} Lee")
    assert set(name) <= set("".join(font_chars(pdf).values()))
    assert missing_glyphs(pdf) == {}
