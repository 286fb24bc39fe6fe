"""Dropout at rates given when the compiled training functions run.

A Keras ``Dropout`` layer holds its rate as a Python number, so a function
traced through it bakes the rate in, and a search over ``dropout`` would
trace one training function per rate. An architecture's kit (see
:mod:`skdnn._kit`) therefore has its private template's ``Dropout`` layers
read their rates from an argument of the compiled functions: each traced
function takes a vector of one rate per ``Dropout`` layer, and one trace
serves every network whose layers have dropout, at any rates. A rate of 0
builds no ``Dropout`` layer (:func:`~skdnn._architecture.build_model`), so
whether a layer has dropout stays part of the architecture.

Each layer draws its mask from its own seed generator, as Keras's layer
does. In TensorFlow's graph loops (small epochs) the masks are Keras's own
(the same seeds, the same uniform numbers); only the scale
``1 / (1 - rate)`` is computed from a float32 rate inside the graph rather
than from a Python number, which can move it by float32 rounding.

Where XLA compiles the steps (JAX always, TensorFlow's calls for large
epochs, see :mod:`skdnn._training`) the masks come from a counter-based
hash of the same seeds instead (:func:`hashed_uniform`). XLA compiles
TensorFlow's stateless Philox generator into a slow loop on a CPU (5.3 ms a
step of the fit benchmark's network against 0.5 ms with the hash, in a bare
training loop), and JAX's Threefry cost its fit 3.2 s against 2.4 s; the
hash is a few integer operations XLA fuses into the layer's. Its numbers
pass for uniform on every test dropout needs (each rate kept to within
sampling noise, no correlation between neighbouring units, rows, steps or
layers: see the tests), and are the same on both backends, but they are not
Keras's: a fit there draws other masks than Keras's layer would.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

# the rates of the function being traced on this thread (None outside one)
_TRACING = threading.local()


def dropout_layers(model) -> list:
    """The ``Dropout`` layers of ``model``, in the order of its layers."""
    return [layer for layer in model.layers if type(layer).__name__ == "Dropout"]


def dropout_rates(model) -> np.ndarray:
    """The rates of ``model``'s ``Dropout`` layers, as a float32 vector."""
    return np.array([float(layer.rate) for layer in dropout_layers(model)], np.float32)


def seed_states(model) -> list[np.ndarray]:
    """The state of each ``Dropout`` layer's seed generator (which Keras's
    saved file leaves out), as numpy arrays."""
    from skdnn._keras import to_numpy

    return [
        np.asarray(to_numpy(layer.seed_generator.state))
        for layer in dropout_layers(model)
    ]


def restore_seed_states(model, states: list) -> None:
    """Put :func:`seed_states` back into ``model``'s ``Dropout`` layers.

    Raises
    ------
    ValueError
        If the states do not fit the layers.
    """
    if not states:  # a file saved before they were kept
        return
    layers = dropout_layers(model)
    states = [np.asarray(state) for state in states]
    if len(states) != len(layers) or any(
        state.shape != (2,) or state.dtype.kind not in "iu" for state in states
    ):
        raise ValueError(
            f"{len(states)} dropout seed states do not fit the network's "
            f"{len(layers)} Dropout layers"
        )
    for layer, state in zip(layers, states, strict=True):
        variable = layer.seed_generator.state
        # saved on another backend: its seeds' integer type
        variable.assign(state.astype(variable.dtype))


def take_rates_at_run_time(model) -> None:
    """Make ``model``'s ``Dropout`` layers read their rates from :func:`given`.

    Outside :func:`given` (and in inference) the layers behave as Keras's.
    Only for a model private to the training functions (a kit's template).
    """
    for index, layer in enumerate(dropout_layers(model)):
        layer.call = _RunTimeCall(layer, index)


@contextlib.contextmanager
def given(rates, *, hashed: bool = False):
    """Trace the training of the template with these ``rates`` (a vector of
    the compiled function's, one per ``Dropout`` layer); ``hashed``: draw
    the masks with :func:`hashed_uniform` (TensorFlow)."""
    previous = getattr(_TRACING, "rates", None), getattr(_TRACING, "hashed", False)
    _TRACING.rates, _TRACING.hashed = rates, hashed
    try:
        yield
    finally:
        _TRACING.rates, _TRACING.hashed = previous


