"""Tests of TabularPreprocessor and the embedding layer it feeds."""

import datetime
import pickle
import warnings
import zipfile
from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdnn import TabularPreprocessor
from skdnn._embedding import EmbeddedKernel, embedding_layer_class
from skdnn._forward import extract_plan, forward
from skdnn._persistence import (
    _check_keras_archive,
    _decode,
    _encode,
    _keras_bytes,
    _load_keras_model,
)
from skdnn._preprocessing import embedding_dim
from skdnn._preprocessor_state import preprocessor_from_state, preprocessor_state

LEVELS_40 = np.array([f"city_{i:02d}" for i in range(40)])


def messy_frame(n=600, seed=0):
    """Heavy tails, 3- and 40-level text, booleans, Int64 with NA, 10 % NaN."""
    rng = np.random.default_rng(seed)
    income = np.exp(rng.normal(10, 1.5, n))  # log-normal, heavy right tail
    income[rng.random(n) < 0.1] = np.nan
    count = pd.array(rng.poisson(3, n), dtype="Int64")
    count[rng.random(n) < 0.1] = pd.NA
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[rng.random(n) < 0.1] = None
    return pd.DataFrame(
        {
            "income": income,
            "ratio": rng.standard_t(1.5, n),
            "colour": colour,
            "city": pd.Series(rng.choice(LEVELS_40, n), dtype="category"),
            "member": rng.random(n) < 0.3,
            "count": count,
        }
    )


@pytest.fixture
def frame():
    return messy_frame()


# ----------------------------------------------------------------------
# Layout and encoding
# ----------------------------------------------------------------------


def test_messy_frame_layout(frame):
    pre = TabularPreprocessor().fit(frame)
    Z = pre.transform(frame)

    assert Z.dtype == np.float32 and np.isfinite(Z).all()
    assert pre.n_features_in_ == 6
    assert list(pre.feature_names_in_) == list(frame.columns)
    assert pre.categorical_features_.tolist() == [0, 0, 1, 1, 1, 0]
    # numbers (3: income, ratio, count), indicators (income, count), one-hot
    # colour (3) and member (2); city has 40 levels > 8: embedded.
    assert pre.n_dense_features_ == 3 + 2 + 3 + 2
    assert pre.embedding_cardinalities_ == (41,)
    assert pre.embedding_dims_ == (embedding_dim(40),)
    assert Z.shape == (len(frame), pre.n_dense_features_ + 1)
    names = pre.get_feature_names_out().tolist()
    assert names == [
        "income",
        "ratio",
        "count",
        "missingindicator_income",
        "missingindicator_count",
        "colour_blue",
        "colour_green",
        "colour_red",
        "member_False",
        "member_True",
        "city_code",
    ]
    codes = Z[:, -1]
    expected = np.searchsorted(LEVELS_40, frame["city"].astype(str)) + 1
    np.testing.assert_array_equal(codes, expected)
    onehot = Z[:, 5:8]
    missing_colour = frame["colour"].isna().to_numpy()
    np.testing.assert_array_equal(onehot[missing_colour], 0.0)
    np.testing.assert_array_equal(onehot[~missing_colour].sum(axis=1), 1.0)


