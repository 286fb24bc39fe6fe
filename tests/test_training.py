"""The compiled training epoch and the process-wide cache of compiled functions."""

import itertools
import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from skdnn import TaperedMLPClassifier, _compiled, _training
from skdnn._flat_layout import FlatLayout
from skdnn._heads import get_head
from skdnn._keras import backend_name


def test_compiled_epoch_reads_the_current_learning_rate():
    # A callback sets the learning rate to 0 after the first epoch: the
    # compiled step (traced once, at the first epoch) must read the
    # optimiser's variable, not a value baked in when it was traced.
    from skdnn._keras import import_keras

    keras = import_keras()
    seen = {}  # the callback is deep-copied by fit: results come back here

    class Freeze(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate.assign(0.0)
            if epoch == 0:
                seen["after_first"] = self.model.get_weights()

    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16, 8), dropout=0.0, epochs=3, batch_size=32,
        early_stopping=False, random_state=0, callbacks=[Freeze()],
    ).fit(X, y)  # fmt: skip
    assert clf.n_iter_ == 3
    changed = [
        not np.array_equal(a, b)
        for a, b in zip(seen["after_first"], clf.model_.get_weights(), strict=True)
    ]
    assert not any(changed)
    assert clf.history_["learning_rate"].tolist()[1:] == [0.0, 0.0]


# ----------------------------------------------------------------------------
# The process-wide cache of compiled training functions
# ----------------------------------------------------------------------------

_PARAMS = dict(hidden_layer_sizes=(12, 6), epochs=3, batch_size=16, random_state=0)


@pytest.fixture
def data():
    return make_classification(
        n_samples=150, n_features=5, n_informative=3, random_state=0
    )


@pytest.fixture
def fresh_cache():
    _training.clear_cache()
    yield _training
    _training.clear_cache()


def _weights(clf):
    return clf.model_.get_weights()


def _assert_same_fit(a, b):
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    pd.testing.assert_frame_equal(a.history_, b.history_)


def test_one_trace_serves_every_fit_of_an_architecture(data, fresh_cache):
    X, y = data
    TaperedMLPClassifier(**_PARAMS).fit(X, y)
    first = fresh_cache.cache_info()
    assert first["misses"] == 1 and first["traces"] >= 1
    # seeds, learning rate, class weights and the data are not part of the
    # architecture: no new trace
    others = [
        dict(random_state=1),
        dict(learning_rate=0.01),
        dict(class_weight="balanced"),
    ]
    rows = slice(None, 120)  # other data, of another size
    if backend_name() == "tensorflow":
        others.append(dict(batch_size=7))
    else:  # JAX compiles per batch shape: other data of the same size
        rows = slice(None, None, -1)
    for change in others:
        TaperedMLPClassifier(**{**_PARAMS, **change}).fit(X[rows], y[rows])
    info = fresh_cache.cache_info()
    assert info["traces"] == first["traces"]
    assert info["hits"] == len(others) and info["misses"] == 1


