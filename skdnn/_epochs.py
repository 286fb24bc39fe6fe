"""The epoch loop's bookkeeping: kept weights, the best epoch, the average.

Plain numpy, no Keras: what :meth:`skdnn._base.BaseTaperedMLP._train` keeps
from one epoch to the next.
"""

from __future__ import annotations

import contextvars
import copy
import math
import numbers
import warnings

import numpy as np

from skdnn._user_warnings import user_stacklevel

#: True inside a search's fits (DesignSearchCV): Ctrl-C during a fit raises
#: KeyboardInterrupt, which stops the search, instead of keeping the epochs
#: done (what a fit of one's own does, as scikit-learn's MLPClassifier's).
STOP_ON_INTERRUPT = contextvars.ContextVar("skdnn_stop_on_interrupt", default=False)


class Weights:
    """The network's weights at one epoch, with their numpy inference plan."""

    __slots__ = ("plan", "values")

    def __init__(self, values, plan):
        self.values, self.plan = values, plan


class BestEpoch:
    """Track the best epoch of the monitored quantity (early stopping).

    ``waited`` counts the epochs since the last improvement. With ``keep``,
    the weights of the best epoch are kept to be restored at the end.
    """

    def __init__(self, monitor: str, maximise: bool, *, keep: bool):
        self.monitor, self.maximise, self.keep = monitor, maximise, keep
        self.value = self.epoch = self.weights = None
        self.waited = self.undefined = 0

    def update(self, epoch: int, row: dict, weights: Weights) -> None:
        value = row.get(self.monitor, np.nan)
        if not np.isfinite(value):
            # an epoch the monitor cannot judge (a score undefined on the
            # hold-out) neither improves nor waits: all-NaN scores stopped
            # training after `patience` epochs and kept the first epoch's
            self.undefined += 1
            return
        if self.value is None or (
            value > self.value if self.maximise else value < self.value
        ):
            self.value, self.epoch, self.waited = value, epoch, 0
            if self.keep:
                self.weights = weights
        else:
            self.waited += 1

    def warn_if_never_measured(self, n_epochs: int) -> None:
        """Warn when the monitor was undefined at every one of the epochs."""
        if n_epochs and self.undefined == n_epochs and self.monitor != "loss":
            warnings.warn(
                f"monitor={self.monitor!r} was undefined (NaN) at every epoch "
                "(a score of a hold-out lacking a class, a deviance of "
                "predictions at or below 0), so early stopping "
                "could not follow it and the last epoch's weights are kept; "
                "monitor='val_loss' follows the validation loss.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )


class WeightAverage:
    """Exponential moving average of the weights at the end of each epoch.

    After epoch :math:`t` the average is :math:`a_t = m a_{t-1} + (1 - m)
    w_t` (Polyak averaging, one step per epoch), starting from the first
    epoch's weights; ``momentum`` :math:`m = 0` keeps each epoch's own
    weights. Every update returns new arrays, so weights kept earlier stay
    as they were. Only floating-point arrays are averaged (a counter or an
    integer state is the epoch's own).

    >>> average = WeightAverage(0.5)
    >>> average.update([np.array([0.0, 4.0])])
    [array([0., 4.])]
    >>> average.update([np.array([2.0, 0.0])])
    [array([1., 2.])]
    """

    def __init__(self, momentum: float):
        self.momentum = float(momentum)
        self.values: list[np.ndarray] | None = None

    def update(self, weights: list[np.ndarray]) -> list[np.ndarray]:
        """Fold one epoch's weights into the average; the new average."""
        m = self.momentum
        if self.values is None or m == 0.0:
            self.values = list(weights)
        else:
            self.values = [
                (m * a + (1.0 - m) * w).astype(w.dtype, copy=False)
                if w.dtype.kind == "f"
                else w
                for a, w in zip(self.values, weights, strict=True)
            ]
        return self.values


class NoCallbacks:
    """Stands in for a Keras CallbackList when there are no callbacks."""

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...


def seed_sequence(random_state) -> np.random.SeedSequence:
    """The seed sequence of a fit: from an int, fresh entropy for None, and
    a draw from a ``RandomState`` instance, as scikit-learn estimators do."""
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, numbers.Integral):
        return np.random.SeedSequence(int(random_state))
    return np.random.SeedSequence(int(random_state.randint(0, 2**31 - 1)))


def callback_list(estimator, epochs: int):
    """A Keras CallbackList of copies of the estimator's ``callbacks`` (so
    the estimator stays clone-safe), acting on its ``model_``; a
    :class:`NoCallbacks` without any."""
    if not estimator.callbacks:
        return NoCallbacks()
    from skdnn._keras import import_keras

    keras = import_keras()
    return keras.callbacks.CallbackList(
        [copy.deepcopy(c) for c in estimator.callbacks],
        add_history=False,
        add_progbar=False,
        model=estimator.model_,
        epochs=epochs,
        verbose=estimator.verbose,
    )


def divergence_advice(estimator) -> str:
    """What to change after a divergence: the learning rate, and the
    scaling of the features where the estimator does not scale them."""
    advice = f"Lower learning_rate (now {estimator.learning_rate})"
    if getattr(estimator, "numeric_scaling", "robust") is None:
        # the network reads the numbers as they come
        advice += " or scale the features (numeric_scaling='robust')"
    return advice + "."


def divergence(loss: float, weights) -> str | None:
    """Why an epoch diverged (a non-finite loss or weights), or None."""
    if not math.isfinite(loss):
        return f"loss={loss}"
    if not all(np.isfinite(w).all() for w in weights):
        return "the weights overflowed"
    return None
