"""Content-addressed photo store, and the import step that makes photos safe to keep.

A photo is stored once under the SHA-256 of its (cleaned) bytes. The store is a
small :class:`PhotoStore` protocol so that an S3-compatible bucket can replace
the local folder later; :class:`LocalPhotoStore` is the folder implementation:

- files live at ``<root>/<first 2 hex>/<sha256>.jpg``;
- a write goes to ``<root>/.tmp/`` first, is flushed and fsync'ed, then renamed
  into place (atomic on POSIX) and the folder fsync'ed, so a crash leaves either
  no file or a complete one, never a half-written photo under a real name;
- temp files never look like photos: they live in ``.tmp`` with a ``.part`` suffix
  and :meth:`LocalPhotoStore.iter_hashes` only yields well-formed final names.

:func:`prepare_photo` turns uploaded bytes into what we store: checked by
:func:`acuface.locator.image.load_image` (type by content, size, decompression
bomb guard), orientation applied, and re-encoded as a JPEG without any metadata,
which strips EXIF, GPS and maker notes.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from acuface import private
from acuface.config import get_settings
from acuface.errors import NotFound
from acuface.locator.image import load_image

_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
#: JPEG quality for stored photos: visually lossless for clinical comparison.
JPEG_QUALITY = 95


@runtime_checkable
class PhotoStore(Protocol):
    """Where photo bytes live, keyed by their SHA-256 hex digest."""

    def put(self, data: bytes) -> str:
        """Store *data* (idempotent) and return its SHA-256 hex digest."""
        ...

    def get(self, sha256: str) -> bytes:
        """Return the bytes stored under *sha256*; raise ``NotFound`` if absent."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether *sha256* is stored."""
        ...

    def delete(self, sha256: str) -> bool:
        """Remove *sha256*; return whether a file was removed."""
        ...

    def iter_hashes(self) -> Iterator[str]:
        """Yield the digests of every stored photo (never temp files)."""
        ...


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 hex digest of *data*."""
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalPhotoStore:
    """A folder of hash-named JPEG files with atomic writes.

    Parameters
    ----------
    root : Path
        The store's folder (created on first write).
    """

    suffix = ".jpg"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / ".tmp"

    def __repr__(self) -> str:
        return f"LocalPhotoStore({str(self.root)!r})"

    def path_for(self, sha256: str) -> Path:
        """Return the file path of *sha256* (whether or not it exists)."""
        if not _HASH_RE.match(sha256):
            raise NotFound(f"{sha256!r} is not a photo hash.")
        return self.root / sha256[:2] / f"{sha256}{self.suffix}"

    def put(self, data: bytes) -> str:
        """Store *data* atomically under its hash; return the hash."""
        digest = sha256_hex(data)
        final = self.path_for(digest)
        if final.exists() and final.stat().st_size == len(data):
            return digest
        private.make_dir(self.tmp_dir)
        private.make_dir(final.parent)
        tmp = self.tmp_dir / f"{digest}.{uuid.uuid4().hex}.part"
        fd = private.open_new(tmp)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        """Return the stored bytes; raise ``NotFound`` if the file is missing."""
        path = self.path_for(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                f"The photo file {sha256[:12]}... is missing from {self.root}."
            ) from None

    def exists(self, sha256: str) -> bool:
        """Whether a file for *sha256* exists."""
        return self.path_for(sha256).is_file()

    def delete(self, sha256: str) -> bool:
        """Remove the file for *sha256*; return whether one was removed."""
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def iter_hashes(self) -> Iterator[str]:
        """Yield the hash of every complete photo file (temp files are skipped)."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if not sub.is_dir() or len(sub.name) != 2 or sub.name.startswith("."):
                continue
            for file in sorted(sub.iterdir()):
                stem = file.name.removesuffix(self.suffix)
                if file.suffix == self.suffix and _HASH_RE.match(stem) and stem[:2] == sub.name:
                    yield stem

    def temp_files(self, *, older_than_s: float = 0.0) -> list[Path]:
        """Return leftover temp files of interrupted writes older than *older_than_s*."""
        if not self.tmp_dir.is_dir():
            return []

        limit = time.time() - older_than_s
        return sorted(f for f in self.tmp_dir.glob("*.part") if f.stat().st_mtime <= limit)

    def age_s(self, sha256: str) -> float:
        """Return the age in seconds of the file for *sha256* (by modification time)."""
        return time.time() - self.path_for(sha256).stat().st_mtime