def test_unseen_and_missing_levels_go_to_the_unknown_slot(frame):
    pre = TabularPreprocessor().fit(frame)
    new = frame.iloc[:3].copy()
    new["colour"] = ["purple", None, "red"]
    new["city"] = pd.Series(["atlantis", None, "city_05"], dtype="category")
    Z = pre.transform(new)
    np.testing.assert_array_equal(Z[:, 5:8], [[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(Z[:, -1], [0, 0, 6])


@pytest.mark.parametrize(
    "fit_values, new_values",
    [
        (np.array([True, False, True, False]), np.array([1, 0, 1, 0])),
        (np.array([True, False, True, False]), np.array([1.0, 0.0, 1.0, 0.0])),
        (np.array([1, 0, 1, 0]), np.array([True, False, True, False])),
        (
            pd.array([True, False, True, pd.NA], dtype="boolean"),
            pd.array([1, 0, 1, pd.NA], dtype="Int64"),
        ),
    ],
)
def test_booleans_and_zero_one_codes_are_the_same_levels(fit_values, new_values):
    # a flag read back from a CSV file or numpy as 0/1 is the flag seen at
    # fit, as True == 1 in Python and in scikit-learn's encoders
    frame = pd.DataFrame({"flag": fit_values, "x": [0.0, 1.0, 2.0, 3.0]})
    pre = TabularPreprocessor(categorical_features=["flag"]).fit(frame)
    new = pd.DataFrame({"flag": new_values, "x": frame["x"]})
    np.testing.assert_array_equal(pre.transform(new), pre.transform(frame))
    # another number stays an unseen level
    odd = pd.DataFrame({"flag": np.array([2, 2, 2, 2]), "x": frame["x"]})
    assert not pre.transform(odd)[:, -2:].any()


def test_pandas_sparse_columns_read_as_their_dense_values():
    # pd.get_dummies(..., sparse=True) and sparse number columns: read as
    # scikit-learn's estimators read them, not refused
    rng = np.random.default_rng(0)
    x = np.where(rng.random(40) < 0.7, 0.0, rng.normal(size=40))
    x[3] = np.nan
    colour = pd.Series(rng.choice(["red", "blue", "green"], 40))
    dense = pd.concat([pd.Series(x, name="x"), pd.get_dummies(colour)], axis=1)
    sparse = pd.concat(
        [
            pd.Series(pd.arrays.SparseArray(x, fill_value=0.0), name="x"),
            pd.get_dummies(colour, sparse=True),
        ],
        axis=1,
    )
    pre = TabularPreprocessor().fit(sparse)
    expected = TabularPreprocessor().fit(dense)
    np.testing.assert_array_equal(
        pre.categorical_features_, expected.categorical_features_
    )
    np.testing.assert_array_equal(pre.transform(sparse), expected.transform(dense))


def test_missing_numbers_get_the_centre_and_an_indicator(frame):
    pre = TabularPreprocessor().fit(frame)
    Z = pre.transform(frame)
    income_missing = frame["income"].isna().to_numpy()
    count_missing = frame["count"].isna().to_numpy()
    np.testing.assert_array_equal(Z[:, 3], income_missing)
    np.testing.assert_array_equal(Z[:, 4], count_missing)
    np.testing.assert_array_equal(Z[income_missing, 0], 0.0)
    np.testing.assert_array_equal(Z[count_missing, 2], 0.0)

    # "ratio" had no missing value at fit: imputed, but no indicator appears.
    new = frame.iloc[:2].copy()
    new["ratio"] = [np.nan, None]
    Z_new = pre.transform(new)
    assert Z_new.shape[1] == Z.shape[1]
    np.testing.assert_array_equal(Z_new[:, 1], 0.0)


def test_pd_na_none_and_nan_are_all_missing():
    X = pd.DataFrame({"a": pd.array([1.0, pd.NA, 3.0, 4.0], dtype="Float64")})
    X_obj = np.array([[1.0], [None], [3.0], [4.0]], dtype=object)
    X_nan = np.array([[1.0], [np.nan], [3.0], [4.0]])
    outputs = [TabularPreprocessor().fit_transform(x) for x in (X, X_obj, X_nan)]
    for Z in outputs[1:]:
        np.testing.assert_array_equal(Z, outputs[0])
    np.testing.assert_array_equal(outputs[0][:, 1], [0, 1, 0, 0])


def test_pandas_text_and_boolean_dtypes_with_na_are_categorical():
    X = pd.DataFrame(
        {
            "s": pd.array(["b", pd.NA, "a", "b"], dtype="string"),
            "t": pd.Series(["x", "y", None, "x"]),  # pandas' default text dtype
            "flag": pd.array([True, pd.NA, False, True], dtype="boolean"),
            "cat": pd.Categorical(["u", "u", "v", None], categories=["u", "v", "w"]),
        }
    )
    pre = TabularPreprocessor().fit(X)
    assert pre.categorical_features_.all()
    # levels are the values seen at fit: the unused category "w" is not one
    assert [c.tolist() for c in pre.categories_] == [
        ["a", "b"],
        ["x", "y"],
        [False, True],
        ["u", "v"],
    ]
    expected = [
        [0, 1, 1, 0, 0, 1, 1, 0],
        [0, 0, 0, 1, 0, 0, 1, 0],
        [1, 0, 0, 0, 1, 0, 0, 1],
        [0, 1, 1, 0, 0, 1, 0, 0],
    ]
    np.testing.assert_array_equal(pre.transform(X), expected)


def test_rows_are_read_by_position_not_by_index_label(frame):
    pre = TabularPreprocessor().fit(frame)
    shuffled = frame.sample(frac=1.0, random_state=0)
    np.testing.assert_array_equal(
        pre.transform(shuffled), pre.transform(frame)[shuffled.index.to_numpy()]
    )


def test_small_and_nullable_numeric_dtypes_and_integer_categories():
    X = pd.DataFrame(
        {
            "u8": np.array([1, 2, 3, 4], dtype=np.uint8),
            "f16": np.array([1, 2, 3, 5], dtype=np.float16),
            "i8": pd.array([1, None, 3, 4], dtype="Int8"),
            "codes": pd.Categorical([3, 1, 3, 2]),
        }
    )
    pre = TabularPreprocessor().fit(X)
    assert pre.categories_[0].tolist() == [1, 2, 3]
    Z = pre.transform(X)
    np.testing.assert_array_equal(Z[:, 0], pre.transform(X.astype({"u8": float}))[:, 0])
    np.testing.assert_array_equal(Z[:, 3], [0, 1, 0, 0])  # the Int8 NA
    np.testing.assert_array_equal(
        Z[:, 4:], [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]]
    )


def test_infinite_numbers_are_refused_by_name():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, np.inf, 2.0]})
    with pytest.raises(ValueError, match="Column 'b' holds infinite values"):
        TabularPreprocessor().fit(X)
    pre = TabularPreprocessor().fit(X.to_numpy()[[0, 2]])
    with pytest.raises(ValueError, match="Column 'x1' holds infinite values"):
        pre.transform(X.to_numpy())


