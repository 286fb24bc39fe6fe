"""scikit-learn's own estimator checks, run on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdnn import DesignSearchCV, TaperedMLPClassifier, TaperedMLPRegressor

# The only checks allowed to fail, each with its reason.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Mini-batch training draws batches by row: repeating a row twice is not "
        "the same optimisation path as giving it weight 2, so the fits agree "
        "only in expectation, not to the check's tolerance."
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "Same reason as on dense data: row repetition changes the batches."
    ),
}


def _small_search(network):
    """A DesignSearchCV of one round of moves on two folds, from a small
    network that learns the checks' data sets in a few epochs."""
    start = network(hidden_layer_sizes=(16,), epochs=10, learning_rate=0.01)
    return DesignSearchCV(start.set_params(random_state=0), cv=2, max_rounds=1)


@parametrize_with_checks(
    [
        TaperedMLPClassifier(),
        TaperedMLPRegressor(),
        _small_search(TaperedMLPClassifier),
        _small_search(TaperedMLPRegressor),
    ],
    expected_failed_checks=lambda est: (
        {} if isinstance(est, DesignSearchCV) else EXPECTED_FAILED_CHECKS
    ),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
