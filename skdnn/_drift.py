"""Warnings about rows whose columns drifted from the fit's.

Rows a continued fit trains on, or rows to predict, are read as the fit
read its own: a column whose levels changed form, or that arrives empty,
tells the network nothing, and its answers drift towards a guess with no
error. These warnings name such columns, from the values the encoding
reads (:meth:`skdnn.TabularPreprocessor.transform`, or the first rows of a
large table the estimators predict a block at a time).
"""

from __future__ import annotations

import warnings

import numpy as np

from skdnn._columns import (
    _category_column,
    _column_list,
    _encode_levels,
    _is_dataframe,
    _lookups,
    _numeric_column,
)
from skdnn._user_warnings import user_stacklevel


def _warn_unseen_levels(columns, forms=None, share: float = 0.1) -> None:
    """Warn when ``share`` or more of the rows a continued fit trains on hold,
    in some categorical column, a level the fitted encoding does not know
    (the network reads it as unknown); rows to predict are warned about by
    :func:`_warn_drifted_categories`. ``columns``: ``(name, values, codes,
    lookup)`` of each categorical column, as the encoding read them;
    ``forms``: what fit warned about (see
    :func:`skdnn._text_forms._expected_new`)."""
    import pandas as pd

    from skdnn import _text_forms  # (which reads this module's helpers)

    flagged = []
    for name, values, codes, lookup in columns:
        unknown = (codes == 0) & ~np.asarray(pd.isna(values), dtype=bool)
        if unknown.sum() >= share * len(unknown) and unknown.any():
            seen = pd.unique(np.asarray(values, dtype=object)[unknown])
            if _text_forms._expected_new(forms, name, seen, lookup):
                continue
            flagged.append(
                f"{name!r} ({unknown.sum()} of {len(unknown)} rows, "
                f"e.g. {seen[:3].tolist()})"
            )
    if flagged:
        warnings.warn(
            f"Column(s) {', '.join(flagged)} hold levels the encoding learnt "
            "at the first call does not know, which the network reads as "
            "unknown: warm_start and partial_fit keep that encoding "
            "(preprocessor_). Fit anew on rows showing every level, or give "
            "the first call rows of every level.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


#: At predict, a categorical column is warned about when at least
#: ``UNSEEN_SHARE`` of its present values, and ``UNSEEN_MIN_VALUES`` or more,
#: are levels the fit never saw; the first ``UNSEEN_SAMPLE_ROWS`` rows are
#: read for it.
UNSEEN_SHARE = 0.5
UNSEEN_MIN_VALUES = 10
UNSEEN_SAMPLE_ROWS = 10_000


def _warn_unseen_at_predict(pre, X) -> None:
    """:func:`_warn_missing_at_predict` and :func:`_warn_mostly_unseen` of
    the first ``UNSEEN_SAMPLE_ROWS`` rows of ``X``, for rows encoded a chunk
    at a time (a large DataFrame or array, a sparse matrix)."""
    if X.shape[0] < UNSEEN_MIN_VALUES:
        return
    rows = X.iloc[:UNSEEN_SAMPLE_ROWS] if _is_dataframe(X) else X[:UNSEEN_SAMPLE_ROWS]
    _warn_missing_at_predict(_numeric_gaps(pre, rows), rows.shape[0])
    if pre.categories_:
        _warn_drifted_categories(pre, _category_columns(pre, rows), rows.shape[0])


def _warn_drifted_categories(pre, columns, n_rows: int) -> None:
    """The warnings of categorical columns of rows to predict: mostly levels
    the encoding reads as unknown (:func:`_warn_mostly_unseen`), or mostly
    missing where fit had no gap (:func:`_warn_missing_at_predict`).
    ``columns``: ``(name, values, codes, lookup)`` of every categorical
    column of ``pre``, in order."""
    forms = getattr(pre, "_column_forms", None)
    # the values warned about as respelled count as known here
    respelled = _warn_respelled(columns)
    _warn_mostly_unseen(
        [
            (name, values, np.where(respelled.get(name, False), -1, codes), lookup)
            for name, values, codes, lookup in columns
        ],
        forms,
        pooled=pre.min_frequency != 1,
    )
    _warn_missing_at_predict(_category_gaps(pre, columns), n_rows, numbers=False)


def _category_gaps(pre, columns) -> list[tuple[str, int]]:
    """``(name, n_missing)`` of the categorical columns that had no missing
    value at fit and kept a level (``pre._complete_categories``; none for a
    model saved before it was kept). ``columns``: ``(name, values, codes,
    lookup)`` of every categorical column, in order."""
    import pandas as pd

    complete = getattr(pre, "_complete_categories", None)
    if complete is None:
        return []
    return [
        (name, int(np.count_nonzero(pd.isna(values))))
        for (name, values, _, lookup), whole in zip(columns, complete, strict=True)
        if whole and len(lookup)
    ]


def _numeric_gaps(pre, rows) -> list[tuple[str, int]]:
    """``(name, n_missing)`` of the number columns of ``rows`` that had no
    gap at fit (no indicator) and are read (not held constant), among those
    missing in half of the rows or more (what :func:`_warn_missing_at_predict`
    warns about): counted for all the columns at once, where a wide matrix's
    columns one by one took longer than its prediction."""
    import scipy.sparse as sp

    numeric = pre.numeric_features_
    read = np.isfinite(pre.scale_) & ~np.isin(numeric, pre.indicator_features_)
    columns = numeric[read]
    n_rows = rows.shape[0]
    if sp.issparse(rows):  # the gaps are stored NaNs, each (row, column) once
        rows = rows.tocoo()
        gap = np.isnan(rows.data)
        cells = np.unique(rows.row[gap] * np.int64(rows.shape[1]) + rows.col[gap])
        counts = np.bincount(cells % rows.shape[1], minlength=rows.shape[1])[columns]
    elif isinstance(rows, np.ndarray) and rows.dtype.kind == "f":
        counts = np.zeros(rows.shape[1], dtype=np.int64)
        for start in range(0, n_rows, 1024):  # a bounded mask at a time
            counts += np.isnan(rows[start : start + 1024]).sum(axis=0)
        counts = counts[columns]
    elif isinstance(rows, np.ndarray):  # integers: no gap
        return []
    else:
        names = pre._column_names()
        counts = np.array(
            [np.isnan(_numeric_column(rows, j, names[j])).sum() for j in columns],
            dtype=np.int64,
        )
    hit = counts >= UNSEEN_SHARE * n_rows
    if not hit.any():
        return []
    names = pre._column_names()
    return [(names[j], int(n)) for j, n in zip(columns[hit], counts[hit], strict=True)]


def _category_columns(pre, rows) -> list[tuple]:
    """``(name, values, codes, lookup)`` of each categorical column of
    ``rows``, as :func:`_warn_unseen_levels` and :func:`_warn_mostly_unseen`
    read them."""
    names = pre._column_names()
    lookups = getattr(pre, "_lookups", None) or _lookups(pre.categories_)
    columns = []
    for j, lookup in zip(
        np.flatnonzero(pre.categorical_features_), lookups, strict=True
    ):
        values = _category_column(rows, j, names[j])
        columns.append((names[j], values, _encode_levels(values, lookup), lookup))
    return columns


def _warn_missing_at_predict(gaps, n_rows: int, *, numbers: bool = True) -> None:
    """Warn when number columns (or, not ``numbers``, categorical ones) that
    had no missing value at fit are mostly missing in the rows to predict.
    ``gaps``: ``(name, n_missing)`` of each such column.

    Each gap is read as the column's fill value (or as an unknown level),
    and the network, which never met a gap there, has no indicator to tell
    it: the column tells it nothing in these rows, and its answers drift
    towards a guess. It is the sign of a column lost on the way (a failed
    join, a renamed field).
    """
    if n_rows < UNSEEN_MIN_VALUES:
        return
    flagged = [gap for gap in gaps if gap[1] >= UNSEEN_SHARE * n_rows]
    if flagged:
        listed = _column_list(flagged, show=lambda g: f"{g[0]!r} ({g[1]} of {n_rows})")
        kind, read = (
            ("Number", "the column's fill value")
            if numbers
            else ("Categorical", "an unknown level")
        )
        warnings.warn(
            f"{kind} column(s) {listed} are "
            "mostly missing in the rows to predict, but had no missing value at "
            f"fit: each gap is read as {read}, so the "
            "column tells the model nothing in these rows. Check that the "
            "column reaches the model as at fit (a failed join, a renamed or "
            "empty field upstream).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def _warn_respelled(columns) -> dict:
    """Warn when a categorical column of the rows to predict holds a level
    the fit saw, spelled otherwise in spaces or case (``"fixed "`` for
    ``"fixed"``), however few: the encoding reads it as unknown, and the
    row's answer drifts with no error. Returns ``{name: rows}``, a mask of
    the rows respelled in each column warned about. ``columns``: ``(name,
    values, codes, lookup)`` of each categorical column, as the encoding
    read them."""
    import pandas as pd

    from skdnn import _text_forms  # (which reads this module's helpers)

    flagged, found = [], {}
    for name, values, codes, lookup in columns:
        unknown = (codes == 0) & ~np.asarray(pd.isna(values), dtype=bool)
        if not unknown.any():
            continue
        values = np.asarray(values, dtype=object)
        pairs = _text_forms.respelled(pd.unique(values[unknown]), lookup)
        if not pairs:
            continue
        # (values[unknown] holds no missing value: pd.NA compared in np.isin
        # raised "boolean value of NA is ambiguous", and text beside numbers
        # cannot be sorted)
        rows = unknown.copy()
        rows[unknown] = pd.Series(values[unknown], dtype=object).isin(
            [value for value, _ in pairs]
        )
        examples = ", ".join(f"{v!r} for {level!r}" for v, level in pairs[:3])
        flagged.append(f"{name!r} ({rows.sum()} of {len(codes)} rows, e.g. {examples})")
        found[name] = rows
    if flagged:
        warnings.warn(
            f"Column(s) {', '.join(flagged)} hold levels the fit saw spelled "
            "otherwise (in spaces or case), which the encoding reads as "
            "unknown: those rows' answers ignore the column. Write the levels "
            "as at fit (e.g. strip their spaces, match their case).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    return found


def _warn_mostly_unseen(columns, forms=None, *, pooled: bool = False) -> None:
    """Warn when a categorical column of the rows to predict holds mostly
    levels the fitted encoding does not know. ``columns``: ``(name, values,
    codes, lookup)`` of each categorical column, as the encoding read them;
    ``forms``: what fit warned about
    (:func:`skdnn._text_forms._expected_new`).

    The network reads them as unknown, so the column tells it nothing: the
    sign of a column whose values changed form since the fit (``"a"`` now
    ``"A"``, zip codes that lost their leading zeros) rather than of new
    levels, a few of which any column meets.
    """
    import pandas as pd

    from skdnn import _text_forms  # (which reads this module's helpers)

    flagged = []
    for name, values, codes, lookup in columns:
        if not len(lookup) or len(codes) < UNSEEN_MIN_VALUES:
            continue  # no level kept at fit (warned about then), or few rows
        present = ~np.asarray(pd.isna(values), dtype=bool)
        unknown = (codes == 0) & present
        n_present, n_unknown = int(present.sum()), int(unknown.sum())
        if n_present >= UNSEEN_MIN_VALUES and n_unknown >= UNSEEN_SHARE * n_present:
            new = pd.unique(np.asarray(values, dtype=object)[unknown])
            if _text_forms._expected_new(forms, name, new, lookup):
                continue
            new, seen = _text_forms.clipped(new[:3]), _text_forms.clipped(lookup[:3])
            flagged.append(
                f"{name!r} ({n_unknown} of {n_present} values, e.g. {new}; "
                f"fit saw e.g. {seen})"
            )
    if flagged:
        warnings.warn(
            f"Column(s) {', '.join(flagged)} hold mostly levels "
            + (
                "the encoding reads as unknown: never seen at fit, or seen "
                "there fewer times than min_frequency (pooled). Check that the "
                "column "
                if pooled
                else "never seen at fit, which the encoding reads as unknown. "
                "Check that the column "
            )
            + "holds its values as at fit (spelling, case, codes), and that the "
            "fit's rows (of positive sample_weight) covered these categories "
            "(an identifier belongs out of the features).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
