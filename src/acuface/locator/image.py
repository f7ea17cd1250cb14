"""Reading photos safely into RGB arrays.

Every photo Acuface touches enters through :func:`load_image`: the format is
judged by content (not by file name), decompression bombs are refused before
decoding, EXIF orientation is applied so points land where a person sees them,
and every failure becomes a specific :class:`~acuface.errors.ImageError`.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from acuface.errors import (
    CorruptImage,
    ImageTooLarge,
    ImageTooSmall,
    NotAnImage,
    UnsupportedImage,
)

#: Formats Acuface reads (Pillow format names).
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "TIFF", "MPO"})
#: Refuse images with more pixels than this (about 50 MP; a 2× phone photo).
DEFAULT_MAX_PIXELS = 50_000_000
#: Refuse files larger than this many bytes.
DEFAULT_MAX_BYTES = 40 * 1024 * 1024
#: Smallest image side we try to find a face in.
MIN_SIDE_PX = 64
#: Longest side accepted. OpenCV aborts the whole process on images with a side
#: near 32767 px (16-bit coordinates inside its warps), so such images must never
#: reach it; 10000 px is more than any camera we expect (50 MP is 8700x5800).
MAX_SIDE_PX = 10_000
#: Largest ratio of the long to the short side: a face photo is never a 1:5 strip,
#: and extreme strips are what break image libraries.
MAX_ASPECT = 4.0

_PILLOW_LOCK = threading.Lock()


@contextmanager
def strict_pillow() -> Iterator[None]:
    """Decode with Pillow's strict settings, whatever another library set globally.

    Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` is a process-wide switch, and
    importing WeasyPrint turns it on, after which a truncated upload would decode
    as a grey-bottomed "good" photo. Our decodes set it off for their own
    duration (under a lock, so two of our decodes cannot interleave) and restore
    the previous value for the library that wanted it.
    """
    with _PILLOW_LOCK:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


ImageSource = str | Path | bytes | NDArray[np.uint8]

_MAGIC = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or Office document)",
    b"GIF8": "a GIF animation",
}


def _describe_non_image(head: bytes) -> str:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "a HEIC photo"
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "not a recognised image"


def load_image(
    source: ImageSource,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> NDArray[np.uint8]:
    """Read a photo into an RGB array with its EXIF orientation applied.

    Parameters
    ----------
    source : str, Path, bytes or (H, W, 3) ndarray of uint8
        A file path, the file's bytes, or an RGB array (returned as a
        C-contiguous copy after shape checks).
    max_pixels : int, keyword-only
        Decompression-bomb guard: images with more pixels are refused before
        decoding.
    max_bytes : int, keyword-only
        Files larger than this are refused unread.
    name : str, optional, keyword-only
        Name used in messages (defaults to the path).

    Returns
    -------
    (H, W, 3) ndarray of uint8
        The image in RGB order.

    Raises
    ------
    NotAnImage, UnsupportedImage, CorruptImage, ImageTooLarge, ImageTooSmall
        With a message naming the file and what to do.
    """
    if isinstance(source, np.ndarray):
        label = name or "image array"
        if source.ndim >= 2:
            check_dimensions(int(source.shape[1]), int(source.shape[0]), label, max_pixels)
        return _check_array(source, label)
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = name or str(path)
        if not path.exists():
            raise NotAnImage(f"{label}: no such file.")
        if path.is_dir():
            raise NotAnImage(f"{label}: is a folder, not a photo.")
        size = path.stat().st_size
        if size > max_bytes:
            raise ImageTooLarge(
                f"{label}: file is {size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
                "Export a smaller JPEG."
            )
        data = path.read_bytes()
    else:
        data = bytes(source)
        label = name or "uploaded file"
        if len(data) > max_bytes:
            raise ImageTooLarge(
                f"{label}: file is {len(data) / 1e6:.0f} MB; the limit is "
                f"{max_bytes / 1e6:.0f} MB. Export a smaller JPEG."
            )
    if not data:
        raise CorruptImage(f"{label}: the file is empty.")
    return _decode(data, label, max_pixels)


def check_dimensions(width: int, height: int, label: str, max_pixels: int) -> None:
    """Refuse image sizes that are bombs or that image libraries cannot handle.

    Called on the header's size, before any pixel is decoded.

    Raises
    ------
    ImageTooLarge
        More pixels than *max_pixels*, or a side longer than :data:`MAX_SIDE_PX`.
    UnsupportedImage
        Long side more than :data:`MAX_ASPECT` times the short side.
    """
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{label}: {width}×{height} px is more than the {max_pixels / 1e6:.0f} MP limit "
            "(decompression-bomb guard). Resize the photo to under 8000 px on its long side."
        )
    if max(width, height) > MAX_SIDE_PX:
        raise ImageTooLarge(
            f"{label}: {width}×{height} px has a side longer than the {MAX_SIDE_PX} px limit. "
            "Resize the photo (2000-4000 px on the long side is plenty)."
        )
    if min(width, height) > 0 and max(width, height) / min(width, height) > MAX_ASPECT:
        raise UnsupportedImage(
            f"{label}: {width}×{height} px is a strip, not a portrait: the long side may be at "
            f"most {MAX_ASPECT:g} times the short side. Crop the photo to the face."
        )


def _decode(data: bytes, label: str, max_pixels: int) -> NDArray[np.uint8]:
    with strict_pillow():
        return _decode_strict(data, label, max_pixels)


def _decode_strict(data: bytes, label: str, max_pixels: int) -> NDArray[np.uint8]:
    with warnings.catch_warnings():
        # Pillow warns (not raises) between 1x and 2x its own limit; we
        # enforce our own limit from the header alone.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return _decode_quietly(data, label, max_pixels)


def _decode_quietly(data: bytes, label: str, max_pixels: int) -> NDArray[np.uint8]:
    try:
        img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise NotAnImage(
            f"{label}: {_describe_non_image(data[:16])}, not a photo Acuface can read. "
            "Use a JPEG or PNG."
        ) from None
    except Image.DecompressionBombError:
        raise ImageTooLarge(
            f"{label}: the image has far more pixels than the {max_pixels / 1e6:.0f} MP limit "
            "(decompression-bomb guard). Resize the photo to under 8000 px on its long side."
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        # A header cut short (e.g. a truncated upload) fails inside open().
        raise CorruptImage(
            f"{label}: the image is damaged or truncated ({exc}). Re-export or re-take it."
        ) from None
    if img.format not in SUPPORTED_FORMATS:
        raise UnsupportedImage(f"{label}: {img.format} images are not supported. Use JPEG or PNG.")
    width, height = img.size
    check_dimensions(width, height, label, max_pixels)
    try:
        img.load()
        # In place, and no conversion of what is RGB already: each would copy
        # the whole picture once more before the array's own copy.
        ImageOps.exif_transpose(img, in_place=True)
        rgb = img if img.mode == "RGB" else img.convert("RGB")
    except Image.DecompressionBombError:
        raise ImageTooLarge(
            f"{label}: the image has far more pixels than the {max_pixels / 1e6:.0f} MP limit "
            "(decompression-bomb guard). Resize the photo to under 8000 px on its long side."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage(
            f"{label}: the image is damaged or truncated ({exc}). Re-export or re-take it."
        ) from None
    return _check_array(np.asarray(rgb, dtype=np.uint8), label)


def _check_array(array: NDArray[np.generic], label: str) -> NDArray[np.uint8]:
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise UnsupportedImage(
            f"{label}: expected an (H, W, 3) RGB array, got shape {tuple(array.shape)}."
        )
    if array.dtype != np.uint8:
        raise UnsupportedImage(f"{label}: expected uint8 pixels, got {array.dtype}.")
    if array.shape[2] == 4:
        array = array[:, :, :3]
    h, w = array.shape[:2]
    if min(h, w) < MIN_SIDE_PX:
        raise ImageTooSmall(
            f"{label}: {w}×{h} px is too small; use a photo at least {MIN_SIDE_PX} px on "
            "each side with the face at least 80 px across."
        )
    return np.ascontiguousarray(array, dtype=np.uint8)
