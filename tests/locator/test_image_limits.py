"""Extreme image sizes are refused from the header, and Pillow's strictness is our own.

OpenCV aborts the whole process (SIGABRT, not an exception) on images with a side
near 32767 px; such a PNG is a few kB and far under the pixel limit, so only a
limit on the side and on the aspect ratio, checked before decoding, keeps it away.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from acuface.errors import CorruptImage, ImageTooLarge, UnsupportedImage
from acuface.locator.image import MAX_ASPECT, MAX_SIDE_PX, load_image


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims *width* x *height* but whose pixel data is garbage."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"not zlib at all")
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(32767, 100), (100, 32767), (MAX_SIDE_PX + 1, 1000)])
def test_a_side_over_the_limit_is_refused_from_the_header(size: tuple[int, int]) -> None:
    # The pixel data is garbage: decoding it would say "damaged"; the header check
    # answers first, naming the limit.
    with pytest.raises(ImageTooLarge, match=f"{MAX_SIDE_PX} px limit"):
        load_image(_png_header_only(*size), name="strip.png")


def test_a_strip_is_refused_with_the_ratio_in_the_message() -> None:
    with pytest.raises(UnsupportedImage, match=f"at most {MAX_ASPECT:g} times"):
        load_image(_png_header_only(4100, 1000), name="strip.png")
    # A tall portrait at the ratio limit is fine as far as the size goes (then the
    # garbage pixel data is found damaged).
    with pytest.raises(CorruptImage):
        load_image(_png_header_only(1000, 4000), name="tall.png")


def test_the_old_killer_photo_no_longer_aborts_the_process(tmp_path: Path) -> None:
    # A real, valid 32767 x 100 PNG used to abort the process inside OpenCV during
    # the pose check. Run it in a child so a regression cannot take pytest down.
    path = tmp_path / "killer.png"
    Image.new("RGB", (32767, 100), (200, 150, 120)).save(path)
    code = (
        "import sys\n"
        "from acuface.clinic.services.photos import check_photo\n"
        "from acuface.errors import ImageTooLarge\n"
        "try:\n"
        f"    check_photo(open({str(path)!r}, 'rb').read())\n"
        "except ImageTooLarge as exc:\n"
        "    print('refused:', exc.message)\n"
        "    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert "32767×100 px" in r.stdout


def test_a_truncated_jpeg_is_refused_even_after_weasyprint_switched_pillow(
    obama_path: Path,
) -> None:
    from acuface.reports.pdf import html_to_pdf

    assert html_to_pdf("<p>first a PDF</p>").startswith(b"%PDF")
    # WeasyPrint's import turns Pillow's process-wide switch on ...
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    cut = obama_path.read_bytes()[:60_000]
    with pytest.raises(CorruptImage, match="damaged or truncated"):
        load_image(cut, name="cut.jpg")
    # ... and our decode leaves it as WeasyPrint wants it.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    # Pillow itself, with the switch on, would have taken the cut photo as complete.
    img = Image.open(io.BytesIO(cut))
    img.load()
    assert img.size == Image.open(obama_path).size
