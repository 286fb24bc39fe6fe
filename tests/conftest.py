"""Shared fixtures: small bundled data sets, scaled, for fast fits."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.preprocessing import StandardScaler

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def binary_data():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def multiclass_data():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:600], y[:600]


@pytest.fixture(scope="session")
def small_data():
    X, y = make_classification(
        n_samples=200, n_features=8, n_informative=5, random_state=0
    )
    return X, y


@pytest.fixture
def fast_params():
    """Parameters that keep one fit well under a second."""
    return {"hidden_layer_sizes": (16, 8), "epochs": 5, "random_state": 0}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def assert_unmodified(before, after):
    np.testing.assert_array_equal(before, after)
