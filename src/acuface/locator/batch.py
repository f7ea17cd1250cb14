"""Locate points on many photos, spread over worker processes.

Each worker builds its Face Mesh once (pool initializer) and reuses it; one bad
file becomes an ``error`` entry and the batch goes on. Results come back in the
order the photos were given, whatever order the workers finish in.

Photos travel to the workers in chunks (one round trip per chunk, not per
photo), and each result comes back as its compact JSON text: the main process
only writes it out, so on two cores it takes almost nothing from the workers.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from PIL import Image

from acuface.atlas.geometry import load_geometry
from acuface.errors import AcufaceError
from acuface.locator.facemap import compact_json, locate
from acuface.locator.image import load_image
from acuface.locator.landmarks import get_detector
from acuface.locator.render import render_overlay

#: File name endings treated as photos when a folder is given.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})

Result = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")


class BatchItem(NamedTuple):
    """One photo's result as it crosses from a worker: its JSON text and whether it failed."""

    json_text: str
    failed: bool


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the photos they hold (sorted); keep files as given.

    Parameters
    ----------
    paths : iterable of str or Path

    Returns
    -------
    list of Path
        Missing paths are kept, so that they are reported as errors.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(
                sorted(
                    p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                )
            )
        else:
            out.append(path)
    return out


def output_stems(paths: Sequence[Path]) -> list[str]:
    """Return unique output names per photo (``x``, ``x-2`` when two photos share a stem)."""
    seen: dict[str, int] = {}
    stems = []
    for p in paths:
        n = seen.get(p.stem, 0) + 1
        seen[p.stem] = n
        stems.append(p.stem if n == 1 else f"{p.stem}-{n}")
    return stems


def locate_file(
    path: str | Path,
    *,
    codes: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    stem: str | None = None,
    symmetric: bool = False,
    standard: str | None = None,
) -> Result:
    """Locate one photo and return its CLI result entry; never raises on bad input.

    Parameters
    ----------
    path : str or Path
    codes : sequence of str, optional, keyword-only
        Canonical codes to place (default: all).
    out_dir : str or Path, optional, keyword-only
        Write ``<stem>.png`` (overlay of the head region) and ``<stem>.json``
        there.
    stem : str, optional, keyword-only
        Output name (default: the photo's stem).
    symmetric : bool, keyword-only
        Also run Face Mesh on the mirrored photo and average (flip-consistent,
        twice the model time); see :func:`acuface.locator.facemap.locate`.
    standard : str, optional, keyword-only
        Location standard where standards differ (GV26); default WHO 2008.

    Returns
    -------
    dict
        ``{"image": str, "faces": [...], "warnings": [...], "error": None | {"type", "message"}}``.
    """
    result: Result = {"image": str(path), "faces": [], "warnings": [], "error": None}
    try:
        rgb = load_image(path, name=str(path))
        face_map = locate(rgb, codes=codes, name=str(path), symmetric=symmetric, standard=standard)
        data = face_map.to_json()
        result["faces"] = data["faces"]
        result["warnings"] = data["warnings"]
        if out_dir is not None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            name = stem or Path(path).stem
            # Head region only: the points stay legible when the face is small
            # in a large photo (JSON coordinates refer to the whole photo).
            overlay = render_overlay(rgb, face_map, codes=codes, crop_to_faces=True)
            # Fast compression: overlays are large and written in bulk.
            Image.fromarray(overlay).save(out / f"{name}.png", compress_level=3)
            (out / f"{name}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - one bad photo must not stop a batch
        result["error"] = _error_entry(path, exc)
    return result


def _error_entry(path: str | Path, exc: Exception) -> dict[str, str]:
    if isinstance(exc, AcufaceError):
        return exc.to_dict()
    return {"type": type(exc).__name__, "message": f"{path}: {exc}"}


def locate_file_json(
    path: str | Path,
    *,
    codes: Sequence[str] | None = None,
    symmetric: bool = False,
    standard: str | None = None,
) -> BatchItem:
    """:func:`locate_file` without outputs, as its compact JSON text; never raises on bad input.

    The text is ``compact_json(locate_file(path, ...))``, written straight
    from the face map (:meth:`FaceResult.to_json_text`) rather than through
    dicts: the JSON is the largest share of a batch's own per-photo work
    after the model.

    Parameters
    ----------
    path : str or Path
    codes, symmetric, standard
        As for :func:`locate_file`, keyword-only.

    Returns
    -------
    BatchItem
    """
    image = compact_json(str(path))
    try:
        rgb = load_image(path, name=str(path))
        face_map = locate(rgb, codes=codes, name=str(path), symmetric=symmetric, standard=standard)
        faces = ",".join(face.to_json_text() for face in face_map.faces)
        warnings = compact_json(list(face_map.warnings))
    except Exception as exc:  # noqa: BLE001 - one bad photo must not stop a batch
        error = compact_json(_error_entry(path, exc))
        return BatchItem(f'{{"image":{image},"faces":[],"warnings":[],"error":{error}}}', True)
    return BatchItem(
        f'{{"image":{image},"faces":[{faces}],"warnings":{warnings},"error":null}}', False
    )


def init_detector() -> None:
    """Build this worker's Face Mesh (pool initializer for any photo batch)."""
    get_detector()


def _init_worker() -> None:
    """Build this worker's Face Mesh and load the geometry once."""
    get_detector()
    load_geometry()


def _work(
    args: tuple[str, Sequence[str] | None, str | None, str, bool, str | None],
) -> BatchItem:
    path, codes, out_dir, stem, symmetric, standard = args
    if out_dir is None:
        return locate_file_json(path, codes=codes, symmetric=symmetric, standard=standard)
    result = locate_file(
        path, codes=codes, out_dir=out_dir, stem=stem, symmetric=symmetric, standard=standard
    )
    return BatchItem(compact_json(result), result["error"] is not None)


def _apply_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(task) for task in chunk]