def test_robust_scaling_centres_the_median_and_bounds_extremes():
    rng = np.random.default_rng(1)
    x = np.sort(rng.standard_cauchy(1001))
    Z = TabularPreprocessor(smooth_clip=3.0).fit_transform(x[:, None])[:, 0]
    assert Z[500] == pytest.approx(0.0, abs=1e-6)  # the median
    assert np.abs(Z).max() < 3.0
    assert np.all(np.diff(Z) >= 0)  # monotone
    # Near the centre the clipping is nearly the identity: IQR / 1.349 scale.
    q25, q50, q75 = np.quantile(x, [0.25, 0.5, 0.75])
    inner = np.abs(x - q50) < 0.2 * (q75 - q25)
    np.testing.assert_allclose(
        Z[inner], (x[inner] - q50) / ((q75 - q25) / 1.349), rtol=0.01, atol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_values_clip_to_the_edge_in_every_dtype(dtype):
    # Values whose scaled square overflows (1e19 and up in float32, 1e154
    # in float64), or whose scaling overflows, land at +-smooth_clip on the
    # fast path (all numbers finite) and the general one (a missing value),
    # never at the column's centre
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(dtype)
    pre = TabularPreprocessor(numeric_bins=None).fit(X)
    top = np.finfo(dtype).max
    huge = np.array([1e6, 1e19, 1e20, top / 2, top], dtype=dtype)
    T = np.column_stack([np.concatenate([huge, -huge]), np.zeros(10, dtype)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast = pre.transform(T)[:, 0]
        T_missing = np.vstack([T, [[0.0, np.nan]]]).astype(dtype)
        general = pre.transform(T_missing)[:-1, 0]
    for Z in (fast, general):
        np.testing.assert_allclose(Z, [3.0] * 5 + [-3.0] * 5, rtol=1e-6)


def test_standard_scaling_of_a_huge_value_is_finite():
    # the squares of 1e200 overflow float64: the standard deviation did, and
    # the whole column scaled to 0
    X = np.random.default_rng(0).normal(size=(100, 1))
    X[5, 0] = 1e200
    pre = TabularPreprocessor(numeric_scaling="standard", numeric_bins=None).fit(X)
    assert pre.scale_[0] == pytest.approx(np.std(X[:, 0] / 1e200) * 1e200)
    Z = pre.transform(X)[:, 0]
    assert Z[5] > 2.8 and np.all(np.abs(np.delete(Z, 5)) < 0.2)


def test_scaling_options():
    rng = np.random.default_rng(2)
    X = rng.normal(5.0, 2.0, size=(500, 2))
    Z = TabularPreprocessor(numeric_scaling="standard", smooth_clip=None)
    Z = Z.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-5)
    raw = TabularPreprocessor(numeric_scaling=None).fit_transform(X)
    np.testing.assert_allclose(raw, X.astype(np.float32))
    X_missing = X.copy()
    X_missing[0, 0] = np.nan
    raw = TabularPreprocessor(numeric_scaling=None).fit_transform(X_missing)
    assert raw[0, 0] == pytest.approx(np.median(X[1:, 0]), rel=1e-6)


def test_a_column_without_spread_in_the_quartiles_falls_back_to_its_std():
    x = np.zeros(100)
    x[:3] = [5.0, 10.0, 20.0]  # 97 % zeros: the interquartile range is 0
    pre = TabularPreprocessor(smooth_clip=None).fit(x[:, None])
    assert pre.center_[0] == 0.0  # the median
    assert pre.scale_[0] == pytest.approx(x.std())
    np.testing.assert_allclose(
        pre.transform(x[:3, None])[:, 0], x[:3] / x.std(), rtol=1e-6
    )


def test_a_two_valued_column_becomes_zero_and_one():
    # a flag, or a one-hot column out of a ColumnTransformer: a rare level is
    # not blown up by its small spread
    x = np.where(np.arange(200) < 10, 2.5, -1.0)
    x_missing = np.r_[x, np.nan]
    pre = TabularPreprocessor(smooth_clip=None).fit(x_missing[:, None])
    Z = pre.transform(x_missing[:, None])
    np.testing.assert_array_equal(Z[:200, 0], (x == 2.5).astype(np.float32))
    assert Z[200, 0] == 0.0 and Z[200, 1] == 1.0  # the median level, flagged
    clipped = TabularPreprocessor().fit_transform(x[:, None])[:, 0]
    assert set(np.round(clipped, 4)) == {
        0.0,
        np.float32(round(1 / np.sqrt(1 + 1 / 9), 4)),
    }


# ----------------------------------------------------------------------
# Quantile bins
# ----------------------------------------------------------------------


def test_bins_encode_a_number_piecewise_linearly_between_quantile_edges():
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=(2000, 1))
    pre = TabularPreprocessor(numeric_bins=4).fit(x)
    (edges,) = pre.bin_edges_
    z = pre.transform(x)
    assert z.shape == (2000, 5) and pre.n_dense_features_ == 5
    # the edges are values of the scaled column at its quantiles ...
    quantiles = np.quantile(z[:, 0], [0, 0.25, 0.5, 0.75, 1], method="inverted_cdf")
    np.testing.assert_allclose(edges, quantiles, atol=1e-6)
    # ... a full bin is worth a quarter ...
    assert pre.bin_height_ == 0.25
    bins = z[:, 1:] / pre.bin_height_
    # ... each bin is 0 below it, full above it and linear across it: at most
    # one bin per row strictly between 0 and 1, the ones below it full ...
    assert np.all((bins >= 0) & (bins <= 1))
    assert np.all(np.diff(bins, axis=1) <= 0)
    assert ((bins > 0) & (bins < 1)).sum(axis=1).max() == 1
    # ... so the bins add up to the number, read back through the edges
    np.testing.assert_allclose(edges[0] + bins @ np.diff(edges), z[:, 0], atol=1e-5)
    # and a quarter of the rows fall in each bin (the last one above zero)
    holding = (bins > 0).sum(axis=1) - 1
    np.testing.assert_allclose(
        np.bincount(holding[holding >= 0], minlength=4) / 2000, 0.25, atol=0.01
    )


def test_a_column_of_few_values_gets_a_bin_between_each_two_of_them():
    x = np.array([[1.0], [2.0], [2.0], [5.0], [7.0]] * 3)
    pre = TabularPreprocessor(numeric_bins=8, numeric_scaling=None).fit(x)
    np.testing.assert_array_equal(pre.bin_edges_[0], [1.0, 2.0, 5.0, 7.0])
    np.testing.assert_allclose(
        pre.transform([[1.0], [2.0], [3.5], [7.0]])[:, 1:] / 0.25,
        [[0, 0, 0], [1, 0, 0], [1, 0.5, 0], [1, 1, 1]],
    )


def test_bins_merge_at_tied_quantiles_and_skip_two_valued_columns():
    rng = np.random.default_rng(4)
    X = np.c_[
        rng.normal(size=1000),
        rng.integers(0, 3, 1000),  # three levels: two bins
        rng.random(1000) < 0.2,  # a flag: no bins
        np.zeros(1000),  # constant: no bins
    ].astype(float)
    with pytest.warns(UserWarning, match="constant"):
        pre = TabularPreprocessor(numeric_bins=8).fit(X)
    assert [e.size - 1 for e in pre.bin_edges_] == [8, 2, -1, -1]
    assert pre.n_dense_features_ == 4 + 8 + 2
    names = pre.get_feature_names_out().tolist()
    assert names[:4] == ["x0", "x1", "x2", "x3"]
    assert names[4:] == [f"x0_bin{t}" for t in range(8)] + ["x1_bin0", "x1_bin1"]
    # the three levels read as a thermometer
    levels = pre.transform(np.array([[0.0, v, 0.0, 0.0] for v in (0, 1, 2)]))
    np.testing.assert_array_equal(levels[:, -2:] / 0.25, [[0, 0], [1, 0], [1, 1]])


def test_bins_of_a_missing_number_are_those_of_its_fill(frame):
    numeric = frame[["income", "ratio"]]
    pre = TabularPreprocessor(numeric_bins=6).fit(numeric)
    Z = pre.transform(numeric)
    missing = numeric["income"].isna().to_numpy()
    centre = pre.transform(
        pd.DataFrame(
            {"income": [np.median(numeric["income"].dropna())], "ratio": [0.0]}
        )
    )
    n_income = pre.bin_edges_[0].size - 1
    start = pre.n_dense_features_ - pre._n_bin_features()
    np.testing.assert_allclose(
        Z[missing, start : start + n_income],
        np.broadcast_to(centre[0, start : start + n_income], (missing.sum(), n_income)),
        atol=1e-6,
    )


def test_rare_levels_are_pooled_and_one_hot_limit_applies():
    X = pd.DataFrame({"c": ["a"] * 10 + ["b"] * 10 + ["rare"] * 2})
    pre = TabularPreprocessor(min_frequency=3).fit(X)
    assert pre.categories_[0].tolist() == ["a", "b"]
    np.testing.assert_array_equal(pre.transform(X)[-2:], 0.0)

    embedded = TabularPreprocessor(max_onehot_levels=0).fit(X)
    assert embedded.n_dense_features_ == 0
    assert embedded.embedding_cardinalities_ == (4,)
    np.testing.assert_array_equal(embedded.transform(X)[[0, 10, 20], 0], [1, 2, 3])

    as_fraction = TabularPreprocessor(min_frequency=0.2).fit(X)
    assert as_fraction.categories_[0].tolist() == ["a", "b"]

    # every level pooled: said as such, not as a column of missing values
    with pytest.warns(UserWarning, match="no level seen at least 11 times"):
        TabularPreprocessor(min_frequency=11).fit(X)


def test_categorical_features_by_name_index_mask_and_none(frame):
    by_dtype = TabularPreprocessor().fit_transform(frame)
    mask = TabularPreprocessor().fit(frame).categorical_features_
    by_name = TabularPreprocessor(categorical_features=["colour", "city", "member"])
    by_index = TabularPreprocessor(categorical_features=[2, 3, 4])
    by_mask = TabularPreprocessor(categorical_features=mask)
    for pre in (by_name, by_index, by_mask):
        np.testing.assert_array_equal(pre.fit_transform(frame), by_dtype)

    numeric = frame[["income", "member", "count"]]
    pre = TabularPreprocessor(categorical_features=None).fit(numeric)
    assert not pre.categorical_features_.any()
    # the boolean column is then a number, 0 or 1, scaled like the others
    assert pre.transform(numeric).shape == (len(frame), 3 + 2)


def test_numpy_object_array_and_integer_codes_by_index():
    X = np.array([["a", 1.5, 3], ["b", np.nan, 7], [None, 2.5, 3]], dtype=object)
    pre = TabularPreprocessor(categorical_features=[0, 2]).fit(X)
    assert pre.categories_[0].tolist() == ["a", "b"]
    assert pre.categories_[1].tolist() == [3, 7]
    Z = pre.transform(X)
    assert pre.get_feature_names_out().tolist() == [
        "x1",
        "missingindicator_x1",
        "x0_a",
        "x0_b",
        "x2_3",
        "x2_7",
    ]
    np.testing.assert_array_equal(Z[:, 2:], [[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])


@pytest.mark.parametrize("numeric_bins", [None, 8])
def test_numeric_fast_path_agrees_with_the_general_path(frame, numeric_bins):
    numeric = frame[["income", "ratio"]].fillna(1.0)
    pre = TabularPreprocessor(numeric_bins=numeric_bins).fit(numeric.to_numpy())
    X = numeric.to_numpy()
    fast = pre.transform(X)
    # the same numbers through the per-column path (object input)
    general = pre.transform(X.astype(object))
    np.testing.assert_array_equal(fast, general)
    np.testing.assert_array_equal(pre.transform(X[5:9]), fast[5:9])
    with_nan = X.copy()
    with_nan[0, 0] = np.nan
    out = pre.transform(with_nan)  # falls back to the general path
    assert out[0, 0] == 0.0 and out[1:].tolist() == fast[1:].tolist()


# ----------------------------------------------------------------------
# Bad input: named, and nothing modified
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, what",
    [
        (pd.date_range("2020-01-01", periods=4), "dates"),
        (pd.to_timedelta([1, 2, 3, 4], unit="s"), "durations"),
        (np.array([1 + 1j, 2, 3, 4]), "complex"),
        (pd.Series([[1], [2], [3], [4]]), "nested"),
        (pd.Series([{"a": 1}, None, {}, {}]), "nested"),
        (pd.Series([datetime.date(2020, 1, d) for d in range(1, 5)]), "dates"),
    ],
)
def test_unsupported_columns_are_refused_by_name(values, what):
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0], "when": list(values)})
    X["when"] = values if not isinstance(values, pd.Series) else values.to_numpy()
    with pytest.raises(ValueError, match=f"Column 'when' holds {what}"):
        TabularPreprocessor().fit(X)


