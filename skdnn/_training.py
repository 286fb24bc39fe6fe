"""One training epoch, compiled once per model, on any Keras 3 backend.

The estimator owns the loop over epochs (validation, history, callbacks,
early stopping); this module only runs the optimiser steps of one epoch over
a given order of rows and returns the epoch's mean loss and accuracy.

On TensorFlow the steps run inside one ``tf.function`` that loops over a
chunk of batches in the graph, so Python is entered once per chunk rather
than once per batch. Rows are gathered from the caller's array chunk by
chunk, so no second copy of the training data is ever made. Other backends
use Keras's own compiled ``fit`` for the epoch.
"""

from __future__ import annotations

import numpy as np

from skdnn._keras import backend_name

# Batches per compiled call: large enough that per-call overhead vanishes,
# small enough that the gathered chunk stays a few megabytes.
BATCHES_PER_CALL = 64


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
        return self._run_keras_fit(X, Y, weights, order)

    def _run_keras_fit(self, X, Y, weights, order):
        hist = self.model.fit(
            X[order],
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
        chunk_rows = self.batch_size * BATCHES_PER_CALL
        loss_sum = correct_sum = 0.0
        for start in range(0, order.shape[0], chunk_rows):
            rows = order[start : start + chunk_rows]
            loss, correct = self._compiled(X[rows], Y[rows], weights[rows])
            loss_sum += float(loss)
            correct_sum += float(correct)
        n = order.shape[0]
        return loss_sum / n, correct_sum / n


def _compile_tensorflow_chunk(model, target_kind: str, batch_size: int):
    from skdnn._keras import import_keras

    keras = import_keras()
    import tensorflow as tf

    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    n_outputs = model.outputs[0].shape[-1]
    n_features = model.inputs[0].shape[-1]
    if target_kind == "multiclass":
        per_sample_loss = keras.losses.sparse_categorical_crossentropy
        y_spec = tf.TensorSpec([None], tf.int32)
    else:
        per_sample_loss = keras.losses.binary_crossentropy
        y_spec = tf.TensorSpec([None, n_outputs], tf.float32)

    def n_correct(y, p):
        if target_kind == "multiclass":
            hit = tf.equal(tf.argmax(p, axis=1, output_type=tf.int32), y)
            return tf.reduce_sum(tf.cast(hit, tf.float32))
        hit = tf.equal(tf.cast(p > 0.5, tf.float32), y)
        return tf.reduce_sum(tf.reduce_mean(tf.cast(hit, tf.float32), axis=1))

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, n_features], tf.float32),
            y_spec,
            tf.TensorSpec([None], tf.float32),
        ]
    )
    def train_chunk(x, y, w):
        n = tf.shape(x)[0]
        n_batches = (n + batch_size - 1) // batch_size
        loss_sum = tf.constant(0.0)
        correct = tf.constant(0.0)
        for i in tf.range(n_batches):
            lo = i * batch_size
            hi = tf.minimum(lo + batch_size, n)
            xb, yb, wb = x[lo:hi], y[lo:hi], w[lo:hi]
            size = tf.cast(hi - lo, tf.float32)
            with tf.GradientTape() as tape:
                proba = model(xb, training=True)
                loss = tf.reduce_sum(per_sample_loss(yb, proba) * wb) / size
                if model.losses:
                    loss += tf.add_n(model.losses)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(grads, model.trainable_variables)
            loss_sum += loss * size
            correct += n_correct(yb, proba)
        return loss_sum, correct

    return train_chunk
