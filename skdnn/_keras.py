"""The one place skdnn imports Keras, lazily, with TensorFlow's logs quiet."""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

from skdnn._user_warnings import filtered_warnings

# Keras once its import has completed (None before)
_KERAS = None
#: The Keras backends skdnn trains with (and is tested on).
BACKENDS = ("tensorflow", "jax")
_IMPORT_LOCK = threading.Lock()


def import_keras():
    """Import and return Keras, silencing TensorFlow's C++ start-up logs.

    TensorFlow prints CUDA probes and CPU-feature notes to stderr on import;
    ``TF_CPP_MIN_LOG_LEVEL`` hides most of them unless the user chose a
    level. It is set for the import only: ``os.environ`` is left as it was.
    Safe from several threads: each gets Keras once its import completed
    (``sys.modules`` holds a partly initialised module while another
    thread imports it).
    """
    # Already imported: return it without touching os.environ, so calls
    # from code that TensorFlow traces stay plain (AutoGraph cannot
    # convert os.environ's methods and would warn about them).
    global _KERAS
    if _FORKED_AFTER_TENSORFLOW:
        raise RuntimeError(
            "This process was forked from one in which TensorFlow had already "
            "run (multiprocessing's 'fork' start method, joblib's "
            "'multiprocessing' backend, a ProcessPoolExecutor on Linux), and "
            "TensorFlow cannot run in such a process: it would hang. Use "
            "joblib's default 'loky' backend, the 'spawn' or 'forkserver' "
            "start method (multiprocessing.get_context('spawn')), or Dask. "
            "predict and predict_proba need no TensorFlow and work here."
        )
    if _KERAS is None:
        with _IMPORT_LOCK:
            if _KERAS is None:
                # TensorFlow reads the level once, as it loads: set it for the
                # import only, so that the processes the user starts later
                # inherit the environment they had (and TensorFlow's errors)
                level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
                os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
                # importing TensorFlow draws from numpy's global generator:
                # a user's np.random.seed must read the same after a fit
                state = np.random.get_state()  # noqa: NPY002 (the global one)
                try:
                    import keras
                finally:
                    np.random.set_state(state)  # noqa: NPY002
                    if level is None:
                        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
                    else:
                        os.environ["TF_CPP_MIN_LOG_LEVEL"] = level

                _KERAS = keras
    return _KERAS


def check_training_backend() -> None:
    """Refuse to train on a Keras backend other than ``BACKENDS``.

    On torch a fit failed deep inside Keras, and once past that recorded
    no training scores. Loading, saving and predicting need no training
    step and work on any backend.
    """
    backend = backend_name()
    if backend not in BACKENDS:
        raise RuntimeError(
            "skdnn trains with Keras's TensorFlow or JAX backend, and this "
            f"process runs Keras on {backend!r} (KERAS_BACKEND or "
            "~/.keras/keras.json). Set KERAS_BACKEND=tensorflow (or jax) "
            "before Keras is first imported: in the shell, or with "
            "os.environ at the top of the script. A fitted model loads, "
            "saves and predicts on any backend."
        )


# True in a process forked after TensorFlow ran in its parent
_FORKED_AFTER_TENSORFLOW = False
_FORK_WATCHED = False


def note_tensorflow_ran() -> None:
    """Note that TensorFlow has run here: a process forked from now on
    refuses to run it (see :func:`import_keras`) instead of hanging."""
    global _FORK_WATCHED
    if _FORK_WATCHED or not hasattr(os, "register_at_fork"):
        return
    tensorflow = backend_name() == "tensorflow"
    with _IMPORT_LOCK:
        if not _FORK_WATCHED and tensorflow:
            os.register_at_fork(after_in_child=_forked_after_tensorflow)
        _FORK_WATCHED = True


def _forked_after_tensorflow() -> None:
    global _FORKED_AFTER_TENSORFLOW
    _FORKED_AFTER_TENSORFLOW = True


def backend_name() -> str:
    """Name of the Keras backend in use (``"tensorflow"``, ``"jax"``, ...)."""
    return import_keras().backend.backend()


def to_numpy(value):
    """A Keras variable's or tensor's value as a numpy array.

    A TensorFlow tensor or variable is read with its own ``numpy()``: Keras's
    ``convert_to_numpy`` calls ``np.array`` on it, which numpy 2 answers with
    a DeprecationWarning (TensorFlow's ``__array__`` takes no ``copy``) that
    fails a fit or a load run under ``-W error``. Other backends' values go
    through Keras.
    """
    value = getattr(value, "value", value)  # a Keras variable: its tensor
    read = getattr(value, "numpy", None)
    if callable(read) and type(value).__module__.startswith("tensorflow"):
        return read()
    return import_keras().ops.convert_to_numpy(value)


@contextlib.contextmanager
def quiet_numpy_copy_warning():
    """Silence numpy 2's warning about ``np.array`` on a TensorFlow value.

    Keras reads TensorFlow variables with ``np.array`` (in ``model.save``,
    say), which numpy 2 warns about: a DeprecationWarning of theirs, not the
    user's code, that failed a save under ``-W error``. Only that warning is
    silenced, only inside the block.
    """
    with filtered_warnings(
        {
            "action": "ignore",
            "message": r"__array__ implementation doesn't accept a copy keyword",
            "category": DeprecationWarning,
        }
    ):
        yield