@pytest.mark.parametrize(
    "values, advice",
    [
        (np.array([1 + 1j, 2, 3, 4]), "real and imaginary parts"),
        (pd.period_range("2020-01", periods=4, freq="M"), ".dt.year"),
        (pd.interval_range(0, 4), ".array.mid"),
        (pd.to_timedelta([1, 2, 3, 4], unit="h"), ".dt.total_seconds()"),
    ],
)
def test_a_refused_column_is_told_how_to_convert_its_kind(values, advice):
    # complex numbers, periods and intervals were told to become elapsed
    # seconds, the advice for dates
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0, 4.0], "when": values})
    with pytest.raises(ValueError, match=r"Column 'when' holds") as caught:
        TabularPreprocessor().fit(X)
    assert advice in str(caught.value)
    assert "elapsed seconds" not in str(caught.value)


def test_text_in_a_numeric_column_is_named():
    X = pd.DataFrame({"price": ["1.5", "2", "cheap"]})
    with pytest.raises(ValueError, match="Column 'price' is treated as numeric"):
        TabularPreprocessor(categorical_features=None).fit(X)


def test_columns_missing_renamed_or_reordered_at_transform_are_named(frame):
    pre = TabularPreprocessor().fit(frame)
    with pytest.raises(ValueError, match="lacks the column 'city'"):
        pre.transform(frame.drop(columns="city"))
    with pytest.raises(
        ValueError, match=r"lacks the column 'city' \(renamed to 'town'"
    ):
        pre.transform(frame.rename(columns={"city": "town"}))
    reordered = frame[["ratio", "income", *frame.columns[2:]]]
    with pytest.raises(ValueError, match="Column 'income' is not where it was"):
        pre.transform(reordered)
    with pytest.raises(ValueError, match="X has 2 features, but"):
        TabularPreprocessor().fit(np.eye(3)).transform(np.eye(3)[:, :2])


