"""Reading a table's columns for :class:`~skdnn.TabularPreprocessor`.

A column is read as numbers (float64, NaN where missing) or as levels of a
category; dtypes that are neither (dates, durations, nested values) are
refused with an error naming the column. The levels learned at fit are
kept as the plainest numpy array that holds them exactly and found again by
hashing.
"""

from __future__ import annotations

import numbers
import re
import sys
import warnings

import numpy as np

from skdnn._user_warnings import user_stacklevel

#: ``pandas.api.types.infer_dtype`` answers refused in a column of objects.
_REFUSED_INFERRED = {
    "datetime": "dates/times",
    "datetime64": "dates/times",
    "date": "dates",
    "time": "times of day",
    "timedelta": "durations",
    "timedelta64": "durations",
    "period": "periods",
    "interval": "intervals",
    "complex": "complex numbers",
}


def _is_dataframe(X) -> bool:
    # No pandas import for array input: a DataFrame means pandas is loaded.
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(X, pd.DataFrame)


def _as_pandas(X):
    """``X`` as it came, or a DataFrame of another library (polars, a
    pyarrow Table: whatever narwhals reads) as a pandas DataFrame.

    Each column is taken through its own numpy values, so the result does
    not depend on which converters (pyarrow) are installed: text and
    categorical columns become objects (missing as None), integer columns
    with nulls floats with NaN, decimals floats, an all-null column of no
    type objects (as pandas reads it), dates and durations numpy's, refused
    by name as pandas's are. Column names are kept, and so checked at
    predict.
    """
    if isinstance(X, np.ndarray) or _is_dataframe(X):
        return X
    kind = type(X).__name__
    if kind == "LazyFrame":
        raise TypeError(
            "X is a polars LazyFrame; collect it into a DataFrame first (X.collect())."
        )
    try:
        import narwhals.stable.v1 as nw
    except ImportError:  # scikit-learn < 1.8 reads such frames as arrays
        return X
    if kind == "RecordBatch" and type(X).__module__.startswith("pyarrow"):
        import pyarrow as pa

        X = pa.Table.from_batches([X])
    if not nw.dependencies.is_into_dataframe(X):
        return X
    import pandas as pd

    frame = nw.from_native(X, eager_only=True)
    names = list(frame.columns)
    columns = {j: _column_values(frame, name, nw) for j, name in enumerate(names)}
    out = pd.DataFrame(columns, index=pd.RangeIndex(frame.shape[0]))
    out.columns = pd.Index(names, dtype=object)
    return out


def _column_values(frame, name, nw):
    """One column of a narwhals frame as a 1d numpy array (a pandas
    Categorical for a categorical one), nulls missing."""
    series = frame.get_column(name)
    if series.dtype == nw.Decimal:
        series = series.cast(nw.Float64)
    values = series.to_numpy()
    if values.ndim != 1:  # a struct's fields
        raise ValueError(
            f"Column {name!r} holds nested values ({series.dtype}), which cannot "
            "be encoded as numbers or categories. Unnest them into separate "
            "columns or drop the column."
        )
    missing = series.is_null().to_numpy()
    if series.dtype == nw.Unknown and missing.all():  # polars's Null type
        return np.full(values.shape, None, dtype=object)
    if missing.any():
        # (a dictionary column's nulls come out of to_numpy as a level)
        if values.dtype.kind == "f":
            values = np.where(missing, np.nan, values)
        else:
            values = values.astype(object)
            values[missing] = None
    if series.dtype in (nw.Categorical, nw.Enum):
        # a category its owner chose, as pandas's category dtype is (not
        # text to be warned about as numbers or dates written as text)
        import pandas as pd

        return pd.Categorical(values)
    return values