def mp_context() -> BaseContext:
    """Fork while this process has not loaded MediaPipe, else spawn.

    Forked workers inherit the imported modules (about 1.5 s of imports each
    under spawn). Forking is only safe before MediaPipe has started its graph
    threads and locks in this process, i.e. while it is not even imported.
    """
    if sys.platform.startswith("linux") and "mediapipe" not in sys.modules:
        return get_context("fork")
    return get_context("spawn")


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def map_in_workers(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int | None = None,
    initializer: Callable[[], None] | None = None,
    on_result: Callable[[R], None] | None = None,
    on_lost: Callable[[int, Exception], R],
    chunksize: int | None = None,
) -> list[R]:
    """Apply *fn* to every task, in worker processes when more than one is useful.

    *fn* should report bad input in its result rather than raise; *on_lost*
    turns what still escapes (e.g. a worker killed by the OS) into a result for
    that task, so one failure never ends the batch.

    Parameters
    ----------
    fn : callable
        Picklable, module-level function of one task.
    tasks : sequence
    workers : int, optional, keyword-only
        Worker processes (default: all cores; never more than tasks; 1 runs
        in this process).
    initializer : callable, optional, keyword-only
        Run once in each worker (e.g. build the Face Mesh).
    on_result : callable, optional, keyword-only
        Called with each result as soon as it is ready (progress bars).
    on_lost : callable, keyword-only
        ``on_lost(index, exception)`` -> the result for a task whose worker failed
        (every task of its chunk).
    chunksize : int, optional, keyword-only
        Tasks sent to a worker at once (default: enough chunks for each worker
        to get about eight, at most 16 tasks each, so the load stays balanced).

    Returns
    -------
    list
        One result per task, in input order.
    """
    n = min(workers or default_workers(), len(tasks))
    results: list[R | None] = [None] * len(tasks)
    if n <= 1:
        for i, task in enumerate(tasks):
            results[i] = fn(task)
            if on_result:
                on_result(results[i])  # type: ignore[arg-type]
    else:
        size = chunksize or max(1, min(16, len(tasks) // (8 * n)))
        starts = range(0, len(tasks), size)
        with ProcessPoolExecutor(
            max_workers=n, mp_context=mp_context(), initializer=initializer
        ) as pool:
            futures = {pool.submit(_apply_chunk, fn, tasks[i : i + size]): i for i in starts}
            for fut in as_completed(futures):
                first = futures[fut]
                count = min(size, len(tasks) - first)
                try:
                    done = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker killed by the OS
                    done = [on_lost(first + j, exc) for j in range(count)]
                for j, res in enumerate(done):
                    results[first + j] = res
                    if on_result:
                        on_result(res)
    return [r for r in results if r is not None]


def run_batch(
    paths: Sequence[str | Path],
    *,
    codes: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    workers: int | None = None,
    on_result: Callable[[BatchItem], None] | None = None,
    symmetric: bool = False,
    standard: str | None = None,
) -> list[Result]:
    """Locate every photo, in parallel when ``workers > 1``; results as dicts.

    Same parameters as :func:`run_batch_json`.

    Returns
    -------
    list of dict
        One result per photo, in input order.
    """
    texts = run_batch_json(
        paths,
        codes=codes,
        out_dir=out_dir,
        workers=workers,
        on_result=on_result,
        symmetric=symmetric,
        standard=standard,
    )
    return [json.loads(item.json_text) for item in texts]


def run_batch_json(
    paths: Sequence[str | Path],
    *,
    codes: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    workers: int | None = None,
    on_result: Callable[[BatchItem], None] | None = None,
    symmetric: bool = False,
    standard: str | None = None,
) -> list[BatchItem]:
    """Locate every photo, in parallel when ``workers > 1``; results as JSON text.

    Parameters
    ----------
    paths : sequence of str or Path
        Photo files (expand folders first with :func:`expand_inputs`).
    codes : sequence of str, optional, keyword-only
        Canonical codes (validate with ``resolve_codes`` first).
    out_dir : str or Path, optional, keyword-only
        Where to write overlays and JSON files.
    workers : int, optional, keyword-only
        Worker processes (default: all cores; 1 runs in this process).
    on_result : callable, optional, keyword-only
        Called with each result as soon as it is ready (progress bars).
    symmetric : bool, keyword-only
        Flip-averaged placement (see :func:`locate_file`).
    standard : str, optional, keyword-only
        Location standard where standards differ (see :func:`locate_file`).

    Returns
    -------
    list of BatchItem
        Per photo, in input order: the compact JSON of its :func:`locate_file`
        result and whether it failed.
    """
    items = [Path(p) for p in paths]
    stems = output_stems(items)
    out = None if out_dir is None else str(out_dir)
    tasks = [
        (str(p), codes, out, s, symmetric, standard) for p, s in zip(items, stems, strict=True)
    ]

    def lost(i: int, exc: Exception) -> BatchItem:
        error = {"type": type(exc).__name__, "message": str(exc)}
        result = {"image": tasks[i][0], "faces": [], "warnings": [], "error": error}
        return BatchItem(json.dumps(result), True)

    return map_in_workers(
        _work,
        tasks,
        workers=workers,
        initializer=_init_worker,
        on_result=on_result,
        on_lost=lost,
    )