@pytest.mark.parametrize(
    "spec, match",
    [
        (["colour", "nope"], "names the column 'nope'"),
        ([0, 9], "holds the index 9"),
        ([True, False], "boolean mask of shape"),
    ],
)
def test_bad_categorical_features_are_explained(frame, spec, match):
    with pytest.raises(ValueError, match=match):
        TabularPreprocessor(categorical_features=spec).fit(frame)


def test_a_warning_about_thousands_of_columns_names_the_first_twenty():
    # a HashingVectorizer's 64,000 constant columns: 567,000 characters
    X = np.zeros((10, 3000))
    X[:, 0] = np.arange(10)
    with pytest.warns(UserWarning, match="constant") as record:
        TabularPreprocessor(numeric_bins=None).fit(X)
    message = str(record[0].message)
    assert "'x1', 'x2'," in message and "'x20' and 2979 more" in message
    assert "'x21'" not in message and len(message) < 600


def test_uninformative_columns_fit_with_a_warning_naming_them():
    X = pd.DataFrame(
        {
            "empty": [np.nan] * 4,
            "flat": [2.0] * 4,
            "one": ["x"] * 4,
            "fine": [1.0, 2.0, 3.0, 4.0],
        }
    )
    with pytest.warns(UserWarning) as record:
        Z = TabularPreprocessor().fit_transform(X)
    messages = " ".join(str(w.message) for w in record)
    assert "'empty'" in messages and "all missing" in messages
    assert "'flat'" in messages and "constant" in messages
    assert "'one'" in messages and "single level" in messages
    assert "'fine'" not in messages
    assert np.isfinite(Z).all()
    # their output never moves: a new value in a column that was constant
    # at fit (a number, an indicator, a one-hot 1) met weights that learnt
    # nothing and moved the predictions at random
    pre = TabularPreprocessor().fit(X)
    new = X.assign(empty=[5.0, -1, np.nan, 0], flat=[2.0, 9, -9, np.nan])
    new["one"] = ["x", "y", None, "x"]
    np.testing.assert_array_equal(pre.transform(new), pre.transform(X))
    assert pre.get_feature_names_out().tolist() == ["empty", "flat", "fine"]
    assert np.isinf(pre.scale_[:2]).all() and pre.categories_[0].size == 0
    # a single level beside missing values varies: kept
    pre = TabularPreprocessor().fit(X.assign(one=["x", None, "x", "x"]))
    assert pre.transform(X)[:, -1].tolist() == [1.0] * 4


def test_the_callers_input_is_never_modified(frame):
    before = frame.copy(deep=True)
    X = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 100.0]])
    X_before = X.copy()
    pre = TabularPreprocessor().fit(frame)
    pre.transform(frame)
    TabularPreprocessor().fit(X).transform(X)
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_array_equal(X, X_before)


# ----------------------------------------------------------------------
# Copies, persistence, pipelines
# ----------------------------------------------------------------------


def test_clone_and_pickle_give_identical_output(frame):
    pre = TabularPreprocessor(max_onehot_levels=3).fit(frame)
    expected = pre.transform(frame)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(pre)).transform(frame), expected
    )
    np.testing.assert_array_equal(clone(pre).fit(frame).transform(frame), expected)