def _is_categorical_dtype(dtype) -> bool:
    import pandas as pd

    if isinstance(dtype, pd.SparseDtype):  # read as its values' dtype
        dtype = dtype.subtype
    if isinstance(dtype, pd.ArrowDtype):  # read_parquet(dtype_backend="pyarrow")
        import pyarrow as pa

        kind = dtype.pyarrow_dtype
        return (
            pa.types.is_dictionary(kind)
            or _is_arrow_text(kind)
            or pa.types.is_boolean(kind)
        )
    return (
        isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype))
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def _is_arrow_text(kind) -> bool:
    """Whether the pyarrow type ``kind`` is one of text."""
    import pyarrow as pa

    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or getattr(pa.types, "is_string_view", lambda _: False)(kind)
    )


#: What ``pandas.api.types.infer_dtype`` calls a column of numbers only
#: (missing values skipped): read as numbers, in an array of objects or a
#: DataFrame's object column.
_NUMBER_COLUMN_KINDS = ("floating", "integer", "mixed-integer-float", "decimal")


def _is_number_object(value) -> bool:
    """Whether ``value`` is a Python or numpy number (not text, not a boolean)."""
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(
        value, (bool, np.bool_)
    )


def _holds_labels(values: np.ndarray) -> bool:
    """Whether an object column holds categories: text that is mostly not
    numbers, booleans, or nothing at all (a column all missing at fit, whose
    later values may be text); not numbers, nor numbers written as text
    (rows read by ``csv.reader``), which are converted as numbers are, a
    stray ``"?"`` among them refused by name."""
    import pandas as pd

    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("boolean", "bytes", "empty"):
        return True
    if inferred in _NUMBER_COLUMN_KINDS:
        return False
    text = [v for v in values if isinstance(v, str)]
    if not text:
        return any(isinstance(v, (bytes, bool, np.bool_)) for v in values)
    numbers = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce")
    return bool(numbers.isna().mean() > 0.5)


def _holds_numbers(series) -> bool:
    """Whether a DataFrame's ``object`` column holds numbers only (Python,
    numpy or ``Decimal`` numbers and missing values), as ``df.T.T``,
    ``apply(axis=1)`` or records leave a column of numbers: read as numbers,
    as they are in an array of objects, not as one category per value."""
    import pandas as pd

    if not pd.api.types.is_object_dtype(series.dtype):
        return False
    return pd.api.types.infer_dtype(series, skipna=True) in _NUMBER_COLUMN_KINDS


def _refuse_dtype(dtype, name) -> None:
    """ValueError for a column dtype that is neither numbers nor categories."""
    import pandas as pd

    if isinstance(dtype, pd.SparseDtype):  # read densely, as its values' dtype
        dtype = dtype.subtype
    kind, how = None, "numbers (e.g. elapsed seconds, or year and month as "
    how += "separate columns) or to a category"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        kind = "dates/times"
    elif pd.api.types.is_timedelta64_dtype(dtype):
        kind = "durations"
        how = "numbers (e.g. seconds: .dt.total_seconds())"
    elif pd.api.types.is_complex_dtype(dtype):
        kind = "complex numbers"
        how = "real numbers (its real and imaginary parts, or its magnitude, as "
        how += "separate columns)"
    elif isinstance(dtype, pd.PeriodDtype):
        kind = f"periods ({dtype})"
        how = "numbers (e.g. .dt.year and .dt.month as separate columns) or to a "
        how += "category (.astype(str))"
    elif isinstance(dtype, pd.IntervalDtype):
        kind = f"intervals ({dtype})"
        how = "numbers (e.g. their .array.mid) or to a category (.astype(str))"
    elif getattr(dtype, "kind", "O") == "V":
        kind = "structured records"
        how = "separate columns of numbers or categories"
    if kind is not None:
        raise ValueError(
            f"Column {name!r} holds {kind}, which TabularPreprocessor cannot "
            f"encode. Convert it to {how}, or drop it."
        )


