"""What a task means to the network: its output, link, loss and epoch metric.

One head per task, in the manner of scikit-learn's loss objects: the output
activation the Keras model ends with, the per-row loss computed from the
output logits (once in Keras operations, traced into the training step, and
once in numpy, for the validation curve), the metric recorded each epoch
and the link from logits to what ``predict_proba``/``predict`` return. The
estimators, the training step and the numpy inference read the task from
here and nowhere else.

Targets reach a head already encoded by the estimator: ``int32`` class
indices of shape ``(n,)`` (multiclass), ``float32`` 0/1 of shape ``(n, k)``
(binary with ``k = 1``, multilabel), or standardised ``float32`` values of
shape ``(n, k)`` (regression).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp

# Keras clips probabilities to [eps, 1 - eps] in its cross-entropies; the
# loss from probabilities (Keras-fallback inference) uses the same bound.
_EPSILON = 1e-7


class _Head:
    """Shared behaviour of the heads; subclasses fill in the task."""

    #: Name of the task, as the estimators and the persisted state spell it.
    kind: str
    #: Keras activation of the output layer.
    output_activation: str
    #: dtype of the encoded targets.
    y_dtype: str = "float32"
    #: Number of dimensions of the encoded targets.
    y_ndim: int = 2
    #: Name of the metric recorded each epoch beside the loss.
    metric_name: str = "accuracy"
    #: The Keras loss of ``model.compile`` (for Keras's own fit and users).
    keras_loss: str = "binary_crossentropy"

    def n_outputs(self, n_targets: int) -> int:
        """Output units for ``n_targets`` classes, labels or target columns."""
        return n_targets

    # Keras side: traced into the compiled training step.

    def training_loss(self, y, logits):
        """Per-row loss from the output logits, in Keras operations."""
        raise NotImplementedError

    def training_metric(self, y, logits, mask=None):
        """The batch's sum over rows of the epoch metric, in Keras operations.

        ``mask``, one 0 or 1 per row, leaves out the rows at 0 (the padding
        of a partial batch).
        """
        rows = self.metric_rows(y, logits)
        if mask is not None:
            rows = rows * mask
        return _keras().ops.sum(rows)

    def metric_rows(self, y, logits):
        """The epoch metric of each row, in Keras operations."""
        raise NotImplementedError

    # numpy side: the validation curve and inference.

    def loss(self, Y: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """Per-row loss from the output logits."""
        raise NotImplementedError

    def loss_from_output(self, Y: np.ndarray, output: np.ndarray) -> np.ndarray:
        """Per-row loss from the activated output (when logits are unknown)."""
        raise NotImplementedError

    def metric_sum(self, Y: np.ndarray, output: np.ndarray) -> float:
        """Sum over rows of the epoch metric, from the activated output."""
        raise NotImplementedError

    def finish_metric(self, total: float, n_rows: int, Y=None) -> float:
        """The epoch metric from its sum over ``n_rows`` rows.

        ``Y``, the encoded targets of those rows, is given when they are at
        hand (the validation set): a metric relative to the targets' spread
        is then exact rather than relative to the training rows' spread.
        """
        return total / n_rows if n_rows else float("nan")

    def link(self, logits: np.ndarray) -> np.ndarray:
        """The activated output for the logits (a new array)."""
        raise NotImplementedError

    def initial_bias(self, Y, weights, n_outputs: int):
        """The output bias a new network starts from (``n_outputs`` values),
        or None for zeros.

        A classifier's output starts at the weighted frequencies of the
        training targets (their log-odds or log-frequencies), the constant
        the loss is lowest at, rather than at even odds: an untrained or
        briefly trained network then predicts the class prior, which the
        ``"balanced_logits"`` shift divides out, instead of even odds that
        the shift would tip towards the rare classes. Each class or label
        counts one row's weight more on either side, so that a frequency
        of 0 or 1 gives a finite bias. The first chunk of a ``partial_fit``
        stream sets it too, even when it lacks a class: the classifier moves
        the bias as later chunks move the prior, so a class first seen later
        rises with its count. (Starting such a stream at even odds instead
        left the bias there, and the shift handed the rare class every
        decision: a stream whose first chunk held no positives predicted
        nothing else.)
        """
        return None

    def prior_bias(self, counts: np.ndarray) -> np.ndarray:
        """The output bias whose untrained output is the prior of ``counts``:
        those of each class (or, per label, of its 0s then its 1s)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryHead(_Head):
    """Two classes: one sigmoid output, the probability of the second.

    Examples
    --------
    >>> import numpy as np
    >>> head = BinaryHead()
    >>> head.loss(np.array([[1.0]]), np.array([[0.0]])).round(4)
    array([0.6931])
    """

    kind = "binary"
    output_activation = "sigmoid"

    def n_outputs(self, n_targets: int) -> int:
        return 1

    def training_loss(self, y, logits):
        keras = _keras()
        return keras.losses.binary_crossentropy(y, logits, from_logits=True)

    def metric_rows(self, y, logits):
        ops = _keras().ops
        # sigmoid(z) > 0.5 exactly when z > 0
        hit = ops.cast(ops.equal(logits > 0, y > 0.5), "float32")
        return ops.mean(hit, axis=-1)

    def loss(self, Y, logits):
        return np.mean(np.logaddexp(0.0, logits) - Y * logits, axis=1)

    def loss_from_output(self, Y, output):
        proba = np.clip(output, _EPSILON, 1 - _EPSILON)
        return -np.mean(Y * np.log(proba) + (1 - Y) * np.log(1 - proba), axis=1)

    def metric_sum(self, Y, output):
        return float(np.sum(np.mean((output > 0.5) == (Y > 0.5), axis=1)))

    def link(self, logits):
        return expit(logits)

    def initial_bias(self, Y, weights, n_outputs):
        weights = np.asarray(weights, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        on = weights @ Y
        return self.prior_bias(np.stack([weights.sum() - on, on]) + weights.mean())

    def prior_bias(self, counts):
        counts = np.asarray(counts, dtype=np.float64)
        return np.atleast_1d(np.log(counts[1] / counts[0]))


class MultilabelHead(BinaryHead):
    """Independent labels: one sigmoid output per label.

    Examples
    --------
    >>> MultilabelHead().n_outputs(3)
    3
    """

    kind = "multilabel"

    def n_outputs(self, n_targets: int) -> int:
        return n_targets

    # The epoch's accuracy is scikit-learn's for multilabel targets (the
    # estimator's ``score``): a row counts when every label is right, not
    # each label on its own.

    def metric_rows(self, y, logits):
        ops = _keras().ops
        hit = ops.cast(ops.equal(logits > 0, y > 0.5), "float32")
        return ops.min(hit, axis=-1)

    def metric_sum(self, Y, output):
        return float(np.sum(np.all((output > 0.5) == (Y > 0.5), axis=1)))


class MulticlassHead(_Head):
    """Three classes or more: a softmax over one output per class.

    Examples
    --------
    >>> import numpy as np
    >>> head = MulticlassHead()
    >>> head.link(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """

    kind = "multiclass"
    output_activation = "softmax"
    keras_loss = "sparse_categorical_crossentropy"
    y_dtype = "int32"
    y_ndim = 1

    def training_loss(self, y, logits):
        keras = _keras()
        return keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)

    def metric_rows(self, y, logits):
        ops = _keras().ops
        predicted = ops.cast(ops.argmax(logits, axis=-1), "int32")
        return ops.cast(ops.equal(predicted, y), "float32")

    def loss(self, Y, logits):
        rows = np.arange(Y.shape[0])
        return logsumexp(logits, axis=1) - logits[rows, Y]

    def loss_from_output(self, Y, output):
        rows = np.arange(Y.shape[0])
        return -np.log(np.clip(output[rows, Y], _EPSILON, 1))

    def metric_sum(self, Y, output):
        return float(np.sum(np.argmax(output, axis=1) == Y))

    def initial_bias(self, Y, weights, n_outputs):
        weights = np.asarray(weights, dtype=np.float64)
        counts = np.bincount(Y, weights=weights, minlength=n_outputs)
        return self.prior_bias(counts + weights.mean())

    def prior_bias(self, counts):
        log_frequency = np.log(np.asarray(counts, dtype=np.float64))
        return log_frequency - log_frequency.mean()

    def link(self, logits):
        z = logits - logits.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z


