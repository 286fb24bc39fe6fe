"""The public face the estimators share: parameter docs and signatures.

The classifier and the regressor take the same 27 parameters of the shared
core (:class:`skdnn._base.BaseTaperedMLP`) plus a few of their own. Each
shared parameter is defined once, with its default, in the base's
``__init__``, and documented once, here; a concrete estimator's
``__init__`` names only its own parameters and passes the rest on, and
:func:`estimator_signature` gives it the full signature that scikit-learn
(``get_params``, ``clone``, the repr), ``help`` and Sphinx read.
:func:`fill_doc` writes the shared entries into a docstring where a line
holds only ``%(name)s``.
"""

from __future__ import annotations

import functools
import inspect
import re
import textwrap

#: Where the "?" of an estimator's HTML repr (Jupyter) points: its API page.
DOC_LINK_TEMPLATE = (
    "https://skdnn.readthedocs.io/en/latest/api/generated/"
    "{estimator_module}.{estimator_name}.html"
)


class DocLinkMixin:
    """Link a public skdnn estimator's HTML repr to its API page.

    scikit-learn's repr links an estimator to scikit-learn's pages only
    when its module is ``sklearn``; these two attributes name skdnn's.
    """

    _doc_link_module = "skdnn"
    _doc_link_template = DOC_LINK_TEMPLATE