def _refuse_objects(values, name, *, nested: bool = True) -> str:
    """ValueError for a column of dates, lists, dicts and other non-scalars;
    what ``pandas.api.types.infer_dtype`` calls the column otherwise."""
    import pandas as pd

    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _REFUSED_INFERRED:
        raise ValueError(
            f"Column {name!r} holds {_REFUSED_INFERRED[inferred]}, which "
            "TabularPreprocessor cannot encode. Convert it to numbers or to a "
            "category, or drop it."
        )
    if nested and inferred.startswith("mixed"):
        for value in values:
            if isinstance(value, (list, tuple, dict, set, np.ndarray)):
                raise ValueError(
                    f"Column {name!r} holds nested values such as "
                    f"{type(value).__name__} objects, which cannot be encoded as "
                    "numbers or categories. Flatten them into separate columns "
                    "or drop the column."
                )
    return inferred


def _numeric_column(X, j, name) -> np.ndarray:
    """Column ``j`` as float64 with NaN for every missing value (no copy of X)."""
    values = _float_column(X, j, name)
    if np.isinf(values).any():
        raise ValueError(
            f"Column {name!r} holds infinite values. Replace them with NaN (a "
            "missing value, imputed; with a missing indicator where the column "
            "had gaps at fit) or with large finite values."
        )
    return values


def _float_column(X, j, name) -> np.ndarray:
    import pandas as pd

    if _is_dataframe(X):
        series = _dense(X.iloc[:, j])
        _refuse_dtype(series.dtype, name)
        if pd.api.types.is_numeric_dtype(series.dtype):
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        values = series.to_numpy(dtype=object)
    else:
        values = _array_column(X, j)
        _refuse_dtype(values.dtype, name)
        if values.dtype.kind in "biuf":
            return values.astype(np.float64)
    # Nested values fail in astype below with numpy's TypeError, the one
    # scikit-learn's checks expect from a numeric column.
    _refuse_objects(values, name, nested=False)
    missing = pd.isna(values)
    if missing.any():
        values = np.where(missing, np.nan, values)
    try:
        return values.astype(np.float64)
    except ValueError as exc:
        raise ValueError(
            f"Column {name!r} is treated as numeric but holds values that are not "
            f"numbers ({exc}). List it in categorical_features, or convert it."
        ) from exc
    except TypeError as exc:
        # Keep numpy's wording: scikit-learn's checks look for it.
        raise TypeError(f"Column {name!r} is treated as numeric: {exc}") from exc


def _dense(series):
    """A pandas sparse column as its dense values (as scikit-learn reads it)."""
    import pandas as pd

    if isinstance(series.dtype, pd.SparseDtype):
        return series.sparse.to_dense()
    return series


def _category_column(X, j, name):
    """Column ``j`` as a 1d array-like of levels (pandas or numpy).

    Levels other than text, numbers and booleans (the intervals of
    ``pandas.cut``, timestamps as categories, ``Decimal`` or ``bytes``
    objects) are read as their text, at fit and at transform alike, so
    that ``categories_`` holds plain values :func:`skdnn.save` stores.
    """
    if _is_dataframe(X):
        series = _dense(X.iloc[:, j])
        _refuse_dtype(series.dtype, name)
        if series.dtype == object:
            values = series.to_numpy()
            return _plain_levels(values, _refuse_objects(values, name))
        if isinstance(series.dtype, _categorical_dtype()):
            return _plain_categories(series).array
        return series.array
    values = _array_column(X, j)
    _refuse_dtype(values.dtype, name)
    if values.dtype == object:
        return _plain_levels(values, _refuse_objects(values, name))
    return values


def _array_column(X, j) -> np.ndarray:
    """Column ``j`` of an array, or of a sparse matrix as a dense array (of a
    CSC matrix with summed duplicates, read from its arrays: no copy of X)."""
    import scipy.sparse as sp

    if not sp.issparse(X):
        return X[:, j]
    if X.format != "csc":
        return X[:, [j]].toarray().ravel()
    start, end = X.indptr[j], X.indptr[j + 1]
    values = np.zeros(X.shape[0], dtype=X.dtype)
    values[X.indices[start:end]] = X.data[start:end]
    return values


