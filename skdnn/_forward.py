"""Inference without Keras: the fitted network as a few numpy operations.

A tabular MLP's forward pass is a handful of matrix products. Running it in
numpy from weights read once after training skips the framework's per-call
overhead (a single row costs microseconds instead of milliseconds), needs no
TensorFlow import to predict, and is safe to call from many threads because
nothing in it is mutable. Batch normalisation is folded into the preceding
dense layer; dropout is the identity at inference.

The plan holds the weights twice, in float64 and in float32. For float32
input the hidden layers are computed in float32, as the network was
trained: float32 products run about twice as fast as float64 ones and agree
with the Keras model to float32 rounding. The output layer (a few columns)
is computed in float64, so the logits and probabilities are float64.
Float64 input is computed in float64 throughout.

When a model holds a layer or an activation this module does not know, the
plan is ``None`` and the caller falls back to the Keras model itself.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf, expit

from skdnn._preprocessing import _BLOCK_ROWS as ENCODE_BLOCK_ROWS

# Rows per block when streaming large inputs: bounds the peak memory of the
# activations whatever the number of rows (4,096 rows of a 512-unit layer in
# float32 is 8 MiB). On a quiet machine blocks of 256 to 4,096 rows ran
# within 12 % of each other; on a loaded one (2 cores, load average 9) the
# many small products of 1,024-row blocks made 20,000 rows of the benchmark
# network 2.7x slower than 4,096-row blocks (2.3 s vs 0.84 s, float32), as
# each product waits for BLAS's threads to find a core.
PREDICT_BLOCK_ROWS = 4_096
# ... and at most this many input values per block (4,096 rows of 64
# inputs), so a wide encoding (numbers and their quantile bins) streams in
# blocks of the same size in memory, of fewer rows.
PREDICT_BLOCK_VALUES = 2**18


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _selu(z):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def _softplus(z):
    return np.logaddexp(0.0, z)


# Keras 3 activation name -> numpy function with the same formula and the
# same default arguments (leaky_relu's slope is 0.2, gelu is exact).
ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "relu6": lambda z: np.clip(z, 0.0, 6.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.2 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "selu": _selu,
    "gelu": lambda z: 0.5 * z * (1.0 + erf(z / np.sqrt(2.0))),
    "silu": lambda z: z * expit(z),
    "swish": lambda z: z * expit(z),
    "mish": lambda z: z * np.tanh(_softplus(z)),
    "tanh": np.tanh,
    "sigmoid": expit,
    "hard_sigmoid": lambda z: np.clip(z + 3.0, 0.0, 6.0) / 6.0,
    "softplus": _softplus,
    "softsign": lambda z: z / (1.0 + np.abs(z)),
    "exponential": np.exp,
    "softmax": _softmax,
}


def _activation_name(keras, fn) -> str | None:
    # By identity with Keras's own function of that name, not through
    # keras.activations.serialize, which imports TensorFlow on any backend.
    name = getattr(fn, "__name__", None)
    if name not in ACTIVATIONS:
        return None
    try:
        return name if keras.activations.get(name) is fn else None
    except ValueError:
        return None


class Plan(tuple):
    """The ``(W, b, activation)`` float64 steps of a network, first to last.

    A tuple, with the same steps in float32 as ``float32`` (the output step
    kept in float64), which :func:`forward` computes with.

    Examples
    --------
    >>> import numpy as np
    >>> hidden = (np.eye(2), np.zeros(2), "relu")
    >>> output = (np.ones((2, 1)), np.zeros(1), "linear")
    >>> plan = Plan([hidden, output])
    >>> plan.float32[0][0].dtype, plan.float32[-1][0].dtype
    (dtype('float32'), dtype('float64'))
    """

    float32: tuple
    #: The first hidden step's kernel with its bias as one more row, in
    #: float64 and float32 (see :func:`_first_with_bias`), or None.
    biased_first: np.ndarray | None
    biased_first32: np.ndarray | None

    def __new__(cls, steps):
        steps = [
            (_as_dtype(k, np.float64), np.asarray(b, dtype=np.float64), a)
            for k, b, a in steps
        ]
        plan = super().__new__(cls, steps)
        plan.float32 = tuple(
            (_as_dtype(k, np.float32), b.astype(np.float32), a)
            for k, b, a in steps[:-1]
        ) + tuple(steps[-1:])
        plan.biased_first = _first_with_bias(plan)
        plan.biased_first32 = _first_with_bias(plan.float32)
        return plan

    def __reduce__(self):
        return (Plan, (tuple(self),))


def shift_output(plan: Plan, shift: np.ndarray) -> Plan:
    """``plan`` with its output step's bias lowered by ``shift``.

    The output's logits become ``z - shift`` at no cost per row (a
    classifier's class prior divided out, see ``class_weight``); the hidden
    steps, their float32 copies included, are shared with ``plan``.

    >>> hidden = (np.eye(2), np.zeros(2), "relu")
    >>> output = (np.ones((2, 1)), np.zeros(1), "sigmoid")
    >>> shifted = shift_output(Plan([hidden, output]), np.array([1.5]))
    >>> shifted[-1][1], shifted.float32[-1][1], shifted[0] is not None
    (array([-1.5]), array([-1.5]), True)
    """
    kernel, bias, activation = plan[-1]
    last = (kernel, bias - np.asarray(shift, dtype=np.float64), activation)
    shifted = tuple.__new__(Plan, (*plan[:-1], last))
    shifted.float32 = (*plan.float32[:-1], last)
    # the first step's folded bias: None when the first step is the output
    shifted.biased_first = plan.biased_first
    shifted.biased_first32 = plan.biased_first32
    return shifted


def shift_probabilities(output: np.ndarray, shift, *, softmax: bool) -> np.ndarray:
    """The probabilities of the logits ``z - shift`` from those of ``z``.

    >>> shift_probabilities(np.array([[0.5]]), np.log([3.0]), softmax=False)
    array([[0.25]])
    >>> shift_probabilities(np.array([[0.5, 0.5]]), np.log([0.25, 0.75]),
    ...                     softmax=True)
    array([[0.75, 0.25]])
    """
    output = np.asarray(output, dtype=np.float64)
    scaled = output * np.exp(-np.asarray(shift, dtype=np.float64))
    if softmax:
        return scaled / scaled.sum(axis=1, keepdims=True)
    # the odds p / (1 - p) times the factor, for each sigmoid output
    return scaled / (scaled + (1.0 - output))


def _first_with_bias(steps) -> np.ndarray | None:
    """The first step's kernel over its bias, for inputs with a column of ones.

    A layer reading few inputs into many units (the benchmark's 40 into
    512) spends a fair share of its time adding the bias to every unit, a
    pass over its whole output: with a column of ones after the inputs and
    the bias as the kernel's last row, the product adds it (on the
    benchmark network's 20,000 rows, 28.7 ms against 30.6 ms in float32 and
    61.3 ms against 68.7 ms in float64, alternated in one process). The
    bias is the last term of each sum and ``1 * b`` is exact, so the
    numbers are the same: bit for bit on blocks of rows in our checks, a
    rounding apart where BLAS sums a single row in another order. Used only
    where the inputs are under half the units (the copy of the inputs then
    costs less than the addition it saves) and the step is a hidden one
    with a plain kernel.
    """
    if len(steps) < 2:
        return None
    kernel, bias, _ = steps[0]
    if not isinstance(kernel, np.ndarray) or 2 * kernel.shape[0] >= kernel.shape[1]:
        return None
    return np.ascontiguousarray(np.vstack([kernel, bias[np.newaxis, :]]))


def _as_dtype(kernel, dtype):
    """A kernel in ``dtype``: an array, or a folded embedding kernel."""
    if hasattr(kernel, "product"):  # an EmbeddedKernel
        return kernel.astype(dtype)
    return np.asarray(kernel, dtype=dtype)


def extract_plan(model, values=None) -> Plan | None:
    """Read a Keras MLP into a :class:`Plan` of ``(W, b, activation)`` steps.

    ``values`` maps ``id(variable)`` to the variable's value as a numpy
    array; the variables it lacks are read from the model. See
    :class:`PlanReader`, which reads a model's plan epoch after epoch.
    """
    reader = PlanReader(model)
    if values is None:
        return reader.plan()
    return reader.plan([values.get(id(variable)) for variable in model.weights])


class PlanReader:
    """Reads a Keras MLP's weights into a :class:`Plan`, its layers walked once.

    Training reads a plan after every epoch from the weights the epoch
    returned; walking the Keras layers (and their properties) each time
    cost more than the numbers. The walk is done here once, as a list of
    steps naming each weight's position in ``model.weights``.

    :meth:`plan` returns ``None`` when the model holds anything but Input,
    Dense, BatchNormalization, Activation and Dropout layers or an unknown
    activation; the caller then predicts with Keras. A model that starts
    with the preprocessor's ``TabularEmbedding`` gets its tables folded into
    the first kernel (an :class:`~skdnn._embedding.EmbeddedKernel`).
    """

    def __init__(self, model):
        from skdnn._keras import import_keras

        keras = import_keras()
        self._variables = list(model.weights)
        self._position = {id(v): i for i, v in enumerate(self._variables)}
        self._steps = self._walk(keras, model)

    @property
    def readable(self) -> bool:
        """Whether :meth:`plan` can read the model (otherwise it gives None)."""
        return self._steps is not None

    def _walk(self, keras, model):
        at = self._position.__getitem__
        steps: list[tuple] = []
        embedding = None
        last = None  # the activation of the last Dense step so far
        for layer in model.layers:
            kind = type(layer).__name__
            if kind in ("InputLayer", "Dropout"):
                continue
            if kind == "TabularEmbedding":
                if last is not None or embedding is not None:
                    return None
                embedding = layer
                steps.append(("embedding", layer))
            elif kind == "Dense":
                last = _activation_name(keras, layer.activation)
                if last is None:
                    return None
                bias = at(id(layer.bias)) if layer.use_bias else None
                steps.append(("dense", at(id(layer.kernel)), bias, last))
            elif kind == "BatchNormalization":
                if last != "linear" or layer.axis not in (-1, 1):
                    return None
                steps.append((
                    "batch_norm", at(id(layer.moving_variance)),
                    at(id(layer.moving_mean)), layer.epsilon,
                    at(id(layer.gamma)) if layer.scale else None,
                    at(id(layer.beta)) if layer.center else None,
                ))  # fmt: skip
            elif kind == "Activation":
                name = _activation_name(keras, layer.activation)
                if name is None or last != "linear":
                    return None
                last = name
                steps.append(("activation", name))
            else:
                return None
        if embedding is not None and last is None:
            return None
        return steps

    def plan(self, values: list | None = None) -> Plan | None:
        """The plan of the weights ``values`` (in ``model.weights`` order).

        Without ``values``, or where a value is None, the weights are read
        from the model.
        """
        if self._steps is None:
            return None

        def read(i):
            value = None if values is None else values[i]
            if value is None:
                return _numpy(self._variables[i])
            return np.asarray(value, dtype=np.float64)

        layers: list[list] = []
        embedding = None
        for step in self._steps:
            kind = step[0]
            if kind == "embedding":
                embedding = step[1]
            elif kind == "dense":
                _, k, b, name = step
                kernel = read(k)
                bias = read(b) if b is not None else np.zeros(kernel.shape[1])
                layers.append([kernel, bias, name])
            elif kind == "batch_norm":
                _, v, m, epsilon, g, b = step
                kernel, bias, _ = layers[-1]
                scale = 1.0 / np.sqrt(read(v) + epsilon)
                if g is not None:
                    scale = scale * read(g)
                shift = -read(m) * scale
                if b is not None:
                    shift = shift + read(b)
                layers[-1] = [kernel * scale, bias * scale + shift, "linear"]
            else:  # an Activation layer after a linear step
                layers[-1][2] = step[1]
        if embedding is not None:
            from skdnn._embedding import EmbeddedKernel

            position = self._position
            # Folded after any batch normalisation of the first layer: the
            # fold is linear in the kernel, so the order does not matter.
            layers[0][0] = EmbeddedKernel.fold(
                embedding, layers[0][0], lambda v: read(position[id(v)])
            )
        return Plan(layers)


def row_blocks(X: np.ndarray, rows: np.ndarray | None = None):
    """Yield ``(block slice, rows of X)`` over ``X``, or over ``X[rows]``.

    The blocks hold at most ``PREDICT_BLOCK_ROWS`` rows and, down to 256
    rows, ``PREDICT_BLOCK_VALUES`` values; with ``rows`` they
    are gathered one block at a time, so ``X[rows]`` is never built whole.
    """
    n = X.shape[0] if rows is None else rows.shape[0]
    step = min(PREDICT_BLOCK_ROWS, max(256, PREDICT_BLOCK_VALUES // max(X.shape[1], 1)))
    for start in range(0, n, step):
        block = slice(start, min(start + step, n))
        yield block, (X[block] if rows is None else X[rows[block]])


def gather(X: np.ndarray, rows: np.ndarray | None, dtype=np.float32) -> np.ndarray:
    """``X[rows]`` as ``dtype``, built block by block (no wider copy on the way)."""
    if rows is None and isinstance(X, np.ndarray):
        return np.asarray(X, dtype=dtype)
    if rows is None:  # rows encoded as read (EncodedRows): all of them
        rows = np.arange(X.shape[0])
    out = np.empty((rows.shape[0], X.shape[1]), dtype=dtype)
    for block, X_block in row_blocks(X, rows):
        out[block] = X_block
    return out


def forward(plan: tuple, X: np.ndarray, *, logits: bool = False) -> np.ndarray:
    """Output of the network for ``X``, streamed in row blocks.

    For float32 ``X`` the hidden layers are computed in float32 (when the
    plan is a :class:`Plan`), otherwise in float64; the output layer and the
    result are float64. Non-finite
    output logits (from inputs far
    outside the training range) are mapped to finite values before the
    output activation, so the probabilities are always finite. With
    ``logits=True`` the output activation is left out.
    """
    if X.shape[0] <= PREDICT_BLOCK_ROWS and isinstance(X, np.ndarray):
        return _forward_block(plan, X, logits)
    out = np.empty((X.shape[0], plan[-1][0].shape[1]))
    for block, block_out in forward_blocks(plan, X, logits=logits):
        out[block] = block_out
    return out


def forward_blocks(
    plan: tuple,
    X: np.ndarray,
    *,
    logits: bool = False,
    rows: np.ndarray | None = None,
):
    """Yield ``(block slice, output)`` of :func:`forward`, one block at a time.

    For reductions over many rows (a validation loss) that need not hold
    the whole output.
    """
    for block, X_block in row_blocks(X, rows):
        yield block, _forward_block(plan, X_block, logits)


# An IEEE float and the signed integer of its bits order alike below zero
# and above it: a float is negative exactly when its sign bit is set, which
# makes the integer negative too. ReLU is therefore the integer maximum with
# 0 (whose bits are +0.0), and numpy runs integer maxima faster than float
# ones, which must look for NaN: on a 4,096 x 512 float32 block 3.1 ms
# against 3.8 ms per 20,000 rows, about 5 % of the benchmark network's
# float32 prediction. -0.0 and -inf become +0.0, +inf stays; a NaN keeps its
# bits when its sign bit is clear and becomes 0.0 when set (the output
# layer maps NaN to 0.0 anyway).
_SAME_WIDTH_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _relu_in_place(z: np.ndarray) -> None:
    """``z = max(z, 0)`` in place, on the bits of a float32 or float64 array."""
    as_int = _SAME_WIDTH_INT.get(z.dtype)
    if as_int is None or not z.flags.c_contiguous:
        np.maximum(z, 0.0, out=z)
        return
    bits = z.view(as_int)
    np.maximum(bits, 0, out=bits)


def _forward_block(plan, X, logits=False):
    z = X
    biased_first = None
    # float64 rows keep float64 arithmetic: casting them per block ran as
    # fast as float32 input, but made a row's probabilities depend, at
    # float32 rounding, on the block it was computed in
    if isinstance(plan, Plan):
        if X.dtype == np.float32:
            plan, biased_first = plan.float32, plan.biased_first32
        elif X.dtype == np.float64:
            biased_first = plan.biased_first
    last = len(plan) - 1
    for i, (kernel, bias, activation) in enumerate(plan):
        if i == last and z.dtype != np.float64:
            z = z.astype(np.float64)
        if i == 0 and biased_first is not None:
            ones = np.empty((z.shape[0], z.shape[1] + 1), dtype=z.dtype)
            ones[:, :-1] = z
            ones[:, -1] = 1.0
            z = ones @ biased_first
        else:
            z = z @ kernel if isinstance(kernel, np.ndarray) else kernel.product(z)
            z += bias
        if i == last:
            if not np.isfinite(z).all():
                z = np.nan_to_num(z, copy=False, nan=0.0)
            if logits:
                return z
        if activation == "relu":
            _relu_in_place(z)
        elif activation in ("silu", "swish"):
            z *= expit(z)
        elif activation != "linear":
            z = ACTIVATIONS[activation](z)
    return z


def keras_forward(model, X: np.ndarray, *, softmax: bool = False) -> np.ndarray:
    """The Keras model's own inference output, streamed in row blocks.

    A row whose output is not finite (inputs far outside the training
    range) gets the uninformative answer: 0.5 for each sigmoid output, or
    the uniform distribution when the output is a ``softmax``.
    """
    out = None
    for block, X_block in row_blocks(X):
        proba = model(np.asarray(X_block, dtype=np.float32), training=False)
        proba = np.asarray(proba, dtype=np.float64)
        if out is None:
            out = np.empty((X.shape[0], proba.shape[1]))
        out[block] = proba
    if out is None:
        return np.empty((0, model.outputs[0].shape[-1]))
    bad = ~np.isfinite(out).all(axis=1)
    if bad.any():
        out[bad] = 1.0 / out.shape[1] if softmax else 0.5
    return out


def _numpy(variable) -> np.ndarray:
    from skdnn._keras import to_numpy

    return np.asarray(to_numpy(variable), dtype=np.float64)


class EncodedRows:
    """Rows of a numeric array or a DataFrame, encoded by the preprocessor as
    they are read.

    Indexing by a slice or an array of row indices (as
    :func:`skdnn._forward.gather` and :func:`skdnn._forward.row_blocks` do)
    returns the encoded rows in ``dtype``; the whole encoded array is never
    built, and rows picked by index are gathered a block at a time.
    """

    __slots__ = (
        "X",
        "_block",
        "_chunk",
        "_chunk_rows",
        "dtype",
        "preprocessor",
        "shape",
    )

    #: Values of a DataFrame encoded at once for the row blocks read in
    #: order (16 MB of float32): a block of a wide encoding holds few rows,
    #: and a frame encoded a few hundred rows at a time took twice as long
    #: as encoded whole (a numeric array's blocks cost little each).
    CHUNK_VALUES = 2**22
    #: Values of a sparse matrix made dense at once.
    SPARSE_BLOCK_VALUES = 2**20

    def __init__(self, X, preprocessor, dtype=np.float32):
        import scipy.sparse as sp

        self.X, self.preprocessor = X, preprocessor
        self.shape = (X.shape[0], preprocessor._n_features_out())
        self.dtype = np.dtype(dtype)
        self._chunk = None  # (first row, end row, their encoding)
        # rows encoded at once: picked by index, and read in order
        self._block = ENCODE_BLOCK_ROWS
        self._chunk_rows = max(
            ENCODE_BLOCK_ROWS, self.CHUNK_VALUES // max(self.shape[1], 1)
        )
        if sp.issparse(X):
            # a sparse matrix's rows are made dense first: a wide one's are
            # few (8 MB of float64 values, and as much for each step of the
            # encoding), whatever the number of rows
            width = max(X.shape[1], self.shape[1], 1)
            self._block = self._chunk_rows = max(64, self.SPARSE_BLOCK_VALUES // width)

    def __len__(self) -> int:
        return self.shape[0]

    def _encode(self, rows) -> np.ndarray:
        X = self.X
        part = X.iloc[rows] if hasattr(X, "iloc") else X[rows]  # or sparse rows
        return self.preprocessor._encode(part, self.dtype, names_checked=True)

    def __getitem__(self, rows) -> np.ndarray:
        if isinstance(rows, slice) and not isinstance(self.X, np.ndarray):
            start, stop, _ = rows.indices(self.shape[0])
            chunk = self._chunk
            if chunk is None or not chunk[0] <= start <= stop <= chunk[1]:
                end = max(stop, min(self.shape[0], start + self._chunk_rows))
                chunk = self._chunk = (start, end, self._encode(slice(start, end)))
            return chunk[2][start - chunk[0] : stop - chunk[0]]
        if isinstance(rows, slice) or len(rows) <= self._block:
            return self._encode(rows)
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        for start in range(0, len(rows), self._block):
            part = rows[start : start + self._block]
            out[start : start + len(part)] = self._encode(part)
        return out


def network_input(pre, X, *, training=False, warn_unseen=False):
    """The network's input for validated X, encoded by the fitted ``pre``.

    A numeric array whose encoding is column-wise (no category, no
    missing-value indicator) is encoded block by block as it is read, so
    fitting and predicting hold no encoded copy of it, and so is a
    DataFrame predicted on (its encoding, bins and one-hot columns, can be
    ten times its size), and a sparse matrix (a block of rows made dense at
    a time); anything else is encoded once. For prediction a
    float64 array or matrix is encoded in float64 (and so predicted in float64, each
    row's answer independent of its block); training reads float32 rows,
    and anything else is float32. ``warn_unseen``: see
    :meth:`TabularPreprocessor._encode`. Rows to predict whose categorical
    column holds mostly levels never seen at fit are warned about
    (:func:`skdnn._drift._warn_unseen_at_predict`).
    """
    import scipy.sparse as sp

    from skdnn._columns import _is_dataframe
    from skdnn._drift import (
        _category_columns,
        _warn_unseen_at_predict,
        _warn_unseen_levels,
    )

    is_array, sparse = isinstance(X, np.ndarray), sp.issparse(X)
    wide = not training and (is_array or sparse) and X.dtype == np.float64
    dtype = np.float64 if wide else np.float32
    if sparse or (
        X.shape[0] > PREDICT_BLOCK_ROWS
        and (
            (not training and _is_dataframe(X))
            or (
                is_array
                and X.dtype.kind == "f"
                and pre.n_dense_features_ - pre._n_bin_features() == X.shape[1]
                and not pre.embedding_cardinalities_
            )
        )
    ):
        if not training:  # encoded a chunk at a time: its first rows read
            _warn_unseen_at_predict(pre, X)
        elif warn_unseen and sparse and pre.categories_:  # a continued fit's rows
            forms = getattr(pre, "_column_forms", None)
            _warn_unseen_levels(_category_columns(pre, X), forms)
        return EncodedRows(X, pre, dtype)
    if not training:
        warn_unseen = "predict"  # from the codes the encoding computes
    return pre._encode(X, dtype, names_checked=True, warn_unseen=warn_unseen)
