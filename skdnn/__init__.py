"""skdnn: dense neural networks for tabular data, the scikit-learn way.

The public names are loaded lazily, so ``import skdnn`` stays instant and
imports neither TensorFlow nor Keras; those load when a network is built.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "TaperedMLPClassifier": "skdnn._classifier",
    "TaperedMLPRegressor": "skdnn._regressor",
    "TabularPreprocessor": "skdnn._preprocessing",
    "tapered_widths": "skdnn._architecture",
    "Diagnosis": "skdnn._diagnosis",
    "diagnose": "skdnn._history",
    "HistoryDisplay": "skdnn._plot",
    "DesignSearchDisplay": "skdnn._search_plot",
    "DesignSearchCV": "skdnn._search",
    "EpochProgress": "skdnn._progress",
    "evaluation_report": "skdnn._report",
    "save": "skdnn._persistence",
    "load": "skdnn._persistence",
    "ModelFileError": "skdnn._archive",
}

__all__ = sorted([*_PUBLIC, "__version__"])


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        import difflib

        # DesignSearchCVDisplay, after DesignSearchCV: DesignSearchDisplay
        close = difflib.get_close_matches(name, _PUBLIC, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise AttributeError(f"module 'skdnn' has no attribute {name!r}{hint}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