#: Docstring entries shared by the estimators, by name (numpydoc, unindented).
DOCS = {
    "architecture_parameters": """\
hidden_layer_sizes : "auto" or tuple of int, default="auto"
    Widths of the hidden layers, first to last. ``"auto"`` derives them
    from the number of features with :func:`~skdnn.tapered_widths` and
    the four parameters below.
first_units : int or "auto", default="auto"
    Width of the first hidden layer when ``hidden_layer_sizes="auto"``.
    ``"auto"``: the next power of two at or above twice the number of
    features, clipped to [64, 512].
taper : float in (0, 1], default=0.5
    Width ratio between consecutive hidden layers (``"auto"`` only).
n_layers : int, default=3
    Maximum number of hidden layers (``"auto"`` only).
min_units : int, default=16
    Floor width of the layers after the first (``"auto"`` only).
activation : str, default="silu"
    Keras activation name of the hidden layers. The default, SiLU
    (``x * sigmoid(x)``, also called swish), is a smooth ReLU; it led ReLU
    on the quality benchmark's real tables (see :ref:`quality`).
kernel_initializer : str, default="auto"
    Keras initializer name of the hidden layers. ``"auto"`` pairs it with
    the activation: He normal for the ReLU family, LeCun normal for SELU,
    Glorot uniform otherwise (tanh, sigmoid, ...).
batch_norm : bool, default=False
    Insert batch normalisation between each hidden dense layer and its
    activation.
dropout : float or sequence of float, default=0.1
    Dropout rate after every hidden layer, or one rate per layer; each in
    [0, 1).
optimizer : {"adam", "adamw", "nadam", "adamax", "rmsprop", "sgd", \
        "adagrad", "lion"}, default="adam"
    Keras optimizer.
learning_rate : float, default=1e-3
    Initial learning rate of the optimizer.
l2 : float, default=0.0
    L2 penalty on every kernel (``l2 * sum(w ** 2)`` added to the loss).
batch_size : int, default=32
    Rows per optimiser step.
epochs : int, default=200
    Maximum number of passes over the training rows.
weight_averaging : float in [0, 1), default=0.5
    Momentum ``m`` of a moving average of the weights over epochs: after
    each epoch the kept network is ``m * kept + (1 - m) * trained``.
    Validation, early stopping and the fitted model use the average;
    the training curve and the optimiser follow the trained weights.
    ``0`` keeps each epoch's own weights, as does ``partial_fit`` (one
    epoch per call).""",
    "stopping_parameters": """\
early_stopping : bool, default=True
    Stop when ``monitor`` has not improved for ``patience`` epochs and
    restore the weights of its best epoch.
patience : int, default=10
    Epochs without improvement before stopping.""",
    "input_parameters": """\
categorical_features : "from_dtype", array-like of str, int or bool, \
        or None, default="from_dtype"
    Which input columns are categorical, as in scikit-learn's
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
    ``"from_dtype"`` takes the DataFrame columns of ``category``,
    ``object``, string and ``bool`` dtype (and, in a numpy array of
    objects, the columns holding text that is not numbers, or booleans;
    any other array is all numeric); or column names, integer indices, a
    boolean mask, or
    ``None`` (every column numeric). Categories with few levels are
    one-hot encoded, those with many get a learned embedding; missing
    and unseen levels share an "unknown" slot. See
    :class:`~skdnn.TabularPreprocessor` and the user guide's "Tabular
    input".
numeric_scaling : {"robust", "standard"} or None, default="robust"
    How the model scales numeric columns before the network (fitted on
    the rows given to ``fit``): ``"robust"`` centres on the median,
    divides by the interquartile range over 1.349 and smoothly clips
    extremes to +-3; ``"standard"`` uses the mean and standard deviation
    (also clipped); ``None`` feeds the numbers unscaled. Missing numbers
    are imputed at the centre, with a missing-indicator input.
numeric_bins : int or None, default=8
    Each numeric column with more than two distinct values also enters
    as a piecewise-linear encoding over up to this many quantile bins of
    the training rows (Gorishniy et al., 2022), beside its scaled value:
    one network layer can then draw a step or a kink where a tree would
    split. ``None`` feeds the scaled values alone. The automatic hidden
    widths follow the encoded columns without their bins.
callbacks : list of keras.callbacks.Callback or None, default=None
    Extra Keras callbacks (learning-rate schedules, checkpoints, ...).
    They are deep-copied at each fit, so the estimator stays clone-safe;
    what a callback stores on itself (a counter, a list it fills) stays on
    the copy, so keep it in an object it closes over (a
    ``keras.callbacks.LambdaCallback`` appending to a list of yours) or
    read it from :attr:`history_`.
    Epoch-level hooks are called with this estimator's logs; batch-level
    hooks are not called (the epoch runs as one compiled loop). A callback
    that sets the weights at the end of training (Keras's
    ``EarlyStopping(restore_best_weights=True)``) sets those the estimator
    keeps, unless ``early_stopping=True`` keeps its own best epoch's. With
    ``weight_averaging``, the logs score the averaged network while the
    callbacks' ``model`` holds the trained weights: a ``ModelCheckpoint``
    saves those (``weight_averaging=0`` makes them one).
warm_start : bool, default=False
    Continue training the fitted network on the next call to ``fit``
    instead of starting anew; :attr:`history_` is extended. A continued
    fit (and ``partial_fit``) takes new ``dropout`` rates and a new
    ``learning_rate``; a change of the architecture (the hidden widths,
    which layers have dropout, ``activation``, ``batch_norm``, ``l2``,
    ``kernel_initializer``, ``optimizer``) is refused with a ValueError.
    The encoding of the columns (:attr:`preprocessor_`) stays the first
    fit's: numbers keep its scaling, and a level first seen later reads
    as unknown (with a warning when a tenth of a call's rows hold one).
    So does a regressor's standardisation of the target: a continued fit
    on targets of another centre or spread trains toward them in the
    first fit's units, from far off; fit anew (``warm_start=False``) when
    the target has moved.
random_state : int, RandomState instance or None, default=None
    Seeds the weights, dropout masks, shuffling and validation split.
    With an int, fits are bit-for-bit reproducible. Global random
    states (numpy, ``random``, Keras, TensorFlow) are never touched.
verbose : int, default=0
    Show progress when positive: in a terminal or notebook one live line
    (epoch k/N, loss, val_loss, elapsed time, ETA) redrawn in place, and
    one plain line per epoch elsewhere (a log file), on stderr.""",
    "input_attributes": """\
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during fit, when X has string column names.
hidden_layer_sizes_ : tuple of int
    The resolved hidden layer widths.
preprocessor_ : TabularPreprocessor
    The fitted encoding of the input columns (see ``categorical_features``
    and ``numeric_scaling``), learnt by the first ``fit`` or
    ``partial_fit`` call and kept by later ``warm_start`` and
    ``partial_fit`` calls.""",
    "model_built": """\
Built from the fitted values when first read (training builds none),
compiled with the optimizer and its state; once read, further training
(``warm_start``, ``partial_fit``) continues from it and updates it.
``predict`` reads the weights fit left: after changing this model's
weights yourself, assign it back (``est.model_ = est.model_``), and
``predict``, :func:`skdnn.save` and further training all read the new
ones.""",
    "epoch_attributes": """\
n_iter_ : int
    Number of epochs run (in total, with ``warm_start``).
best_epoch_ : int
    Epoch with the best ``monitor`` value among those of the last call to
    ``fit`` (a ``warm_start`` fit judges its own epochs, as Keras's
    ``EarlyStopping`` restarts with each ``fit``: its best may be worse
    than an earlier call's, which ``history_`` still shows). With
    ``early_stopping`` the weights are those of this epoch.""",
    "mlp_attributes": """\
loss_ : float
    The last epoch's training loss, as in scikit-learn's perceptrons.
best_loss_ : float or None
    The lowest training loss of the fit; None with early stopping.
best_validation_score_ : float or None
    With early stopping on a validation set, the validation score of the
    kept epoch (``validation_scores_`` at ``best_epoch_``); None otherwise.
n_layers_ : int
    Layers of the network, the input and the output included.""",
    "validation_attributes": """\
n_validation_samples_ : int
    Rows behind the validation curves (the hold-out or
    ``validation_data``); 0 without a validation set. A continued fit
    without one keeps the count behind the curve it continues.""",
    "training_notes": """\
Training runs on the Keras backend in use (TensorFlow by default, or
JAX). Prediction runs the fitted network in numpy from weights read once
after training, which equals the Keras model's output to float32
precision, and is thread-safe.

``fit`` uses a float32 or float64 ``X`` as given (other dtypes are
converted to float32 once) and casts each chunk of rows to float32 as it
trains, so it holds no copy of ``X``. Numbers are scaled and smoothly
clipped before the network reads them, so a value of any size lands
within +-3 (see :class:`~skdnn.TabularPreprocessor`); with
``numeric_scaling=None`` values beyond float32's range are refused. With
``scoring``, the rows the scorers read are gathered once per fit as
float32.""",
}