#: What pandas.api.types.infer_dtype calls columns of plain levels only.
_PLAIN_INFERRED = frozenset(
    {"string", "integer", "floating", "boolean", "mixed-integer-float", "empty"}
)


def _categorical_dtype():
    import pandas as pd

    return pd.CategoricalDtype


def _plain_levels(values: np.ndarray, inferred: str) -> np.ndarray:
    """An object array with each level that is not text, a number or a
    boolean as its text (a new array; ``values`` itself when all are).
    ``inferred``: what ``pandas.api.types.infer_dtype`` calls ``values``."""
    import pandas as pd

    if inferred in _PLAIN_INFERRED:
        return values
    plain = (str, bool, int, float, np.generic)
    missing = pd.isna(values)
    odd = [
        i
        for i, (v, m) in enumerate(zip(values, missing, strict=True))
        if not (m or isinstance(v, plain))
    ]
    if not odd:
        return values
    out = values.copy()
    for i in odd:
        out[i] = str(values[i])
    return out


def _plain_categories(series):
    """A categorical series whose categories are read as their text when
    they are not text, numbers or booleans (the series itself otherwise)."""
    categories = series.cat.categories
    if categories.inferred_type in _PLAIN_INFERRED:
        return series
    text = [str(c) for c in categories]
    if len(set(text)) < len(text):  # two levels of one text: kept as they are
        return series
    return series.cat.rename_categories(text)


def _learn_levels(values, min_count: int) -> np.ndarray:
    """The sorted levels seen at least ``min_count`` times, as a plain array."""
    import pandas as pd

    counts = pd.Series(values, copy=False).value_counts(dropna=True, sort=False)
    kept = [level for level, count in counts.items() if count >= min_count]
    try:
        kept.sort()
    except TypeError:  # mixed types (numbers and text): by type name, then value
        kept.sort(key=lambda v: (type(v).__name__, v))
    return _level_array(kept)


def _level_array(levels: list) -> np.ndarray:
    """Levels as the plainest numpy array that keeps them exactly."""
    if levels and all(isinstance(v, str) for v in levels):
        return np.array(levels, dtype=str)
    if levels and all(isinstance(v, (bool, np.bool_)) for v in levels):
        return np.array(levels, dtype=bool)
    if levels and all(map(_is_number_object, levels)):
        array = np.array(levels)
        if array.dtype.kind in "iuf":
            return array
    out = np.empty(len(levels), dtype=object)
    out[:] = [v.item() if isinstance(v, np.generic) else v for v in levels]
    return out


def _lookups(categories) -> tuple:
    """A pandas Index of each column's levels, to find codes by hashing."""
    import pandas as pd

    return tuple(
        pd.Index(levels if levels.dtype != object else levels.tolist())
        for levels in categories
    )


def _as_lookup_kind(values, lookup):
    """Booleans and the numbers 0 and 1 as one another, as Python compares
    them; numbers and their text as one another (see :func:`_text_or_numbers`).

    A column fit on ``True``/``False`` and given ``1``/``0`` (or the reverse,
    as after a round trip through a CSV file or numpy) means the same levels,
    which a pandas Index would not find across the two dtypes.
    """
    return _text_or_numbers(_bools_or_numbers(values, lookup), lookup)


