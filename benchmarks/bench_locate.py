"""Benchmark: full ``locate`` vs the raw Face Mesh call, batch throughput, peak memory.

Run: ``.venv/bin/python benchmarks/bench_locate.py`` (or ``make bench``). Prints
Markdown tables (pasted into docs/performance.md). Not a test: no assertions.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "data" / "faces"
REPEATS = 9
#: Passes over the 67 portraits in the batch measurement: enough photos that the
#: ~1.8 s per-process start-up (import MediaPipe, build Face Mesh) is amortised
#: as it is in a real batch, while still reported in the wall time.
PASSES = 9


def _per_photo() -> list[tuple[str, str, float, float]]:
    from acuface.locator import locate
    from acuface.locator.image import load_image
    from acuface.locator.landmarks import get_detector

    det = get_detector()
    photos = [FACES / "obama.jpg", FACES / "biden.jpg", FACES / "obama3.jpg"]
    photos += sorted((FACES / "portraits").glob("*.jpg"))[:3]
    rows = []
    for p in photos:
        rgb = load_image(p)
        det.raw(rgb)
        locate(rgb)  # warm both paths
        raw, full = [], []
        for _ in range(REPEATS):
            t = time.perf_counter()
            det.raw(rgb)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            locate(rgb)
            full.append(time.perf_counter() - t)
        size = f"{rgb.shape[1]}x{rgb.shape[0]}"
        # Minimum of the repeats: the machine is shared, and noise only adds time.
        rows.append((p.name, size, min(raw) * 1e3, min(full) * 1e3))
    return rows


def _throughput(workers: int, passes: int) -> tuple[float, float]:
    """Wall time of one cold batch run, each in a fresh process (as `acuface locate` runs).

    A fresh process per measurement matters: measured in a process that had
    already run a pool, the one-worker time came out ~45 % slower.
    """
    code = (
        "import sys, time; from pathlib import Path; "
        "from acuface.locator.batch import run_batch; "
        f"photos = sorted(Path({str(FACES / 'portraits')!r}).glob('*.jpg')) * {passes}; "
        "t = time.perf_counter(); "
        f"res = run_batch(photos, workers={workers}); "
        "dt = time.perf_counter() - t; "
        "assert all(r['error'] is None for r in res); print(dt, len(photos))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dt_s, n = out.stdout.strip().splitlines()[-1].split()
    return float(dt_s), int(n) / float(dt_s)


def _startup_seconds() -> float:
    """Time a fresh process takes to import the locator and build its Face Mesh."""
    code = (
        "import time; t = time.perf_counter(); "
        "from acuface.locator.landmarks import get_detector; import acuface.locator; "
        "get_detector(); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    # Batches first: like the CLI, this process has not loaded MediaPipe yet, so
    # the pool forks its workers (see locator/batch.py).
    photos = sorted((FACES / "portraits").glob("*.jpg")) * PASSES
    one = _throughput(1, PASSES)
    two = _throughput(2, PASSES)
    startup = _startup_seconds()
    rows = _per_photo()
    print("Per photo, best of 9 runs (ms):")
    print("| photo | size | raw Face Mesh (ms) | full locate (ms) | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, size, raw, full in rows:
        print(f"| {name} | {size} | {raw:.1f} | {full:.1f} | {full / raw:.2f} |")
    tot_raw = sum(r[2] for r in rows)
    tot_full = sum(r[3] for r in rows)
    print(f"| **all** | | {tot_raw:.1f} | {tot_full:.1f} | {tot_full / tot_raw:.2f} |")
    print()
    print(f"Batch over {len(photos)} portraits (225x275; the 67, {PASSES} times), wall time")
    print("including worker start-up and reading the files:")
    print("| workers | wall time (s) | photos/s | speed-up |")
    print("|---:|---:|---:|---:|")
    print(f"| 1 | {one[0]:.2f} | {one[1]:.1f} | 1.00 |")
    print(f"| 2 | {two[0]:.2f} | {two[1]:.1f} | {two[1] / one[1]:.2f} |")
    print()
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Start-up of one worker (import + build Face Mesh): {startup:.2f} s.")
    print(f"Peak RSS: main process {self_mb:.0f} MB; largest worker {child_mb:.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
