"""Save and load fitted models without pickle.

A saved model is one zip archive that holds only data:

``manifest.json``
    Format name (``"skdnn-model"``), format version, the skdnn version that
    wrote it, the kind of object (``"estimator"`` or ``"pipeline"``), the
    library versions it was saved with, and the SHA-256 of every other
    member.
``estimator.json``
    The classifier's parameters, its fitted attributes and the layout of its
    learning-curve history, as JSON in which every value keeps its type
    (tuples, dicts with non-string keys, numpy scalars, NaN).
``arrays.npz``
    The numeric and text arrays that JSON refers to (classes, history
    columns), read back with ``allow_pickle=False``.
``model.keras``
    The network, in Keras's native format, loaded with ``safe_mode=True``
    after its configuration has been checked to hold only the layers skdnn
    builds.
``preprocessing.skops`` (pipelines only)
    The pipeline with its classifier replaced by ``"passthrough"``, in
    :mod:`skops.io`'s format, loaded only when every type in it is on the
    allow-list of :data:`TRUSTED_SKLEARN_MODULES` (plus skdnn's
    ``TabularPreprocessor``, builtins, numpy arrays, dtypes and ufuncs).

Loading reads nothing it did not expect: any other member, an unsafe member
path, a checksum mismatch, a format version newer than this skdnn knows, an
object array (pickle) in the ``.npy`` data, a Lambda or custom Keras layer
(other than skdnn's own ``TabularEmbedding``), or an untrusted preprocessing
type is refused with :class:`ModelFileError` before anything from the file is
constructed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import secrets
import sys
import tempfile
import warnings
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

FORMAT_NAME = "skdnn-model"
#: Version of the archive layout written by :func:`save`; :func:`load` reads
#: this version and every earlier one.
FORMAT_VERSION = 1

#: scikit-learn modules whose public classes may appear in the preprocessing
#: steps of a saved pipeline.
TRUSTED_SKLEARN_MODULES = (
    "sklearn.compose",
    "sklearn.impute",
    "sklearn.pipeline",
    "sklearn.preprocessing",
)

_MANIFEST = "manifest.json"
_ESTIMATOR = "estimator.json"
_ARRAYS = "arrays.npz"
_MODEL = "model.keras"
_PREPROCESSING = "preprocessing.skops"
_MEMBERS = {
    "estimator": (_MANIFEST, _ESTIMATOR, _ARRAYS, _MODEL),
    "pipeline": (_MANIFEST, _ESTIMATOR, _ARRAYS, _MODEL, _PREPROCESSING),
}

# The layers build_model creates; anything else in a .keras file is refused.
_KERAS_LAYERS = frozenset(
    {
        "InputLayer",
        "Dense",
        "BatchNormalization",
        "Activation",
        "Dropout",
        "TabularEmbedding",
    }
)
# skdnn's own registered Keras layers: registered name -> class name.
_SKDNN_LAYERS = {"skdnn>TabularEmbedding": "TabularEmbedding"}
_SKDNN_LAYER_MODULE = "skdnn._preprocessing"
_KERAS_MEMBERS = frozenset({"metadata.json", "config.json", "model.weights.h5"})
# Private fitted attributes that are saved; the rest are rebuilt on load.
_PRIVATE_STATE = ("_target_kind",)
_REBUILT = ("model_", "history_", "_history_rows", "_plan", "_runner")
_TARGET_KINDS = ("binary", "multiclass", "multilabel")
_NOT_MODEL = "not a skdnn model file"
_PUBLIC_ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]*_\Z")
# dtype kinds stored as plain arrays: bool, ints, floats, complex, text.
_ARRAY_KINDS = frozenset("biufcUS")
# A member declaring more than this many bytes per stored byte, above the
# floor, is a decompression bomb rather than a model.
_BOMB_FLOOR_BYTES = 1 << 30
_BOMB_RATIO = 200


class ModelFileError(ValueError):
    """A file that is not a valid skdnn model archive, or that is unsafe.

    Raised by :func:`load` for a corrupted, truncated or tampered file, an
    unknown format version, unexpected archive members, pickled data, or
    types outside the trusted lists, before anything in the file runs.
    """


def save(obj, path: str | os.PathLike) -> None:
    """Save a fitted classifier or pipeline to one file, without pickle.

    The file is a zip archive of JSON, ``.npy`` arrays, the network in
    Keras's ``.keras`` format and, for a pipeline, its preprocessing steps in
    :mod:`skops.io`'s format; :func:`load` reads it back without unpickling
    anything. The write is atomic: the archive is written to a temporary file
    in the destination folder and renamed over ``path``, so a failed save
    leaves no partial file (and an existing file at ``path`` intact).

    Parameters
    ----------
    obj : TaperedMLPClassifier or Pipeline
        A fitted :class:`~skdnn.TaperedMLPClassifier`, or a fitted
        :class:`~sklearn.pipeline.Pipeline` whose last step is one and whose
        other steps are built from the classes of
        :data:`TRUSTED_SKLEARN_MODULES` (scalers, encoders, imputers,
        ``ColumnTransformer``, nested pipelines, ...) and
        :class:`~skdnn.TabularPreprocessor`.
    path : str or path-like
        Destination file, conventionally with the ``.skdnn`` extension. Its
        folder must exist.

    Raises
    ------
    TypeError
        If ``obj`` is neither, or holds a value or a preprocessing type that
        cannot be stored safely.
    sklearn.exceptions.NotFittedError
        If the classifier is not fitted.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    See Also
    --------
    load : Read the file back.

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
    from skdnn._classifier import TaperedMLPClassifier

    if type(obj) is TaperedMLPClassifier:
        kind, clf = "estimator", obj
    elif isinstance(obj, Pipeline) and len(obj.steps) > 0:
        kind, clf = "pipeline", obj.steps[-1][1]
        if type(clf) is not TaperedMLPClassifier:
            raise TypeError(
                "save() takes a Pipeline whose last step is a TaperedMLPClassifier; "
                f"its last step is {type(clf).__name__}."
            )
    else:
        raise TypeError(
            "save() takes a fitted TaperedMLPClassifier or a Pipeline ending in "
            f"one; got {type(obj).__name__}. Use pickle or joblib for other "
            "objects (trusted files only)."
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
    _write_atomic(Path(path), {_MANIFEST: _json_bytes(manifest), **members})


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
        A file written by :func:`save`.

    Returns
    -------
    TaperedMLPClassifier or Pipeline
        The fitted object, predicting as the saved one did, with its
        ``history_`` and parameters.

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
    The trusted preprocessing types are the public classes of
    :data:`TRUSTED_SKLEARN_MODULES`, :class:`~skdnn.TabularPreprocessor`,
    Python builtins, numpy arrays, dtypes and ufuncs (for
    ``FunctionTransformer(np.log1p)``). A pipeline with other
    steps cannot be saved with :func:`save`; pickle or joblib can store it,
    but load those only from sources you trust, since unpickling runs code.

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
        model = _read_keras(members[_MODEL])
        clf = _estimator_from_state(state, arrays, model)
        if manifest["kind"] == "estimator":
            return clf
        pipeline = _read_preprocessing(members[_PREPROCESSING])
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot load {os.fspath(path)!r}: {exc}") from exc
    pipeline.steps = [*pipeline.steps[:-1], (pipeline.steps[-1][0], clf)]
    return pipeline


# ----------------------------------------------------------------------
# The archive
# ----------------------------------------------------------------------


def _write_atomic(path: Path, members: dict[str, bytes]) -> None:
    """Write the archive next to ``path`` under a temporary name, then rename."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Cannot save to {str(path)!r}: the folder {str(folder)!r} does not exist."
        )
    temporary = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    # O_EXCL: never write through an existing file or link; 0o666 lets the
    # user's umask set the final permissions, as for any new file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in members.items():
                    archive.writestr(name, data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read_archive(data: bytes) -> tuple[dict[str, bytes], dict]:
    """The verified members of the archive, and its manifest."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ModelFileError(
            f"{_NOT_MODEL}: it is not a zip archive, or it is truncated or "
            f"corrupted ({exc})."
        ) from exc
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        for member in names:
            if _unsafe_member_name(member):
                raise ModelFileError(
                    f"{_NOT_MODEL}: it holds a member with an unsafe path, "
                    f"{member!r}; refusing to read it."
                )
        if len(set(names)) != len(names):
            raise ModelFileError(f"{_NOT_MODEL}: it holds duplicate members.")
        if _MANIFEST not in names:
            raise ModelFileError(f"{_NOT_MODEL}: it has no {_MANIFEST}.")
        for info in infos:
            if (
                info.file_size > _BOMB_FLOOR_BYTES
                and info.file_size > _BOMB_RATIO * max(info.compress_size, 1)
            ):
                raise ModelFileError(
                    f"{_NOT_MODEL}: member {info.filename!r} declares "
                    f"{info.file_size} bytes from {info.compress_size} stored; "
                    "refusing a decompression bomb."
                )
        manifest = _check_manifest(
            _read_json(_read_member(archive, _MANIFEST), _MANIFEST)
        )
        expected = _MEMBERS[manifest["kind"]]
        unexpected = sorted(set(names) - set(expected))
        if unexpected:
            raise ModelFileError(
                f"{_NOT_MODEL}: unexpected member(s) {unexpected}; a "
                f"{manifest['kind']} archive holds only {list(expected)}."
            )
        missing = [member for member in expected if member not in names]
        if missing:
            raise ModelFileError(f"{_NOT_MODEL}: member(s) {missing} are missing.")
        members = {}
        for member in expected:
            if member == _MANIFEST:
                continue
            content = _read_member(archive, member)
            if _sha256(content) != manifest["sha256"].get(member):
                raise ModelFileError(
                    "the file was modified after it was saved: the checksum of "
                    f"{member!r} does not match its manifest."
                )
            members[member] = content
    return members, manifest


def _unsafe_member_name(name: str) -> bool:
    parts = re.split(r"[/\\]", name)
    return (
        name.startswith(("/", "\\"))
        or re.match(r"[A-Za-z]:", name) is not None
        or ".." in parts
        or len(parts) > 1
    )


def _read_member(archive: zipfile.ZipFile, member: str) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        # zipfile checks each member's CRC as it reads it.
        raise ModelFileError(
            f"{_NOT_MODEL}: member {member!r} is corrupted or truncated ({exc})."
        ) from exc


def _check_manifest(manifest) -> dict:
    from skdnn import __version__

    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{_NOT_MODEL}: its manifest names no skdnn format.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(
            f"{_NOT_MODEL}: its format version {version!r} is not a positive integer."
        )
    if version > FORMAT_VERSION:
        writer = manifest.get("skdnn_version", "an unknown version")
        raise ModelFileError(
            f"this model file has format version {version} (written by skdnn "
            f"{writer}); skdnn {__version__} reads format version {FORMAT_VERSION} "
            "and earlier. Upgrade skdnn to load it."
        )
    if manifest.get("kind") not in _MEMBERS:
        raise ModelFileError(
            f"{_NOT_MODEL}: its kind {manifest.get('kind')!r} is not one of "
            f"{sorted(_MEMBERS)}."
        )
    if not isinstance(manifest.get("sha256"), dict):
        raise ModelFileError(f"{_NOT_MODEL}: its manifest has no checksums.")
    return manifest


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _library_versions() -> dict[str, str]:
    import keras
    import sklearn

    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
    }


def _json_bytes(value) -> bytes:
    return json.dumps(value, allow_nan=False, indent=1).encode("utf-8")


def _read_json(data: bytes, member: str):
    def refuse_constant(name):
        raise ValueError(f"non-standard JSON constant {name}")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{member} is not valid JSON ({exc}).") from exc


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelFileError(f"{_ARRAYS} is not a .npz archive.")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ModelFileError(
                f"{_ARRAYS} holds a pickled object array; refusing to unpickle it."
            ) from exc
        raise ModelFileError(f"{_ARRAYS} is not a valid .npz file ({exc}).") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{_ARRAYS} is not a valid .npz file ({exc}).") from exc


# ----------------------------------------------------------------------
# The estimator: parameters and fitted state as typed JSON
# ----------------------------------------------------------------------


def _estimator_state(clf) -> tuple[dict, dict[str, np.ndarray]]:
    import pandas as pd

    arrays: dict[str, np.ndarray] = {}
    params = clf.get_params(deep=False)
    if params.get("callbacks"):
        warnings.warn(
            "callbacks hold Keras callback objects, which cannot be saved without "
            "pickle; the saved model has callbacks=None. Set them again after "
            "loading to train further with them.",
            UserWarning,
            stacklevel=3,
        )
        params["callbacks"] = None
    attributes = {}
    for name, value in vars(clf).items():
        if name in _REBUILT or name in params:
            continue
        if _PUBLIC_ATTRIBUTE.match(name) or name in _PRIVATE_STATE:
            attributes[name] = value
    history = clf.history_
    if isinstance(history.index, pd.RangeIndex):
        index = {"start": int(history.index.start), "stop": int(history.index.stop)}
    else:
        index = _encode(history.index.to_numpy(), arrays, "the index of history_")
    state = {
        "estimator": type(clf).__name__,
        "params": {
            name: _encode(value, arrays, f"parameter {name}")
            for name, value in params.items()
        },
        "attributes": {
            name: _encode(value, arrays, f"attribute {name}")
            for name, value in attributes.items()
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
    }
    return state, arrays


def _estimator_from_state(state, arrays: dict[str, np.ndarray], model):
    import pandas as pd

    from skdnn._classifier import TaperedMLPClassifier
    from skdnn._forward import extract_plan

    if not isinstance(state, dict) or state.get("estimator") != "TaperedMLPClassifier":
        raise ModelFileError(f"{_ESTIMATOR} does not describe a TaperedMLPClassifier.")
    try:
        params = {
            str(name): _decode(value, arrays) for name, value in state["params"].items()
        }
        attributes = {
            str(name): _decode(value, arrays)
            for name, value in state["attributes"].items()
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
    except ModelFileError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{_ESTIMATOR} is malformed ({exc}).") from exc

    known = TaperedMLPClassifier().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ModelFileError(
            f"{_ESTIMATOR} sets parameters this skdnn does not know: {unknown}."
        )
    for name in attributes:
        if not (_PUBLIC_ATTRIBUTE.match(name) or name in _PRIVATE_STATE):
            raise ModelFileError(f"{_ESTIMATOR} sets an unknown attribute {name!r}.")
    clf = TaperedMLPClassifier(**params)
    for name, value in attributes.items():
        setattr(clf, name, value)
    _check_fitted_state(clf, model)
    clf.model_ = model
    clf.history_ = frame
    clf._history_rows = frame.to_dict("records")
    clf._runner = None
    clf._plan = extract_plan(model)
    return clf


def _check_fitted_state(clf, model) -> None:
    """The saved attributes agree with each other and with the network."""
    classes = getattr(clf, "classes_", None)
    n_features = getattr(clf, "n_features_in_", None)
    kind = getattr(clf, "_target_kind", None)
    problems = []
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        problems.append("classes_ is not a 1d array")
    if not isinstance(n_features, int) or n_features < 1:
        problems.append("n_features_in_ is not a positive int")
    if kind not in _TARGET_KINDS:
        problems.append(f"_target_kind is not one of {_TARGET_KINDS}")
    if not problems:
        n_outputs = 1 if kind == "binary" else classes.shape[0]
        if tuple(model.inputs[0].shape[1:]) != (n_features,):
            problems.append("the network's input width differs from n_features_in_")
        if tuple(model.outputs[0].shape[1:]) != (n_outputs,):
            problems.append("the network's output width does not fit classes_")
    if problems:
        raise ModelFileError(
            f"{_ESTIMATOR} and {_MODEL} do not describe one fitted model: "
            + "; ".join(problems)
            + "."
        )


def _encode(value, arrays: dict[str, np.ndarray], where: str):
    """``value`` as JSON that keeps its type; arrays go to ``arrays``.

    Every Python dict is encoded as a tagged object, so any JSON object in
    the output is a tag: the decoding is unambiguous.
    """
    # numpy scalars first: np.float64 is also a Python float
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biufU":
            raise TypeError(f"{where} holds a {value.dtype} scalar: not saveable.")
        return {
            "type": "scalar",
            "dtype": value.dtype.str,
            "value": _encode(value.item(), arrays, where),
        }
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"type": "float", "value": repr(value)}
    if isinstance(value, list):
        return [_encode(item, arrays, where) for item in value]
    if isinstance(value, tuple):
        return {"type": "tuple", "items": [_encode(v, arrays, where) for v in value]}
    if isinstance(value, dict):
        return {
            "type": "dict",
            "items": [
                [_encode(k, arrays, where), _encode(v, arrays, where)]
                for k, v in value.items()
            ],
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind in _ARRAY_KINDS:
            key = f"a{len(arrays)}"
            arrays[key] = value
            return {"type": "ndarray", "key": key}
        if value.dtype == object:
            items = [_encode(item, arrays, where) for item in value.ravel()]
            if any(isinstance(item, (dict, list)) for item in items):
                raise TypeError(
                    f"{where} is an object array holding containers: not saveable."
                )
            return {"type": "object_array", "shape": list(value.shape), "items": items}
        raise TypeError(f"{where} is an array of dtype {value.dtype}: not saveable.")
    if isinstance(value, np.random.RandomState):
        return {
            "type": "random_state",
            "state": _encode(value.get_state(legacy=True), arrays, where),
        }
    raise TypeError(
        f"{where} holds a {type(value).__name__}, which skdnn.save cannot store "
        "without pickle. Use pickle or joblib instead (trusted files only)."
    )


def _decode(value, arrays: dict[str, np.ndarray]):
    """The inverse of :func:`_encode`; only known tags are accepted."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if not isinstance(value, dict):
        raise ModelFileError(f"{_ESTIMATOR} holds an unknown value {value!r}.")
    tag = value.get("type")
    if tag == "float" and value.get("value") in ("nan", "inf", "-inf"):
        return float(value["value"])
    if tag == "scalar":
        dtype = _safe_dtype(value["dtype"], "biufU")
        return dtype.type(_decode(value["value"], arrays))
    if tag == "tuple":
        return tuple(_decode(item, arrays) for item in value["items"])
    if tag == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["items"]}
    if tag == "ndarray":
        key = value.get("key")
        if key not in arrays:
            raise ModelFileError(f"{_ARRAYS} has no array {key!r}.")
        return arrays[key]
    if tag == "object_array":
        items = [_decode(item, arrays) for item in value["items"]]
        if not all(
            item is None or isinstance(item, (str, int, float, np.generic))
            for item in items
        ):
            raise ModelFileError(f"{_ESTIMATOR} holds an object array of containers.")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape([int(n) for n in value["shape"]])
    if tag == "random_state":
        state = _decode(value["state"], arrays)
        if not isinstance(state, tuple) or state[:1] != ("MT19937",):
            raise ModelFileError(f"{_ESTIMATOR} holds an invalid random state.")
        random_state = np.random.RandomState()
        random_state.set_state(state)
        return random_state
    raise ModelFileError(f"{_ESTIMATOR} holds an unknown value tag {tag!r}.")


def _safe_dtype(name, kinds: str) -> np.dtype:
    try:
        dtype = np.dtype(str(name))
    except TypeError as exc:
        raise ModelFileError(f"{_ESTIMATOR} names an invalid dtype {name!r}.") from exc
    if dtype.kind not in kinds or dtype.hasobject:
        raise ModelFileError(f"{_ESTIMATOR} names a refused dtype {name!r}.")
    return dtype


# ----------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------


def _keras_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def _read_keras(data: bytes):
    try:
        return _load_keras_model(data)
    except Exception as exc:
        raise ModelFileError(
            f"{_MODEL} could not be loaded safely: {exc}".rstrip(".") + "."
        ) from exc


def _check_keras_archive(data: bytes) -> None:
    """Refuse a .keras file holding anything skdnn does not build.

    Keras's own ``safe_mode`` refuses Python lambdas, but can be switched off
    globally (``keras.config.enable_unsafe_deserialization``); this check
    holds whatever that setting: only Keras's own modules, no lambdas, no
    registered custom objects, and only the layers of the tapered network.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unexpected = sorted(set(names) - _KERAS_MEMBERS)
            if unexpected:
                raise ModelFileError(f"{_MODEL} holds unexpected members {unexpected}.")
            config = _read_json(archive.read("config.json"), f"{_MODEL}/config.json")
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as exc:
        raise ModelFileError(
            f"{_MODEL} is not a valid .keras archive ({exc})."
        ) from exc

    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list) or config.get("class_name") != "Functional":
        raise ModelFileError(f"{_MODEL} does not hold a functional Keras model.")
    refused = sorted(
        {
            str(layer.get("class_name") if isinstance(layer, dict) else layer)
            for layer in layers
            if not isinstance(layer, dict)
            or layer.get("class_name") not in _KERAS_LAYERS
        }
    )
    if refused:
        raise ModelFileError(
            f"{_MODEL} holds layers skdnn does not build: {refused}; only "
            f"{sorted(_KERAS_LAYERS)} are loaded."
        )
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        if not isinstance(node, dict):
            continue
        module = node.get("module")
        registered = node.get("registered_name")
        skdnn_layer = (
            registered in _SKDNN_LAYERS
            and node.get("class_name") == _SKDNN_LAYERS[registered]
            and module == _SKDNN_LAYER_MODULE
        )
        if (
            module is not None
            and not skdnn_layer
            and not (
                isinstance(module, str)
                and (module == "keras" or module.startswith("keras."))
            )
        ):
            raise ModelFileError(f"{_MODEL} refers to the module {module!r}; refused.")
        if node.get("class_name") == "__lambda__":
            raise ModelFileError(f"{_MODEL} holds a Python lambda; refused.")
        if (
            registered is not None
            and not skdnn_layer
            and registered != node.get("class_name")
        ):
            raise ModelFileError(
                f"{_MODEL} holds the custom object {registered!r}; refused."
            )
        stack.extend(node.values())


def _load_keras_model(data: bytes):
    """The compiled network from .keras bytes, with Keras's ``safe_mode=True``."""
    from skdnn._keras import import_keras
    from skdnn._preprocessing import embedding_layer_class

    keras = import_keras()
    embedding_layer_class()  # registers skdnn's layer before Keras reads it
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path, compile=True, safe_mode=True)


