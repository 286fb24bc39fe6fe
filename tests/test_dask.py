"""Searches on a Dask cluster through joblib's Dask backend equal the serial run.

A local cluster of two worker processes stands in for a multi-machine one:
each fit is pickled to a worker, run there with its own TensorFlow, and sent
back, which is everything a remote cluster does but the network.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from skdnn import TaperedMLPClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

pytestmark = pytest.mark.slow

PARAM_GRID = {"dropout": [0.0, 0.3], "batch_size": [16, 64]}


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=160, n_features=6, n_informative=4, weights=[0.6], random_state=0
    )


@pytest.fixture(scope="module")
def client():
    # threads_per_worker=1: one fit per worker process at a time, so
    # TensorFlow's own thread pools are the only parallelism inside it.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _estimator():
    return TaperedMLPClassifier(
        hidden_layer_sizes=(8,),
        epochs=4,
        learning_rate=0.03,  # trained enough in 4 epochs for scores to differ
        validation_split=0.2,
        random_state=0,
    )


def _cv():
    return StratifiedKFold(n_splits=3, shuffle=True, random_state=0)


def _search():
    return GridSearchCV(_estimator(), PARAM_GRID, scoring="recall", cv=_cv())


def _scores(cv_results):
    keys = sorted(k for k in cv_results if k.startswith(("split", "mean_test")))
    return {k: np.asarray(cv_results[k]) for k in keys}


def test_grid_search_on_dask_equals_the_serial_run(data, client):
    X, y = data
    serial = _search().fit(X, y)
    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_backend("dask"):
            remote = _search().fit(X, y)

    # the fits really ran on the cluster's worker processes
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])

    expected, got = _scores(serial.cv_results_), _scores(remote.cv_results_)
    assert expected.keys() == got.keys()
    assert {"mean_test_score", "split0_test_score"} <= expected.keys()
    # four candidates, four different scores: the comparison means something
    assert np.unique(expected["mean_test_score"]).size == 4
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    assert remote.cv_results_["params"] == serial.cv_results_["params"]
    assert remote.best_params_ == serial.best_params_
    # the refitted best model is the same network, weight for weight
    np.testing.assert_array_equal(remote.predict_proba(X), serial.predict_proba(X))


def test_cross_validate_on_dask_equals_the_serial_run(data, client):
    X, y = data
    scoring = ["recall", "accuracy", "neg_log_loss"]
    serial = cross_validate(_estimator(), X, y, cv=_cv(), scoring=scoring)
    with joblib.parallel_backend("dask"):
        remote = cross_validate(
            _estimator(), X, y, cv=_cv(), scoring=scoring, n_jobs=-1
        )
    for name in scoring:
        key = f"test_{name}"
        np.testing.assert_array_equal(remote[key], serial[key], err_msg=key)
