"""TaperedMLPClassifier: a Keras 3 dense network behind the scikit-learn API."""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from skdnn._architecture import tapered_widths
from skdnn._forward import (
    ACTIVATIONS,
    extract_plan,
    forward,
    forward_blocks,
    gather,
    keras_forward,
    row_blocks,
)
from skdnn._training import release_kernel_cache

_OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "adamax": "Adamax",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "lion": "Lion",
}
# Keras clips probabilities to [eps, 1 - eps] in its cross-entropies; the
# validation loss computed here uses the same bound so the curves compare.
_EPSILON = 1e-7


class TaperedMLPClassifier(ClassifierMixin, BaseEstimator):
    """Dense neural network classifier with tapered hidden layers, in Keras 3.

    A multi-layer perceptron designed the way a practitioner tunes one by its
    learning curves: a first hidden layer sized from the input, each next
    layer narrower by a constant factor, dropout after every hidden layer,
    optional batch normalisation before the activation, an initialiser
    paired with the activation, and Adam. Each fit records its learning
    curves in :attr:`history_`, on a stratified, shuffled, seeded validation
    hold-out, and by default stops early when the validation loss stops
    improving, restoring the best weights.

    Binary, multiclass and multilabel (indicator matrix) targets are
    supported, with labels of any type.

    Parameters
    ----------
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Widths of the hidden layers, first to last. ``"auto"`` derives them
        from the number of features with :func:`~skdnn.tapered_widths` and
        the four parameters below.
    first_units : int or "auto", default="auto"
        Width of the first hidden layer when ``hidden_layer_sizes="auto"``.
        ``"auto"``: the next power of two at or above twice the number of
        features, clipped to [64, 512].
    taper : float in (0, 1], default=0.5
        Width ratio between consecutive hidden layers (``"auto"`` only).
    n_layers : int, default=3
        Maximum number of hidden layers (``"auto"`` only).
    min_units : int, default=16
        Floor width of the layers after the first (``"auto"`` only).
    activation : str, default="relu"
        Keras activation name of the hidden layers.
    kernel_initializer : str, default="auto"
        Keras initializer name of the hidden layers. ``"auto"`` pairs it with
        the activation: He normal for the ReLU family, LeCun normal for SELU,
        Glorot uniform otherwise (tanh, sigmoid, ...).
    batch_norm : bool, default=False
        Insert batch normalisation between each hidden dense layer and its
        activation.
    dropout : float or sequence of float, default=0.1
        Dropout rate after every hidden layer, or one rate per layer; each in
        [0, 1).
    optimizer : {"adam", "adamw", "nadam", "adamax", "rmsprop", "sgd", \
            "adagrad", "lion"}, default="adam"
        Keras optimizer.
    learning_rate : float, default=1e-3
        Initial learning rate of the optimizer.
    l2 : float, default=0.0
        L2 penalty on every kernel (``l2 * sum(w ** 2)`` added to the loss).
    batch_size : int, default=32
        Rows per optimiser step.
    epochs : int, default=200
        Maximum number of passes over the training rows.
    validation_split : float in [0, 1), default=0.1
        Fraction of the rows held out to draw the validation curves and to
        stop early. The hold-out is stratified by class (when every class
        has two rows or more), shuffled and seeded by ``random_state``.
        ``0`` trains on every row and records training curves only.
    early_stopping : bool, default=True
        Stop when ``monitor`` has not improved for ``patience`` epochs and
        restore the weights of its best epoch.
    patience : int, default=20
        Epochs without improvement before stopping.
    monitor : str, default="val_loss"
        Quantity watched by early stopping and :attr:`best_epoch_`:
        ``"val_loss"`` (minimised), ``"val_accuracy"`` or ``"val_<scorer>"``
        for any scorer in ``scoring`` (maximised). Without a validation set
        the training counterpart (``"loss"``, ...) is watched.
    scoring : str, list of str or None, default=None
        Extra per-epoch metrics, as scikit-learn scorer names (e.g.
        ``"recall"``, ``["recall", "precision"]``), evaluated after each
        epoch on the training and validation rows and recorded in
        :attr:`history_` as ``"<name>"`` and ``"val_<name>"``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the training loss, as in scikit-learn.
        Not supported for multilabel targets.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks (learning-rate schedules, checkpoints, ...).
        They are deep-copied at each fit, so the estimator stays clone-safe.
        Epoch-level hooks are called with this estimator's logs; batch-level
        hooks are not called (the epoch runs as one compiled loop).
    warm_start : bool, default=False
        Continue training the fitted network on the next call to ``fit``
        instead of starting anew; :attr:`history_` is extended.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, dropout masks, shuffling and validation split.
        With an int, fits are bit-for-bit reproducible. Global random
        states (numpy, ``random``, Keras, TensorFlow) are never touched.
    verbose : int, default=0
        Print one line per epoch when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    hidden_layer_sizes_ : tuple of int
        The resolved hidden layer widths.
    model_ : keras.Model
        The trained network. Its output is the probability of the positive
        class (binary), of each class (multiclass) or of each label.
    history_ : pandas.DataFrame
        One row per epoch, index ``epoch`` starting at 1; columns ``loss``,
        ``accuracy``, ``val_loss``, ``val_accuracy`` (with a validation set),
        the ``scoring`` metrics and their ``val_`` counterparts, and
        ``learning_rate``.
    n_iter_ : int
        Number of epochs run (in total, with ``warm_start``).
    best_epoch_ : int
        Epoch with the best ``monitor`` value. With ``early_stopping`` the
        weights are those of this epoch.
    loss_curve_ : list of float
        Training loss per epoch, as in :class:`~sklearn.neural_network.MLPClassifier`.
    validation_scores_ : list of float or None
        Validation accuracy per epoch, None without a validation set.
    n_validation_samples_ : int
        Rows behind the validation curves (the hold-out or
        ``validation_data``); 0 without a validation set.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's own multi-layer
        perceptron, without learning curves on a hold-out or GPU support.
    skdnn.diagnose : Read a verdict from the learning curves.
    skdnn.HistoryDisplay : Plot the learning curves.

    Notes
    -----
    Training runs on the Keras backend in use (TensorFlow by default, or
    JAX). Prediction runs the fitted network in numpy from weights read once
    after training, which equals the Keras model's output to float32
    precision, and is thread-safe.

    ``fit`` uses a float32 or float64 ``X`` as given (other dtypes are
    converted to float32 once) and casts each chunk of rows to float32 as it
    trains, so it holds no copy of ``X``; values beyond float32's range are
    refused. With ``scoring``, the rows the scorers read are gathered once
    per fit as float32.

    Training loss is computed in training mode (dropout on) and averaged
    over the epoch's batches, as Keras reports it; ``val_loss`` is computed
    in inference mode after the epoch. Both include the ``l2`` penalty and
    both are weighted by ``class_weight`` and ``sample_weight`` (the
    held-out rows keep their weights), so they measure the same objective.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdnn import TaperedMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(), TaperedMLPClassifier(epochs=20, random_state=0)
    ... ).fit(X, y)
    >>> clf[-1].hidden_layer_sizes_
    (64, 32, 16)
    >>> list(clf[-1].history_.columns)
    ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate']
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            StrOptions({"auto"}),
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "first_units": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "taper": [Interval(Real, 0, 1, closed="right")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "min_units": [Interval(Integral, 1, None, closed="left")],
        "activation": [str],
        "kernel_initializer": [str],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "monitor": [str],
        "scoring": [None, str, list, tuple],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "callbacks": [None, list, tuple],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }  # fmt: skip

    def __init__(
        self,
        *,
        hidden_layer_sizes="auto",
        first_units="auto",
        taper=0.5,
        n_layers=3,
        min_units=16,
        activation="relu",
        kernel_initializer="auto",
        batch_norm=False,
        dropout=0.1,
        optimizer="adam",
        learning_rate=1e-3,
        l2=0.0,
        batch_size=32,
        epochs=200,
        validation_split=0.1,
        early_stopping=True,
        patience=20,
        monitor="val_loss",
        scoring=None,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.first_units = first_units
        self.taper = taper
        self.n_layers = n_layers
        self.min_units = min_units
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.l2 = l2
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.monitor = monitor
        self.scoring = scoring
        self.class_weight = class_weight
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train the network and record its learning curves.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the training loss.
        validation_data : tuple (X_val, y_val), default=None
            Validation set replacing the ``validation_split`` hold-out. Its
            labels are encoded like ``y``.

        Returns
        -------
        self : TaperedMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, without a validation hold-out.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel.
        classes : array-like of shape (n_classes,), default=None
            Every class the model will see; required on the first call
            (except for multilabel targets), ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the training loss.

        Returns
        -------
        self : TaperedMLPClassifier
            The updated estimator.
        """
        first_call = not hasattr(self, "model_")
        if (
            first_call
            and classes is None
            and type_of_target(y) != "multilabel-indicator"
        ):
            raise ValueError(
                "classes must be passed on the first call to partial_fit, e.g. "
                "partial_fit(X, y, classes=np.unique(y_all))."
            )
        return self._fit(
            X,
            y,
            sample_weight,
            None,
            partial=True,
            classes=None if not first_call else classes,
        )

    def predict_proba(self, X):
        """Probability of each class for each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of :attr:`classes_`; for
            multilabel targets, the probability of each label.
        """
        return self._proba(self._validate_for_predict(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithm of the class probabilities.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class (or label indicator row) of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.
        """
        return self._labels(self.predict_proba(X))

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, validation_data, *, partial, classes=None):
        continuing = hasattr(self, "model_") and (partial or self.warm_start)
        self._check_params()
        # The caller's float32 or float64 X is used as it is (training casts
        # each chunk of rows to float32): fitting holds no copy of X.
        X, y = self._validate_X(X, reset=not continuing, dtype=_FIT_DTYPES, y=y)
        _check_float32_range(X, "X")
        y = self._check_y(y)
        if continuing:
            Y = self._encode_y(y, "y")
        else:
            Y = self._learn_classes(y, classes)
        weights = self._training_weights(X, y, sample_weight)
        rng = np.random.default_rng(self._seed_sequence())
        if partial:
            train_rows, val = _row_indices(X.shape[0]), None
        else:
            train_rows, val = self._validation_rows(X, Y, weights, validation_data, rng)
        if not (partial and continuing):
            # rows behind the validation curve, which diagnose weighs
            self.n_validation_samples_ = 0 if val is None else len(val[2])
        self._check_weighted_classes(Y, weights, train_rows)
        weights = weights / weights[train_rows].mean()

        if not continuing:
            self._build(X.shape[1], rng)
            self._history_rows = []
        try:
            self._train(
                X, Y, weights, train_rows, val, rng, 1 if partial else self.epochs
            )
        finally:
            release_kernel_cache()
        return self

    def _train(self, X, Y, weights, train_rows, val, rng, epochs):
        from skdnn._training import EpochRunner

        if getattr(self, "_runner", None) is None:
            self._runner = EpochRunner(self.model_, self._target_kind, self.batch_size)
        model = self.model_
        monitor, maximise = self._resolve_monitor(has_validation=val is not None)
        scorers = self._scorers()
        # the rows as scorers take them, gathered as float32 once per fit
        train_set = val_set = None
        if scorers:
            train_set = (gather(X, train_rows), self._decode(Y[train_rows]))
            if val is not None:
                val_set = (gather(val[0], val[1]), val[3])
        callbacks = self._callback_list(epochs)
        first_epoch = len(self._history_rows) + 1
        best_value, best_epoch, best_weights, waited = None, None, None, 0
        last_good_plan = self._plan
        last_good_weights = model.get_weights()
        model.stop_training = False
        callbacks.on_train_begin()
        try:
            for epoch in range(first_epoch, first_epoch + epochs):
                callbacks.on_epoch_begin(epoch - 1)
                order = rng.permutation(train_rows)
                loss, accuracy = self._runner.run(X, Y, weights, order)
                # the epoch's last step can overflow the weights after its
                # loss was measured: such an epoch has diverged too
                epoch_weights = model.get_weights()
                if not math.isfinite(loss):
                    diverged = f"loss={loss}"
                elif not all(np.isfinite(w).all() for w in epoch_weights):
                    diverged = "the weights overflowed"
                else:
                    diverged = None
                if diverged:
                    model.set_weights(last_good_weights)
                    self._plan = last_good_plan
                    if not self._history_rows:
                        raise ValueError(
                            f"Training diverged in its first epoch ({diverged}). "
                            "Scale the features (e.g. StandardScaler) or lower "
                            f"learning_rate (now {self.learning_rate})."
                        )
                    warnings.warn(
                        f"Training diverged at epoch {epoch} ({diverged}); the "
                        f"weights of epoch {epoch - 1} are kept. Lower "
                        "learning_rate or scale the features (StandardScaler).",
                        ConvergenceWarning,
                        stacklevel=3,
                    )
                    break
                self._plan = extract_plan(model)
                row = {"loss": loss, "accuracy": accuracy}
                self._record_scores(row, scorers, train_set, val, val_set)
                row["learning_rate"] = _learning_rate(model)
                self._history_rows.append(row)
                last_good_plan, last_good_weights = self._plan, epoch_weights
                if self.verbose:
                    print(_epoch_line(epoch, first_epoch + epochs - 1, row), flush=True)

                value = row.get(monitor, np.nan)
                improved = best_value is None or (
                    value > best_value if maximise else value < best_value
                )
                if improved:
                    best_value, best_epoch, waited = value, epoch, 0
                    if self.early_stopping:
                        best_weights = (last_good_weights, self._plan)
                else:
                    waited += 1
                callbacks.on_epoch_end(epoch - 1, logs=dict(row))
                if model.stop_training:
                    break
                if self.early_stopping and waited >= self.patience:
                    break
        except KeyboardInterrupt:
            model.set_weights(last_good_weights)
            self._plan = last_good_plan
            if len(self._history_rows) == 0:
                raise
            warnings.warn(
                f"Training interrupted; kept the {len(self._history_rows)} "
                "epochs completed.",
                UserWarning,
                stacklevel=3,
            )
        callbacks.on_train_end()
        restored_epoch = None
        if best_weights is not None:
            restored_epoch = best_epoch
            if best_epoch != len(self._history_rows):
                model.set_weights(best_weights[0])
                self._plan = best_weights[1]
        self._finish_history(restored_epoch)

    def _finish_history(self, best_epoch):
        """Set ``history_`` and the attributes read from it.

        ``best_epoch`` is the epoch whose weights early stopping restored;
        without it, the best epoch is read from the whole history.
        """
        import pandas as pd

        history = pd.DataFrame(self._history_rows)
        history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
        self.history_ = history
        self.n_iter_ = len(history)
        if best_epoch is None:
            monitor, maximise = self._resolve_monitor("val_loss" in history)
            values = history[monitor].to_numpy() if monitor in history else None
            if values is None or np.all(np.isnan(values)):
                best_epoch = len(history)
            else:
                best = np.nanargmax(values) if maximise else np.nanargmin(values)
                best_epoch = int(best) + 1
        self.best_epoch_ = int(best_epoch) if len(history) else 0
        self.loss_curve_ = history["loss"].tolist() if len(history) else []
        self.validation_scores_ = (
            history["val_accuracy"].tolist() if "val_accuracy" in history else None
        )

    def _record_scores(self, row, scorers, train_set, val, val_set):
        """Add the validation loss and accuracy and the scorers to ``row``."""
        if val is not None:
            X_val, val_rows, Y_val, _, w_val = val
            loss, accuracy = self._validation_metrics(X_val, val_rows, Y_val, w_val)
            row["val_loss"], row["val_accuracy"] = loss, accuracy
        if scorers:
            snapshot = _EpochSnapshot(self)
            for name, scorer in scorers.items():
                row[name] = scorer(snapshot, *train_set)
                if val_set is not None:
                    row[f"val_{name}"] = scorer(snapshot, *val_set)

    def _validation_metrics(self, X, rows, Y, weights):
        """Weighted loss (with the l2 penalty) and accuracy on ``X[rows]``.

        Computed block by block, so the validation set's outputs are never
        held whole. The loss comes from the logits when they are known, as
        TensorFlow computes the training loss (no clipping, so the two
        curves stay comparable even for saturated outputs); from clipped
        probabilities otherwise.
        """
        if self._plan is not None:
            activation = ACTIVATIONS[self._plan[-1][2]]
            blocks = forward_blocks(self._plan, X, logits=True, rows=rows)
        else:
            activation = None
            softmax = self._target_kind == "multiclass"
            blocks = (
                (block, keras_forward(self.model_, X_block, softmax=softmax))
                for block, X_block in row_blocks(X, rows)
            )
        loss_sum = correct = 0.0
        for block, output in blocks:
            Y_block = Y[block]
            if activation is not None:
                logits, proba = output, activation(output.copy())
            else:
                logits, proba = None, output
            loss_sum += np.dot(
                self._per_row_loss(Y_block, proba, logits), weights[block]
            )
            correct += self._n_correct(Y_block, proba)
        total = np.sum(weights)
        loss = loss_sum / total if total > 0 else np.nan
        if self.l2 > 0:
            loss += self.l2 * sum(float(np.sum(np.square(w))) for w in self._kernels())
        return float(loss), float(correct / Y.shape[0])

    def _per_row_loss(self, Y, proba, logits):
        """Cross-entropy of each row, from the logits when they are given."""
        if logits is not None and self._target_kind == "multiclass":
            rows = np.arange(Y.shape[0])
            return logsumexp(logits, axis=1) - logits[rows, Y]
        if logits is not None:
            return np.mean(np.logaddexp(0.0, logits) - Y * logits, axis=1)
        if self._target_kind == "multiclass":
            rows = np.arange(Y.shape[0])
            return -np.log(np.clip(proba[rows, Y], _EPSILON, 1))
        proba = np.clip(proba, _EPSILON, 1 - _EPSILON)
        return -np.mean(Y * np.log(proba) + (1 - Y) * np.log(1 - proba), axis=1)

    def _kernels(self):
        return [
            layer.get_weights()[0]
            for layer in self.model_.layers
            if type(layer).__name__ == "Dense"
        ]

    def _n_correct(self, Y, proba):
        """Correct rows (multiclass) or the sum over rows of the share of
        correct outputs (binary, multilabel)."""
        if self._target_kind == "multiclass":
            return float(np.sum(np.argmax(proba, axis=1) == Y))
        return float(np.sum(np.mean((proba > 0.5) == (Y > 0.5), axis=1)))

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------

    def _build(self, n_features, rng):
        from skdnn._architecture import build_model
        from skdnn._keras import import_keras

        keras = import_keras()

        widths = self._hidden_widths(n_features)
        rates = self._dropout_rates(len(widths))
        n_outputs = 1 if self._target_kind == "binary" else len(self.classes_)
        output_activation = (
            "softmax" if self._target_kind == "multiclass" else "sigmoid"
        )
        model = build_model(
            n_features=n_features,
            n_outputs=n_outputs,
            output_activation=output_activation,
            hidden_layer_sizes=widths,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            batch_norm=self.batch_norm,
            dropout=rates,
            l2=self.l2,
            seeds=[
                int(s) for s in rng.integers(0, 2**31 - 1, size=2 * len(widths) + 1)
            ],
        )
        optimizer = getattr(keras.optimizers, _OPTIMIZERS[self.optimizer])(
            learning_rate=self.learning_rate
        )
        loss = (
            "sparse_categorical_crossentropy"
            if self._target_kind == "multiclass"
            else "binary_crossentropy"
        )
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        self.hidden_layer_sizes_ = widths
        self.model_ = model
        self._runner = None
        self._plan = extract_plan(model)

    def _hidden_widths(self, n_features):
        if isinstance(self.hidden_layer_sizes, str):
            return tapered_widths(
                n_features,
                first_units=self.first_units,
                taper=self.taper,
                n_layers=self.n_layers,
                min_units=self.min_units,
            )
        return _as_widths(self.hidden_layer_sizes)

    def _dropout_rates(self, n_hidden):
        if isinstance(self.dropout, numbers.Real):
            return (float(self.dropout),) * n_hidden
        rates = tuple(float(r) for r in self.dropout)
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout has {len(rates)} rates but the network has {n_hidden} "
                "hidden layers; pass one float or one rate per hidden layer."
            )
        return rates

    # ------------------------------------------------------------------
    # Validation of parameters and data
    # ------------------------------------------------------------------

    def _check_params(self):
        if not isinstance(self.hidden_layer_sizes, str):
            _as_widths(self.hidden_layer_sizes)
        if not isinstance(self.dropout, numbers.Real):
            rates = np.asarray(self.dropout, dtype=float).ravel()
            if (
                rates.size == 0
                or np.any((rates < 0) | (rates >= 1))
                or not np.all(np.isfinite(rates))
            ):
                raise ValueError(
                    f"dropout must be a float in [0, 1) or a sequence of such "
                    f"rates; got {self.dropout!r}."
                )
        if self.activation not in ACTIVATIONS or self.activation == "softmax":
            _check_keras_name("activation", self.activation)
        if self.kernel_initializer != "auto":
            _check_keras_name("kernel_initializer", self.kernel_initializer)
        if self.class_weight is not None and not (
            self.class_weight == "balanced" or isinstance(self.class_weight, dict)
        ):
            raise ValueError("class_weight must be None, 'balanced' or a dict.")
        self._scorers()  # names are valid scorers
        self._resolve_monitor(has_validation=True)
        if self.callbacks is not None:
            for callback in self.callbacks:
                if not hasattr(callback, "on_epoch_end"):
                    raise TypeError(
                        "callbacks must be Keras callbacks; got "
                        f"{type(callback).__name__}."
                    )

    def _scorers(self):
        if self.scoring is None:
            return {}
        names = [self.scoring] if isinstance(self.scoring, str) else list(self.scoring)
        scorers = {}
        for name in names:
            if not isinstance(name, str):
                raise ValueError(f"scoring must hold scorer names; got {name!r}.")
            if name in ("loss", "accuracy", "learning_rate"):
                raise ValueError(
                    f"scoring={name!r} is recorded on every fit already; "
                    "pass other scorer names."
                )
            try:
                scorers[name] = check_scoring(self, scoring=name)
            except ValueError as exc:
                raise ValueError(
                    f"scoring contains {name!r}, which is not a scikit-learn "
                    "scorer name (see sklearn.metrics.get_scorer_names())."
                ) from exc
        return scorers

    def _resolve_monitor(self, has_validation):
        scoring = (
            []
            if self.scoring is None
            else [self.scoring]
            if isinstance(self.scoring, str)
            else list(self.scoring)
        )
        valid = ["loss", "accuracy", *scoring]
        name = self.monitor.removeprefix("val_")
        if name not in valid:
            options = ", ".join(f"'val_{v}'" for v in valid)
            raise ValueError(
                f"monitor must be one of {options} (or without 'val_'); got "
                f"{self.monitor!r}. Scores come from the scoring parameter."
            )
        prefix = "val_" if has_validation and self.monitor.startswith("val_") else ""
        return prefix + name, name != "loss"

    def _validate_X(self, X, *, reset, dtype, y="no_validation"):
        """Validated dense X (and y when given), through scikit-learn."""
        with_y = not (isinstance(y, str) and y == "no_validation")
        extra = {"multi_output": True} if with_y else {}
        out = validate_data(
            self, X, y, reset=reset, accept_sparse=True, dtype=dtype, **extra
        )
        X, y = out if with_y else (out, None)
        if sp.issparse(X):
            X = X.astype(dtype[0] if isinstance(dtype, list) else dtype).toarray()
        return (X, y) if with_y else X

    def _check_y(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; "
                "it is raveled.",
                DataConversionWarning,
                stacklevel=4,
            )
            y = y.ravel()
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1d or a 2d indicator matrix; got {y.ndim}d.")
        check_classification_targets(y)
        return y

    def _learn_classes(self, y, classes):
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            self._target_kind = "multilabel"
            self.classes_ = np.arange(y.shape[1])
            if self.class_weight is not None:
                raise ValueError(
                    "class_weight is not supported for multilabel targets."
                )
            return np.asarray(y, dtype=np.float32)
        if y.ndim != 1:
            raise ValueError(
                f"y has target type {kind!r}; expected 1d labels (binary or "
                "multiclass) or a multilabel indicator matrix."
            )
        labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
        if classes is not None and not np.all(np.isin(np.unique(y), labels)):
            raise ValueError("y holds labels not listed in classes.")
        if labels.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got 1 class: "
                f"{labels.tolist()}."
            )
        self.classes_ = labels
        self._target_kind = "binary" if labels.shape[0] == 2 else "multiclass"
        return self._encode_y(y, "y")

    def _encode_y(self, y, name):
        if self._target_kind == "multilabel":
            y = np.asarray(y)
            if y.ndim != 2 or y.shape[1] != self.classes_.shape[0]:
                raise ValueError(
                    f"{name} must be an indicator matrix with "
                    f"{self.classes_.shape[0]} columns."
                )
            return y.astype(np.float32)
        y = np.asarray(y).ravel()
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, self.classes_.shape[0] - 1)
        unknown = self.classes_[index] != y
        if np.any(unknown):
            raise ValueError(
                f"{name} holds labels not seen when the model was first fit: "
                f"{np.unique(y[unknown])[:5].tolist()}; known classes are "
                f"{self.classes_.tolist()}."
            )
        if self._target_kind == "binary":
            return index.astype(np.float32).reshape(-1, 1)
        return index.astype(np.int32)

    def _decode(self, Y):
        if self._target_kind == "multilabel":
            return Y.astype(int)
        return self.classes_[Y.ravel().astype(int)]

    def _training_weights(self, X, y, sample_weight):
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        )
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y).astype(
                np.float32
            )
        return weights

    def _check_weighted_classes(self, Y, weights, rows):
        if self._target_kind == "multilabel":
            if not np.any(weights[rows] > 0):
                raise ValueError("sample_weight is zero for every training row.")
            return
        labels = Y[rows].ravel()[weights[rows] > 0]
        if np.unique(labels).shape[0] < 2:
            raise ValueError(
                "The training rows with a positive sample_weight hold only 1 class; "
                "a classifier needs at least 2 classes with non-zero weight."
            )

    def _validation_rows(self, X, Y, weights, validation_data, rng):
        """Training rows and the validation set ``(X, Y, labels, weights)``.

        The validation loss is weighted like the training loss (by
        ``sample_weight`` and ``class_weight`` of the held-out rows; by
        ``class_weight`` alone for ``validation_data``), so the two curves
        measure the same objective and early stopping follows it.
        """
        all_rows = _row_indices(X.shape[0])
        if validation_data is not None:
            if (
                not isinstance(validation_data, (tuple, list))
                or len(validation_data) != 2
            ):
                raise ValueError("validation_data must be a tuple (X_val, y_val).")
            X_val, y_val = self._validate_X(
                validation_data[0], reset=False, dtype=_FIT_DTYPES, y=validation_data[1]
            )
            _check_float32_range(X_val, "X_val in validation_data")
            y_val = self._check_y(y_val)
            Y_val = self._encode_y(y_val, "y_val in validation_data")
            w_val = (
                compute_sample_weight(self.class_weight, y_val)
                if self.class_weight is not None
                else np.ones(X_val.shape[0])
            )
            return all_rows, (X_val, None, Y_val, self._decode(Y_val), w_val)
        if self.validation_split == 0:
            return all_rows, None
        n_val = math.ceil(self.validation_split * X.shape[0])
        if X.shape[0] - n_val < 2 or n_val < 1:
            warnings.warn(
                f"validation_split={self.validation_split} leaves too few rows of "
                f"the {X.shape[0]} to train on; training without a validation "
                "set.",
                UserWarning,
                stacklevel=4,
            )
            return all_rows, None
        seed = int(rng.integers(0, 2**31 - 1))
        stratify = None
        candidates = all_rows
        if self._target_kind != "multilabel":
            codes = Y.ravel().astype(int)
            counts = np.bincount(codes)
            if counts.min() >= 2 and n_val >= counts.shape[0]:
                stratify = Y.ravel()
            else:
                # the only row of a class stays in training: held out, its
                # class could not be learnt (nor fit, with two classes)
                candidates = all_rows[counts[codes] >= 2]
        if candidates.shape[0] <= n_val:
            warnings.warn(
                f"validation_split={self.validation_split} would hold out rows "
                "that are the only ones of their class; training without a "
                "validation set.",
                UserWarning,
                stacklevel=4,
            )
            return all_rows, None
        _, val_rows = train_test_split(
            candidates, test_size=n_val, random_state=seed, stratify=stratify
        )
        val_rows = np.sort(val_rows)
        train_rows = np.setdiff1d(all_rows, val_rows)
        # the held-out rows are read from X where they lie, block by block
        Y_val = Y[val_rows]
        return train_rows, (X, val_rows, Y_val, self._decode(Y_val), weights[val_rows])

    def _seed_sequence(self):
        state = self.random_state
        if state is None:
            return np.random.SeedSequence()
        if isinstance(state, numbers.Integral):
            return np.random.SeedSequence(int(state))
        # A RandomState instance: draw from it, as scikit-learn estimators do.
        return np.random.SeedSequence(int(state.randint(0, 2**31 - 1)))

    def _callback_list(self, epochs):
        if not self.callbacks:
            return _NoCallbacks()
        from skdnn._keras import import_keras

        keras = import_keras()
        return keras.callbacks.CallbackList(
            [copy.deepcopy(c) for c in self.callbacks],
            add_history=False,
            add_progbar=False,
            model=self.model_,
            epochs=epochs,
            verbose=self.verbose,
        )

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _validate_for_predict(self, X):
        """Validated float64 X for prediction, with a shortcut for plain arrays.

        A float32 or float64 ndarray of the right width whose values are all
        finite passes every check of ``validate_data`` unchanged, so it skips
        them: on one row those checks cost more than the network itself.
        Anything else, and every error, goes through ``validate_data``.
        """
        if (
            type(X) is np.ndarray
            and X.dtype in (np.float64, np.float32)
            and X.ndim == 2
            and X.shape[0] > 0
            and hasattr(self, "_plan")
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X.sum())  # no array of X's size, as scikit-learn
        ):
            return X
        check_is_fitted(self, "_plan")
        return self._validate_X(X, reset=False, dtype=np.float64)

    def _labels(self, proba):
        if self._target_kind == "multilabel":
            return (proba > 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def _output(self, X):
        """The network's output for validated X: numpy, or Keras as fallback."""
        if self._plan is not None:
            return forward(self._plan, X)
        return keras_forward(self.model_, X, softmax=self._target_kind == "multiclass")

    def _proba(self, X):
        out = self._output(X)
        if self._target_kind == "binary":
            p = out[:, 0]
            return np.column_stack([1.0 - p, p])
        return out

    # ------------------------------------------------------------------
    # Pickling: the compiled training step is rebuilt when needed.
    # ------------------------------------------------------------------

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_runner", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = False
        return tags


class _EpochSnapshot(ClassifierMixin, BaseEstimator):
    """The network being trained, as a scorer sees it after an epoch.

    Scorers call ``predict``/``predict_proba`` on the validated training and
    validation arrays; going through the estimator's public methods would
    validate them again and warn about feature names on every epoch.
    """

    def __init__(self, owner):
        self.owner = owner

    @property
    def classes_(self):
        return self.owner.classes_

    def predict_proba(self, X):
        return self.owner._proba(X)

    def predict(self, X):
        return self.owner._labels(self.owner._proba(X))


class _NoCallbacks:
    """Stands in for a Keras CallbackList when there are no callbacks."""

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass


# X for fitting: float32 or float64 kept as given, anything else made float32
_FIT_DTYPES = [np.float32, np.float64]


def _check_float32_range(X: np.ndarray, name: str) -> None:
    """Refuse values that overflow float32, the precision the network trains in."""
    limit = np.finfo(np.float32).max
    if X.dtype == np.float64 and X.size and (X.max() > limit or X.min() < -limit):
        raise ValueError(
            f"Input {name} contains a value too large for dtype('float32') "
            f"(beyond +/-{limit:.4g}), the precision the network trains in; "
            "scale the features (e.g. StandardScaler)."
        )


def _row_indices(n: int) -> np.ndarray:
    """``arange(n)`` in the narrowest integer type that holds ``n``."""
    return np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)


def _as_widths(sizes) -> tuple[int, ...]:
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)
    if not isinstance(sizes, Sequence) and not hasattr(sizes, "__array__"):
        raise ValueError(
            f"hidden_layer_sizes must be 'auto' or a tuple of ints; got {sizes!r}."
        )
    widths = tuple(sizes)
    if len(widths) == 0 or not all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1
        for w in widths
    ):
        raise ValueError(
            "hidden_layer_sizes must be 'auto' or a non-empty tuple of positive "
            f"ints; got {sizes!r}."
        )
    return tuple(int(w) for w in widths)


def _check_keras_name(param, name):
    from skdnn._keras import import_keras

    keras = import_keras()
    from skdnn._architecture import _seeded_initializer

    def getter(name):
        if param == "activation":
            return keras.activations.get(name)
        return _seeded_initializer(keras, name, seed=0)

    try:
        getter(name)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{param}={name!r} is not a Keras {param.replace('kernel_', '')} name."
        ) from exc


def _learning_rate(model) -> float:
    from skdnn._keras import import_keras

    keras = import_keras()
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def _epoch_line(epoch, last, row) -> str:
    parts = [f"epoch {epoch}/{last}"]
    parts += [f"{k}: {v:.4g}" for k, v in row.items() if k != "learning_rate"]
    return " - ".join(parts)
