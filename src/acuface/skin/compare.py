"""Before/after comparison: alignment, per-region deltas against measured noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from acuface.skin.analysis import Analysis, analyse_full
from acuface.skin.repeatability import load_repeatability, noise_verdict
from acuface.skin.report import METHOD_VERSION, SkinReport, _round
from acuface.vocab import N_MESH_LANDMARKS, Landmarks


class ComparisonLimits(BaseModel):
    """Largest differences in capture conditions for a fair comparison (docs/skin.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_yaw_diff_deg: float = 5.0
    max_pitch_diff_deg: float = 5.0
    max_roll_diff_deg: float = 10.0
    #: Mean skin L* difference; larger usually means different lighting.
    max_exposure_diff_L: float = 8.0
    #: Ratio of the sharper to the blurrier photo's sharpness.
    max_sharpness_ratio: float = 2.0
    #: Ratio of the larger to the smaller face size (IPD in pixels).
    max_face_size_ratio: float = 2.0


DEFAULT_COMPARISON_LIMITS = ComparisonLimits()


class Delta(BaseModel):
    """Change of one metric between the photos.

    ``exceeds_repeatability`` is True when ``|delta|`` is larger than the
    metric's repeatability coefficient (2.77 x within-photo SD measured by the
    benchmark), None when that metric's repeatability was not measured.
    """

    model_config = ConfigDict(extra="forbid")

    before: float
    after: float
    delta: float
    repeatability_coefficient: float | None
    exceeds_repeatability: bool | None


class Alignment(BaseModel):
    """Similarity transform taking after-photo pixels onto the before photo."""

    model_config = ConfigDict(extra="forbid")

    matrix: list[list[float]]
    scale: float
    rotation_deg: float
    #: RMS landmark distance after alignment, in units of the before photo's IPD.
    rms_residual_ipd: float


class Comparison(BaseModel):
    """Before/after comparison of two photos of the same face."""

    model_config = ConfigDict(extra="forbid")

    method_version: str = METHOD_VERSION
    #: False when a photo fails the quality gate or capture conditions differ
    #: beyond :class:`ComparisonLimits`; the deltas are then not conclusive.
    comparable: bool
    issues: list[str]
    alignment: Alignment
    before: SkinReport
    after: SkinReport
    #: group (region name, ``dark_circles``, ``spots``, ``sagging``) -> metric -> delta
    deltas: dict[str, dict[str, Delta]]
    repeatability_source: str | None

    def to_json(
        self, before_image: str | None = None, after_image: str | None = None
    ) -> dict[str, Any]:
        """JSON form used by ``acuface skin compare --json``."""
        return {
            "method_version": self.method_version,
            "comparable": self.comparable,
            "issues": self.issues,
            "alignment": _round(self.alignment.model_dump(), 5),
            "before": self.before.to_json(before_image),
            "after": self.after.to_json(after_image),
            "deltas": {
                g: {m: _round(d.model_dump()) for m, d in ms.items()}
                for g, ms in self.deltas.items()
            },
            "repeatability_source": self.repeatability_source,
        }


def align_landmarks(before: Landmarks, after: Landmarks) -> tuple[NDArray[np.float64], Alignment]:
    """Similarity transform (rotation, uniform scale, shift) from after to before.

    Parameters
    ----------
    before, after : Landmarks

    Returns
    -------
    matrix : (2, 3) ndarray of float64
        Maps after-photo pixels to before-photo pixels.
    alignment : Alignment
    """
    src = after.xy_px[:N_MESH_LANDMARKS].astype(np.float32)
    dst = before.xy_px[:N_MESH_LANDMARKS].astype(np.float32)
    # LMEDS: robust to the few landmarks that move with expression.
    matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if matrix is None:  # degenerate; fall back to least squares
        matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=0)
    m = np.asarray(matrix, dtype=np.float64)
    mapped = after.xy_px[:N_MESH_LANDMARKS] @ m[:, :2].T + m[:, 2]
    rms = float(np.sqrt(((mapped - before.xy_px[:N_MESH_LANDMARKS]) ** 2).sum(axis=1).mean()))
    scale = float(np.hypot(m[0, 0], m[1, 0]))
    return m, Alignment(
        matrix=m.tolist(),
        scale=scale,
        rotation_deg=float(np.degrees(np.arctan2(m[1, 0], m[0, 0]))),
        rms_residual_ipd=rms / max(before.iris_distance_px, 1e-6),
    )


