"""Training epochs compiled once per architecture, on any Keras 3 backend.

The estimator owns the loop over epochs (validation, history, callbacks,
early stopping); this module only runs the optimiser steps of one epoch over
a given order of rows and returns the epoch's mean loss and epoch metric.

A search fits many networks of one architecture: the same layers, widths,
activations and optimizer, with other seeds, data, dropout masks or
learning rates. Keras 3's ``model.stateless_call`` and
``optimizer.stateless_apply`` make an optimiser step a pure function of the
weights, the optimizer's state and the batch, so the step is traced once per
architecture and kept, with one private model of the architecture, in a
small process-wide cache (:mod:`skdnn._kit`, least recently used first
out). A network in training is only its values (weights, non-trainable
state, optimizer state), passed to the compiled functions and returned by
them: no Keras model or variable is built per fit. The learning rate is
one of the optimizer's values, the dropout masks come from each network's
seed states (non-trainable values) and the dropout rates are an argument
of the compiled functions (:mod:`skdnn._dropout`), so none of them forces
a trace; the batch size is an argument of the TensorFlow function, and the
JAX functions are specialised on it by ``jax.jit``'s own cache of shapes.

On TensorFlow one call runs all the batches of a chunk of rows (at most
``CHUNK_ROWS``) in a graph loop: an epoch of a large table in several
calls, or several whole epochs of a small one (at most ``EPOCHS_PER_CALL``,
each over its own order of rows), since there a call costs more than the
few optimiser steps of an epoch. Such a call returns the state after each
of its epochs, so the estimator reads every epoch as if it had run alone
and, when it stops inside the call, puts the network back to that epoch's
state: the fit is the same, whatever the number of epochs per call.
On a CPU an epoch of many batches (``skdnn._compiled.XLA_MIN_BATCHES``)
runs instead in XLA-compiled calls over padded batches of one shape, as on
JAX below, with the dropout masks drawn by a hash XLA fuses
(:func:`skdnn._dropout.hashed_uniform`): the same numbers as the graph
loops to float32 rounding without dropout, other masks with it.
On JAX full batches run in ``lax.scan`` calls of one length per fit (the
power of two that holds an epoch's full batches, at most
``BATCHES_PER_SCAN`` and a chunk of rows; the spare slots of the last call
are switched off)
and the last, partial batch in one jitted step, so a batch size compiles
one scan per length and one step. Rows are gathered from the caller's
array chunk by chunk and cast to float32 there, so no copy of the training
data is ever made. Other backends use Keras's own ``fit``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from skdnn._compiled import _ops
from skdnn._forward import gather
from skdnn._keras import backend_name

# the cache of architectures, read here and by the tests as this module's
from skdnn._kit import (  # noqa: F401
    _CACHE,
    CACHE_SIZE,
    Kit,
    _all_variables,
    _clone,
    architecture_key,
    cache_info,
    clear_cache,
    kit_for,
    numpy_values,
)
from skdnn._user_warnings import user_stacklevel

# Rows per compiled call (TensorFlow) and per gathered chunk: at most
# CHUNK_ROWS rows of at most CHUNK_VALUES encoded inputs, so the gathered
# float32 chunk stays a few megabytes (8,192 x 40 features is 1.3 MB, and a
# wider encoding, such as 40 numbers and their quantile bins, gets fewer
# rows) however many rows are trained on.
CHUNK_ROWS = 8_192
CHUNK_VALUES = 2**19
# Most batches per scan call (a power of two; JAX's lax.scan calls and
# TensorFlow's XLA calls): an epoch runs in calls of the power of two that
# holds its batches, at most this many and at most a chunk of rows. A call
# costs a copy of the state in and out: 16 a call cost the fit benchmark's
# JAX fit 7 % more time than 128.
BATCHES_PER_SCAN = 128
#: Most epochs one compiled call runs on TensorFlow (a small table's).
EPOCHS_PER_CALL = 8
# Most encoded values such a call's gathered rows may hold (4 MB of
# float32): several epochs a call are for small tables, whose every epoch
# is a fraction of that; a large table's epoch runs alone, in chunks.
EPOCHS_CALL_VALUES = 2**20
# Most values (of weights, non-trainable and optimizer state) a call may
# return for its epochs: 16 MB of float32.
STATE_VALUES = 2**22


class EpochRunner:
    """Run the optimiser steps of epochs of one network.

    Parameters
    ----------
    kit : Kit
        The architecture's compiled functions.
    batch_size : int
        Rows per optimiser step.
    state : list or None
        Every variable's value (see :class:`Kit`) to start from.
    model : keras.Model or None
        A Keras model of the architecture kept in step with the training:
        its values are read before each call and written back after, so
        Keras callbacks see (and may change) the network as it trains.
        Required where Keras's own ``fit`` trains (backends other than
        TensorFlow and JAX); then ``state`` is not used.
    dropout : array-like of float or None
        The rate of each ``Dropout`` layer of the network, which the compiled
        functions take as an argument (:mod:`skdnn._dropout`); None: those
        of ``model``, or else of the kit's template.
    """

    def __init__(
        self, kit: Kit, batch_size: int, state=None, *, model=None, dropout=None
    ):
        from skdnn._dropout import dropout_rates

        self.kit = kit
        self.head = kit.head
        self.model = model
        self.batch_size = int(batch_size)
        self._backend = backend_name()
        compiled = self._backend in ("tensorflow", "jax")
        if model is None and (state is None or not compiled):
            raise ValueError(
                "EpochRunner needs a state on TensorFlow and JAX, and a model elsewhere"
            )
        self.state = None if state is None or not compiled else kit.to_backend(state)
        if dropout is None:
            dropout = kit.dropout_rates if model is None else dropout_rates(model)
        rates = np.asarray(dropout, dtype=np.float32).reshape(-1)
        if rates.shape != kit.dropout_rates.shape:
            raise ValueError(
                f"{rates.size} dropout rates for an architecture of "
                f"{kit.dropout_rates.size} Dropout layers."
            )
        #: the dropout rates, as the compiled functions take them
        self.dropout = _ops().convert_to_tensor(rates) if compiled else rates
        if model is not None and compiled:
            self._read_model()
        #: the network's weights after the last epoch run, as numpy arrays in
        #: the order of ``model.weights`` (that of ``model.get_weights()``)
        self.weights: list[np.ndarray] = self._current_weights()
        #: the learning rate the last epoch ran with
        self.learning_rate: float | None = None
        #: each epoch's weights and learning rate, of the last call of
        #: :meth:`run_epochs`
        self.epoch_weights: list[list[np.ndarray]] = []
        self.epoch_learning_rates: list[float] = []
        # every variable's values after each epoch of the last TensorFlow
        # call, stacked (for keep_epoch)
        self._block_state = None

    def epochs_per_call(self, X, n_rows: int) -> int:
        """How many epochs of ``n_rows`` rows of ``X`` one call should run.

        More than one only on TensorFlow, for epochs that fit several times
        in a chunk of rows, and so that the returned per-epoch states stay
        small.
        """
        if self._backend != "tensorflow" or n_rows == 0 or self._scans(n_rows):
            return 1
        return max(
            1,
            min(
                EPOCHS_PER_CALL,
                self._chunk_cap(X, EPOCHS_CALL_VALUES) // n_rows,
                STATE_VALUES // max(self.kit.n_values, 1),
            ),
        )

    def run(self, X, Y, weights, order: np.ndarray) -> tuple[float, float]:
        """Train on the rows of ``X`` in ``order``; mean loss and epoch metric.

        Afterwards :attr:`weights` and :attr:`learning_rate` hold the
        epoch's weights and learning rate.
        """
        return self.run_epochs(X, Y, weights, [order])[0]

    def run_epochs(self, X, Y, weights, orders: list) -> list[tuple[float, float]]:
        """Train one epoch per order of rows; each epoch's loss and metric.

        Afterwards :attr:`epoch_weights` and :attr:`epoch_learning_rates`
        hold each epoch's weights and learning rate, :attr:`weights` and
        :attr:`learning_rate` the last epoch's, and the network the state
        after the last epoch (see :meth:`keep_epoch`).
        """
        self._block_state = None
        if self._backend not in ("tensorflow", "jax"):
            if len(orders) > 1:
                raise ValueError("Keras's fit runs one epoch per call")
            result = self._run_keras_fit(X, Y, weights, orders[0])
            self._read_state(None)
            return [result]
        if self.model is not None:  # a callback may have changed it
            self._read_model()
        compiled = self.kit.compile()
        if self._backend == "tensorflow":
            results = self._run_tensorflow(compiled, X, Y, weights, orders)
        elif len(orders) > 1:
            raise ValueError("the JAX steps run one epoch per call")
        else:
            results = [self._run_jax(compiled, X, Y, weights, orders[0])]
        self._write_model()
        return results

    def keep_epoch(self, index: int) -> None:
        """Put the network back to its state after epoch ``index`` of the last run.

        When the estimator stops at an epoch before the last one a call ran
        (early stopping, a divergence), the network's weights, non-trainable
        and optimizer state become those after that epoch, as if the later
        epochs had never run.
        """
        state = self._block_state
        if state is None or index == len(self.epoch_weights) - 1:
            return
        self.state = [values[index] for values in state]
        self._write_model()
        self.weights = self.epoch_weights[index]
        self.learning_rate = self.epoch_learning_rates[index]

    def set_weights(self, weights: list) -> None:
        """Set the network's weights (in ``model.weights`` order); the
        optimizer's state and the seed states stay as they are."""
        if self.state is None:
            self.model.set_weights(weights)
        else:
            state = list(self.state)
            for position, value in zip(self.kit.weight_positions, weights, strict=True):
                variable = self.kit.variables[position]
                state[position] = _ops().convert_to_tensor(value, dtype=variable.dtype)
            self.state = state
            self._write_model()
        self.weights = list(weights)

    def weights_set_by_callbacks(self) -> list | None:
        """The model's weights when a Keras callback set others than those
        training left (``EarlyStopping(restore_best_weights=True)`` at the
        end of training); None otherwise, or without callbacks."""
        if self.model is None or self.state is None:
            return None
        current = self.model.get_weights()
        if len(current) != len(self.weights) or all(
            np.array_equal(a, b) for a, b in zip(current, self.weights, strict=True)
        ):
            return None
        return current

    def values(self) -> list[np.ndarray]:
        """Every variable's value, as numpy arrays (see :class:`Kit`)."""
        if self.state is None:
            return numpy_values(_all_variables(self.model))
        return [np.asarray(_ops().convert_to_numpy(v)) for v in self.state]

    def stop_requested(self) -> bool:
        """Whether a Keras callback asked the model to stop training."""
        return bool(self.model is not None and self.model.stop_training)

    def _current_weights(self) -> list[np.ndarray]:
        if self.state is None:
            return self.model.get_weights()
        ops = _ops()
        return [np.asarray(ops.convert_to_numpy(self.state[i]))
                for i in self.kit.weight_positions]  # fmt: skip

    def _read_model(self) -> None:
        self.state = self.kit.to_backend(numpy_values(_all_variables(self.model)))

    def _write_model(self) -> None:
        if self.model is None or self.state is None:
            return
        for variable, value in zip(_all_variables(self.model), self.state, strict=True):
            variable.assign(value)

    def _read_state(self, state, *, stacked: bool = False) -> None:
        """Keep each epoch's weights and learning rate from its final state.

        ``state`` is the flat list of every variable's value (trainable,
        non-trainable, optimizer), each stacked over the epochs of the call
        when ``stacked``, or None to read them from the model.
        """
        kit = self.kit
        if state is None:
            weights = [self.model.get_weights()]
        else:
            # only the weights and the learning rate are read to the host
            values = [np.asarray(state[i]) for i in kit.weight_positions]
            if not stacked:
                values = [value[None] for value in values]
            weights = [[v[j] for v in values] for j in range(values[0].shape[0])]
        # the rate as the steps apply it: the optimizer casts it to the
        # weights' float32, whatever dtype Keras's floatx gave its variable
        if state is not None and kit.lr_position is not None:
            rates = np.asarray(state[kit.lr_position], dtype=np.float32).reshape(-1)
        else:  # a schedule, or Keras's own fit: read it from the optimizer
            model = kit.template if self.model is None else self.model
            optimizer = model.optimizer
            lr = _ops().convert_to_numpy(optimizer.learning_rate)
            rates = np.full(len(weights), np.asarray(lr, dtype=np.float32))
        self.epoch_weights = weights
        self.epoch_learning_rates = [float(r) for r in rates]
        self.weights = weights[-1]
        self.learning_rate = self.epoch_learning_rates[-1]

    def _chunk_cap(self, X, values: int = CHUNK_VALUES) -> int:
        """Most rows of ``X`` a call gathers: ``CHUNK_ROWS``, and ``values``."""
        return min(CHUNK_ROWS, values // max(X.shape[1], 1))

    def _run_tensorflow(self, compiled, X, Y, weights, orders):
        import tensorflow as tf

        n = orders[0].shape[0]
        if len(orders) == 1 and self._scans(n):
            try:
                return [self._run_tensorflow_scans(compiled, X, Y, weights, orders[0])]
            except tf.errors.OpError:
                if compiled.xla_ran:
                    raise
                # no XLA on this platform: the graph loops, from now on
                compiled.xla = False
        batch_size = tf.constant(self.batch_size, tf.int32)
        if len(orders) > 1:  # whole epochs, one after the other, in one call
            rows = np.concatenate(orders)
            losses, metrics, stacked, self.state = compiled(
                self.state, self.dropout, gather(X, rows), Y[rows], weights[rows],
                batch_size, tf.constant(n, tf.int32),
            )  # fmt: skip
            self._read_state(stacked, stacked=True)
            self._block_state = stacked
            losses, metrics = np.asarray(losses), np.asarray(metrics)
            return [
                (float(loss) / n, self.head.finish_metric(float(metric), n))
                for loss, metric in zip(losses, metrics, strict=True)
            ]
        order = orders[0]
        cap = self._chunk_cap(X)
        chunk_rows = self.batch_size * max(1, cap // self.batch_size)
        loss_sum = metric_sum = 0.0
        stacked = None
        for start in range(0, n, chunk_rows):
            rows = order[start : start + chunk_rows]
            loss, metric, stacked, self.state = compiled(
                self.state, self.dropout, gather(X, rows), Y[rows], weights[rows],
                batch_size, tf.constant(rows.shape[0], tf.int32),
            )  # fmt: skip
            # device values: summed lazily, read once per epoch
            loss_sum, metric_sum = loss_sum + loss[0], metric_sum + metric[0]
        self._read_state(stacked, stacked=True)
        return [(float(loss_sum) / n, self.head.finish_metric(float(metric_sum), n))]

    def _scans(self, n_rows: int) -> bool:
        """Whether an epoch of ``n_rows`` rows runs in XLA-compiled calls."""
        return self._backend == "tensorflow" and self.kit.compile().scans(
            n_rows // self.batch_size
        )

    def _scan_length(self, X, n_scanned: int) -> int:
        """Batches per scan call: one length per fit, so one compilation
        serves each batch size (and on JAX one step each size of a partial
        batch that is not padded): the power of two that holds the epoch's
        ``n_scanned`` batches, at most ``BATCHES_PER_SCAN`` and a chunk."""
        most = min(BATCHES_PER_SCAN, max(self._chunk_cap(X) // self.batch_size, 1))
        most = 1 << most.bit_length() - 1
        return min(most, 1 << max(n_scanned - 1, 0).bit_length())

    def _run_tensorflow_scans(self, compiled, X, Y, weights, order):
        """An epoch in XLA-compiled calls of padded batches (see _scan_chunks)."""
        import tensorflow as tf

        b, n = self.batch_size, order.shape[0]
        n_scanned = -(-n // b)  # a partial batch is padded: no batch norm here
        length = self._scan_length(X, n_scanned)
        loss_sum = metric_sum = 0.0
        for x, y, w, mask, sizes, used in _scan_chunks(
            X, Y, weights, order, b, length, n_scanned
        ):
            loss, metric, self.state = compiled.scan(
                self.state, self.dropout, x, y, w, mask, sizes,
                tf.constant(used, tf.int32),
            )  # fmt: skip
            compiled.xla_ran = True
            loss_sum, metric_sum = loss_sum + loss, metric_sum + metric
        self._read_state(self.state)
        return float(loss_sum) / n, self.head.finish_metric(float(metric_sum), n)

    def _run_jax(self, compiled, X, Y, weights, order):
        scan, step, pads = compiled
        n_trainable, n_fixed, _ = self.kit.groups
        flat = self.state
        state = (
            flat[:n_trainable],
            flat[n_trainable : n_trainable + n_fixed],
            flat[n_trainable + n_fixed :],
        )
        b = self.batch_size
        n = order.shape[0]
        # the batches the scans run: the full ones, and the partial last one
        # padded to the full size where the network allows (see
        # skdnn._compiled._jax_steps)
        n_scanned = n // b + (1 if pads and n % b else 0)
        loss_sum = metric_sum = 0.0
        length = self._scan_length(X, n_scanned)
        for x, y, w, mask, sizes, used in _scan_chunks(
            X, Y, weights, order, b, length, n_scanned
        ):
            state, loss, metric = scan(
                state, self.dropout, x, y, w, mask, sizes, np.arange(length) < used
            )
            loss_sum, metric_sum = loss_sum + loss, metric_sum + metric
        if n_scanned * b < n:
            rows = order[n_scanned * b :]
            state, loss, metric = step(
                state, self.dropout, gather(X, rows), Y[rows], weights[rows]
            )
            loss_sum = loss_sum + loss * rows.shape[0]
            metric_sum = metric_sum + metric
        self.state = [value for group in state for value in group]
        self._read_state(self.state)
        return float(loss_sum) / n, self.head.finish_metric(float(metric_sum), n)

    def _run_keras_fit(self, X, Y, weights, order):
        hist = self.model.fit(
            gather(X, order),
            Y[order],
            sample_weight=weights[order],
            batch_size=self.batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
        metric = hist.history.get(self.head.metric_name, [np.nan])[-1]
        return float(hist.history["loss"][-1]), float(metric)


def _scan_chunks(X, Y, weights, order, b: int, length: int, n_scanned: int):
    """The rows of ``n_scanned`` batches of ``b`` rows of ``order``, in
    chunks of ``length`` batches of one shape, for compiled loops of steps.

    Yields ``(x, y, w, mask, sizes, used)``: the chunk's rows gathered as
    ``(length, b, ...)`` arrays, their sample weights, a mask of 1 per real
    row, each batch's number of real rows, and how many of the ``length``
    batches are real. A last batch of fewer than ``b`` rows is padded to
    ``b`` with rows of weight and mask 0, which change neither its loss (its
    weighted sum is divided by its size) nor its metric, and the last chunk's
    spare batches repeat rows and are not run (``used``).
    """
    for first in range(0, n_scanned, length):
        used = min(length, n_scanned - first)
        rows = order[first * b : (first + used) * b]
        n_rows = rows.shape[0]
        if n_rows < length * b:  # spare slots and padding: rows of the chunk
            rows = np.resize(rows, length * b)
        x = gather(X, rows).reshape(length, b, -1)
        y, w = Y[rows], weights[rows]
        mask = np.ones(length * b, dtype=np.float32)
        mask[n_rows:] = 0.0
        if n_rows < used * b:  # the padded partial batch: weight 0
            w = w * mask.astype(w.dtype, copy=False)
        sizes = np.full(length, b, dtype=np.float32)
        sizes[used - 1] = n_rows - (used - 1) * b
        yield (
            x, y.reshape(length, b, *y.shape[1:]), w.reshape(length, b),
            mask.reshape(length, b), sizes, used,
        )  # fmt: skip


# Keras models built between two clearings of TensorFlow's eager kernel
# cache: each model adds about 0.5 MB of kernels there (measured on a 32-16
# network), and each clearing also drops the instantiated compiled
# functions, which the next call of each re-instantiates (0.3 to 0.9 s
# here). Fits build no model (only an architecture's first fit and a
# model_ read do), so a search of 110 fits grew by 0.4 MB without any
# clearing, and is not interrupted by one.
MODELS_PER_KERNEL_CACHE_CLEAR = 64
_models_since_clear = 0


def note_model_built() -> None:
    """Count a Keras model built (its variables' kernels stay cached)."""
    from skdnn._keras import note_tensorflow_ran

    global _models_since_clear
    _models_since_clear += 1
    note_tensorflow_ran()


def release_kernel_cache() -> None:
    """Drop TensorFlow's cache of eager kernels, once every few models built.

    TensorFlow keeps one eager kernel per distinct op and attributes, and
    every variable Keras creates runs its ops with a unique resource name, so
    the cache grows with every model built and is never trimmed. It only
    saves re-creating kernels: models still held keep working. Clearing it
    also drops the compiled training functions' instantiations, so it is
    cleared at the end of a fit once ``MODELS_PER_KERNEL_CACHE_CLEAR``
    models were built since the last clearing (:func:`note_model_built`):
    the growth stays bounded (tens of megabytes) and a search pays the
    re-instantiation rarely, if ever.
    """
    global _models_since_clear
    # first: a fit interrupted while Keras was imported built no model, and
    # asking for the backend would import it again, over the interruption
    if _models_since_clear < MODELS_PER_KERNEL_CACHE_CLEAR:
        return
    if backend_name() != "tensorflow":
        return
    _models_since_clear = 0
    from tensorflow.python.eager import context

    context.context().clear_kernel_cache()


class ValidationSet:
    """The rows behind the validation curve.

    ``rows`` indexes ``X`` (the held-out rows, read where they lie), or is
    None when ``X`` is the whole validation set (``validation_data``).
    ``Y`` holds the encoded targets and ``weights`` the loss weights.
    """

    __slots__ = ("X", "Y", "rows", "weights")

    def __init__(self, X, rows, Y, weights):
        self.X, self.rows, self.Y, self.weights = X, rows, Y, weights


def row_indices(n: int) -> np.ndarray:
    """``arange(n)`` in the narrowest integer type that holds ``n``."""
    return np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)


def estimator_holdout(estimator, Y, rng, weights, *, every_row=False):
    """An estimator's training rows and held-out rows (None without).

    A warm-started fit splits its rows as the fit it continues did (whose
    split is kept in ``_holdout``: its number of rows, seed and
    ``validation_split``), so that its validation curve goes on measuring
    rows the network has not trained on: drawn anew (with
    ``random_state=None``, or a ``RandomState``), nine in ten of the
    held-out rows had trained it, and the curve and early stopping read a
    fit better than it was. A split that cannot be kept (rows of another
    number, another ``validation_split``, or a fit that trained on every
    row: ``validation_data``, ``partial_fit``) is drawn anew with a
    warning. ``every_row``: this fit trains on every row (no draw).
    """
    n_rows = Y.shape[0]
    split = float(estimator.validation_split)
    state = vars(estimator)
    earlier = state.get("_holdout") if "_network" in state else None
    seed = None
    if every_row:
        estimator._holdout = (n_rows, None, 0.0)
        return row_indices(n_rows), None
    if earlier is not None and estimator.warm_start and split:
        if tuple(earlier) == (n_rows, earlier[1], split) and earlier[1] is not None:
            seed = earlier[1]
        else:
            _warn_holdout_drawn_anew(earlier, n_rows)
    codes = estimator._stratify_codes(Y)
    train_rows, val_rows, seed = holdout_rows(
        n_rows, split, codes, rng, weights, seed=seed
    )
    estimator._holdout = (n_rows, seed, split if seed is not None else 0.0)
    return train_rows, val_rows


def _warn_holdout_drawn_anew(earlier, n_rows: int) -> None:
    """Warn that a continued fit's hold-out is drawn anew (see
    :func:`estimator_holdout`)."""
    earlier_rows, seed = earlier[0], earlier[1]
    trained = "every row" if seed is None else "all but a hold-out"
    warnings.warn(
        f"warm_start: the fit continued trained on {trained} of its "
        f"{earlier_rows} rows, and this fit's hold-out is drawn anew from "
        f"{n_rows} rows: where they are those rows (or hold them), it holds "
        "rows the network has trained on, and the validation curve (and "
        "early stopping) reads it as better than it is. Give X_val and y_val "
        "to validate a continued fit on rows it never trained on.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def holdout_rows(
    n_rows: int,
    validation_split: float,
    codes,
    rng,
    weights: np.ndarray | None = None,
    *,
    seed: int | None = None,
):
    """Training rows, the held-out rows and the seed of their split (both
    None without a hold-out).

    ``seed``: an earlier split's, which splits the same rows again as then;
    drawn from ``rng`` otherwise (``rng`` is drawn from either way, so
    that what follows it draws the same).

    The hold-out is shuffled, seeded from ``rng``, and stratified by
    ``codes`` (the estimator's ``_stratify_codes``, or None) when every code
    has two rows or more; the only row of a class otherwise stays in
    training. With ``weights``, it is drawn from the rows of positive
    weight, ``validation_split`` of them: a row of weight 0 measures
    nothing, and a hold-out of such rows left the validation loss undefined.
    """
    all_rows = row_indices(n_rows)
    if validation_split == 0:
        return all_rows, None, None
    pool = all_rows if weights is None else all_rows[weights > 0]
    n_val = math.ceil(validation_split * pool.shape[0])
    if pool.shape[0] - n_val < 2 or n_val < 1:
        weighted = "" if pool.shape[0] == n_rows else " of positive sample_weight"
        warnings.warn(
            f"validation_split={validation_split} leaves too few rows of "
            f"the {pool.shape[0]}{weighted} to train on; training without a "
            "validation set.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return all_rows, None, None
    drawn = int(rng.integers(0, 2**31 - 1))
    seed = drawn if seed is None else seed
    stratify = None
    candidates = pool
    if codes is not None:
        pool_codes = np.asarray(codes)[pool]
        counts = np.bincount(pool_codes)
        present = counts[counts > 0]
        if present.min() >= 2 and n_val >= present.shape[0]:
            stratify = pool_codes
        else:
            # the only row of a class stays in training: held out, its
            # class could not be learnt (nor fit, with two classes)
            candidates = pool[counts[pool_codes] >= 2]
    if candidates.shape[0] <= n_val:
        warnings.warn(
            f"validation_split={validation_split} would hold out rows "
            "that are the only ones of their class; training without a "
            "validation set.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return all_rows, None, None
    from sklearn.model_selection import train_test_split

    _, val_rows = train_test_split(
        candidates, test_size=n_val, random_state=seed, stratify=stratify
    )
    val_rows = np.sort(val_rows)
    return np.setdiff1d(all_rows, val_rows), val_rows, seed
