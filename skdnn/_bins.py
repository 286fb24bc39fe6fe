"""Quantile bins of numeric columns, encoded piecewise-linearly.

Each numeric column's bins are fitted as edges over its scaled values; a
value enters as one number per bin, 0 below the bin, full above it and
linear inside it (Gorishniy et al. 2022, "PLE"), so a column's bins add back
to its scaled value's place between its first and last edge. A full bin is
worth :data:`BIN_HEIGHT`.
"""

from __future__ import annotations

import numpy as np

#: The value of a full bin. At a quarter of the unit, a column's 8 bins
#: enter the first layer with less weight than its scaled value (sum of
#: squares at most 0.5, against 8 at height 1); measured on the quality
#: benchmark, small noisy tables then overfit less through their bins and
#: the tree-friendly tables keep their gain (see docs/user_guide/tabular.rst).
BIN_HEIGHT = 0.25


def quantile_edges(z: np.ndarray, n_bins: int):
    """Edges of up to ``n_bins`` quantile bins of one column's scaled values.

    The edges are values of the column (quantiles without interpolation), so
    tied quantiles merge and a column of few distinct values gets one bin
    between each two neighbouring values, as a thermometer code; a column
    with at most two distinct values gets none (its scaled value says it all).
    A 2-D ``z`` gives a list, the edges of each of its columns.
    """
    q = np.linspace(0.0, 1.0, n_bins + 1)
    quantiles = np.quantile(z, q, axis=0, method="inverted_cdf")
    if z.ndim == 2:
        return [_distinct(quantiles[:, i]) for i in range(z.shape[1])]
    return _distinct(quantiles)


def _distinct(quantiles: np.ndarray) -> np.ndarray:
    edges = np.unique(quantiles)
    return edges if edges.size >= 3 else np.zeros(0)


def bin_plan(edges: list) -> tuple:
    """(numeric column, lower edge, width) of every bin, as flat arrays."""
    column = [np.full(max(e.size - 1, 0), k, np.intp) for k, e in enumerate(edges)]
    low = [e[:-1] for e in edges if e.size]
    width = [np.diff(e) for e in edges if e.size]
    if not low:
        return np.zeros(0, dtype=np.intp), np.zeros(0), np.ones(0)
    return np.concatenate(column), np.concatenate(low), np.concatenate(width)


def encode_bins(
    z: np.ndarray, out: np.ndarray, plan: tuple, stop: int, height: float
) -> None:
    """Write the bin encodings of the scaled numbers ``z`` (one column per
    numeric feature), full bins at ``height``, into ``out[:, stop - n_bins :
    stop]``."""
    column, low, width = plan
    if not column.size:
        return
    # a few hundred rows at a time: the float64 scratch stays small
    step = max(1, 2**16 // column.size)
    for start in range(0, z.shape[0], step):
        bins = z[start : start + step, column]  # a copy: fancy indexing
        bins -= low
        bins /= width
        np.clip(bins, 0.0, 1.0, out=bins)
        if height != 1.0:
            bins *= height
        out[start : start + step, stop - column.size : stop] = bins
