"""Measured repeatability of every metric (data written by the benchmark).

``skin/data/repeatability.yaml`` is produced by
``benchmarks/bench_skin_repeatability.py``: each shipped photo is perturbed
(JPEG re-encoding, ±10 % brightness, ±3° rotation, 0.8-1.25× scale), analysed
again, and the within-photo standard deviation of every metric is pooled over
photos.  :func:`repeatability_coefficient` turns that into the smallest change
between two photos that is unlikely to be measurement noise (Bland & Altman,
BMJ 1996;313:744: 95 % of differences between repeated measurements of the
same thing are below ``2.77 * s_w``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from acuface.atlas.datafiles import DataFile, SourceIds, register

#: 1.96 * sqrt(2): the 95 % limit of a difference of two measurements.
RC_FACTOR = 2.77


class RepeatabilityEntry(BaseModel):
    """Repeatability of one metric (one region's metric, or a face-level metric)."""

    model_config = ConfigDict(extra="forbid")

    sd_within: float = Field(ge=0.0)
    cv_percent: float | None = Field(default=None, ge=0.0)
    mean_abs: float = Field(ge=0.0)
    n_photos: int = Field(ge=1)
    source: SourceIds


class RepeatabilityFile(BaseModel):
    """The whole ``repeatability.yaml``."""

    model_config = ConfigDict(extra="forbid")

    method_version: str
    note: str = Field(min_length=3, description="Which photos and perturbations, in words.")
    source: SourceIds
    generated_utc: str
    perturbations: list[str]
    photos: list[str]
    metrics: dict[str, RepeatabilityEntry]


#: ``skin/data/repeatability.yaml`` (written by the benchmark; absent until it has run).
REPEATABILITY: DataFile[RepeatabilityFile] = register(
    DataFile(
        name="skin_repeatability",
        model=RepeatabilityFile,
        package="acuface.skin",
        filename="repeatability.yaml",
        description="measured repeatability of every skin metric (benchmark output)",
        optional=True,
    )
)


def load_repeatability() -> RepeatabilityFile | None:
    """Return the shipped repeatability data, or None if the benchmark has not been run."""
    return REPEATABILITY.load_optional()


def repeatability_coefficient(key: str) -> float | None:
    """Smallest difference that exceeds measurement noise (95 %), or None if unmeasured.

    Parameters
    ----------
    key : str
        ``"<region>.<metric>"`` (e.g. ``"forehead.wrinkle_index"``) or
        ``"<group>.<metric>"`` for ``dark_circles``, ``spots`` and ``sagging``.

    Returns
    -------
    float or None
        ``2.77 * s_w`` in the metric's own units.
    """
    data = load_repeatability()
    if data is None or key not in data.metrics:
        return None
    return RC_FACTOR * data.metrics[key].sd_within


def noise_verdict(key: str, change: float, *, n: int = 2) -> tuple[float | None, bool | None]:
    """Judge a change against the metric's measured noise.

    Parameters
    ----------
    key : str
        ``"<region>.<metric>"``, as for :func:`repeatability_coefficient`.
    change : float
        Later value minus earlier value, in the metric's own units.
    n : int, keyword-only
        Number of values the change was taken from; fewer than two give no verdict.

    Returns
    -------
    noise : float or None
        The repeatability coefficient (None where never measured).
    beyond : bool or None
        True when ``|change|`` exceeds it; None when there is no verdict.
    """
    rc = repeatability_coefficient(key)
    if rc is None or n < 2:
        return rc, None
    return rc, bool(abs(change) > rc)
