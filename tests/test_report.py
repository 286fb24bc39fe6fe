"""Tests of evaluation_report: every value equals scikit-learn's own metric."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import NotFittedError, UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    get_scorer,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skdnn._report import evaluation_report

COLUMNS = ["accuracy", "recall", "precision", "f1", "support", "roc_auc"]


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
        "recall": recall_score(y, pred, pos_label=pos_label),
        "precision": precision_score(y, pred, pos_label=pos_label),
        "f1": f1_score(y, pred, pos_label=pos_label),
        "support": len(y),
        "roc_auc": roc_auc_score(y == pos_label, est.predict_proba(X)[:, column]),
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
            "recall": recall_score(y, pred, average=used),
            "precision": precision_score(y, pred, average=used),
            "f1": f1_score(y, pred, average=used),
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
    assert report.loc["no c", "recall"] == recall_score(y[keep], pred, average="macro")
    assert report.loc["no c", "support"] == keep.sum()


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
        "support": 50,
        "roc_auc": roc_auc_score(Y_test, proba, average="macro"),
    }
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
    assert list(report.columns) == COLUMNS
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