_MARKER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def fill_doc(obj):
    """Write the shared docstring entries into ``obj``'s docstring.

    Each line that holds only ``%(name)s`` is replaced by ``DOCS[name]``,
    indented as the marker was; nothing else in the docstring changes.

    Parameters
    ----------
    obj : class or function
        The object whose ``__doc__`` holds markers.

    Returns
    -------
    obj : class or function
        The same object, its docstring filled in.

    Examples
    --------
    >>> from skdnn._shared_api import fill_doc
    >>> @fill_doc
    ... def f():
    ...     '''Parameters
    ...
    ...     %(stopping_parameters)s
    ...     '''
    >>> f.__doc__.splitlines()[2]
    '    early_stopping : bool, default=True'
    """

    def entry(match):
        name = match.group("name")
        if name not in DOCS:
            raise KeyError(f"No shared docstring entry named {name!r}.")
        return textwrap.indent(DOCS[name], match.group("indent"))

    obj.__doc__ = _MARKER.sub(entry, obj.__doc__)
    return obj


def shared_parameters(cls, params: dict, base_init) -> dict:
    """``params`` once every name is one of ``base_init``'s parameters.

    A concrete estimator's ``__init__`` passes what it does not take itself
    on to the base; a name that is no parameter at all gets the
    ``TypeError`` Python gives, naming the estimator rather than the base,
    with the closest parameter suggested.

    Parameters
    ----------
    cls : type
        The estimator class, for the message.
    params : dict
        The keyword arguments left for the base.
    base_init : function
        The base's ``__init__``.

    Returns
    -------
    params : dict
        The same dict.

    Examples
    --------
    >>> from skdnn._base import BaseTaperedMLP
    >>> from skdnn._shared_api import shared_parameters
    >>> shared_parameters(object, {"dropout": 0.2}, BaseTaperedMLP.__init__)
    {'dropout': 0.2}
    """
    unknown = first_unknown(params, _parameter_names(base_init))
    if unknown is not None:
        raise TypeError(
            f"{cls.__name__}.__init__() got an unexpected keyword argument "
            f"{unknown[0]!r}{unknown[1]}"
        )
    return params


@functools.cache
def _parameter_names(init) -> frozenset:
    """The parameter names of ``init`` but ``self``, read once per function
    (``inspect.signature`` costs about as much as building an estimator)."""
    return frozenset(list(inspect.signature(init).parameters)[1:])


