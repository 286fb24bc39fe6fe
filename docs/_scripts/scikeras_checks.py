"""Run scikit-learn's estimator checks on scikeras' KerasClassifier.

The migration page quotes the result of this script. scikeras is not a
dependency of skdnn; install it separately (``pip install scikeras``) to
rerun it::

    TF_CPP_MIN_LOG_LEVEL=3 python docs/_scripts/scikeras_checks.py
"""

from __future__ import annotations

import warnings

import keras
import sklearn
from scikeras import __version__ as scikeras_version
from scikeras.wrappers import KerasClassifier
from sklearn.utils.estimator_checks import check_estimator


def build(meta):
    """The smallest sensible classifier network for the checks' data."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def main():
    warnings.filterwarnings("ignore")
    print(
        f"scikit-learn {sklearn.__version__}, keras {keras.__version__}, "
        f"scikeras {scikeras_version}"
    )
    clf = KerasClassifier(
        model=build, loss="sparse_categorical_crossentropy", epochs=2, verbose=0
    )
    results = check_estimator(clf, on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    print(f"{len(failed)} of {len(results)} checks failed")
    for r in failed:
        message = str(r["exception"]).replace("\n", " ")[:120]
        print(f"  {r['check_name']}: {type(r['exception']).__name__}: {message}")


if __name__ == "__main__":
    main()
