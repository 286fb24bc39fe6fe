"""The shared core of skdnn's estimators: one training machinery, two tasks.

:class:`BaseTaperedMLP` owns everything that does not depend on what the
target is: parameter checks, input validation, the validation hold-out, the
epoch loop with early stopping, divergence and interrupt handling, the
learning-curve history, the Keras model build and the numpy prediction
path. The classifier and the regressor fill a few hooks (see "Hooks" in
:class:`BaseTaperedMLP`) that encode the target and choose the task's head
(:mod:`skdnn._heads`), the way scikit-learn's HistGradientBoosting
estimators share their base.
"""

from __future__ import annotations

import numbers
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils import _safe_indexing, check_array, check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from skdnn._architecture import (
    as_widths,
    check_keras_name,
    dropout_rates,
    tapered_widths,
)
from skdnn._columns import (
    _as_pandas,
    _check_column_names,
    _check_float32_range,
    _is_dataframe,
    checked_targets,
    refuse_missing_targets,
)
from skdnn._curves import warn_if_exploded
from skdnn._embedding import PickledModel
from skdnn._epochs import (
    STOP_ON_INTERRUPT,
    BestEpoch,
    WeightAverage,
    Weights,
    callback_list,
    divergence,
    divergence_advice,
    seed_sequence,
)
from skdnn._forward import (
    ACTIVATIONS,
    extract_plan,
    forward,
    forward_blocks,
    gather,
    keras_forward,
    network_input,
    row_blocks,
    shift_output,
    shift_probabilities,
)
from skdnn._keras import check_training_backend
from skdnn._mlp_names import MLPAttributes
from skdnn._network import Network
from skdnn._progress import EpochProgress
from skdnn._scorers import resolve_scorers, score_epoch, try_scorers, warnings_once
from skdnn._shared_api import DocLinkMixin, restored_on_failure
from skdnn._training import (
    ValidationSet,
    estimator_holdout,
    release_kernel_cache,
)
from skdnn._user_warnings import user_stacklevel
from skdnn._validation import validation_arguments, validation_set

OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "adamax": "Adamax",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "lion": "Lion",
}


