"""Build the small font that draws the atlas's hanzi on every machine (web pages and PDFs).

The characters are those of ``points.yaml`` (``hanzi`` of every point) and the
spaces (:data:`SPACES`). The glyphs come from Noto Sans SC (SIL Open Font License
1.1) in the npm package
``@fontsource/noto-sans-sc`` 5.3.0, fetched with the ordinary ``npm pack``; the
package ships the font in unicode-range slices, so each slice holding a needed
character is cut to those characters with fontTools and the pieces are merged
into one WOFF2 (about 20 kB) named "Acuface Hanzi".

Run after adding points with new characters::

    python scripts/build_hanzi_font.py

It writes ``src/acuface/web/static/fonts/acuface-hanzi.woff2`` and the licence
beside it; ``tests/web/test_hanzi_font.py`` fails while a character is missing.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

from acuface.atlas import load_atlas

PACKAGE = "@fontsource/noto-sans-sc@5.3.0"
FAMILY = "Acuface Hanzi"
#: Space, no-break space and ideographic space (see :func:`main`).
SPACES = (0x20, 0xA0, 0x3000)
OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "acuface" / "web" / "static" / "fonts"


def atlas_hanzi() -> str:
    """Every character of the atlas's hanzi names, sorted."""
    return "".join(sorted({c for p in load_atlas().points.values() for c in (p.hanzi or "")}))


def main() -> int:
    """Fetch the package, cut and merge the slices, write the font and its licence."""
    # The spaces too: Pango (WeasyPrint) does not choose a font for a space but draws it
    # in the font of the text around it, so a space between two hanzi (a client's name)
    # is drawn from this font whatever its unicode-range; without one it printed a box.
    need = {ord(c) for c in atlas_hanzi()} | set(SPACES)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=work, check=True)
        tgz = next(work.glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            tar.extractall(work, filter="data")
        files = work / "package" / "files"
        parts: list[Path] = []
        left = set(need)
        for slice_path in sorted(files.glob("noto-sans-sc-[0-9]*-400-normal.woff2")):
            font = TTFont(slice_path)
            have = left & set(font.getBestCmap())
            if not have:
                continue
            options = subset.Options()
            options.layout_features = []
            options.notdef_outline = True
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=have)
            subsetter.subset(font)
            font.flavor = None
            part = work / f"part-{len(parts)}.otf"
            font.save(part)
            parts.append(part)
            left -= have
        if left:
            print("missing:", "".join(chr(c) for c in sorted(left)), file=sys.stderr)
            return 1
        merged = Merger().merge([str(p) for p in parts])
        names = merged["name"]
        for record in list(names.names):
            if record.nameID in (1, 4, 16):
                names.setName(
                    FAMILY, record.nameID, record.platformID, record.platEncID, record.langID
                )
            elif record.nameID == 2 or record.nameID == 17:
                names.setName(
                    "Regular", record.nameID, record.platformID, record.platEncID, record.langID
                )
            elif record.nameID == 6:
                names.setName(
                    "AcufaceHanzi-Regular", 6, record.platformID, record.platEncID, record.langID
                )
        merged.flavor = "woff2"
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        merged.save(OUT_DIR / "acuface-hanzi.woff2")
        licence = (work / "package" / "LICENSE").read_text(encoding="utf-8")
        (OUT_DIR / "LICENSE-NotoSansSC.txt").write_text(
            "acuface-hanzi.woff2 is a subset of Noto Sans SC (from the npm package "
            f"{PACKAGE}), renamed {FAMILY!r} as the licence asks of modified versions.\n\n"
            + licence,
            encoding="utf-8",
        )
    print(f"wrote {OUT_DIR / 'acuface-hanzi.woff2'} ({len(need)} characters, {len(parts)} slices)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