def _text_or_numbers(values, lookup):
    """Numbers given where the levels are text, or text where they are
    numbers, matched by value (``3`` or ``3.0`` for ``"3"``, ``"3"`` or
    ``"3.0"`` for ``3``); booleans and ``"True"``/``"false"`` text, one for
    the other.

    Codes read as text at fit (``dtype=str``) and as numbers later, or the
    reverse, mean the same levels; compared as they are, every one was
    unseen and the network read the column as unknown on every row. Text
    that is no number stays text (unseen); a number several text levels
    read as (``"1"``, ``"01"``, ``"1.0"``) matches the one Python writes
    it as, else none.
    """
    import pandas as pd

    levels = lookup.inferred_type
    if levels not in ("string", "boolean", *_NUMBER_KINDS):
        return values
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        given = pd.api.types.infer_dtype(values.categories, skipna=True)
        if not _kinds_differ(levels, given):
            return values
        values = np.asarray(values, dtype=object)
    else:
        given = pd.api.types.infer_dtype(values, skipna=True)
        if not _kinds_differ(levels, given):
            return values
    given_values = np.asarray(values, dtype=object)
    present = ~np.asarray(pd.isna(values), dtype=bool)
    if levels == "string" and given in _NUMBER_KINDS:
        by_value = _levels_by_value(lookup)
        match = [_level_of(by_value, v) for v in given_values[present]]
    elif levels == "string":  # booleans for "True"/"False" text levels
        words = {str(v).strip().lower(): v for v in lookup}
        match = [words.get(str(v).lower(), v) for v in given_values[present]]
    elif levels == "boolean":  # "True", "false" for booleans
        words = {"true": True, "false": False}
        match = [words.get(v.strip().lower(), v) for v in given_values[present]]
    else:  # text for numeric levels
        parsed = [_parse_number(v) for v in given_values[present]]
        match = [
            v if n is None else n
            for v, n in zip(given_values[present], parsed, strict=True)
        ]
    out = np.full(len(given_values), None, dtype=object)
    out[present] = match
    return out


_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float")


def _kinds_differ(levels: str, given: str) -> bool:
    """Whether values of pandas kind ``given`` need reading as ``levels``'."""
    if levels == "string":
        return given in (*_NUMBER_KINDS, "boolean")
    if levels == "boolean":
        return given == "string"
    return given == "string"


def _levels_by_value(lookup) -> dict:
    """Text levels that are numbers, by their value: each value's levels."""
    found: dict = {}
    for level in lookup:
        number = _parse_number(level)
        if number is not None:
            found.setdefault(number, []).append(level)
    return found


def _level_of(by_value: dict, value):
    """The text level of number ``value``: the one level of its value, or
    among several (``"1"``, ``"01"``, ``"1.0"``) the one Python writes it
    as; else ``value`` itself (unseen)."""
    number = _plain_number(value)
    levels = by_value.get(number)
    if not levels:
        return value
    if len(levels) == 1:
        return levels[0]
    written = str(value.item() if isinstance(value, np.generic) else value)
    return written if written in levels else value


def _plain_number(value):
    """A numpy or Python number as a Python one (``3.0`` as ``3``)."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A number as tables write it, in ASCII digits (no ``1_000``, no digits of
#: other scripts).
_NUMBER_TEXT = re.compile(
    r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?",
    re.IGNORECASE | re.ASCII,
)


def _parse_number(text):
    """The number ``text`` writes (an int where it is one), else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:
        return _plain_number(float(text))


def _bools_or_numbers(values, lookup):
    import pandas as pd

    dtype = getattr(values, "dtype", None)
    if dtype is None or lookup.dtype == object:
        return values
    values_bool = pd.api.types.is_bool_dtype(dtype)
    values_number = pd.api.types.is_numeric_dtype(dtype) and not values_bool
    if lookup.dtype == bool and values_number:
        numbers_ = np.asarray(
            pd.array(values, dtype="Float64").to_numpy(float, na_value=np.nan)
        )
        out = np.full(numbers_.shape, None, dtype=object)
        out[numbers_ == 1] = True
        out[numbers_ == 0] = False
        return out
    if lookup.dtype.kind in "iuf" and values_bool:
        return np.asarray(
            pd.array(values, dtype="Float64").to_numpy(float, na_value=np.nan)
        )
    return values


