"""Warnings that point at the user's line, not at library internals."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings


def _library_folders() -> tuple[str, ...]:
    import joblib
    import sklearn

    import skdnn

    folders = tuple(
        os.path.dirname(module.__file__) + os.sep for module in (skdnn, sklearn, joblib)
    )
    # and contextlib's own frames (a warning re-raised on leaving a block)
    return (*folders, contextlib.__file__)


def user_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` in the calling function that
    names the first frame outside skdnn, scikit-learn and joblib.

    A fixed stacklevel points at whatever sits that many frames up, which
    depends on the path into skdnn: scikit-learn's ``_fit_context`` wrapper,
    a Pipeline, a cross-validation. The user's own line is the one to show.

    Examples
    --------
    >>> import warnings
    >>> def library_function():
    ...     warnings.warn("look here", UserWarning, stacklevel=user_stacklevel())
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     library_function()
    >>> caught[0].filename == library_function.__code__.co_filename
    True
    """
    folders = _library_folders()
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(folders):
        frame = frame.f_back
        level += 1
    return level if frame is not None else 2


def _in_main_thread() -> bool:
    # ``catch_warnings`` swaps the process's filters and handler, and two
    # threads' catches ended out of order leave one thread's behind for good
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def filtered_warnings(*filters: dict):
    """Apply ``filters`` (keyword arguments of ``warnings.filterwarnings``)
    inside the block, in the process's main thread only.

    ``catch_warnings`` swaps the process's filter list: a catch of another
    thread (joblib's threading backend runs each job in one) that began
    inside this block and ended after it would restore this block's
    filters for good, an ``ignore`` of ours among them. In another thread
    the block changes nothing, and its warnings show as they come.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as shown:
    ...     warnings.simplefilter("always")
    ...     with filtered_warnings({"action": "ignore", "message": "noise"}):
    ...         warnings.warn("noise")
    ...     warnings.warn("noise")
    >>> len(shown)
    1
    """
    if not _in_main_thread():
        yield
        return
    with warnings.catch_warnings():
        for kwargs in filters:
            warnings.filterwarnings(**kwargs)
        yield


@contextlib.contextmanager
def recorded_warnings():
    """Record the warnings raised inside the block that the filters in force
    let through, as ``(category, message)`` pairs in the list it yields
    (filled when the block ends), for :func:`relay_warnings` to show once
    each, in a worker process too: a category defined inside a function,
    which a worker cannot send back, is recorded as a UserWarning.

    Only in the process's main thread: ``catch_warnings`` swaps the
    process's warning handler, and two threads' catches (joblib's threading
    backend), ended out of order, left it a dead list that swallowed every
    later warning of the process. In another thread nothing is recorded and
    the warnings reach the caller's handling as they are.
    """
    pairs: list[tuple[type, str]] = []
    if not _in_main_thread():
        yield pairs
        return
    with warnings.catch_warnings(record=True) as caught:
        yield pairs
    pairs.extend(
        (
            w.category if "<" not in w.category.__qualname__ else UserWarning,
            str(w.message),
        )
        for w in caught
    )


def relay_warnings(caught, seen: set) -> None:
    """Warn each of ``caught`` not in ``seen`` once, at the user's line.

    ``caught`` holds ``(category, message)`` pairs; ``seen`` the pairs
    warned already, to which each one warned is added. Warned here, in the
    caller's process, the caller's filters decide what shows.

    Examples
    --------
    >>> import warnings
    >>> seen = set()
    >>> with warnings.catch_warnings(record=True) as shown:
    ...     warnings.simplefilter("always")
    ...     relay_warnings([(UserWarning, "one"), (UserWarning, "one")], seen)
    ...     relay_warnings([(UserWarning, "one"), (UserWarning, "two")], seen)
    >>> [str(w.message) for w in shown]
    ['one', 'two']
    """
    for category, message in caught:
        key = (category, str(message))
        if key not in seen:
            seen.add(key)
            warnings.warn(str(message), category, stacklevel=user_stacklevel())
