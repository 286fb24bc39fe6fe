"""TaperedMLPRegressor: the tapered network for continuous targets.

What is about continuous targets lives here (the numeric checks of ``y``,
its standardisation, the loss choice, predictions in the user's units); the
training machinery is shared with the classifier in :mod:`skdnn._base`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from skdnn._base import BaseTaperedMLP
from skdnn._heads import RegressionHead
from skdnn._preprocessing import _mean_and_std
from skdnn._shared_api import estimator_signature, fill_doc, shared_parameters
from skdnn._user_warnings import user_stacklevel


@fill_doc
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
        the Huber loss with ``delta=1``. For the two robust losses the
        target is centred on its median and scaled by the standard
        deviation of its values clipped to their 5th and 95th percentiles
        (at least a tenth of the plain one), which a few gross outliers do
        not inflate; squared error scales it by its mean and standard
        deviation.
    %(architecture_parameters)s
    validation_split : float in [0, 1), default=0.1
        Fraction of the rows held out (shuffled, seeded by ``random_state``)
        to draw the validation curves and to stop early; ``0`` trains on
        every row.
    %(stopping_parameters)s
    monitor : str, default="val_loss"
        Quantity watched by early stopping and :attr:`best_epoch_`:
        ``"val_loss"`` (minimised), ``"val_r2"`` or ``"val_<scorer>"`` for
        any scorer in ``scoring`` (maximised).
    scoring : str, callable, list, tuple, dict or None, default=None
        Extra per-epoch metrics, evaluated in the user's units after each
        epoch on the training and validation rows and recorded in
        :attr:`history_` as ``"<name>"`` and ``"val_<name>"``. As
        scikit-learn's searches take it: a scorer name
        (``"neg_mean_absolute_error"``), a list of names, a callable scorer,
        recorded as ``"score"``, or a dict of column names to names or
        callables. ``"r2"`` is recorded on every fit: asking for it adds
        nothing. The rows are scored unweighted, as scikit-learn's searches
        score them (the losses weigh them by ``sample_weight``). An epoch
        whose predictions a scorer cannot score (a Poisson or Gamma
        deviance of a prediction at or below 0) is recorded as NaN, with
        a warning.
    %(input_parameters)s

    Attributes
    ----------
    n_outputs_ : int
        Number of target columns.
    %(input_attributes)s
    model_ : keras.Model
        The trained network. It reads the encoded rows,
        ``preprocessor_.transform(X)``; its outputs are in standardised
        units.
        %(model_built)s
    history_ : pandas.DataFrame
        One row per epoch, index ``epoch`` starting at 1; columns ``loss``
        and ``r2``, ``val_loss`` and ``val_r2`` with a validation set, the
        ``scoring`` metrics and their ``val_`` counterparts, and
        ``learning_rate``. The losses are in standardised units (a squared
        error of 1 is the target's variance); ``r2`` and the scorers read
        the same in the user's units.
    %(epoch_attributes)s
    loss_curve_ : list of float
        Training loss per epoch, as in :class:`~sklearn.neural_network.MLPRegressor`.
    validation_scores_ : list of float or None
        Validation R² per epoch (as ``MLPRegressor`` has it), None without a
        validation set.
    %(mlp_attributes)s
    %(validation_attributes)s

    See Also
    --------
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer
        perceptron for regression.
    skdnn.TaperedMLPClassifier : The same network for classification.

    Notes
    -----
    %(training_notes)s

    The training ``r2`` is computed from the epoch's batches with dropout
    on, as Keras reports training metrics; ``val_r2`` is the R² of the
    held-out rows in inference mode, each target's averaged as
    :func:`~sklearn.metrics.r2_score` (and :meth:`score`) average them.

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

    def __init__(self, *, loss="squared_error", **params):
        super().__init__(
            **shared_parameters(type(self), params, BaseTaperedMLP.__init__)
        )
        self.loss = loss

    __init__.__signature__ = estimator_signature(__init__, BaseTaperedMLP.__init__)

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
            The estimator, trained for one more epoch.
        """
        return self._fit(X, y, sample_weight, None, incremental=True)

    def predict(self, X):
        """Predicted target of each row, in the units of ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict, with the columns seen at fit.

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
        scale = getattr(self, "_target_scale", None)
        return RegressionHead(self.loss, None if scale is None else scale == 0)

    def _check_target_values(self, y) -> None:
        super()._check_target_values(y)  # pd.NA is no number either
        _check_numeric_target(y)

    _y_validation = {"y_numeric": True}
    _missing_targets = "values", "impute them"
    _scorer_recorded = "r2"  # the R² of the predictions, in any units

    def _check_y(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1d or 2d; got {y.ndim}d.")
        if not np.isfinite(y).all():  # an object y's inf passed sklearn's check
            raise ValueError(
                "Input y contains infinity or a value too large for dtype('float64')."
            )
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
        # per column, safe from overflow for values beyond about 1e154
        moments = np.array([_mean_and_std(column) for column in train.T])
        self._target_mean = moments[:, 0]
        scale = moments[:, 1].copy()
        if self.loss != "squared_error":
            # a robust loss on robustly scaled targets: Huber's delta of 1 is
            # one spread that a few gross outliers do not inflate (scaled by
            # a standard deviation they ruled, every clean residual fell in
            # Huber's quadratic zone)
            self._target_mean, scale = _median_and_spread(train, moments)
        # a target of one value on every row is constant, however its mean
        # rounds (any other spread, 1e-9 in targets of 1e-9 or 1 in targets
        # of 1e15, is one to scale by: the network trains on the standardised
        # target in float32 either way). Its scale is 0: the network trains
        # on 0s and predicts the constant exactly (scaled by 1, its output's
        # noise came out in the target's units, +-0.1 around 1e-6)
        constant = np.all(train == train[:1], axis=0)
        scale[constant] = 0.0
        self._target_scale = scale
        self._target_mean[constant] = train[0, constant]  # exactly, not rounded
        if constant.any():
            which = (
                "y is"
                if constant.all()
                else (f"output(s) {np.flatnonzero(constant).tolist()} of y are")
            )
            warnings.warn(
                f"{which} constant on the training rows: the network has "
                "nothing to learn there and predicts that value.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        # the spread of the standardised targets, for the training R² to be
        # relative to (see _fit_metric): 1 per output scaled by its standard
        # deviation, (std / scale)² by a robust spread, 0 for a constant one
        safe = np.where(scale > 0, scale, 1.0)
        self._varying_share = float(
            np.mean(np.where(constant, 0.0, (moments[:, 1] / safe) ** 2))
        )
        Y = self._rescale_targets(Y)
        # the constant a network that learnt nothing predicts, standardised:
        # the training mean (0) for squared errors, else the median
        self._target_guess = (
            np.zeros(Y.shape[1])
            if self.loss == "squared_error"
            else np.median(Y[rows], axis=0).astype(np.float64)
        )
        return Y

    def _learn_output_shift(self, Y, sample_weight, accumulate, val=None):
        """No output shift; the validation loss of the constant guess
        (``_validation_guess_loss``), which :func:`~skdnn.diagnose` reads
        as the loss a network that learnt nothing from the features scores."""
        guess = getattr(self, "_target_guess", None)
        self._validation_ruled_by = None
        if val is None or guess is None or not len(val.Y):
            return
        rows = self._head.loss(val.Y, np.broadcast_to(guess, val.Y.shape))
        weights = np.asarray(val.weights, dtype=np.float64)
        if weights.sum() > 0:
            self._validation_guess_loss = float(np.average(rows, weights=weights))
            self._validation_ruled_by = _ruling_rows(rows * weights)

    def _fit_metric(self, metric):
        # the compiled loop divides by n, the spread of standardised targets
        # that all vary; constant ones (left in their units) add none
        # (none varies: predict gives the constants, an R² of 1 as scikit-learn's)
        share = getattr(self, "_varying_share", 1.0)
        return 1.0 - (1.0 - metric) / share if share > 0 else 1.0

    def _rescale_targets(self, Y, continuing=False):
        held = self._target_scale == 0
        if continuing and held.any():
            # a continued fit (warm_start, a stream's later chunk) whose
            # targets vary where the first fit's were constant: that output
            # is learnt from now on, scaled by this call's spread (held at
            # the constant, the network could never leave it; scaled by 1, a
            # spread of 300 trained in its units and stayed at an R² of 0)
            varies = held & (np.ptp(Y, axis=0) > 0)
            if varies.any():
                spread = np.array([_mean_and_std(column)[1] for column in Y.T])
                scale = np.where(varies, spread, self._target_scale)
                self._target_scale = scale
                self._varying_share = float(np.mean(scale > 0))
        scale = np.where(self._target_scale > 0, self._target_scale, 1.0)
        return ((Y - self._target_mean) / scale).astype(np.float32)

    def _decode_targets(self, Y):
        y = Y * self._target_scale + self._target_mean
        return y.ravel() if self._target_1d else y

    def _target_weights(self, y, sample_weight=None):
        return None

    def _stratify_codes(self, Y):
        return None

    def _check_training_targets(self, Y, weights, rows, *, incremental=False):
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


#: The robust losses scale the target by its standard deviation once
#: clipped to these percentiles: a few gross outliers (up to 5 % of the
#: rows each side) do not inflate it, a wide tail of many rows does.
ROBUST_PERCENTILES = (5.0, 95.0)
#: ... and by no less than the plain standard deviation over this: where a
#: percentile falls in a gap (a target 94 % zeros), the clipped spread
#: collapses, and the rare values sat tens of spreads away.
ROBUST_FLOOR = 10.0


#: A validation loss is ruled by a few rows when the ``RULING_ROWS`` share
#: of its rows that a constant guess misses most carries at least
#: ``RULING_SHARE`` of that guess's loss (under 0.5 on the clean real
#: tables of the benchmarks, with every loss; 0.9 and more with 2 % of the
#: targets mistyped a hundred-fold).
RULING_ROWS, RULING_SHARE = 0.05, 0.6


def _ruling_rows(losses: np.ndarray) -> tuple[int, float] | None:
    """``(k, share)`` when the ``k`` rows of ``RULING_ROWS`` with the
    largest of ``losses`` (a constant guess's, weighted, per validation row)
    carry ``share`` of their sum, ``RULING_SHARE`` or more; None otherwise."""
    losses = np.asarray(losses, dtype=np.float64)
    total = float(losses.sum())
    if not (np.isfinite(total) and total > 0):
        return None
    k = max(1, math.ceil(RULING_ROWS * len(losses)))
    share = float(np.sort(losses)[::-1][:k].sum() / total)
    return (k, share) if share >= RULING_SHARE else None


def _median_and_spread(train: np.ndarray, moments: np.ndarray):
    """Each column's median and the standard deviation of its values clipped
    to ``ROBUST_PERCENTILES`` (the plain one where that is 0: a column
    mostly of one value).

    Not the interquartile range: a target of 80 % rows in a tight cluster
    and 20 % in a wide tail scaled by it put the tail hundreds of units
    away, and the network never reached it (test R² 0.78 fell to 0.19).
    """
    median = np.median(train, axis=0)
    low, high = np.percentile(train, ROBUST_PERCENTILES, axis=0)
    floor = moments[:, 1] / ROBUST_FLOOR
    spread = np.array(
        [
            _mean_and_std(np.clip(c, lo, hi))[1]
            for c, lo, hi in zip(train.T, low, high, strict=True)
        ]
    )
    spread = np.maximum(spread, floor)
    ok = np.isfinite(spread) & (spread > 0) & np.isfinite(median)
    return np.where(ok, median, moments[:, 0]), np.where(ok, spread, moments[:, 1])


def _check_numeric_target(y) -> None:
    """Refuse a target that is not numbers, with a message naming it."""
    values = np.asarray(y)
    if values.dtype.kind in "mM":  # read as integers of an unstated unit
        raise ValueError(
            f"TaperedMLPRegressor needs a numeric y; it holds {values.dtype} "
            "dates or durations. Turn them into numbers in the unit you mean, "
            "as in (y - y.min()) / pd.Timedelta(days=1)."
        )
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
