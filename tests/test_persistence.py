"""Tests of skdnn.save / skdnn.load: round trips, and files refused unexecuted."""

import copy
import io
import json
import os
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectKBest, f_classif, f_regression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import skdnn
from skdnn import TaperedMLPClassifier, TaperedMLPRegressor
from skdnn._persistence import (
    FORMAT_VERSION,
    ModelFileError,
    _decode,
    _encode,
    _load_keras_model,
    _sha256,
)

FAST = {"hidden_layer_sizes": (16, 8), "epochs": 5, "random_state": 0}
DATA = Path(__file__).parent / "data"


class _Payload:
    """Unpickling this creates ``marker``: the proof that a pickle ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def _table(n=90, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["x1", "x2", "x3"])
    X["colour"] = rng.choice(["red", "green", "blue"], size=n)
    return X


@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator per target kind, with the data it was fit on."""
    X = _table()
    numbers = X[["x1", "x2", "x3"]]
    score = numbers["x1"] + 0.5 * numbers["x2"]
    out = {}
    y = np.where(score > 0, "yes", "no").astype(object)
    out["binary-text"] = (
        TaperedMLPClassifier(**FAST, class_weight={"no": 1.0, "yes": 2.0}).fit(
            numbers, y
        ),
        numbers,
    )
    y = np.digitize(score, [-0.5, 0.5])
    out["multiclass"] = (
        TaperedMLPClassifier(
            **FAST, class_weight={0: 1.0, 1: np.float64(0.5), 2: 2}, scoring="f1_macro"
        ).fit(numbers.to_numpy(), y),
        numbers.to_numpy(),
    )
    Y = np.column_stack([score > 0, numbers["x3"] > 0, score < -1]).astype(int)
    out["multilabel"] = (
        TaperedMLPClassifier(**FAST).fit(numbers.to_numpy(), Y),
        numbers.to_numpy(),
    )
    out["bool-no-validation"] = (
        TaperedMLPClassifier(**FAST, validation_split=0.0).fit(
            numbers.to_numpy(), score.to_numpy() > 0
        ),
        numbers.to_numpy(),
    )
    raw = _raw_table()
    out["classifier-raw-frame"] = (
        TaperedMLPClassifier(**FAST).fit(raw, np.where(score > 0, "yes", "no")),
        raw,
    )
    out["regressor-raw-frame"] = (
        TaperedMLPRegressor(**FAST).fit(raw, 1000.0 * score + 50.0),
        raw,
    )
    out["regressor-multi-output"] = (
        TaperedMLPRegressor(**FAST, loss="huber").fit(
            numbers.to_numpy(), np.column_stack([score, -3.0 * numbers["x3"]])
        ),
        numbers.to_numpy(),
    )
    return out


def _raw_table(n=90, seed=0):
    """A messy frame: missing numbers, a one-hot and an embedded text column."""
    X = _table(n, seed)
    rng = np.random.RandomState(seed + 1)
    X.loc[rng.rand(n) < 0.1, "x2"] = np.nan
    X["city"] = [f"c{i}" for i in rng.randint(0, 30, size=n)]
    return X


@pytest.fixture(scope="module")
def pipeline():
    X = _table()
    y = np.where(X["x1"] + (X["colour"] == "red") > 0.5, "high", "low")
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("num", StandardScaler(), ["x1", "x2", "x3"]),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
                    ]
                ),
            ),
            ("clf", TaperedMLPClassifier(**FAST)),
        ]
    ).fit(X, y)
    return pipe, X