class _RunTimeCall:
    """A ``Dropout`` layer's ``call``, reading its rate from :func:`given`."""

    def __init__(self, layer, index: int):
        self.layer = layer
        self.index = index
        self.keras_call = type(layer).call.__get__(layer)

    def __call__(self, inputs, training=False):
        rates = getattr(_TRACING, "rates", None)
        if rates is None or not training:
            return self.keras_call(inputs, training=training)
        from skdnn._keras import backend_name

        rate = rates[self.index]
        seed = self.layer.seed_generator.next()
        backend = backend_name()
        if backend == "jax" or (
            backend == "tensorflow" and getattr(_TRACING, "hashed", False)
        ):
            return _hashed_dropout(inputs, rate, seed)
        if backend == "tensorflow":
            return _tensorflow_dropout(inputs, rate, seed)
        return self.keras_call(inputs, training=training)


def _tensorflow_dropout(inputs, rate, seed):
    import tensorflow as tf

    if seed.dtype != tf.int32:  # as Keras casts a seed generator's state
        seed = tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32)
    rate = tf.cast(rate, inputs.dtype)
    return tf.nn.experimental.stateless_dropout(inputs, rate=rate, seed=seed)


# the constants of MurmurHash3's 32-bit finaliser and of the golden ratio
_MIX = (0x85EBCA6B, 0xC2B2AE35)
_GOLDEN = 0x9E3779B9


def _uint32(value):
    from skdnn._keras import import_keras

    return import_keras().ops.convert_to_tensor(np.uint32(value))


def _mix32(x):
    """MurmurHash3's finaliser: every input bit moves every output bit."""
    from skdnn._keras import import_keras

    ops = import_keras().ops
    for shift, factor in zip((16, 13), _MIX, strict=True):
        x = ops.bitwise_xor(x, ops.right_shift(x, _uint32(shift)))
        x = ops.multiply(x, _uint32(factor))
    return ops.bitwise_xor(x, ops.right_shift(x, _uint32(16)))


def hashed_uniform(shape, seed):
    """Uniform float32 numbers in [0, 1) of ``shape``, from a ``seed`` pair.

    Number ``i`` (in row-major order) is ``mix(mix(i * golden ^ k0) + k1)``
    for the two 32-bit keys ``k0, k1`` mixed from the seed's two numbers,
    ``mix`` MurmurHash3's finaliser, read to 24 bits: a counter-based
    generator, as Philox and Threefry are, in a few integer operations that
    XLA fuses. The same numbers on every backend.

    Parameters
    ----------
    shape : tuple
        The shape, of ints (or, on TensorFlow, scalar tensors).
    seed : tensor of shape (2,)
        A seed generator's value: any integer dtype, read modulo 2**32.
    """
    from skdnn._keras import import_keras

    ops = import_keras().ops
    low = ops.cast(seed, "uint32")
    key0 = _mix32(ops.add(low[0], _uint32(_GOLDEN)))
    key1 = _mix32(ops.bitwise_xor(low[1], key0))
    size = 1
    for dimension in shape:
        size = size * dimension
    count = ops.cast(ops.arange(size, dtype="int32"), "uint32")
    spread = ops.bitwise_xor(ops.multiply(count, _uint32(_GOLDEN)), key0)
    bits = _mix32(ops.add(_mix32(spread), key1))
    uniform = ops.cast(ops.right_shift(bits, _uint32(8)), "float32")
    return ops.reshape(ops.multiply(uniform, 1.0 / 2**24), shape)


def _hashed_dropout(inputs, rate, seed):
    from skdnn._keras import import_keras

    ops = import_keras().ops
    keep = hashed_uniform(ops.shape(inputs), seed) >= ops.cast(rate, "float32")
    rate = ops.cast(rate, inputs.dtype)
    return ops.where(keep, ops.divide(inputs, 1 - rate), ops.zeros_like(inputs))
