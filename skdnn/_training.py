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
    target_kind : {"binary", "multiclass", "multilabel"}
        How the encoded targets and outputs relate.
    batch_size : int
        Rows per optimiser step.
    """

    def __init__(self, model, target_kind: str, batch_size: int):
        self.model = model
        self.target_kind = target_kind
        self.batch_size = int(batch_size)
        self._backend = backend_name()
        self._compiled = None

    def run(self, X, Y, weights, order: np.ndarray) -> tuple[float, float]:
        """Train on the rows of ``X`` in ``order``; mean loss and accuracy."""
        if self._backend == "tensorflow":
            return self._run_tensorflow(X, Y, weights, order)
        if self._backend == "jax":
            return self._run_jax(X, Y, weights, order)
        return self._run_keras_fit(X, Y, weights, order)

    def _run_jax(self, X, Y, weights, order):
        if self._compiled is None:
            self._compiled = _compile_jax_step(self.model, self.target_kind)
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
        return float(loss_sum) / n, float(correct_sum) / n

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
        return float(hist.history["loss"][-1]), float(hist.history["accuracy"][-1])

    def _run_tensorflow(self, X, Y, weights, order):
        if self._compiled is None:
            self._compiled = _compile_tensorflow_chunk(
                self.model, self.target_kind, self.batch_size
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
        return loss_sum / n, correct_sum / n


def _per_sample_loss(keras, target_kind):
    if target_kind == "multiclass":
        return keras.losses.sparse_categorical_crossentropy
    return keras.losses.binary_crossentropy


def _compile_jax_step(model, target_kind: str):
    import jax
    import jax.numpy as jnp

    from skdnn._keras import import_keras

    keras = import_keras()
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    per_sample_loss = _per_sample_loss(keras, target_kind)
    output_layer = model.layers[-1]
    output_activation = getattr(output_layer, "activation", None)
    # The loss from the output layer's logits, as TensorFlow computes it:
    # Keras's JAX losses take probabilities clipped to [1e-7, 1 - 1e-7],
    # whose gradient vanishes once an output saturates, so training would
    # stall (and a diverging fit would go unnoticed) instead of learning.
    from_logits = output_activation in (
        keras.activations.sigmoid,
        keras.activations.softmax,
    )

    def outputs(trainable, non_trainable, x):
        # traced once per input shape: the output activation is left out
        # of the trace only, the model itself is unchanged afterwards
        if from_logits:
            output_layer.activation = keras.activations.linear
        try:
            return model.stateless_call(
                trainable, non_trainable, x, training=True, return_losses=True
            )
        finally:
            output_layer.activation = output_activation

    def loss_and_state(trainable, non_trainable, x, y, w):
        out, non_trainable, losses = outputs(trainable, non_trainable, x)
        per_sample = per_sample_loss(y, out, from_logits=from_logits)
        loss = jnp.sum(per_sample * w) / x.shape[0]
        for penalty in losses:
            loss = loss + penalty
        return loss, (out, non_trainable)

    grad_fn = jax.value_and_grad(loss_and_state, has_aux=True)
    threshold = 0.0 if from_logits else 0.5  # sigmoid(z) > 0.5 iff z > 0

    def n_correct(y, out):
        if target_kind == "multiclass":
            return jnp.sum(jnp.argmax(out, axis=1) == y)
        return jnp.sum(jnp.mean((out > threshold) == (y > 0.5), axis=1))

    @jax.jit
    def step(trainable, non_trainable, optimizer_state, x, y, w):
        (loss, (proba, non_trainable)), grads = grad_fn(
            trainable, non_trainable, x, y, w
        )
        trainable, optimizer_state = optimizer.stateless_apply(
            optimizer_state, grads, trainable
        )
        return trainable, non_trainable, optimizer_state, loss, n_correct(y, proba)

    return step


def _compile_tensorflow_chunk(model, target_kind: str, batch_size: int):
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
    if target_kind == "multiclass":
        y_spec = tf.TensorSpec([None], tf.int32)
    else:
        y_spec = tf.TensorSpec([None, n_outputs], tf.float32)
    # tf.function of a per-model callable object, not of a nested function:
    # TensorFlow counts traces per code object, so one nested function traced
    # once for each model of a grid search would be reported as "excessive
    # retracing", though each model is traced exactly once.
    return tf.function(
        _TensorFlowChunk(model, target_kind, batch_size),
        input_signature=[
            tf.TensorSpec([None, n_features], tf.float32),
            y_spec,
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

    def __init__(self, model, target_kind: str, batch_size: int):
        from skdnn._keras import import_keras

        self.model = model
        self.target_kind = target_kind
        self.batch_size = batch_size
        self.per_sample_loss = _per_sample_loss(import_keras(), target_kind)

    def __call__(self, x, y, w):
        import tensorflow as tf

        model, optimizer = self.model, self.model.optimizer
        n = tf.shape(x)[0]
        n_batches = (n + self.batch_size - 1) // self.batch_size
        loss_sum = tf.constant(0.0)
        correct = tf.constant(0.0)
        for i in tf.range(n_batches):
            lo = i * self.batch_size
            hi = tf.minimum(lo + self.batch_size, n)
            xb, yb, wb = x[lo:hi], y[lo:hi], w[lo:hi]
            size = tf.cast(hi - lo, tf.float32)
            with tf.GradientTape() as tape:
                proba = model(xb, training=True)
                loss = tf.reduce_sum(self.per_sample_loss(yb, proba) * wb) / size
                if model.losses:
                    loss += tf.add_n(model.losses)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(grads, model.trainable_variables)
            loss_sum += loss * size
            correct += self._n_correct(yb, proba)
        return loss_sum, correct

    def _n_correct(self, y, proba):
        import tensorflow as tf

        if self.target_kind == "multiclass":
            hit = tf.equal(tf.argmax(proba, axis=1, output_type=tf.int32), y)
            return tf.reduce_sum(tf.cast(hit, tf.float32))
        hit = tf.equal(tf.cast(proba > 0.5, tf.float32), y)
        return tf.reduce_sum(tf.reduce_mean(tf.cast(hit, tf.float32), axis=1))