# ----------------------------------------------------------------------
# The preprocessing steps of a pipeline, through skops
# ----------------------------------------------------------------------


def _preprocessing_bytes(pipeline) -> bytes:
    """The pipeline with its classifier replaced by "passthrough", in skops."""
    import copy

    import skops.io

    placeholder = copy.copy(pipeline)
    placeholder.steps = [*pipeline.steps[:-1], (pipeline.steps[-1][0], "passthrough")]
    data = skops.io.dumps(placeholder)
    refused = _refused_types(data)
    if refused:
        raise TypeError(
            f"The pipeline's preprocessing holds types skdnn.load would refuse: "
            f"{refused}. Only the classes of {list(TRUSTED_SKLEARN_MODULES)}, "
            "builtins and numpy arrays, dtypes and ufuncs are saved. Use pickle "
            "or joblib for this pipeline instead (trusted files only)."
        )
    return data


def _check_preprocessing(data: bytes) -> None:
    refused = _refused_types(data)
    if refused:
        raise ModelFileError(
            f"{_PREPROCESSING} holds untrusted types {refused}; refusing to load "
            f"it. Trusted: the classes of {list(TRUSTED_SKLEARN_MODULES)}, "
            "builtins and numpy arrays, dtypes and ufuncs."
        )


def _read_preprocessing(data: bytes):
    """The placeholder pipeline; :func:`_check_preprocessing` has passed."""
    import skops.io
    from sklearn.pipeline import Pipeline

    try:
        # Trust explicitly only what skdnn allows; skops refuses the rest.
        allowed = _trusted_type_names()
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
    """Every type named in a skops file that is not on skdnn's allow-list."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = _read_json(archive.read("schema.json"), "schema.json")
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as exc:
        raise ModelFileError(
            f"{_PREPROCESSING} is not a valid skops file ({exc})."
        ) from exc
    allowed = _trusted_type_names()
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "__loader__" in node:
                name = f"{node.get('__module__')}.{node.get('__class__')}"
                if node["__loader__"] == "MethodNode":
                    # a bound method: never on the allow-list
                    name += f".{node.get('content', {}).get('func')}"
                found.add(name)
            stack.extend(node.values())
    return sorted(found - allowed)


@lru_cache(maxsize=1)
def _trusted_type_names() -> frozenset[str]:
    """Types allowed in the preprocessing steps, as ``module.name``."""
    import importlib

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
    names |= {
        f"numpy.{name}"
        for name in dir(np)
        if isinstance(getattr(np, name, None), np.ufunc)
    }
    for module_name in TRUSTED_SKLEARN_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type):
                names.add(f"{obj.__module__}.{obj.__name__}")
    return frozenset(names)
