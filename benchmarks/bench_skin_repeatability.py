"""Repeatability of the skin metrics under capture perturbations.

Each photo (the 3 large vendored photos and every 8th portrait) is perturbed:
JPEG re-encoding (quality 75 and 90), brightness x0.9 / x1.1, rotation -3 / +3
degrees, scale 0.8 / 1.25.  Landmarks are detected again on every variant.  For
each metric: within-photo SD over the 9 versions (original + 8), pooled over
photos (root mean of variances), and CV = SD / |mean| (RMS over photos).

Writes (unless --no-write):
* ``src/acuface/skin/data/repeatability.yaml`` (large photos; used by compare),
* the table between the ``repeatability`` markers in ``docs/skin.md``.

Run: ``.venv/bin/python benchmarks/bench_skin_repeatability.py``  (about 2 minutes)
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image

from acuface.errors import AcufaceError
from acuface.locator.image import load_image
from acuface.locator.landmarks import detect_one
from acuface.skin import METHOD_VERSION, analyse
from acuface.skin.report import SkinReport

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "data" / "faces"
DATA_OUT = ROOT / "src" / "acuface" / "skin" / "data" / "repeatability.yaml"
DOC = ROOT / "docs" / "skin.md"
LARGE = ["obama.jpg", "biden.jpg", "obama3.jpg"]
PERTURBATIONS = [
    "jpeg q75",
    "jpeg q90",
    "brightness x0.9",
    "brightness x1.1",
    "rotate -3 deg",
    "rotate +3 deg",
    "scale x0.8",
    "scale x1.25",
]


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def perturb(rgb: np.ndarray, name: str) -> np.ndarray:
    if name.startswith("jpeg"):
        return jpeg(rgb, int(name.split("q")[1]))
    if name.startswith("brightness"):
        k = float(name.split("x")[1])
        return np.clip(rgb.astype(np.float64) * k, 0, 255).round().astype(np.uint8)
    if name.startswith("rotate"):
        deg = float(name.split()[1])
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if name.startswith("scale"):
        k = float(name.split("x")[1])
        interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
        return cv2.resize(rgb, None, fx=k, fy=k, interpolation=interp)
    raise ValueError(name)


def flatten(report: SkinReport) -> dict[str, float]:
    out: dict[str, float] = {}
    for region, scores in report.regions.items():
        for metric, value in scores.items():
            out[f"{region}.{metric}"] = value
    for group in ("dark_circles", "sagging"):
        for metric, value in getattr(report, group).items():
            if value is not None:
                out[f"{group}.{metric}"] = value
    out["spots.count"] = float(report.spots.count)
    out["spots.area_mm2"] = report.spots.area_mm2
    out["quality.sharpness"] = report.quality.sharpness
    out["quality.exposure"] = report.quality.exposure
    return out


def measure(paths: list[Path]) -> tuple[dict[str, dict[str, list[float]]], float]:
    """photo -> key -> values over the 9 versions."""
    results: dict[str, dict[str, list[float]]] = {}
    t0 = time.perf_counter()
    for path in paths:
        rgb = load_image(path)
        per_key: dict[str, list[float]] = defaultdict(list)
        for variant in ["original", *PERTURBATIONS]:
            img = rgb if variant == "original" else perturb(rgb, variant)
            try:
                flat = flatten(analyse(img, detect_one(img)))
            except AcufaceError as exc:
                print(f"  {path.name} [{variant}]: {exc.message}", file=sys.stderr)
                continue
            for k, v in flat.items():
                per_key[k].append(v)
        results[path.name] = dict(per_key)
        print(f"  {path.name}: done", file=sys.stderr)
    return results, time.perf_counter() - t0


def zero_is_arbitrary(key: str) -> bool:
    """Metrics whose zero is arbitrary or typical (angles, signed tilts, fractions near 0).

    A CV divides by the mean, so it explodes for these; only their SD is reported.
    """
    return "ita" in key or key.endswith(("mouth_corner_tilt", "erythema_fraction"))


def pooled(results: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    keys = sorted({k for r in results.values() for k in r})
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        variances, cvs, means = [], [], []
        for r in results.values():
            vals = np.asarray(r.get(key, []), dtype=np.float64)
            if len(vals) < 5:
                continue
            sd = float(vals.std(ddof=1))
            mean = float(vals.mean())
            variances.append(sd**2)
            means.append(abs(mean))
            cvs.append(sd / abs(mean) if abs(mean) > 1e-9 else math.inf)
        if not variances:
            continue
        cv = float(np.sqrt(np.mean(np.square(cvs)))) * 100 if all(np.isfinite(cvs)) else None
        if zero_is_arbitrary(key):
            cv = None
        out[key] = {
            "sd_within": float(np.sqrt(np.mean(variances))),
            "cv_percent": cv,
            "mean_abs": float(np.mean(means)),
            "n_photos": len(variances),
        }
    return out


def kind_of(key: str) -> str:
    group, metric = key.split(".", 1)
    if group in ("dark_circles", "sagging", "spots", "quality"):
        return key
    return metric


def summary_rows(stats: dict[str, dict[str, float]]) -> dict[str, tuple[float, float, float]]:
    """metric kind -> (median CV over regions, max CV over regions, median SD)."""
    by_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
    for key, s in stats.items():
        by_kind[kind_of(key)].append(s)
    rows = {}
    for kind, items in sorted(by_kind.items()):
        cvs = [s["cv_percent"] if s["cv_percent"] is not None else math.inf for s in items]
        rows[kind] = (
            float(np.median(cvs)),
            float(np.max(cvs)),
            float(np.median([s["sd_within"] for s in items])),
        )
    return rows


def fmt(v: float) -> str:
    return "SD only" if not math.isfinite(v) else f"{v:.1f}"


def table(large: dict, small: dict) -> str:
    rl, rs = summary_rows(large), summary_rows(small)
    lines = [
        "| metric | CV % large (median over regions) | CV % large (worst region) "
        "| SD large (median) | CV % portraits (median) | target ≤ 5 % met (large) |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for kind in rl:
        med, worst, sd = rl[kind]
        pmed = rs.get(kind, (math.inf, math.inf, math.inf))[0]
        ok = "yes" if math.isfinite(worst) and worst <= 5 else "no"
        if zero_is_arbitrary(kind):
            ok = "n/a"
        lines.append(f"| {kind} | {fmt(med)} | {fmt(worst)} | {sd:.3g} | {fmt(pmed)} | {ok} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--portrait-step", type=int, default=8)
    args = parser.parse_args()
    large_paths = [FACES / n for n in LARGE]
    portraits = sorted((FACES / "portraits").glob("*.jpg"))[:: args.portrait_step]
    print(f"large photos: {len(large_paths)}, portraits: {len(portraits)}", file=sys.stderr)
    res_large, t_large = measure(large_paths)
    res_small, t_small = measure(portraits)
    large, small = pooled(res_large), pooled(res_small)
    n_an = (len(large_paths) + len(portraits)) * (1 + len(PERTURBATIONS))
    tab = table(large, small)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    header = (
        f"Measured {stamp}, method {METHOD_VERSION}: {len(large_paths)} large photos "
        f"(IPD 107-126 px) and {len(portraits)} portraits (IPD about 50 px, below the "
        f"80 px quality limit), each as original + {len(PERTURBATIONS)} perturbations "
        f"({', '.join(PERTURBATIONS)}); {n_an} analyses in {t_large + t_small:.0f} s."
    )
    print(header)
    print(tab)
    if args.no_write:
        return
    note = (
        "benchmarks/bench_skin_repeatability.py on tests/data/faces/{obama,biden,obama3}.jpg "
        "(public domain; see tests/data/faces/LICENSE.md), large photos"
    )
    data = {
        "method_version": METHOD_VERSION,
        "note": note,
        "source": ["acuface_repeatability_bench", "bland_altman1996"],
        "generated_utc": stamp,
        "perturbations": PERTURBATIONS,
        "photos": LARGE,
        "metrics": {
            k: {
                "sd_within": round(v["sd_within"], 6),
                "cv_percent": None if v["cv_percent"] is None else round(v["cv_percent"], 3),
                "mean_abs": round(v["mean_abs"], 6),
                "n_photos": int(v["n_photos"]),
                "source": ["acuface_repeatability_bench"],
            }
            for k, v in large.items()
        },
    }
    DATA_OUT.write_text(
        "# Written by benchmarks/bench_skin_repeatability.py - do not edit by hand.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    if DOC.exists():
        text = DOC.read_text("utf-8")
        start, end = "<!-- repeatability:start -->", "<!-- repeatability:end -->"
        if start in text and end in text:
            before, rest = text.split(start, 1)
            _, after = rest.split(end, 1)
            DOC.write_text(f"{before}{start}\n{header}\n\n{tab}\n{end}{after}", encoding="utf-8")
    print(f"wrote {DATA_OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
