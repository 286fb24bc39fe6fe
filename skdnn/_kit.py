"""The process-wide cache of architectures: their Keras objects and
compiled training functions (:class:`Kit`), least recently used first out.

See :mod:`skdnn._training` for the functions a kit compiles and
:mod:`skdnn._network` for the networks that use them.
"""

from __future__ import annotations

import collections
import threading

import numpy as np

from skdnn._flat_layout import n_values
from skdnn._keras import backend_name

#: Architectures whose compiled training functions are kept per process ...
CACHE_SIZE = 32
#: ... as long as their templates hold at most this many values together
#: (weights and optimizer state: 4 bytes each), the last one used always
#: kept. A search over a few dozen small designs traces each once, even
#: when run again; the templates of large networks (a 2048-1024-512
#: network holds 118 million values with Adam's) do not pile up.
CACHE_VALUES = 25_000_000


class _CompiledCache:
    """A bounded, least-recently-used map from architecture to functions.

    ``traces`` counts the times a training function was traced (or, on
    JAX, compiled for a new shape), ``hits`` and ``misses`` the look-ups.
    """

    def __init__(self, maxsize: int, max_values: int = CACHE_VALUES):
        self.maxsize = maxsize
        self.max_values = max_values
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = self.traces = 0

    def get(self, key, build):
        if key is None:  # an architecture this module cannot name
            self.misses += 1
            return build()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        self.misses += 1
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > max(0, self.maxsize) or (
                len(self._entries) > 1 and self._values() > self.max_values
            ):
                self._entries.popitem(last=False)
        return value

    def _values(self) -> int:
        return sum(getattr(kit, "n_values", 0) for kit in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
        self.hits = self.misses = self.traces = 0

    def info(self) -> dict:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "traces": self.traces,
            "size": len(self._entries),
            "maxsize": self.maxsize,
        }


_CACHE = _CompiledCache(CACHE_SIZE)


def cache_info() -> dict:
    """Counts of the process's cache of compiled training functions.

    Returns
    -------
    dict
        ``hits``, ``misses`` (look-ups by architecture), ``traces`` (times a
        function was traced or compiled), ``size`` and ``maxsize``.

    Examples
    --------
    >>> sorted(cache_info())
    ['hits', 'maxsize', 'misses', 'size', 'traces']
    """
    return _CACHE.info()


def clear_cache() -> None:
    """Forget every compiled training function and reset the counts.

    Examples
    --------
    >>> clear_cache()
    >>> cache_info()["size"]
    0
    """
    _CACHE.clear()


def architecture_key(model, head) -> tuple | None:
    """What a compiled training step depends on, as a hashable value.

    The model's configuration (layers, widths, activations, dropout rates,
    regularisers, wiring, input width, outputs) and the optimizer's class and
    configuration, without what does not change the traced computation:
    names of seed generators and variables, initializers and their seeds,
    the learning rate (a variable read at run time). ``None`` when the model
    cannot be described (its ``get_config`` fails).
    """
    try:
        model_config = _without_run_time_values(model.get_config())
        optimizer = model.optimizer
        optimizer_config = _without_run_time_values(optimizer.get_config())
    except Exception:  # a custom layer without a config: compile per model
        return None
    optimizer_config.pop("learning_rate", None)
    optimizer_config.pop("name", None)
    return (
        backend_name(),
        repr(head),
        repr(model_config),
        type(optimizer).__module__,
        type(optimizer).__qualname__,
        repr(optimizer_config),
    )


def _without_run_time_values(config):
    if isinstance(config, dict):
        return {
            key: _without_run_time_values(value)
            for key, value in config.items()
            # "seeds": the embedding layer's seeds of its tables' initializers
            if key not in ("seed", "seeds") and not key.endswith("initializer")
        }
    if isinstance(config, list | tuple):
        return type(config)(_without_run_time_values(value) for value in config)
    return config


