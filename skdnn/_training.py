"""One training epoch, compiled once per model, on any Keras 3 backend.

The estimator owns the loop over epochs (validation, history, callbacks,
early stopping); this module only runs the optimiser steps of one epoch over
a given order of rows and returns the epoch's mean loss and accuracy.

On TensorFlow the steps run inside one ``tf.function`` that loops over a
chunk of batches in the graph, so Python is entered once per chunk rather
than once per batch. On JAX each step is one jitted pure function of the
model's, and the optimizer's, state (``stateless_call``/``stateless_apply``),
the state staying on the device for the whole epoch. Rows are gathered from
the caller's array chunk by chunk (or batch by batch) and cast to float32
there, so no second copy of the training data is ever made. Other backends
use Keras's own ``fit``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from skdnn._forward import gather
from skdnn._keras import backend_name

# Batches per compiled call: large enough that per-call overhead vanishes,
# small enough that the gathered chunk stays a few megabytes (at most
# CHUNK_ROWS rows, when the batches are large).
BATCHES_PER_CALL = 64
CHUNK_ROWS = 8_192


class EpochRunner:
    """Run the optimiser steps of one epoch of a compiled Keras model.

    Parameters
    ----------
    model : keras.Model
        A model compiled with its optimizer and loss.
    head : skdnn._heads head
        The task: the loss and epoch metric computed from the logits.
    batch_size : int
        Rows per optimiser step.
    """

    def __init__(self, model, head, batch_size: int):
        self.model = model
        self.head = head
        self.batch_size = int(batch_size)
        self._backend = backend_name()
        self._compiled = None

    def run(self, X, Y, weights, order: np.ndarray) -> tuple[float, float]:
        """Train on the rows of ``X`` in ``order``; mean loss and epoch metric."""
        if self._backend == "tensorflow":
            return self._run_tensorflow(X, Y, weights, order)
        if self._backend == "jax":
            return self._run_jax(X, Y, weights, order)
        return self._run_keras_fit(X, Y, weights, order)

    def _run_jax(self, X, Y, weights, order):
        if self._compiled is None:
            self._compiled = _compile_jax_step(self.model, self.head)
        model, optimizer = self.model, self.model.optimizer
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        optimizer_state = [v.value for v in optimizer.variables]
        loss_sum = correct_sum = 0.0
        for start in range(0, order.shape[0], self.batch_size):
            rows = order[start : start + self.batch_size]
            trainable, non_trainable, optimizer_state, loss, correct = self._compiled(
                trainable,
                non_trainable,
                optimizer_state,
                gather(X, rows),
                Y[rows],
                weights[rows],
            )
            # device scalars: summed lazily, read once per epoch
            loss_sum = loss_sum + loss * rows.shape[0]
            correct_sum = correct_sum + correct
        for variables, values in (
            (model.trainable_variables, trainable),
            (model.non_trainable_variables, non_trainable),
            (optimizer.variables, optimizer_state),
        ):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)
        n = order.shape[0]
        return float(loss_sum) / n, self.head.finish_metric(float(correct_sum), n)

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

    def _run_tensorflow(self, X, Y, weights, order):
        if self._compiled is None:
            self._compiled = _compile_tensorflow_chunk(
                self.model, self.head, self.batch_size
            )
        batches = max(1, min(BATCHES_PER_CALL, CHUNK_ROWS // self.batch_size))
        chunk_rows = self.batch_size * batches
        loss_sum = correct_sum = 0.0
        for start in range(0, order.shape[0], chunk_rows):
            rows = order[start : start + chunk_rows]
            loss, correct = self._compiled(gather(X, rows), Y[rows], weights[rows])
            loss_sum += float(loss)
            correct_sum += float(correct)
        n = order.shape[0]
        return loss_sum / n, self.head.finish_metric(correct_sum, n)


class _Logits:
    """Call a model for its output logits, in training mode.

    The output layer's activation is left out while the call is traced (the
    model itself is unchanged afterwards), so the heads compute the loss
    from the logits: Keras's losses on probabilities clip them to
    [1e-7, 1 - 1e-7], whose gradient vanishes once an output saturates, so
    training would stall, and a diverging fit go unnoticed, instead.
    """

    def __init__(self, model):
        from skdnn._keras import import_keras

        self.output_layer = model.layers[-1]
        self.activation = getattr(self.output_layer, "activation", None)
        self.linear = import_keras().activations.linear

    @contextlib.contextmanager
    def linear_output(self):
        self.output_layer.activation = self.linear
        try:
            yield
        finally:
            self.output_layer.activation = self.activation


def _compile_jax_step(model, head):
    import jax
    import jax.numpy as jnp

    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    logits_of = _Logits(model)

    def loss_and_state(trainable, non_trainable, x, y, w):
        with logits_of.linear_output():
            logits, non_trainable, losses = model.stateless_call(
                trainable, non_trainable, x, training=True, return_losses=True
            )
        loss = jnp.sum(head.training_loss(y, logits) * w) / x.shape[0]
        for penalty in losses:
            loss = loss + penalty
        return loss, (logits, non_trainable)

    grad_fn = jax.value_and_grad(loss_and_state, has_aux=True)

    @jax.jit
    def step(trainable, non_trainable, optimizer_state, x, y, w):
        (loss, (logits, non_trainable)), grads = grad_fn(
            trainable, non_trainable, x, y, w
        )
        trainable, optimizer_state = optimizer.stateless_apply(
            optimizer_state, grads, trainable
        )
        metric = head.training_metric(y, logits)
        return trainable, non_trainable, optimizer_state, loss, metric

    return step


def _compile_tensorflow_chunk(model, head, batch_size: int):
    import tensorflow as tf

    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    if not tf.distribute.has_strategy():
        # Keras sums the gradients over replicas with a tf.custom_gradient,
        # which, traced, registers a gradient function in TensorFlow's
        # process-wide registry that is never removed and holds the whole
        # traced graph: megabytes per model, for ever. With one replica the
        # sum is the identity, so it is skipped.
        optimizer._all_reduce_sum_gradients = _single_replica_gradients
    n_outputs = model.outputs[0].shape[-1]
    n_features = model.inputs[0].shape[-1]
    y_shape = [None] if head.y_ndim == 1 else [None, n_outputs]
    # tf.function of a per-model callable object, not of a nested function:
    # TensorFlow counts traces per code object, so one nested function traced
    # once for each model of a grid search would be reported as "excessive
    # retracing", though each model is traced exactly once.
    return tf.function(
        _TensorFlowChunk(model, head, batch_size),
        input_signature=[
            tf.TensorSpec([None, n_features], tf.float32),
            tf.TensorSpec(y_shape, getattr(tf, head.y_dtype)),
            tf.TensorSpec([None], tf.float32),
        ],
    )


def _single_replica_gradients(grads_and_vars):
    """The (gradient, variable) pairs unchanged: their sum over one replica."""
    return list(grads_and_vars)


def release_kernel_cache() -> None:
    """Drop TensorFlow's cache of eager kernels.

    TensorFlow keeps one eager kernel per distinct op and attributes, and
    every variable Keras creates runs its ops with a unique resource name, so
    the cache grows with every model built and is never trimmed. It only
    saves re-creating kernels: models still held keep working.
    """
    if backend_name() != "tensorflow":
        return
    from tensorflow.python.eager import context

    context.context().clear_kernel_cache()


class _TensorFlowChunk:
    """Optimiser steps over a chunk of rows, batch by batch, in one graph."""

    def __init__(self, model, head, batch_size: int):
        self.model = model
        self.head = head
        self.batch_size = batch_size
        self.logits_of = _Logits(model)

    def __call__(self, x, y, w):
        import tensorflow as tf

        model, optimizer, head = self.model, self.model.optimizer, self.head
        n = tf.shape(x)[0]
        n_batches = (n + self.batch_size - 1) // self.batch_size
        loss_sum = tf.constant(0.0)
        metric_sum = tf.constant(0.0)
        for i in tf.range(n_batches):
            lo = i * self.batch_size
            hi = tf.minimum(lo + self.batch_size, n)
            xb, yb, wb = x[lo:hi], y[lo:hi], w[lo:hi]
            size = tf.cast(hi - lo, tf.float32)
            with tf.GradientTape() as tape:
                with self.logits_of.linear_output():
                    logits = model(xb, training=True)
                loss = tf.reduce_sum(head.training_loss(yb, logits) * wb) / size
                if model.losses:
                    loss += tf.add_n(model.losses)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(grads, model.trainable_variables)
            loss_sum += loss * size
            metric_sum += head.training_metric(yb, logits)
        return loss_sum, metric_sum
