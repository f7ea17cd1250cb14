"""Every bad photo gets a specific error with a message a practitioner can act on."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from acuface.errors import (
    CorruptImage,
    ImageTooLarge,
    ImageTooSmall,
    NotAnImage,
    UnsupportedImage,
)
from acuface.locator.image import load_image


def test_reads_jpeg_as_rgb(obama_path) -> None:
    img = load_image(obama_path)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


def test_text_file_is_not_an_image(tmp_path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_text("client notes, not a photo")
    with pytest.raises(NotAnImage, match="text file"):
        load_image(p)


def test_pdf_is_named(tmp_path) -> None:
    with pytest.raises(NotAnImage, match="PDF"):
        load_image(b"%PDF-1.7\n%binary stuff here\n")


def test_truncated_jpeg_is_corrupt(obama_path) -> None:
    data = obama_path.read_bytes()
    with pytest.raises(CorruptImage, match="damaged or truncated"):
        load_image(data[: len(data) // 3])


def test_empty_file(tmp_path) -> None:
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    with pytest.raises(CorruptImage, match="empty"):
        load_image(p)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(NotAnImage, match="no such file"):
        load_image(tmp_path / "nope.jpg")


def test_gif_is_unsupported() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (100, 100), "white").save(buf, format="GIF")
    with pytest.raises((UnsupportedImage, NotAnImage)):
        load_image(buf.getvalue())


def test_decompression_bomb_refused_before_decoding() -> None:
    # 9000x9000 of one colour compresses to ~80 kB but is 81 MP: over our
    # 50 MP limit, which is checked from the header alone.
    buf = io.BytesIO()
    Image.new("L", (9000, 9000), 0).save(buf, format="PNG")
    data = buf.getvalue()
    assert len(data) < 1_000_000
    with pytest.raises(ImageTooLarge, match="MP limit"):
        load_image(data)


def test_too_many_bytes(obama_path) -> None:
    with pytest.raises(ImageTooLarge, match="limit"):
        load_image(obama_path, max_bytes=1000)


def test_tiny_image() -> None:
    with pytest.raises(ImageTooSmall, match="too small"):
        load_image(np.zeros((20, 30, 3), dtype=np.uint8))


def test_exif_orientation_is_applied(obama_path) -> None:
    img = Image.open(obama_path)
    w, h = img.size
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated; viewers turn it 90° clockwise
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    arr = load_image(buf.getvalue())
    assert arr.shape[:2] == (w, h)


def test_greyscale_and_rgba_arrays_become_rgb() -> None:
    grey = np.full((100, 100), 128, dtype=np.uint8)
    assert load_image(grey).shape == (100, 100, 3)
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)
    assert load_image(rgba).shape == (100, 100, 3)
    with pytest.raises(UnsupportedImage, match="uint8"):
        load_image(np.zeros((100, 100, 3), dtype=np.float32))
