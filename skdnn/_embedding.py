"""The learned embeddings of categorical columns, in Keras and in numpy.

:class:`~skdnn.TabularPreprocessor` passes each many-level categorical
column on as an integer code; the network turns each code into a learned
vector with :func:`embedding_layer_class`'s layer (built lazily, so
``import skdnn`` stays free of Keras), and :class:`EmbeddedKernel` is that
layer folded into the first dense kernel for the numpy inference plan of
:mod:`skdnn._forward`.
"""

from __future__ import annotations

import functools
import math

import numpy as np


@functools.cache
def embedding_layer_class():
    """The Keras layer that embeds the code columns of the preprocessor.

    Built on first use so that importing skdnn does not import Keras, and
    registered as ``"skdnn>TabularEmbedding"`` so a ``.keras`` file holding
    it loads with ``safe_mode=True``.

    Returns
    -------
    type
        ``TabularEmbedding(n_dense, cardinalities, dims, seeds)``: a layer
        taking ``[dense block | codes]`` and returning
        ``[dense block, table_1[code_1], ..., table_k[code_k]]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdnn._embedding import embedding_layer_class
    >>> layer = embedding_layer_class()(
    ...     n_dense=2, cardinalities=(4,), dims=(3,), seeds=(0,))
    >>> out = layer(np.array([[0.5, -1.0, 2.0]], dtype="float32"))
    >>> tuple(out.shape)
    (1, 5)
    """
    from skdnn._keras import import_keras

    keras = import_keras()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="skdnn")
    class TabularEmbedding(keras.layers.Layer):
        """Pass the dense block through; replace each code by its vector.

        Slot 0 (unknown, missing, rare) starts at zero, so a level never
        seen in training adds nothing to the first dense layer; codes out of
        range, or NaN, are read as slot 0.
        """

        def __init__(self, n_dense, cardinalities, dims, seeds, **kwargs):
            super().__init__(**kwargs)
            self.n_dense = int(n_dense)
            self.cardinalities = tuple(int(c) for c in cardinalities)
            self.dims = tuple(int(d) for d in dims)
            self.seeds = tuple(int(s) for s in seeds)
            if not len(self.cardinalities) == len(self.dims) == len(self.seeds):
                raise ValueError(
                    "cardinalities, dims and seeds need one entry per embedded "
                    f"column; got {len(self.cardinalities)}, {len(self.dims)} "
                    f"and {len(self.seeds)}."
                )

        def build(self, input_shape):
            self.tables = [
                self.add_weight(
                    shape=(cardinality, dim),
                    initializer=table_initializer(keras, dim, seed),
                    name=f"table_{i}",
                )
                for i, (cardinality, dim, seed) in enumerate(
                    zip(self.cardinalities, self.dims, self.seeds, strict=True)
                )
            ]

        def call(self, inputs):
            parts = [inputs[:, : self.n_dense]]
            for i, (table, cardinality) in enumerate(
                zip(self.tables, self.cardinalities, strict=True)
            ):
                code = inputs[:, self.n_dense + i]
                valid = ops.logical_and(code >= 0, code < cardinality)
                index = ops.cast(ops.where(valid, code, 0), "int32")
                parts.append(ops.take(table, index, axis=0))
            return ops.concatenate(parts, axis=-1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], self.n_dense + sum(self.dims))

        def get_config(self):
            return {
                **super().get_config(),
                "n_dense": self.n_dense,
                "cardinalities": list(self.cardinalities),
                "dims": list(self.dims),
                "seeds": list(self.seeds),
            }

    return TabularEmbedding


def table_initializer(keras, dim, seed):
    """Uniform in +-1/sqrt(dim) (vectors of norm about 0.58), row 0 zero."""
    bound = 1.0 / math.sqrt(dim)
    uniform = keras.initializers.RandomUniform(-bound, bound, seed=int(seed))

    def initializer(shape, dtype=None):
        values = uniform(shape, dtype=dtype)
        zeros = keras.ops.zeros((1, shape[1]), dtype=values.dtype)
        return keras.ops.concatenate([zeros, values[1:]], axis=0)

    return initializer


class EmbeddedKernel:
    """The first dense kernel of a network fed by :class:`TabularEmbedding`,
    folded for numpy.

    ``concat(dense, E_1[c_1], ..., E_k[c_k]) @ W`` equals
    ``dense @ W_dense + sum_j (E_j @ W_j)[c_j]``: each embedding table is
    multiplied into its slice of the kernel once, leaving a lookup per
    code column and a smaller product.

    Parameters
    ----------
    dense : ndarray of shape (n_dense, units)
        Rows of the kernel fed by the dense block.
    tables : tuple of ndarray of shape (cardinality_j, units)
        ``E_j @ W_j`` for each embedded column.
    """

    def __init__(self, dense: np.ndarray, tables: tuple[np.ndarray, ...]):
        self.dense = dense
        self.tables = tables
        self.n_dense = dense.shape[0]

    @classmethod
    def fold(cls, layer, kernel: np.ndarray, read=None) -> EmbeddedKernel:
        """Fold the Keras ``layer``'s tables into the first ``kernel``.

        ``read(variable)`` gives a table's value (by default, read from the
        layer).
        """
        n_dense = layer.n_dense
        tables, start = [], n_dense
        if read is None:
            values = layer.get_weights()
        else:
            values = [read(variable) for variable in layer.weights]
        for table, dim in zip(values, layer.dims, strict=True):
            tables.append(
                np.asarray(table, dtype=np.float64) @ kernel[start : start + dim]
            )
            start += dim
        return cls(kernel[:n_dense], tuple(tables))

    def astype(self, dtype) -> EmbeddedKernel:
        """The same kernel with its arrays cast to ``dtype``, as an array's."""
        return EmbeddedKernel(
            self.dense.astype(dtype), tuple(t.astype(dtype) for t in self.tables)
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(input width, units), as a kernel's shape."""
        return (self.n_dense + len(self.tables), self.dense.shape[1])

    def product(self, X: np.ndarray) -> np.ndarray:
        """``X @ kernel`` for ``X = [dense block | codes]``, in the kernel's
        precision (float64 as extracted)."""
        z = X[:, : self.n_dense] @ self.dense
        for i, table in enumerate(self.tables):
            code = X[:, self.n_dense + i]
            valid = (code >= 0) & (code < table.shape[0])
            z += table[np.where(valid, code, 0).astype(np.intp)]
        return z


class PickledModel:
    """A Keras model as pickle stores it, read back with skdnn's layers known.

    Keras pickles a model as its ``.keras`` bytes and, on unpickling, looks
    its layers up by registered name; skdnn's embedding layer class is
    created (and registered) lazily, so a process that never built a network
    (a search's parent, a fresh interpreter) would not know it.
    """

    def __init__(self, model):
        self.model = model

    def __reduce__(self):
        from skdnn._dropout import seed_states

        load, args = self.model.__reduce__()[:2]
        # Keras's bytes keep no dropout seed generator's state: without it a
        # copy would continue training with other dropout masks
        return (unpickle_model, (load, args, seed_states(self.model)))


def unpickle_model(load, args, states=()):
    from skdnn._dropout import restore_seed_states

    embedding_layer_class()  # registers skdnn's layer before Keras reads it
    model = load(*args)
    restore_seed_states(model, list(states))
    return model
