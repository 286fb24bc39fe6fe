"""Behaviour of TaperedMLPClassifier in the user's flows."""

import hashlib
import os
import pickle
import random
import re
import subprocess
import sys
import time
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.datasets import (
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    hamming_loss,
    log_loss,
    recall_score,
)
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

import skdnn
from skdnn import TaperedMLPClassifier, TaperedMLPRegressor
from skdnn._keras import backend_name

# --------------------------------------------------------------------------
# Import cost
# --------------------------------------------------------------------------


def _python_prints(code: str) -> str:
    """What ``code`` prints when run in a fresh Python process."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_import_construct_clone_do_not_import_keras():
    code = (
        "import sys, skdnn\n"
        "from sklearn.base import clone\n"
        "est = skdnn.TaperedMLPClassifier(dropout=0.5)\n"
        "clone(est).get_params(); repr(est)\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    assert _python_prints(code) == "[]"


@pytest.mark.parametrize("level", [None, "2"])
def test_importing_keras_leaves_os_environ_as_it_was(level):
    # TF_CPP_MIN_LOG_LEVEL=3, set for the import, stayed set: every process
    # the user started afterwards hid TensorFlow's errors
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = level
    code = (
        "import os\n"
        "from skdnn._keras import import_keras\n"
        "import_keras()\n"
        "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == str(level)


def test_first_fits_from_several_threads_import_keras_once():
    # a thread took the half-imported keras module from sys.modules while
    # another imported it: "partially initialized module 'keras'"
    code = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from sklearn.datasets import make_classification\n"
        "from skdnn import TaperedMLPClassifier\n"
        "X, y = make_classification(100, 4, random_state=0)\n"
        "def fit(seed):\n"
        "    est = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1,\n"
        "                               random_state=seed)\n"
        "    return est.fit(X, y).predict_proba(X).shape\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    print(list(pool.map(fit, [0, 1])))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[(100, 2), (100, 2)]"


def test_a_keras_backend_skdnn_does_not_train_on_is_refused_by_name(tmp_path):
    # on torch a fit failed deep in Keras (a tensor that requires grad), and
    # once past that recorded no training scores; loading, saving and
    # predicting need no training step and work on any backend
    fitted = TaperedMLPClassifier(epochs=1, validation_split=0, random_state=0)
    fitted.fit([[0.0], [1.0]] * 4, [0, 1] * 4)
    skdnn.save(fitted, tmp_path / "model.skdnn")
    code = (
        "import pickle, sys\n"
        "try:\n"
        "    import keras\n"
        "except ImportError:\n"  # Keras 3.8's numpy backend imports jax
        "    sys.exit(print('no numpy backend'))\n"
        "import skdnn\n"
        "fitted = pickle.loads(sys.stdin.buffer.read())\n"
        f"loaded = skdnn.load({str(tmp_path / 'model.skdnn')!r})\n"
        f"skdnn.save(loaded, {str(tmp_path / 'again.skdnn')!r})\n"
        "X = [[0.0], [1.0]]\n"
        "print(fitted.predict_proba(X).tolist() == loaded.predict_proba(X).tolist())\n"
        "skdnn.TaperedMLPClassifier(epochs=1).fit(X * 4, [0, 1] * 4)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(fitted),
        capture_output=True,
        env={**os.environ, "KERAS_BACKEND": "numpy"},
    )
    stderr = out.stderr.decode()
    if out.stdout.decode().strip() == "no numpy backend":
        pytest.skip("Keras's numpy backend cannot be imported here")
    assert out.returncode != 0
    assert out.stdout.decode().strip() == "True", stderr[-2000:]
    assert (tmp_path / "again.skdnn").exists()
    assert "RuntimeError: skdnn trains with Keras's TensorFlow or JAX" in stderr
    assert "on 'numpy'" in stderr and "KERAS_BACKEND=tensorflow" in stderr


@pytest.mark.parametrize(
    ("activation", "message"),
    [
        ("swoosh", r"activation='swoosh' is not a Keras activation name\.$"),
        ("logistic", "scikit-learn's 'logistic' is Keras's 'sigmoid'"),
        ("identity", "scikit-learn's 'identity' is Keras's 'linear'"),
    ],
)
def test_an_unknown_activation_is_refused_by_name(binary_data, activation, message):
    X, y = binary_data
    with pytest.raises(ValueError, match=message):
        TaperedMLPClassifier(activation=activation).fit(X, y)


def test_the_fitted_attributes_of_scikit_learns_perceptron(binary_data):
    # a gallery script prints mlp.loss_ after each fit: AttributeError
    X, y = binary_data
    clf = TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=12, random_state=0)
    assert not hasattr(clf, "loss_") and not hasattr(clf, "n_layers_")
    clf.fit(X, y)
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ is None  # early stopping, as MLPClassifier's
    assert clf.best_validation_score_ == clf.validation_scores_[clf.best_epoch_ - 1]
    assert clf.n_layers_ == 3
    clf.set_params(early_stopping=False).fit(X, y)
    assert clf.best_loss_ == min(clf.loss_curve_) and clf.best_validation_score_ is None


# --------------------------------------------------------------------------
# The user's flows
# --------------------------------------------------------------------------


def test_pipeline_records_learning_curves(binary_data):
    X, y = binary_data
    pipe = Pipeline(
        [("scaler", StandardScaler()), ("clf", TaperedMLPClassifier(random_state=0))]
    )
    pipe.fit(X, y)
    clf = pipe[-1]
    history = clf.history_
    assert is_classifier(clf)
    assert history.index.name == "epoch"
    assert history.index[0] == 1
    assert list(history.columns) == [
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "learning_rate",
    ]
    assert len(history) == clf.n_iter_
    assert clf.loss_curve_ == history["loss"].tolist()
    assert clf.validation_scores_ == history["val_accuracy"].tolist()
    # early stopping kept the weights of the best validation epoch
    assert clf.best_epoch_ == int(history["val_loss"].idxmin())
    assert clf.n_iter_ == clf.best_epoch_ + clf.patience
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert pipe.score(X, y) > 0.95


def test_grid_search_on_recall_serial_equals_parallel(small_data):
    X, y = small_data
    pipe = Pipeline(
        [
            ("scaler", StandardScaler()),
            (
                "clf",
                TaperedMLPClassifier(
                    hidden_layer_sizes=(16,), epochs=60, random_state=0
                ),
            ),
        ]
    )
    grid = {"clf__dropout": [0.0, 0.5], "clf__batch_size": [16, 64]}
    serial = GridSearchCV(pipe, grid, scoring="recall", cv=3).fit(X, y)
    parallel = GridSearchCV(pipe, grid, scoring="recall", cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )
    assert serial.best_score_ > 0.75
    assert hasattr(serial.best_estimator_[-1], "history_")


def test_cross_validate_keeps_each_fold_history(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=4, random_state=0)
    result = cross_validate(clf, X, y, cv=3, scoring="recall", return_estimator=True)
    histories = [est.history_ for est in result["estimator"]]
    assert [len(h) for h in histories] == [4, 4, 4]
    assert not histories[0].equals(histories[1])


def test_sample_weight_routed_through_pipeline_and_search(small_data):
    import sklearn
    from packaging.version import Version

    if Version(sklearn.__version__) < Version("1.8"):
        # Pipeline.score routes sample_weight from scikit-learn 1.8 on
        pytest.skip("scikit-learn < 1.8 does not route Pipeline.score's weights")
    X, y = small_data
    weights = np.where(y == 1, 5.0, 1.0)
    with config_context(enable_metadata_routing=True):
        clf = (
            # unbalanced: "balanced_logits" balances the weights' prior away
            TaperedMLPClassifier(
                hidden_layer_sizes=(8,), epochs=3, random_state=0, class_weight=None
            )
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True)  # Pipeline.score routes it
        )
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = Pipeline([("scaler", scaler), ("clf", clf)])
        weighted = pipe.fit(X, y, sample_weight=weights)[-1].predict_proba(X)
        plain = clone(pipe).fit(X, y)[-1].predict_proba(X)
        search = GridSearchCV(pipe, {"clf__dropout": [0.0, 0.2]}, cv=2)
        search.fit(X, y, sample_weight=weights)
    # the weights reach the scoring too: weighted accuracy, finite
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert not np.allclose(weighted, plain)
    # upweighting class 1 raises its predicted probability on average
    assert weighted[:, 1].mean() > plain[:, 1].mean()


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["no", "yes"]),
        np.array([-1, 1]),
        np.array([False, True]),
    ],
)
def test_binary_labels_of_any_type(small_data, fast_params, labels):
    X, y = small_data
    y_labels = labels[y]
    clf = TaperedMLPClassifier(**fast_params).fit(X, y_labels)
    np.testing.assert_array_equal(clf.classes_, labels)
    assert clf.model_.output_shape == (None, 1)
    assert set(clf.predict(X)) <= set(labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_multiclass_with_pandas_categorical_labels(multiclass_data, fast_params):
    X, y = multiclass_data
    y_cat = pd.Series(pd.Categorical(np.array(list("abcdefghij"))[y]))
    clf = TaperedMLPClassifier(**{**fast_params, "epochs": 20})
    clf.fit(pd.DataFrame(X), y_cat)
    assert list(clf.classes_) == list("abcdefghij")
    assert clf.model_.output_shape == (None, 10)
    assert clf.score(pd.DataFrame(X), y_cat) > 0.6
    np.testing.assert_allclose(clf.predict_proba(X[:5]).sum(axis=1), 1.0)


def test_multilabel_indicator_targets(small_data, fast_params):
    X, y = small_data
    Y = np.column_stack([y, 1 - y, (X[:, 0] > 0).astype(int)])
    clf = TaperedMLPClassifier(**fast_params).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))


def test_string_labels_in_validation_data(small_data, fast_params):
    X, y = small_data
    names = np.array(["cat", "dog"])
    clf = TaperedMLPClassifier(**fast_params, scoring="recall_macro")
    clf.fit(X[:150], names[y[:150]], validation_data=(X[150:], names[y[150:]]))
    assert "val_recall_macro" in clf.history_
    with pytest.raises(
        ValueError, match=r"labels outside the model.s classes: \[.cow.\]"
    ):
        clf.fit(X[:150], names[y[:150]], validation_data=(X[150:], ["cow"] * 50))


def test_x_val_goes_through_a_pipeline_as_x_does(small_data, fast_params):
    # validation_data reached the network untransformed inside a Pipeline,
    # and transform_input cannot transform a tuple: X_val and y_val, as
    # HistGradientBoostingClassifier takes them, go through its steps
    X, y = small_data
    X = X * 100 + 50  # far from the scaled rows the network trains on
    X_fit, y_fit, X_val, y_val = X[:150], y[:150], X[150:], y[150:]
    scaler = StandardScaler().fit(X_fit)
    direct = TaperedMLPClassifier(**fast_params).fit(
        scaler.transform(X_fit), y_fit, X_val=scaler.transform(X_val), y_val=y_val
    )
    with config_context(enable_metadata_routing=True):
        net = TaperedMLPClassifier(**fast_params).set_fit_request(
            X_val=True, y_val=True
        )
        pipe = Pipeline(
            [("scale", StandardScaler()), ("net", net)], transform_input=["X_val"]
        ).fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
    np.testing.assert_allclose(
        pipe[-1].history_["val_loss"], direct.history_["val_loss"], rtol=1e-5
    )
    by_tuple = TaperedMLPClassifier(**fast_params).fit(
        scaler.transform(X_fit),
        y_fit,
        validation_data=(scaler.transform(X_val), y_val),
    )
    pd.testing.assert_frame_equal(by_tuple.history_, direct.history_)


@pytest.mark.parametrize("table", ["shifted", "breast_cancer"])
def test_an_x_val_in_other_units_than_x_is_warned_about(table, small_data, fast_params):
    # raw X_val routed to a network behind a scaler, without transform_input:
    # early stopping kept the epoch-1 network (balanced accuracy 0.81 against
    # 0.88) and the curves read as overfitting, without a word. Raw
    # breast_cancer rows have only 9 of 30 columns more than 10 spreads out
    # (the small-valued ones land inside), which a half-the-columns rule
    # missed (accuracy 0.71 to 0.80 against 0.96)
    if table == "shifted":
        X, y = small_data
        X, n = X * 100 + 1000, 150
    else:
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        X, y, n = X[:420], y[:420], 300
    X_fit, y_fit, X_val, y_val = X[:n], y[:n], X[n:], y[n:]
    with config_context(enable_metadata_routing=True):
        net = TaperedMLPClassifier(**fast_params).set_fit_request(
            X_val=True, y_val=True
        )
        raw = Pipeline([("scale", StandardScaler()), ("net", net)])
        with pytest.warns(UserWarning, match=r"number columns of X_val .* transform_"):
            raw.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
        routed = clone(raw).set_params(transform_input=["X_val"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            routed.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
    with warnings.catch_warnings():  # the same units, with its own spread
        warnings.simplefilter("error")
        TaperedMLPClassifier(**fast_params).fit(X_fit, y_fit, X_val=X_val, y_val=y_val)


def test_a_validation_set_without_a_class_is_warned_about(small_data, fast_params):
    # 150 validation rows all of one class read as a good fit, "keep this
    # design", without a word
    X, y = small_data
    one = y[150:] == y[150]
    with pytest.warns(UserWarning, match=r"y_val holds no row of the class\(es\) \["):
        TaperedMLPClassifier(**fast_params).fit(
            X[:150], y[:150], X_val=X[150:][one], y_val=y[150:][one]
        )
    weights = np.where(one, 1.0, 0.0)  # the others weigh nothing: the same
    with pytest.warns(UserWarning, match="in validation_data holds no row"):
        TaperedMLPClassifier(**fast_params).fit(
            X[:150], y[:150], validation_data=(X[150:], y[150:], weights)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TaperedMLPClassifier(**fast_params).fit(
            X[:150], y[:150], X_val=X[150:], y_val=y[150:]
        )


def test_sample_weight_val_weighs_the_validation_loss(small_data, fast_params):
    X, y = small_data
    half = np.r_[np.ones(25), np.zeros(25)]
    weighted = TaperedMLPClassifier(**fast_params).fit(
        X[:150], y[:150], X_val=X[150:], y_val=y[150:], sample_weight_val=half
    )
    kept = TaperedMLPClassifier(**fast_params).fit(
        X[:150], y[:150], validation_data=(X[150:175], y[150:175])
    )
    np.testing.assert_allclose(
        weighted.history_["val_loss"], kept.history_["val_loss"], rtol=1e-5
    )
    as_triple = TaperedMLPClassifier(**fast_params).fit(
        X[:150], y[:150], validation_data=(X[150:], y[150:], half)
    )
    pd.testing.assert_frame_equal(as_triple.history_, weighted.history_)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X_val": 0, "validation_data": (0, 0)}, "either as validation_data"),
        ({"X_val": 0}, "X_val was given without y_val"),
        ({"y_val": 0}, "y_val was given without X_val"),
        ({"sample_weight_val": [1.0]}, "sample_weight_val was given without"),
        ({"validation_data": (0,)}, "must be a tuple"),
    ],
)
def test_a_validation_set_given_halfway_is_refused(small_data, kwargs, message):
    X, y = small_data
    with pytest.raises(ValueError, match=message):
        TaperedMLPClassifier(epochs=1).fit(X, y, **kwargs)


def test_a_bad_x_val_is_named_as_such(small_data, fast_params):
    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params)
    with pytest.raises(ValueError, match=r"^X_val, y_val: X has 3 features"):
        clf.fit(X, y, X_val=X[:50, :3], y_val=y[:50])
    with pytest.raises(ValueError, match=r"^X_val, y_val: .*sample_weight"):
        clf.fit(X, y, X_val=X[:50], y_val=y[:50], sample_weight_val=np.ones(3))


@pytest.mark.parametrize(
    ("validation_data", "message"),
    [
        (lambda X, y: (X[:50, :3], y[:50]), "X has 3 features"),
        (lambda X, y: (X[:50], y[:40]), "Found input variables with inconsistent"),
        (lambda X, y: (X[:50], None), "y_val is None"),
        (lambda X, y: (X[:10], np.r_[np.nan, y[1:10]]), "y has missing labels"),
    ],
)
def test_a_bad_validation_set_is_named_as_such(
    small_data, fast_params, validation_data, message
):
    # "X has 3 features" alone sent the user to the training X
    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params)
    with pytest.raises(
        ValueError, match=rf"^validation_data \(X_val, y_val\): {message}"
    ):
        clf.fit(X, y, validation_data=validation_data(X, y))


# --------------------------------------------------------------------------
# Validation hold-out, early stopping, scoring
# --------------------------------------------------------------------------


def test_validation_split_is_stratified_and_seeded(small_data):
    _, y = small_data
    y = np.where(np.arange(len(y)) < 40, 1, 0)  # 20 % positives, first rows
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=2, validation_split=0.25, random_state=0
    )
    clf._target_kind, clf.classes_ = "binary", np.array([0, 1])
    Y = y.reshape(-1, 1).astype(np.float32)
    _, val_rows = clf._holdout_rows(Y, np.random.default_rng(0))
    labels = y[val_rows]
    assert len(labels) == 50
    assert (labels == 1).sum() == 10  # the class ratio of y, not the last rows


@pytest.mark.parametrize("estimator", [TaperedMLPClassifier, TaperedMLPRegressor])
def test_the_hold_out_is_drawn_from_rows_of_positive_weight(estimator):
    # 15 rows of weight 1 among 300: a hold-out of weight-0 rows left the
    # validation loss NaN, and early stopping kept the epoch-1 network
    X, y = make_classification(300, 6, random_state=0)
    weights = np.zeros(300)
    weights[np.random.default_rng(0).choice(300, 15, replace=False)] = 1.0
    net = estimator(hidden_layer_sizes=(8,), epochs=6, random_state=0)
    net.fit(X, y, sample_weight=weights)
    assert net.history_["val_loss"].notna().all()
    assert net.n_validation_samples_ == 2  # 10 % of the 15, rounded up
    assert net.best_epoch_ > 1
    # all weights positive: the hold-out is the one drawn without weights
    clf = TaperedMLPClassifier(validation_split=0.25)
    clf._target_kind, clf.classes_ = "binary", np.array([0, 1])
    Y = y.reshape(-1, 1).astype(np.float32)
    rows = [
        clf._holdout_rows(Y, np.random.default_rng(0), w)[1]
        for w in (None, np.full(300, 2.0))
    ]
    np.testing.assert_array_equal(*rows)


def test_validation_split_zero_records_training_curves_only(small_data, fast_params):
    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params, validation_split=0.0).fit(X, y)
    assert list(clf.history_.columns) == ["loss", "accuracy", "learning_rate"]
    assert clf.validation_scores_ is None
    assert clf.n_iter_ == 5


def test_scoring_metrics_recorded_and_monitored(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,),
        epochs=30,
        patience=3,
        scoring=["recall", "precision"],
        monitor="val_recall",
        random_state=0,
    ).fit(X, y)
    history = clf.history_
    for col in ["recall", "val_recall", "precision", "val_precision"]:
        assert history[col].between(0, 1).all()
    assert clf.best_epoch_ == int(history["val_recall"].idxmax())


def test_early_stopping_off_runs_every_epoch(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=12, early_stopping=False, random_state=0
    ).fit(X, y)
    assert clf.n_iter_ == 12
    assert 1 <= clf.best_epoch_ <= 12


def test_early_stopping_restores_best_weights(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(64, 64), dropout=0.0, epochs=200, patience=5,
        learning_rate=0.01, class_weight=None, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert clf.n_iter_ < 200
    assert clf.n_iter_ == clf.best_epoch_ + 5
    # the weights kept are those whose validation loss was the minimum
    Y = clf._encode_targets(y, "y")
    _, val_rows = clf._holdout_rows(Y, np.random.default_rng(clf._seed_sequence()))
    Y_val = Y[val_rows]
    # the mean cross-entropy of the held-out rows, from the kept weights
    proba = clf.predict_proba(X[val_rows])
    loss = log_loss(Y_val.ravel(), proba, labels=[0, 1])
    assert loss == pytest.approx(clf.history_["val_loss"].min(), rel=1e-5)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_the_kept_network_is_the_moving_average_of_the_trained_one(
    small_data, momentum
):
    import keras

    X, y = small_data
    trained = []

    class Record(keras.callbacks.Callback):  # copied per fit; the list is shared
        def on_epoch_end(self, epoch, logs=None):
            trained.append(self.model.get_weights())

    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=6, early_stopping=False,
        weight_averaging=momentum, callbacks=[Record()], random_state=0,
    ).fit(X, y)  # fmt: skip
    average = trained[0]
    for weights in trained[1:]:
        pairs = zip(average, weights, strict=True)
        average = [momentum * a + (1 - momentum) * w for a, w in pairs]
    kept = clf.model_.get_weights()
    for a, k in zip(average, kept, strict=True):
        np.testing.assert_allclose(k, a, rtol=1e-6, atol=1e-7)
    moved = any(not np.allclose(k, w) for k, w in zip(kept, trained[-1], strict=True))
    assert moved == (momentum > 0)
    # the numpy plan predicts with the same kept network
    encoded = clf._validate_for_predict(X[:20])
    np.testing.assert_allclose(
        clf._output(encoded), clf._keras_output(encoded), rtol=1e-5, atol=1e-6
    )


def _imbalanced(n=600, seed=1):
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n, n_features=10, weights=[0.9, 0.1], flip_y=0.05, random_state=seed
    )


def test_default_balanced_logits_raises_minority_recall_with_the_same_network():
    from sklearn.metrics import recall_score, roc_auc_score

    X, y = _imbalanced()
    params = {"hidden_layer_sizes": (16,), "epochs": 15, "random_state": 0}
    assert TaperedMLPClassifier().class_weight == "balanced_logits"
    plain = TaperedMLPClassifier(**params, class_weight=None).fit(X, y)
    default = TaperedMLPClassifier(**params).fit(X, y)
    weighted = TaperedMLPClassifier(**params, class_weight="balanced").fit(X, y)
    # trained unweighted: the network, and its curves, are class_weight=None's
    pairs = zip(default.model_.get_weights(), plain.model_.get_weights(), strict=True)
    for a, b in pairs:
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(default.history_, plain.history_)
    np.testing.assert_allclose(default.class_prior_, np.bincount(y) / len(y))
    # ... whose odds are divided by the prior's: the same ranking (ROC AUC),
    # the decisions of a balanced world
    p_plain, p_default = plain.predict_proba(X)[:, 1], default.predict_proba(X)[:, 1]
    prior = default.class_prior_
    odds = p_plain / (1 - p_plain) * prior[0] / prior[1]
    np.testing.assert_allclose(p_default, odds / (1 + odds), rtol=1e-5, atol=1e-7)
    assert roc_auc_score(y, p_default) == pytest.approx(roc_auc_score(y, p_plain))
    recall = {m: recall_score(y, m.predict(X)) for m in (plain, default, weighted)}
    assert recall[default] > recall[plain]
    assert recall[weighted] > recall[plain]
    # the price: probabilities lean to the rare class
    assert p_default.mean() > p_plain.mean()
    # predict stays the argmax of predict_proba
    proba = default.predict_proba(X)
    np.testing.assert_array_equal(default.predict(X), proba.argmax(axis=1))


def test_balanced_logits_divides_each_class_by_its_prior(multiclass_data):
    X, y = multiclass_data
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2 made rare
    X, y = X[keep], y[keep]
    params = {"hidden_layer_sizes": (16,), "epochs": 5, "random_state": 0}
    plain = TaperedMLPClassifier(**params, class_weight=None).fit(X, y)
    default = TaperedMLPClassifier(**params).fit(X, y)
    expected = plain.predict_proba(X) / default.class_prior_
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(default.predict_proba(X), expected, rtol=1e-5, atol=1e-7)
    assert default.class_count_.tolist() == np.bincount(y).tolist()


def test_class_prior_weighs_rows_by_sample_weight_and_partial_fit_adds_them():
    X, y = _imbalanced(200)
    weights = np.where(y == 1, 5.0, 1.0)
    params = {"hidden_layer_sizes": (8,), "epochs": 2, "random_state": 0}
    fitted = TaperedMLPClassifier(**params).fit(X, y, sample_weight=weights)
    # as scikit-learn's "balanced" weighs them, in rows
    expected = np.bincount(y, weights) * len(y) / weights.sum()
    np.testing.assert_allclose(fitted.class_count_, expected)
    clf = TaperedMLPClassifier(**params)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1])
    clf.partial_fit(X[50:], y[50:])
    np.testing.assert_array_equal(clf.class_count_, np.bincount(y))
    np.testing.assert_allclose(clf.class_prior_, np.bincount(y) / len(y))
    # a class no row has shown yet shifts as the most frequent one, neither
    # infinitely nor boosted as a class of MIN_SHIFT_ROWS rows
    first = TaperedMLPClassifier(**params).partial_fit(X, y, classes=[0, 1, 2])
    assert first.class_count_.tolist() == [*np.bincount(y), 0]
    shift = first._output_shift()
    counts = np.r_[np.bincount(y), np.bincount(y).max()]
    np.testing.assert_allclose(shift, np.log(counts / counts.sum()))
    assert np.isfinite(first.predict_proba(X)).all()


@pytest.mark.parametrize("class_weight", ["balanced_logits", "balanced"])
def test_a_row_at_weight_zero_counts_for_nothing_in_the_balance(class_weight):
    # 80 % of the negatives masked by weight 0: counted as rows, they made
    # the balance divide out a prior the network never saw, and every
    # decision went to the positives (balanced accuracy 0.5)
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=4, weights=[0.9], random_state=0
    )
    keep = (y[:400] == 1) | (np.random.default_rng(0).random(400) < 0.2)
    params = {"hidden_layer_sizes": (16, 8), "epochs": 20, "random_state": 0}
    masked = TaperedMLPClassifier(class_weight=class_weight, **params)
    masked.fit(X[:400], y[:400], sample_weight=keep.astype(float))
    dropped = TaperedMLPClassifier(class_weight=class_weight, **params)
    dropped.fit(X[:400][keep], y[:400][keep])
    np.testing.assert_allclose(masked.class_count_, dropped.class_count_)
    predicted = masked.predict(X[400:])
    assert predicted.mean() < 0.6
    assert balanced_accuracy_score(y[400:], predicted) > 0.6
    if class_weight == "balanced":  # the loss weights of the rows kept, too
        row_weights = masked._target_weights(y[:400], keep.astype(float))[keep]
        balanced = compute_sample_weight("balanced", y[:400][keep])
        np.testing.assert_allclose(row_weights / balanced, 1.0)


def test_a_class_of_a_row_or_two_does_not_take_the_others_decisions():
    # dividing by the prior of a 1-row class of 120 gave it the decisions of
    # most other rows (87 % here); it counts as MIN_SHIFT_ROWS rows
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    y[:2], y[2] = 2, 3  # rows like the others, of two classes of their own
    clf = TaperedMLPClassifier(random_state=0).fit(X, y)
    common = y < 2
    predicted = clf.predict(X[common])
    assert np.mean(predicted == y[common]) > 0.5
    assert np.mean(predicted >= 2) < 0.5


def test_the_output_starts_at_the_weighted_target_frequencies():
    from skdnn._heads import BinaryHead, MulticlassHead, MultilabelHead, RegressionHead

    weights = np.array([1.0, 1.0, 1.0, 3.0])
    # one row's weight (the mean, 1.5) more on either side: finite for a
    # frequency of 0 or 1
    bias = BinaryHead().initial_bias(np.array([[0.0], [0.0], [0.0], [1.0]]), weights, 1)
    np.testing.assert_allclose(bias, [np.log(4.5 / 4.5)])
    Y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    bias = MultilabelHead().initial_bias(Y, weights, 2)
    np.testing.assert_allclose(bias, np.log([6.5 / 2.5, 1.5 / 7.5]))
    bias = MulticlassHead().initial_bias(np.array([0, 0, 1, 2]), weights, 4)
    expected = np.log([3.5, 2.5, 4.5, 1.5])  # class 3 has no row
    np.testing.assert_allclose(bias, expected - expected.mean())
    assert RegressionHead().initial_bias(np.zeros((4, 1)), weights, 1) is None


@pytest.mark.parametrize("class_weight", [None, "balanced_logits"])
def test_an_untrained_network_predicts_the_class_prior(class_weight):
    # a step too small to move the network away from where it started: its
    # output is the prior (95 % / 5 %), which balanced_logits divides out,
    # not even odds that the shift would tip to the minority everywhere
    X, y = make_classification(
        n_samples=600, n_features=6, weights=[0.95], random_state=0
    )
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), epochs=1, learning_rate=1e-7,
        class_weight=class_weight, random_state=0,
    ).fit(X, y)  # fmt: skip
    proba = clf.predict_proba(X)[:, 1]
    if class_weight is None:
        assert proba.mean() == pytest.approx(y.mean(), abs=0.02)
        assert not clf.predict(X).any()
    else:
        assert proba.mean() == pytest.approx(0.5, abs=0.05)
    # briefly trained on imbalanced rows, the balanced decisions of a
    # network that has learnt little are near even, not all the minority's
    # (one epoch gave it every row)
    short = TaperedMLPClassifier(epochs=1, random_state=0).fit(X, y)
    assert short.predict(X).mean() < 0.75


def test_a_stream_starts_at_its_first_chunks_frequencies():
    from skdnn._heads import BinaryHead, MulticlassHead

    weights = np.ones(4)
    # a class the rows lack counts as one row: a finite bias, the lowest
    bias = MulticlassHead().initial_bias(np.array([0, 0, 1, 1]), weights, 3)
    assert np.isfinite(bias).all() and bias[2] < bias[0] == bias[1]
    (logit,) = BinaryHead().initial_bias(np.zeros((4, 1)), weights, 1)
    assert logit == pytest.approx(np.log(1 / 5))
    # a shuffled stream of short steps: from even odds, the balanced shift
    # handed the majority class's rows to the others (its recall was 0.05)
    X, y = make_classification(
        600, 6, n_informative=4, n_redundant=0, n_classes=3, n_clusters_per_class=1,
        weights=[0.6, 0.3, 0.1], class_sep=2.0, random_state=1,
    )  # fmt: skip
    order = np.random.default_rng(0).permutation(600)
    clf = TaperedMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    for _ in range(3):
        for start in range(0, 600, 40):
            rows = order[start : start + 40]
            clf.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    recalls = recall_score(y, clf.predict(X), average=None)
    assert recalls.min() > 0.4


def test_a_streams_output_follows_the_prior_of_its_chunks_so_far():
    # the first chunk holds 10 % positives, the stream 5 %: the network, in
    # short steps, stayed at 10 % while the shift divided out 5 %, and the
    # positives took every row from the second chunk on
    X, y = make_classification(
        n_samples=1200, n_features=6, weights=[0.95], flip_y=0, random_state=0
    )
    rng = np.random.default_rng(0)
    pos, neg = (
        rng.permutation(np.flatnonzero(y == 1)),
        rng.permutation(np.flatnonzero(y == 0)),
    )
    first = np.r_[pos[:6], neg[:54]]  # 10 % of 60 rows
    rest = rng.permutation(np.r_[pos[6:], neg[54:]])
    order = np.r_[first, rest]
    clf = TaperedMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    for start in range(0, 1200, 60):
        rows = order[start : start + 60]
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
        if start == 600:
            clf.model_  # a built Keras model follows too  # noqa: B018
    assert clf.class_prior_[1] == pytest.approx(y.mean())
    # the network's own prior is now the stream's: the shift gives even odds
    bias = clf.model_.get_layer("output").bias.numpy()
    assert abs(bias[0] - np.log(y.mean() / (1 - y.mean()))) < 0.5
    assert clf.predict(X).mean() < 0.6


@pytest.mark.parametrize("reload", [False, True])
def test_a_stream_whose_first_chunk_lacks_the_rare_class_learns_it(reload, tmp_path):
    # a time-ordered stream of 5 % positives whose first chunk holds none:
    # started at even odds, the shift gave the positives every decision for
    # good (balanced accuracy 0.50 after two passes); the network now starts
    # at the chunk's prior and follows the prior as positives come, also
    # when the stream is continued after skdnn.load
    from skdnn import load, save

    X, y = make_classification(
        n_samples=2400, n_features=6, weights=[0.95], flip_y=0, random_state=0
    )
    train, test = slice(0, 1200), slice(1200, None)
    rng = np.random.default_rng(0)
    negatives = rng.permutation(np.flatnonzero(y[train] == 0))
    rest = np.setdiff1d(np.arange(1200), negatives[:60])
    order = np.r_[negatives[:60], rng.permutation(rest)]
    clf = TaperedMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    for start in range(0, 2400, 60):
        rows = order[start % 1200 : start % 1200 + 60]
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
        if reload and start == 0:
            save(clf, tmp_path / "stream.skdnn")
            clf = load(tmp_path / "stream.skdnn")
    predicted = clf.predict(X[test])
    assert 0.1 < predicted.mean() < 0.6
    assert balanced_accuracy_score(y[test], predicted) > 0.7


def test_partial_fit_refuses_per_chunk_balanced_weights():
    # weights from each chunk's own counts: a chunk of one class was weighed
    # as it is, and the probabilities equalled class_weight=None's
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    clf = TaperedMLPClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="balances nothing in a stream"):
        clf.partial_fit(X, y, classes=[0, 1])
    assert "_network" not in vars(clf)  # nothing trained
    # a fit sees every row at once: "balanced" weighs them as usual
    TaperedMLPClassifier(class_weight="balanced", epochs=1).fit(X, y)


def test_a_one_row_class_takes_no_decisions_of_a_short_fit():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    y = np.array(["bad", "good"], dtype=object)[y]
    y[5] = "rare"
    clf = TaperedMLPClassifier(
        epochs=10, hidden_layer_sizes=(16, 8), random_state=0
    ).fit(X, y)
    predicted = clf.predict(X)
    assert np.mean(predicted == "rare") < 0.05  # it took 96 % of them
    assert np.mean(predicted == y) > 0.8


def test_scorers_see_the_decisions_and_curves_the_trained_network():
    from sklearn.metrics import recall_score

    X, y = _imbalanced(400)
    X_val, y_val = _imbalanced(300, seed=2)
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), epochs=4, early_stopping=False, scoring="recall",
        random_state=0,
    ).fit(X, y, validation_data=(X_val, y_val))  # fmt: skip
    # the last epoch's network is the fitted one: its recall is predict's
    assert clf.history_["val_recall"].iloc[-1] == pytest.approx(
        recall_score(y_val, clf.predict(X_val))
    )
    # while the loss curves are the network's as trained (class_weight=None's)
    plain = clone(clf).set_params(class_weight=None)
    plain.fit(X, y, validation_data=(X_val, y_val))
    # (the same network; its logits come back from the shifted plan, to
    # float64 rounding)
    np.testing.assert_allclose(
        clf.history_["val_loss"], plain.history_["val_loss"], rtol=1e-12
    )
    np.testing.assert_array_equal(clf.history_["loss"], plain.history_["loss"])


def test_multilabel_targets_are_not_shifted(small_data):
    X, y = small_data
    Y = np.column_stack([y, 1 - y]).astype(int)
    params = {"hidden_layer_sizes": (8,), "epochs": 2, "random_state": 0}
    default = TaperedMLPClassifier(**params).fit(X, Y)
    plain = TaperedMLPClassifier(**params, class_weight=None).fit(X, Y)
    assert not hasattr(default, "class_prior_")
    np.testing.assert_array_equal(default.predict_proba(X), plain.predict_proba(X))


def test_multilabel_accuracy_per_epoch_is_the_estimators_score():
    # it was each label's accuracy (1 - Hamming loss: 0.751 against a score
    # of 0.325 in the review's case), under the name of scikit-learn's
    # accuracy, which for multilabel targets counts a row when all its
    # labels are right
    X, Y = make_multilabel_classification(400, 10, n_classes=5, random_state=0)
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), epochs=3, random_state=0, early_stopping=False
    ).fit(X[:300], Y[:300], validation_data=(X[300:], Y[300:]))
    score = clf.score(X[300:], Y[300:])
    assert clf.validation_scores_[-1] == pytest.approx(score)
    assert clf.history_["val_accuracy"].iloc[-1] == pytest.approx(score)
    assert score < 1 - hamming_loss(Y[300:], clf.predict(X[300:])) - 0.1
    # the training rows' accuracy, summed as the epoch trains, is a row's too
    train = clf.history_["accuracy"].iloc[-1]
    subset = accuracy_score(Y[:300], clf.predict(X[:300]))
    labels = 1 - hamming_loss(Y[:300], clf.predict(X[:300]))
    assert abs(train - subset) < abs(train - labels) / 3


# --------------------------------------------------------------------------
# Callbacks, warm start, partial_fit
# --------------------------------------------------------------------------


def test_keras_callbacks_are_copied_and_drive_the_schedule(small_data, fast_params):
    import keras

    X, y = small_data
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: 0.01 / (epoch + 1)
    )

    class StopAtSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            assert {"loss", "val_loss", "learning_rate"} <= set(logs)
            self.model.stop_training = epoch == 1

    stopper = StopAtSecondEpoch()
    clf = TaperedMLPClassifier(**fast_params, callbacks=[schedule, stopper])
    clf.fit(X, y)
    np.testing.assert_allclose(
        clf.history_["learning_rate"].iloc[:2], [0.01, 0.005], rtol=1e-6
    )
    assert clf.n_iter_ == 2
    # the estimator's own callbacks were copied, never bound to a model
    assert getattr(schedule, "_model", None) is None
    assert getattr(stopper, "_model", None) is None
    assert clf.get_params()["callbacks"][0] is schedule


@pytest.mark.parametrize("weight_averaging", [0.0, 0.5])
def test_weights_a_callback_restores_are_those_predicted_and_saved(
    small_data, weight_averaging, tmp_path
):
    # Keras's EarlyStopping(restore_best_weights=True) set its best epoch's
    # weights into model_ at the end; predict_proba kept the last epoch's
    # (and with weight averaging, so did model_), and the saved file
    # predicted the other network
    import keras

    X, y = small_data
    restore = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16, 8),
        epochs=60,
        learning_rate=0.03,
        early_stopping=False,
        weight_averaging=weight_averaging,
        class_weight=None,
        random_state=0,
        callbacks=[restore],
    ).fit(X, y)
    assert clf.n_iter_ < 60  # the callback stopped the run
    best = int(clf.history_["val_loss"].idxmin())
    assert best < clf.n_iter_  # and its best epoch was an earlier one
    encoded = clf.preprocessor_.transform(X)
    proba = clf.predict_proba(X)[:, 1]
    keras_proba = np.asarray(clf.model_(encoded)).ravel()
    np.testing.assert_allclose(proba, keras_proba, atol=1e-5)
    with pytest.warns(UserWarning, match="callbacks"):
        skdnn.save(clf, tmp_path / "m.skdnn")
    loaded = skdnn.load(tmp_path / "m.skdnn").predict_proba(X)[:, 1]
    np.testing.assert_allclose(loaded, proba, atol=1e-6)
    # a model_ changed by hand and assigned back is what predict reads
    clf.model_.set_weights([np.zeros_like(w) for w in clf.model_.get_weights()])
    clf.model_ = clf.model_
    np.testing.assert_allclose(clf.predict_proba(X), 0.5, atol=1e-6)


def test_warm_start_extends_the_history(small_data, fast_params):
    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params, warm_start=True).fit(X, y)
    first = clf.history_.copy()
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model
    assert clf.n_iter_ == 10
    assert list(clf.history_.index) == list(range(1, 11))
    pd.testing.assert_frame_equal(clf.history_.iloc[:5], first)


@pytest.mark.parametrize("seed", [None, "RandomState", 0])
def test_a_continued_fit_holds_out_the_rows_it_held_out_before(seed, monkeypatch):
    # each fit drew its hold-out anew: with random_state=None (or a
    # RandomState) nine in ten of a continued fit's held-out rows had
    # trained the network, and its validation curve read better than it was
    import skdnn._training as training

    held_out = []
    split = training.holdout_rows

    def spy(*args, **kwargs):
        rows = split(*args, **kwargs)
        held_out.append(rows[1])
        return rows

    monkeypatch.setattr(training, "holdout_rows", spy)
    X, y = make_classification(200, 5, random_state=0)
    random_state = np.random.RandomState(0) if seed == "RandomState" else seed
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=2, warm_start=True, random_state=random_state
    )
    clf.fit(X, y).fit(X, y)
    np.testing.assert_array_equal(held_out[1], held_out[0])
    # rows of another number cannot be split as before: said
    with pytest.warns(UserWarning, match="hold-out is drawn anew from 220 rows"):
        clf.fit(np.vstack([X, X[:20]]), np.r_[y, y[:20]])
    # nor another validation_split (a larger one, same seed, held out rows
    # the network had trained on), nor after a fit on every row
    clf.fit(X, y)  # (drawn anew: kept from here)
    with pytest.warns(UserWarning, match="trained on all but a hold-out"):
        clf.set_params(validation_split=0.3).fit(X, y)
    clf.set_params(validation_split=0.1).fit(X, y, X_val=X[:20], y_val=y[:20])
    with pytest.warns(UserWarning, match="trained on every row of its 200 rows"):
        clf.fit(X, y)
    # a refused continued fit keeps the split it continues
    kept = clf._holdout
    with pytest.raises(ValueError):
        clf.fit(X[:150], np.full(150, 7))  # a label outside the classes
    assert clf._holdout == kept
    # a fresh fit draws its own (the same again from an int seed)
    clf.set_params(warm_start=False).fit(X, y)
    assert np.array_equal(held_out[-1], held_out[0]) == (seed == 0)


def test_best_epoch_of_a_continued_fit_is_one_of_its_own():
    # without early stopping, best_epoch_ was read from the whole history:
    # an epoch of an earlier call, whose weights the model no longer has
    X, y = make_classification(600, 10, n_informative=3, flip_y=0.3, random_state=0)
    params = {"hidden_layer_sizes": (64,), "epochs": 10, "learning_rate": 1e-2}
    clf = TaperedMLPClassifier(
        **params, random_state=0, warm_start=True, early_stopping=False
    ).fit(X, y)
    clf.fit(X, y)
    val_loss = clf.history_["val_loss"]
    assert clf.best_epoch_ == int(val_loss.loc[11:].idxmin())
    assert val_loss.loc[:10].min() < val_loss.loc[11:].min()  # as the case needs
    clf.set_params(warm_start=False).fit(X, y)
    clf.partial_fit(X, y)  # one epoch, without a hold-out
    assert clf.best_epoch_ == clf.n_iter_ == 11


def test_partial_fit_takes_a_chunk_of_one_class_and_a_refused_call_counts_nothing():
    # the classes are declared: a chunk of one class trains (as scikit-learn's
    # partial_fit estimators take it); a call refused keeps the estimator as
    # it was (its rows were counted into the class prior before)
    X, y = _imbalanced(200)
    params = {"hidden_layer_sizes": (8,), "random_state": 0}
    clf = TaperedMLPClassifier(**params).partial_fit(X[:100], y[:100], classes=[0, 1])
    ones = y == 1
    clf.partial_fit(X[ones], y[ones])
    expected = np.bincount(y[:100]) + np.array([0, ones.sum()])
    np.testing.assert_array_equal(clf.class_count_, expected)
    counts, proba = clf.class_count_.copy(), clf.predict_proba(X)
    clf.set_params(warm_start=True)
    with pytest.raises(ValueError, match="only 1 class"):  # a fit's rows
        clf.fit(X[ones], y[ones])
    with pytest.raises(ValueError, match="features"):  # a bad validation set
        clf.fit(X, y, validation_data=(X[:5, :2], y[:5]))
    np.testing.assert_array_equal(clf.class_count_, counts)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    # a chunk its scorer cannot score is refused before anything is counted
    X3, y3 = make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    scored = TaperedMLPClassifier(**params, scoring="roc_auc_ovr")
    scored.partial_fit(X3, y3, classes=[0, 1, 2])
    counts = scored.class_count_.copy()
    with pytest.raises(ValueError, match="scoring='roc_auc_ovr' cannot score"):
        scored.partial_fit(X3[y3 == 1], y3[y3 == 1])
    np.testing.assert_array_equal(scored.class_count_, counts)
    # a fit (not partial) still needs two classes
    with pytest.raises(ValueError, match="1 class"):
        TaperedMLPClassifier(**params).fit(X[:30], np.zeros(30, dtype=int))


def test_validation_data_replaces_the_hold_out(small_data):
    # every row of X trains when validation_data is given: the hold-out of
    # validation_split was cut from X and thrown away
    X, y = small_data
    X_val, y_val = X[:40], y[:40]
    params = {"hidden_layer_sizes": (8,), "epochs": 3, "random_state": 0}
    fits = [
        TaperedMLPClassifier(**params, validation_split=split).fit(
            X, y, validation_data=(X_val, y_val)
        )
        for split in (0.0, 0.3)
    ]
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    assert fits[1].n_validation_samples_ == 40


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_declared_class_not_seen_yet_gets_no_boost(n_classes):
    # balanced_logits shifted a class of count 0 as if it had 10 rows: after
    # one chunk of the other classes it took every decision
    X, y = make_classification(600, 8, n_informative=5, n_classes=3, random_state=0)
    seen = y < n_classes - 1  # the last declared class has no rows yet
    clf = TaperedMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    clf.partial_fit(X[seen], y[seen], classes=list(range(n_classes)))
    assert clf.class_count_[-1] == 0
    decided = clf.predict(X[seen]) == n_classes - 1
    # shifted as the most frequent class: no more of its decisions than the
    # network's own, unshifted output gives it
    unshifted = clf.set_params(class_weight=None).predict(X[seen]) == n_classes - 1
    assert decided.mean() <= unshifted.mean()
    if n_classes == 2:  # no shift at all
        np.testing.assert_array_equal(decided, unshifted)


def test_partial_fit_runs_one_epoch_each_call(small_data, fast_params):
    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1])
    clf.partial_fit(X[100:], y[100:])
    assert clf.n_iter_ == 2
    assert list(clf.history_.columns) == ["loss", "accuracy", "learning_rate"]
    with pytest.raises(ValueError, match=r"labels outside the model.s classes: \[7\]"):
        clf.partial_fit(X[:10], np.full(10, 7))


# --------------------------------------------------------------------------
# Reproducibility and global state
# --------------------------------------------------------------------------


def _fingerprint_code(seed):
    return (
        "import hashlib, numpy as np\n"
        "from sklearn.datasets import make_classification\n"
        "from skdnn import TaperedMLPClassifier\n"
        "X, y = make_classification(n_samples=200, n_features=8, n_informative=5,\n"
        "    random_state=0)\n"
        "clf = TaperedMLPClassifier(hidden_layer_sizes=(16, 8), batch_norm=True,\n"
        f"    epochs=5, random_state={seed}).fit(X, y)\n"
        "print(hashlib.sha256(clf.predict_proba(X).tobytes()).hexdigest())\n"
    )


def test_same_random_state_is_bit_identical_across_processes(small_data):
    X, y = small_data
    params = {
        "hidden_layer_sizes": (16, 8),
        "batch_norm": True,
        "epochs": 5,
        "random_state": 3,
    }
    a = TaperedMLPClassifier(**params).fit(X, y).predict_proba(X)
    b = TaperedMLPClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    other = TaperedMLPClassifier(**{**params, "random_state": 4}).fit(X, y)
    assert not np.array_equal(a, other.predict_proba(X))
    assert (
        _python_prints(_fingerprint_code(3)) == hashlib.sha256(a.tobytes()).hexdigest()
    )


def test_fit_leaves_global_random_states_alone(small_data, fast_params):
    import keras
    import tensorflow as tf

    X, y = small_data
    # creating TensorFlow's global generator draws from numpy: do it first
    tf_state = tf.random.get_global_generator().state.numpy().copy()
    np_state = np.random.get_state()  # noqa: NPY002
    py_state = random.getstate()
    keras_seed = keras.src.backend.common.global_state.get_global_attribute(
        "global_seed_generator"
    )
    TaperedMLPClassifier(**fast_params, dropout=0.5).fit(X, y)
    TaperedMLPClassifier(**{**fast_params, "random_state": None}).fit(X, y)
    after_np = np.random.get_state()  # noqa: NPY002
    assert after_np[0] == np_state[0]
    np.testing.assert_array_equal(after_np[1], np_state[1])
    assert after_np[2:] == np_state[2:]
    assert random.getstate() == py_state
    np.testing.assert_array_equal(tf.random.get_global_generator().state, tf_state)
    assert (
        keras.src.backend.common.global_state.get_global_attribute(
            "global_seed_generator"
        )
        is keras_seed
    )


def test_the_first_fit_of_a_process_leaves_numpys_global_state_alone():
    # the first fit imports TensorFlow, which drew from numpy's global
    # generator: a user's np.random.seed(0) read differently after it
    code = (
        "import numpy as np, skdnn\n"
        "from sklearn.datasets import make_classification\n"
        "X, y = make_classification(60, 4, random_state=0)\n"
        "np.random.seed(0)\n"
        "skdnn.TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1).fit(X, y)\n"
        "print(np.random.rand())\n"
    )
    expected = np.random.RandomState(0).rand()
    assert float(_python_prints(code).splitlines()[-1]) == expected


@pytest.mark.parametrize(
    "dumps, loads", [(pickle.dumps, pickle.loads), ("joblib", None)]
)
def test_pickle_and_joblib_round_trip(small_data, fast_params, tmp_path, dumps, loads):
    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params).fit(X, y)
    if dumps == "joblib":
        joblib.dump(clf, tmp_path / "clf.joblib")
        restored = joblib.load(tmp_path / "clf.joblib")
    else:
        restored = loads(dumps(clf))
    np.testing.assert_allclose(
        restored.predict_proba(X), clf.predict_proba(X), atol=1e-6
    )
    pd.testing.assert_frame_equal(restored.history_, clf.history_)
    # the restored network keeps training
    restored.set_params(warm_start=True).fit(X, y)
    assert restored.n_iter_ == 10


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X_bad, params, match",
    [
        (np.full((10, 3), np.inf), {}, "infinite"),
        (np.full((10, 3), 1e300), {"numeric_scaling": None}, "too large"),
        (np.empty((0, 3)), {}, "0 sample"),
    ],
)
def test_bad_X_is_refused_clearly(X_bad, params, match):
    y = np.arange(len(X_bad)) % 2
    with pytest.raises(ValueError, match=match):
        TaperedMLPClassifier(**params).fit(X_bad, y)


@pytest.mark.parametrize(
    "dropout", [[[0.1, 0.1]], [], 1.0, float("nan"), (0.1, 1.0), -0.1]
)
def test_bad_dropout_is_refused_clearly(small_data, dropout):
    X, y = small_data
    est = TaperedMLPClassifier(hidden_layer_sizes=(4, 4), epochs=1, dropout=dropout)
    with pytest.raises(ValueError, match="dropout"):
        est.fit(X, y)


def test_a_scorer_that_cannot_score_the_target_is_refused_before_training(
    small_data,
):
    # recall's pos_label=1 is no class of text labels: it failed after the
    # first epoch, from deep inside scikit-learn
    X, y = small_data
    text = np.where(y == 1, "yes", "no")
    est = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=2, scoring="recall")
    with pytest.raises(ValueError, match=r"scoring='recall' cannot score .*'no'"):
        est.fit(X, text)
    assert not hasattr(est, "history_")  # no epoch ran
    fitted = est.set_params(scoring="recall_macro").fit(X, text)
    assert fitted.history_["recall_macro"].notna().all()


@pytest.mark.parametrize(
    "scoring, advice",
    [("roc_auc", "use 'roc_auc_ovr' or 'roc_auc_ovo'"), ("f1", "e.g. 'f1_macro'")],
)
def test_a_binary_scorer_of_a_multiclass_target_names_its_variants(scoring, advice):
    X, y = load_iris(return_X_y=True)
    est = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1, scoring=scoring)
    with pytest.raises(ValueError, match=re.escape(advice)):
        est.fit(X, y)


def test_callable_and_dict_scorers_record_the_class_the_user_names(small_data):
    # text labels: recall of "yes" per epoch, as scikit-learn's searches
    # take scorers, a callable and a dict of names to names or callables
    from sklearn.metrics import make_scorer, recall_score

    X, y = small_data
    text = np.where(y == 1, "yes", "no")
    recall_no = make_scorer(recall_score, pos_label="no")
    scoring = {"recall_yes": make_scorer(recall_score, pos_label="yes"),
               "bacc": "balanced_accuracy"}  # fmt: skip
    params = {"hidden_layer_sizes": (8,), "epochs": 6, "random_state": 0}
    est = TaperedMLPClassifier(**params, scoring=scoring, monitor="val_recall_yes")
    history = est.fit(X, text).history_
    assert {"recall_yes", "val_recall_yes", "bacc", "val_bacc"} <= set(history)
    assert est.best_epoch_ == int(history["val_recall_yes"].idxmax())
    # the last epoch's training recall of "yes" is the network's: recompute it
    last = TaperedMLPClassifier(**params, early_stopping=False, validation_split=0)
    last.set_params(scoring=scoring).fit(X, text)
    found = recall_score(text, last.predict(X), pos_label="yes")
    assert last.history_["recall_yes"].iloc[-1] == pytest.approx(found)
    single = TaperedMLPClassifier(**params, scoring=recall_no).fit(X, text)
    assert {"score", "val_score"} <= set(single.history_)
    assert single.history_["score"].between(0, 1).all()


@pytest.mark.parametrize(
    "scoring, match",
    [
        ({"val_x": "recall"}, "without the 'val_' prefix"),
        ({"loss": "recall"}, "every fit records already, 'loss'"),
        ("accuracy", r"before any output shift.*\{'accuracy_score': 'accuracy'\}"),
        ({"x": 3}, r"scoring\['x'\] must be a scorer name or a callable"),
        (["recall", len], "list or tuple must hold scorer names"),
        (["recall", "recall"], "names 'recall' twice"),
        ({"x": "no_such_scorer"}, "'no_such_scorer', which is not a scikit-learn"),
    ],
)
def test_malformed_scoring_is_named_before_training(small_data, scoring, match):
    X, y = small_data
    est = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=2, scoring=scoring)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "history_")


def test_a_scorers_warning_is_shown_once_a_fit(recwarn):
    # an undefined metric warned at every epoch, on both sets
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(120, 5, n_classes=3, random_state=0)
    TaperedMLPClassifier(
        hidden_layer_sizes=(4,), epochs=12, early_stopping=False,
        scoring="precision_samples", random_state=0,
    ).fit(X, Y)  # fmt: skip
    messages = [str(w.message) for w in recwarn if "ill-defined" in str(w.message)]
    assert 1 <= len(messages) <= 2  # one a distinct message


def test_fits_scoring_in_two_threads_leave_the_warning_handler_as_it_was():
    # each epoch's scorers ran inside catch_warnings, which swaps the
    # process's warning handler; two threads' catches ended out of order
    # (the first in ending first) left it a dead list that swallowed every
    # later warning of the process
    import threading

    first_in, second_in = threading.Event(), threading.Event()
    calls = {}

    def coordinated(estimator, X, y):
        name = threading.current_thread().name
        calls[name] = calls.get(name, 0) + 1
        if calls[name] == 2 and name == "first":  # the 1st: tried before fitting
            first_in.set()
            second_in.wait(5)
        elif calls[name] == 2 and name == "second":
            first_in.wait(5)
            second_in.set()
            time.sleep(0.3)
        return 0.5

    X, y = make_classification(60, 4, random_state=0)
    before = (warnings.showwarning, warnings._showwarnmsg_impl)

    def fit():
        TaperedMLPClassifier(
            hidden_layer_sizes=(4,), epochs=2, scoring={"s": coordinated},
            validation_split=0.0, early_stopping=False, random_state=0,
        ).fit(X, y)  # fmt: skip

    TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1).fit(X, y)  # Keras
    threads = [threading.Thread(target=fit, name=n) for n in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == {"first": 3, "second": 3}
    assert (warnings.showwarning, warnings._showwarnmsg_impl) == before


def test_a_fit_in_a_thread_leaves_the_warning_filters_as_they_were():
    # the scorers were tried before training under an "ignore" filter; a
    # catch_warnings of another thread begun inside that block and ended
    # after it (joblib's threading backend wraps each job in one) restored
    # the "ignore" for good: every later warning of the process was lost
    import threading

    tried, caught = threading.Event(), threading.Event()

    def scorer(estimator, X, y):
        if not tried.is_set():  # the first call: the try before training
            tried.set()
            caught.wait(5)
        return 0.5

    def other_job():
        tried.wait(5)
        with warnings.catch_warnings():
            caught.set()
            time.sleep(0.3)

    X, y = make_classification(60, 4, random_state=0)
    est = TaperedMLPClassifier(
        hidden_layer_sizes=(4,), epochs=1, scoring={"s": scorer}, random_state=0
    )
    before = list(warnings.filters)
    threads = [
        threading.Thread(target=est.fit, args=(X, y)),
        threading.Thread(target=other_job),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert est.history_["s"].tolist() == [0.5]
    assert warnings.filters == before


def test_batch_norm_on_batches_of_one_row_is_refused(small_data):
    X, y = small_data
    est = TaperedMLPClassifier(batch_norm=True, batch_size=1, epochs=1)
    with pytest.raises(ValueError, match="batch_size >= 2"):
        est.fit(X, y)


def test_a_zero_dimensional_dropout_array_is_one_rate(small_data):
    X, y = small_data
    params = {"hidden_layer_sizes": (4, 4), "epochs": 2, "random_state": 0}
    as_array = TaperedMLPClassifier(**params, dropout=np.array(0.3)).fit(X, y)
    as_float = TaperedMLPClassifier(**params, dropout=0.3).fit(X, y)
    np.testing.assert_array_equal(as_array.predict_proba(X), as_float.predict_proba(X))


def test_numbers_beyond_float32_unscaled_are_refused_in_frames_too(small_data):
    # with numeric_scaling=None a frame's column went to inf silently: a
    # diverged first epoch at fit, a constant prediction at predict
    X, y = small_data
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    frame["b"] = frame["b"].astype("Float64")
    frame.loc[0, "b"] = pd.NA
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=2, numeric_scaling=None, random_state=0
    ).fit(frame, y)  # missing values, and no value beyond float32, pass
    huge = frame.copy()
    huge.loc[3, "b"] = 1e39
    with pytest.raises(ValueError, match="column 'b' contains a value too large"):
        clone(clf).fit(huge, y)
    with pytest.raises(ValueError, match="column 'b' contains a value too large"):
        clf.predict_proba(huge)


def test_missing_and_huge_numbers_are_imputed_and_scaled(small_data):
    X, y = small_data
    X = X * 1e200  # far beyond float32, in float64
    X[::7, 0] = np.nan
    clf = TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=5, random_state=0)
    proba = clf.fit(X, y).predict_proba(X)
    assert np.isfinite(proba).all()
    assert clf.preprocessor_.indicator_features_.tolist() == [0]


def test_bad_y_is_refused_clearly(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match="1 class"):
        TaperedMLPClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        TaperedMLPClassifier().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TaperedMLPClassifier().fit(X, y[:-1])


def test_wrong_feature_count_and_unfitted(small_data, fast_params):
    X, y = small_data
    with pytest.raises(NotFittedError):
        TaperedMLPClassifier().predict(X)
    clf = TaperedMLPClassifier(**fast_params).fit(X, y)
    with pytest.raises(ValueError, match="X has 7 features"):
        clf.predict(X[:, :7])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": [0.2, 0.2]}, "dropout has 2 rates"),
        ({"hidden_layer_sizes": (16, 0)}, "hidden_layer_sizes"),
        ({"taper": 1.5}, "taper"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"optimizer": "adamm"}, "optimizer"),
        ({"activation": "relux"}, "activation='relux'"),
        ({"kernel_initializer": "hee_normal"}, "kernel_initializer"),
        ({"monitor": "val_auc"}, "monitor"),
        ({"scoring": "recal"}, "not a scikit-learn scorer"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"class_weight": "even"}, "class_weight"),
    ],
)
def test_bad_parameters_name_the_parameter(small_data, params, match):
    X, y = small_data
    with pytest.raises(ValueError, match=match):
        TaperedMLPClassifier(
            **{"hidden_layer_sizes": (8, 4, 2), "epochs": 1, **params}
        ).fit(X, y)


def test_inputs_are_never_modified(small_data, fast_params):
    X, y = small_data
    X = X.copy()
    y = y.copy()
    weights = np.linspace(0.5, 2, len(y))
    X0, y0, w0 = X.copy(), y.copy(), weights.copy()
    callbacks = []
    clf = TaperedMLPClassifier(**fast_params, callbacks=callbacks)
    clf.fit(X, y, sample_weight=weights).predict_proba(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(weights, w0)
    assert clf.get_params()["callbacks"] is callbacks and callbacks == []


def _poison_weights_at(epoch_index):
    """A callback that makes the weights NaN before the given epoch."""
    import keras

    class Poison(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == epoch_index:
                weights = self.model.get_weights()
                self.model.set_weights([np.full_like(w, np.nan) for w in weights])

    return Poison()


def test_divergence_warns_and_keeps_the_last_finite_epoch(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), early_stopping=False, epochs=10,
        callbacks=[_poison_weights_at(3)], random_state=0,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert np.isfinite(clf.history_.to_numpy()).all()
    assert np.isfinite(clf.predict_proba(X)).all()
    assert all(np.isfinite(w).all() for w in clf.model_.get_weights())


def test_divergence_in_the_first_epoch_is_an_error(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16,), epochs=5, callbacks=[_poison_weights_at(0)],
        random_state=0,
    )  # fmt: skip
    with pytest.raises(ValueError, match="diverged in its first epoch") as error:
        clf.fit(X, y)
    # the features are scaled already: no advice to scale them (it named
    # StandardScaler), unless the estimator reads them as they come
    assert "scale" not in str(error.value) and "Lower learning_rate" in str(error.value)
    with pytest.raises(ValueError, match=r"numeric_scaling='robust'"):
        clf.set_params(numeric_scaling=None).fit(X, y)


def test_sparse_input_is_densified(small_data, fast_params):
    import scipy.sparse as sp

    X, y = small_data
    dense = TaperedMLPClassifier(**fast_params).fit(X, y).predict_proba(X)
    sparse = TaperedMLPClassifier(**fast_params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense)


# --------------------------------------------------------------------------
# Architecture wiring
# --------------------------------------------------------------------------


def test_batch_norm_sits_before_the_activation(small_data):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(16, 8), batch_norm=True, dropout=[0.5, 0.0], epochs=1,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds == [
        "InputLayer",
        "Dense", "BatchNormalization", "Activation", "Dropout",
        "Dense", "BatchNormalization", "Activation",
        "Dense",
    ]  # fmt: skip
    assert clf.model_.layers[1].use_bias is False


@pytest.mark.parametrize(
    "activation, initializer",
    [("relu", "HeNormal"), ("tanh", "GlorotUniform"), ("selu", "LecunNormal")],
)
def test_initializer_paired_with_activation(small_data, activation, initializer):
    X, y = small_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), activation=activation, epochs=1, random_state=0
    ).fit(X, y)
    assert type(clf.model_.layers[1].kernel_initializer).__name__ == initializer


@pytest.mark.parametrize(
    "activation",
    ["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "leaky_relu",
     "softplus", "softsign", "mish", "relu6", "hard_sigmoid", "linear",
     "log_sigmoid"],
)  # fmt: skip
@pytest.mark.parametrize("batch_norm", [False, True])
def test_fast_predictions_equal_the_keras_model(
    multiclass_data, activation, batch_norm
):
    X, y = multiclass_data
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(32, 16), activation=activation, batch_norm=batch_norm,
        epochs=2, random_state=0,
    ).fit(X, y)  # fmt: skip
    # the network reads the encoded rows; with class_weight="balanced_logits"
    # its probabilities are divided by the class prior
    expected = clf.model_.predict(clf.preprocessor_.transform(X), verbose=0)
    expected = expected / clf.class_prior_
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, atol=2e-5)
    # activations without a numpy twin go through Keras: same answer
    assert (clf._plan is None) == (activation == "log_sigmoid")


def test_keras_fallback_answers_non_finite_rows_uninformatively():
    from skdnn._forward import keras_forward

    def model(x, training):  # a network whose second row overflowed
        out = np.tile([[0.2, 0.3, 0.5]], (len(x), 1))
        out[1] = np.nan
        return out

    X = np.zeros((3, 4))
    softmax = keras_forward(model, X, softmax=True)
    np.testing.assert_allclose(softmax[1], [1 / 3] * 3)
    np.testing.assert_allclose(softmax.sum(axis=1), 1.0)
    np.testing.assert_allclose(keras_forward(model, X)[1], [0.5] * 3)  # sigmoids
    np.testing.assert_allclose(softmax[[0, 2]], [[0.2, 0.3, 0.5]] * 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_on_the_bits_equals_the_float_maximum(dtype):
    from skdnn._forward import _relu_in_place

    info = np.finfo(dtype)
    special = [-0.0, 0.0, np.inf, -np.inf, info.tiny / 4, -info.tiny / 4,
               info.max, -info.max, info.tiny, -info.tiny, 1.0, -1.0]  # fmt: skip
    z = np.concatenate(
        [np.asarray(special, dtype), np.random.default_rng(0).normal(size=500)]
    ).astype(dtype)
    z = z.reshape(-1, 4)
    expected = np.maximum(z, 0.0)
    got = z.copy()
    _relu_in_place(got)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    assert not np.signbit(got).any()  # -0.0 became +0.0
    # a strided view takes numpy's float maximum, in place all the same
    strided = z.copy()
    _relu_in_place(strided[:, ::2])
    np.testing.assert_array_equal(strided[:, ::2], expected[:, ::2])
    np.testing.assert_array_equal(strided[:, 1::2], z[:, 1::2])
    # a NaN with its sign bit clear stays NaN
    nan = np.array([[np.nan, -2.0]], dtype)
    _relu_in_place(nan)
    assert np.isnan(nan[0, 0]) and nan[0, 1] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_narrow_first_layer_adds_its_bias_in_the_product(dtype):
    from skdnn._forward import Plan, _forward_block

    rng = np.random.default_rng(0)

    def plan_of(n_inputs, width):
        return Plan([
            (rng.normal(size=(n_inputs, width)), rng.normal(size=width), "relu"),
            (rng.normal(size=(width, 3)), rng.normal(size=3), "softmax"),
        ])  # fmt: skip

    plan = plan_of(10, 64)
    assert plan.biased_first.shape == (11, 64)
    np.testing.assert_array_equal(plan.biased_first[-1], plan[0][1])
    assert plan.biased_first32.dtype == np.float32
    # no fusing where the inputs are half the units or more, or for an
    # output layer
    assert plan_of(32, 64).biased_first is None
    assert Plan([(np.ones((2, 8)), np.zeros(8), "softmax")]).biased_first is None
    steps = plan.float32 if dtype == np.float32 else plan
    for n_rows in (1, 7, 500):
        X = rng.normal(size=(n_rows, 10)).astype(dtype)
        fused = _forward_block(plan, X, logits=True)
        separate = _forward_block(tuple(steps), X, logits=True)  # bias added after
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(fused, separate, rtol=rtol, atol=rtol)
    # the pickled plan rebuilds it
    again = pickle.loads(pickle.dumps(plan))
    np.testing.assert_array_equal(again.biased_first, plan.biased_first)


def test_predictions_stream_in_blocks(small_data, fast_params, monkeypatch):
    from skdnn import _forward

    X, y = small_data
    clf = TaperedMLPClassifier(**fast_params).fit(X, y)
    whole = clf.predict_proba(X)
    monkeypatch.setattr(_forward, "PREDICT_BLOCK_ROWS", 7)
    np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=1e-12)


# --------------------------------------------------------------------------
# Default quality against scikit-learn's MLPClassifier
# --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["breast_cancer", "digits"])
def test_defaults_recall_at_least_mlpclassifier(dataset):
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
    scores = {}
    for name, clf in {
        "skdnn": TaperedMLPClassifier(random_state=0),
        "mlp": MLPClassifier(random_state=0),
    }.items():
        pipe = Pipeline([("scaler", StandardScaler()), ("clf", clf)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            cv = cross_validate(pipe, X, y, cv=5, scoring="recall_macro")
        scores[name] = cv["test_score"].mean()
    # The defaults were chosen on TensorFlow. Other backends draw different
    # initial weights and dropout masks from the same seed (JAX on digits:
    # 0.9319 vs 0.9377, measured), so there the defaults must stay within a
    # point.
    # On TensorFlow the built-in robust scaling, applied on top of the
    # StandardScaler here, costs breast_cancer 0.0004 (0.9723 vs 0.9727, a
    # fraction of one row per fold; digits: 0.9398 vs 0.9377): a tenth of a
    # point is allowed, no more.
    slack = 0.001 if backend_name() == "tensorflow" else 0.01
    assert scores["skdnn"] >= scores["mlp"] - slack, scores


def test_grid_search_triggers_no_tf_function_retracing(small_data, caplog):
    X, y = small_data
    search = GridSearchCV(
        TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=2, random_state=0),
        {"dropout": [0.0, 0.5], "batch_size": [16, 64]},
        cv=2,
    )
    with caplog.at_level("WARNING"):
        search.fit(X, y)
        search.fit(X[:150], y[:150])  # other data sizes reuse the same traces
    assert len(search.cv_results_["params"]) == 4
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


@pytest.mark.parametrize("weight", [-1, np.inf, np.nan, "2"])
def test_a_bad_class_weight_names_its_class(weight):
    # a negative weight was reported as rows "with a positive sample_weight"
    # though no sample_weight was given
    X, y = _imbalanced(60)
    clf = TaperedMLPClassifier(epochs=1, class_weight={0: weight, 1: 2.0})
    with pytest.raises(ValueError, match="class_weight gives class 0 the weight"):
        clf.fit(X, y)


def test_early_stopping_on_a_score_undefined_at_every_epoch_says_so():
    # a label the hold-out never shows makes its ROC AUC NaN at every
    # epoch: training stopped after `patience` epochs and kept the first's
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(
        n_samples=200, n_features=6, n_classes=3, random_state=0
    )
    Y = np.c_[Y, np.zeros(len(Y), int)]  # a label that is always 0
    clf = TaperedMLPClassifier(
        hidden_layer_sizes=(8,), epochs=6, patience=2, random_state=0,
        scoring="roc_auc", monitor="val_roc_auc",
    )  # fmt: skip
    with pytest.warns(UserWarning, match="'val_roc_auc' was undefined"):
        clf.fit(X, Y)
    assert clf.n_iter_ == 6
    # an epoch it cannot judge neither improves nor waits
    from skdnn._epochs import BestEpoch

    tracker = BestEpoch("val_f1", True, keep=False)
    for epoch, value in enumerate([np.nan, 0.5, np.nan, 0.4, 0.6], start=1):
        tracker.update(epoch, {"val_f1": value}, None)
    assert (tracker.epoch, tracker.waited, tracker.undefined) == (5, 0, 2)


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
@pytest.mark.parametrize("failure", ["scorer", "validation", "divergence"])
def test_a_refused_refit_leaves_the_earlier_fit_whole(estimator, failure):
    # a fresh fit learnt classes_, the encoding and the target's scale
    # before its last checks: a refused refit left them beside the earlier
    # network, which predicted one probability column for three classes
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] > 0).astype(int)
    if estimator == "regressor":
        model, y = TaperedMLPRegressor, 100.0 * X[:, 0] + 5.0
    else:
        model = TaperedMLPClassifier
    fitted = model(hidden_layer_sizes=(8,), epochs=5, random_state=0).fit(X, y)
    before = dict(vars(fitted))
    outputs = fitted.predict(X)
    if failure == "scorer":  # each scorer is tried on the targets
        new_y = np.arange(120) % 3 if estimator == "classifier" else y * 100
        scoring = "roc_auc" if estimator == "classifier" else "neg_log_loss"
        fitted.set_params(scoring=scoring)
        args, kwargs = (X * 3, new_y), {}
    elif failure == "validation":
        new_y = np.arange(120) % 3 if estimator == "classifier" else y * 100
        args, kwargs = (X * 3, new_y), {"X_val": X[:20, :2], "y_val": new_y[:20]}
    else:
        fitted.set_params(learning_rate=1e30)
        args, kwargs = (X * 3, y), {}
    with pytest.raises(ValueError):
        fitted.fit(*args, **kwargs)
    assert vars(fitted).keys() - {"scoring", "learning_rate"} == before.keys() - {
        "scoring",
        "learning_rate",
    }
    for name, value in before.items():
        if name not in ("scoring", "learning_rate"):
            assert vars(fitted)[name] is value, name
    np.testing.assert_array_equal(fitted.predict(X), outputs)


def test_a_failed_first_fit_leaves_no_fit_and_ctrl_c_restores_too():
    # what a failed fit added does not survive it, and a Ctrl-C before
    # the epochs (a KeyboardInterrupt, no Exception) restores as a failure
    from sklearn.utils.validation import check_is_fitted

    def interrupt(estimator, X, y):
        raise KeyboardInterrupt

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    clf = TaperedMLPClassifier(hidden_layer_sizes=(8,), epochs=2, scoring="roc_auc")
    with pytest.raises(ValueError):
        clf.fit(X, np.arange(60) % 3)  # roc_auc cannot score 3 classes
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert set(vars(clf)) == set(clf.get_params())
    clf.set_params(scoring=None).fit(X, y)
    before = dict(vars(clf))
    with pytest.raises(KeyboardInterrupt):
        clf.set_params(scoring=interrupt).fit(X, np.arange(60) % 3)
    assert clf.classes_.tolist() == [0, 1]
    assert all(vars(clf)[k] is v for k, v in before.items() if k != "scoring")


def test_partial_fit_refuses_other_classes_after_the_first_call():
    # a class declared later was dropped silently (MLPClassifier refuses it)
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 3
    clf = TaperedMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y, classes=[2, 1, 0, 0])  # the same classes: fine
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] is not the same"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 5\] is not the same"):
        clf.partial_fit(X, y, classes=[0, 1, 5])
    assert clf.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match=r"not listed in classes: \[2\]"):
        TaperedMLPClassifier().partial_fit(X, y, classes=[0, 1])


def test_balanced_weights_asked_of_a_multilabel_target_are_said_to_do_nothing():
    X, Y = make_multilabel_classification(100, 5, n_classes=3, random_state=0)
    with pytest.warns(UserWarning, match="'balanced' does not weigh multilabel"):
        TaperedMLPClassifier(class_weight="balanced", epochs=1).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default says nothing
        TaperedMLPClassifier(epochs=1).fit(X, Y)


def _concentration_warnings(n=400, weights=None, **params):
    X, y = make_classification(n, 6, weights=weights, random_state=0)
    fit = params.pop("fit", {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TaperedMLPClassifier(epochs=3, random_state=0, **params).fit(X, y, **fit)
    return [str(w.message) for w in caught if "held-out rows" in str(w.message)]


def test_a_hold_out_whose_weights_rest_on_a_few_rows_is_warned_about():
    # AdaBoost piles its weights on a few rows: the weighted hold-out of
    # its second round read as 2.5 rows, early stopping kept epoch 1 (the
    # member guessed 0.5) and AdaBoost stopped after 2 of 5 members, silently
    heavy = 4.0 ** (np.arange(400) % 40)  # any 40 rows: one or two count
    (message,) = _concentration_warnings(fit={"sample_weight": heavy})
    assert "of the 40 held-out rows" in message
    effective = float(re.search(r"about ([\d.]+) of the", message).group(1))
    assert 1 <= effective < 3
    assert "early_stopping=False" in message and "larger validation_split" in message
    # early stopping that does not follow the hold-out: nothing to warn of
    for params in ({"early_stopping": False}, {"monitor": "loss"}):
        assert not _concentration_warnings(fit={"sample_weight": heavy}, **params)
    # even weights, or none: no warning, also where the hold-out itself is
    # a handful of rows
    share = np.r_[np.ones(360), np.full(40, 9.0)]
    assert not _concentration_warnings(fit={"sample_weight": share})
    assert not _concentration_warnings(n=40)
    assert not _concentration_warnings()
    # a lone row of a rare class weighted up: alike as class_weight and as
    # sample_weight (one row carried 45 % of the validation loss)
    _, y = make_classification(400, 6, weights=[0.98], random_state=0)
    as_class = _concentration_warnings(weights=[0.98], class_weight="balanced")
    balanced = compute_sample_weight("balanced", y)
    as_sample = _concentration_warnings(
        weights=[0.98], class_weight=None, fit={"sample_weight": balanced}
    )
    assert len(as_class) == len(as_sample) == 1
    assert as_class == as_sample
    assert not _concentration_warnings(weights=[0.5], class_weight="balanced")


def test_a_fit_that_exploded_and_fell_back_warns_as_diagnose_reads_it():
    # learning_rate=10: the loss exploded to 1e7 at epoch 1 and fell back;
    # early stopping kept an epoch near the guess, and a fold of
    # cross_validate scored below the majority class, without a word
    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold

    X, y = load_breast_cancer(return_X_y=True)
    rows = list(StratifiedKFold(3).split(X, y))[1][0]  # that fold's training rows
    clf = TaperedMLPClassifier(epochs=30, learning_rate=10.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="exploded to .* at epoch 1") as caught:
        clf.fit(X[rows], y[rows])
    kept = clf.history_["loss"].loc[clf.best_epoch_]
    assert kept < 100 * 0.7  # the kept epoch alone reads no explosion
    assert "diagnose reads the run as diverged" in str(caught[0].message)
    assert skdnn.diagnose(clf).verdict == "diverged"


def test_a_run_diagnose_reads_as_diverged_warns_at_fit():
    # a classifier's loss saturates near ten times the prior's, below the
    # explosion bar: at learning_rate 0.3 digits scored 0.10 (a guess), and
    # only diagnose said "diverged"
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning

    X, y = load_digits(return_X_y=True)
    clf = TaperedMLPClassifier(learning_rate=0.3, epochs=40, random_state=0)
    with pytest.warns(ConvergenceWarning, match="read as diverged: the training"):
        clf.fit(X[:1300], y[:1300])
    assert skdnn.diagnose(clf).verdict == "diverged"
    assert clf.score(X[1300:], y[1300:]) < 0.3
