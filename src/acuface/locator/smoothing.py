"""Smoothing landmarks over a video stream without lag: the One Euro filter.

Casiez, Roussel and Vogel (2012), "1€ Filter: A Simple Speed-based Low-pass Filter
for Noisy Input in Interactive Systems", CHI '12, pp. 2527-2530. An exponential
low-pass filter whose cut-off frequency rises with the speed of the signal: a still
face is smoothed hard (the landmark model's frame-to-frame jitter disappears), a
moving face is followed with little lag.

Here the filter runs on all 478 landmarks at once; each landmark's cut-off follows
its own speed, measured in face widths per second (``scale``), so the same
parameters work for a face 150 px or 600 px wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class OneEuroParams:
    """Parameters of the One Euro filter.

    Attributes
    ----------
    min_cutoff_hz : float
        Cut-off frequency when still: lower is smoother (and slower to settle).
    beta : float
        How fast the cut-off rises with speed (per face width per second): higher
        means less lag when moving.
    d_cutoff_hz : float
        Cut-off of the low-pass filter on the speed estimate itself.
    max_gap_s : float
        A gap between frames longer than this restarts the filter (the face may
        have moved anywhere in the meantime).
    """

    min_cutoff_hz: float = 1.5
    beta: float = 12.0
    d_cutoff_hz: float = 1.0
    max_gap_s: float = 0.5


def _alpha(dt_s: float, cutoff_hz: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Smoothing factor of an exponential filter with this cut-off at this time step."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz, dtype=np.float64))
    return np.asarray(1.0 / (1.0 + tau / dt_s), dtype=np.float64)


class OneEuroFilter:
    """One Euro filter over an (N, D) array of points (N points of D coordinates).

    Parameters
    ----------
    params : OneEuroParams, optional
    """

    def __init__(self, params: OneEuroParams | None = None) -> None:
        self.params = params or OneEuroParams()
        self._x: NDArray[np.float64] | None = None
        self._dx: NDArray[np.float64] | None = None
        self._t_s = 0.0

    def reset(self) -> None:
        """Forget the past: the next value passes through unchanged."""
        self._x = self._dx = None

    def speed(self, *, dims: int | None = None) -> NDArray[np.float64]:
        """Each point's filtered speed (units per second).

        Parameters
        ----------
        dims : int, optional, keyword-only
            Use only the first *dims* coordinates (e.g. 2: the image plane).

        Returns
        -------
        (N,) ndarray of float64
            Empty before the first sample.
        """
        if self._dx is None:
            return np.zeros(0)
        return np.asarray(np.linalg.norm(self._dx[:, :dims], axis=1), dtype=np.float64)

    def __call__(
        self, x: NDArray[np.float64], t_s: float, *, scale: float = 1.0
    ) -> NDArray[np.float64]:
        """Filter one new sample.

        Parameters
        ----------
        x : (N, D) ndarray of float64
            The new values.
        t_s : float
            Their time in seconds (any origin; increasing).
        scale : float, keyword-only
            Size that makes speeds comparable (e.g. the face width in the units of
            ``x``); the cut-off rises with speed / scale.

        Returns
        -------
        (N, D) ndarray of float64
            The smoothed values.
        """
        x = np.asarray(x, dtype=np.float64)
        p = self.params
        if self._x is None or self._x.shape != x.shape or not (0 < t_s - self._t_s <= p.max_gap_s):
            # First sample, a new shape, time going backwards or a long gap: restart.
            self._x, self._dx, self._t_s = x.copy(), np.zeros_like(x), t_s
            return x.copy()
        assert self._dx is not None
        dt = t_s - self._t_s
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(dt, p.d_cutoff_hz) * (dx - self._dx)
        speed = np.linalg.norm(self._dx, axis=1, keepdims=True) / max(scale, 1e-9)
        a = _alpha(dt, p.min_cutoff_hz + p.beta * speed)
        self._x = self._x + a * (x - self._x)
        self._t_s = t_s
        return self._x.copy()
