"""Whether the tail of a curve falls: the statistics behind
:func:`~skdnn.diagnose`'s "still improving" (its thresholds are constants of
``skdnn._history``, passed in).
"""

from __future__ import annotations

import math

import numpy as np


def despiked(
    x: np.ndarray, y: np.ndarray, spreads: float, reference: np.ndarray | None = None
) -> np.ndarray:
    """``y`` with its isolated spikes moved onto its robust line.

    The line is Theil and Sen's (the median of the slopes between pairs of
    epochs), which a spike does not pull. A spike is an epoch further from
    it than ``spreads`` robust spreads (1.4826 median absolute
    deviations) of the epochs' distances from it: one noisy epoch must not
    decide whether the tail falls. Given a longer stretch of the curve
    ending with ``y`` (``reference``), the spread is read from its
    epoch-to-epoch steps instead (over sqrt 2, a step holding two epochs'
    noise). A curve on its line has no spread and no spike.
    """
    from scipy.stats import theilslopes

    slope, intercept, _, _ = theilslopes(y, x)
    line = slope * x + intercept
    deviation = y - line
    if reference is not None and len(reference) > len(y):
        # the noise read from a longer stretch of the curve (its epoch-to-epoch
        # steps, over sqrt 2): the deviations of 5 epochs from their own line
        # have a spread near 0 by chance, and an ordinary epoch read as a
        # spike; replaced by the line, a flat noisy tail "fell significantly"
        # (10 % of pure-noise tails of 5 epochs at the 2.5 % level)
        spread = _robust_spread(np.diff(np.asarray(reference, dtype=float)))
        spread /= math.sqrt(2)
    else:
        spread = _robust_spread(deviation)
    spikes = np.abs(deviation - np.median(deviation)) > spreads * spread
    return np.where(spikes & (spread > 0), line, y)


def _robust_spread(values: np.ndarray) -> float:
    """1.4826 median absolute deviations of ``values``: their standard
    deviation, were they normal, that a few outliers do not inflate."""
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def falls_significantly(x: np.ndarray, y: np.ndarray, level: float) -> bool:
    """Whether the least-squares slope of ``y`` is negative at the one-sided
    significance ``level`` (a t-test on the slope)."""
    from scipy.stats import t as student

    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    dof = len(x) - 2
    spread = np.sum((x - x.mean()) ** 2)
    error = math.sqrt(float(np.sum(residuals**2)) / dof / spread)
    return bool(-slope >= student.ppf(1 - level, dof) * error)
