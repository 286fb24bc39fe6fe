"""Property-based tests: whatever the input, a fitted model or a clear error.

Every generated case must end in one of two ways: a fitted model whose
probabilities are finite, of the right shape and summing to 1 per row, or a
``ValueError``/``TypeError`` raised by skdnn or scikit-learn with a message.
Any other exception, an error raised from inside Keras or TensorFlow, a NaN
probability or a hang fails the test.
"""

import contextlib
import math
import signal
import traceback
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from skdnn import TaperedMLPClassifier

# Seconds one example may take before it counts as a hang.
HANG_SECONDS = 60
# Weighted lists: most cases well-formed, so that the fitted path is
# exercised as often as the error paths.
MAGNITUDES = [1.0, 1.0, 1.0, 1e-30, 1e-5, 1e5, 1e30, 1e300]
SPECIALS = [None] * 5 + [math.nan, math.inf, -math.inf]
X_KINDS = ["float64", "float32", "float16", "int", "bool", "object", "list", "frame"]
FRAME_COLUMNS = [
    "float64", "float32", "Float64", "Int64", "boolean", "category-num",
    "category-str", "object",
]  # fmt: skip
Y_KINDS = [
    "int", "str", "float", "bool", "object", "list", "categorical", "Int64",
    "mixed",
]  # fmt: skip

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _estimator(validation_split=0.1):
    return TaperedMLPClassifier(
        hidden_layer_sizes=(8,),
        epochs=2,
        validation_split=validation_split,
        random_state=0,
    )