class BaseTaperedMLP(DocLinkMixin, MLPAttributes, BaseEstimator, ABC):
    """Base of the tapered dense networks; not meant to be used directly.

    The parameters shared by every estimator are documented on
    :class:`~skdnn.TaperedMLPClassifier` and
    :class:`~skdnn.TaperedMLPRegressor`.

    Hooks a concrete estimator fills in:

    ``_check_y(y)``
        The validated target array.
    ``_learn_targets(y, classes)``
        Learn what the target is (classes, output count) on the first fit,
        set ``_target_kind``, and return the encoded targets.
    ``_encode_targets(y, name)``
        Encode a target with what the first fit learnt.
    ``_decode_targets(Y)``
        The user's targets from encoded ones (what scorers compare with).
    ``_standardize_targets(Y, rows)``
        On the first fit, once the training rows are known: learn any
        scaling of the encoded targets from those of weight above 0 (the regressor
        standardises them) and return the targets to train on.
    ``_rescale_targets(Y, continuing=False)``
        Apply that scaling to other encoded targets (later fits,
        ``validation_data``).
    ``_target_weights(y, sample_weight)``
        Per-row weights from the target (class weights), or None.
    ``_stratify_codes(Y)``
        Integer codes to stratify the hold-out by, or None.
    ``_check_training_targets(Y, weights, rows, *, incremental)``
        Refuse targets that cannot be learnt from the weighted rows.
    ``_head``
        The task's head, from ``_target_kind``.
    ``_snapshot()``
        The estimator as a scorer sees it during training.
    ``_learn_output_shift(Y, sample_weight, accumulate, val)``
        Learn what the output's logits are shifted by (the class prior a
        classifier's ``class_weight="balanced_logits"`` divides out);
        ``_output_shift()`` returns it, or None.
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
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "weight_averaging": [Interval(Real, 0, 1, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "monitor": [str],
        "scoring": [None, str, list, tuple, dict, callable],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "numeric_scaling": [StrOptions({"robust", "standard"}), None],
        "numeric_bins": [Interval(Integral, 2, None, closed="left"), None],
        "callbacks": [None, list, tuple],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }  # fmt: skip

    @abstractmethod
    def __init__(
        self,
        *,
        hidden_layer_sizes="auto",
        first_units="auto",
        taper=0.5,
        n_layers=3,
        min_units=16,
        activation="silu",
        kernel_initializer="auto",
        batch_norm=False,
        dropout=0.1,
        optimizer="adam",
        learning_rate=1e-3,
        l2=0.0,
        batch_size=32,
        epochs=200,
        weight_averaging=0.5,
        validation_split=0.1,
        early_stopping=True,
        patience=10,
        monitor="val_loss",
        scoring=None,
        categorical_features="from_dtype",
        numeric_scaling="robust",
        numeric_bins=8,
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
        self.weight_averaging = weight_averaging
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.monitor = monitor
        self.scoring = scoring
        self.categorical_features = categorical_features
        self.numeric_scaling = numeric_scaling
        self.numeric_bins = numeric_bins
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        validation_data=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the network and record its learning curves.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data: a pandas or polars DataFrame (text and category
            columns encoded, missing values imputed), an array, or a sparse
            matrix (made dense a block of rows at a time).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values: class labels (or a binary indicator matrix for
            multilabel) for a classifier, numbers in any units for a
            regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the training loss.
        validation_data : tuple (X_val, y_val[, sample_weight_val]), default=None
            Validation set replacing the ``validation_split`` hold-out, as
            Keras takes it; the same as ``X_val`` and ``y_val``.
        X_val : array-like or DataFrame of shape (n_val_samples, n_features), \
                default=None
            Validation rows replacing the ``validation_split`` hold-out (the
            curves' ``val_`` columns and early stopping read them), as
            :class:`~sklearn.ensemble.HistGradientBoostingClassifier` takes
            them. In a :class:`~sklearn.pipeline.Pipeline`, build it with
            ``transform_input=["X_val"]`` (and route ``X_val`` and ``y_val``
            with ``set_fit_request``) so that they go through the steps
            before the network, as ``X`` does; ``validation_data`` would
            reach it untransformed.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
                default=None
            Targets of ``X_val``, read like ``y``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation rows in the validation loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        given = validation_arguments(validation_data, X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, given, incremental=False)

    @restored_on_failure
    def _fit(self, X, y, sample_weight, validation_data, *, incremental, classes=None):
        # "_network", not model_: reading model_ would build the Keras model
        continuing = "_network" in vars(self) and (incremental or self.warm_start)
        self._check_params()
        check_training_backend()
        if continuing:  # the fitted network: another architecture is refused
            self._network.continue_as(self, apply=False)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        X, y = self._validate_input(X, y, reset=not continuing)
        y = self._check_y(y)
        if continuing:
            Y = self._encode_targets(y, "y")
        else:
            Y = self._learn_targets(y, classes)
        sample_weights, weights = self._training_weights(X, y, sample_weight)
        rng = np.random.default_rng(self._seed_sequence())
        # validation_data replaces the hold-out, as in partial_fit: all rows train
        every_row = incremental or validation_data is not None
        train_rows, val_rows = self._holdout_rows(Y, rng, weights, every_row)
        self._check_training_targets(Y, weights, train_rows, incremental=incremental)
        scorers = self._scorers()
        if scorers:  # each tried on the targets, before anything is learnt
            try_scorers(self, scorers, np.asarray(y)[train_rows])
        codes = Y
        if not continuing:
            # unsupervised statistics of the rows given to fit (the hold-out
            # shares them), read column by column: rows of sample_weight 0
            # are left out (a copy of the others)
            self.preprocessor_ = self._fitted_preprocessor(
                X, sample_weights, incremental
            )
            Y = self._standardize_targets(Y, train_rows[weights[train_rows] > 0])
        else:
            Y = self._rescale_targets(Y, continuing=True)
        X = self._preprocessed(X, training=True, warn_unseen=continuing)
        val = validation_set(self, X, Y, weights, val_rows, validation_data)
        # the call's rows are checked: what it learns from them is kept
        self._learn_output_shift(codes, sample_weights, continuing and incremental, val)
        if continuing:  # at the dropout rates and learning rate asked for
            self._network.continue_as(self)
        if val is not None or not continuing:
            # rows behind the validation curve, which diagnose weighs; a
            # continued fit without a hold-out adds no validation epochs,
            # and the curve history_ holds still rests on the earlier rows
            self.n_validation_samples_ = 0 if val is None else len(val.Y)
        weights = weights / weights[train_rows].mean()

        if not continuing:
            self._build(rng, (Y[train_rows], weights[train_rows]))
            self._history_rows = []
        try:
            epochs = 1 if incremental else self.epochs
            self._train(X, Y, weights, train_rows, val, rng, epochs, scorers)
            if not continuing:  # a continued fit's loss is in the first's units
                warn_if_exploded(self)
        finally:
            release_kernel_cache()
        return self

    def _train(self, X, Y, weights, train_rows, val, rng, epochs, scorers):
        from skdnn._keras import backend_name

        network = self._network
        kit = network.kit()
        # the Keras model trains itself for callbacks (they act on it), on
        # backends but TensorFlow and JAX, and where numpy cannot run the network
        bound = (
            bool(self.callbacks)
            or backend_name() not in ("tensorflow", "jax")
            or not kit.readable
        )
        runner = network.runner(kit, self.batch_size, bound=bound)
        try:
            self._run_epochs(
                runner, X, Y, weights, train_rows, val, rng, epochs, scorers
            )
        finally:
            network.keep(runner)

    def _run_epochs(self, runner, X, Y, weights, train_rows, val, rng, epochs, scorers):
        kit = runner.kit
        monitor, maximise = self._resolve_monitor(val is not None, scorers)
        tracker = BestEpoch(monitor, maximise, keep=self.early_stopping)
        # the rows as scorers take them, gathered as float32 once per fit
        train_set = val_set = None
        if scorers:
            train_set = (gather(X, train_rows), self._decode_targets(Y[train_rows]))
            if val is not None:
                val_set = (gather(val.X, val.rows), self._decode_targets(val.Y))
        seen_warnings: set = set()  # the scorers' warnings shown this fit
        callbacks = callback_list(self, epochs)
        first_epoch = len(self._history_rows) + 1
        last_epoch = first_epoch + epochs - 1
        self._plan = self._shifted(kit.plans.plan(runner.weights))
        last_good = Weights(runner.weights, self._plan)
        # the network kept each epoch: the moving average of the trained one
        average = WeightAverage(self.weight_averaging)
        progress = EpochProgress(epochs, self.verbose, first_epoch=first_epoch)
        if runner.model is not None:
            runner.model.stop_training = False
        callbacks.on_train_begin()
        # epochs run several to a compiled call; one at a time for callbacks
        per_call = 1 if self.callbacks else runner.epochs_per_call(X, len(train_rows))
        epoch = first_epoch
        try:
            while epoch <= last_epoch:
                callbacks.on_epoch_begin(epoch - 1)
                orders = [
                    rng.permutation(train_rows)
                    for _ in range(min(per_call, last_epoch - epoch + 1))
                ]
                results = runner.run_epochs(X, Y, weights, orders)
                stop = False
                for index, (loss, metric) in enumerate(results):
                    # the epoch's last step can overflow the weights after
                    # its loss was measured: such an epoch has diverged too
                    epoch_weights = runner.epoch_weights[index]
                    diverged = divergence(loss, epoch_weights)
                    if diverged:
                        runner.keep_epoch(index)
                        self._restore(runner, last_good)
                        if not self._history_rows:
                            raise ValueError(
                                f"Training diverged in its first epoch ({diverged}). "
                                f"{divergence_advice(self)}"
                            )
                        warnings.warn(
                            f"Training diverged at epoch {epoch} ({diverged}); the "
                            f"weights of epoch {epoch - 1} are kept. "
                            f"{divergence_advice(self)}",
                            ConvergenceWarning,
                            stacklevel=user_stacklevel(),
                        )
                        stop = True
                        break
                    epoch_weights = average.update(epoch_weights)
                    self._plan = self._shifted(kit.plans.plan(epoch_weights))
                    row = {"loss": loss, self._metric_name: self._fit_metric(metric)}
                    penalty = kit.l2_penalty(epoch_weights, self.l2)
                    self._record_scores(
                        row, scorers, train_set, val, val_set, penalty, seen_warnings
                    )
                    row["learning_rate"] = runner.epoch_learning_rates[index]
                    self._history_rows.append(row)
                    last_good = Weights(epoch_weights, self._plan)
                    progress.update(epoch, row)
                    tracker.update(epoch, row, last_good)
                    callbacks.on_epoch_end(epoch - 1, logs=dict(row))
                    epoch += 1
                    if runner.stop_requested() or (
                        self.early_stopping and tracker.waited >= self.patience
                    ):
                        runner.keep_epoch(index)
                        stop = True
                        break
                if stop:
                    break
        except KeyboardInterrupt:
            self._restore(runner, last_good)
            if len(self._history_rows) == 0 or STOP_ON_INTERRUPT.get():
                raise
            warnings.warn(
                f"Training interrupted; kept the {len(self._history_rows)} "
                "epochs completed.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        finally:
            progress.close()
        callbacks.on_train_end()
        if self.early_stopping:
            tracker.warn_if_never_measured(len(self._history_rows) - first_epoch + 1)
        restored_epoch = None
        if tracker.weights is not None:
            restored_epoch = tracker.epoch
            if average.momentum or tracker.epoch != len(self._history_rows):
                self._restore(runner, tracker.weights)
        elif (chosen := runner.weights_set_by_callbacks()) is not None:
            # Keras's restore_best_weights: for predict and save alike
            self._restore(
                runner, Weights(chosen, self._shifted(kit.plans.plan(chosen)))
            )
        elif average.momentum:  # the model holds the trained weights
            self._restore(runner, last_good)
        self._finish_history(restored_epoch, first_epoch)

    def _fit_metric(self, metric: float) -> float:
        """The training rows' epoch metric, as the compiled loop summed it."""
        return metric

    # The output shift (a classifier's class prior divided out): none here
    def _learn_output_shift(self, Y, sample_weight, accumulate, val=None) -> None:
        """Learn the output's shift from the encoded, weighted targets (and
        what the validation set ``val`` holds of each)."""

    def _output_shift(self) -> np.ndarray | None:
        return None  # what the output layer's logits are lowered by

    def _shifted(self, plan):
        """``plan`` with its output bias lowered by :meth:`_output_shift`."""
        shift = self._output_shift()
        return plan if plan is None or shift is None else shift_output(plan, shift)

    def _restore(self, runner, weights: Weights) -> None:
        runner.set_weights(weights.values)
        self._plan = weights.plan

    def _finish_history(self, best_epoch, first_epoch=1):
        """Set ``history_`` and the attributes read from it.

        ``best_epoch`` is the epoch whose weights early stopping restored;
        without it, the best epoch is read from the epochs of this call,
        from ``first_epoch`` on (a continued fit's earlier epochs are those
        of weights it no longer has), the last when none has the monitor.
        """
        import pandas as pd

        history = pd.DataFrame(self._history_rows)
        history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
        self.history_ = history
        self.n_iter_ = len(history)
        if best_epoch is None:
            monitor, maximise = self._resolve_monitor("val_loss" in history)
            values = None
            if monitor in history:
                values = history[monitor].to_numpy()[first_epoch - 1 :]
            if values is None or np.all(np.isnan(values)):
                best_epoch = len(history)
            else:
                best = np.nanargmax(values) if maximise else np.nanargmin(values)
                best_epoch = int(best) + first_epoch
        self.best_epoch_ = int(best_epoch) if len(history) else 0
        self.loss_curve_ = history["loss"].tolist() if len(history) else []
        val_metric = f"val_{self._metric_name}"
        self.validation_scores_ = (
            history[val_metric].tolist() if val_metric in history else None
        )

    def _record_scores(
        self, row, scorers, train_set, val, val_set, penalty=0.0, seen=None
    ):
        """Add the validation loss and metric and the scorers to ``row``.

        A scorer's warning (an undefined metric, say) is shown once a fit,
        not once an epoch: ``seen`` holds those shown.
        """
        if val is not None:
            loss, metric = self._validation_metrics(val, penalty)
            row["val_loss"], row[f"val_{self._metric_name}"] = loss, metric
        if scorers:
            snapshot = self._snapshot()
            with warnings_once(seen):
                for name, scorer in scorers.items():
                    row[name] = score_epoch(name, scorer, snapshot, train_set)
                    if val_set is not None:
                        val_name = f"val_{name}"
                        row[val_name] = score_epoch(name, scorer, snapshot, val_set)

    def _validation_metrics(
        self, val: ValidationSet, penalty: float = 0.0
    ) -> tuple[float, float]:
        """Weighted loss (with the l2 ``penalty``) and the metric on the hold-out.

        Computed block by block, so the validation set's outputs are never
        held whole. The loss comes from the logits when they are known, as
        the training loss does (no clipping, so the two curves stay
        comparable even for saturated outputs); from clipped probabilities
        otherwise.
        """
        head = self._head
        loss_sum = metric_sum = 0.0
        # the curves are the trained network's: logits before the shift
        shift = self._output_shift()
        if self._plan is not None:
            for block, logits in forward_blocks(
                self._plan, val.X, logits=True, rows=val.rows
            ):
                if shift is not None:
                    logits = logits + shift
                loss_sum += np.dot(head.loss(val.Y[block], logits), val.weights[block])
                metric_sum += head.metric_sum(val.Y[block], head.link(logits))
        else:
            for block, X_block in row_blocks(val.X, val.rows):
                output = self._keras_output(X_block, shifted=False)
                per_row = head.loss_from_output(val.Y[block], output)
                loss_sum += np.dot(per_row, val.weights[block])
                metric_sum += head.metric_sum(val.Y[block], output)
        total = np.sum(val.weights)
        loss = loss_sum / total if total > 0 else np.nan
        loss += penalty
        metric = head.finish_metric(metric_sum, val.Y.shape[0], val.Y)
        return float(loss), float(metric)

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------

    @property
    def _head(self):
        from skdnn._heads import get_head

        return get_head(self._target_kind)

    def _build(self, rng, targets):
        """Describe a new network (no Keras object is built here): seeds drawn
        from ``rng`` in :func:`~skdnn._architecture.build_model`'s order, the
        output bias where the head starts it for the training ``targets``,
        ``(Y, weights)``.
        """
        head = self._head
        pre = self.preprocessor_
        n_codes = len(pre.embedding_cardinalities_)
        widths = self._hidden_widths(pre._n_own_features())
        rates = self._dropout_rates(len(widths))
        spec = dict(
            n_features=pre.n_dense_features_ + n_codes,
            n_outputs=head.n_outputs(self._n_targets),
            output_activation=head.output_activation,
            hidden_layer_sizes=widths,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            batch_norm=self.batch_norm,
            dropout=rates,
            l2=self.l2,
            seeds=[
                int(s) for s in rng.integers(0, 2**31 - 1, size=2 * len(widths) + 1)
            ],
            embeddings=(
                pre.n_dense_features_,
                pre.embedding_cardinalities_,
                pre.embedding_dims_,
            ),
            embedding_seeds=[int(s) for s in rng.integers(0, 2**31 - 1, size=n_codes)],
        )
        self.hidden_layer_sizes_ = widths
        Y, weights = targets
        bias = head.initial_bias(Y, weights, spec["n_outputs"])
        self._network = Network(
            spec, OPTIMIZERS[self.optimizer], self.learning_rate, head, bias
        )
        self._plan = None

    @property
    def model_(self):
        """The fitted Keras model, built from the network's values when first
        read (training needs none); compiled with the optimizer, whose state
        it holds, and the loss."""
        network = self.__dict__.get("_network")
        if network is None:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute 'model_' "
                "(it is set by fit)"
            )
        return network.keras_model()

    @model_.setter
    def model_(self, model) -> None:
        self._network = Network.from_model(model, self._head)
        self._plan = self._shifted(extract_plan(model))  # predict reads it

    def _hidden_widths(self, n_features):
        if isinstance(self.hidden_layer_sizes, str):
            return tapered_widths(
                n_features,
                first_units=self.first_units,
                taper=self.taper,
                n_layers=self.n_layers,
                min_units=self.min_units,
            )
        return as_widths(self.hidden_layer_sizes)

    def _dropout_rates(self, n_hidden):
        return dropout_rates(self.dropout, n_hidden)

    # ------------------------------------------------------------------
    # Validation of parameters and data
    # ------------------------------------------------------------------

    def _check_params(self):
        if not isinstance(self.hidden_layer_sizes, str):
            as_widths(self.hidden_layer_sizes)
        if self.batch_norm and self.batch_size == 1:
            raise ValueError(
                "batch_norm=True normalises each batch by its own statistics, "
                "which a batch of one row does not have (every unit would "
                "output its offset); use batch_size >= 2, or batch_norm=False."
            )
        if not isinstance(self.dropout, numbers.Real):
            rates = np.asarray(self.dropout, dtype=float)
            if (
                rates.ndim > 1
                or rates.size == 0
                or np.any((rates < 0) | (rates >= 1))
                or not np.all(np.isfinite(rates))
            ):
                raise ValueError(
                    f"dropout must be a float in [0, 1) or a sequence of such "
                    f"rates; got {self.dropout!r}."
                )
        if self.activation not in ACTIVATIONS or self.activation == "softmax":
            check_keras_name("activation", self.activation)
        if self.kernel_initializer != "auto":
            check_keras_name("kernel_initializer", self.kernel_initializer)
        # the scorers are valid, and the monitor names one of the columns
        self._resolve_monitor(has_validation=True, scorers=self._scorers())
        if self.callbacks is not None:
            for callback in self.callbacks:
                if not hasattr(callback, "on_epoch_end"):
                    raise TypeError(
                        "callbacks must be Keras callbacks; got "
                        f"{type(callback).__name__}."
                    )

    def _scorers(self) -> dict:
        """The per-epoch scorers, keyed by the name of their history columns."""
        return resolve_scorers(
            self,
            self.scoring,
            reserved=("loss", self._metric_name, "learning_rate"),
            recorded=self._scorer_recorded,
        )

    #: The scorer name whose score history_ records already under that
    #: name, so that asking for it adds nothing (the regressor's "r2").
    _scorer_recorded: str | None = None

    def _resolve_monitor(self, has_validation, scorers=None):
        """The monitored column, and whether it is maximised."""
        scorers = self._scorers() if scorers is None else scorers
        valid = ["loss", self._metric_name, *scorers]
        name = self.monitor.removeprefix("val_")
        if name not in valid:
            options = ", ".join(f"'val_{v}'" for v in valid)
            raise ValueError(
                f"monitor must be one of {options} (or without 'val_'); got "
                f"{self.monitor!r}. Scores come from the scoring parameter."
            )
        prefix = "val_" if has_validation and self.monitor.startswith("val_") else ""
        return prefix + name, name != "loss"

    def _validate_input(self, X, y=None, *, reset):
        """X as the preprocessor reads it (a DataFrame, a 2d array or a CSR
        matrix, made dense a block of rows at a time), and y.

        X's width and column names are checked (and, with ``reset``,
        learnt) here; its values are read and checked by the preprocessor.
        """
        X = X if sp.issparse(X) else _as_pandas(X)
        if not _is_dataframe(X):  # a sparse matrix keeps its dtype, as an array
            X = check_array(
                X, accept_sparse="csr", dtype=None, ensure_all_finite=False,
                input_name="X", copy=False,
            )  # fmt: skip
        if not reset and _is_dataframe(X) and hasattr(self, "feature_names_in_"):
            # a missing, renamed or moved column, named (validate_data's
            # message names none)
            _check_column_names(X, self.feature_names_in_)
        validate_data(self, X, skip_check_array=True, reset=reset)
        if self.numeric_scaling is None:
            _check_float32_range(X, "X")
        if y is not None:
            y = checked_targets(self, y)
            check_consistent_length(X, y)
        return X, y

    def _fitted_preprocessor(self, X, weights, incremental=False):
        from skdnn._preprocessing import TabularPreprocessor

        pre = TabularPreprocessor(
            categorical_features=self.categorical_features,
            numeric_scaling=self.numeric_scaling,
            numeric_bins=self.numeric_bins,
        )
        # what later calls may train is not held constant (see its fit)
        pre._hold_constants = not (incremental or self.warm_start)
        # rows of sample_weight 0 train nothing, so they shape no encoding
        # either (Bagging marks its out-of-bag rows so): as if left out; a
        # class_weight of 0 is the loss's choice, and its rows are encoded
        rows = None if weights.all() else np.flatnonzero(weights > 0)
        return pre.fit(X if rows is None else _safe_indexing(X, rows))

    def _preprocessed(self, X, *, training=False, warn_unseen=False):
        """The network's input for validated X: see
        :func:`skdnn._forward.network_input`."""
        return network_input(
            self.preprocessor_, X, training=training, warn_unseen=warn_unseen
        )

    #: Extra arguments of ``validate_data`` for the target.
    _y_validation: dict = {}
    #: What a missing target is called, and what to do about it.
    _missing_targets = "labels", "give them a label"

    def _check_target_values(self, y) -> None:
        """Refuse a target scikit-learn's check would let through or fail
        on obscurely (None, pd.NA); before that check, on the raw ``y``."""
        refuse_missing_targets(y, *self._missing_targets)

    #: Name of the metric recorded each epoch (the head's ``metric_name``).
    _metric_name = "accuracy"

    def _ravel_column_vector(self, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; "
                "it is raveled.",
                DataConversionWarning,
                stacklevel=user_stacklevel(),
            )
            return y.ravel()
        return y

    def _training_weights(self, X, y, sample_weight):
        """The checked ``sample_weight``, and it times the target's weights."""
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        )
        target_weights = self._target_weights(y, weights)
        if target_weights is None:
            return weights, weights
        return weights, weights * target_weights.astype(np.float32)

    def _holdout_rows(self, Y, rng, weights=None, every_row=False):
        """Training rows and the held-out rows (None without a hold-out)."""
        return estimator_holdout(self, Y, rng, weights, every_row=every_row)

    def _seed_sequence(self):
        return seed_sequence(self.random_state)

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _validate_for_predict(self, X):
        """The network's input for X, with a shortcut for plain arrays.

        A float ndarray of the right width, when no column names were
        learnt, has nothing for ``validate_data`` to check: it goes straight
        to the preprocessor, whose own numeric path is a few vectorised
        operations (on one row, validation would cost more than the
        network itself).
        """
        if not (
            type(X) is np.ndarray
            and X.dtype.kind == "f"
            and X.ndim == 2
            and X.shape[0] > 0
            and hasattr(self, "_plan")
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        ):
            check_is_fitted(self, "_plan")
            X, _ = self._validate_input(X, reset=False)
        return self._preprocessed(X)

    def _output(self, X):
        """The network's activated output for validated X (numpy or Keras)."""
        if self._plan is not None:
            return forward(self._plan, X)
        return self._keras_output(X)

    def _keras_output(self, X, *, shifted=True):
        """The Keras model's output for encoded X; with ``shifted``, the
        estimator's (the model is the network as trained, before the shift)."""
        softmax = self._head.output_activation == "softmax"
        output = keras_forward(self.model_, X, softmax=softmax)
        shift = self._output_shift() if shifted else None
        if shift is None:
            return output
        return shift_probabilities(output, shift, softmax=softmax)

    # ------------------------------------------------------------------
    # Pickling: the compiled training step is rebuilt when needed.
    # ------------------------------------------------------------------

    def __setstate__(self, state):
        # an older pickle holds the Keras model itself, as model_
        state = dict(state)
        state.pop("_runner", None)
        model = state.pop("model_", None)
        if isinstance(model, PickledModel):  # copy.copy: the state as it was
            model = model.model
        super().__setstate__(state)
        if model is not None:
            self.model_ = model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags
