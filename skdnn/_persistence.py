"""Save and load fitted models without pickle.

A saved model is one zip archive that holds only data:

``manifest.json``
    Format name (``"skdnn-model"``), format version, the skdnn version that
    wrote it, the kind of object (``"estimator"`` or ``"pipeline"``), the
    library versions it was saved with, and the SHA-256 of every other
    member.
``estimator.json``
    The estimator's class (a name from
    :func:`skdnn._shared_api.estimator_classes`), parameters, fitted attributes,
    its fitted :class:`~skdnn.TabularPreprocessor` (``preprocessor_``, as
    plain arrays) and the layout of its learning-curve history, as JSON in
    which every value keeps its type (tuples, dicts with non-string keys,
    numpy scalars, NaN).
``arrays.npz``
    The numeric and text arrays that JSON refers to (classes, history
    columns), read back with ``allow_pickle=False``.
``model.keras``
    The network, in Keras's native format, loaded with ``safe_mode=True``
    after its configuration has been checked to hold only the layers skdnn
    builds.
``preprocessing.skops`` (pipelines only)
    The pipeline with its estimator replaced by ``"passthrough"``, in
    :mod:`skops.io`'s format, loaded only when every type and function in it
    is on skdnn's allow-list (:func:`trusted_types`): scikit-learn's public
    estimators, its feature-selection score functions, skdnn's
    ``TabularPreprocessor``, builtins, numpy arrays, dtypes and ufuncs.

Format version 2 added the estimator's class name and ``preprocessor_``;
version-1 files (classifiers written before skdnn encoded raw tables
itself) still load, with a preprocessor that passes numbers through
unchanged, as those networks were trained.

Loading reads nothing it did not expect: any other member, an unsafe member
path, a checksum mismatch, a format version newer than this skdnn knows, an
object array (pickle) in the ``.npy`` data, a Lambda or custom Keras layer
(other than skdnn's own ``TabularEmbedding``), or an untrusted preprocessing
type is refused with :class:`ModelFileError` before anything from the file is
constructed.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from skdnn._archive import (
    _ARRAYS,
    _ESTIMATOR,
    _MANIFEST,
    _MODEL,
    _PREPROCESSING,
    FORMAT_NAME,
    FORMAT_VERSION,
    ModelFileError,
    _check_keras_archive,
    _decode,
    _encode,
    _json_bytes,
    _library_versions,
    _npz_bytes,
    _read_archive,
    _read_json,
    _read_npz,
    _sha256,
    _write_atomic,
)
from skdnn._keras import quiet_numpy_copy_warning
from skdnn._saved_state import _PRIVATE_STATE, _check_fitted_state
from skdnn._user_warnings import user_stacklevel

TRUSTED_SKLEARN_FUNCTIONS = (
    "sklearn.feature_selection.chi2",
    "sklearn.feature_selection.f_classif",
    "sklearn.feature_selection.f_oneway",
    "sklearn.feature_selection.f_regression",
    "sklearn.feature_selection.mutual_info_classif",
    "sklearn.feature_selection.mutual_info_regression",
    "sklearn.feature_selection.r_regression",
)

# Saved apart from the other attributes (preprocessor_) or rebuilt on load.
_REBUILT = (
    "model_",
    "history_",
    "preprocessor_",
    "_history_rows",
    "_plan",
    "_runner",
)
_PUBLIC_ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]*_\Z")


def save(obj, path: str | os.PathLike) -> None:
    """Save a fitted skdnn estimator or pipeline to one file, without pickle.

    The file is a zip archive of JSON, ``.npy`` arrays, the network in
    Keras's ``.keras`` format and, for a pipeline, its preprocessing steps in
    :mod:`skops.io`'s format; :func:`load` reads it back without unpickling
    anything. The write is atomic: the archive is written to a temporary file
    in the destination folder and renamed over ``path``, so a failed save
    leaves no partial file (and an existing file at ``path`` intact).

    Parameters
    ----------
    obj : TaperedMLPClassifier, TaperedMLPRegressor or Pipeline
        A fitted :class:`~skdnn.TaperedMLPClassifier` or
        :class:`~skdnn.TaperedMLPRegressor`, or a fitted
        :class:`~sklearn.pipeline.Pipeline` whose last step is one and whose
        other steps are scikit-learn estimators (scalers, encoders,
        imputers, ``ColumnTransformer``, ``PCA``, ``SelectKBest``, nested
        pipelines, ...), :class:`~skdnn.TabularPreprocessor`, and the
        functions of :func:`trusted_types` (numpy ufuncs, scikit-learn's
        feature-selection score functions).
    path : str or path-like
        Destination file, conventionally with the ``.skdnn`` extension. Its
        folder must exist.

    Raises
    ------
    TypeError
        If ``obj`` is none of these, or holds a value, a preprocessing type
        or a function (a lambda, a custom class) that cannot be stored
        safely.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    See Also
    --------
    load : Read the file back.
    trusted_types : What a pipeline's preprocessing steps may hold.

    Notes
    -----
    The ``callbacks`` parameter holds Keras callback objects, which cannot
    be stored without pickle: it is saved as ``None``, with a warning.

    Plain :mod:`pickle` and :mod:`joblib` also work on the estimator (for
    ``GridSearchCV``, multiprocessing and the like), but loading a pickle
    runs code chosen by whoever wrote it: use them only for files you trust.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import make_classification
    >>> import skdnn
    >>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    >>> clf = skdnn.TaperedMLPClassifier(epochs=2, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "model.skdnn"
    ...     skdnn.save(clf, path)
    ...     loaded = skdnn.load(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from skdnn import __version__
    from skdnn._shared_api import estimator_classes

    classes = tuple(estimator_classes().values())
    names = " or ".join(estimator_classes())
    if type(obj) in classes:
        kind, clf = "estimator", obj
    elif isinstance(obj, Pipeline) and len(obj.steps) > 0:
        kind, clf = "pipeline", obj.steps[-1][1]
        if type(clf) not in classes:
            raise TypeError(
                f"save() takes a Pipeline whose last step is a {names}; its last "
                f"step is {type(clf).__name__}."
            )
    elif hasattr(obj, "best_estimator_"):  # a fitted search: its refit model
        raise TypeError(
            f"save() takes a fitted {names}, or a Pipeline ending in one; got "
            f"{type(obj).__name__}. Save the model it refit, "
            "save(search.best_estimator_, path), or pickle the search (trusted "
            "files only)."
        )
    else:
        raise TypeError(
            f"save() takes a fitted {names}, or a Pipeline ending in one; got "
            f"{type(obj).__name__}. Use pickle or joblib for other objects "
            "(trusted files only)."
        )
    check_is_fitted(clf, "model_")

    state, arrays = _estimator_state(clf)
    members = {
        _ESTIMATOR: _json_bytes(state),
        _ARRAYS: _npz_bytes(arrays),
        _MODEL: _keras_bytes(clf.model_),
    }
    if kind == "pipeline":
        members[_PREPROCESSING] = _preprocessing_bytes(obj)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "skdnn_version": __version__,
        "kind": kind,
        "saved_with": _library_versions(),
        "sha256": {name: _sha256(data) for name, data in members.items()},
    }
    _write_atomic(
        Path(path).expanduser(), {_MANIFEST: _json_bytes(manifest), **members}
    )


def load(path: str | os.PathLike):
    """Load a model saved by :func:`save`, safely.

    Nothing in the file is unpickled or executed: JSON and ``.npy`` data
    (``allow_pickle=False``), a Keras network checked to hold only the
    layers skdnn builds and loaded with ``safe_mode=True``, and, for a
    pipeline, preprocessing steps loaded by :mod:`skops.io` with an explicit
    list of trusted types.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`, or the folder of a ``skdnn train``
        run, whose ``model.skdnn`` is read.

    Returns
    -------
    TaperedMLPClassifier, TaperedMLPRegressor or Pipeline
        The fitted object, predicting as the saved one did, with its
        ``history_``, ``preprocessor_`` and parameters.

    Raises
    ------
    ModelFileError
        If the file is not a skdnn model (not a zip archive, truncated,
        corrupted or modified after saving), was written in a newer format
        version, holds unexpected members or unsafe paths, pickled data, a
        Lambda or custom Keras layer, or preprocessing types outside the
        trusted list. A subclass of :class:`ValueError`.
    FileNotFoundError
        If ``path`` does not exist.

    See Also
    --------
    save : Write the file.

    Notes
    -----
    The trusted preprocessing types are listed by :func:`trusted_types`.
    A pipeline with other steps cannot be saved with :func:`save`; pickle or
    joblib can store it, but load those only from sources you trust, since
    unpickling runs code.

    Files of format version 1 (classifiers saved before skdnn encoded raw
    tables itself) load with a ``preprocessor_`` that passes numbers
    through unchanged (``categorical_features=None, numeric_scaling=None``),
    so they predict as they did.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import skdnn
    >>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    >>> pipe = make_pipeline(
    ...     StandardScaler(), skdnn.TaperedMLPClassifier(epochs=2, random_state=0)
    ... ).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     skdnn.save(pipe, Path(folder) / "model.skdnn")
    ...     loaded = skdnn.load(Path(folder) / "model.skdnn")
    >>> len(loaded[-1].history_)
    2
    >>> bool((loaded.predict(X) == pipe.predict(X)).all())
    True
    """
    path = os.path.expanduser(path)
    if os.path.isdir(path):
        run_file = os.path.join(path, "model.skdnn")  # as the command line
        if not os.path.isfile(run_file):
            raise ModelFileError(
                f"{os.fspath(path)!r} is a folder, not a model file: give the "
                "file skdnn.save wrote (a skdnn train run's folder holds model.skdnn)."
            )
        path = run_file
    with open(path, "rb") as file:
        data = file.read()
    try:
        members, manifest = _read_archive(data)
        state = _read_json(members[_ESTIMATOR], _ESTIMATOR)
        arrays = _read_npz(members[_ARRAYS])
        # every check before anything is built from the file
        _check_keras_archive(members[_MODEL])
        if manifest["kind"] == "pipeline":
            _check_preprocessing(members[_PREPROCESSING])
        model = _read_keras(members[_MODEL], manifest.get("saved_with"))
        clf = _estimator_from_state(
            state, arrays, model, version=manifest["format_version"]
        )
        if manifest["kind"] == "estimator":
            return clf
        pipeline = _read_preprocessing(members[_PREPROCESSING])
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot load {os.fspath(path)!r}: {exc}") from exc
    pipeline.steps = [*pipeline.steps[:-1], (pipeline.steps[-1][0], clf)]
    return pipeline


# ----------------------------------------------------------------------
# The estimator: parameters and fitted state as typed JSON
# ----------------------------------------------------------------------


def _estimator_state(clf) -> tuple[dict, dict[str, np.ndarray]]:
    import pandas as pd

    from skdnn._dropout import seed_states
    from skdnn._network import LAYER_PARAMS
    from skdnn._preprocessor_state import preprocessor_state
    from skdnn._scorers import saveable_scoring

    name = type(clf).__name__
    arrays: dict[str, np.ndarray] = {}
    params = clf.get_params(deep=False)
    if params.get("callbacks"):
        warnings.warn(
            "callbacks hold Keras callback objects, which cannot be saved without "
            "pickle; the saved model has callbacks=None. Set them again after "
            "loading to train further with them.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        params["callbacks"] = None
    scoring, dropped = saveable_scoring(params.get("scoring"))
    if dropped:
        warnings.warn(
            f"scoring holds callable scorers ({', '.join(map(repr, dropped))}), "
            "which cannot be saved without pickle; the saved model keeps its "
            f"scorer names only (scoring={scoring!r}). Set them again after "
            "loading to record them in further training.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        params["scoring"] = scoring
    attributes = {}
    for attribute, value in vars(clf).items():
        if attribute in _REBUILT or attribute in params:
            continue
        if _PUBLIC_ATTRIBUTE.match(attribute) or attribute in _PRIVATE_STATE[name]:
            attributes[attribute] = value
    preprocessor = preprocessor_state(clf.preprocessor_)
    history = clf.history_
    if isinstance(history.index, pd.RangeIndex):
        index = {"start": int(history.index.start), "stop": int(history.index.stop)}
    else:
        index = _encode(history.index.to_numpy(), arrays, "the index of history_")
    state = {
        "estimator": name,
        "params": {
            param: _encode(value, arrays, f"parameter {param}")
            for param, value in params.items()
        },
        "attributes": {
            attribute: _encode(value, arrays, f"attribute {attribute}")
            for attribute, value in attributes.items()
        },
        "preprocessor": {
            part: {
                key: _encode(value, arrays, f"preprocessor_ {part} {key}")
                for key, value in preprocessor[part].items()
            }
            for part in ("params", "attributes")
        },
        "history": {
            "index_name": history.index.name,
            "index": index,
            "columns": [str(column) for column in history.columns],
            "values": [
                _encode(history[column].to_numpy(), arrays, "history_")
                for column in history.columns
            ],
        },
        # Keras's file keeps no seed generator's state: without them a
        # loaded network would continue training with its dropout masks
        # drawn again from the start, not as the saved one would
        "dropout_seed_states": [
            _encode(value, arrays, "dropout seed states")
            for value in seed_states(clf.model_)
        ],
    }
    # the parameters that built the network, which set_params may have
    # changed since: a continued fit of the loaded model is checked against
    # them, as the saved one's is
    network = clf._network
    built = (
        network.spec if network.spec is not None else getattr(network, "built", None)
    )
    if built is not None:
        state["built"] = {
            name: _encode(built[name], arrays, f"parameter {name}")
            for name in LAYER_PARAMS
        }
    return state, arrays


def _estimator_from_state(state, arrays: dict[str, np.ndarray], model, *, version):
    import pandas as pd

    from skdnn._dropout import restore_seed_states
    from skdnn._forward import extract_plan
    from skdnn._network import LAYER_PARAMS
    from skdnn._shared_api import estimator_classes

    classes = estimator_classes()
    # a version-1 file always held a classifier, and named it
    name = state.get("estimator") if isinstance(state, dict) else None
    if name not in classes or (version == 1 and name != "TaperedMLPClassifier"):
        raise ModelFileError(
            f"{_ESTIMATOR} does not describe one of skdnn's estimators "
            f"({', '.join(classes)})."
        )
    cls = classes[name]
    try:
        params = {
            str(param): _decode(value, arrays)
            for param, value in state["params"].items()
        }
        attributes = {
            str(attribute): _decode(value, arrays)
            for attribute, value in state["attributes"].items()
        }
        if version == 1:
            preprocessor = None
        else:
            preprocessor = {
                part: {
                    str(key): _decode(value, arrays)
                    for key, value in state["preprocessor"][part].items()
                }
                for part in ("params", "attributes")
            }
        history = state["history"]
        columns = [_decode(values, arrays) for values in history["values"]]
        index = history["index"]
        if isinstance(index, dict) and "start" in index:
            index = pd.RangeIndex(
                int(index["start"]), int(index["stop"]), name=history["index_name"]
            )
        else:
            index = pd.Index(_decode(index, arrays), name=history["index_name"])
        frame = pd.DataFrame(dict(zip(history["columns"], columns, strict=True)))
        frame.index = index
        # absent from files saved before they were kept
        seed_states = [
            np.asarray(_decode(value, arrays))
            for value in state.get("dropout_seed_states", [])
        ]
        built = {
            name: _decode(state["built"][name], arrays)
            for name in (LAYER_PARAMS if "built" in state else ())
        }
    except ModelFileError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{_ESTIMATOR} is malformed ({exc}).") from exc

    known = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ModelFileError(
            f"{_ESTIMATOR} sets parameters this skdnn does not know: {unknown}."
        )
    for attribute in attributes:
        if (
            not (
                _PUBLIC_ATTRIBUTE.match(attribute) or attribute in _PRIVATE_STATE[name]
            )
            or attribute in _REBUILT
        ):
            raise ModelFileError(
                f"{_ESTIMATOR} sets an unknown attribute {attribute!r}."
            )
    if version == 1:
        # the network was trained on the numbers as they came
        params.update(categorical_features=None, numeric_scaling=None)
    clf = cls(**params)
    for attribute, value in attributes.items():
        setattr(clf, attribute, value)
    clf.preprocessor_ = _fitted_preprocessor(clf, preprocessor)
    _check_fitted_state(clf, model)
    try:
        restore_seed_states(model, seed_states)
    except ValueError as exc:
        raise ModelFileError(f"{_ESTIMATOR} is malformed ({exc}).") from exc
    clf.model_ = model
    # what a continued fit checks and takes against: the saved parameters
    # built this network (a Keras file holds no estimator's parameters)
    network = clf._network
    network.learning_rate = float(clf.learning_rate)
    network.built = {name: getattr(clf, name) for name in LAYER_PARAMS} | built
    clf.history_ = frame
    clf._history_rows = frame.to_dict("records")
    clf._plan = clf._shifted(extract_plan(model))
    return clf


def _fitted_preprocessor(clf, state):
    """The estimator's ``preprocessor_`` from its saved state.

    ``state`` None (a version-1 file): a preprocessor fitted to pass the
    numbers through unchanged (centre 0, scale 1, no clipping, no
    category), which is what the network of such a file was trained on.
    """
    from skdnn._preprocessor_state import preprocessor_from_state

    if state is None:
        n_features = getattr(clf, "n_features_in_", None)
        if not isinstance(n_features, int) or n_features < 1:
            raise ModelFileError(f"{_ESTIMATOR}: n_features_in_ is not a positive int.")
        state = _pass_through_state(n_features, getattr(clf, "feature_names_in_", None))
    try:
        return preprocessor_from_state(state)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ModelFileError(
            f"{_ESTIMATOR} holds an invalid preprocessor_ ({exc})."
        ) from exc


def _pass_through_state(n_features: int, feature_names) -> dict:
    """The state of a preprocessor that feeds ``n_features`` numbers unchanged."""
    from skdnn._preprocessing import TabularPreprocessor

    empty = np.zeros(0, dtype=np.intp)
    attributes = {
        "n_features_in_": n_features,
        "categorical_features_": np.zeros(n_features, dtype=bool),
        "numeric_features_": np.arange(n_features, dtype=np.intp),
        "center_": np.zeros(n_features),
        "scale_": np.ones(n_features),
        "fill_": np.zeros(n_features),
        "indicator_features_": empty,
        "categories_": [],
        "onehot_features_": empty,
        "embedded_features_": empty,
        "n_dense_features_": n_features,
        "embedding_cardinalities_": (),
        "embedding_dims_": (),
    }
    if feature_names is not None:
        attributes["feature_names_in_"] = feature_names
    pre = TabularPreprocessor(categorical_features=None, numeric_scaling=None)
    return {"params": pre.get_params(deep=False), "attributes": attributes}


# ----------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------


def _keras_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        with quiet_numpy_copy_warning():
            model.save(path)
        return path.read_bytes()


def _read_keras(data: bytes, saved_with=None):
    from skdnn._keras import import_keras

    keras = import_keras()  # a process that cannot run Keras says why, unwrapped
    try:
        return _load_keras_model(data)
    except Exception as exc:
        # a newer Keras writes layer settings an older one rejects, in a
        # message of the whole layer's config: the versions say what to do
        saved = saved_with.get("keras") if isinstance(saved_with, dict) else None
        if isinstance(saved, str) and _older(keras.__version__, saved):
            raise ModelFileError(
                f"{_MODEL} was written by Keras {saved}, and this Keras "
                f"{keras.__version__} cannot read it; upgrade Keras "
                f'(pip install "keras>={saved}") and load it again.'
            ) from exc
        raise ModelFileError(
            f"{_MODEL} could not be loaded safely: {exc}".rstrip(".") + "."
        ) from exc


def _older(version: str, than: str) -> bool:
    """Whether release ``version`` comes before ``than`` (False when either
    cannot be read)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version).release < Version(than).release
    except InvalidVersion:
        return False


def _load_keras_model(data: bytes):
    """The compiled network from .keras bytes, with Keras's ``safe_mode=True``."""
    from skdnn._embedding import embedding_layer_class
    from skdnn._keras import import_keras, note_tensorflow_ran

    keras = import_keras()
    note_tensorflow_ran()
    embedding_layer_class()  # registers skdnn's layer before Keras reads it
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        # the network computes in float32: under a mixed_float16 policy
        # Keras would wrap its optimizer in loss scaling, whose variables do
        # not take the saved optimizer's (the policy is the thread's own)
        policy = keras.config.dtype_policy()
        try:
            keras.config.set_dtype_policy("float32")
            return keras.saving.load_model(path, compile=True, safe_mode=True)
        finally:
            keras.config.set_dtype_policy(policy)


# ----------------------------------------------------------------------
# The preprocessing steps of a pipeline, through skops
# ----------------------------------------------------------------------


def _preprocessing_bytes(pipeline) -> bytes:
    """The pipeline with its estimator replaced by "passthrough", in skops."""
    import copy

    import skops.io

    placeholder = copy.copy(pipeline)
    placeholder.steps = [*pipeline.steps[:-1], (pipeline.steps[-1][0], "passthrough")]
    try:
        data = skops.io.dumps(placeholder)
    except Exception as exc:  # skops refuses what it cannot represent
        raise TypeError(
            f"The pipeline's preprocessing cannot be saved without pickle ({exc}). "
            "Use pickle or joblib for this pipeline instead (trusted files only)."
        ) from exc
    refused = _refused_types(data)
    if refused:
        raise TypeError(
            f"The pipeline's preprocessing holds types or functions skdnn.load "
            f"would refuse: {refused}. {_TRUSTED_SUMMARY} Use pickle or joblib "
            "for this pipeline instead (trusted files only)."
        )
    return data


_TRUSTED_SUMMARY = (
    "Trusted: scikit-learn's public estimators, its feature-selection score "
    "functions, skdnn's TabularPreprocessor, builtins and numpy arrays, dtypes "
    "and ufuncs (see skdnn._persistence.trusted_types); lambdas, other "
    "functions and classes defined outside scikit-learn are not."
)


def _check_preprocessing(data: bytes) -> None:
    refused = _refused_types(data)
    if refused:
        raise ModelFileError(
            f"{_PREPROCESSING} holds untrusted types or functions {refused}; "
            f"refusing to load it. {_TRUSTED_SUMMARY}"
        )


def _read_preprocessing(data: bytes):
    """The placeholder pipeline; :func:`_check_preprocessing` has passed."""
    import skops.io
    from sklearn.pipeline import Pipeline

    try:
        # Trust explicitly only what skdnn allows; skops refuses the rest.
        allowed = _trusted_type_names() | _trusted_function_names()
        trusted = [t for t in skops.io.get_untrusted_types(data=data) if t in allowed]
        pipeline = skops.io.loads(data, trusted=trusted)
    except Exception as exc:
        raise ModelFileError(f"{_PREPROCESSING} could not be loaded ({exc}).") from exc
    try:
        name, placeholder = pipeline.steps[-1]
    except (AttributeError, TypeError, IndexError, ValueError):
        name, placeholder = None, None
    if (
        not isinstance(pipeline, Pipeline)
        or not isinstance(name, str)
        or not isinstance(placeholder, str)
        or placeholder != "passthrough"
    ):
        raise ModelFileError(
            f"{_PREPROCESSING} does not hold a Pipeline ending in a placeholder."
        )
    return pipeline


def _refused_types(data: bytes) -> list[str]:
    """Every type or function named in a skops file and not on the allow-list.

    Functions (skops's ``FunctionNode``) are checked against the trusted
    functions only, everything else against the trusted types, so a class
    can never pass as a function or the reverse.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = _read_json(archive.read("schema.json"), "schema.json")
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as exc:
        raise ModelFileError(
            f"{_PREPROCESSING} is not a valid skops file ({exc})."
        ) from exc
    types, functions = _trusted_type_names(), _trusted_function_names()
    refused: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "__loader__" in node:
                loader = node["__loader__"]
                name = f"{node.get('__module__')}.{node.get('__class__')}"
                if loader == "MethodNode":
                    # a bound method: never on the allow-list
                    content = node.get("content")
                    func = content.get("func") if isinstance(content, dict) else None
                    refused.add(f"{name}.{func}")
                elif name not in (functions if loader == "FunctionNode" else types):
                    refused.add(name)
            stack.extend(node.values())
    return sorted(refused)


def trusted_types() -> dict[str, list[str]]:
    """What the preprocessing steps of a saved pipeline may hold.

    :func:`save` refuses, and :func:`load` does not construct, a pipeline
    whose preprocessing steps hold any other type or function.

    Returns
    -------
    dict
        ``{"types": [...], "functions": [...]}``, each a sorted list of
        ``module.name`` strings as :mod:`skops.io` names them. The types are
        scikit-learn's public estimators (the classes of
        :func:`sklearn.utils.discovery.all_estimators`, every one of which
        :mod:`skops.io` can store), the column selector of
        :class:`~sklearn.compose.ColumnTransformer`
        (:func:`~sklearn.compose.make_column_selector`), skdnn's
        :class:`~skdnn.TabularPreprocessor`, Python's plain builtins and
        numpy arrays, dtypes and scalar types. The functions are numpy's
        ufuncs (``FunctionTransformer(np.log1p)``) and the score functions
        of :mod:`sklearn.feature_selection` (``SelectKBest(f_classif)``).

    Examples
    --------
    >>> from skdnn._persistence import trusted_types
    >>> trusted = trusted_types()
    >>> "sklearn.decomposition._pca.PCA" in trusted["types"]
    True
    >>> "numpy.log1p" in trusted["functions"]
    True
    >>> any("lambda" in name for name in trusted["functions"])
    False
    """
    return {
        "types": sorted(_trusted_type_names()),
        "functions": sorted(_trusted_function_names()),
    }


@lru_cache(maxsize=1)
def _trusted_type_names() -> frozenset[str]:
    """Types allowed in the preprocessing steps, as ``module.name``."""
    from sklearn.utils.discovery import all_estimators

    names = {
        f"builtins.{name}"
        for name in (
            "NoneType",
            "bool",
            "bytes",
            "dict",
            "float",
            "frozenset",
            "int",
            "list",
            "object",  # make_column_selector(dtype_include=object)
            "set",
            "slice",
            "str",
            "tuple",
        )
    }
    names |= {"numpy.ndarray", "numpy.dtype"}
    # skdnn's own transformer: its fitted state is plain numpy arrays.
    names |= {"skdnn._preprocessing.TabularPreprocessor"}
    names |= {f"{t.__module__}.{t.__name__}" for t in set(np.sctypeDict.values())}
    # every public scikit-learn estimator: skops stores each one as its
    # constructor arguments and fitted attributes (no pickle); the types and
    # functions those hold are checked on their own
    for _, estimator in all_estimators():
        name = f"{estimator.__module__}.{estimator.__name__}"
        if name.startswith("sklearn."):
            names.add(name)
    # the one public helper class a preprocessing step holds that is not an
    # estimator: ColumnTransformer's column selector (plain data)
    names.add("sklearn.compose._column_transformer.make_column_selector")
    # scikit-learn 1.6's ColumnTransformer keeps the remainder's columns in
    # this list subclass (gone in 1.7): plain data
    names.add("sklearn.compose._column_transformer._RemainderColsList")
    return frozenset(names)


@lru_cache(maxsize=1)
def _trusted_function_names() -> frozenset[str]:
    """Functions allowed in the preprocessing steps, as ``module.name``."""
    import importlib

    names = {
        f"numpy.{name}"
        for name in dir(np)
        if isinstance(getattr(np, name, None), np.ufunc)
    }
    # skops names a ufunc by the module pickle finds it in: numpy.log1p on
    # numpy 2, numpy.core._multiarray_umath.log1p on numpy 1
    names |= {
        name.replace("numpy.", "numpy.core._multiarray_umath.", 1) for name in names
    }
    for public in TRUSTED_SKLEARN_FUNCTIONS:
        module_name, _, name = public.rpartition(".")
        function = getattr(importlib.import_module(module_name), name)
        # skops names a function by the module that defines it
        names.add(f"{function.__module__}.{function.__qualname__}")
    return frozenset(names)