def _condition_issues(b: SkinReport, a: SkinReport, limits: ComparisonLimits) -> list[str]:
    issues = [f"before photo: {i}" for i in b.quality.issues]
    issues += [f"after photo: {i}" for i in a.quality.issues]
    qb, qa = b.quality, a.quality
    for name, vb, va, lim in (
        ("yaw", qb.yaw, qa.yaw, limits.max_yaw_diff_deg),
        ("pitch", qb.pitch, qa.pitch, limits.max_pitch_diff_deg),
        ("roll", qb.roll, qa.roll, limits.max_roll_diff_deg),
    ):
        if abs(va - vb) > lim:
            issues.append(
                f"head {name} differs by {abs(va - vb):.0f}° between the photos (limit "
                f"{lim:.0f}°): retake the after photo in the same pose as the before photo"
            )
    if abs(qa.exposure - qb.exposure) > limits.max_exposure_diff_L:
        issues.append(
            f"skin lightness differs by {abs(qa.exposure - qb.exposure):.0f} L* (limit "
            f"{limits.max_exposure_diff_L:.0f}): use the same lights and camera settings"
        )
    ratio = max(qa.sharpness, qb.sharpness) / max(min(qa.sharpness, qb.sharpness), 1e-6)
    if ratio > limits.max_sharpness_ratio:
        issues.append(
            f"one photo is {ratio:.1f}x sharper than the other (limit "
            f"{limits.max_sharpness_ratio:.1f}x): wrinkle and texture changes are not reliable"
        )
    size = max(qa.face_ipd_px, qb.face_ipd_px) / max(min(qa.face_ipd_px, qb.face_ipd_px), 1e-6)
    if size > limits.max_face_size_ratio:
        issues.append(
            f"the face is {size:.1f}x larger in one photo (limit "
            f"{limits.max_face_size_ratio:.1f}x): keep the same camera distance"
        )
    return issues


def _delta(key: str, before: float, after: float) -> Delta:
    d = after - before
    rc, beyond = noise_verdict(key, d)
    return Delta(
        before=before,
        after=after,
        delta=d,
        repeatability_coefficient=rc,
        exceeds_repeatability=beyond,
    )


def deltas_between(b: SkinReport, a: SkinReport) -> dict[str, dict[str, Delta]]:
    """Per-metric changes from ``b`` to ``a`` (metrics present in both).

    Parameters
    ----------
    b, a : SkinReport
        Before and after.

    Returns
    -------
    dict of str to dict of str to Delta
    """
    out: dict[str, dict[str, Delta]] = {}
    for region, scores in b.regions.items():
        other = a.regions.get(region)
        if other is None:
            continue
        out[region] = {
            m: _delta(f"{region}.{m}", v, other[m]) for m, v in scores.items() if m in other
        }
    for group in ("dark_circles", "sagging"):
        vb_all: dict[str, float | None] = getattr(b, group)
        va_all: dict[str, float | None] = getattr(a, group)
        out[group] = {}
        for m, vb in vb_all.items():
            va = va_all.get(m)
            if vb is not None and va is not None:
                out[group][m] = _delta(f"{group}.{m}", vb, va)
    out["spots"] = {
        "count": _delta("spots.count", float(b.spots.count), float(a.spots.count)),
        "area_mm2": _delta("spots.area_mm2", b.spots.area_mm2, a.spots.area_mm2),
    }
    return out


@dataclass(frozen=True)
class ComparisonResult:
    """A comparison plus both analyses and the alignment matrix (for views)."""

    comparison: Comparison
    before: Analysis
    after: Analysis
    matrix: NDArray[np.float64]


def compare_full(
    before_rgb: NDArray[np.uint8],
    after_rgb: NDArray[np.uint8],
    *,
    before_landmarks: Landmarks,
    after_landmarks: Landmarks,
    limits: ComparisonLimits = DEFAULT_COMPARISON_LIMITS,
) -> ComparisonResult:
    """Like :func:`compare` but keep the analyses and the alignment matrix."""
    b = analyse_full(before_rgb, before_landmarks, label="before photo")
    a = analyse_full(after_rgb, after_landmarks, label="after photo")
    matrix, alignment = align_landmarks(b.landmarks, a.landmarks)
    issues = _condition_issues(b.report, a.report, limits)
    rep = load_repeatability()
    comparison = Comparison(
        comparable=not issues,
        issues=issues,
        alignment=alignment,
        before=b.report,
        after=a.report,
        deltas=deltas_between(b.report, a.report),
        repeatability_source=None if rep is None else f"{rep.source} ({rep.generated_utc})",
    )
    return ComparisonResult(comparison=comparison, before=b, after=a, matrix=matrix)


def compare(
    before_rgb: NDArray[np.uint8],
    after_rgb: NDArray[np.uint8],
    *,
    before_landmarks: Landmarks,
    after_landmarks: Landmarks,
    limits: ComparisonLimits = DEFAULT_COMPARISON_LIMITS,
) -> Comparison:
    """Compare two photos of the same face.

    Both photos are measured independently in the canonical frame (so the
    metrics do not depend on the alignment); the landmark alignment is reported
    and used for the side-by-side and blended views.

    Parameters
    ----------
    before_rgb, after_rgb : (H, W, 3) ndarray of uint8
    before_landmarks, after_landmarks : Landmarks, keyword-only
        The faces to compare, from the locator
        (:func:`acuface.locator.landmarks.detect_one`).
    limits : ComparisonLimits, keyword-only

    Returns
    -------
    Comparison
        ``comparable`` is False (with reasons in ``issues``) when either photo
        fails the quality gate or their capture conditions differ beyond
        ``limits``; each delta says whether it exceeds the metric's measured
        repeatability.
    """
    return compare_full(
        before_rgb,
        after_rgb,
        before_landmarks=before_landmarks,
        after_landmarks=after_landmarks,
        limits=limits,
    ).comparison
