"""Tabular input: raw table in, the float32 matrix a dense network wants out.

A network trained on unscaled, heavy-tailed numbers or on text columns
learns badly or not at all, and a user who must build a ColumnTransformer
first will often build it wrong. :class:`TabularPreprocessor` does what the
tabular-MLP literature recommends, from plain fitted numpy state:

* numbers are scaled robustly (median, quantile range) and their extremes
  smoothly clipped, so a few outliers neither dominate nor saturate;
* missing numbers are imputed at the centre, with one indicator column per
  column that had missing values at fit;
* categories are one-hot encoded when they have few levels and passed on as
  integer codes for a learned embedding when they have many; missing,
  unseen and pooled rare levels share a reserved slot, so predicting never
  fails on a new level.

The embeddings live in the network (:mod:`skdnn._embedding`): a Keras layer
that turns the code columns into learned vectors, and its folded numpy form
for the inference plan.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from skdnn._bins import BIN_HEIGHT, bin_plan, encode_bins, quantile_edges
from skdnn._columns import (
    _as_pandas,
    _category_column,
    _check_column_names,
    _encode_levels,
    _is_dataframe,
    _learn_levels,
    _lookups,
    _numeric_column,
    _plain_label,
    _resolve_categorical,
    _unique_names,
    _warn_uninformative,
)
from skdnn._drift import (
    _warn_drifted_categories,
    _warn_missing_at_predict,
    _warn_unseen_levels,
)
from skdnn._shared_api import DocLinkMixin
from skdnn._text_forms import _is_text_column, _warn_text_columns
from skdnn._user_warnings import filtered_warnings

#: Normal-consistent divisor of the interquartile range (IQR of N(0, 1)).
_IQR_NORMAL = 1.3489795003921634
# The quantiles a numeric column's robust statistics read.
_QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
# Most values of a numeric block whose statistics are read in one go (a
# float64 copy of 8 MB); a larger table is read column by column, no copy.
_WHOLE_VALUES = 2**20
#: Rows handled at once by the numeric fast path: bounds its float64 scratch.
_BLOCK_ROWS = 1_024


def embedding_dim(n_levels: int, max_dim: int = 16) -> int:
    """Width of the learned embedding of a column with ``n_levels`` levels.

    ``min(max_dim, round(1.6 * n_levels ** 0.56))``: the rule of thumb fastai
    fitted on many tabular tasks, capped because the first dense layer of a
    tabular MLP rarely needs more than a few dozen inputs per column.

    Parameters
    ----------
    n_levels : int
        Number of levels kept at fit (the unknown slot not counted).
    max_dim : int, default=16
        Upper bound of the width.

    Returns
    -------
    int
        The embedding width, at least 1.

    Examples
    --------
    >>> embedding_dim(10), embedding_dim(40), embedding_dim(10_000)
    (6, 13, 16)
    """
    return int(max(1, min(max_dim, round(1.6 * n_levels**0.56))))


class TabularPreprocessor(DocLinkMixin, TransformerMixin, BaseEstimator):
    """Encode a raw table (numbers, categories, missing values) for a network.

    Numeric columns are centred and scaled from robust statistics of the
    rows given to ``fit`` and their extremes smoothly clipped; missing
    numbers are imputed at the centre with a missing-indicator column.
    Categorical columns with few levels are one-hot encoded; columns with
    many levels become one integer code column each, for a learned
    embedding in the network. Levels unseen at fit, missing values and
    rare levels share code 0, the "unknown" slot, so ``transform`` never
    fails on a new level.

    With ``numeric_bins``, each numeric column also enters as a
    piecewise-linear encoding over its quantile bins (Gorishniy et al.,
    2022): one value per bin, 0 below the bin, full above it (at
    ``bin_height_``, a quarter) and linear inside, so a network can draw a
    step or a kink at any bin edge from one layer.

    The output is a float32 array laid out as ``[dense block | codes]``: the
    dense block holds the scaled numbers, then the missing indicators, then
    the one-hot columns, then the bin encodings; then comes one code column
    per embedded categorical column.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of str, int or bool, \
            or None, default="from_dtype"
        Which input columns are categorical.

        - ``"from_dtype"``: the columns of a DataFrame whose dtype is
          ``category``, ``object``, string or ``bool`` (also the nullable
          ``boolean``), except ``object`` columns holding only numbers
          (Python, numpy or ``Decimal`` numbers, read as numbers); the
          columns of a numpy array of objects that hold text (not numbers
          written as text), booleans or nothing (a table as scikit-learn's
          ``BaggingClassifier`` passes it on); any other numpy array is all
          numeric.
        - list of column names (DataFrame input) or of integer indices.
        - boolean mask over the input columns.
        - ``None``: every column is numeric.

        Integer-coded categories in a numpy array are declared by index.
    numeric_scaling : {"robust", "standard"} or None, default="robust"
        ``"robust"``: subtract the median, divide by the interquartile range
        over 1.349 (the standard deviation for normal data). ``"standard"``:
        mean and standard deviation. ``None``: numbers pass through
        unscaled (missing ones get the median, no clipping).
    smooth_clip : float or None, default=3.0
        Scaled values ``z`` become ``z / sqrt(1 + (z / smooth_clip) ** 2)``:
        nearly unchanged near 0, monotone, and never beyond
        ``+-smooth_clip``. ``None`` leaves scaled values unclipped.
    max_onehot_levels : int, default=8
        A categorical column with at most this many kept levels is one-hot
        encoded; one with more is embedded. ``0`` embeds every
        categorical column.
    min_frequency : int or float, default=1
        Levels seen fewer times than this at fit (a fraction of the rows if
        a float in (0, 1)) are pooled into the unknown slot, with missing
        and unseen levels. ``1`` pools nothing.
    max_embedding_dim : int, default=16
        Cap of the embedding width, see :func:`embedding_dim`.
    numeric_bins : int or None, default=None
        Number of quantile bins of the piecewise-linear encoding of each
        numeric column (fewer where the column has fewer distinct values;
        none for a column with at most two). The scaled number stays in the
        output beside its bins. ``None`` encodes no bins.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the input columns, when they are all strings.
    column_labels_ : list
        Labels of the columns of a DataFrame given to fit whose labels are
        not all strings (integers, a MultiIndex's tuples; other objects as
        their text), checked at ``transform`` as ``feature_names_in_`` is.
    categorical_features_ : ndarray of bool, shape (n_features_in_,)
        Which input columns are categorical.
    numeric_features_ : ndarray of int
        Indices of the numeric input columns, in output order.
    center_ : ndarray of float64
        Value subtracted from each numeric column.
    scale_ : ndarray of float64
        Divisor of each numeric column: ``inf`` for a column constant or
        all missing at fit, which is then always 0 in the output (its
        weights would learn nothing at fit, and a new value would move the
        output at random), except in an estimator that may train on
        (``warm_start``, ``partial_fit``), where it is 1.
    fill_ : ndarray of float64
        Value given to a missing number, after scaling.
    indicator_features_ : ndarray of int
        Input columns that had missing numbers at fit and get an indicator
        (one all missing gets none, being held at 0, except in an estimator
        that may train on).
    categories_ : list of ndarray
        Kept levels of each categorical column (sorted), in input order;
        level ``i`` has code ``i + 1``. A level held by every row at fit is
        not kept (except in an estimator that may train on): like an unseen
        one, it then has code 0.
    onehot_features_ : ndarray of int
        Categorical input columns encoded one-hot.
    embedded_features_ : ndarray of int
        Categorical input columns emitted as codes for an embedding.
    n_dense_features_ : int
        Width of the dense block of the output.
    embedding_cardinalities_ : tuple of int
        Slots of each embedded column: its kept levels plus the unknown slot.
    embedding_dims_ : tuple of int
        Embedding width of each embedded column.
    bin_edges_ : list of ndarray of float64
        Edges of the bins of each numeric column, in scaled units and in
        the order of ``numeric_features_``; empty for a column without bins.
        Its bins are the intervals between consecutive edges.
    bin_height_ : float
        The value of a full bin in the output (``0.25``).

    See Also
    --------
    sklearn.compose.ColumnTransformer : Hand-built preprocessing, column by
        column.
    sklearn.preprocessing.RobustScaler : Median and quantile-range scaling.

    Notes
    -----
    Statistics are computed one column at a time, so fitting on a large
    numeric array makes no copy of it. For a float array with only numeric
    columns and no missing value, ``transform`` is a few vectorised numpy
    operations; any row slice can be transformed on its own.

    Object columns of a DataFrame holding text are categorical under
    ``"from_dtype"`` even when the text writes numbers (zip codes, or
    numbers exported with ``"."`` for missing ones: warned about); convert
    them with ``pandas.to_numeric`` to have them scaled instead. An object
    column holding only numbers (as ``df.T.T`` or ``apply(axis=1)`` leave
    one) is numeric.
    Dates, durations, complex numbers and nested objects are refused: turn
    them into numbers or categories first. Categorical levels that are not
    text, numbers or booleans (the intervals of ``pandas.cut``, timestamps
    in a ``category`` column, ``Decimal`` or ``bytes`` objects) are read as
    their text, so ``categories_`` holds ``"(0, 18]"`` for an interval.
    skdnn's estimators hold one: in front of them a code column's levels
    would be read as one number (see the tabular data guide).

    Examples
    --------
    >>> import pandas as pd
    >>> from skdnn import TabularPreprocessor
    >>> X = pd.DataFrame({"size": [10.0, 11.0, 12.0, None, 14.0, 900.0],
    ...                   "colour": ["red", "blue", "red", None, "blue", "green"]})
    >>> pre = TabularPreprocessor().fit(X)
    >>> pre.get_feature_names_out().tolist()
    ['size', 'missingindicator_size', 'colour_blue', 'colour_green', 'colour_red']
    >>> pre.transform(X).round(2)
    array([[-0.86,  0.  ,  0.  ,  0.  ,  1.  ],
           [-0.44,  0.  ,  1.  ,  0.  ,  0.  ],
           [ 0.  ,  0.  ,  0.  ,  0.  ,  1.  ],
           [ 0.  ,  1.  ,  0.  ,  0.  ,  0.  ],
           [ 0.86,  0.  ,  1.  ,  0.  ,  0.  ],
           [ 3.  ,  0.  ,  0.  ,  1.  ,  0.  ]], dtype=float32)

    The outlier 900 lands at 3, the smooth-clipping bound; the missing size
    gets the median (0) and its indicator; the missing colour is all zeros.

    With two bins, the size also enters as how far it is through the lower
    and the upper half of the (scaled) sizes seen at fit, a full bin being
    worth ``bin_height_``; the missing size is read at its fill, the median:

    >>> pre = TabularPreprocessor(numeric_bins=2).fit(X[["size"]])
    >>> pre.get_feature_names_out().tolist()
    ['size', 'missingindicator_size', 'size_bin0', 'size_bin1']
    >>> pre.bin_height_
    0.25
    >>> (pre.transform(X[["size"]])[:, 2:] / pre.bin_height_).round(2)
    array([[0.  , 0.  ],
           [0.48, 0.  ],
           [1.  , 0.  ],
           [1.  , 0.  ],
           [1.  , 0.29],
           [1.  , 1.  ]], dtype=float32)
    """

    _parameter_constraints: dict = {
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "numeric_scaling": [StrOptions({"robust", "standard"}), None],
        "smooth_clip": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "max_onehot_levels": [Interval(numbers.Integral, 0, None, closed="left")],
        "min_frequency": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="neither"),
        ],
        "max_embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "numeric_bins": [Interval(numbers.Integral, 2, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        numeric_scaling="robust",
        smooth_clip=3.0,
        max_onehot_levels=8,
        min_frequency=1,
        max_embedding_dim=16,
        numeric_bins=None,
    ):
        self.categorical_features = categorical_features
        self.numeric_scaling = numeric_scaling
        self.smooth_clip = smooth_clip
        self.max_onehot_levels = max_onehot_levels
        self.min_frequency = min_frequency
        self.max_embedding_dim = max_embedding_dim
        self.numeric_bins = numeric_bins

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the scaling of each numeric column and the levels of each
        categorical one.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The training table.
        y : None
            Ignored.

        Returns
        -------
        self : TabularPreprocessor
            The fitted transformer.
        """
        import pandas as pd

        X = self._check_input(X, reset=True)
        if sp.issparse(X):  # read column by column, from a copy (summed, sorted)
            X = X.tocsc(copy=True)
            X.sum_duplicates()
        n_samples = X.shape[0]
        # a network trained on further (warm_start, partial_fit) may learn
        # such a column later: it is not held then
        hold = getattr(self, "_hold_constants", True)
        self.categorical_features_ = _resolve_categorical(self, X)
        names = self._column_names()
        numeric = np.flatnonzero(~self.categorical_features_)
        center = np.zeros(numeric.size)
        scale = np.ones(numeric.size)
        fill = np.zeros(numeric.size)
        indicators, edges = [], []
        empty, constant = [], []
        # filled in place column by column; _scale reads them for the bins
        self.center_, self.scale_ = center, scale
        # a float array without missing values: the quantiles of all its
        # columns in one call each (the same numbers as column by column)
        whole = _whole_numeric(X, numeric)
        quantiles = None
        if whole is not None and self.numeric_scaling != "standard":
            quantiles = np.quantile(whole, _QUANTILES, axis=0)
        binned = []
        for k, j in enumerate(numeric):
            values = _numeric_column(X, j, names[j])
            missing = np.isnan(values)
            present = values[~missing] if missing.any() else values
            edges.append(np.zeros(0))
            if present.size == 0:
                empty.append(names[j])
                if hold:
                    scale[k] = np.inf  # held at 0, as every row was at fit
                    continue
            if missing.any():
                indicators.append(j)
            if present.size == 0:
                continue
            center[k], scale[k], fill[k] = self._numeric_statistics(
                present, None if quantiles is None else quantiles[:, k]
            )
            if self.smooth_clip is not None and self.numeric_scaling is not None:
                # a flag's median, 1, clipped as its 1s are (0.95)
                fill[k] = _smooth_clip(fill[k : k + 1], self.smooth_clip)[0]
            if scale[k] == 0.0:
                if not missing.any():  # else its indicator tells the gaps
                    constant.append(names[j])
                # held at 0: a value that never varied at fit trained no
                # weight, and a new one would move the output at random
                scale[k] = np.inf if hold else 1.0
            elif self.numeric_bins is not None:
                if whole is not None:  # read with the other columns, below
                    binned.append(k)
                else:
                    edges[k] = quantile_edges(
                        self._scale(present, k), self.numeric_bins
                    )
        if binned:
            z = self._scale(whole[:, binned], binned)
            for k, column_edges in zip(
                binned, quantile_edges(z, self.numeric_bins), strict=True
            ):
                edges[k] = column_edges

        min_count = (
            math.ceil(self.min_frequency * n_samples)
            if isinstance(self.min_frequency, float) and self.min_frequency < 1
            else int(self.min_frequency)
        )
        categories, onehot, embedded, single, rare = [], [], [], [], []
        read, complete = [], []
        for j in np.flatnonzero(self.categorical_features_):
            values = _category_column(X, j, names[j])
            text = isinstance(self.categorical_features, str) and _is_text_column(X, j)
            read.append((names[j], values, text, min_count > 1))
            levels = _learn_levels(values, min_count)
            complete.append(not np.any(pd.isna(values)))
            if levels.size == 0:
                (empty if np.all(pd.isna(values)) else rare).append(names[j])
            elif levels.size == 1:
                single.append(names[j])
                every_row = _encode_levels(values, _lookups([levels])[0]) == 1
                if hold and np.all(every_row):
                    # its one-hot 1 on every row is a constant, and any other
                    # value would move the output at random: not kept
                    levels = levels[:0]
            categories.append(levels)
            (onehot if levels.size <= self.max_onehot_levels else embedded).append(j)

        _warn_uninformative(empty, "are all missing at fit", hold)
        _warn_uninformative(
            rare,
            f"have no level seen at least {min_count} times at fit (min_frequency)",
            hold,
        )
        _warn_uninformative(constant, "are constant at fit", hold)
        _warn_uninformative(single, "have a single level at fit", hold)
        # (the new levels at predict of a column warned about here, an
        # identifier, say, are not warned about again then)
        self._column_forms = _warn_text_columns(read)

        self.numeric_features_ = numeric
        self.center_ = center
        self.scale_ = scale
        self.fill_ = fill
        self.indicator_features_ = np.asarray(indicators, dtype=np.intp)
        self.categories_ = categories
        # which had no gap: one that arrives empty at predict is warned about
        self._complete_categories = np.array(complete, dtype=bool)
        self.onehot_features_ = np.asarray(onehot, dtype=np.intp)
        self.embedded_features_ = np.asarray(embedded, dtype=np.intp)
        position = {
            j: i for i, j in enumerate(np.flatnonzero(self.categorical_features_))
        }
        self.bin_edges_ = edges
        self.bin_height_ = BIN_HEIGHT
        self.n_dense_features_ = self._dense_width()
        self.embedding_cardinalities_ = tuple(
            int(categories[position[j]].size + 1) for j in embedded
        )
        self.embedding_dims_ = tuple(
            embedding_dim(categories[position[j]].size, self.max_embedding_dim)
            for j in embedded
        )
        # Derived from categories_ and bin_edges_, kept only to spare
        # transform rebuilding them (not saved: a transformer restored
        # without them builds them per call).
        self._lookups = _lookups(categories)
        self._bins = bin_plan(edges)
        return self

    def transform(self, X):
        """Encode ``X`` as the float32 ``[dense block | codes]`` array.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table, with the columns seen at fit.

        Returns
        -------
        ndarray of float32, shape (n_samples, n_features_out)
            The encoded table.

        Warns
        -----
        UserWarning
            When a column of 10 or more rows drifted from the fit's: a
            categorical one holds mostly levels never seen at fit, or one
            that had no missing value at fit is missing in half the rows or
            more (the warnings skdnn's estimators give at ``predict``).
        """
        return self._encode(X, np.float32, warn_unseen="predict")

    def fit_transform(self, X, y=None):
        """Fit to ``X``, then encode it, as :meth:`fit` then :meth:`transform`
        (without transform's warnings: these rows are the fit's own).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table.
        y : None
            Ignored.

        Returns
        -------
        ndarray of float32, shape (n_samples, n_features_out)
            The encoded table.
        """
        return self.fit(X, y)._encode(X, np.float32)

    def _encode(self, X, dtype, *, names_checked=False, warn_unseen=False):
        """:meth:`transform` into ``dtype``: the estimators predict float64
        rows in float64, so a row's answer does not depend on its block.
        ``names_checked``: the caller (an estimator) has already warned
        about column names, which are not warned about twice.
        ``warn_unseen``: the rows are a continued fit's, warned about when a
        tenth of them hold, in some categorical column, a level this
        encoding does not know (see :func:`_warn_unseen_levels`);
        ``"predict"``: rows to predict, warned about when most do, or when a
        column without gaps at fit is mostly missing (see
        :func:`~skdnn._drift._warn_drifted_categories`)."""
        if not hasattr(self, "n_dense_features_"):  # cheaper than check_is_fitted
            check_is_fitted(self, "n_dense_features_")
        if sp.issparse(X):  # a block of rows (see skdnn._forward.EncodedRows)
            X = X.toarray()
        # The hot path of a numeric model's predict: a finite float array of
        # the right width, no names to check, skips all validation.
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype.kind == "f"
            and X.shape[1] == self.n_features_in_
            and not self.categories_
            and not hasattr(self, "feature_names_in_")
        ):
            out = self._transform_finite_numeric(X, dtype)
            if out is not None:
                return out
        known = {"action": "ignore", "message": "X (does not have valid|has) feature"}
        with filtered_warnings(*([known] if names_checked else [])):
            X = self._check_input(X, reset=False)
        names = self._column_names()
        out = np.zeros((X.shape[0], self._n_features_out()), dtype=dtype)
        n_numeric = self.numeric_features_.size
        indicator_column = {
            j: n_numeric + i for i, j in enumerate(self.indicator_features_)
        }
        # the bins read the float64 scaled numbers, as on the fast path
        z = np.empty((X.shape[0], n_numeric if self._n_bin_features() else 0))
        gaps = []  # of the columns without gaps at fit
        for k, j in enumerate(self.numeric_features_):
            values = _numeric_column(X, j, names[j])
            missing = np.isnan(values)
            scaled = self._scale(values, k)
            if missing.any():
                scaled[missing] = self.fill_[k]
                if j in indicator_column:
                    out[missing, indicator_column[j]] = 1.0
                elif np.isfinite(self.scale_[k]):  # (a held column is no loss)
                    gaps.append((names[j], int(missing.sum())))
            out[:, k] = scaled
            if z.shape[1]:
                z[:, k] = scaled
        if warn_unseen == "predict":
            _warn_missing_at_predict(gaps, X.shape[0])

        start = n_numeric + self.indicator_features_.size
        codes, unseen = {}, []
        lookups = getattr(self, "_lookups", None) or _lookups(self.categories_)
        for j, lookup in zip(
            np.flatnonzero(self.categorical_features_), lookups, strict=True
        ):
            values = _category_column(X, j, names[j])
            codes[j] = _encode_levels(values, lookup)
            if warn_unseen:
                unseen.append((names[j], values, codes[j], lookup))
        if warn_unseen == "predict":
            _warn_drifted_categories(self, unseen, X.shape[0])
        else:  # a continued fit's rows (none read when warn_unseen is off)
            _warn_unseen_levels(unseen, getattr(self, "_column_forms", None))
        for j in self.onehot_features_:
            n_levels = self.categories_[self._category_position(j)].size
            rows = np.flatnonzero(codes[j])
            out[rows, start + codes[j][rows] - 1] = 1.0
            start += n_levels
        for i, j in enumerate(self.embedded_features_):
            out[:, self.n_dense_features_ + i] = codes[j]
        self._encode_bins(z, out)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Numbers keep their column name; indicators are
        ``missingindicator_<name>``; one-hot columns ``<name>_<level>``;
        embedded code columns ``<name>_code``. A name that another output
        column has already taken (column ``a_b`` beside level ``b`` of
        column ``a``) gets a suffix ``_1``, ``_2``, ... so that every name
        is unique, as a DataFrame output needs.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; by default ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self, "categorical_features_")
        names = _check_feature_names_in(self, input_features)
        out = [names[j] for j in self.numeric_features_]
        out += [f"missingindicator_{names[j]}" for j in self.indicator_features_]
        for j in self.onehot_features_:
            levels = self.categories_[self._category_position(j)]
            out += [f"{names[j]}_{level}" for level in levels.tolist()]
        for j, e in zip(self.numeric_features_, self._edges(), strict=True):
            out += [f"{names[j]}_bin{t}" for t in range(e.size - 1)]
        out += [f"{names[j]}_code" for j in self.embedded_features_]
        return np.asarray(_unique_names(out), dtype=object)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def __getstate__(self):
        # The lookups are derived from categories_: copies (pickle, skops)
        # carry only the plain fitted arrays and rebuild them.
        state = super().__getstate__()
        state.pop("_lookups", None)
        state.pop("_bins", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "categories_" in state:
            self._lookups = _lookups(self.categories_)

    def _numeric_statistics(self, present, q=None):
        """(center, scale, fill) of one column's present values (``q``: their
        ``_QUANTILES``, when already known)."""
        if self.numeric_scaling == "standard":
            return *_mean_and_std(present), 0.0
        if q is None:
            q = np.quantile(present, _QUANTILES)
        median = float(q[3])
        if self.numeric_scaling is None:
            return 0.0, 1.0 if q[6] > q[0] else 0.0, median
        if q[6] > q[0] and np.all((present == q[0]) | (present == q[6])):
            # Two values (a flag, a one-hot column of a ColumnTransformer)
            # become 0 and 1 (0.95 after the smooth clip), close to the
            # one-hot columns encoded here: dividing by a rare level's small
            # spread would make it loud and clip it.
            low, span = float(q[0]), float(q[6] - q[0])
            return low, span, (median - low) / span
        if q[4] > q[2]:
            return median, float((q[4] - q[2]) / _IQR_NORMAL), 0.0
        # A column mostly at one value (counts, flags, sparse pixels) has no
        # interquartile range: its rare other values would land far out and
        # all be clipped alike, so its standard deviation scales it instead.
        return median, _mean_and_std(present)[1], 0.0

    def _scale(self, values, k):
        """Scaled (and smoothly clipped) ``values`` of numeric column ``k``, or
        of the columns ``k`` (a list) of a 2-D ``values``."""
        with np.errstate(over="ignore"):  # a huge value: clipped below
            z = values - self.center_[k]
            z /= self.scale_[k]
        if self.smooth_clip is not None and self.numeric_scaling is not None:
            z = _smooth_clip(z, self.smooth_clip)
        return z

    def _transform_finite_numeric(self, X, dtype):
        """Fast path for a float array of numeric columns; None if not finite."""
        n = X.shape[0]
        if n <= _BLOCK_ROWS and self.n_dense_features_ == X.shape[1]:
            z = self._scale_block(X)
            return None if z is None else z.astype(dtype, copy=False)
        out = np.zeros((n, self.n_dense_features_), dtype=dtype)
        for start in range(0, n, _BLOCK_ROWS):
            z = self._scale_block(X[start : start + _BLOCK_ROWS])
            if z is None:
                return None
            block = out[start : start + z.shape[0]]
            block[:, : z.shape[1]] = z
            self._encode_bins(z, block)
        return out

    def _encode_bins(self, z, out):
        """Write the bins of the scaled numbers ``z`` into ``out``'s dense block."""
        plan = getattr(self, "_bins", None)
        if plan is None:
            plan = self._bins = bin_plan(self._edges())
        encode_bins(z, out, plan, self.n_dense_features_, self._bin_height())

    def _scale_block(self, X):
        """Scaled and clipped rows of an all-numeric array (float32 for
        float32 rows, float64 otherwise), or None when a value is not finite
        (missing values: the general path)."""
        # A sum is finite only if every term is: cheaper than
        # np.isfinite(X).all() on one row, and the NaN never reaches the
        # arithmetic below (no RuntimeWarning from inf / inf).
        with np.errstate(over="ignore"):  # huge finite values: the general path
            if not math.isfinite(X.sum()):
                return None
        # float32 rows are scaled in float32, the precision the network reads
        # them in (a fifth to a half less time than float64 on 20k rows; each
        # value within a float32 rounding of float64's); float64 as before
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        with np.errstate(over="ignore"):  # a huge value: clipped below
            z = X - self.center_.astype(dtype, copy=False)
            z /= self.scale_.astype(dtype, copy=False)
        if self.smooth_clip is not None and self.numeric_scaling is not None:
            z = _smooth_clip(z, self.smooth_clip)
        return z if math.isfinite(z.sum()) else None  # an overflow, if any

    def _check_input(self, X, *, reset):
        """``X`` as a DataFrame or a 2d ndarray; names and width checked."""
        X = _as_pandas(X)
        if _is_dataframe(X):
            if X.ndim != 2:
                raise ValueError("Expected a 2D DataFrame.")
            labels = [_plain_label(c) for c in X.columns]
            # (timestamps, say, are no names, though kept as their text)
            if reset and not all(isinstance(c, str) for c in X.columns):
                # not feature names to scikit-learn, yet checked as those are
                self.column_labels_ = labels
            elif reset:
                self.__dict__.pop("column_labels_", None)
            elif hasattr(self, "feature_names_in_") or hasattr(self, "column_labels_"):
                fitted = getattr(self, "feature_names_in_", None)
                _check_column_names(
                    X, self.column_labels_ if fitted is None else fitted
                )
            validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[0] == 0 or X.shape[1] == 0:
                raise ValueError(
                    f"Found a DataFrame of shape {X.shape}, while at least one row "
                    "and one column are required."
                )
            return X
        X = check_array(
            X, accept_sparse=("csr", "csc"), dtype=None, ensure_all_finite=False,
            input_name="X", copy=False,
        )  # fmt: skip
        if X.dtype.kind in "US":
            X = X.astype(object)
        if reset:  # an earlier fit's labels
            self.__dict__.pop("column_labels_", None)
        validate_data(self, X, skip_check_array=True, reset=reset)
        return X

    def _column_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = getattr(self, "column_labels_", None)
        if names is None:
            return [f"x{j}" for j in range(self.n_features_in_)]
        return [str(name) for name in names]

    def _dense_width(self) -> int:
        """Width of the dense block the fitted columns encode into: numbers,
        missing indicators, one-hot levels and bins."""
        return int(
            self.numeric_features_.size
            + self.indicator_features_.size
            + sum(
                self.categories_[self._category_position(j)].size
                for j in self.onehot_features_
            )
            + self._n_bin_features()
        )

    def _n_bin_features(self) -> int:
        """Width of the bin encodings at the end of the dense block."""
        return sum(max(e.size - 1, 0) for e in self._edges())

    def _n_own_features(self) -> int:
        """The input width the automatic hidden widths follow: the columns'
        own encodings (not the bins, which re-encode the numbers) and the
        embedding vectors."""
        return (
            self.n_dense_features_ - self._n_bin_features() + sum(self.embedding_dims_)
        )

    def _bin_height(self) -> float:
        """``bin_height_``, or 1 for a transformer saved before it."""
        return getattr(self, "bin_height_", 1.0)

    def _edges(self):
        """``bin_edges_``, or no bins for a transformer saved before them."""
        edges = getattr(self, "bin_edges_", None)
        return [np.zeros(0)] * self.numeric_features_.size if edges is None else edges

    def _category_position(self, j):
        return int(np.count_nonzero(self.categorical_features_[:j]))

    def _n_features_out(self):
        return self.n_dense_features_ + self.embedded_features_.size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.sparse = True
        # Text is read from DataFrame columns, declared categorical columns
        # and the text columns of an object array; the "string" tag stays
        # off unless columns are declared because scikit-learn's
        # check_dtype_object then expects a fit to take a dict among
        # numbers, which a numeric column refuses (with the TypeError that
        # the check expects of estimators without the tag).
        spec = self.categorical_features
        tags.input_tags.string = not (spec is None or isinstance(spec, str))
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _whole_numeric(X, numeric) -> np.ndarray | None:
    """The numeric columns of a float array with no missing or infinite value
    (a copy), or None: the statistics are then read column by column."""
    if not (type(X) is np.ndarray and X.dtype.kind == "f" and numeric.size):
        return None
    if X.shape[0] * numeric.size > _WHOLE_VALUES:
        return None
    whole = X[:, numeric] if numeric.size < X.shape[1] else X
    whole = whole.astype(np.float64)  # a copy, as the columns' were
    return whole if np.isfinite(whole).all() else None


#: Scaled values beyond this many times ``smooth_clip`` are clipped to it
#: (``t / sqrt(1 + t ** 2)`` rounds to 1 from far below this, in float32 and
#: float64 alike, and ``t ** 2`` does not overflow float32 at it).
_CLIP_SATURATION = 1e15


def _smooth_clip(z: np.ndarray, clip: float) -> np.ndarray:
    """``z / sqrt(1 + (z / clip) ** 2)`` in place, without overflow.

    The square of a scaled value beyond about 1e19 (float32) or 1e154
    (float64) overflows, and the value divided by that infinity became 0,
    the column's centre, where it belongs at the edge. Such values, and
    any that overflowed to infinity in the scaling, are first bounded at
    ``_CLIP_SATURATION * clip``, so every value lands within ``+-clip``,
    whatever its size and dtype; the others are computed as before.
    """
    inv = z.dtype.type(1.0 / clip)
    with np.errstate(over="ignore", invalid="ignore"):
        root = np.sqrt(z.dtype.type(1.0) + np.square(z * inv))
    if not math.isfinite(root.sum()):
        bound = z.dtype.type(_CLIP_SATURATION * clip)
        np.clip(z, -bound, bound, out=z)
        root = np.sqrt(z.dtype.type(1.0) + np.square(z * inv))
    z /= root
    return z


def _mean_and_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of finite ``values``, without overflow.

    The squares of values beyond about 1e154 overflow float64, which made
    the standard deviation infinite and the scaled column all zero, and
    those of values below about 1e-162 underflow to 0, which took a spread
    for none; such values are divided by their largest magnitude first.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        mean, std = float(values.mean()), float(values.std())
    spread = std > 0 or values.size == 0 or np.ptp(values) == 0
    if math.isfinite(mean) and math.isfinite(std) and spread:
        return mean, std
    top = float(np.max(np.abs(values)))
    unit = values / top
    return top * float(unit.mean()), top * float(unit.std())
