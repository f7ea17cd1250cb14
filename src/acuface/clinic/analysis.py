"""Photo work of the web server, done in isolated worker processes.

Every byte of an upload is decoded, located and analysed in a
:class:`~acuface.workers.WorkerPool` of processes (never on the server's event
loop, never in the server process): a photo that crashes OpenCV, runs too long
or needs too much memory costs that one request a clear error
(:class:`~acuface.errors.PhotoBreaksAnalysis`, 422; a timeout is
:class:`~acuface.errors.WorkerTimeout`, 503), and the worker is replaced.
MediaPipe is only ever loaded in the workers.

The module-level functions below are what the workers run (they must be
importable by reference); :class:`AnalysisPool` is the server-side handle.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from skimage import data

from acuface.atlas.geometry import load_geometry
from acuface.clinic.photostore import PreparedPhoto, prepare_photo
from acuface.clinic.schemas import PhotoAnalysis, PhotoCheckDTO
from acuface.clinic.services.photos import analyse_rgb, check_photo, location_standard
from acuface.errors import PhotoBreaksAnalysis, WorkerCrashed, WorkerOutOfMemory
from acuface.locator import locate
from acuface.locator.image import load_image
from acuface.locator.landmarks import get_detector
from acuface.locator.snapshot import FaceMapSnapshot
from acuface.workers import FunctionRunner, WorkerLimits, WorkerPool

# --- run in the worker processes ------------------------------------------------


def init_worker() -> None:
    """Build this worker's Face Mesh and load the point geometry once."""
    get_detector()
    load_geometry()


def prepare_upload(
    data: bytes, *, analyse: bool, max_pixels: int, max_bytes: int
) -> tuple[PreparedPhoto, PhotoAnalysis | None]:
    """Check, clean and (optionally) analyse an upload; returns it without its pixels.

    Returns
    -------
    tuple
        The :class:`PreparedPhoto` (JPEG without metadata, size, capture time) and the
        :func:`~acuface.clinic.services.photos.analyse_rgb` result or ``None``.
    """
    prepared = prepare_photo(data, max_pixels=max_pixels, max_bytes=max_bytes)
    analysis = analyse_rgb(prepared.pixels) if analyse else None
    return prepared.without_pixels(), analysis


def check_upload(data: bytes, *, max_pixels: int, max_bytes: int) -> PhotoCheckDTO:
    """Run the pose and quality check of :func:`~acuface.clinic.services.photos.check_photo`."""
    return check_photo(data, max_pixels=max_pixels, max_bytes=max_bytes)


def locate_upload(data: bytes, *, max_pixels: int, max_bytes: int, name: str) -> dict[str, Any]:
    """Locate every facial point on an upload: ``FaceMap.to_json()`` plus ``image_wh``."""
    rgb = load_image(data, max_pixels=max_pixels, max_bytes=max_bytes, name=name)
    face_map = locate(rgb, standard=location_standard())
    out = face_map.to_json()
    out["image_wh"] = [int(rgb.shape[1]), int(rgb.shape[0])]
    out.setdefault("warnings", list(face_map.warnings))
    return out


def reference_face() -> tuple[bytes, int, int, FaceMapSnapshot | None]:
    """JPEG bytes, size and face map of the atlas's public-domain reference portrait."""
    rgb = data.astronaut()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
    face_map: FaceMapSnapshot | None
    try:
        face_map = FaceMapSnapshot.of(locate(rgb, standard=location_standard()))
    except Exception:  # noqa: BLE001 - the atlas list still works without the map
        face_map = None
    return buf.getvalue(), int(rgb.shape[1]), int(rgb.shape[0]), face_map


# --- the server side -------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisLimits:
    """What an upload may be and what analysing it may cost.

    Attributes
    ----------
    max_pixels, max_bytes : int
        Decompression-bomb guard and upload size (see ``load_image``).
    workers : WorkerLimits
        Time and memory limits of each worker process.
    """

    max_pixels: int
    max_bytes: int
    workers: WorkerLimits


#: Analysis workers yield the CPU to page requests: on a small server the seconds of
#: an upload's Face Mesh and skin analysis otherwise compete with every page view
#: (paced benchmark, two users uploading back to back on two cores), and an upload
#: taking a little longer matters less than a page taking seconds.
ANALYSIS_WORKER_NICE = 10


class AnalysisPool:
    """The server's bounded pool of photo-analysis processes (at lower CPU priority).

    Parameters
    ----------
    size : int
        Worker processes (each holds a Face Mesh, about 300 MB resident).
    limits : AnalysisLimits
        Upload limits and per-worker time/memory limits.
    max_waiting : int
        Uploads that may wait for a worker; more get ``PoolBusy`` (503).
    """

    def __init__(self, *, size: int, limits: AnalysisLimits, max_waiting: int = 8) -> None:
        self.limits = limits
        self.pool = WorkerPool(
            functools.partial(FunctionRunner, init_worker),
            name="photo analysis",
            size=size,
            limits=limits.workers,
            max_waiting=max_waiting,
            nice=ANALYSIS_WORKER_NICE,
        )

    def _bounds(self) -> dict[str, int]:
        return {"max_pixels": self.limits.max_pixels, "max_bytes": self.limits.max_bytes}

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Blocking: the routes that call the pool run in worker threads (their
        # database work must stay off the event loop), so they wait here directly.
        try:
            return self.pool.run_sync(fn, *args, **kwargs)
        except WorkerOutOfMemory:
            raise PhotoBreaksAnalysis(
                f"Analysing this photo needed more than {self.limits.workers.memory_mb} MB "
                "and was stopped; nothing was stored. Export it at a smaller size "
                "(2000-4000 px on the long side is plenty)."
            ) from None
        except WorkerCrashed as exc:
            raise PhotoBreaksAnalysis(
                f"This photo made the image analysis fail ({exc.message}); nothing was stored "
                "and the app carries on. Re-export the photo as a plain JPEG and try again."
            ) from None

    def prepare(
        self, data: bytes, *, analyse: bool = True
    ) -> tuple[PreparedPhoto, PhotoAnalysis | None]:
        """Decode, clean and analyse an upload in a worker (blocking; :func:`prepare_upload`)."""
        result: tuple[PreparedPhoto, PhotoAnalysis | None] = self._run(
            prepare_upload, data, analyse=analyse, **self._bounds()
        )
        return result

    def check(self, data: bytes) -> PhotoCheckDTO:
        """Run the pose/quality check of an upload in a worker (blocking)."""
        result: PhotoCheckDTO = self._run(check_upload, data, **self._bounds())
        return result

    def locate(self, data: bytes, *, name: str) -> dict[str, Any]:
        """Run the locator preview of an upload in a worker (blocking)."""
        result: dict[str, Any] = self._run(locate_upload, data, name=name, **self._bounds())
        return result

    def reference_face(self) -> tuple[bytes, int, int, FaceMapSnapshot | None]:
        """Return the atlas reference portrait and its face map (blocking; call from a thread)."""
        result: tuple[bytes, int, int, FaceMapSnapshot | None] = self.pool.run_sync(reference_face)
        return result

    def close(self) -> None:
        """Stop the worker processes."""
        self.pool.close()
