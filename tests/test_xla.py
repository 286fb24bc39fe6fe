"""TensorFlow's XLA-compiled training calls for large epochs, and their masks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from skdnn import TaperedMLPClassifier, _compiled, _training
from skdnn._keras import backend_name

pytestmark = pytest.mark.skipif(
    backend_name() != "tensorflow", reason="TensorFlow's XLA-compiled calls"
)

_PARAMS = dict(
    hidden_layer_sizes=(12, 6), epochs=3, batch_size=16, early_stopping=False,
    random_state=0,
)  # fmt: skip


@pytest.fixture
def data():
    # 150 rows, 135 trained on: 8 full batches of 16 and a partial one of 7
    return make_classification(
        n_samples=150, n_features=5, n_informative=3, random_state=0
    )


@pytest.fixture
def calls(monkeypatch):
    """Run every epoch of at least one full batch in XLA calls; count the
    XLA calls and the graph loops' calls."""
    counts = {"xla": 0, "graph": 0}
    scan, call = (
        _compiled._TensorFlowTrainer.scan,
        _compiled._TensorFlowTrainer.__call__,
    )

    def counted(name, method):
        def wrapper(self, *args):
            counts[name] += 1
            return method(self, *args)

        return wrapper

    monkeypatch.setattr(_compiled._TensorFlowTrainer, "scan", counted("xla", scan))
    monkeypatch.setattr(
        _compiled._TensorFlowTrainer, "__call__", counted("graph", call)
    )
    monkeypatch.setattr(_compiled, "XLA_MIN_BATCHES", 1)
    monkeypatch.setattr(_compiled, "XLA_MIN_BATCHES_SMALL", 1)
    _training.clear_cache()
    yield counts
    _training.clear_cache()


def test_large_epochs_train_in_xla_calls_with_the_graph_loops_numbers(data, calls):
    # without dropout the XLA calls compute what the graph loops do, to
    # float32 rounding, the padded partial batch taking the step of its rows
    X, y = data
    params = {**_PARAMS, "dropout": 0.0}
    xla = TaperedMLPClassifier(**params).fit(X, y)
    assert calls["xla"] == 3 and calls["graph"] == 0  # a call an epoch
    _compiled.XLA_MIN_BATCHES_SMALL = None
    graph = TaperedMLPClassifier(**params).fit(X, y)
    assert calls["xla"] == 3 and calls["graph"] > 0
    for a, b in zip(xla.model_.get_weights(), graph.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    pd.testing.assert_frame_equal(xla.history_, graph.history_, rtol=1e-4)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_an_embedded_column_trains_as_in_the_graph_loops(calls, optimizer):
    # an embedding table's sparse gradient repeats a level seen twice in a
    # batch; Adam's and RMSprop's second moments must read its sum, as the
    # graph loops' one dense vector does (they squared each repeat apart)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300)})
    X["city"] = pd.Categorical(rng.choice([f"c{i}" for i in range(40)], 300))
    y = ((X["a"] + X["city"].cat.codes % 3 - 1) > 0).astype(int).to_numpy()
    params = {**_PARAMS, "dropout": 0.0, "optimizer": optimizer, "batch_size": 32}
    xla = TaperedMLPClassifier(**params).fit(X, y)
    assert calls["xla"] == 3 and len(xla.preprocessor_.embedded_features_) == 1
    _compiled.XLA_MIN_BATCHES_SMALL = None
    graph = TaperedMLPClassifier(**params).fit(X, y)
    pd.testing.assert_frame_equal(xla.history_, graph.history_, rtol=1e-4)
    np.testing.assert_allclose(
        xla.predict_proba(X), graph.predict_proba(X), rtol=1e-4, atol=1e-5
    )


def test_xla_fits_reproduce_and_take_their_dropout_rates(data, calls):
    X, y = data
    params = {**_PARAMS, "dropout": 0.3}
    first = TaperedMLPClassifier(**params).fit(X, y)
    again = TaperedMLPClassifier(**params).fit(X, y)
    assert calls["xla"] == 6 and calls["graph"] == 0
    for a, b in zip(
        first.model_.get_weights(), again.model_.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(first.history_, again.history_)
    # the rate is an argument of the one compiled function
    other = TaperedMLPClassifier(**{**params, "dropout": 0.6}).fit(X, y)
    assert _training.cache_info()["hits"] == 2
    assert not np.allclose(other.history_["loss"], first.history_["loss"])
    none = TaperedMLPClassifier(**{**params, "dropout": 0.0}).fit(X, y)
    assert none.history_["loss"].iloc[-1] < first.history_["loss"].iloc[-1]


def test_small_epochs_and_batch_norm_keep_the_graph_loops(data, calls, monkeypatch):
    X, y = data
    # batch normalization: a padded batch would change its statistics
    TaperedMLPClassifier(**_PARAMS, batch_norm=True).fit(X, y)
    assert calls["xla"] == 0 and calls["graph"] > 0
    # an epoch of fewer full batches than a small network's bar
    monkeypatch.setattr(_compiled, "XLA_MIN_BATCHES_SMALL", 9)
    TaperedMLPClassifier(**_PARAMS).fit(X, y)
    assert calls["xla"] == 0
    monkeypatch.setattr(_compiled, "XLA_MIN_BATCHES_SMALL", 8)
    TaperedMLPClassifier(**_PARAMS).fit(X, y)
    assert calls["xla"] == 3
    # a network of more weights than SINGLE_THREADED_WEIGHTS has its own bar
    monkeypatch.setattr(_compiled, "SINGLE_THREADED_WEIGHTS", 10)
    monkeypatch.setattr(_compiled, "XLA_MIN_BATCHES", 9)
    TaperedMLPClassifier(**{**_PARAMS, "hidden_layer_sizes": (12, 7)}).fit(X, y)
    assert calls["xla"] == 3
    monkeypatch.setattr(_compiled, "XLA_MIN_BATCHES", 8)
    TaperedMLPClassifier(**{**_PARAMS, "hidden_layer_sizes": (12, 7)}).fit(X, y)
    assert calls["xla"] == 6


def test_without_xla_the_graph_loops_train(data, calls, monkeypatch):
    # a TensorFlow that cannot compile the call: the epoch, and every later
    # one, runs in the graph loops, as with XLA_MIN_BATCHES None
    import tensorflow as tf

    def unavailable(self, *args):
        raise tf.errors.UnimplementedError(None, None, "no XLA here")

    X, y = data
    monkeypatch.setattr(_compiled._TensorFlowTrainer, "scan", unavailable)
    fitted = TaperedMLPClassifier(**_PARAMS).fit(X, y)
    (kit,) = _training._CACHE._entries.values()
    assert kit.compiled.xla is False and calls["graph"] > 0
    _compiled.XLA_MIN_BATCHES_SMALL = None
    graph = TaperedMLPClassifier(**_PARAMS).fit(X, y)
    pd.testing.assert_frame_equal(fitted.history_, graph.history_)
