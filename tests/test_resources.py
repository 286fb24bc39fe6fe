"""Bounded resources: memory over many fits in one process, predict from threads."""

import itertools
import json
import os
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skdnn import TaperedMLPClassifier

N_FITS = 40
MAX_GROWTH_MB = 60

# Runs in a fresh interpreter, so the measure is not blurred by whatever the
# rest of the test session has allocated, cached or traced.
_MEMORY_SCRIPT = textwrap.dedent(
    f"""
    import gc, json
    import numpy as np
    import psutil
    from sklearn.datasets import make_classification
    from skdnn import TaperedMLPClassifier

    X, y = make_classification(n_samples=500, n_features=20, random_state=0)
    params = dict(hidden_layer_sizes=(32, 16), epochs=3, class_weight=None)

    # a model the user keeps while the others come and go
    held = TaperedMLPClassifier(**params, random_state=12345).fit(X, y)
    held_proba = held.predict_proba(X)

    process = psutil.Process()
    rss = []
    for i in range({N_FITS}):
        clf = TaperedMLPClassifier(**params, random_state=i).fit(X, y)
        clf.predict_proba(X)
        del clf
        gc.collect()
        rss.append(process.memory_info().rss / 2**20)

    held_unchanged = bool(np.array_equal(held.predict_proba(X), held_proba))
    keras_proba = np.asarray(held.model_(held.preprocessor_.transform(X)))[:, 0]
    held.set_params(warm_start=True, epochs=1).fit(X, y)
    print(json.dumps({{
        "rss_mb": rss,
        "held_unchanged": held_unchanged,
        "held_keras_agrees": float(np.max(np.abs(keras_proba - held_proba[:, 1]))),
        "held_trains_on": bool(
            held.n_iter_ == 4
            and np.isfinite(held.predict_proba(X)).all()
            and not np.array_equal(held.predict_proba(X), held_proba)
        ),
    }}))
    """
)


@pytest.mark.slow
def test_memory_stops_growing_over_many_fits():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rss = result["rss_mb"]
    growth = rss[-1] - rss[9]
    per_fit = [round(b - a, 2) for a, b in itertools.pairwise(rss[9:])]
    assert growth <= MAX_GROWTH_MB, (
        f"resident memory grew by {growth:.1f} MB from fit 10 to fit {N_FITS} "
        f"(limit {MAX_GROWTH_MB} MB); MB added per fit: {per_fit}"
    )
    # releasing per-fit state must not break the models the user still holds
    assert result["held_unchanged"]
    assert result["held_keras_agrees"] < 1e-5
    assert result["held_trains_on"]


def test_fits_leave_nothing_in_tensorflows_gradient_registry():
    """A fit must not grow TensorFlow's process-wide gradient registry.

    Each entry there is a closure over the traced training graph (several MB
    for a small network), so entries added per fit are a leak that grows with
    every fit of a search.
    """
    from skdnn._keras import backend_name

    if backend_name() != "tensorflow":
        pytest.skip("TensorFlow-specific registry")
    from tensorflow.python.framework import ops

    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), epochs=2, validation_split=0)
    TaperedMLPClassifier(**params, random_state=0).fit(X, y)  # imports, warm-up
    registry = ops._gradient_registry._registry
    before = set(registry)
    for seed in range(3):
        TaperedMLPClassifier(**params, random_state=seed).fit(X, y)
    added = sorted(set(registry) - before)
    assert added == [], f"gradient functions registered by 3 fits: {added}"


@pytest.mark.parametrize(
    "activation",
    [
        pytest.param("relu", id="numpy-forward"),
        # an activation the numpy forward pass does not know: Keras predicts
        pytest.param("celu", id="keras-fallback"),
    ],
)
def test_predict_proba_from_eight_threads_equals_serial(activation):
    X, y = make_classification(
        n_samples=1600, n_features=10, n_informative=5, n_classes=3, random_state=0
    )
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16, 8), activation=activation, epochs=2, random_state=0
    ).fit(X, y)
    assert (clf._plan is None) == (activation == "celu")

    n_threads, repeats = 8, 15
    slices = [X[i::n_threads] for i in range(n_threads)]
    serial = [clf.predict_proba(part) for part in slices]
    serial_labels = [clf.predict(part) for part in slices]
    barrier = threading.Barrier(n_threads)
    results = [None] * n_threads
    errors = []

    def work(i):
        try:
            barrier.wait(timeout=60)
            out = []
            for _ in range(repeats):
                out.append((clf.predict_proba(slices[i]), clf.predict(slices[i])))
            results[i] = out
        except Exception as exc:  # reported below, with the thread's index
            errors.append((i, exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert errors == []
    for i, out in enumerate(results):
        assert len(out) == repeats
        for proba, labels in out:
            np.testing.assert_array_equal(proba, serial[i])
            np.testing.assert_array_equal(labels, serial_labels[i])


@pytest.mark.parametrize("numeric_bins", [None, 8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_holds_less_than_one_float32_copy_of_X(dtype, numeric_bins):
    # tracemalloc sees every numpy array (not TensorFlow's own buffers):
    # a float32 copy of X, a gathered validation set or whole-set outputs
    # would each show here. What remains is the labels, weights, row
    # indices, one chunk of rows and the split's transient index arrays.
    # With the bins the network reads 360 values a row, not 40: its chunks
    # and blocks hold fewer rows but the same bytes, and the scratch of the
    # bins adds a little, so the bound is one copy of X (a ninth of one
    # copy of the encoded table).
    import tracemalloc

    X, y = make_classification(
        n_samples=50_000, n_features=40, n_informative=10, n_classes=3,
        random_state=0,
    )  # fmt: skip
    X = X.astype(dtype)
    X_before = X.copy()
    params = dict(
        hidden_layer_sizes=(16,), epochs=2, batch_size=64, random_state=0,
        numeric_bins=numeric_bins,
    )  # fmt: skip
    TaperedMLPClassifier(**params).fit(X[:300], y[:300])  # one-off start-up
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        clf = TaperedMLPClassifier(**params, early_stopping=False).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    float32_copy = X.shape[0] * X.shape[1] * 4
    bound = 0.75 if numeric_bins is None else 1.0
    assert peak < bound * float32_copy, f"{peak / float32_copy:.2f} copies"
    assert "val_loss" in clf.history_
    np.testing.assert_array_equal(X, X_before)


def test_a_sparse_matrix_is_never_made_dense_whole():
    # X.toarray() made a TF-IDF matrix of 9,000 rows x 26,719 words a dense
    # float64 copy (1.9 GB, 4.2 GB at the fit's peak); only blocks of rows
    # are now made dense, so fit and predict hold a fixed few MB of them,
    # here a fifth of one float32 copy of X
    import tracemalloc

    import scipy.sparse as sp

    X = sp.random(20_000, 2_000, density=0.002, format="csr", random_state=0)
    y = (X[:, :50].sum(axis=1).A1 > 0).astype(int)
    data_before = X.data.copy()
    params = dict(hidden_layer_sizes=(8,), epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # columns all 0 in 300 rows
        TaperedMLPClassifier(**params).fit(X[:300], y[:300])  # one-off start-up
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        clf = TaperedMLPClassifier(**params).fit(X, y)
        fit_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        clf.predict_proba(X)
        predict_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    float32_copy = X.shape[0] * X.shape[1] * 4
    assert fit_peak < 0.2 * float32_copy, f"{fit_peak / float32_copy:.2f} copies"
    assert predict_peak < 0.3 * float32_copy, f"{predict_peak / float32_copy:.2f}"
    assert "val_loss" in clf.history_
    np.testing.assert_array_equal(X.data, data_before)
