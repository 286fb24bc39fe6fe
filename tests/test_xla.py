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


def _uniform(seed, shape=(256, 512)):
    import tensorflow as tf

    from skdnn._dropout import hashed_uniform

    return hashed_uniform(tf.constant(shape), tf.constant(seed, tf.int64)).numpy()


def test_the_hashed_numbers_are_uniform_seeded_and_uncorrelated():
    u = _uniform([1234, 0])
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 1
    # 131,072 numbers: their mean within 5 standard errors of 1/2, each
    # sixteenth of [0, 1) within 5 standard errors of its share
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    counts = np.histogram(u, bins=16, range=(0, 1))[0] / u.size
    assert np.all(np.abs(counts - 1 / 16) < 5 * np.sqrt(1 / 16 * 15 / 16 / u.size))
    np.testing.assert_array_equal(_uniform([1234, 0]), u)
    limit = 5 / np.sqrt(u.size)  # of a correlation of independent numbers

    def corr(a, b):
        return abs(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    assert corr(u[:, 1:], u[:, :-1]) < limit  # neighbouring units
    assert corr(u[1:], u[:-1]) < limit  # neighbouring rows
    # the next step (the seed generator's counter), another layer's seed
    for other in ([1234, 1], [1235, 0], [0, 0]):
        v = _uniform(other)
        assert corr(u, v) < limit
        assert np.mean(u == v) < 1e-3
    # as Philox's, the numbers of a smaller shape are the first ones of a
    # larger (number i depends on i and the seed only)
    np.testing.assert_array_equal(_uniform([1234, 0], (128, 512)), u[:128])


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_hashed_dropout_drops_its_rate_and_scales_the_rest(rate):
    from skdnn._dropout import given, take_rates_at_run_time
    from skdnn._keras import import_keras, to_numpy

    keras = import_keras()
    inputs = keras.Input(shape=(256,))
    model = keras.Model(inputs, keras.layers.Dropout(rate, seed=3)(inputs))
    layer = model.layers[-1]
    take_rates_at_run_time(model)
    x = np.linspace(0.5, 2.0, 128 * 256, dtype=np.float32).reshape(128, 256)
    start = to_numpy(layer.seed_generator.state)
    with given(keras.ops.convert_to_tensor(np.array([rate], np.float32)), hashed=True):
        first = to_numpy(layer(x, training=True))
        second = to_numpy(layer(x, training=True))  # the seed moved on
        layer.seed_generator.state.assign(start)
        again = to_numpy(layer(x, training=True))
    dropped = first == 0
    assert abs(dropped.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / x.size)
    np.testing.assert_allclose(first[~dropped], x[~dropped] / (1 - rate), rtol=1e-6)
    np.testing.assert_array_equal(again, first)
    assert np.mean((second == 0) == dropped) < 1 - rate / 2


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
