"""The compiled training functions of one architecture, per Keras backend.

:class:`~skdnn._kit.Kit` builds them once per architecture and
:class:`~skdnn._training.EpochRunner` calls them: on JAX, jitted
``lax.scan`` calls of stateless steps (:func:`_jax_steps`); on TensorFlow,
a ``tf.function`` of graph loops over a chunk of rows, several small
epochs a call (:class:`_TensorFlowChunk`), and for large epochs on a CPU an
XLA-compiled loop over padded batches of one shape (:class:`_TensorFlowScan`).
Each takes a network's values and returns them trained; see
:mod:`skdnn._training` for why.
"""

from __future__ import annotations

import contextlib
import inspect
import threading

from skdnn._dropout import dropout_layers
from skdnn._dropout import given as dropout_given
from skdnn._flat_layout import FlatLayout, n_values
from skdnn._kit import _CACHE, _all_variables

# TensorFlow's executor for the compiled calls of a small network on a CPU
# (None: its default). The default hands the graph's nodes to the inter-op
# thread pool; for the small ops of a small network's steps those hand-offs
# cost more than the ops. The single-threaded executor runs the nodes in
# order on the calling thread, while each kernel (a matrix product) still
# uses the intra-op threads. TensorFlow does not lower the graph loops of a
# function traced for it, so the numbers agree with the default's to
# float32 rounding. A larger network gains from running independent
# products side by side (512-128-32-18 at batch 64: 3.44 s against 2.88 s
# for 5 epochs of 16,000 rows), and so does a GPU: both keep the default.
CPU_EXECUTOR = "SINGLE_THREADED_EXECUTOR"
# Most trainable weights of a network trained on CPU_EXECUTOR.
SINGLE_THREADED_WEIGHTS = 2**16
#: Fewest full batches an epoch must have for TensorFlow to train it in
#: XLA-compiled calls on a CPU (None: never): for a network of more than
#: ``SINGLE_THREADED_WEIGHTS`` weights, and for a smaller one. XLA fuses a
#: step's few hundred small graph nodes (the fit benchmark's 512-128-32-18
#: trains 2.5 times as fast, a 256-128-64 network 2 to 3 times), but it
#: compiles each shape of chunk for 1 to 3 s on first use. A small network
#: on the single-threaded executor gains less a step (64-32-16: 0.15 ms),
#: which only epochs of many batches earn back.
XLA_MIN_BATCHES = 64
XLA_MIN_BATCHES_SMALL = 1024


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

        self.model = model
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

    def loss_and_state(self, head, trainable, non_trainable, x, y, w, size):
        """Mean weighted loss (with penalties), logits and non-trainable state."""
        ops = _ops()
        with self.linear_output():
            logits, non_trainable, penalties = self.model.stateless_call(
                trainable, non_trainable, x, training=True, return_losses=True
            )
        loss = ops.sum(head.training_loss(y, logits) * w) / size
        for penalty in penalties:
            loss = loss + penalty
        return loss, (logits, non_trainable)


def _ops():
    from skdnn._keras import import_keras

    return import_keras().ops


def _jax_steps(model, head):
    """Jitted ``scan(state, rates, xs, ys, ws, masks, sizes, active)`` and
    ``step(state, rates, x, y, w)``, and whether a partial batch may be padded.

    ``state`` is ``(trainable, non_trainable, optimizer variables)``,
    ``rates`` the dropout rates (:mod:`skdnn._dropout`); the
    scan runs one step per leading index of ``xs`` (batches of one shape),
    each batch's loss the weighted sum over its rows divided by its
    ``sizes`` entry, and its metric summed over the rows its ``masks`` row
    keeps. A partial batch padded to the full size with rows of weight and
    mask 0 thus takes the step of its own rows, in the same compiled scan;
    a network with batch normalization, whose batch statistics the padding
    would change, runs it with ``step`` at its own size instead.
    """
    import jax
    import jax.numpy as jnp

    optimizer = model.optimizer
    logits_of = _Logits(model)
    pads = not any(
        type(layer).__name__ == "BatchNormalization" for layer in model.layers
    )

    def loss_fn(trainable, non_trainable, rates, x, y, w, size):
        with dropout_given(rates):
            return logits_of.loss_and_state(
                head, trainable, non_trainable, x, y, w, size
            )

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def one_step(state, batch):
        trainable, non_trainable, optimizer_state = state
        rates, x, y, w, mask, size = batch
        (loss, (logits, non_trainable)), grads = grad_fn(
            trainable, non_trainable, rates, x, y, w, size
        )
        trainable, optimizer_state = optimizer.stateless_apply(
            optimizer_state, grads, trainable
        )
        metric = head.training_metric(y, logits, mask)
        return (trainable, non_trainable, optimizer_state), (loss, metric)

    @jax.jit
    def step(state, rates, x, y, w):
        _CACHE.traces += 1
        state, (loss, metric) = one_step(state, (rates, x, y, w, None, x.shape[0]))
        return state, loss, metric

    def scan_step(rates):
        def run(state, batch):
            *batch, active = batch
            batch = (rates, *batch)

            def skip(state, batch):  # a spare slot: nothing changes
                shapes = jax.eval_shape(one_step, state, batch)[1]
                zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
                return state, zeros

            return jax.lax.cond(active, one_step, skip, state, batch)

        return run

    @jax.jit
    def scan(state, rates, xs, ys, ws, masks, sizes, active):
        _CACHE.traces += 1
        state, (losses, metrics) = jax.lax.scan(
            scan_step(rates), state, (xs, ys, ws, masks, sizes, active)
        )
        # each batch's mean loss times its size: the sum over its rows
        # (spare slots add zeros)
        return state, jnp.sum(losses * sizes), jnp.sum(metrics)

    return scan, step, pads