@pytest.mark.skipif(backend_name() != "jax", reason="JAX scans the batches")
def test_jax_compiles_one_scan_per_batch_size(fresh_cache, monkeypatch):
    # 22 full batches of 16 and a partial one of 5, padded to 16: two scans
    # of 16 (the second with 9 spare slots) and no step for the partial
    # batch; before, every size of a partial batch compiled its own step
    params = {**_PARAMS, "validation_split": 0.0, "early_stopping": False}
    X, y = make_classification(n_samples=16 * 27 + 5, n_features=5, random_state=0)
    small = TaperedMLPClassifier(**params).fit(X[: 16 * 22 + 5], y[: 16 * 22 + 5])
    assert fresh_cache.cache_info()["traces"] == 1
    # 27 full batches, then partial batches of other sizes: nothing new
    for n in (16 * 27 + 5, 16 * 26 + 9, 16 * 25):
        TaperedMLPClassifier(**params).fit(X[:n], y[:n])
    assert fresh_cache.cache_info()["traces"] == 1
    # the spare slots and the padding change nothing: one batch per scan
    # (no spare slot) trains the same network
    monkeypatch.setattr(_training, "BATCHES_PER_SCAN", 1)
    single = TaperedMLPClassifier(**params).fit(X[: 16 * 22 + 5], y[: 16 * 22 + 5])
    for a, b in zip(_weights(small), _weights(single), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the epoch losses are float32 sums taken in other groupings of batches
    np.testing.assert_allclose(
        small.history_["loss"], single.history_["loss"], rtol=1e-6
    )


@pytest.mark.skipif(backend_name() != "jax", reason="JAX scans the batches")
@pytest.mark.parametrize("batch_norm", [False, True])
def test_jax_padded_partial_batch_takes_the_step_of_its_rows(
    fresh_cache, monkeypatch, batch_norm
):
    # One epoch of 3 rows in batches of 16: one partial batch. Padded to 16
    # rows of weight 0 (without batch normalization) or run at its own size
    # (with it, whose batch statistics the padding would change), the step
    # is the one an unpadded step takes: the same weights and epoch figures.
    params = {
        **_PARAMS,
        "validation_split": 0.0,
        "early_stopping": False,
        "epochs": 1,
        "dropout": 0.0,
        "batch_norm": batch_norm,
    }
    X, y = make_classification(n_samples=3, n_features=5, n_informative=2,
                               n_redundant=0, random_state=1)  # fmt: skip
    padded = TaperedMLPClassifier(**params).fit(X, y)
    assert fresh_cache.cache_info()["traces"] == 1  # the scan, or the step
    # the unpadded step: a batch size that holds the rows exactly
    exact = TaperedMLPClassifier(**{**params, "batch_size": 3}).fit(X, y)
    for a, b in zip(_weights(padded), _weights(exact), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for column in ("loss", exact._metric_name):
        np.testing.assert_allclose(
            padded.history_[column], exact.history_[column], rtol=1e-6
        )


@pytest.mark.parametrize(
    "change",
    [
        dict(hidden_layer_sizes=(12, 7)),
        dict(dropout=0.0),  # no Dropout layer
        dict(dropout=(0.1, 0.0)),  # none after the second layer
        dict(activation="tanh"),
        dict(batch_norm=True),
        dict(optimizer="sgd"),
    ],
    ids=lambda change: next(iter(change)),
)
def test_another_architecture_is_traced_on_its_own(data, fresh_cache, change):
    X, y = data
    TaperedMLPClassifier(**_PARAMS).fit(X, y)
    traces = fresh_cache.cache_info()["traces"]
    TaperedMLPClassifier(**{**_PARAMS, **change}).fit(X, y)
    info = fresh_cache.cache_info()
    assert info["misses"] == 2 and info["hits"] == 0
    assert info["traces"] > traces


def test_dropout_rates_share_one_trace(data, fresh_cache):
    # the rates are an argument of the compiled functions: a fit at another
    # rate reuses the trace, and trains as a function compiled for it would
    X, y = data
    at_01 = TaperedMLPClassifier(**{**_PARAMS, "dropout": 0.1}).fit(X, y)
    traces = fresh_cache.cache_info()["traces"]
    cached = TaperedMLPClassifier(**{**_PARAMS, "dropout": (0.5, 0.3)}).fit(X, y)
    info = fresh_cache.cache_info()
    assert info["hits"] == 1 and info["traces"] == traces
    fresh_cache.clear_cache()
    fresh = TaperedMLPClassifier(**{**_PARAMS, "dropout": (0.5, 0.3)}).fit(X, y)
    assert fresh_cache.cache_info()["hits"] == 0
    _assert_same_fit(cached, fresh)
    # and the rate is the one given, not the one first traced
    assert not np.allclose(at_01.history_["loss"], cached.history_["loss"])


def _dropout_model(rate, rows, width):
    """A model of one Dropout layer, the layer, rows for it, its seed state."""
    from skdnn._keras import import_keras, to_numpy

    keras = import_keras()
    inputs = keras.Input(shape=(width,))
    model = keras.Model(inputs, keras.layers.Dropout(rate, seed=3)(inputs))
    layer = model.layers[-1]
    x = np.linspace(0.5, 2.0, rows * width, dtype=np.float32).reshape(rows, width)
    return model, layer, x, to_numpy(layer.seed_generator.state)


def _rates(rate):
    from skdnn._keras import import_keras

    return import_keras().ops.convert_to_tensor(np.array([rate], np.float32))


@pytest.mark.skipif(
    backend_name() != "tensorflow", reason="JAX's steps draw the hashed masks"
)
@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_run_time_dropout_draws_the_masks_of_keras_layer(rate):
    from skdnn._dropout import given, take_rates_at_run_time
    from skdnn._keras import to_numpy

    model, layer, x, start = _dropout_model(rate, 32, 64)
    keras_out = to_numpy(layer(x, training=True))
    layer.seed_generator.state.assign(start)
    take_rates_at_run_time(model)
    with given(_rates(rate)):
        ours = to_numpy(layer(x, training=True))
    np.testing.assert_array_equal(ours == 0, keras_out == 0)
    np.testing.assert_allclose(ours, keras_out, rtol=1e-6)
    assert 0 < (ours == 0).mean() < 1
    # in inference, and outside a compiled function's trace, Keras's layer
    np.testing.assert_array_equal(to_numpy(layer(x, training=False)), x)


# The masks of XLA-compiled steps (JAX, TensorFlow's large epochs)


def _uniform(seed, shape=(256, 512)):
    from skdnn._dropout import hashed_uniform
    from skdnn._keras import import_keras, to_numpy

    seed = import_keras().ops.convert_to_tensor(np.array(seed, np.int32))
    return to_numpy(hashed_uniform(shape, seed))


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
    from skdnn._keras import to_numpy

    model, layer, x, start = _dropout_model(rate, 128, 256)
    take_rates_at_run_time(model)
    with given(_rates(rate), hashed=True):
        first = to_numpy(layer(x, training=True))
        second = to_numpy(layer(x, training=True))  # the seed moved on
        layer.seed_generator.state.assign(start)
        again = to_numpy(layer(x, training=True))
    dropped = first == 0
    assert abs(dropped.mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / x.size)
    np.testing.assert_allclose(first[~dropped], x[~dropped] / (1 - rate), rtol=1e-6)
    np.testing.assert_array_equal(again, first)
    assert np.mean((second == 0) == dropped) < 1 - rate / 2


def test_cached_function_gives_the_results_of_a_fresh_one(data, fresh_cache):
    X, y = data
    params = {**_PARAMS, "dropout": 0.3, "batch_norm": True}
    # a model of another seed compiles the function; seed 0 reuses it
    TaperedMLPClassifier(**{**params, "random_state": 7}).fit(X, y)
    cached = TaperedMLPClassifier(**params).fit(X, y)
    assert fresh_cache.cache_info()["hits"] == 1
    fresh_cache.clear_cache()
    fresh = TaperedMLPClassifier(**params).fit(X, y)  # compiled for itself
    assert fresh_cache.cache_info()["hits"] == 0
    _assert_same_fit(cached, fresh)


def test_models_sharing_a_function_keep_their_own_state(data, fresh_cache):
    # Continuing a model after another of its architecture trained must
    # resume its own weights, optimizer moments and dropout streams.
    X, y = data
    params = {**_PARAMS, "dropout": 0.3, "warm_start": True}
    alone = TaperedMLPClassifier(**params).fit(X, y)
    alone.set_params(epochs=2).fit(X, y)

    held = TaperedMLPClassifier(**params).fit(X, y)
    proba = held.predict_proba(X)
    TaperedMLPClassifier(**{**params, "random_state": 3}).fit(X, y)
    np.testing.assert_array_equal(held.predict_proba(X), proba)
    held.set_params(epochs=2).fit(X, y)
    assert fresh_cache.cache_info()["misses"] == 1
    _assert_same_fit(alone, held)


def test_the_cache_is_bounded(data, fresh_cache, monkeypatch):
    X, y = data
    monkeypatch.setattr(fresh_cache._CACHE, "maxsize", 2)
    for width in (4, 5, 6):
        TaperedMLPClassifier(**{**_PARAMS, "hidden_layer_sizes": (width,)}).fit(X, y)
    assert fresh_cache.cache_info()["size"] == 2
    # the least recently used architecture was dropped: it is traced again
    TaperedMLPClassifier(**{**_PARAMS, "hidden_layer_sizes": (4,)}).fit(X, y)
    info = fresh_cache.cache_info()
    assert info["misses"] == 4 and info["hits"] == 0 and info["size"] == 2


def test_the_cache_is_bounded_by_the_values_its_templates_hold():
    # the templates of large networks piled up, about 700 MB an
    # architecture for a 1024-512-256 network on 18,000 inputs
    from types import SimpleNamespace

    from skdnn._kit import _CompiledCache

    cache = _CompiledCache(maxsize=10, max_values=100)
    for key, size in (("a", 30), ("b", 30), ("c", 30)):
        cache.get(key, lambda size=size: SimpleNamespace(n_values=size))
    assert cache.info()["size"] == 3
    cache.get("d", lambda: SimpleNamespace(n_values=30))  # 120 > 100
    assert list(cache._entries) == ["b", "c", "d"]
    cache.get("b", lambda: None)  # a hit: now the most recently used
    cache.get("big", lambda: SimpleNamespace(n_values=500))
    assert list(cache._entries) == ["big"]  # kept alone while in use
    cache.get("e", lambda: SimpleNamespace(n_values=10))
    assert list(cache._entries) == ["e"]


def test_architecture_key_ignores_seeds_and_learning_rate(data):
    X, y = data
    a = TaperedMLPClassifier(**{**_PARAMS, "epochs": 1}).fit(X, y)
    b = TaperedMLPClassifier(
        **{**_PARAMS, "epochs": 1, "random_state": 5, "learning_rate": 0.1}
    ).fit(X, y)
    c = TaperedMLPClassifier(**{**_PARAMS, "epochs": 1, "l2": 0.01}).fit(X, y)
    head = get_head("binary")
    key = _training.architecture_key
    assert key(a.model_, head) == key(b.model_, head)
    assert key(a.model_, head) != key(c.model_, head)
    assert key(a.model_, head) != key(a.model_, get_head("multilabel"))


def test_a_search_logs_no_retracing(data, fresh_cache, caplog):
    if backend_name() != "tensorflow":
        pytest.skip("TensorFlow's retracing warning")
    X, y = data
    grid = itertools.product((3, 4, 5), (0.0, 0.2))
    with caplog.at_level(logging.WARNING):
        for i, (width, dropout) in enumerate(grid):
            params = {**_PARAMS, "epochs": 1, "batch_size": 8 + 8 * (i % 2)}
            params.update(hidden_layer_sizes=(width,), dropout=dropout)
            TaperedMLPClassifier(**params).fit(X, y)
    assert "retracing" not in caplog.text
    assert fresh_cache.cache_info()["misses"] == 6


# ----------------------------------------------------------------------------
# Several epochs per compiled call (TensorFlow)
# ----------------------------------------------------------------------------


def _optimizer_state(clf):
    return [np.asarray(v) for v in clf.model_.optimizer.variables]


def _count_epoch_calls(monkeypatch):
    calls = []
    run_epochs = _training.EpochRunner.run_epochs

    def counted(self, X, Y, weights, orders):
        calls.append(len(orders))
        return run_epochs(self, X, Y, weights, orders)

    monkeypatch.setattr(_training.EpochRunner, "run_epochs", counted)
    return calls


@pytest.mark.skipif(backend_name() != "tensorflow", reason="JAX: an epoch a call")
def test_epochs_run_together_fit_as_epochs_run_alone(data, monkeypatch):
    # early stopping ends the fit inside a call of 8 epochs (24 is not a
    # multiple of 8): the model is put back to the epoch it stopped at,
    # optimizer state included, so a warm start continues identically
    X, y = data
    params = dict(
        hidden_layer_sizes=(12, 6), epochs=60, batch_size=16, patience=3,
        random_state=0,
    )  # fmt: skip
    calls = _count_epoch_calls(monkeypatch)
    together = TaperedMLPClassifier(**params).fit(X, y)
    assert max(calls) == 8 and together.n_iter_ % 8 != 0
    monkeypatch.setattr(_training, "EPOCHS_PER_CALL", 1)
    calls.clear()
    alone = TaperedMLPClassifier(**params).fit(X, y)
    assert set(calls) == {1}
    _assert_same_fit(together, alone)
    for a, b in zip(_optimizer_state(together), _optimizer_state(alone), strict=True):
        np.testing.assert_array_equal(a, b)
    # both continue from the same state: the same network after 5 more
    alone.set_params(warm_start=True, epochs=5, early_stopping=False).fit(X, y)
    monkeypatch.setattr(_training, "EPOCHS_PER_CALL", 8)
    together.set_params(warm_start=True, epochs=5, early_stopping=False).fit(X, y)
    _assert_same_fit(together, alone)


@pytest.mark.skipif(backend_name() != "tensorflow", reason="JAX: an epoch a call")
def test_epochs_run_alone_with_callbacks_or_large_epochs(data, monkeypatch):
    from skdnn._keras import import_keras

    X, y = data
    calls = _count_epoch_calls(monkeypatch)
    # callbacks act between epochs: one epoch per call
    keras = import_keras()
    TaperedMLPClassifier(**_PARAMS, callbacks=[keras.callbacks.Callback()]).fit(X, y)
    assert set(calls) == {1}
    # an epoch that fills a chunk of rows runs alone too
    calls.clear()
    monkeypatch.setattr(_training, "CHUNK_ROWS", 100)
    TaperedMLPClassifier(**_PARAMS).fit(X, y)
    assert set(calls) == {1}


@pytest.mark.skipif(backend_name() != "tensorflow", reason="TensorFlow's executor")
def test_the_cpu_executor_and_the_flat_call_change_how_not_what(
    data, fresh_cache, monkeypatch
):
    # the call with flat inputs computes the same numbers; the single-threaded
    # executor (for a small network) the same to float32 rounding (its graph
    # loops are not lowered), and the same again at every fit
    import contextlib

    X, y = data
    params = {**_PARAMS, "dropout": 0.3, "batch_norm": True}
    cpu_executor = _compiled.CPU_EXECUTOR
    small = _compiled.SINGLE_THREADED_WEIGHTS

    def fit(executor, flat, most_weights=small):
        fresh_cache.clear_cache()
        monkeypatch.setattr(_compiled, "CPU_EXECUTOR", executor)
        monkeypatch.setattr(_compiled, "SINGLE_THREADED_WEIGHTS", most_weights)
        TaperedMLPClassifier(**{**params, "random_state": 7}).fit(X, y)
        (kit,) = fresh_cache._CACHE._entries.values()
        trainer = kit.compiled
        single_threaded = trainer._executor is not contextlib.nullcontext
        assert single_threaded == (executor is not None and most_weights == small)
        assert trainer._call_flat is not None
        if not flat:  # TensorFlow's public call, which binds by name
            trainer._call_flat = None
        return TaperedMLPClassifier(**params).fit(X, y)

    default = fit(None, flat=False)
    _assert_same_fit(fit(None, flat=True), default)
    # a network of more weights (here: more than 10) keeps the default
    _assert_same_fit(fit(cpu_executor, flat=True, most_weights=10), default)
    single = fit(cpu_executor, flat=True)
    _assert_same_fit(fit(cpu_executor, flat=False), single)
    for a, b in zip(_weights(single), _weights(default), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    pd.testing.assert_frame_equal(single.history_, default.history_, rtol=1e-4)


@pytest.mark.skipif(backend_name() != "tensorflow", reason="TensorFlow's optimizers")
@pytest.mark.parametrize(
    "params, exact",
    [
        (dict(optimizer="adam"), True),
        (dict(optimizer="nadam", l2=1e-3), True),
        (dict(optimizer="adam", batch_norm=True), True),
        (dict(optimizer="lion"), True),
        (dict(optimizer="adamw", dropout=0.3), True),
        # equal to float32 rounding: TensorFlow rounds one of RMSprop's
        # elementwise expressions differently on some elements of a long
        # vector than on the short ones
        (dict(optimizer="rmsprop"), False),
    ],
    ids=lambda p: "-".join(map(str, p.values())) if isinstance(p, dict) else "",
)
def test_one_vector_of_weights_trains_as_the_variables_do(
    data, monkeypatch, params, exact
):
    # the optimizer updating every weight as one vector gives the numbers of
    # Keras's per-variable updates, slots (moments) included
    X, y = data
    X3 = np.c_[X, X[:, :2] ** 2]
    y3 = (y + (X[:, 0] > 0)).astype(int)  # three classes
    params = {**_PARAMS, "epochs": 6, **params}
    _training.clear_cache()
    vector = TaperedMLPClassifier(**params).fit(X3, y3)
    layout = FlatLayout.of(_training._clone(vector.model_))
    assert layout is not None and layout.kinds  # the vector path was taken
    _training.clear_cache()
    monkeypatch.setattr(FlatLayout, "of", lambda model: None)
    variables = TaperedMLPClassifier(**params).fit(X3, y3)
    if exact:
        _assert_same_fit(vector, variables)
        pairs = zip(_optimizer_state(vector), _optimizer_state(variables), strict=True)
        for a, b in pairs:
            np.testing.assert_array_equal(a, b)
    else:
        for a, b in zip(_weights(vector), _weights(variables), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        pd.testing.assert_frame_equal(vector.history_, variables.history_, rtol=1e-4)
    _training.clear_cache()


@pytest.mark.parametrize("policy", ["float64", "mixed_float16", "mixed_bfloat16"])
def test_a_global_keras_dtype_policy_leaves_the_network_in_float32(policy, tmp_path):
    # set_floatx("float64") failed the TensorFlow step on a float32 weight;
    # mixed_float16 wrapped the optimizer in loss scaling and hung the fit
    import skdnn
    from skdnn._keras import import_keras

    keras = import_keras()
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    params = {"hidden_layer_sizes": (8,), "epochs": 2, "random_state": 0}
    reference = TaperedMLPClassifier(**params).fit(X, y)
    expected = reference.predict_proba(X)
    floatx, before = keras.config.floatx(), keras.config.dtype_policy()
    try:
        if policy == "float64":
            keras.config.set_floatx(policy)
        else:
            keras.config.set_dtype_policy(policy)
        _training.clear_cache()  # a network built under the policy, not before
        clf = TaperedMLPClassifier(**params).fit(X, y)
        np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)
        # the rate the steps applied (float32), not the variable's float64
        np.testing.assert_array_equal(
            clf.history_["learning_rate"], reference.history_["learning_rate"]
        )
        assert {w.dtype for w in clf.model_.weights} == {"float32"}
        skdnn.save(clf, tmp_path / "m.skdnn")
        loaded = skdnn.load(tmp_path / "m.skdnn")
        clf.partial_fit(X, y)
        np.testing.assert_allclose(
            loaded.partial_fit(X, y).predict_proba(X), clf.predict_proba(X), rtol=1e-5
        )
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(before)
        _training.clear_cache()
