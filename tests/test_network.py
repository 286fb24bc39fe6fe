"""A fitted network as values: no Keras model per fit, ``model_`` built on demand."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skdnn import TaperedMLPClassifier, _architecture, _training
from skdnn._architecture import build_model, initial_values
from skdnn._keras import backend_name

_PARAMS = dict(hidden_layer_sizes=(12, 6), epochs=4, batch_size=16, random_state=0)


@pytest.fixture
def data():
    return make_classification(
        n_samples=150, n_features=5, n_informative=3, random_state=0
    )


def _values(model):
    return [
        np.asarray(v.numpy())
        for v in model.trainable_variables + model.non_trainable_variables
    ]


@pytest.mark.parametrize(
    "spec",
    [
        dict(batch_norm=True, dropout=(0.1, 0.0), kernel_initializer="auto"),
        dict(batch_norm=False, dropout=(0.3, 0.2), kernel_initializer="zeros"),
        dict(
            batch_norm=False,
            dropout=(0.0, 0.2),
            kernel_initializer="glorot_normal",
            embeddings=(4, (5, 3), (2, 2)),
        ),
    ],
    ids=["batch-norm", "deterministic-init", "embeddings"],
)
def test_initial_values_are_those_build_model_starts_with(spec):
    # read off a model of other seeds, the values of the model of these
    # seeds: weights, batch-norm statistics, dropout seed states, tables
    embeddings = spec.get("embeddings", (6, (), ()))
    n_codes = len(embeddings[1])
    kw = dict(
        n_features=6,
        n_outputs=3,
        output_activation="softmax",
        hidden_layer_sizes=(8, 4),
        activation="selu",
        l2=0.01,
        **spec,
    )
    seeds, codes = list(range(10, 15)), list(range(50, 50 + n_codes))
    expected = _values(build_model(**kw, seeds=seeds, embedding_seeds=codes))
    other = build_model(**kw, seeds=list(range(90, 95)), embedding_seeds=[7] * n_codes)
    got = initial_values(other, seeds, codes)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    # the other model's own values differ: the seeds were used
    assert not all(
        np.array_equal(a, b) for a, b in zip(_values(other), expected, strict=True)
    )


def test_fits_of_one_architecture_build_one_keras_model(data, monkeypatch):
    X, y = data
    built = []
    original = _architecture.build_model

    def counted(**kwargs):
        built.append(kwargs["hidden_layer_sizes"])
        return original(**kwargs)

    monkeypatch.setattr(_architecture, "build_model", counted)
    _training.clear_cache()
    fits = [
        TaperedMLPClassifier(**{**_PARAMS, "random_state": i}).fit(X, y)
        for i in range(4)
    ]
    assert len(built) == 1  # the architecture's template, for all four fits
    model = fits[2].model_  # built from the values when first read ...
    assert len(built) == 2 and fits[2].model_ is model  # ... and kept
    # the model is the fitted network: Keras predicts what numpy predicts
    encoded = fits[2].preprocessor_.transform(X)
    np.testing.assert_allclose(
        model.predict(encoded, verbose=0)[:, 0],
        fits[2].predict_proba(X)[:, 1],
        rtol=1e-5,
        atol=1e-6,
    )
    _training.clear_cache()


def test_a_pickle_holds_values_and_continues_as_the_original(data):
    X, y = data
    params = {**_PARAMS, "dropout": 0.3, "warm_start": True}
    clf = TaperedMLPClassifier(**params).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    assert copy._network.model is None  # no Keras model travelled
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    # weights, optimizer moments and dropout seed states all came along
    clf.set_params(epochs=3).fit(X, y)
    copy.set_params(epochs=3).fit(X, y)
    for a, b in zip(clf.model_.get_weights(), copy.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    optimizer = [np.asarray(v) for v in clf.model_.optimizer.variables]
    for a, b in zip(
        optimizer, [np.asarray(v) for v in copy.model_.optimizer.variables], strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_a_model_read_by_the_user_is_what_training_continues(data):
    # once model_ has been read it is the network: what the user sets on it
    # (weights, optimizer state) is what training continues from, and
    # training updates it in place
    X, y = data
    clf = TaperedMLPClassifier(**_PARAMS).fit(X, y)
    model = clf.model_
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.optimizer.learning_rate.assign(0.0)
    clf.partial_fit(X, y)
    assert clf.model_ is model
    assert clf.history_["learning_rate"].iloc[-1] == 0.0
    for weight in model.get_weights():  # a step of size 0 from zeros
        np.testing.assert_array_equal(weight, np.zeros_like(weight))
    proba = clf.predict_proba(X)  # the numpy plan of those weights
    np.testing.assert_array_equal(proba, np.full_like(proba, 0.5))


def test_a_warm_start_trains_at_the_batch_size_it_is_given(data, monkeypatch):
    # each fit starts its own runner from the network's values, so a
    # changed batch_size applies to the fit that continues (a runner kept
    # from the first fit used to keep its batch size)
    X, y = data
    sizes = []
    run_epochs = _training.EpochRunner.run_epochs

    def recorded(self, *args):
        sizes.append(self.batch_size)
        return run_epochs(self, *args)

    monkeypatch.setattr(_training.EpochRunner, "run_epochs", recorded)
    clf = TaperedMLPClassifier(**{**_PARAMS, "warm_start": True}).fit(X, y)
    assert set(sizes) == {16}
    sizes.clear()
    clf.set_params(batch_size=64).fit(X, y)
    assert set(sizes) == {64}
    assert clf.n_iter_ == 2 * _PARAMS["epochs"]


def test_fits_that_build_no_model_never_clear_the_kernel_cache(data, monkeypatch):
    # clearing TensorFlow's eager kernels also drops the compiled functions'
    # instantiations (0.3 to 0.9 s to redo); only building Keras models
    # grows that cache, so only models built count towards a clearing
    if backend_name() != "tensorflow":
        pytest.skip("TensorFlow's kernel cache")
    from tensorflow.python.eager import context

    X, y = data
    cleared = []
    monkeypatch.setattr(
        type(context.context()), "clear_kernel_cache", lambda self: cleared.append(1)
    )
    monkeypatch.setattr(_training, "MODELS_PER_KERNEL_CACHE_CLEAR", 3)
    monkeypatch.setattr(_training, "_models_since_clear", 0)
    _training.clear_cache()
    fits = [
        TaperedMLPClassifier(**{**_PARAMS, "random_state": i}).fit(X, y)
        for i in range(6)
    ]
    assert _training._models_since_clear == 1  # the architecture's template
    assert not cleared
    fits[0].model_, fits[1].model_  # two models built: three in all
    fits[2].partial_fit(X, y)  # the fit after them clears, once
    fits[3].partial_fit(X, y)
    assert cleared == [1] and _training._models_since_clear == 0
    _training.clear_cache()


def test_a_fit_interrupted_before_a_model_is_built_does_not_ask_for_keras(
    monkeypatch,
):
    # a Ctrl-C while Keras was first imported: the fit's cleanup asked for
    # the backend, re-imported the half-imported Keras, and its error
    # replaced the interruption (a search then went on: "All fits failed")
    def no_keras():
        raise AssertionError("Keras asked for")

    monkeypatch.setattr(_training, "backend_name", no_keras)
    monkeypatch.setattr(_training, "_models_since_clear", 0)
    _training.release_kernel_cache()


def test_a_continued_fit_takes_new_dropout_rates_and_learning_rate(data):
    # the rates and the step are the run's, not the architecture's: what the
    # user sets before a warm start or partial_fit is what trains (it was
    # ignored silently); whether model_ was read or not
    X, y = data
    params = {**_PARAMS, "dropout": 0.1, "warm_start": True}
    kept = TaperedMLPClassifier(**params).fit(X, y)
    kept.fit(X, y)
    changed, read = (TaperedMLPClassifier(**params).fit(X, y) for _ in range(2))
    read.model_  # noqa: B018 (the Keras model is then the network)
    for clf in (changed, read):
        clf.set_params(dropout=(0.5, 0.3), learning_rate=0.01).fit(X, y)
        assert clf.history_["learning_rate"].iloc[-1] == pytest.approx(0.01)
    assert not np.allclose(changed.predict_proba(X), kept.predict_proba(X))
    np.testing.assert_allclose(changed.predict_proba(X), read.predict_proba(X))
    # partial_fit too: at the rates of the fit it continues from, the same
    changed.set_params(dropout=0.1, learning_rate=1e-3).partial_fit(X, y)
    read.partial_fit(X, y)
    assert changed.history_["learning_rate"].iloc[-1] == pytest.approx(1e-3)
    assert not np.allclose(changed.predict_proba(X), read.predict_proba(X))


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_layer_sizes": (12, 4)},
        {"dropout": 0.0},
        {"dropout": (0.1, 0.0)},
        {"l2": 0.1},
        {"batch_norm": True},
        {"activation": "tanh"},
        {"optimizer": "sgd"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_continued_fit_refuses_another_architecture(data, change):
    # l2 used to be read by the validation loss and not by training, and
    # the rest to be ignored silently
    X, y = data
    clf = TaperedMLPClassifier(**{**_PARAMS, "warm_start": True}).fit(X, y)
    proba, n_iter = clf.predict_proba(X), clf.n_iter_
    clf.set_params(**change)
    for method in (clf.fit, clf.partial_fit):
        with pytest.raises(ValueError, match="architecture changed since it was fit"):
            method(X, y)
    assert clf.n_iter_ == n_iter
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_a_refused_continued_fit_changes_nothing(data):
    # the new rates and step were taken before the input was checked
    X, y = data
    clf = TaperedMLPClassifier(**{**_PARAMS, "warm_start": True}).fit(X, y)
    spec, rate = dict(clf._network.spec), clf._network.learning_rate
    clf.set_params(dropout=0.4, learning_rate=0.5)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)
    assert clf._network.spec == spec and clf._network.learning_rate == rate
