"""A fitted network as numbers, and its Keras model built only when asked.

A search fits many networks of one architecture. Building each as a Keras
model (its layers, its variables and its optimizer's) cost a small table's
fit about 100 ms, more than its training. So an estimator holds a
:class:`Network`: the arguments of
:func:`~skdnn._architecture.build_model` (seeds included), the optimizer,
and every variable's value. The Keras objects of an architecture are built
once per process, in the training cache's :class:`~skdnn._training.Kit`;
the estimator's ``model_`` is built from the values when first read (and
then kept in step with further training).
"""

from __future__ import annotations

import numpy as np

_SEEDS = ("seeds", "embedding_seeds")
#: The estimator parameters a network's layers are built with, besides their
#: widths and dropout: a continued fit cannot change them.
LAYER_PARAMS = ("activation", "batch_norm", "l2", "kernel_initializer")


class Network:
    """An estimator's network: its architecture and its values.

    Parameters
    ----------
    spec : dict or None
        :func:`~skdnn._architecture.build_model`'s keyword arguments; None
        for a network read from a Keras model (:meth:`from_model`).
    optimizer : str
        The Keras optimizer's class name (``"Adam"``, ...).
    learning_rate : float
        The optimizer's starting learning rate.
    head : skdnn._heads head
        The task (loss, output).
    output_bias : ndarray or None
        The output layer's starting bias (the head's
        :meth:`~skdnn._heads._Head.initial_bias`); None keeps the zeros of
        :func:`~skdnn._architecture.build_model`.

    Attributes
    ----------
    values : list of ndarray or None
        Every variable's value after the last fit, in the order of the
        kit's variables (trainable, non-trainable, optimizer); None before.
    model : keras.Model or None
        The Keras model, once built (:meth:`keras_model`) or given.
    """

    def __init__(
        self, spec, optimizer: str, learning_rate: float, head, output_bias=None
    ):
        self.spec = spec
        self.optimizer = optimizer
        self.learning_rate = float(learning_rate)
        self.head = head
        self.output_bias = output_bias
        self.values: list[np.ndarray] | None = None
        self.model = None

    @classmethod
    def from_model(cls, model, head) -> Network:
        """The network of a compiled Keras ``model`` (a loaded file's)."""
        network = cls(None, type(model.optimizer).__name__, np.nan, head)
        network.model = model
        return network

    # ------------------------------------------------------------------

    def key(self) -> tuple | None:
        """The architecture, as the training cache names it."""
        from skdnn._keras import backend_name, import_keras
        from skdnn._training import architecture_key

        if self.spec is None:
            return architecture_key(self.model, self.head)
        keras = import_keras()
        shape = {k: v for k, v in self.spec.items() if k not in _SEEDS}
        # the rates are an argument of the compiled functions (skdnn._dropout):
        # only which layers have dropout is the architecture's
        shape["dropout"] = _has_dropout(shape["dropout"])
        return (
            "spec",
            backend_name(),
            keras.config.dtype_policy().name,
            repr(self.head),
            repr(sorted(shape.items())),
            self.optimizer,
        )

    def kit(self):
        """The architecture's :class:`~skdnn._kit.Kit`, from the process's cache."""
        from skdnn._kit import _clone, kit_for

        if self.spec is None:
            return kit_for(self.key(), lambda: _clone(self.model), self.head)
        return kit_for(self.key(), self._build, self.head)

    def runner(self, kit, batch_size: int, *, bound: bool):
        """An :class:`~skdnn._training.EpochRunner` of ``kit`` (:meth:`kit`)
        starting from this network.

        ``bound``: train the Keras model itself (built now if need be), so
        that callbacks see it as it trains. Otherwise a model already built
        gives the values to start from (it is what the user holds), and is
        brought up to date by :meth:`keep`.
        """
        from skdnn._training import EpochRunner

        if bound:
            return EpochRunner(kit, batch_size, model=self.keras_model())
        if self.model is not None:
            state = _model_values(self.model)
        elif self.values is not None:
            state = self.values
        else:
            state = kit.start(self._initial_values(kit), self.learning_rate)
        return EpochRunner(kit, batch_size, state, dropout=self._dropout_rates())

    def continue_as(self, estimator, *, apply: bool = True) -> None:
        """Check that a continued fit (``warm_start``, ``partial_fit``) of
        ``estimator``, as its parameters are now, trains this network; with
        ``apply``, take the parameters it can.

        New dropout rates (on the layers that have dropout) and a new
        learning rate are taken, as a fresh fit would take them. A change of
        the architecture (the hidden widths, which layers have dropout, the
        optimizer, the activation, batch norm, l2 or initializer) would need
        another network: ValueError naming it. The network was built from
        ``spec``, or (a loaded model) by the parameters in ``built``.
        """
        from skdnn._base import OPTIMIZERS
        from skdnn._dropout import dropout_layers

        widths = estimator._hidden_widths(estimator.preprocessor_._n_own_features())
        fitted_widths = estimator.hidden_layer_sizes_
        rates = estimator._dropout_rates(len(widths))
        learning_rate = estimator.learning_rate
        optimizer = OPTIMIZERS[estimator.optimizer]
        layers = {name: getattr(estimator, name) for name in LAYER_PARAMS}
        built = self.spec if self.spec is not None else getattr(self, "built", None)

        positive = _layer_rates(rates)
        same = tuple(widths) == tuple(fitted_widths)
        changed = [] if same else ["hidden_layer_sizes (the widths)"]
        if built is not None:
            changed += [name for name, v in layers.items() if built[name] != v]
        if self.spec is not None:
            if _has_dropout(self.spec["dropout"]) != _has_dropout(rates):
                changed.append("dropout (which layers have it)")
        elif self.model is not None and len(positive) != len(self._dropout_rates()):
            changed.append("dropout (which layers have it)")
        if optimizer != self.optimizer:
            changed.append("optimizer")
        if changed:
            raise ValueError(
                "warm_start and partial_fit continue the fitted network, but "
                f"its architecture changed since it was fit: {', '.join(changed)}."
                " Fit anew (warm_start=False) to train another network, or set "
                "the parameters back."
            )
        if not apply:
            return
        if self.spec is not None:
            self.spec = {**self.spec, "dropout": tuple(float(r) for r in rates)}
        if self.model is not None:
            for layer, rate in zip(dropout_layers(self.model), positive, strict=True):
                layer.rate = rate
        if learning_rate == self.learning_rate:
            return  # unchanged: the state's rate (a schedule's, say) goes on
        self.learning_rate = float(learning_rate)
        if self.model is not None:
            self.model.optimizer.learning_rate.assign(self.learning_rate)
        elif self.values is not None:
            position = self.kit().lr_position
            if position is not None:
                dtype = self.values[position].dtype
                self.values[position] = np.asarray(self.learning_rate, dtype=dtype)

    def _dropout_rates(self):
        """The rates of the network's ``Dropout`` layers (None: the kit's)."""
        if self.model is not None:
            from skdnn._dropout import dropout_rates

            return dropout_rates(self.model)
        if self.spec is None:
            return None
        return np.array(_layer_rates(self.spec["dropout"]), dtype=np.float32)

    def keep(self, runner) -> None:
        """Keep the values a fit ended with (and bring the model up to date)."""
        self.values = runner.values()
        if self.model is not None and runner.model is None:
            _assign(self.model, self.values)

    def keras_model(self):
        """The Keras model, built from the values on first use.

        Compiled with the optimizer (its state restored) and the loss, as a
        model built by hand would be.
        """
        if self.model is None:
            model = self._build()
            model.optimizer.build(model.trainable_variables)
            if self.values is not None:
                _assign(model, self.values)
            self.model = model
        return self.model

    # ------------------------------------------------------------------

    def _build(self):
        from skdnn._architecture import build_model
        from skdnn._keras import import_keras
        from skdnn._training import note_model_built

        keras = import_keras()
        note_model_built()
        model = build_model(**self.spec)
        if self.output_bias is not None:
            bias = model.get_layer("output").bias
            bias.assign(np.asarray(self.output_bias, dtype=bias.dtype))
        optimizer = getattr(keras.optimizers, self.optimizer)(
            learning_rate=self.learning_rate
        )
        # float32 throughout: no loss scaling under a mixed_float16 policy
        model.compile(
            optimizer=optimizer, loss=self.head.keras_loss, auto_scale_loss=False
        )
        return model

    def _initial_values(self, kit) -> list:
        from skdnn._architecture import initial_values

        values = initial_values(kit.template, *(self.spec[k] for k in _SEEDS))
        if values is None:  # a layer initial_values does not know: build it
            from skdnn._kit import numpy_values

            model = self._build()
            return numpy_values(
                [*model.trainable_variables, *model.non_trainable_variables]
            )
        if self.output_bias is not None:
            i = _output_bias_index(kit.template)
            values[i] = np.asarray(self.output_bias, dtype=values[i].dtype)
        return values

    def move_output_bias(self, delta) -> None:
        """Add ``delta`` to the output layer's bias, in the values a
        continued fit starts from and in the Keras model when built."""
        if self.model is not None:
            from skdnn._keras import to_numpy  # numpy 2 warns on np.array(v)

            bias = self.model.get_layer("output").bias
            bias.assign(to_numpy(bias) + np.asarray(delta, dtype=bias.dtype))
        if self.values is not None:
            i = _output_bias_index(self.kit().template)
            self.values[i] = self.values[i] + np.asarray(delta, self.values[i].dtype)

    def __getstate__(self):
        from skdnn._embedding import PickledModel

        state = dict(self.__dict__)
        if self.spec is not None and self.values is not None:
            state["model"] = None  # rebuilt from the values when asked
        elif state["model"] is not None:
            state["model"] = PickledModel(state["model"])
        return state

    def __setstate__(self, state):
        from skdnn._embedding import PickledModel

        model = state.get("model")
        if isinstance(model, PickledModel):  # copy.copy: the state as it was
            state = {**state, "model": model.model}
        self.__dict__.update(state)


def _output_bias_index(template) -> int:
    """Where the output layer's bias is among ``template``'s values (its
    trainable variables come first)."""
    bias = template.get_layer("output").bias
    (i,) = [i for i, v in enumerate(template.trainable_variables) if v is bias]
    return i


def _model_values(model) -> list:
    """Every variable's value of ``model``: trainable, non-trainable, optimizer.

    An optimizer not built yet (a model compiled but never trained) is
    built, so its starting state is read.
    """
    from skdnn._kit import _all_variables, numpy_values

    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return numpy_values(_all_variables(model))


def _assign(model, values) -> None:
    from skdnn._kit import _all_variables

    variables = _all_variables(model)
    if len(variables) != len(values):
        raise ValueError(
            f"a network of {len(values)} values for a model of {len(variables)} "
            "variables"
        )
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def _has_dropout(rates) -> tuple[bool, ...]:
    """Which layers have dropout: the architecture's part of the rates."""
    return tuple(float(rate) > 0 for rate in rates)


def _layer_rates(rates) -> list[float]:
    """The rates of the ``Dropout`` layers the rates build (a rate of 0
    builds none)."""
    return [float(rate) for rate in rates if float(rate) > 0]