@pytest.fixture(scope="module")
def saved_file(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "model.skdnn"
    skdnn.save(fitted["binary-text"][0], path)
    return path


def _assert_same_preprocessor(loaded, pre):
    assert loaded.get_params() == pre.get_params()
    for name in vars(pre):
        if name.endswith("_") and not name.startswith("_"):
            expected, got = getattr(pre, name), getattr(loaded, name)
            assert type(got) is type(expected), name
            if isinstance(expected, list):
                assert len(got) == len(expected)
                for a, b in zip(got, expected, strict=True):
                    assert a.dtype == b.dtype
                    np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_array_equal(got, expected, err_msg=name)


def _assert_same_estimator(loaded, clf, X):
    assert type(loaded) is type(clf)
    if isinstance(clf, TaperedMLPRegressor):
        np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
        assert loaded.n_outputs_ == clf.n_outputs_
        for name in ("_target_mean", "_target_scale"):
            assert getattr(loaded, name).dtype == np.float64
            np.testing.assert_array_equal(getattr(loaded, name), getattr(clf, name))
        assert loaded._target_1d is clf._target_1d
    else:
        np.testing.assert_allclose(
            loaded.predict_proba(X), clf.predict_proba(X), atol=1e-6
        )
        np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
        assert loaded.classes_.dtype == clf.classes_.dtype
        np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.get_params() == clf.get_params()
    _assert_same_preprocessor(loaded.preprocessor_, clf.preprocessor_)
    pd.testing.assert_frame_equal(loaded.history_, clf.history_, check_exact=True)
    assert loaded._history_rows == clf._history_rows
    assert loaded._target_kind == clf._target_kind
    for name in (
        "n_features_in_",
        "hidden_layer_sizes_",
        "n_iter_",
        "best_epoch_",
        "loss_curve_",
        "validation_scores_",
    ):
        assert getattr(loaded, name) == getattr(clf, name), name
    assert hasattr(loaded, "feature_names_in_") == hasattr(clf, "feature_names_in_")
    if hasattr(clf, "feature_names_in_"):
        np.testing.assert_array_equal(loaded.feature_names_in_, clf.feature_names_in_)
    assert loaded._plan is not None
    assert loaded._network.model is not None  # the loaded Keras model


@pytest.mark.parametrize(
    "case",
    [
        "binary-text",
        "multiclass",
        "multilabel",
        "bool-no-validation",
        "classifier-raw-frame",
        "regressor-raw-frame",
        "regressor-multi-output",
    ],
)
def test_estimator_round_trip(fitted, case, tmp_path):
    clf, X = fitted[case]
    path = tmp_path / "model.skdnn"
    skdnn.save(clf, path)
    _assert_same_estimator(skdnn.load(path), clf, X)
    # the archive holds the documented members and nothing else
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [
            "manifest.json",
            "estimator.json",
            "arrays.npz",
            "model.keras",
        ]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "skdnn-model"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["skdnn_version"] == skdnn.__version__
    assert manifest["kind"] == "estimator"


def test_pipeline_with_column_transformer_round_trip(pipeline, tmp_path):
    pipe, X = pipeline
    path = tmp_path / "pipe.skdnn"
    skdnn.save(pipe, str(path))
    loaded = skdnn.load(str(path))
    assert isinstance(loaded, Pipeline)
    assert [name for name, _ in loaded.steps] == ["prep", "clf"]
    np.testing.assert_allclose(
        loaded["prep"].transform(X), pipe["prep"].transform(X), atol=0
    )
    _assert_same_estimator(loaded["clf"], pipe["clf"], pipe["prep"].transform(X))
    np.testing.assert_allclose(
        loaded.predict_proba(X), pipe.predict_proba(X), atol=1e-6
    )
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    unseen = X.head(3).assign(colour="purple")
    np.testing.assert_array_equal(loaded.predict(unseen), pipe.predict(unseen))
    assert loaded["prep"].get_params().keys() == pipe["prep"].get_params().keys()
    # the saved pipeline was left untouched
    assert pipe.steps[-1][1] is not loaded.steps[-1][1]
    assert isinstance(pipe.steps[-1][1], TaperedMLPClassifier)


def test_loaded_estimator_trains_further(fitted, saved_file):
    clf, X = fitted["binary-text"]
    loaded = skdnn.load(saved_file)
    y = np.where(X["x1"] + 0.5 * X["x2"] > 0, "yes", "no").astype(object)  # as fit
    loaded.set_params(warm_start=True, epochs=1).fit(X, y)
    assert loaded.n_iter_ == clf.n_iter_ + 1
    assert len(loaded.history_) == clf.n_iter_ + 1
    assert clf.n_iter_ == len(clf.history_)  # the original is unchanged


@pytest.mark.parametrize(
    "value",
    [
        (64, 32),
        [0.1, 0.2],
        {0: 1.0, 1: 2.5},
        {"no": 1.0, "yes": 3},
        {True: 2.0, False: 1.0},
        {np.int64(3): np.float32(0.5), (1, 2): None, "w": np.float64(2.0)},
        [np.bool_(True), np.str_("yes"), np.uint8(7)],
        [float("nan"), float("inf"), -float("inf")],
        np.array(["a", "bc"]),
        np.array([1.5, np.nan], dtype=np.float32),
        np.array(["a", 2, 3.5, True, None], dtype=object),
        np.array([[1, 2], [3, 4]], dtype=np.uint8),
    ],
    ids=repr,
)
def test_values_keep_their_types(value):
    arrays = {}
    text = json.dumps(_encode(value, arrays, "test"), allow_nan=False)
    decoded = _decode(json.loads(text), arrays)
    assert repr(decoded) == repr(value)
    assert type(decoded) is type(value)
    if isinstance(value, dict):
        assert [type(k) for k in decoded] == [type(k) for k in value]
        assert [type(v) for v in decoded.values()] == [type(v) for v in value.values()]
    if isinstance(value, np.ndarray):
        assert decoded.dtype == value.dtype
        assert [type(v) for v in decoded.ravel()] == [type(v) for v in value.ravel()]


def test_random_state_instance_round_trips():
    arrays = {}
    state = np.random.RandomState(7)
    state.rand(3)
    decoded = _decode(json.loads(json.dumps(_encode(state, arrays, "test"))), arrays)
    np.testing.assert_array_equal(decoded.rand(5), state.rand(5))


def test_unsaveable_value_is_a_clear_error():
    with pytest.raises(
        TypeError, match="parameter scoring holds a builtin_function_or_method"
    ):
        _encode(len, {}, "parameter scoring")


def test_callbacks_are_saved_as_none_with_a_warning(fitted, tmp_path):
    import keras

    clf = copy.copy(fitted["binary-text"][0])
    clf.callbacks = [keras.callbacks.TerminateOnNaN()]
    with pytest.warns(UserWarning, match="callbacks=None"):
        skdnn.save(clf, tmp_path / "model.skdnn")
    assert skdnn.load(tmp_path / "model.skdnn").callbacks is None


def test_callable_scorers_are_saved_as_their_names_with_a_warning(fitted, tmp_path):
    from sklearn.metrics import make_scorer, recall_score

    clf = copy.copy(fitted["binary-text"][0])
    clf.scoring = {"bacc": "balanced_accuracy", "mine": make_scorer(recall_score)}
    with pytest.warns(UserWarning, match=r"\('mine'\).*scoring=\{'bacc'"):
        skdnn.save(clf, tmp_path / "model.skdnn")
    loaded = skdnn.load(tmp_path / "model.skdnn")
    assert loaded.scoring == {"bacc": "balanced_accuracy"}
    np.testing.assert_array_equal(
        loaded.predict_proba(fitted["binary-text"][1]),
        clf.predict_proba(fitted["binary-text"][1]),
    )
    clf.scoring = make_scorer(recall_score)
    with pytest.warns(UserWarning, match="scoring=None"):
        skdnn.save(clf, tmp_path / "single.skdnn")
    assert skdnn.load(tmp_path / "single.skdnn").scoring is None


def test_save_refuses_what_it_cannot_store(fitted, tmp_path):
    with pytest.raises(NotFittedError):
        skdnn.save(TaperedMLPClassifier(), tmp_path / "a.skdnn")
    with pytest.raises(TypeError, match="TaperedMLPClassifier"):
        skdnn.save(LogisticRegression(), tmp_path / "b.skdnn")
    with pytest.raises(TypeError, match="last step is LogisticRegression"):
        skdnn.save(Pipeline([("lr", LogisticRegression())]), tmp_path / "c.skdnn")
    clf = fitted["multiclass"][0]
    risky = Pipeline([("f", FunctionTransformer(os.system)), ("clf", clf)])
    with pytest.raises(TypeError, match=r"posix\.system|nt\.system"):
        skdnn.save(risky, tmp_path / "d.skdnn")
    # a fitted search: pointed at its refit model, not at pickle alone
    search = GridSearchCV(clone(clf), {"dropout": [0.0]}, cv=2)
    search.best_estimator_ = clf
    with pytest.raises(TypeError, match=r"save\(search\.best_estimator_, path\)"):
        skdnn.save(search, tmp_path / "e.skdnn")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------
# Atomic saving
# ----------------------------------------------------------------------


def test_save_to_missing_folder_fails_cleanly(fitted, tmp_path):
    target = tmp_path / "missing" / "model.skdnn"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        skdnn.save(fitted["binary-text"][0], target)
    assert list(tmp_path.iterdir()) == []
    # a folder as the path: named as such, not as a temporary file's rename
    with pytest.raises(IsADirectoryError, match=r"it is a folder\. Name a file"):
        skdnn.save(fitted["binary-text"][0], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_save_and_load_expand_the_home_folder(fitted, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    skdnn.save(fitted["binary-text"][0], "~/model.skdnn")
    assert (tmp_path / "model.skdnn").is_file()
    assert skdnn.load("~/model.skdnn").classes_.tolist() == ["no", "yes"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere"
)
def test_save_to_unwritable_folder_fails_cleanly(fitted, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            skdnn.save(fitted["binary-text"][0], folder / "model.skdnn")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_refused_temporary_file_fails_cleanly(fitted, tmp_path, monkeypatch):
    real_open = os.open

    def refusing_open(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(PermissionError):
        skdnn.save(fitted["binary-text"][0], tmp_path / "model.skdnn")
    assert list(tmp_path.iterdir()) == []


def test_a_loaded_network_continues_training_as_the_saved_one(tmp_path):
    # Keras's file keeps no dropout seed state: continuing a loaded network
    # drew its dropout masks from the start again, and trained otherwise
    X = _table()[["x1", "x2", "x3"]].to_numpy()
    y = (X[:, 0] > 0).astype(int)
    clf = TaperedMLPClassifier(**FAST, dropout=0.3, warm_start=True).fit(X, y)
    skdnn.save(clf, tmp_path / "m.skdnn")
    loaded = skdnn.load(tmp_path / "m.skdnn")
    for model in (clf, loaded):
        model.partial_fit(X, y)
        model.set_params(epochs=3).fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    pd.testing.assert_frame_equal(loaded.history_, clf.history_)
    # and so does a pickled copy of a loaded network (pickle went through
    # Keras's bytes, which keep no seed state either)
    loaded = skdnn.load(tmp_path / "m.skdnn")
    copied = pickle.loads(pickle.dumps(skdnn.load(tmp_path / "m.skdnn")))
    for model in (loaded, copied):
        model.set_params(epochs=3).fit(X, y)
    np.testing.assert_array_equal(copied.predict_proba(X), loaded.predict_proba(X))


@pytest.mark.parametrize(
    "fitted_with, set_after", [("balanced_logits", None), (None, "balanced_logits")]
)
def test_a_class_weight_set_after_fit_waits_for_the_next_fit(
    fitted_with, set_after, tmp_path
):
    # the "balanced_logits" shift was taken from the parameter, not the
    # fit: set_params(class_weight=None) after fit left the model's
    # predictions alone in memory, but load (and setting model_) rebuilt
    # them unshifted, so the same model decided otherwise after a save
    X = _table()[["x1", "x2", "x3"]].to_numpy()
    y = (X[:, 0] > 0.8).astype(int)  # a minority of positives: a shift
    clf = TaperedMLPClassifier(**FAST, class_weight=fitted_with).fit(X, y)
    proba = clf.predict_proba(X)
    clf.set_params(class_weight=set_after)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    skdnn.save(clf, tmp_path / "m.skdnn")
    loaded = skdnn.load(tmp_path / "m.skdnn")
    assert loaded.class_weight == set_after
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    clf.model_ = clf.model_
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    # the next fit takes the new parameter
    refit = clf.fit(X, y).predict_proba(X)
    fresh = TaperedMLPClassifier(**FAST, class_weight=set_after).fit(X, y)
    np.testing.assert_array_equal(refit, fresh.predict_proba(X))


def test_failure_mid_write_leaves_no_partial_file(fitted, saved_file, tmp_path):
    clf = fitted["multiclass"][0]
    target = tmp_path / "model.skdnn"
    target.write_bytes(saved_file.read_bytes())
    before = target.read_bytes()
    real_writestr = zipfile.ZipFile.writestr
    calls = []

    def failing_writestr(self, name, data, *args, **kwargs):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_writestr(self, name, data, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
        with pytest.raises(OSError, match="disk full"):
            skdnn.save(clf, target)
    assert len(calls) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["model.skdnn"]
    assert target.read_bytes() == before  # the old file is intact


def test_failure_at_rename_leaves_no_temporary_file(fitted, tmp_path, monkeypatch):
    def failing_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        skdnn.save(fitted["multiclass"][0], tmp_path / "model.skdnn")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------
# Broken, tampered and malicious files
# ----------------------------------------------------------------------


def _rewrite(source, target, *, replace=None, add=None, manifest=None, fix=True):
    """Copy an archive with members replaced or added, as an attacker would.

    With ``fix`` the manifest's checksums are updated to match, so the file
    gets past the checksum test and the deeper checks are exercised.
    """
    replace, add = dict(replace or {}), dict(add or {})
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(replace)
    members.update(add)
    meta = json.loads(members["manifest.json"])
    meta.update(manifest or {})
    if fix:
        for name, data in members.items():
            if name != "manifest.json":
                meta["sha256"][name] = _sha256(data)
    members["manifest.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "model.skdnn"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ModelFileError, match="not a skdnn model file"):
        skdnn.load(path)
    assert issubclass(ModelFileError, ValueError)


def test_a_run_folder_loads_its_model_and_another_folder_is_named(saved_file, tmp_path):
    # skdnn.load("run1") raised a bare IsADirectoryError, while the command
    # line takes a run's folder for its model.skdnn
    loaded = skdnn.load(saved_file.parent)
    expected = skdnn.load(saved_file)
    X = _table()[["x1", "x2", "x3"]]
    np.testing.assert_array_equal(loaded.predict_proba(X), expected.predict_proba(X))
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        skdnn.load(tmp_path)


def test_truncated_file(saved_file, tmp_path):
    data = saved_file.read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        path = tmp_path / "truncated.skdnn"
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="truncated"):
            skdnn.load(path)


def test_corrupted_member_bytes(saved_file, tmp_path):
    data = bytearray(saved_file.read_bytes())
    with zipfile.ZipFile(saved_file) as archive:
        info = archive.getinfo("estimator.json")
    # flip bytes inside the compressed data of a member: its CRC fails
    start = info.header_offset + 30 + len(info.filename) + 20
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    path = tmp_path / "corrupted.skdnn"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted"):
        skdnn.load(path)


def test_member_changed_after_saving(saved_file, tmp_path):
    state = json.loads(zipfile.ZipFile(saved_file).read("estimator.json"))
    state["params"]["epochs"] = 1000
    path = _rewrite(
        saved_file,
        tmp_path / "tampered.skdnn",
        replace={"estimator.json": json.dumps(state).encode()},
        fix=False,
    )
    with pytest.raises(ModelFileError, match="modified after it was saved"):
        skdnn.load(path)


def test_future_format_version(saved_file, tmp_path):
    path = _rewrite(
        saved_file,
        tmp_path / "future.skdnn",
        manifest={"format_version": FORMAT_VERSION + 1, "skdnn_version": "9.0"},
    )
    with pytest.raises(ModelFileError) as info:
        skdnn.load(path)
    message = str(info.value)
    assert f"format version {FORMAT_VERSION + 1}" in message
    assert f"format version {FORMAT_VERSION} and earlier" in message
    assert "skdnn 9.0" in message and "Upgrade skdnn" in message


@pytest.mark.parametrize(
    "manifest, match",
    [
        ({"format": "something-else"}, "names no skdnn format"),
        ({"format_version": "1"}, "not a positive integer"),
        ({"kind": "network"}, "kind 'network'"),
    ],
)
def test_invalid_manifest(saved_file, tmp_path, manifest, match):
    path = _rewrite(saved_file, tmp_path / "bad.skdnn", manifest=manifest)
    with pytest.raises(ModelFileError, match=match):
        skdnn.load(path)


def test_missing_manifest_or_member(saved_file, tmp_path):
    with zipfile.ZipFile(saved_file) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    for dropped, match in (
        ("manifest.json", "no manifest"),
        ("model.keras", "missing"),
    ):
        path = tmp_path / f"no-{dropped}.skdnn"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                if name != dropped:
                    archive.writestr(name, data)
        with pytest.raises(ModelFileError, match=match):
            skdnn.load(path)


def test_pickle_member_is_refused_unread(saved_file, tmp_path):
    marker = tmp_path / "pwned"
    path = _rewrite(
        saved_file,
        tmp_path / "pickle.skdnn",
        add={"payload.pkl": pickle.dumps(_Payload(marker))},
    )
    with pytest.raises(ModelFileError, match=r"unexpected member.*payload\.pkl"):
        skdnn.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../escape.json", "/tmp/absolute.json", "a/b.json"])
def test_unsafe_member_paths(saved_file, tmp_path, name):
    path = _rewrite(saved_file, tmp_path / "paths.skdnn", add={name: b"{}"})
    with pytest.raises(ModelFileError, match="unsafe path"):
        skdnn.load(path)
    assert not (tmp_path.parent / "escape.json").exists()


def test_pickled_object_array_is_refused_unexecuted(saved_file, tmp_path):
    marker = tmp_path / "pwned"
    payload = np.array([_Payload(marker)], dtype=object)
    buffer = io.BytesIO()
    np.savez(buffer, a0=payload)  # np.savez pickles object arrays
    assert not marker.exists()
    path = _rewrite(
        saved_file, tmp_path / "npy.skdnn", replace={"arrays.npz": buffer.getvalue()}
    )
    with pytest.raises(ModelFileError, match="pickle"):
        skdnn.load(path)
    assert not marker.exists()


def test_unknown_json_tag_or_parameter_is_refused(saved_file, tmp_path):
    state = json.loads(zipfile.ZipFile(saved_file).read("estimator.json"))
    for change, match in (
        ({"epochs": {"type": "callable", "value": "os.system"}}, "unknown value tag"),
        ({"exec": "rm -rf /"}, "parameters this skdnn does not know"),
    ):
        bad = copy.deepcopy(state)
        bad["params"].update(change)
        path = _rewrite(
            saved_file,
            tmp_path / "json.skdnn",
            replace={"estimator.json": json.dumps(bad).encode()},
        )
        with pytest.raises(ModelFileError, match=match):
            skdnn.load(path)


def _lambda_keras_bytes(marker, tmp_path):
    """A .keras file whose Lambda layer creates ``marker`` when deserialised."""
    import keras

    def make_function(path):
        return lambda x: (open(path, "w").close(), x)[1]

    inputs = keras.Input(shape=(3,), name="features")
    hidden = keras.layers.Lambda(make_function(str(marker)))(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    keras_path = tmp_path / "lambda.keras"
    model.save(keras_path)
    marker.unlink()  # building the model ran the function once
    return keras_path


@pytest.mark.filterwarnings("ignore:Skipping variable loading:UserWarning")
def test_keras_lambda_layer_is_refused_unexecuted(saved_file, tmp_path):
    import keras

    marker = tmp_path / "pwned"
    keras_path = _lambda_keras_bytes(marker, tmp_path)
    data = keras_path.read_bytes()

    # skdnn.load refuses it ...
    path = _rewrite(
        saved_file, tmp_path / "lambda.skdnn", replace={"model.keras": data}
    )
    with pytest.raises(ModelFileError, match="Lambda"):
        skdnn.load(path)
    assert not marker.exists()
    # ... even when the user switched Keras's safe mode off globally ...
    from keras.src.backend.common import global_state

    before = global_state.get_global_attribute("safe_mode_saving")
    keras.config.enable_unsafe_deserialization()
    try:
        with pytest.raises(ModelFileError, match="Lambda"):
            skdnn.load(path)
    finally:
        global_state.set_global_attribute("safe_mode_saving", before)
    assert not marker.exists()
    # ... and so does Keras's safe_mode, the second line of defence
    with pytest.raises(ValueError, match="lambda"):
        _load_keras_model(data)
    assert not marker.exists()
    # the payload is live: without safe_mode, loading runs it
    keras.saving.load_model(keras_path, safe_mode=False)
    assert marker.exists()


def _edit_keras_config(data, edit):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _point_initializer_at_os_system(config):
    dense = next(
        layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense"
    )
    dense["config"]["kernel_initializer"] = {
        "module": "os",
        "class_name": "system",
        "config": {"command": "touch pwned"},
        "registered_name": None,
    }


def _register_custom_object(config):
    config["config"]["layers"][-1]["registered_name"] = "evil>Dense"


@pytest.mark.parametrize(
    "edit, match",
    [
        (_point_initializer_at_os_system, "module 'os'"),
        (_register_custom_object, "custom object 'evil>Dense'"),
    ],
)
def test_keras_config_outside_keras_is_refused(saved_file, tmp_path, edit, match):
    with zipfile.ZipFile(saved_file) as archive:
        data = _edit_keras_config(archive.read("model.keras"), edit)
    path = _rewrite(
        saved_file, tmp_path / "config.skdnn", replace={"model.keras": data}
    )
    with pytest.raises(ModelFileError, match=match):
        skdnn.load(path)
    assert not (tmp_path / "pwned").exists()


def test_untrusted_preprocessing_type_is_refused(pipeline, tmp_path):
    import skops.io

    pipe, _ = pipeline
    saved = tmp_path / "pipe.skdnn"
    skdnn.save(pipe, saved)
    evil = skops.io.dumps(
        Pipeline([("f", FunctionTransformer(os.system)), ("clf", "passthrough")])
    )
    path = _rewrite(
        saved, tmp_path / "evil.skdnn", replace={"preprocessing.skops": evil}
    )
    with pytest.raises(ModelFileError, match=r"untrusted types.*system"):
        skdnn.load(path)


def test_raw_frame_round_trip_keeps_the_encoding(fitted, tmp_path):
    clf, X = fitted["regressor-raw-frame"]
    assert clf.preprocessor_.embedding_cardinalities_  # the city is embedded
    skdnn.save(clf, tmp_path / "model.skdnn")
    loaded = skdnn.load(tmp_path / "model.skdnn")
    unseen = X.head(4).assign(city="never seen", colour=None, x1=np.nan)
    np.testing.assert_array_equal(loaded.predict(unseen), clf.predict(unseen))
    with pytest.raises(ValueError, match="x1"):
        loaded.predict(X.drop(columns="x1"))


# ----------------------------------------------------------------------
# Files of format version 1 (written by skdnn before preprocessor_)
# ----------------------------------------------------------------------


def _readable_here(name):
    """Skip where this Keras is older than the one that wrote the file (a
    newer Keras writes layer settings an older one rejects)."""
    import keras
    from packaging.version import Version

    with zipfile.ZipFile(DATA / f"{name}.skdnn") as archive:
        saved = json.loads(archive.read("manifest.json"))["saved_with"]["keras"]
    if Version(keras.__version__).release < Version(saved).release:
        pytest.skip(f"{name}.skdnn was written by Keras {saved}")


@pytest.mark.parametrize("name", ["v1_classifier", "v1_pipeline"])
def test_version_1_files_load_and_predict_as_before(name):
    _readable_here(name)
    # written by commit 9ca9e79's skdnn.save; the predictions saved with them
    expected = np.load(DATA / "v1_expected.npz")
    X, proba = (
        (expected["X"], expected["proba"])
        if name == "v1_classifier"
        else (expected["pipeline_X"], expected["pipeline_proba"])
    )
    with zipfile.ZipFile(DATA / f"{name}.skdnn") as archive:
        assert json.loads(archive.read("manifest.json"))["format_version"] == 1
    loaded = skdnn.load(DATA / f"{name}.skdnn")
    clf = loaded[-1] if isinstance(loaded, Pipeline) else loaded
    assert type(clf) is TaperedMLPClassifier
    # a pass-through preprocessor, and parameters that say so
    pre = clf.preprocessor_
    assert (clf.categorical_features, clf.numeric_scaling) == (None, None)
    assert pre.n_dense_features_ == clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(pre.transform(X), X.astype(np.float32))
    np.testing.assert_allclose(loaded.predict_proba(X), proba, atol=1e-6)
    assert len(clf.history_) == clf.n_iter_


def test_version_1_file_naming_a_regressor_is_refused(tmp_path):
    _readable_here("v1_classifier")

    def as_regressor(text):
        state = json.loads(text)
        state["estimator"] = "TaperedMLPRegressor"
        return json.dumps(state).encode()

    with zipfile.ZipFile(DATA / "v1_classifier.skdnn") as archive:
        estimator = archive.read("estimator.json")
    path = _rewrite(
        DATA / "v1_classifier.skdnn",
        tmp_path / "v1.skdnn",
        replace={"estimator.json": as_regressor(estimator)},
    )
    with pytest.raises(ModelFileError, match="does not describe one of skdnn"):
        skdnn.load(path)


# ----------------------------------------------------------------------
# Saved state checked against the network
# ----------------------------------------------------------------------


def _edit_state(saved_file, tmp_path, edit):
    with zipfile.ZipFile(saved_file) as archive:
        state = json.loads(archive.read("estimator.json"))
    edit(state)
    return _rewrite(
        saved_file,
        tmp_path / "edited.skdnn",
        replace={"estimator.json": json.dumps(state).encode()},
    )


def _drop_a_numeric_column(state):
    pre = state["preprocessor"]["attributes"]
    pre["n_dense_features_"] -= 1


def _one_output_more(state):
    state["attributes"]["n_outputs_"] += 1


@pytest.mark.parametrize(
    ("case", "edit", "match"),
    [
        ("binary-text", _drop_a_numeric_column, "invalid preprocessor_"),
        ("regressor-multi-output", _drop_a_numeric_column, "invalid preprocessor_"),
        ("regressor-multi-output", _one_output_more, "_target_mean is not 3"),
        (
            "regressor-multi-output",
            lambda state: state["attributes"].__setitem__("_target_1d", True),
            "_target_1d",
        ),
        (
            "regressor-multi-output",
            lambda state: state["attributes"].pop("_target_scale"),
            "_target_scale",
        ),
        (
            "binary-text",
            lambda state: state["preprocessor"]["attributes"].pop("center_"),
            "invalid preprocessor_",
        ),
        (
            "binary-text",
            lambda state: state.__setitem__("estimator", "LogisticRegression"),
            "does not describe one of skdnn",
        ),
        (
            "regressor-raw-frame",
            lambda state: state["attributes"].__setitem__("_target_kind", "binary"),
            "_target_kind",
        ),
    ],
)
def test_inconsistent_saved_state_is_refused(fitted, tmp_path, case, edit, match):
    saved = tmp_path / "model.skdnn"
    skdnn.save(fitted[case][0], saved)
    with pytest.raises(ModelFileError, match=match):
        skdnn.load(_edit_state(saved, tmp_path, edit))


def test_a_network_of_another_input_width_is_refused(fitted, tmp_path):
    # each part consistent on its own: the preprocessor feeds 3 numbers and
    # their bins, the network of the other file reads the 3 numbers alone
    model, X = fitted["binary-text"]
    y = np.where(X["x1"] + 0.5 * X["x2"] > 0, "yes", "no").astype(object)  # as fit
    plain = clone(model).set_params(numeric_bins=None).fit(X, y)
    skdnn.save(model, tmp_path / "binned.skdnn")
    skdnn.save(plain, tmp_path / "plain.skdnn")
    with zipfile.ZipFile(tmp_path / "plain.skdnn") as archive:
        network = archive.read("model.keras")
    swapped = _rewrite(
        tmp_path / "binned.skdnn",
        tmp_path / "swapped.skdnn",
        replace={"model.keras": network},
    )
    with pytest.raises(ModelFileError, match="input width"):
        skdnn.load(swapped)


# ----------------------------------------------------------------------
# Pipelines: which preprocessing steps are trusted
# ----------------------------------------------------------------------


def _positive_data(n=80, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.5, 3.0, size=(n, 6))
    return X, (X[:, 0] + X[:, 1] > 3.5).astype(int)


@pytest.mark.parametrize(
    "steps",
    [
        [PCA(n_components=3, random_state=0)],
        [SelectKBest(f_classif, k=3)],
        [FunctionTransformer(np.log1p)],
        [StandardScaler(), PCA(n_components=4), SelectKBest(f_regression, k=2)],
    ],
    ids=["pca", "select-k-best", "log1p", "scaler-pca-select"],
)
def test_pipeline_with_wider_sklearn_steps_round_trips(steps, tmp_path):
    X, y = _positive_data()
    pipe = make_pipeline(*steps, TaperedMLPClassifier(**FAST)).fit(X, y)
    skdnn.save(pipe, tmp_path / "pipe.skdnn")
    loaded = skdnn.load(tmp_path / "pipe.skdnn")
    assert [type(step) for _, step in loaded.steps] == [
        type(step) for _, step in pipe.steps
    ]
    np.testing.assert_array_equal(loaded[:-1].transform(X), pipe[:-1].transform(X))
    np.testing.assert_allclose(
        loaded.predict_proba(X), pipe.predict_proba(X), atol=1e-6
    )


def test_pipeline_ending_in_a_regressor_round_trips(tmp_path):
    X, _ = _positive_data()
    y = 100.0 * X[:, 0] - X[:, 2]
    pipe = make_pipeline(PCA(n_components=4), TaperedMLPRegressor(**FAST)).fit(X, y)
    skdnn.save(pipe, tmp_path / "pipe.skdnn")
    loaded = skdnn.load(tmp_path / "pipe.skdnn")
    assert type(loaded[-1]) is TaperedMLPRegressor
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))


def _reciprocal(X):
    return 1.0 / X


class _OwnScaler(StandardScaler):
    """A scaler defined outside scikit-learn: its code is not trusted."""


@pytest.mark.parametrize(
    ("step", "match"),
    [
        (FunctionTransformer(lambda X: X), "<lambda>"),
        (FunctionTransformer(_reciprocal), "_reciprocal"),
        (_OwnScaler(), "_OwnScaler"),
        (SelectKBest(lambda X, y: (X[0], X[0]), k=2), "<lambda>"),
    ],
    ids=["lambda", "own-function", "own-class", "lambda-score"],
)
def test_save_refuses_untrusted_steps_clearly(step, match, tmp_path):
    X, y = _positive_data()
    # the check reads the types, not the fit: the steps need not be fitted
    pipe = make_pipeline(step, TaperedMLPClassifier(**{**FAST, "epochs": 1}).fit(X, y))
    with pytest.raises(TypeError, match=rf"refuse.*{re.escape(match)}.*pickle"):
        skdnn.save(pipe, tmp_path / "pipe.skdnn")
    assert list(tmp_path.iterdir()) == []


def test_a_class_named_as_a_trusted_function_is_refused(pipeline, tmp_path):
    import skops.io

    pipe, _ = pipeline
    saved = tmp_path / "pipe.skdnn"
    skdnn.save(pipe, saved)
    data = skops.io.dumps(
        Pipeline([("f", FunctionTransformer(np.log1p)), ("clf", "passthrough")])
    )
    # point the function at a trusted *class* (and a module function) instead
    for module, name in (
        ("sklearn.decomposition._pca", "PCA"),
        ("os", "system"),
    ):
        edited = _edit_skops_function(data, module, name)
        path = _rewrite(
            saved, tmp_path / f"{name}.skdnn", replace={"preprocessing.skops": edited}
        )
        with pytest.raises(ModelFileError, match=rf"untrusted.*{module}\.{name}"):
            skdnn.load(path)


def _edit_skops_function(data, module, name):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    text = members["schema.json"].decode()
    schema = json.loads(text)
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("__loader__") == "FunctionNode":
                node["__module__"], node["__class__"] = module, name
                node["content"] = {"module_path": module, "function": name}
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    members["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


def test_trusted_types_lists_estimators_and_functions_only():
    from skdnn._persistence import trusted_types

    trusted = trusted_types()
    assert (
        "sklearn.feature_selection._univariate_selection.f_classif"
        in (trusted["functions"])
    )
    assert "sklearn.preprocessing._data.StandardScaler" in trusted["types"]
    assert "skdnn._preprocessing.TabularPreprocessor" in trusted["types"]
    assert not set(trusted["types"]) & set(trusted["functions"])
    assert not any(
        name.startswith(("os.", "posix.", "builtins.eval"))
        for name in trusted["functions"] + trusted["types"]
    )
    # skdnn's own estimators are the file's network, never a preprocessing step
    assert not any("TaperedMLP" in name for name in trusted["types"])


@pytest.mark.filterwarnings("ignore:For backward compatibility, 'str' dtypes")
def test_pipeline_with_column_selectors_and_a_regressor_round_trips(tmp_path):
    import sklearn
    from packaging.version import Version
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.preprocessing import KBinsDiscretizer

    # the quantiles scikit-learn >= 1.7 computes by default, said explicitly
    bins = (
        {"quantile_method": "linear"}
        if Version(sklearn.__version__) >= Version("1.7")
        else {}
    )
    X = _table()
    y = 50.0 * X["x1"] + 10.0 * (X["colour"] == "red")
    prep = make_column_transformer(
        (StandardScaler(), make_column_selector(dtype_include="number")),
        (OneHotEncoder(), make_column_selector(dtype_include=object)),
        (KBinsDiscretizer(n_bins=3, **bins), ["x2"]),
    )
    pipe = make_pipeline(prep, TaperedMLPRegressor(**FAST)).fit(X, y)
    skdnn.save(pipe, tmp_path / "pipe.skdnn")
    loaded = skdnn.load(tmp_path / "pipe.skdnn")
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))


def test_fit_partial_fit_save_and_load_run_with_deprecation_warnings_as_errors(
    tmp_path,
):
    # numpy 2 warns when Keras reads a TensorFlow variable with np.array; a
    # test suite run with -W error failed every fit, save and load on it
    # (and, on JAX, a loaded model's partial_fit)
    import warnings

    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        clf = skdnn.TaperedMLPClassifier(epochs=2, random_state=0).fit(X, y)
        clf.partial_fit(X, y)
        skdnn.save(clf, tmp_path / "model.skdnn")
        loaded = skdnn.load(tmp_path / "model.skdnn")
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        skdnn.load(tmp_path / "model.skdnn").partial_fit(X, y)
        assert clf.model_ is not None  # built from the plan
        clf.partial_fit(X, y)


def test_a_loaded_network_takes_a_new_learning_rate_and_refuses_another_architecture(
    tmp_path,
):
    # a Keras file holds no estimator's parameters: the saved ones are what
    # a continued fit checks against (a new learning rate was ignored, an
    # activation or l2 change trained the old network silently)
    X = _table()[["x1", "x2", "x3"]].to_numpy()
    y = (X[:, 0] > 0).astype(int)
    clf = TaperedMLPClassifier(**FAST, warm_start=True).fit(X, y)
    skdnn.save(clf, tmp_path / "m.skdnn")
    loaded = skdnn.load(tmp_path / "m.skdnn")
    loaded.set_params(epochs=2).fit(X, y)
    assert loaded.history_["learning_rate"].iloc[-1] == pytest.approx(1e-3)
    loaded.set_params(learning_rate=0.05).fit(X, y)
    assert loaded.history_["learning_rate"].iloc[-1] == pytest.approx(0.05)
    for change in ({"activation": "relu"}, {"l2": 0.5}, {"batch_norm": True}):
        other = skdnn.load(tmp_path / "m.skdnn").set_params(**change)
        with pytest.raises(ValueError, match="architecture changed"):
            other.fit(X, y)
        # changed before saving: the file keeps what built the network, and
        # the loaded model refuses as the saved one does (it took the new
        # parameters for the network's and went on silently)
        skdnn.save(clone(clf).fit(X, y).set_params(**change), tmp_path / "c.skdnn")
        with pytest.raises(ValueError, match="architecture changed"):
            skdnn.load(tmp_path / "c.skdnn").fit(X, y)


def test_a_network_written_by_a_newer_keras_says_to_upgrade_keras():
    # an older Keras rejects a newer one's layer settings in a message of the
    # layer's whole config (3,160 characters), without naming the versions
    import keras

    from skdnn._persistence import _read_keras

    with pytest.raises(ModelFileError, match=r"written by Keras 99\.0") as caught:
        _read_keras(b"not a network", {"keras": "99.0"})
    assert 'pip install "keras>=99.0"' in str(caught.value)
    # written by this Keras (or an older one, or unsaid): Keras's own reason
    for saved_with in ({"keras": keras.__version__}, {"keras": "3.0.0"}, None):
        with pytest.raises(ModelFileError, match="could not be loaded safely"):
            _read_keras(b"not a network", saved_with)