def _encode_levels(values, lookup) -> np.ndarray:
    """Codes 1..L of known levels, 0 for missing and unseen ones."""
    import pandas as pd

    codes = lookup.get_indexer(_as_lookup_kind(values, lookup)) + 1
    missing = np.asarray(pd.isna(values), dtype=bool)
    if missing.any():
        codes[missing] = 0
    return codes


def _resolve_categorical(pre, X) -> np.ndarray:
    """Which columns of ``X`` a :class:`~skdnn.TabularPreprocessor` ``pre``
    encodes as categories: its ``categorical_features``, resolved."""
    n = X.shape[1]
    spec = pre.categorical_features
    frame = _is_dataframe(X)
    if spec is None:
        return np.zeros(n, dtype=bool)
    if isinstance(spec, str):  # "from_dtype"
        if frame:
            return np.array(
                [
                    _is_categorical_dtype(dt) and not _holds_numbers(X.iloc[:, j])
                    for j, dt in enumerate(X.dtypes)
                ],
                bool,
            )
        if X.dtype != object:
            return np.zeros(n, dtype=bool)
        # a table a meta-estimator (bagging) passed on as an object array
        return np.array([_holds_labels(X[:, j]) for j in range(n)], dtype=bool)
    spec = np.asarray(spec)
    if spec.dtype.kind == "b":
        if spec.shape != (n,):
            raise ValueError(
                f"categorical_features is a boolean mask of shape {spec.shape}; "
                f"expected ({n},), one entry per input column."
            )
        return spec.astype(bool, copy=True)
    mask = np.zeros(n, dtype=bool)
    if spec.size == 0:
        return mask
    if spec.dtype.kind in "iu":
        bad = spec[(spec < 0) | (spec >= n)]
        if bad.size:
            raise ValueError(
                f"categorical_features holds the index {int(bad[0])}, outside "
                f"[0, {n - 1}] for input with {n} columns."
            )
        mask[spec] = True
        return mask
    if spec.dtype.kind in "UO":
        names = getattr(pre, "feature_names_in_", None)
        if names is None:
            raise ValueError(
                "categorical_features names columns, which needs a DataFrame "
                "with string column names; give integer indices for arrays."
            )
        where = {name: i for i, name in enumerate(names)}
        for name in spec.tolist():
            if name not in where:
                raise ValueError(
                    f"categorical_features names the column {name!r}, which "
                    f"is not in X; its columns are {list(names)}."
                )
            mask[where[name]] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, a boolean mask, or "
        f"a list of column names or indices; got {pre.categorical_features!r}."
    )


def _check_column_names(X, fitted) -> None:
    """ValueError naming the first column missing, renamed or moved."""
    columns = [_plain_label(c) for c in X.columns]
    fitted = list(fitted)
    if columns == fitted:
        return
    present = set(columns)
    missing = [name for name in fitted if name not in present]
    if missing:
        extra = [c for c in columns if c not in set(fitted)]
        renamed = f" (renamed to {extra[0]!r}?)" if extra else ""
        raise ValueError(
            f"X lacks the column {missing[0]!r}{renamed} seen at fit; give the "
            f"columns seen at fit, in order: {_first_of(fitted)}."
        )
    for position, (got, want) in enumerate(zip(columns, fitted, strict=False)):
        if got != want:
            raise ValueError(
                f"Column {want!r} is not where it was at fit (position {position} "
                f"holds {got!r}); reorder the columns as at fit: {_first_of(fitted)}."
            )


def _first_of(names: list, most: int = 20) -> str:
    """``names`` as a list, the first ``most`` and a count of the rest (a
    message of 2000 column names ran to 17,000 characters)."""
    if len(names) <= most:
        return repr(names)
    return f"{repr(names[:most])[:-1]}, ... and {len(names) - most} more]"