class _TensorFlowTrainer:
    """The ``tf.function`` calls training the networks of an architecture.

    TensorFlow's optimizers update ``tf.Variable`` objects in place (Keras's
    ``stateless_apply`` is not available there), so the compiled functions
    train the kit's private template: they take a network's values
    (weights, non-trainable state such as batch-norm statistics and dropout
    seed states, optimizer variables, the learning rate among them) as
    arguments, copy them into the template, run the steps and return the
    results, all in one graph: the trace is paid once per architecture.
    Calling the trainer runs the graph loops over a chunk of rows
    (:class:`_TensorFlowChunk`); :meth:`scan` runs padded batches in an
    XLA-compiled call (:class:`_TensorFlowScan`), for the large epochs
    :meth:`scans` picks, compiled once per shape of chunk.
    """

    def __init__(self, template, head):
        import tensorflow as tf

        self.template = template
        optimizer = template.optimizer
        if not tf.distribute.has_strategy():
            # Keras sums the gradients over replicas with a tf.custom_gradient,
            # which, traced, registers a gradient function in TensorFlow's
            # process-wide registry that is never removed and holds the whole
            # traced graph. With one replica the sum is the identity, so it is
            # skipped.
            optimizer._all_reduce_sum_gradients = _single_replica_gradients
        variables = _all_variables(self.template)
        flat = FlatLayout.of(self.template)
        self.lock = threading.Lock()
        n_outputs = template.outputs[0].shape[-1]
        n_features = template.inputs[0].shape[-1]
        y_shape = [None] if head.y_ndim == 1 else [None, n_outputs]
        self.y_dtype = getattr(tf, head.y_dtype)
        values = [tf.TensorSpec(v.shape, tf.as_dtype(v.dtype)) for v in variables]
        rates = tf.TensorSpec([len(dropout_layers(template))], tf.float32)
        # tf.function of a callable object, not of a nested function:
        # TensorFlow counts traces per code object, and a nested function
        # traced once for each architecture of a search would be reported as
        # "excessive retracing", though each is traced exactly once.
        self._graph = tf.function(
            _TensorFlowChunk(self.template, variables, head, flat),
            input_signature=[
                values,
                rates,
                tf.TensorSpec([None, n_features], tf.float32),
                tf.TensorSpec(y_shape, self.y_dtype),
                tf.TensorSpec([None], tf.float32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.int32),
            ],
        )
        on_cpu = not tf.config.list_logical_devices("GPU")
        #: whether large epochs may run in XLA-compiled calls (see :meth:`scans`):
        #: on a CPU, without batch normalization, whose batch statistics the
        #: padding of a partial batch would change
        self.xla = on_cpu and not any(
            type(layer).__name__ == "BatchNormalization" for layer in template.layers
        )
        #: whether an XLA-compiled call has run (then a failure is not for
        #: want of XLA)
        self.xla_ran = False
        # traced and compiled for each shape of chunk on first use; on the
        # variables themselves, not the flat layout: XLA fuses each
        # variable's update, and the vector's splitting and joining cost it
        # a sixth of the fit benchmark's time (2.75 s against 2.27 s)
        self._scan = tf.function(
            _TensorFlowScan(self.template, variables, head),
            jit_compile=True,
            input_signature=[
                values,
                rates,
                tf.TensorSpec([None, None, n_features], tf.float32),
                tf.TensorSpec([None, *y_shape], self.y_dtype),
                tf.TensorSpec([None, None], tf.float32),
                tf.TensorSpec([None, None], tf.float32),
                tf.TensorSpec([None], tf.float32),
                tf.TensorSpec([], tf.int32),
            ],
        )
        weights = n_values(self.template.trainable_variables)
        self.small = weights <= SINGLE_THREADED_WEIGHTS
        executor = getattr(tf.experimental, "function_executor_type", None)
        self._executor = (
            (lambda: executor(CPU_EXECUTOR))
            if on_cpu and self.small and CPU_EXECUTOR and executor
            else contextlib.nullcontext
        )
        self.function = self._call_flat = None

    def scans(self, n_batches: int) -> bool:
        """Whether an epoch of ``n_batches`` full batches runs in
        XLA-compiled calls (see ``XLA_MIN_BATCHES``)."""
        least = XLA_MIN_BATCHES_SMALL if self.small else XLA_MIN_BATCHES
        return self.xla and least is not None and n_batches >= least

    def _trace_graph(self) -> None:
        """Trace the graph loops, on their first use (a fit of large epochs
        only may never need them)."""
        with self._executor():
            self.function = self._graph.get_concrete_function()
        # A call binds its ~35 arguments to the signature one by one (about
        # a tenth of a small table's call here) unless they come flat, in
        # the signature's order, to the concrete function's own (private)
        # entry; where a TensorFlow has no such entry, or one that takes
        # other arguments, the public call does the binding.
        call_flat = getattr(self.function, "_call_flat", None)
        try:
            names = list(inspect.signature(call_flat).parameters)
        except (TypeError, ValueError):  # no such entry
            names = None
        flat_entry = names == ["tensor_inputs", "captured_inputs"]
        self._call_flat = call_flat if flat_entry else None

    def scan(self, state, rates, xs, ys, ws, masks, sizes, used):
        """Train the network of values ``state`` on the first ``used`` of
        the padded batches ``xs`` (see :func:`_scan_chunks`), in one
        XLA-compiled call; the loss and metric sums and the values after."""
        import tensorflow as tf

        with self.lock:
            return self._scan(
                state, rates, tf.convert_to_tensor(xs, tf.float32),
                tf.convert_to_tensor(ys, self.y_dtype),
                tf.convert_to_tensor(ws, tf.float32), masks, sizes, used,
            )  # fmt: skip

    def __call__(self, state, rates, x, y, w, batch, epoch_rows):
        """Train the network of values ``state``, its dropout at ``rates``,
        on one chunk of rows.

        The chunk holds whole epochs of ``epoch_rows`` rows each (one, for
        an epoch split over several chunks): each epoch's loss and metric
        sums come back, every variable's values after each epoch, stacked,
        and the values after the chunk.
        """
        import tensorflow as tf

        with self.lock, self._executor():
            if self.function is None:
                self._trace_graph()
            if self._call_flat is None:
                return self.function(state, rates, x, y, w, batch, epoch_rows)
            inputs = [
                *state,
                rates,
                tf.convert_to_tensor(x, tf.float32),
                tf.convert_to_tensor(y, self.y_dtype),
                tf.convert_to_tensor(w, tf.float32),
                batch,
                epoch_rows,
            ]
            return self._call_flat(inputs, self.function.captured_inputs)


