"""TaperedMLPRegressor: the tapered network for continuous targets.

What is about continuous targets lives here (the numeric checks of ``y``,
its standardisation, the loss choice, predictions in the user's units); the
training machinery is shared with the classifier in :mod:`skdnn._base`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from skdnn._base import BaseTaperedMLP
from skdnn._heads import RegressionHead


class TaperedMLPRegressor(RegressorMixin, BaseTaperedMLP):
    """Dense neural network regressor with tapered hidden layers, in Keras 3.

    The network, training and learning curves of
    :class:`~skdnn.TaperedMLPClassifier`, for continuous targets: tapered
    hidden layers with dropout, a linear output per target, and the curves
    of every fit in :attr:`history_`, on a shuffled, seeded validation
    hold-out, stopping early when the validation loss stops improving.

    The target is standardised inside the estimator (each target column to
    mean 0 and standard deviation 1 on the training rows) and predictions
    are mapped back to the user's units, so ``y`` in any units trains well
    without a :class:`~sklearn.compose.TransformedTargetRegressor`.
    Single- and multi-output ``y`` are supported.

    Parameters
    ----------
    loss : {"squared_error", "absolute_error", "huber"}, \
            default="squared_error"
        Training loss, on the standardised target: mean squared error, mean
        absolute error (robust to outlying targets, predicts a median), or
        the Huber loss with ``delta=1`` standard deviation.
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Widths of the hidden layers, first to last. ``"auto"`` derives them
        from the number of features with :func:`~skdnn.tapered_widths` and
        the four parameters below.
    first_units : int or "auto", default="auto"
        Width of the first hidden layer when ``hidden_layer_sizes="auto"``.
    taper : float in (0, 1], default=0.5
        Width ratio between consecutive hidden layers (``"auto"`` only).
    n_layers : int, default=3
        Maximum number of hidden layers (``"auto"`` only).
    min_units : int, default=16
        Floor width of the layers after the first (``"auto"`` only).
    activation : str, default="relu"
        Keras activation name of the hidden layers.
    kernel_initializer : str, default="auto"
        Keras initializer name of the hidden layers; ``"auto"`` pairs it with
        the activation (He for the ReLU family, LeCun for SELU, Glorot
        otherwise).
    batch_norm : bool, default=False
        Insert batch normalisation between each hidden dense layer and its
        activation.
    dropout : float or sequence of float, default=0.1
        Dropout rate after every hidden layer, or one rate per layer.
    optimizer : {"adam", "adamw", "nadam", "adamax", "rmsprop", "sgd", \
            "adagrad", "lion"}, default="adam"
        Keras optimizer.
    learning_rate : float, default=1e-3
        Initial learning rate of the optimizer.
    l2 : float, default=0.0
        L2 penalty on every kernel.
    batch_size : int, default=32
        Rows per optimiser step.
    epochs : int, default=200
        Maximum number of passes over the training rows.
    weight_averaging : float in [0, 1), default=0.5
        Momentum ``m`` of the weights' moving average over epochs, ``kept =
        m * kept + (1 - m) * trained`` after each epoch: what the validation
        curve, early stopping and the fitted model use (the optimiser and
        the training loss follow the trained weights). ``0``, and each
        ``partial_fit`` call (one epoch), keep the epoch's own weights.
    validation_split : float in [0, 1), default=0.1
        Fraction of the rows held out (shuffled, seeded by ``random_state``)
        to draw the validation curves and to stop early; ``0`` trains on
        every row.
    early_stopping : bool, default=True
        Stop when ``monitor`` has not improved for ``patience`` epochs and
        restore the weights of its best epoch.
    patience : int, default=10
        Epochs without improvement before stopping.
    monitor : str, default="val_loss"
        Quantity watched by early stopping and :attr:`best_epoch_`:
        ``"val_loss"`` (minimised), ``"val_r2"`` or ``"val_<scorer>"`` for
        any scorer in ``scoring`` (maximised).
    scoring : str, list of str or None, default=None
        Extra per-epoch metrics, as scikit-learn scorer names (e.g.
        ``"neg_mean_absolute_error"``), evaluated in the user's units after
        each epoch on the training and validation rows.
    categorical_features : "from_dtype", array-like of str, int or bool, \
            or None, default="from_dtype"
        Which input columns are categorical, as in scikit-learn's
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
        ``"from_dtype"`` takes the DataFrame columns of ``category``,
        ``object``, string and ``bool`` dtype (a numpy array is then all
        numeric); or column names, integer indices, a boolean mask, or
        ``None`` (every column numeric). Categories with few levels are
        one-hot encoded, those with many get a learned embedding; missing
        and unseen levels share an "unknown" slot. See
        :class:`~skdnn.TabularPreprocessor` and the user guide's "Tabular
        input".
    numeric_scaling : {"robust", "standard"} or None, default="robust"
        How the model scales numeric columns before the network (fitted on
        the rows given to ``fit``): ``"robust"`` centres on the median,
        divides by the interquartile range over 1.349 and smoothly clips
        extremes to +-3; ``"standard"`` uses the mean and standard deviation
        (also clipped); ``None`` feeds the numbers unscaled. Missing numbers
        are imputed at the centre, with a missing-indicator input.
    numeric_bins : int or None, default=8
        Each numeric column with more than two distinct values also enters
        as a piecewise-linear encoding over up to this many quantile bins of
        the training rows (Gorishniy et al., 2022), beside its scaled value:
        one network layer can then draw a step or a kink where a tree would
        split. ``None`` feeds the scaled values alone. The hidden widths
        follow the number of columns, not of bins.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks, deep-copied at each fit; epoch-level hooks
        are called with this estimator's logs.
    warm_start : bool, default=False
        Continue training the fitted network on the next call to ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, dropout masks, shuffling and validation split;
        global random states are never touched.
    verbose : int, default=0
        Show progress when positive: in a terminal or notebook one live line
        (epoch k/N, loss, val_loss, elapsed time, ETA) redrawn in place, and
        one plain line per epoch elsewhere (a log file), on stderr.

    Attributes
    ----------
    n_outputs_ : int
        Number of target columns.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    hidden_layer_sizes_ : tuple of int
        The resolved hidden layer widths.
    preprocessor_ : TabularPreprocessor
        The fitted encoding of the input columns (see ``categorical_features``
        and ``numeric_scaling``).
    model_ : keras.Model
        The trained network. It reads the encoded rows,
        ``preprocessor_.transform(X)``, and its outputs are in standardised
        units. Built from the fitted values when first read (training
        builds none), compiled with the optimizer and its state; once read,
        further training (``warm_start``, ``partial_fit``) continues from it
        and updates it.
    history_ : pandas.DataFrame
        One row per epoch, index ``epoch`` starting at 1; columns ``loss``
        and ``r2``, ``val_loss`` and ``val_r2`` with a validation set, the
        ``scoring`` metrics and their ``val_`` counterparts, and
        ``learning_rate``. The losses are in standardised units (a squared
        error of 1 is the target's variance); ``r2`` and the scorers read
        the same in the user's units.
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch with the best ``monitor`` value.
    loss_curve_ : list of float
        Training loss per epoch, as in :class:`~sklearn.neural_network.MLPRegressor`.
    validation_scores_ : list of float or None
        Validation R² per epoch (as ``MLPRegressor`` has it), None without a
        validation set.
    n_validation_samples_ : int
        Rows behind the validation curves (the hold-out or
        ``validation_data``); 0 without a validation set.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer
        perceptron for regression.
    skdnn.TaperedMLPClassifier : The same network for classification.

    Notes
    -----
    The training ``r2`` is computed from the epoch's batches with dropout
    on, as Keras reports training metrics; ``val_r2`` is the R² of the
    held-out rows in inference mode (pooled over the targets in proportion
    to their spread when there are several).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skdnn import TaperedMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = TaperedMLPRegressor(epochs=30, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> list(reg.history_.columns)
    ['loss', 'r2', 'val_loss', 'val_r2', 'learning_rate']
    >>> reg.score(X, y) > 0.4
    True
    """

    _parameter_constraints: dict = {
        **BaseTaperedMLP._parameter_constraints,
        "loss": [StrOptions(set(RegressionHead.LOSSES))],
    }
    _metric_name = "r2"

    def __init__(
        self,
        *,
        loss="squared_error",
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
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            first_units=first_units,
            taper=taper,
            n_layers=n_layers,
            min_units=min_units,
            activation=activation,
            kernel_initializer=kernel_initializer,
            batch_norm=batch_norm,
            dropout=dropout,
            optimizer=optimizer,
            learning_rate=learning_rate,
            l2=l2,
            batch_size=batch_size,
            epochs=epochs,
            weight_averaging=weight_averaging,
            validation_split=validation_split,
            early_stopping=early_stopping,
            patience=patience,
            monitor=monitor,
            scoring=scoring,
            categorical_features=categorical_features,
            numeric_scaling=numeric_scaling,
            numeric_bins=numeric_bins,
            callbacks=callbacks,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.loss = loss

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train the network and record its learning curves.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Numeric targets, in any units.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the training loss.
        validation_data : tuple (X_val, y_val), default=None
            Validation set replacing the ``validation_split`` hold-out.

        Returns
        -------
        self : TaperedMLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, without a validation hold-out.

        The first call learns the target's standardisation from its rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Numeric targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the training loss.

        Returns
        -------
        self : TaperedMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, None, incremental=True)

    def predict(self, X):
        """Predicted target of each row, in the units of ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions; 1d when ``y`` was 1d.
        """
        return self._predictions(self._validate_for_predict(X))

    # ------------------------------------------------------------------
    # Hooks of the shared core: what is about continuous targets
    # ------------------------------------------------------------------

    @property
    def _head(self):
        return RegressionHead(self.loss)

    def _validate_input(self, X, y=None, *, reset):
        if y is not None:
            _check_numeric_target(y)
        return super()._validate_input(X, y, reset=reset)

    _y_validation = {"y_numeric": True}

    def _check_y(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1d or 2d; got {y.ndim}d.")
        return y

    def _learn_targets(self, y, classes):
        self._target_kind = "regression"
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self._target_1d = y.ndim == 1
        return y.reshape(y.shape[0], -1)

    @property
    def _n_targets(self) -> int:
        return self.n_outputs_

    def _encode_targets(self, y, name):
        Y = y.reshape(y.shape[0], -1)
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{name} has {Y.shape[1]} target columns; the model was fit "
                f"with {self.n_outputs_}."
            )
        return Y

    def _standardize_targets(self, Y, rows):
        train = Y[rows]
        self._target_mean = train.mean(axis=0)
        scale = train.std(axis=0)
        # a constant target keeps its units: there is no spread to scale by
        tiny = np.finfo(np.float32).eps * np.maximum(1.0, np.abs(self._target_mean))
        scale[~(scale > tiny)] = 1.0
        self._target_scale = scale
        return self._rescale_targets(Y)

    def _rescale_targets(self, Y):
        return ((Y - self._target_mean) / self._target_scale).astype(np.float32)

    def _decode_targets(self, Y):
        y = Y * self._target_scale + self._target_mean
        return y.ravel() if self._target_1d else y

    def _target_weights(self, y):
        return None

    def _stratify_codes(self, Y):
        return None

    def _check_training_targets(self, Y, weights, rows):
        if not np.any(weights[rows] > 0):
            raise ValueError("sample_weight is zero for every training row.")

    def _snapshot(self):
        return _EpochSnapshot(self)

    def _predictions(self, X):
        return self._decode_targets(self._output(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class _EpochSnapshot(RegressorMixin, BaseEstimator):
    """The network being trained, as a scorer sees it after an epoch."""

    def __init__(self, owner):
        self.owner = owner

    def predict(self, X):
        return self.owner._predictions(X)


def _check_numeric_target(y) -> None:
    """Refuse a target that is not numbers, with a message naming it."""
    values = np.asarray(y)
    if values.dtype.kind in "OUSV":
        try:
            values.astype(np.float64)
        except (TypeError, ValueError):
            sample = [v for v in values.ravel()[:50] if not _is_number(v)][:3]
            raise ValueError(
                "TaperedMLPRegressor needs a numeric y; it holds values such as "
                f"{sample}. For class labels use TaperedMLPClassifier."
            ) from None


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
