"""The PDF renderer must not loosen how client photos are decoded."""

from __future__ import annotations

import pytest

from acuface.errors import CorruptImage
from acuface.locator.image import load_image
from acuface.reports.pdf import html_to_pdf


def test_a_damaged_photo_is_still_refused_after_a_pdf_was_rendered(obama_path) -> None:
    # WeasyPrint's import sets Pillow's process-wide LOAD_TRUNCATED_IMAGES.
    assert html_to_pdf("<p>report</p>").startswith(b"%PDF")
    data = obama_path.read_bytes()
    with pytest.raises(CorruptImage, match="damaged or truncated"):
        load_image(data[: len(data) // 3])