def _column_list(names, most: int = 20, show=repr) -> str:
    """Column names as a warning lists them: ``'a', 'b'``, the first ``most``
    and a count of the rest (a HashingVectorizer's 64,000 constant columns
    made a warning of 567,000 characters). ``show``: how an entry reads."""
    names = list(names)
    listed = ", ".join(show(name) for name in names[:most])
    return listed if len(names) <= most else f"{listed} and {len(names) - most} more"


def _warn_uninformative(names: list[str], what: str, held: bool = True) -> None:
    if names:
        warnings.warn(
            f"Column(s) {_column_list(names)} {what}: they carry no information "
            "for the "
            + (
                "model, which reads them as constants."
                if held
                else "model in these rows (a later warm_start or partial_fit "
                "call may teach it their other values)."
            ),
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def _check_float32_range(X, name: str) -> None:
    """Refuse finite values that overflow float32, the precision the network
    trains in: numbers of a float64 array, or of a DataFrame's number
    columns (named in the message)."""
    if _is_dataframe(X):
        import pandas as pd

        for column, series in X.items():
            dtype = series.dtype
            if pd.api.types.is_numeric_dtype(dtype) and not (
                pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_complex_dtype(dtype)
            ):
                values = series.to_numpy(dtype=np.float64, na_value=np.nan)
                _check_float32_range(values, f"{name}'s column {column!r}")
        return
    import scipy.sparse as sp

    limit = np.finfo(np.float32).max
    if sp.issparse(X):  # its stored values
        X = X.data
    if X.dtype != np.float64 or not X.size:
        return
    with np.errstate(invalid="ignore"):
        too_large = np.abs(X) > limit
    if np.any(too_large & np.isfinite(X)):
        raise ValueError(
            f"Input {name} contains a value too large for dtype('float32') "
            f"(beyond +/-{limit:.4g}), the precision the network trains in; "
            "scale the features, or let the model scale them "
            "(numeric_scaling='robust')."
        )


def refuse_missing_targets(y, what: str, fix: str) -> None:
    """ValueError for None, NaN or pd.NA in ``y``, counting the rows.

    scikit-learn's own check sees none of None and pd.NA in an object or
    string column (a regressor trained on the NaN they become, and pd.NA
    failed deep in pandas), nor names ``y`` for a NaN label.
    """
    import pandas as pd

    missing = np.asarray(pd.isna(np.asarray(y)))
    if missing.ndim == 0 or not missing.any():
        return
    rows = int(missing.reshape(missing.shape[0], -1).any(axis=1).sum())
    raise ValueError(
        f"y has missing {what} (None or NaN) in {rows} rows; drop those rows or {fix}."
    )


def checked_targets(estimator, y):
    """``y`` as every fit of a skdnn ``estimator`` checks it, before the
    estimator's own ``_check_y``: a sparse label indicator matrix made
    dense, missing targets refused (its ``_check_target_values``), then
    scikit-learn's check with its ``_y_validation``. A search checks ``y``
    with it before cutting any fold."""
    import scipy.sparse as sp
    from sklearn.utils.validation import _check_y

    if sp.issparse(y):
        y = y.toarray()
    estimator._check_target_values(y)
    y = _check_y(y, multi_output=True, **estimator._y_validation)
    return y.toarray() if sp.issparse(y) else y  # a frame of pandas sparse columns


def _plain_label(label):
    """A column label as plain data skdnn.save stores: a Python number, text
    or tuple of those; any other object as its text."""
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, tuple):
        return tuple(_plain_label(part) for part in label)
    if isinstance(label, (str, int, float)):  # bool is an int
        return label
    return str(label)


def _unique_names(names: list[str]) -> list[str]:
    """``names`` with each repeat suffixed ``_1``, ``_2``, ... (a suffix no
    other name has), in order."""
    taken = set(names)
    if len(taken) == len(names):
        return names
    seen, out = set(), []
    for name in names:
        if name in seen:
            k = 1
            while f"{name}_{k}" in taken:
                k += 1
            name = f"{name}_{k}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out
