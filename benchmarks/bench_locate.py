"""Benchmark: whole ``acuface locate`` processes against the raw Face Mesh loop.

Run: ``.venv/bin/python benchmarks/bench_locate.py`` (or ``make bench``). Works
from a clean clone: the batch is the 67 vendored portraits of
``tests/data/faces/portraits`` copied ``--copies`` times (12: 804 photos) into a
temporary folder. Each configuration runs once, as a user runs it, in its own
fresh process:

* **raw Face Mesh loop**: a minimal Python program that imports MediaPipe,
  builds one ``FaceMesh`` (static images, iris refinement, as the locator
  does), and for every photo decodes it with Pillow and calls ``process``:
  the floor any tool built on Face Mesh pays;
* ``acuface locate FOLDER --json --workers 1`` and ``--workers 2``: start-up,
  decoding and checks, landmarks, pose, every point, visibility, the JSON
  document on stdout (to /dev/null) and the progress bar on stderr.

It prints one table with both figures the targets are about (``--workers 1``
against the raw loop, ``--workers 2`` against ``--workers 1``), wall time and
CPU time (user + system of the whole process tree) of each process, and the
load average, because wall time on a shared machine says little. On a shared
machine, ``--rounds N`` runs the three processes N times, one after the other,
and adds the median ratios. Not a test: no assertions.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTRAITS = ROOT / "tests" / "data" / "faces" / "portraits"

#: The raw loop: what a minimal Face Mesh program does with the same photos.
RAW_LOOP = """
import os, sys
os.environ.setdefault("GLOG_minloglevel", "2")
from pathlib import Path
import numpy as np
from PIL import Image
import mediapipe as mp
mesh = mp.solutions.face_mesh.FaceMesh(
    static_image_mode=True, max_num_faces=4, refine_landmarks=True, min_detection_confidence=0.5
)
found = 0
for p in sorted(Path(sys.argv[1]).iterdir()):
    with Image.open(p) as im:
        rgb = np.asarray(im.convert("RGB"))
    found += bool(mesh.process(rgb).multi_face_landmarks)
print(found)
"""


def _batch_folder(copies: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="acuface-bench-"))
    for k in range(copies):
        for p in sorted(PORTRAITS.glob("*.jpg")):
            shutil.copyfile(p, folder / f"{p.stem}-{k:02d}{p.suffix}")
    return folder


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, whole process tree) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    env = {**os.environ, "GLOG_minloglevel": "2"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def _row(
    name: str, n: int, run: tuple[float, float], raw: tuple[float, float], one_wall: float
) -> str:
    wall, cpu = run
    speedup = f"{one_wall / wall:.2f}x" if "acuface" in name else ""
    return (
        f"| {name} | {wall:.2f} | {n / wall:.1f} | {cpu:.2f} | {wall / raw[0]:.2f} | "
        f"{cpu / raw[1]:.2f} | {speedup} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=12, help="copies of the 67 portraits")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the three processes this many times, one after the other (a shared machine)",
    )
    args = parser.parse_args()
    folder = _batch_folder(args.copies)
    n = sum(1 for _ in folder.iterdir())
    acuface = [sys.executable, "-m", "acuface.cli.main", "locate", str(folder), "--json"]
    commands = {
        "raw Face Mesh loop": [sys.executable, "-c", RAW_LOOP, str(folder)],
        "acuface locate --workers 1": [*acuface, "--workers", "1"],
        "acuface locate --workers 2": [*acuface, "--workers", "2"],
    }
    load_before = os.getloadavg()[0]
    rounds: list[dict[str, tuple[float, float]]] = []
    found = 0
    try:
        for _ in range(args.rounds):
            runs = {name: _run(cmd) for name, cmd in commands.items()}
            found = int(runs["raw Face Mesh loop"][2].strip().splitlines()[-1])
            rounds.append({name: (wall, cpu) for name, (wall, cpu, _) in runs.items()})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load_after = os.getloadavg()[0]
    cores = len(os.sched_getaffinity(0))
    print(
        f"{n} photos (the 67 portraits x {args.copies}, 225x275), {args.rounds} round(s), fresh "
        f"processes; {cores} cores, load average {load_before:.1f} before, "
        f"{load_after:.1f} after."
    )
    if max(load_before, load_after) > 0.5 * cores:
        print("Measured while the machine was shared: wall times are provisional.")
    print()
    print(
        "| round | process | wall (s) | photos/s | CPU (s) | wall vs raw | CPU vs raw "
        "| vs 1 worker |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for k, runs in enumerate(rounds, start=1):
        raw = runs["raw Face Mesh loop"]
        one_wall = runs["acuface locate --workers 1"][0]
        for name, run in runs.items():
            print(f"| {k} " + _row(name, n, run, raw, one_wall))
    if len(rounds) > 1:
        one = sorted(
            r["acuface locate --workers 1"][1] / r["raw Face Mesh loop"][1] for r in rounds
        )
        two = sorted(
            r["acuface locate --workers 1"][0] / r["acuface locate --workers 2"][0] for r in rounds
        )
        print()
        print(
            f"Median over the rounds: --workers 1 CPU vs raw {statistics.median(one):.2f} "
            f"(range {one[0]:.2f}-{one[-1]:.2f}); --workers 2 vs 1 "
            f"{statistics.median(two):.2f}x (range {two[0]:.2f}-{two[-1]:.2f})."
        )
    print()
    print(f"Faces found by the raw loop: {found}/{n}.")
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Peak RSS of the largest process: {child_mb:.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