def get_photo_store(root: Path | str | None = None) -> LocalPhotoStore:
    """Return the store in the configured data directory (or at *root*)."""
    if root is None:
        root = get_settings().photo_dir
    return LocalPhotoStore(root)


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to store.

    Attributes
    ----------
    jpeg : bytes
        Re-encoded JPEG without metadata.
    width, height : int
        Size in pixels, orientation applied.
    captured_at : datetime or None
        From EXIF ``DateTimeOriginal`` when present and plausible (its offset if given,
        else read as UTC); see :func:`plausible_capture_time`.
    rgb : (H, W, 3) ndarray of uint8 or None
        The pixels, orientation applied; ``None`` once the photo has crossed a process
        boundary without them (:meth:`without_pixels`), which is all storing needs.
    """

    jpeg: bytes
    width: int
    height: int
    captured_at: datetime | None
    rgb: NDArray[np.uint8] | None = None

    @property
    def pixels(self) -> NDArray[np.uint8]:
        """The decoded pixels; raises ``ValueError`` when they were dropped."""
        if self.rgb is None:
            raise ValueError("this prepared photo was sent without its pixels")
        return self.rgb

    def without_pixels(self) -> PreparedPhoto:
        """Return a copy without the decoded pixels (cheap to send between processes)."""
        return replace(self, rgb=None)


#: Camera dates before this are taken to be an unset clock (digital photos of a
#: client's face from before 1990 are not plausible).
EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)
#: A camera date this far ahead of now is still accepted: EXIF without an offset is
#: read as UTC, so local times east of Greenwich look up to 14 hours ahead.
CLOCK_SLACK = timedelta(days=1)


def plausible_capture_time(
    when: datetime | None, *, now: datetime | None = None
) -> datetime | None:
    """Return the camera's date when it is plausible, else ``None``.

    Plausible: not before :data:`EARLIEST_CAPTURE` (1990) and not in the future
    (beyond :data:`CLOCK_SLACK`, for time zones).

    Parameters
    ----------
    when : datetime or None
        Timezone-aware camera time (from EXIF), or None.
    now : datetime, optional, keyword-only
        The present (default: the current UTC time); for tests.
    """
    if when is None:
        return None
    now = now or datetime.now(UTC)
    if when < EARLIEST_CAPTURE or when > now + CLOCK_SLACK:
        return None
    return when


def _exif_capture_time(data: bytes) -> datetime | None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            sub = exif.get_ifd(0x8769)
            raw = sub.get(36867) or exif.get(306)  # DateTimeOriginal, else DateTime
            offset = sub.get(36881)  # OffsetTimeOriginal, e.g. "+02:00"
    except Exception:  # noqa: BLE001 - metadata is optional; the pixels were checked already
        return None
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    tz = UTC
    if isinstance(offset, str) and re.match(r"^[+-]\d\d:\d\d$", offset.strip()):
        sign = 1 if offset.strip()[0] == "+" else -1
        hours, minutes = offset.strip()[1:].split(":")
        tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return when.replace(tzinfo=tz).astimezone(UTC)


def prepare_photo(
    data: bytes, *, max_pixels: int | None = None, max_bytes: int | None = None
) -> PreparedPhoto:
    """Check an uploaded photo and re-encode it without metadata.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    max_pixels, max_bytes : int, optional, keyword-only
        Limits; default from the settings (``max_image_pixels``, ``max_upload_mb``).

    Returns
    -------
    PreparedPhoto

    Raises
    ------
    NotAnImage, UnsupportedImage, CorruptImage, ImageTooLarge, ImageTooSmall
    """
    settings = get_settings()
    rgb = load_image(
        data,
        max_pixels=max_pixels or settings.max_image_pixels,
        max_bytes=max_bytes or int(settings.max_upload_mb * 1024 * 1024),
        name="photo",
    )
    buf = io.BytesIO()
    # No exif=, no icc_profile=: the stored file carries pixels only.
    Image.fromarray(rgb).save(buf, format="JPEG", quality=JPEG_QUALITY)
    return PreparedPhoto(
        jpeg=buf.getvalue(),
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
        # Read from the upload's EXIF here, before the re-encoding drops it.
        captured_at=plausible_capture_time(_exif_capture_time(data)),
        rgb=rgb,
    )