@pytest.mark.parametrize("numeric_bins", [None, 5])
def test_fitted_state_is_plain_data_that_skdnn_save_can_encode(frame, numeric_bins):
    frame = frame.assign(mixed=np.array(["a", 1, "b", 2.5] * 150, dtype=object))
    pre = TabularPreprocessor(max_onehot_levels=3, numeric_bins=numeric_bins)
    pre.fit(frame)
    arrays = {}
    encoded = _encode(preprocessor_state(pre), arrays, "preprocessor")
    restored = preprocessor_from_state(_decode(encoded, arrays))
    np.testing.assert_array_equal(restored.transform(frame), pre.transform(frame))
    assert restored.get_params() == pre.get_params()


def test_an_inconsistent_state_is_refused(frame):
    state = preprocessor_state(TabularPreprocessor().fit(frame))
    state["attributes"]["categories_"] = state["attributes"]["categories_"][:1]
    with pytest.raises(ValueError, match="attributes disagree"):
        preprocessor_from_state(state)
    state["attributes"]["bogus_"] = 1
    with pytest.raises(ValueError, match=r"unknown entries \['bogus_'\]"):
        preprocessor_from_state(state)


def test_a_state_naming_a_column_out_of_range_is_refused(frame):
    state = preprocessor_state(TabularPreprocessor().fit(frame))
    state["attributes"]["onehot_features_"] = np.array([99])
    with pytest.raises(ValueError, match="attributes disagree"):
        preprocessor_from_state(state)


def test_a_state_saved_before_the_bins_reads_as_no_bins(frame):
    pre = TabularPreprocessor().fit(frame)
    state = preprocessor_state(pre)
    del state["attributes"]["bin_edges_"]
    restored = preprocessor_from_state(state)
    np.testing.assert_array_equal(restored.transform(frame), pre.transform(frame))
    assert restored.get_feature_names_out().tolist() == (
        pre.get_feature_names_out().tolist()
    )


def test_a_state_saved_before_the_bin_height_reads_full_bins_as_one(frame):
    pre = TabularPreprocessor(numeric_bins=3).fit(frame)
    state = preprocessor_state(pre)
    assert state["attributes"]["bin_height_"] == 0.25
    del state["attributes"]["bin_height_"]
    restored = preprocessor_from_state(state)
    bins = slice(pre.n_dense_features_ - pre._n_bin_features(), pre.n_dense_features_)
    new, old = pre.transform(frame), restored.transform(frame)
    np.testing.assert_allclose(old[:, bins], new[:, bins] * 4, rtol=1e-6)
    np.testing.assert_array_equal(old[:, : bins.start], new[:, : bins.start])


@pytest.mark.parametrize("height", [0.0, -0.25, 2.0, np.nan, "0.25"])
def test_a_refused_bin_height(frame, height):
    state = preprocessor_state(TabularPreprocessor(numeric_bins=3).fit(frame))
    state["attributes"]["bin_height_"] = height
    with pytest.raises(ValueError, match="attributes disagree"):
        preprocessor_from_state(state)


@pytest.mark.parametrize(
    "edges",
    [
        np.array([0.0, 1.0]),  # one bin
        np.array([0.0, 2.0, 1.0]),  # not increasing
        np.array([0.0, np.nan, 1.0]),
        np.array([0, 1, 2]),  # not float
    ],
)
def test_inconsistent_bin_edges_are_refused(frame, edges):
    state = preprocessor_state(TabularPreprocessor(numeric_bins=3).fit(frame))
    state["attributes"]["bin_edges_"][0] = edges
    with pytest.raises(ValueError, match="attributes disagree"):
        preprocessor_from_state(state)


def test_works_inside_a_pipeline(frame):
    y = (frame["ratio"].to_numpy() > 0) ^ frame["member"].to_numpy()
    model = make_pipeline(TabularPreprocessor(), LogisticRegression(max_iter=500))
    assert model.fit(frame, y).score(frame, y) > 0.6


def test_set_output_pandas_names_the_columns(frame):
    pre = TabularPreprocessor().set_output(transform="pandas").fit(frame)
    out = pre.transform(frame)
    assert list(out.columns) == pre.get_feature_names_out().tolist()


# ----------------------------------------------------------------------
# The Keras layer and its numpy fold
# ----------------------------------------------------------------------


def _model_with_embeddings(pre, batch_norm=True):
    from skdnn._architecture import build_model

    n_features = pre.n_dense_features_ + len(pre.embedding_cardinalities_)
    model = build_model(
        n_features=n_features,
        n_outputs=3,
        output_activation="softmax",
        hidden_layer_sizes=(16, 8),
        activation="relu",
        kernel_initializer="auto",
        batch_norm=batch_norm,
        dropout=(0.1, 0.0),
        l2=0.0,
        seeds=range(10),
        embeddings=(
            pre.n_dense_features_,
            pre.embedding_cardinalities_,
            pre.embedding_dims_,
        ),
        embedding_seeds=range(100, 100 + len(pre.embedding_cardinalities_)),
    )
    # Learned-looking weights everywhere (tables, batch-norm statistics), so
    # the comparisons below test the fold and not freshly initialised zeros.
    rng = np.random.default_rng(0)
    model.set_weights(
        [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in model.get_weights()]
    )
    return model


@pytest.fixture
def two_embedded():
    frame = messy_frame(300)
    pre = TabularPreprocessor(max_onehot_levels=2).fit(frame)
    assert len(pre.embedding_cardinalities_) == 2  # colour and city
    return pre, pre.transform(frame)


