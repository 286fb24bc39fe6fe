"""The tapered layer design and the Keras model that realises it.

:func:`tapered_widths` is a pure function (no Keras). :func:`build_model`
imports Keras lazily, so importing this module stays cheap.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

# Activation families and the initialiser that keeps their signal variance
# stable through depth: He for rectifiers, LeCun for SELU, Glorot otherwise.
_HE_ACTIVATIONS = frozenset(
    {"relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "swish", "mish"}
)
_LECUN_ACTIVATIONS = frozenset({"selu"})

#: Upper bound of the automatic first width, the seed's tuned first layer.
MAX_AUTO_FIRST_UNITS = 512
#: Lower bound of the automatic first width.
MIN_AUTO_FIRST_UNITS = 64


def auto_first_units(n_features: int) -> int:
    """Width of the first hidden layer chosen from the number of inputs.

    The next power of two at or above ``2 * n_features``, clipped to
    ``[64, 512]``: about as wide as the input (the seed's first lesson on
    layer design), with room for interactions on narrow tables and the
    seed's tuned 512 as the ceiling for wide ones.

    Parameters
    ----------
    n_features : int
        Number of input features.

    Returns
    -------
    int
        The width of the first hidden layer.

    Examples
    --------
    >>> auto_first_units(30), auto_first_units(64), auto_first_units(1000)
    (64, 128, 512)
    """
    if n_features < 1:
        raise ValueError(f"n_features must be >= 1, got {n_features}.")
    width = 2 ** math.ceil(math.log2(2 * n_features))
    return int(min(MAX_AUTO_FIRST_UNITS, max(MIN_AUTO_FIRST_UNITS, width)))


def tapered_widths(
    n_features: int,
    *,
    first_units: int | str = "auto",
    taper: float = 0.5,
    n_layers: int = 3,
    min_units: int = 16,
) -> tuple[int, ...]:
    """Widths of a tapered stack of hidden layers, wide first, then shrinking.

    The first layer has ``first_units`` neurons (``"auto"``: see Notes);
    each next layer is ``taper`` times as wide as the one before, rounded,
    and never narrower than ``min_units``. Layers stop being added once the
    floor is reached, so the stack has at most ``n_layers`` layers.

    Parameters
    ----------
    n_features : int
        Number of input features.
    first_units : int or "auto", default="auto"
        Width of the first hidden layer.
    taper : float, default=0.5
        Ratio between the widths of consecutive layers, in (0, 1].
    n_layers : int, default=3
        Maximum number of hidden layers.
    min_units : int, default=16
        Floor width of any layer after the first.

    Returns
    -------
    tuple of int
        The hidden layer widths, first to last.

    Notes
    -----
    With ``first_units="auto"`` the first width is the next power of two at
    or above ``2 * n_features``, clipped to ``[64, 512]``. The seed's tuned
    design, 512-128-32-18, is ``first_units=512, taper=0.25`` with a floor
    of 18 (``tapered_widths(40, first_units=512, taper=0.25, n_layers=4,
    min_units=18)``).

    Examples
    --------
    >>> from skdnn import tapered_widths
    >>> tapered_widths(30)
    (64, 32, 16)
    >>> tapered_widths(40, first_units=512, taper=0.25, n_layers=4, min_units=18)
    (512, 128, 32, 18)
    """
    first = auto_first_units(n_features) if first_units == "auto" else int(first_units)
    if first < 1:
        raise ValueError(f"first_units must be >= 1, got {first_units!r}.")
    if not 0 < taper <= 1:
        raise ValueError(f"taper must be in (0, 1], got {taper!r}.")
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers!r}.")
    floor = min(int(min_units), first)
    widths = [first]
    while len(widths) < n_layers and widths[-1] > floor:
        widths.append(max(floor, round(widths[-1] * taper)))
    return tuple(widths)


def resolve_initializer(activation: str, kernel_initializer: str) -> str:
    """The initialiser name to use with an activation.

    Parameters
    ----------
    activation : str
        Keras activation name.
    kernel_initializer : str
        ``"auto"`` or a Keras initializer name, returned unchanged.

    Returns
    -------
    str
        ``"he_normal"`` for the ReLU family, ``"lecun_normal"`` for SELU,
        ``"glorot_uniform"`` otherwise (tanh, sigmoid, ...).

    Examples
    --------
    >>> resolve_initializer("relu", "auto"), resolve_initializer("tanh", "auto")
    ('he_normal', 'glorot_uniform')
    """
    if kernel_initializer != "auto":
        return kernel_initializer
    if activation in _HE_ACTIVATIONS:
        return "he_normal"
    if activation in _LECUN_ACTIVATIONS:
        return "lecun_normal"
    return "glorot_uniform"


#: The dtype every layer computes and keeps its weights in.
DTYPE = "float32"


def build_model(
    *,
    n_features: int,
    n_outputs: int,
    output_activation: str,
    hidden_layer_sizes: Sequence[int],
    activation: str,
    kernel_initializer: str,
    batch_norm: bool,
    dropout: Sequence[float],
    l2: float,
    seeds: Sequence[int],
    embeddings: tuple[int, Sequence[int], Sequence[int]] | None = None,
    embedding_seeds: Sequence[int] = (),
):
    """Build the (uncompiled) Keras functional model.

    Each hidden block is ``Dense -> [BatchNormalization] -> Activation ->
    [Dropout]``; batch normalisation sits before the activation, as the seed
    notes place it, and the Dense then has no bias (the normalisation's
    offset replaces it). Every initializer and dropout layer gets its own
    seed from ``seeds``, so no global random state is read or changed. Every
    layer computes in float32, whatever Keras's global ``floatx`` or dtype
    policy (``keras.config.set_floatx("float64")``, mixed precision): the
    training loop, the encoded rows and the numpy forward pass are float32.

    With ``embeddings=(n_dense, cardinalities, dims)`` (a fitted
    :class:`~skdnn.TabularPreprocessor`'s ``n_dense_features_``,
    ``embedding_cardinalities_`` and ``embedding_dims_``), the input is that
    preprocessor's output, ``n_dense + len(cardinalities)`` columns wide, and
    a ``TabularEmbedding`` layer, one table per code column seeded from
    ``embedding_seeds``, feeds the first dense layer.
    """
    from skdnn._keras import import_keras

    keras = import_keras()

    seeds = iter(seeds)
    init_name = resolve_initializer(activation, kernel_initializer)
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input(shape=(n_features,), dtype=DTYPE, name="features")
    x = inputs
    if embeddings is not None and len(embeddings[1]) > 0:
        from skdnn._embedding import embedding_layer_class

        n_dense, cardinalities, dims = embeddings
        if n_dense + len(cardinalities) != n_features:
            raise ValueError(
                f"embeddings describe {n_dense} dense and {len(cardinalities)} "
                f"code columns, but n_features is {n_features}."
            )
        x = embedding_layer_class()(
            n_dense=n_dense,
            cardinalities=cardinalities,
            dims=dims,
            seeds=embedding_seeds,
            name="embeddings",
            dtype=DTYPE,
        )(x)
    for i, (units, rate) in enumerate(
        zip(hidden_layer_sizes, dropout, strict=True), start=1
    ):
        x = keras.layers.Dense(
            units,
            use_bias=not batch_norm,
            kernel_initializer=_seeded_initializer(keras, init_name, next(seeds)),
            kernel_regularizer=regularizer,
            name=f"dense_{i}",
            dtype=DTYPE,
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{i}", dtype=DTYPE)(x)
        x = keras.layers.Activation(activation, name=f"{activation}_{i}", dtype=DTYPE)(
            x
        )
        if rate > 0:
            x = keras.layers.Dropout(
                rate, seed=next(seeds), name=f"dropout_{i}", dtype=DTYPE
            )(x)
    outputs = keras.layers.Dense(
        n_outputs,
        activation=output_activation,
        kernel_initializer=_seeded_initializer(keras, "glorot_uniform", next(seeds)),
        kernel_regularizer=regularizer,
        name="output",
        dtype=DTYPE,
    )(x)
    return keras.Model(inputs, outputs, name="tapered_mlp", dtype=DTYPE)


def initial_values(model, seeds: Sequence[int], embedding_seeds: Sequence[int] = ()):
    """The values :func:`build_model` would start a model with, read off ``model``.

    ``model`` is any model :func:`build_model` built for the same
    architecture; its layers' initializers are called again with ``seeds``
    and ``embedding_seeds`` taken as :func:`build_model` takes them, so the
    values equal those of ``build_model(..., seeds=seeds,
    embedding_seeds=embedding_seeds)`` without building its layers and
    variables (which costs tens of milliseconds a model).

    Returns
    -------
    list of ndarray or None
        One value per variable of ``model.trainable_variables +
        model.non_trainable_variables`` (the dropout layers' seed states
        among them), or None when ``model`` holds a layer this function does
        not know.

    Examples
    --------
    >>> import numpy as np
    >>> kw = dict(n_features=3, n_outputs=1, output_activation="sigmoid",
    ...           hidden_layer_sizes=(4,), activation="relu",
    ...           kernel_initializer="auto", batch_norm=False, dropout=(0.1,),
    ...           l2=0.0)
    >>> model = build_model(**kw, seeds=(1, 2, 3))
    >>> values = initial_values(build_model(**kw, seeds=(4, 5, 6)), (1, 2, 3))
    >>> all(np.array_equal(a, b) for a, b in zip(
    ...     values, [v.numpy() for v in model.trainable_variables
    ...               + model.non_trainable_variables]))
    True
    """
    from skdnn._keras import import_keras

    keras = import_keras()
    seeds, embedding_seeds = iter(seeds), iter(embedding_seeds)
    found = {}

    def put(variable, initializer):
        value = initializer(tuple(variable.shape), dtype=variable.dtype)
        found[id(variable)] = keras.ops.convert_to_numpy(value)

    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            put(layer.kernel, _reseeded(keras, layer.kernel_initializer, next(seeds)))
            if layer.use_bias:
                put(layer.bias, layer.bias_initializer)
        elif kind == "Dropout":
            state = layer.seed_generator.state
            found[id(state)] = np.array([next(seeds), 0], dtype=state.dtype)
        elif kind == "BatchNormalization":
            for name in ("gamma", "beta", "moving_mean", "moving_variance"):
                variable = getattr(layer, name, None)
                if variable is not None:
                    put(variable, getattr(layer, f"{name}_initializer"))
        elif kind == "TabularEmbedding":
            from skdnn._embedding import table_initializer

            for table, dim in zip(layer.tables, layer.dims, strict=True):
                put(table, table_initializer(keras, dim, next(embedding_seeds)))
        elif kind not in ("InputLayer", "Activation"):
            return None
    variables = [*model.trainable_variables, *model.non_trainable_variables]
    if any(id(v) not in found for v in variables):
        return None
    return [found[id(v)] for v in variables]


def _reseeded(keras, initializer, seed: int):
    """``initializer`` with ``seed``, as :func:`_seeded_initializer` makes it."""
    config = initializer.get_config()
    if "seed" in config:
        config["seed"] = int(seed)
    return type(initializer).from_config(config)


def _seeded_initializer(keras, name: str, seed: int):
    """The named Keras initializer, seeded when it is random.

    Built from a config rather than ``keras.initializers.get(name)``, which
    would draw a default seed from Python's global ``random`` module.
    """
    try:
        initializer = keras.initializers.deserialize(
            {"class_name": name, "config": {"seed": int(seed)}}
        )
    except TypeError:  # a deterministic initializer (zeros, identity) has no seed
        initializer = keras.initializers.deserialize({"class_name": name, "config": {}})
    if not isinstance(initializer, keras.initializers.Initializer):
        raise ValueError(f"{name!r} is not a Keras initializer name.")
    return initializer


def dropout_rates(dropout, n_hidden: int) -> tuple[float, ...]:
    """The dropout rate of each of ``n_hidden`` layers: ``dropout`` for
    every one, or one rate a layer (ValueError when they do not match)."""
    if isinstance(dropout, numbers.Real) or np.ndim(dropout) == 0:
        return (float(dropout),) * n_hidden
    rates = tuple(float(r) for r in dropout)
    if len(rates) != n_hidden:
        raise ValueError(
            f"dropout has {len(rates)} rates but the network has {n_hidden} "
            "hidden layers; pass one float or one rate per hidden layer."
        )
    return rates


def as_widths(sizes) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints, or a ValueError.

    Examples
    --------
    >>> as_widths(8), as_widths([64, 32])
    ((8,), (64, 32))
    """
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)
    if not isinstance(sizes, Sequence) and not hasattr(sizes, "__array__"):
        raise ValueError(
            f"hidden_layer_sizes must be 'auto' or a tuple of ints; got {sizes!r}."
        )
    widths = tuple(sizes)
    if len(widths) == 0 or not all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1
        for w in widths
    ):
        raise ValueError(
            "hidden_layer_sizes must be 'auto' or a non-empty tuple of positive "
            f"ints; got {sizes!r}."
        )
    return tuple(int(w) for w in widths)


def check_keras_name(param: str, name: str) -> None:
    """Refuse an activation or initializer name Keras does not know."""
    from skdnn._keras import import_keras

    keras = import_keras()

    def getter(name):
        if param == "activation":
            return keras.activations.get(name)
        return _seeded_initializer(keras, name, seed=0)

    try:
        getter(name)
    except (ValueError, TypeError) as exc:
        from skdnn._mlp_names import MLP_ACTIVATIONS

        # scikit-learn's perceptrons' names of two of Keras's activations
        keras_name = MLP_ACTIVATIONS.get(name) if param == "activation" else None
        hint = (
            f"; scikit-learn's {name!r} is Keras's {keras_name!r}" if keras_name else ""
        )
        raise ValueError(
            f"{param}={name!r} is not a Keras {param.replace('kernel_', '')} "
            f"name{hint}."
        ) from exc
