"""The skdnn model archive: a zip of typed JSON and ``.npy`` data, checked.

The layout :func:`skdnn.save` writes and :func:`skdnn.load` reads, without
the estimators: the members and their checksums, the manifest and its
format version, atomic writing, guarded reading (unexpected or unsafe
member names, decompression bombs, truncation), and the typed JSON in which
every value keeps its type and arrays go to an ``.npz`` member read with
``allow_pickle=False``; and the check of the ``.keras`` member, which may
hold only the layers skdnn builds. Anything unexpected is a
:class:`ModelFileError`.
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
import zipfile
import zlib
from pathlib import Path

import numpy as np

FORMAT_NAME = "skdnn-model"
#: Version of the archive layout written by :func:`save`; :func:`load` reads
#: this version and every earlier one.
FORMAT_VERSION = 2

#: scikit-learn functions a preprocessing step may refer to (the score
#: functions of ``SelectKBest``, ``SelectPercentile``, ``GenericUnivariateSelect``
#: ...), as ``module.name``; any other function is refused, whatever its module.
_MANIFEST = "manifest.json"
_ESTIMATOR = "estimator.json"
_ARRAYS = "arrays.npz"
_MODEL = "model.keras"
_PREPROCESSING = "preprocessing.skops"
_MEMBERS = {
    "estimator": (_MANIFEST, _ESTIMATOR, _ARRAYS, _MODEL),
    "pipeline": (_MANIFEST, _ESTIMATOR, _ARRAYS, _MODEL, _PREPROCESSING),
}

_NOT_MODEL = "not a skdnn model file"
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
    types outside the trusted lists, before anything in the file runs. A
    subclass of :class:`ValueError`, so ``except ValueError`` catches it too.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skdnn import ModelFileError, load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skdnn"
    >>> _ = path.write_bytes(b"not a model")
    >>> try:
    ...     load(path)
    ... except ModelFileError as error:
    ...     print(type(error).__name__)
    ModelFileError
    """


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
    if path.is_dir():
        raise IsADirectoryError(
            f"Cannot save to {str(path)!r}: it is a folder. Name a file in it, "
            f"such as {str(path / 'model.skdnn')!r}."
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
_SKDNN_LAYER_MODULE = "skdnn._embedding"
_KERAS_MEMBERS = frozenset({"metadata.json", "config.json", "model.weights.h5"})


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