class RegressionHead(_Head):
    """Continuous targets: one linear output per (standardised) target.

    The epoch metric is R² of the standardised targets: on the validation
    rows, each target's R² averaged (scikit-learn's ``r2_score``); on the
    training rows, where every standardised target has mean 0 and variance
    1, the pooled R², which is then that average too. R² is unchanged by the
    standardisation, so it reads in the user's units too.

    Parameters
    ----------
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        The training loss (Keras's mean squared error, mean absolute error,
        or Huber loss with ``delta=1``, in standardised units).

    Examples
    --------
    >>> import numpy as np
    >>> head = RegressionHead("absolute_error")
    >>> head.loss(np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]]))
    array([2.])
    """

    kind = "regression"
    output_activation = "linear"
    metric_name = "r2"
    LOSSES = ("squared_error", "absolute_error", "huber")
    #: Huber's switch from quadratic to linear, in standardised units.
    HUBER_DELTA = 1.0

    def __init__(self, loss: str = "squared_error", held=None):
        if loss not in self.LOSSES:
            raise ValueError(f"loss must be one of {self.LOSSES}; got {loss!r}.")
        self.loss_name = loss
        # targets constant at fit, which the estimator predicts exactly (0
        # here, standardised): the validation R² scores what it predicts
        self.held = None if held is None or not np.any(held) else np.asarray(held)
        self.keras_loss = {
            "squared_error": "mean_squared_error",
            "absolute_error": "mean_absolute_error",
            "huber": "huber",
        }[loss]

    def training_loss(self, y, logits):
        keras = _keras()
        if self.loss_name == "squared_error":
            return keras.losses.mean_squared_error(y, logits)
        if self.loss_name == "absolute_error":
            return keras.losses.mean_absolute_error(y, logits)
        return keras.losses.huber(y, logits, delta=self.HUBER_DELTA)

    def metric_rows(self, y, logits):
        ops = _keras().ops
        return ops.mean(ops.square(y - logits), axis=-1)

    def loss(self, Y, logits):
        error = logits - Y
        if self.loss_name == "squared_error":
            return np.mean(np.square(error), axis=1)
        if self.loss_name == "absolute_error":
            return np.mean(np.abs(error), axis=1)
        delta = self.HUBER_DELTA
        small = np.abs(error) <= delta
        huber = np.where(
            small, 0.5 * np.square(error), delta * (np.abs(error) - 0.5 * delta)
        )
        return np.mean(huber, axis=1)

    def loss_from_output(self, Y, output):
        return self.loss(Y, output)

    def metric_sum(self, Y, output):
        # per target: the validation R² averages the targets' own
        if self.held is not None and self.held.shape == (output.shape[1],):
            output = np.where(self.held, 0.0, output)
        error = np.square(Y.astype(np.float64) - output)
        return np.sum(error, axis=0) / Y.shape[1]

    def finish_metric(self, total, n_rows: int, Y=None) -> float:
        # Without Y: the training rows (a sum over rows of each row's mean
        # squared error), on which every standardised target has mean 0 and
        # mean square 1, so the total sum of squares is n and the pooled R²
        # is the targets' average.
        if Y is None:
            spread = float(n_rows)
            return 1.0 - float(np.sum(total)) / spread if spread > 0 else float("nan")
        if n_rows < 2:  # as r2_score: undefined on one row
            return float("nan")
        # With Y (the validation rows): each target's R², averaged as
        # scikit-learn's r2_score does by default; a target of one value on
        # these rows scores 1 when predicted exactly and 0 otherwise, as
        # there.
        error = np.asarray(total, dtype=np.float64) * Y.shape[1]
        Y = np.asarray(Y, dtype=np.float64)
        constant = np.ptp(Y, axis=0) == 0
        spread = np.sum(np.square(Y - Y.mean(axis=0)), axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(constant, (error == 0) * 1.0, 1.0 - error / spread)
        return float(np.mean(r2))

    def link(self, logits):
        return np.array(logits, dtype=np.float64)

    def __repr__(self) -> str:
        return f"RegressionHead({self.loss_name!r})"


_CLASSIFICATION_HEADS = {
    head.kind: head for head in (BinaryHead(), MultilabelHead(), MulticlassHead())
}


def get_head(kind: str, loss: str = "squared_error") -> _Head:
    """The head of a task.

    Parameters
    ----------
    kind : {"binary", "multiclass", "multilabel", "regression"}
        The task.
    loss : str, default="squared_error"
        The regression loss (ignored for classification).

    Returns
    -------
    head
        The head object.

    Examples
    --------
    >>> get_head("multiclass").output_activation
    'softmax'
    >>> get_head("regression", "huber")
    RegressionHead('huber')
    """
    if kind == "regression":
        return RegressionHead(loss)
    try:
        return _CLASSIFICATION_HEADS[kind]
    except KeyError:
        raise ValueError(
            f"unknown task {kind!r}; expected one of "
            f"{[*_CLASSIFICATION_HEADS, 'regression']}."
        ) from None


def _keras():
    from skdnn._keras import import_keras

    return import_keras()
