"""The one place skdnn imports Keras, lazily, with TensorFlow's logs quiet."""

from __future__ import annotations

import os
import sys


def import_keras():
    """Import and return Keras, silencing TensorFlow's C++ start-up logs.

    TensorFlow prints CUDA probes and CPU-feature notes to stderr on import;
    ``TF_CPP_MIN_LOG_LEVEL`` hides them unless the user chose a level.
    """
    # Already imported: return it without touching os.environ, so calls
    # from code that TensorFlow traces stay plain (AutoGraph cannot
    # convert os.environ's methods and would warn about them).
    keras = sys.modules.get("keras")
    if keras is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
    return keras


def backend_name() -> str:
    """Name of the Keras backend in use (``"tensorflow"``, ``"jax"``, ...)."""
    return import_keras().backend.backend()
