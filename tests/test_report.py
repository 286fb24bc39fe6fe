"""Tests of evaluation_report: every value equals scikit-learn's own metric."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.datasets import (
    load_diabetes,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError, UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    get_scorer,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skdnn._report import evaluation_report

COLUMNS = [
    "accuracy",
    "balanced_accuracy",
    "recall",
    "precision",
    "f1",
    "recall_0",
    "recall_1",
    "support",
    "roc_auc",
]


def three_sets(n_classes=2, labels=None, seed=0):
    X, y = make_classification(
        n_samples=450,
        n_features=8,
        n_informative=5,
        n_classes=n_classes,
        flip_y=0.1,
        random_state=seed,
    )
    if labels is not None:
        y = np.asarray(labels)[y]
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, random_state=seed)
    X_test, X_pure, y_test, y_pure = train_test_split(
        X_rest, y_rest, test_size=0.4, random_state=seed
    )
    return {
        "train": (X_train, y_train),
        "test": (X_test, y_test),
        "pure": (X_pure, y_pure),
    }


def fit_logistic(datasets):
    X, y = datasets["train"]
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def expected_binary(est, X, y, pos_label):
    pred = est.predict(X)
    column = list(est.classes_).index(pos_label)
    return {
        "accuracy": accuracy_score(y, pred),
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "recall": recall_score(y, pred, pos_label=pos_label),
        "precision": precision_score(y, pred, pos_label=pos_label),
        "f1": f1_score(y, pred, pos_label=pos_label),
        **class_recalls(est, y, pred),
        "support": len(y),
        "roc_auc": roc_auc_score(y == pos_label, est.predict_proba(X)[:, column]),
    }


def class_recalls(est, y, pred):
    # each class's recall from its own rows, the definition itself
    y = np.asarray(y)
    return {
        f"recall_{label}": float(np.mean(pred[y == label] == label))
        for label in est.classes_.tolist()
    }


def test_binary_values_equal_sklearn():
    datasets = three_sets()
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets)
    assert list(report.columns) == COLUMNS
    assert list(report.index) == ["train", "test", "pure"]
    assert report.index.name == "dataset"
    assert report["support"].dtype == np.int64
    for name, (X, y) in datasets.items():
        expected = expected_binary(est, X, y, pos_label=1)
        assert report.loc[name].to_dict() == expected
        # the plain 0/1 calls agree too
        assert expected["roc_auc"] == roc_auc_score(y, est.predict_proba(X)[:, 1])


def test_rows_follow_the_given_order():
    datasets = three_sets()
    est = fit_logistic(datasets)
    order = {name: datasets[name] for name in ("pure", "train", "test")}
    report = evaluation_report(est, order)
    assert list(report.index) == ["pure", "train", "test"]


@pytest.mark.parametrize(
    "labels, positive",
    [
        ([0, 1], 1),
        ([-1, 1], 1),
        ([False, True], True),
        ([1, 2], 1),  # 1 is a class: scikit-learn's pos_label=1
        (["ham", "spam"], "spam"),  # otherwise the greater label
        ([3, 7], 7),
    ],
)
def test_default_positive_class(labels, positive):
    datasets = three_sets(labels=labels)
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets)
    for name, (X, y) in datasets.items():
        assert report.loc[name].to_dict() == expected_binary(est, X, y, positive)


@pytest.mark.parametrize("labels", [[0, 1], [-1, 1], [1, 2], [False, True]])
def test_default_positive_class_is_what_recall_scoring_scores(labels):
    datasets = three_sets(labels=labels)
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets)
    scorer = get_scorer("recall")
    for name, (X, y) in datasets.items():
        assert report.loc[name, "recall"] == scorer(est, X, y)


def test_pos_label_overrides():
    datasets = three_sets(labels=["ham", "spam"])
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets, pos_label="ham")
    for name, (X, y) in datasets.items():
        assert report.loc[name].to_dict() == expected_binary(est, X, y, "ham")
    # the AUC is the same whichever class is positive; recall is not
    default = evaluation_report(est, datasets)
    np.testing.assert_allclose(report["roc_auc"], default["roc_auc"])
    assert not np.allclose(report["recall"], default["recall"])


def test_binary_with_an_average():
    datasets = three_sets()
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets, average="macro")
    X, y = datasets["test"]
    pred = est.predict(X)
    assert report.loc["test", "recall"] == recall_score(y, pred, average="macro")
    assert report.loc["test", "f1"] == f1_score(y, pred, average="macro")


@pytest.mark.parametrize("average", [None, "macro", "weighted", "micro"])
def test_multiclass_values_equal_sklearn(average):
    datasets = three_sets(n_classes=3)
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets, average=average)
    used = average or "macro"
    for name, (X, y) in datasets.items():
        pred = est.predict(X)
        proba = est.predict_proba(X)
        assert report.loc[name].to_dict() == {
            "accuracy": accuracy_score(y, pred),
            "balanced_accuracy": balanced_accuracy_score(y, pred),
            "recall": recall_score(y, pred, average=used),
            "precision": precision_score(y, pred, average=used),
            "f1": f1_score(y, pred, average=used),
            **class_recalls(est, y, pred),
            "support": len(y),
            "roc_auc": roc_auc_score(
                y, proba, multi_class="ovr", average=used, labels=est.classes_
            ),
        }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_multiclass_string_labels_and_missing_class():
    datasets = three_sets(n_classes=3, labels=["a", "b", "c"])
    est = fit_logistic(datasets)
    X, y = datasets["pure"]
    keep = y != "c"
    report = evaluation_report(est, {"no c": (X[keep], y[keep])})
    pred = est.predict(X[keep])
    # predicted though absent, "c" is left out of the macro recall, as its
    # recall_c is (it averaged in a 0 that contradicted the table)
    assert report.loc["no c", "recall"] == pytest.approx(
        report.loc["no c", "balanced_accuracy"]
    )
    assert "c" in pred
    assert report.loc["no c", "support"] == keep.sum()
    # a class absent from the set has no recall, not a recall of 0
    assert np.isnan(report.loc["no c", "recall_c"])
    assert report.loc["no c", "recall_a"] == np.mean(pred[y[keep] == "a"] == "a")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_multilabel_macro_and_roc_auc():
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=6, n_classes=3, random_state=0
    )
    datasets = {"train": (X[:150], Y[:150]), "test": (X[150:], Y[150:])}
    est = KNeighborsClassifier().fit(*datasets["train"])
    report = evaluation_report(est, datasets)
    X_test, Y_test = datasets["test"]
    pred = est.predict(X_test)
    proba = np.column_stack([p[:, 1] for p in est.predict_proba(X_test)])
    assert report.loc["test"].to_dict() == {
        "accuracy": accuracy_score(Y_test, pred),
        "recall": recall_score(Y_test, pred, average="macro"),
        "precision": precision_score(Y_test, pred, average="macro"),
        "f1": f1_score(Y_test, pred, average="macro"),
        # one recall per label: the macro recall hid a label found on no row
        **{f"recall_{i}": recall_score(Y_test[:, i], pred[:, i]) for i in range(3)},
        "support": 50,
        "roc_auc": roc_auc_score(Y_test, proba, average="macro"),
    }
    # a label no row of the set has: NaN, as a class the set lacks
    without = Y_test.copy()
    without[:, 2] = 0
    report = evaluation_report(est, {"test": (X_test, without)})
    assert np.isnan(report.loc["test", "recall_2"])
    samples = evaluation_report(est, datasets, average="samples")
    assert samples.loc["test", "recall"] == recall_score(
        Y_test, pred, average="samples"
    )


def test_without_predict_proba_there_is_no_roc_auc():
    datasets = three_sets()
    X, y = datasets["train"]
    est = make_pipeline(StandardScaler(), LinearSVC()).fit(X, y)
    report = evaluation_report(est, datasets)
    assert list(report.columns) == COLUMNS[:-1]


def test_single_class_set_gives_nan_auc():
    datasets = three_sets()
    est = fit_logistic(datasets)
    X, y = datasets["test"]
    ones = y == 1
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        report = evaluation_report(est, {"positives": (X[ones], y[ones])})
    assert np.isnan(report.loc["positives", "roc_auc"])
    assert report.loc["positives", "recall"] == recall_score(
        y[ones], est.predict(X[ones])
    )
    # without positives the recall is undefined, as recall_1 says (it read 0)
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        report = evaluation_report(est, {"negatives": (X[~ones], y[~ones])})
    assert np.isnan(report.loc["negatives", ["recall", "recall_1"]]).all()


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_a_multiclass_set_lacking_a_class_scores_auc_over_those_present(average):
    # a set without one of four classes gave NaN, warning that "only one
    # class" was present
    X, y = make_classification(
        300, 6, n_informative=4, n_classes=4, n_clusters_per_class=1, random_state=0
    )
    est = LogisticRegression(max_iter=500).fit(X, y)
    rows = y != 3
    report = evaluation_report(est, {"three": (X[rows], y[rows])}, average=average)
    proba = est.predict_proba(X[rows])
    per_class = [roc_auc_score(y[rows] == k, proba[:, k]) for k in range(3)]
    if average == "micro":
        expected = roc_auc_score(np.eye(4)[y[rows]].ravel(), proba.ravel())
    else:
        weights = np.bincount(y[rows]) if average == "weighted" else None
        expected = np.average(per_class, weights=weights)
    assert report.loc["three", "roc_auc"] == pytest.approx(expected)


def test_invalid_inputs():
    datasets = three_sets()
    est = fit_logistic(datasets)
    with pytest.raises(NotFittedError):
        evaluation_report(LogisticRegression(), datasets)
    with pytest.raises(TypeError, match="dict of name to"):
        evaluation_report(est, [datasets["train"]])
    with pytest.raises(ValueError, match="empty"):
        evaluation_report(est, {})
    with pytest.raises(TypeError, match=r"datasets\['train'\] must be an \(X, y\)"):
        evaluation_report(est, {"train": datasets["train"][0]})
    with pytest.raises(ValueError, match="average must be None or one of"):
        evaluation_report(est, datasets, average="none")
    with pytest.raises(ValueError, match=r"pos_label=2 is not a class.*\[0, 1\]"):
        evaluation_report(est, datasets, pos_label=2)
    with pytest.raises(ValueError, match="samples"):
        evaluation_report(est, datasets, average="samples")
    multi = three_sets(n_classes=3)
    est3 = fit_logistic(multi)
    with pytest.raises(ValueError, match="only valid for binary"):
        evaluation_report(est3, multi, pos_label=1)
    with pytest.raises(ValueError, match="only valid for binary"):
        evaluation_report(est3, multi, average="binary")


def test_tapered_classifier():
    from skdnn._classifier import TaperedMLPClassifier

    datasets = three_sets(labels=["no", "yes"])
    X, y = datasets["train"]
    est = make_pipeline(
        StandardScaler(),
        TaperedMLPClassifier(hidden_layer_sizes=(16, 8), epochs=5, random_state=0),
    ).fit(X, y)
    report = evaluation_report(est, datasets)
    assert list(report.columns) == [
        c.replace("_0", "_no").replace("_1", "_yes") for c in COLUMNS
    ]
    for name, (X, y) in datasets.items():
        assert report.loc[name].to_dict() == expected_binary(est, X, y, "yes")


def test_tapered_classifier_multiclass():
    from skdnn._classifier import TaperedMLPClassifier

    datasets = three_sets(n_classes=3)
    X, y = datasets["train"]
    est = TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=3, random_state=0).fit(
        X, y
    )
    report = evaluation_report(est, datasets)
    X, y = datasets["test"]
    assert report.loc["test", "roc_auc"] == roc_auc_score(
        y, est.predict_proba(X), multi_class="ovr", average="macro", labels=[0, 1, 2]
    )
    assert report.loc["test", "f1"] == f1_score(y, est.predict(X), average="macro")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_tapered_classifier_multilabel():
    from skdnn._classifier import TaperedMLPClassifier

    X, Y = make_multilabel_classification(
        n_samples=150, n_features=6, n_classes=3, random_state=0
    )
    est = TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=3, random_state=0)
    est.fit(X[:100], Y[:100])
    report = evaluation_report(est, {"test": (X[100:], Y[100:])})
    pred = est.predict(X[100:])
    assert report.loc["test", "recall"] == recall_score(Y[100:], pred, average="macro")
    assert report.loc["test", "roc_auc"] == roc_auc_score(
        Y[100:], est.predict_proba(X[100:]), average="macro"
    )
    # a sparse indicator matrix or array, or a frame of pandas sparse
    # columns, as fit and score take them, reports the same
    pandas_sparse = pd.DataFrame(Y[100:]).astype(pd.SparseDtype(int, 0))
    for held in (sparse.csr_matrix(Y[100:]), sparse.csr_array(Y[100:]), pandas_sparse):
        sparse_report = evaluation_report(est, {"test": (X[100:], held)})
        pd.testing.assert_frame_equal(sparse_report, report)
    # (fit took the pandas frame for a 0d target)
    refit = TaperedMLPClassifier(hidden_layer_sizes=(16,), epochs=3, random_state=0)
    refit.fit(X[:100], pd.DataFrame(Y[:100]).astype(pd.SparseDtype(int, 0)))
    np.testing.assert_array_equal(refit.predict(X[100:]), pred)


def test_minority_recall_is_reported_when_the_positive_class_is_the_majority():
    # 'good' is the greater label, so the positive class, and 80 % of rows
    X, y = make_classification(
        n_samples=600, n_features=6, weights=[0.8], flip_y=0.05, random_state=0
    )
    labels = np.where(y == 0, "good", "bad")
    est = LogisticRegression().fit(X[:400], labels[:400])
    report = evaluation_report(est, {"test": (X[400:], labels[400:])})
    pred = est.predict(X[400:])
    row = report.loc["test"]
    truth = labels[400:]
    assert row["recall"] == row["recall_good"]
    assert row["recall_bad"] == np.mean(pred[truth == "bad"] == "bad")
    assert row["recall_bad"] < row["recall_good"]
    assert row["balanced_accuracy"] == pytest.approx(
        (row["recall_bad"] + row["recall_good"]) / 2
    )
    assert row["balanced_accuracy"] == balanced_accuracy_score(truth, pred)


def test_class_recalls_for_boolean_and_multiclass_labels():
    datasets = three_sets(n_classes=3, labels=["x", "y", "z"])
    est = fit_logistic(datasets)
    report = evaluation_report(est, datasets)
    assert [c for c in report.columns if c.startswith("recall_")] == [
        "recall_x",
        "recall_y",
        "recall_z",
    ]
    np.testing.assert_allclose(
        report.loc["test", ["recall_x", "recall_y", "recall_z"]].mean(),
        report.loc["test", "balanced_accuracy"],
    )
    boolean = three_sets(labels=[False, True])
    report = evaluation_report(fit_logistic(boolean), boolean)
    assert "recall_False" in report.columns and "recall_True" in report.columns


# ----------------------------------------------------------------------
# Regressors
# ----------------------------------------------------------------------


def regression_sets(n_targets=1):
    if n_targets == 1:
        X, y = load_diabetes(return_X_y=True)
    else:
        X, y = make_regression(
            n_samples=300, n_features=6, n_targets=n_targets, noise=5.0, random_state=0
        )
    return {
        "train": (X[:200], y[:200]),
        "test": (X[200:260], y[200:260]),
        "pure": (X[260:], y[260:]),
    }


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor_values_equal_sklearn(n_targets):
    datasets = regression_sets(n_targets)
    est = make_pipeline(StandardScaler(), Ridge()).fit(*datasets["train"])
    report = evaluation_report(est, datasets)
    assert list(report.columns) == ["r2", "mae", "rmse", "support"]
    assert list(report.index) == ["train", "test", "pure"]
    assert report["support"].dtype == np.int64
    for name, (X, y) in datasets.items():
        pred = est.predict(X)
        if n_targets == 1:
            assert report.loc[name, "rmse"] == pytest.approx(
                np.sqrt(mean_squared_error(y, pred)), rel=1e-12
            )
        assert report.loc[name].to_dict() == {
            "r2": r2_score(y, pred),
            "mae": mean_absolute_error(y, pred),
            "rmse": root_mean_squared_error(y, pred),
            "support": len(y),
        }


def test_regressor_refuses_classification_options():
    datasets = regression_sets()
    est = Ridge().fit(*datasets["train"])
    with pytest.raises(ValueError, match="pos_label=1 is only valid for a classifier"):
        evaluation_report(est, datasets, pos_label=1)
    with pytest.raises(ValueError, match="average='macro' is only valid"):
        evaluation_report(est, datasets, average="macro")


def test_tapered_regressor():
    from skdnn._regressor import TaperedMLPRegressor

    datasets = regression_sets()
    est = TaperedMLPRegressor(hidden_layer_sizes=(16,), epochs=3, random_state=0)
    est.fit(*datasets["train"])
    report = evaluation_report(est, datasets)
    X, y = datasets["test"]
    assert report.loc["test", "mae"] == mean_absolute_error(y, est.predict(X))
    assert report.loc["test", "r2"] == est.score(X, y)


def test_a_continuous_target_scored_by_a_classifier_is_named_briefly():
    X = np.linspace(-1.0, 1.0, 60).reshape(-1, 1)
    clf = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    continuous = np.linspace(0.0, 1.0, 60)
    with pytest.raises(ValueError, match="is this a regression target") as info:
        evaluation_report(clf, {"test": (X, continuous)})
    message = str(info.value)
    assert "holds 58 label(s)" in message and "and 48 more" in message
    assert len(message) < 600


def test_several_outputs_of_classes_are_refused_clearly():
    # a MultiOutputClassifier (or a forest) of two class columns died in
    # the label check with "unhashable type: 'numpy.ndarray'"
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=60, random_state=0)
    Y = np.column_stack([np.where(y == 1, "yes", "no"), np.arange(60) % 3])
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="several outputs of classes"):
        evaluation_report(forest, {"test": (X, Y)})
    # a set whose outputs each hold two labels looks multilabel: the model's
    # classes (and a later set) say otherwise
    codes = np.column_stack([y, np.arange(60) % 3])
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, codes)
    binary_looking = np.column_stack([y, y])[:20]
    with pytest.raises(ValueError, match="several outputs of classes"):
        evaluation_report(forest, {"a": (X[:20], binary_looking), "b": (X, codes)})


def test_a_label_the_estimator_never_saw_is_named():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array(["bad", "good", "bad", "good"], dtype=object)
    clf = LogisticRegression().fit(X, y)
    y_new = np.array(["bad", "ugly", "good", "ugly"], dtype=object)
    with pytest.raises(ValueError, match=r"'new'.*not trained on: \['ugly'\]"):
        evaluation_report(clf, {"new": (X, y_new)})
    # every label known, one of them only: scored
    report = evaluation_report(clf, {"bad rows": (X[[0, 2]], y[[0, 2]])})
    assert report.loc["bad rows", "recall_bad"] == pytest.approx(
        np.mean(clf.predict(X[[0, 2]]) == "bad")
    )


def test_labels_that_read_as_the_classes_name_their_type():
    X = np.linspace(-1.0, 1.0, 40).reshape(-1, 1)
    clf = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(ValueError, match=r"of type \['str'\], the classes of int"):
        evaluation_report(clf, {"test": (X, np.where(X[:, 0] > 0, "1", "0"))})


def test_a_majority_positive_class_chosen_by_default_is_warned_of():
    # lending_club (5 % 'bad'): a logistic regression read recall 0.993 and
    # F1 0.969 on 'good', scikit-learn's positive class, and found no bad loan
    X, y = make_classification(
        n_samples=600, n_features=6, weights=[0.8], flip_y=0.05, random_state=0
    )
    labels = np.where(y == 0, "good", "bad")
    est = LogisticRegression().fit(X[:400], labels[:400])
    sets = {"train": (X[:400], labels[:400]), "test": (X[400:], labels[400:])}
    with pytest.warns(UserWarning, match="majority of the rows scored") as record:
        report = evaluation_report(est, sets)
    (warning,) = [w for w in record if "majority" in str(w.message)]
    message = str(warning.message)
    assert "recall_bad" in message and "pos_label='bad'" in message
    assert warning.filename == __file__  # points at the caller
    # the table is unchanged, and an explicit pos_label says the choice is made
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*majority")
        chosen = evaluation_report(est, sets, pos_label="good")
        minority = evaluation_report(est, sets, pos_label="bad")
    pd.testing.assert_frame_equal(report, chosen)
    assert (minority["recall"] == minority["recall_bad"]).all()
    # 1 of {1, 2} is the positive class by scikit-learn's rule, here the majority
    ints = np.where(labels == "good", 1, 2)
    est = LogisticRegression().fit(X[:400], ints[:400])
    with pytest.warns(UserWarning, match="pos_label=2 scores the minority"):
        evaluation_report(est, {"test": (X[400:], ints[400:])})


def test_a_minority_positive_class_is_not_warned_of():
    X, y = make_classification(
        n_samples=600, n_features=6, weights=[0.8], flip_y=0.05, random_state=0
    )
    est = LogisticRegression().fit(X[:400], y[:400])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*majority")
        evaluation_report(est, {"test": (X[400:], y[400:])})
        # a set of the positive class alone has no minority to point to
        ones = y[400:] == 1
        evaluation_report(est, {"ones": (X[400:][ones], y[400:][ones])})