def first_unknown(names, known) -> tuple[str, str] | None:
    """The first of ``names`` not in ``known``, with a hint naming the
    closest known name (``"; did you mean 'x'?"``, or ``""``), or the name of
    an MLPClassifier parameter here; None when every name is known.

    Examples
    --------
    >>> from skdnn._shared_api import first_unknown
    >>> first_unknown(["dropout", "dropuot"], ["dropout", "l2"])
    ('dropuot', "; did you mean 'dropout'?")
    >>> first_unknown(["max_iter"], ["epochs"])
    ('max_iter', "; scikit-learn's MLP 'max_iter' is 'epochs' here")
    >>> first_unknown(["l2"], ["dropout", "l2"]) is None
    True
    """
    import difflib

    from skdnn._mlp_names import MLP_ONLY, MLP_PARAMETERS

    for name in names:
        if name not in known:
            ours, how = MLP_PARAMETERS.get(name, ("", ""))
            if ours in known:
                return name, f"; scikit-learn's MLP {name!r} is {ours!r} here{how}"
            if name in MLP_ONLY and "epochs" in known:
                return name, (
                    f"; scikit-learn's MLP {name!r} has no counterpart here: "
                    f"{MLP_ONLY[name]}"
                )
            close = difflib.get_close_matches(name, list(known), n=1)
            return name, f"; did you mean {close[0]!r}?" if close else ""
    return None


def estimator_signature(init, base_init, *, after: str | None = None):
    """The signature of a concrete estimator's ``__init__``, shared ones included.

    ``init`` takes the estimator's own keyword-only parameters and passes
    the others (``**params``) to ``base_init``, which defines them with
    their defaults. The signature lists them all: the shared ones in the
    base's order, with ``init``'s own after the one named ``after`` (first
    when None).

    Parameters
    ----------
    init : function
        The concrete ``__init__(self, *, own=default, ..., **params)``.
    base_init : function
        The base's ``__init__``, defining every shared parameter.
    after : str or None, default=None
        The shared parameter the own ones follow.

    Returns
    -------
    signature : inspect.Signature
        What ``inspect.signature(init)`` should answer, to be set as
        ``init.__signature__``.

    Examples
    --------
    >>> from skdnn._base import BaseTaperedMLP
    >>> from skdnn._shared_api import estimator_signature
    >>> def __init__(self, *, loss="squared_error", **params): ...
    >>> sig = estimator_signature(__init__, BaseTaperedMLP.__init__)
    >>> list(sig.parameters)[:3]
    ['self', 'loss', 'hidden_layer_sizes']
    """
    own = [
        p
        for p in inspect.signature(init).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    ]
    shared = list(inspect.signature(base_init).parameters.values())
    names = [p.name for p in shared]
    clash = sorted({p.name for p in own} & set(names))
    if clash:
        raise TypeError(f"Parameters {clash} are both own and shared.")
    at = 1 if after is None else names.index(after) + 1
    return inspect.Signature(shared[:at] + own + shared[at:])


def estimator_classes() -> dict[str, type]:
    """skdnn's estimator classes by name (for saving, loading and the CLI).

    Returns
    -------
    dict of str to type
        ``{"TaperedMLPClassifier": ..., "TaperedMLPRegressor": ...}``.

    Examples
    --------
    >>> from skdnn._shared_api import estimator_classes
    >>> sorted(estimator_classes())
    ['TaperedMLPClassifier', 'TaperedMLPRegressor']
    """
    from skdnn._classifier import TaperedMLPClassifier
    from skdnn._regressor import TaperedMLPRegressor

    return {cls.__name__: cls for cls in (TaperedMLPClassifier, TaperedMLPRegressor)}


def restored_on_failure(fit):
    """Decorate an estimator's ``_fit`` so that a fresh fit that fails
    leaves the estimator as it was.

    A fresh fit (not ``warm_start``, not a ``partial_fit`` after the first
    call) sets what it learns of its data (``classes_``, the encoding, the
    target's scale) before every check has run and before the network
    trains: a refused or diverged refit left them beside the earlier
    fit's network, which then predicted nonsense (one probability column
    for three classes) with no error. Its attributes are put back, the
    earlier fit's network with them (a fresh fit builds a new one), and
    so after a Ctrl-C that ends the fit before its epochs (one during them
    keeps the epochs run: the fit returns). A continued fit trains the
    network in place, so what it did is kept, except the hold-out it drew
    (``_holdout``), which the fit it continues keeps.
    """

    @functools.wraps(fit)
    def wrapper(estimator, *args, incremental, **kwargs):
        state = vars(estimator)
        fresh = "_network" not in state or not (incremental or estimator.warm_start)
        saved = dict(state) if fresh else {"_holdout": state.get("_holdout")}
        try:
            return fit(estimator, *args, incremental=incremental, **kwargs)
        except BaseException:
            if fresh:
                state.clear()
                state.update(saved)
            elif saved["_holdout"] is None:
                state.pop("_holdout", None)
            else:
                state["_holdout"] = saved["_holdout"]
            raise

    return wrapper