def _single_replica_gradients(grads_and_vars):
    """The (gradient, variable) pairs unchanged: their sum over one replica."""
    return list(grads_and_vars)


class _TensorFlowChunk:
    """Optimiser steps over a chunk of rows, epoch by epoch, batch by batch.

    The values of the network being trained come in as tensors, copied
    into the template's variables (or, with a :class:`FlatLayout`, its
    vector and optimizer) first and returned at the end; the values after
    each epoch are gathered on the way and returned stacked.
    """

    def __init__(self, model, variables, head, flat=None):
        self.model = model
        self.variables = variables
        self.head = head
        self.flat = flat
        self.logits_of = _Logits(model)

    def __call__(self, values, rates, x, y, w, batch, epoch_rows):
        _CACHE.traces += 1
        with dropout_given(rates):
            return self._chunk(values, x, y, w, batch, epoch_rows)

    def _load(self, values) -> list:
        """Copy ``values`` into the template; its non-trainable values."""
        values = list(values)
        n_trainable = len(self.model.trainable_variables)
        n_fixed = len(self.model.non_trainable_variables)
        if self.flat is None:
            for variable, value in zip(self.variables, values, strict=True):
                variable.assign(value)
        else:
            self.flat.load(values[:n_trainable], values[n_trainable + n_fixed :])
        return values[n_trainable : n_trainable + n_fixed]

    def _any_step(self, xb, yb, wb, size, non_trainable):
        """One optimiser step; its loss, logits and non-trainable values."""
        if self.flat is None:
            loss, logits = self._step(xb, yb, wb, size)
            return loss, logits, non_trainable
        return self._flat_step(xb, yb, wb, size, non_trainable)

    def _chunk(self, values, x, y, w, batch, epoch_rows):
        import tensorflow as tf

        non_trainable = self._load(values)
        n_epochs = tf.shape(x)[0] // epoch_rows
        n_batches = (epoch_rows + batch - 1) // batch
        losses = tf.TensorArray(tf.float32, size=n_epochs)
        metrics = tf.TensorArray(tf.float32, size=n_epochs)
        states = [
            tf.TensorArray(
                variable.dtype,
                size=n_epochs,
                element_shape=tf.TensorShape(variable.shape),
            )
            for variable in self.variables
        ]
        for epoch in tf.range(n_epochs):
            first, end = epoch * epoch_rows, (epoch + 1) * epoch_rows
            loss_sum = tf.constant(0.0)
            metric_sum = tf.constant(0.0)
            for i in tf.range(n_batches):
                lo = first + i * batch
                hi = tf.minimum(lo + batch, end)
                xb, yb, wb = x[lo:hi], y[lo:hi], w[lo:hi]
                size = tf.cast(hi - lo, tf.float32)
                loss, logits, non_trainable = self._any_step(
                    xb, yb, wb, size, non_trainable
                )
                loss_sum += loss * size
                metric_sum += self.head.training_metric(yb, logits)
            losses = losses.write(epoch, loss_sum)
            metrics = metrics.write(epoch, metric_sum)
            states = [
                array.write(epoch, value)
                for array, value in zip(
                    states, self._values(non_trainable), strict=True
                )
            ]
        # the values after each epoch too, read by the host once per call
        stacked = [array.stack() for array in states]
        return losses.stack(), metrics.stack(), stacked, self._values(non_trainable)

    def _step(self, xb, yb, wb, size):
        import tensorflow as tf

        model = self.model
        with tf.GradientTape() as tape:
            with self.logits_of.linear_output():
                logits = model(xb, training=True)
            loss = tf.reduce_sum(self.head.training_loss(yb, logits) * wb) / size
            if model.losses:
                loss += tf.add_n(model.losses)
        grads = tape.gradient(loss, model.trainable_variables)
        # An embedding table's gradient comes as tf.IndexedSlices, one entry
        # per row, so a level seen twice in a batch has two entries; Keras's
        # TensorFlow optimizers square each entry (Adam's, RMSprop's second
        # moment: g1² + g2², not (g1 + g2)²) and step such a level by the
        # wrong size. Dense, it trains as the flat vector and JAX do.
        grads = [
            tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
            for g in grads
        ]
        model.optimizer.apply(grads, model.trainable_variables)
        return loss, logits

    def _flat_step(self, xb, yb, wb, size, non_trainable):
        import tensorflow as tf

        flat = self.flat
        vector = flat.vector.value
        with tf.GradientTape() as tape:
            loss, (logits, non_trainable) = self.logits_of.loss_and_state(
                self.head, flat.parts(vector), non_trainable, xb, yb, wb, size
            )
        grad = tape.gradient(loss, vector)
        flat.optimizer.apply([grad], [flat.vector])
        return loss, logits, list(non_trainable)

    def _values(self, non_trainable) -> list:
        """Every variable's current value, in the order of the values in."""
        if self.flat is None:
            return [variable.value.read_value() for variable in self.variables]
        return [
            *self.flat.parts(self.flat.vector.value.read_value()),
            *non_trainable,
            *self.flat.optimizer_values(),
        ]


class _TensorFlowScan(_TensorFlowChunk):
    """Optimiser steps over padded batches of one shape, for XLA.

    XLA compiles a function for static shapes: the rows come as ``(length,
    b, ...)`` batches (:func:`_scan_chunks`), the steps run over the first
    ``used``, and the dropout masks are drawn with the hash XLA fuses
    (:func:`skdnn._dropout.hashed_uniform`).
    """

    def __call__(self, values, rates, xs, ys, ws, masks, sizes, used):
        import tensorflow as tf

        _CACHE.traces += 1
        with dropout_given(rates, hashed=True):
            non_trainable = self._load(values)
            loss_sum = tf.constant(0.0)
            metric_sum = tf.constant(0.0)
            for i in tf.range(used):
                loss, logits, non_trainable = self._any_step(
                    xs[i], ys[i], ws[i], sizes[i], non_trainable
                )
                loss_sum += loss * sizes[i]
                metric_sum += self.head.training_metric(ys[i], logits, masks[i])
            return loss_sum, metric_sum, self._values(non_trainable)