class Kit:
    """One architecture's Keras objects and compiled training functions.

    ``template`` is a compiled model of the architecture, its optimizer
    built, private to this kit: the compiled functions train it as scratch
    space (TensorFlow) or call it statelessly (JAX), and its layers serve
    every network of the architecture as the map from values to meaning
    (which value is which weight, the numpy plan, the initial values). A
    network in training is a list of values, one per variable of
    :attr:`variables` (trainable, non-trainable, optimizer), never a Keras
    model of its own.
    """

    def __init__(self, template, head):
        from skdnn._dropout import dropout_rates, take_rates_at_run_time
        from skdnn._forward import PlanReader

        #: the template's dropout rates, those of a network that gives none
        self.dropout_rates = dropout_rates(template)
        take_rates_at_run_time(template)
        optimizer = template.optimizer
        if not optimizer.built:
            optimizer.build(template.trainable_variables)
        self.template, self.head = template, head
        self.variables = _all_variables(template)
        positions = {id(v): i for i, v in enumerate(self.variables)}
        #: where each of ``model.weights`` and the learning rate sit among
        #: the values
        self.weight_positions = [positions[id(v)] for v in template.weights]
        self.lr_position = positions.get(id(optimizer.learning_rate))
        self.groups = (
            len(template.trainable_variables),
            len(template.non_trainable_variables),
            len(optimizer.variables),
        )
        self.n_values = n_values(self.variables)
        # the optimizer's starting values (zero moments, a zero step count;
        # an Adagrad's accumulators start above zero), read before any use
        self.optimizer_start = numpy_values(optimizer.variables)
        #: each epoch's weights -> the numpy plan
        self.plans = PlanReader(template)
        #: whether numpy can run the network (see PlanReader)
        self.readable = self.plans.readable
        #: positions in ``model.weights`` of the dense kernels (the l2 penalty)
        at = {id(v): i for i, v in enumerate(template.weights)}
        self.kernel_positions = [
            at[id(layer.kernel)]
            for layer in template.layers
            if type(layer).__name__ == "Dense"
        ]
        self.compiled = None
        self._lock = threading.Lock()

    def l2_penalty(self, weights, l2: float) -> float:
        """``l2`` times the dense kernels' sum of squares, for the network of
        ``weights`` (``model.weights`` order), as the training loss adds it."""
        if l2 <= 0:
            return 0.0
        kernels = (weights[i] for i in self.kernel_positions)
        return l2 * sum(float(np.sum(np.square(w))) for w in kernels)

    def compile(self):
        """The training functions of this backend, traced on first use."""
        with self._lock:
            if self.compiled is None:
                from skdnn._compiled import _jax_steps, _TensorFlowTrainer

                backend = backend_name()
                build = _TensorFlowTrainer if backend == "tensorflow" else _jax_steps
                self.compiled = build(self.template, self.head)
        return self.compiled

    def start(self, values, learning_rate: float) -> list:
        """Every variable's first value: the model's ``values`` (trainable and
        non-trainable, see :func:`~skdnn._architecture.initial_values`), the
        optimizer's starting state, and ``learning_rate``."""
        state = [*values, *self.optimizer_start]
        if len(state) != len(self.variables):
            raise ValueError(
                f"{len(values)} model values for an architecture of "
                f"{len(self.variables) - len(self.optimizer_start)}."
            )
        if self.lr_position is not None:
            dtype = self.variables[self.lr_position].dtype
            state[self.lr_position] = np.asarray(learning_rate, dtype=dtype)
        return state

    def to_backend(self, values) -> list:
        """``values`` as the backend's tensors, of the variables' dtypes."""
        pairs = zip(self.variables, values, strict=True)
        if backend_name() == "tensorflow":
            import tensorflow as tf

            # tf.constant: a quarter of Keras's conversion's cost per value
            return [
                tf.constant(value, dtype=variable.dtype) for variable, value in pairs
            ]
        from skdnn._keras import import_keras

        ops = import_keras().ops
        return [
            ops.convert_to_tensor(value, dtype=variable.dtype)
            for variable, value in pairs
        ]


def kit_for(key, build_template, head) -> Kit:
    """The kit of the architecture ``key``, from the process's cache.

    ``build_template()`` builds a compiled model of the architecture when
    the cache has none (or ``key`` is None: an architecture that cannot be
    named, whose kit is not kept).
    """
    return _CACHE.get(key, lambda: Kit(build_template(), head))


def numpy_values(variables) -> list:
    """The values of Keras ``variables``, as numpy arrays."""
    from skdnn._keras import to_numpy

    return [to_numpy(variable) for variable in variables]


def _all_variables(model) -> list:
    return [
        *model.trainable_variables,
        *model.non_trainable_variables,
        *model.optimizer.variables,
    ]


def _clone(model):
    """A copy of ``model``'s architecture with a built copy of its optimizer.

    The template of a network read from a Keras model (a loaded file's):
    the compiled functions train this copy, never the user's model, so a
    model the user keeps is neither changed nor kept alive by the cache.
    """
    from skdnn._keras import import_keras, quiet_numpy_copy_warning
    from skdnn._training import note_model_built

    keras = import_keras()
    note_model_built()
    # Keras reads the compiled model's optimizer config with np.array
    with quiet_numpy_copy_warning():
        clone = keras.models.clone_model(model)
        config = model.optimizer.get_config()
    optimizer = type(model.optimizer).from_config(config)
    optimizer.build(clone.trainable_variables)
    clone.optimizer = optimizer
    return clone