def test_layer_passes_the_dense_block_and_looks_up_codes(two_embedded):
    pre, Z = two_embedded
    layer = embedding_layer_class()(
        n_dense=pre.n_dense_features_,
        cardinalities=pre.embedding_cardinalities_,
        dims=pre.embedding_dims_,
        seeds=(1, 2),
    )
    out = np.asarray(layer(Z[:50]))
    tables = layer.get_weights()
    n_dense = pre.n_dense_features_
    np.testing.assert_array_equal(out[:, :n_dense], Z[:50, :n_dense])
    expected = np.hstack(
        [t[Z[:50, n_dense + i].astype(int)] for i, t in enumerate(tables)]
    )
    np.testing.assert_array_equal(out[:, n_dense:], expected)
    # The unknown slot starts at zero; the rest is seeded, not global RNG.
    for table in tables:
        np.testing.assert_array_equal(table[0], 0.0)
        assert np.abs(table[1:]).min() > 0
    again = embedding_layer_class()(
        n_dense=n_dense,
        cardinalities=pre.embedding_cardinalities_,
        dims=pre.embedding_dims_,
        seeds=(1, 2),
    )
    again(Z[:1])
    for a, b in zip(tables, again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_out_of_range_codes_read_the_unknown_slot(two_embedded):
    pre, Z = two_embedded
    model = _model_with_embeddings(pre)
    bad = np.repeat(Z[:1], 4, axis=0)
    bad[:, -1] = [0.0, -3.0, 1e6, np.nan]
    keras_out = np.asarray(model(bad))
    np.testing.assert_allclose(keras_out[1:], np.repeat(keras_out[:1], 3, axis=0))
    numpy_out = forward(extract_plan(model), bad)
    np.testing.assert_allclose(numpy_out, keras_out, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_numpy_plan_matches_keras_with_embeddings(two_embedded, batch_norm):
    pre, Z = two_embedded
    model = _model_with_embeddings(pre, batch_norm=batch_norm)
    plan = extract_plan(model)
    assert isinstance(plan[0][0], EmbeddedKernel)
    assert plan[0][0].shape == (Z.shape[1], 16)
    expected = np.asarray(model(Z, training=False), dtype=np.float64)
    np.testing.assert_allclose(forward(plan, Z), expected, rtol=1e-4, atol=1e-6)


def test_keras_file_round_trip_with_safe_mode(two_embedded, tmp_path):
    import keras

    pre, Z = two_embedded
    model = _model_with_embeddings(pre)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(loaded(Z)), np.asarray(model(Z)))

    # skdnn's own loader accepts its layer, and still refuses foreign ones.
    data = _keras_bytes(model)
    _check_keras_archive(data)
    via_skdnn = _load_keras_model(data)
    np.testing.assert_array_equal(np.asarray(via_skdnn(Z)), np.asarray(model(Z)))


def test_skdnn_refuses_a_foreign_layer_posing_as_its_own(two_embedded):
    from skdnn._persistence import ModelFileError

    pre, _ = two_embedded
    data = _keras_bytes(_model_with_embeddings(pre))
    with zipfile.ZipFile(BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = members["config.json"].replace(
        b'"skdnn._embedding"', b'"evil.module"'
    )
    forged = BytesIO()
    with zipfile.ZipFile(forged, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(ModelFileError, match=r"evil\.module"):
        _check_keras_archive(forged.getvalue())


def test_a_pipeline_holding_it_round_trips_through_skdnn_save(frame, tmp_path):
    import skdnn
    from skdnn import TaperedMLPClassifier

    y = (frame["ratio"].to_numpy() > 0) ^ frame["member"].to_numpy()
    model = make_pipeline(
        TabularPreprocessor(),
        TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=2, random_state=0),
    ).fit(frame, y)
    path = tmp_path / "model.skdnn"
    skdnn.save(model, path)
    loaded = skdnn.load(path)
    np.testing.assert_allclose(
        loaded.predict_proba(frame), model.predict_proba(frame), rtol=1e-6
    )


# ----------------------------------------------------------------------
# scikit-learn's own checks
# ----------------------------------------------------------------------


@parametrize_with_checks([TabularPreprocessor(), TabularPreprocessor(numeric_bins=4)])
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "params",
    [
        dict(numeric_bins=8),
        dict(numeric_bins=16, numeric_scaling=None),
        dict(numeric_bins=8, numeric_scaling="standard"),
    ],
    ids=["robust", "unscaled", "standard"],
)
def test_a_float_array_is_read_whole_with_the_numbers_of_column_by_column(
    monkeypatch, params
):
    # a small float array's statistics come from one quantile call over all
    # its columns: the same scaling, fills and bin edges as reading each
    # column on its own (the path of frames and of large tables)
    from skdnn import _preprocessing

    rng = np.random.default_rng(0)
    n = 400
    X = np.c_[
        rng.normal(size=(n, 3)),
        rng.integers(0, 5, size=(n, 2)),  # ties: few distinct values
        rng.integers(0, 2, size=n),  # two values
        rng.poisson(0.2, size=n),  # mostly zero
        rng.exponential(size=n) * 1e4,
    ]
    whole = TabularPreprocessor(**params).fit(X)
    monkeypatch.setattr(_preprocessing, "_WHOLE_VALUES", 0)
    columns = TabularPreprocessor(**params).fit(X)
    for name in ("center_", "scale_", "fill_"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(columns, name))
    assert len(whole.bin_edges_) == len(columns.bin_edges_) == X.shape[1]
    assert sum(e.size > 0 for e in whole.bin_edges_) >= 5
    for a, b in zip(whole.bin_edges_, columns.bin_edges_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(whole.transform(X), columns.transform(X))


def test_float32_rows_are_scaled_in_float32_within_rounding_of_float64():
    rng = np.random.default_rng(0)
    X = rng.lognormal(size=(3_000, 5)) * [1, 10, 100, 1e3, 1e4]
    pre = TabularPreprocessor(numeric_bins=8).fit(X)
    wide = pre.transform(X)
    narrow = pre.transform(X.astype(np.float32))
    assert narrow.dtype == np.float32
    np.testing.assert_allclose(narrow, wide, rtol=1e-5, atol=1e-6)
    # each row's encoding is its own, whatever block it was scaled in
    one_by_one = np.vstack(
        [pre.transform(row[None]) for row in X[:5].astype(np.float32)]
    )
    np.testing.assert_array_equal(one_by_one, narrow[:5])


def test_warnings_point_at_the_callers_line():
    # not at scikit-learn's fit wrapper or a Pipeline inside scikit-learn
    X = pd.DataFrame({"flat": [1.0] * 6, "x": np.arange(6.0)})
    with pytest.warns(UserWarning, match="constant at fit") as record:
        TabularPreprocessor().fit(X)
    assert {w.filename for w in record} == {__file__}
    with pytest.warns(UserWarning, match="constant at fit") as record:
        make_pipeline(TabularPreprocessor(), LogisticRegression()).fit(X, X["x"] > 2)
    assert {w.filename for w in record} == {__file__}


def test_an_estimator_warns_once_about_missing_column_names(recwarn):
    # the estimator and the preprocessor inside it both warned
    from skdnn import TaperedMLPRegressor

    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 7})
    model = TaperedMLPRegressor(hidden_layer_sizes=(4,), epochs=1).fit(X, X["a"])
    recwarn.clear()
    model.predict(X.to_numpy())
    names = [w for w in recwarn if "feature names" in str(w.message)]
    assert len(names) == 1 and "TaperedMLPRegressor" in str(names[0].message)