@contextlib.contextmanager
def _no_hang(seconds=HANG_SECONDS):
    """Fail, rather than wait for ever, when the block runs too long."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise AssertionError(f"no answer after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _raised_outside_the_framework(exc):
    """The error comes from skdnn, scikit-learn, numpy or pandas, not Keras/TF."""
    innermost = traceback.extract_tb(exc.__traceback__)[-1].filename
    return not any(
        f"{sep}{name}{sep}" in innermost
        for name in ("keras", "tensorflow", "jax")
        for sep in "/\\"
    )


def _assert_clear_error(exc):
    assert str(exc).strip(), f"{type(exc).__name__} without a message"
    assert _raised_outside_the_framework(exc), "".join(traceback.format_exception(exc))


def _describe(X):
    if isinstance(X, pd.DataFrame):
        return "DataFrame"
    if isinstance(X, list):
        return "list"
    return f"ndarray of {X.dtype}"


def _assert_valid_proba(clf, X, n_rows):
    proba = clf.predict_proba(X)
    assert proba.shape == (n_rows, len(clf.classes_))
    assert np.isfinite(proba).all(), proba
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.isin(clf.predict(X), clf.classes_).all()


# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------


def _values(rng, shape, magnitude, special):
    values = rng.standard_normal(shape) * magnitude
    if special is not None:
        values[tuple(rng.integers(0, n) for n in shape)] = special
    return values


def _as_kind(values, kind, rng):
    """``values`` (float64, maybe NaN/inf) in the container or dtype ``kind``."""
    with np.errstate(over="ignore", invalid="ignore"):
        if kind in ("float64", "float32", "float16"):
            return values.astype(kind)
        finite = np.nan_to_num(values, nan=0.0, posinf=1e18, neginf=-1e18)
        if kind == "int":
            return np.round(np.clip(finite, -1e18, 1e18)).astype(np.int64)
        if kind == "bool":
            return finite > 0
        if kind == "object":
            # Python ints and floats mixed in one object array
            out = values.astype(object)
            whole = np.isfinite(values) & (np.abs(values) < 1e15)
            mask = whole & (rng.random(values.shape) < 0.5)
            out[mask] = [round(float(v)) for v in values[mask]]
            return out
        if kind == "list":
            return values.tolist()
    raise AssertionError(kind)


def _frame(values, columns, with_na, rng):
    frame = {}
    for j, kind in enumerate(columns):
        column = values[:, j]
        finite = np.nan_to_num(column, nan=0.0, posinf=1e18, neginf=-1e18)
        if kind in ("float64", "float32"):
            with np.errstate(over="ignore"):
                series = pd.Series(column.astype(kind))
        elif kind == "Float64":
            series = pd.Series(column, dtype="Float64")
        elif kind == "Int64":
            series = pd.Series(np.round(np.clip(finite, -1e15, 1e15)), dtype="Int64")
        elif kind == "boolean":
            series = pd.Series(finite > 0, dtype="boolean")
        elif kind == "category-num":
            series = pd.Series(np.sign(finite), dtype="category")
        elif kind == "category-str":
            series = pd.Series(np.where(finite > 0, "high", "low"), dtype="category")
        elif kind == "object":
            series = pd.Series(list(column), dtype=object)
        else:
            raise AssertionError(kind)
        if with_na and kind not in ("float32", "float64"):  # nullable dtypes
            series.iloc[int(rng.integers(0, len(series)))] = pd.NA
        frame[f"f{j}"] = series
    return pd.DataFrame(frame)


@st.composite
def features(draw, n_rows, n_features):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    magnitude = draw(st.sampled_from(MAGNITUDES))
    special = draw(st.sampled_from(SPECIALS))
    values = _values(rng, (n_rows, n_features), magnitude, special)
    kind = draw(st.sampled_from(X_KINDS))
    if kind != "frame":
        return _as_kind(values, kind, rng)
    columns = draw(
        st.lists(
            st.sampled_from(FRAME_COLUMNS), min_size=n_features, max_size=n_features
        )
    )
    with_na = draw(st.integers(0, 3)) == 0
    return _frame(values, columns, with_na, rng)


@st.composite
def labels(draw, counts):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    codes = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    kind = draw(st.sampled_from(Y_KINDS))
    if kind == "bool" and len(counts) != 2:
        kind = "int"
    y = {
        "int": lambda: codes * 3 - 2,
        "str": lambda: np.array([f"class {c}" for c in codes]),
        "float": lambda: codes * 1.0,
        "bool": lambda: codes.astype(bool),
        "object": lambda: np.array([int(c) for c in codes], dtype=object),
        "mixed": lambda: np.array([c if c % 2 else f"c{c}" for c in codes], object),
        "list": lambda: [f"c{c}" for c in codes],
        "categorical": lambda: pd.Series(pd.Categorical([f"c{c}" for c in codes])),
        "Int64": lambda: pd.Series(codes, dtype="Int64"),
    }[kind]()
    if draw(st.integers(0, 9)) == 0:  # now and then, a missing label
        y = pd.Series(y, dtype=object) if not isinstance(y, pd.Series) else y.copy()
        y = y.astype(object)
        y.iloc[0] = None
    return y


@st.composite
def training_sets(draw):
    n_classes = draw(st.integers(2, 4))
    counts = draw(st.lists(st.integers(1, 6), min_size=n_classes, max_size=n_classes))
    n_features = draw(st.integers(1, 4))
    X = draw(features(sum(counts), n_features))
    y = draw(labels(counts))
    return X, y


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(data=training_sets(), validation_split=st.sampled_from([0.0, 0.1]))
def test_fit_ends_in_a_model_or_a_clear_error(data, validation_split):
    X, y = data
    clf = _estimator(validation_split)
    with _no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clf.fit(X, y)
        except (ValueError, TypeError) as exc:
            _assert_clear_error(exc)
            event(f"{type(exc).__name__}: {str(exc)[:40]}")
            return
        _assert_valid_proba(clf, X, len(y))
        event(f"fitted from {_describe(X)}")


@pytest.fixture(scope="module")
def fitted_models():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    binary = _estimator().fit(X, (X[:, 0] > 0).astype(int))
    multiclass = _estimator().fit(X, np.digitize(X[:, 0], [-0.5, 0.5]))
    return {"binary": binary, "multiclass": multiclass}


@st.composite
def prediction_inputs(draw):
    n_rows = draw(st.integers(1, 8))
    n_features = draw(st.sampled_from([3, 3, 3, 2, 4]))  # mostly the right width
    return draw(features(n_rows, n_features)), n_rows


@settings(FUZZ, max_examples=80)
@given(data=prediction_inputs(), target=st.sampled_from(["binary", "multiclass"]))
def test_predict_ends_in_probabilities_or_a_clear_error(fitted_models, data, target):
    X, n_rows = data
    clf = fitted_models[target]
    with _no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _assert_valid_proba(clf, X, n_rows)
            event("predicted")
        except (ValueError, TypeError) as exc:
            _assert_clear_error(exc)
            event(f"{type(exc).__name__}: {str(exc)[:40]}")


def test_the_only_row_of_a_class_is_never_held_out():
    """Two classes, one with a single row: every seed must fit.

    Without stratification (a class too small for it), the validation hold-out
    must not draw that row, or the training rows hold one class and the fit
    fails on valid data, depending on ``random_state``.
    """
    X = np.random.default_rng(0).standard_normal((6, 2))
    y = np.array([1, 0, 0, 0, 0, 0])
    failed = {}
    for seed in range(12):
        clf = _estimator().set_params(epochs=1, random_state=seed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X, y)
        except ValueError as exc:
            failed[seed] = str(exc)
            continue
        _assert_valid_proba(clf, X, len(y))
    assert failed == {}
