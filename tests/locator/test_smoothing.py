"""The One Euro filter: smooth when still, little lag when moving, restarts after a gap."""

from __future__ import annotations

import numpy as np

from acuface.locator.smoothing import OneEuroFilter, OneEuroParams

FPS = 30.0


def _run(f: OneEuroFilter, samples: np.ndarray, *, scale: float = 100.0) -> np.ndarray:
    return np.array([f(s, i / FPS, scale=scale) for i, s in enumerate(samples)])


def test_the_first_sample_passes_through_and_a_constant_stays_constant() -> None:
    f = OneEuroFilter()
    x = np.array([[10.0, 20.0, 3.0], [5.0, 6.0, 7.0]])
    np.testing.assert_array_equal(f(x, 0.0), x)
    for i in range(1, 20):
        np.testing.assert_allclose(f(x, i / FPS), x)
    assert np.allclose(f.speed(), 0.0)


def test_jitter_of_a_still_point_is_smoothed_away() -> None:
    rng = np.random.default_rng(7)
    noisy = 50.0 + rng.normal(0.0, 0.5, size=(120, 1, 2))  # 0.5 px jitter, like Face Mesh
    out = _run(OneEuroFilter(), noisy)
    raw_step = np.abs(np.diff(noisy[20:, 0, 0])).mean()
    smooth_step = np.abs(np.diff(out[20:, 0, 0])).mean()
    assert smooth_step < raw_step / 3
    assert abs(out[20:, 0, 0].mean() - 50.0) < 0.2  # no bias


def test_a_moving_point_is_followed_with_less_lag_than_a_plain_low_pass() -> None:
    # A point moving at 1.5 face widths per second (a quick turn of the head).
    t = np.arange(60) / FPS
    track = (150.0 * t)[:, None, None] * np.ones((1, 1, 2))
    euro = _run(OneEuroFilter(), track)
    plain = _run(OneEuroFilter(OneEuroParams(beta=0.0)), track)  # fixed 1.5 Hz cut-off
    euro_lag = np.abs(euro[30:, 0, 0] - track[30:, 0, 0]).mean()
    plain_lag = np.abs(plain[30:, 0, 0] - track[30:, 0, 0]).mean()
    assert euro_lag < plain_lag / 4
    assert euro_lag < 4.0  # px, at 5 px per frame
    speed = OneEuroFilter()
    _run(speed, track)
    # As in the original filter, speed is measured from the (slightly lagging)
    # filtered position, so it reads a little high while moving.
    true_speed = 150.0 * np.sqrt(2)
    assert true_speed <= speed.speed(dims=2)[0] < 1.3 * true_speed


def test_a_long_gap_or_time_going_backwards_restarts_the_filter() -> None:
    f = OneEuroFilter()
    f(np.zeros((1, 2)), 0.0)
    f(np.zeros((1, 2)), 1 / FPS)
    jumped = np.full((1, 2), 100.0)
    np.testing.assert_array_equal(f(jumped, 2.0), jumped)  # 2 s later: no smoothing
    np.testing.assert_array_equal(f(np.zeros((1, 2)), 1.0), np.zeros((1, 2)))  # backwards
    f.reset()
    np.testing.assert_array_equal(f(jumped, 1.1), jumped)