def test_a_missing_flag_is_filled_at_a_value_its_present_rows_take():
    # a 0/1 column's 1s are smoothly clipped to 0.95; its fill, the median
    # 1, was written after the clip and stood apart at 1.0
    X = pd.DataFrame({"flag": [1.0, 1.0, 1.0, 0.0, np.nan] * 8})
    Z = TabularPreprocessor().fit(X).transform(X)
    present = np.unique(Z[X["flag"].notna(), 0])
    assert present.size == 2 and present[0] == 0.0
    assert Z[X["flag"].isna(), 0].tolist() == [present[1]] * 8
    # unclipped, the fill is the median as it was
    Z = TabularPreprocessor(smooth_clip=None).fit(X).transform(X)
    assert np.unique(Z[:, 0]).tolist() == [0.0, 1.0]


def test_output_names_are_unique_for_a_pandas_output():
    # column "a_b" beside level "b" of column "a": two outputs named "a_b",
    # and set_output(transform="pandas") refused the pipeline
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.choice(["b", "c"], 40), "a_b": rng.normal(size=40)})
    pre = TabularPreprocessor().fit(X)
    assert pre.get_feature_names_out().tolist() == ["a_b", "a_b_1", "a_c"]
    pipe = make_pipeline(TabularPreprocessor(), LogisticRegression())
    pipe.set_output(transform="pandas").fit(X, X["a_b"] > 0)
    # levels 1 and "1" of one object column, an indicator's name taken
    X = pd.DataFrame(
        {
            "c": np.array([1, "1", "2"] * 10, dtype=object),
            "missingindicator_x": rng.normal(size=30),
            "x": [np.nan, *rng.normal(size=29)],
        }
    )
    names = TabularPreprocessor().fit(X).get_feature_names_out().tolist()
    assert len(set(names)) == len(names) == 6


def test_transform_warns_of_drifted_columns_as_predict_does():
    # a TabularPreprocessor in front of another model gave none of the
    # estimators' warnings: upper-cased levels or an emptied column went by
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"plan": rng.choice(["basic", "pro"], 100), "score": rng.normal(size=100)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pre = TabularPreprocessor()
        encoded = pre.fit_transform(X)  # the fit's own rows: no warning
        np.testing.assert_array_equal(pre.transform(X), encoded)
    with pytest.warns(
        UserWarning, match=r"'plan' \(100 of 100 rows, e.g. '[A-Z]+' for"
    ):
        pre.transform(X.assign(plan=X["plan"].str.upper()))
    with pytest.warns(UserWarning, match=r"'plan' \(100 of 100 values"):
        pre.transform(X.assign(plan=X["plan"].map({"basic": "b", "pro": "p"})))
    with pytest.warns(UserWarning, match=r"Number column\(s\) 'score' \(100 of 100\)"):
        pre.transform(X.assign(score=np.nan))
    with pytest.warns(UserWarning, match=r"Categorical column\(s\) 'plan'"):
        pre.transform(X.assign(plan=None))


def test_levels_pooled_by_min_frequency_are_not_called_unseen():
    # fit(X).transform(X) warned that the fit's own rare levels, pooled by
    # min_frequency, were "levels never seen at fit"; a column mostly read
    # as unknown is still warned about, pooled or new
    levels = ["a", "b"] * 50 + [f"rare{i}" for i in range(100) for _ in range(2)]
    X = pd.DataFrame({"c": levels})
    pre = TabularPreprocessor(min_frequency=5).fit(X)
    with pytest.warns(UserWarning, match="or seen there fewer times than min_freq"):
        pre.transform(X)
    # 'A' for 'a' is respelled; the 200 'RARE..' values are unseen still
    with pytest.warns(UserWarning, match=r"'c' \(200 of 300 values") as caught:
        pre.transform(X.assign(c=X["c"].str.upper()))
    assert any("'c' (100 of 300 rows, e.g. 'A'" in str(w.message) for w in caught)
