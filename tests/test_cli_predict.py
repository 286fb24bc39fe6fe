"""Tests of ``skdnn predict``: the predictions of a saved model, as CSV."""

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

import skdnn
from skdnn import TaperedMLPClassifier, TaperedMLPRegressor
from skdnn._cli import main
from skdnn._cli_predict import prediction_table

FAST = {"hidden_layer_sizes": (16, 8), "epochs": 5, "random_state": 0}


def _table(n, seed):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(1000, 1000 + n),
            "age": rng.randint(18, 80, n).astype(float),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )
    frame.loc[::7, "age"] = np.nan
    score = (frame["age"].fillna(50) - 50) / 15 + (frame["city"] == "paris")
    frame["label"] = np.where(score > 0.2, "buy", "skip")
    frame["price"] = 3 * frame["age"].fillna(50) + 10 * (frame["city"] == "lyon")
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict")
    train = _table(120, seed=0)
    features = ["age", "city"]
    classifier = TaperedMLPClassifier(**FAST).fit(train[features], train["label"])
    regressor = TaperedMLPRegressor(**FAST).fit(train[features], train["price"])
    skdnn.save(classifier, folder / "clf.skdnn")
    skdnn.save(regressor, folder / "reg.skdnn")
    new = _table(30, seed=1)
    # the columns in another order, with an identifier and the true values
    new = new[["label", "city", "id", "age", "price"]]
    new.to_csv(folder / "new.csv", index=False)
    return {
        "folder": folder,
        "classifier": classifier,
        "regressor": regressor,
        "new": new,
        "features": features,
    }


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_writes_classes_and_probabilities_to_stdout(files, capsys):
    folder, new = files["folder"], files["new"]
    code, out, err = _run(["predict", folder / "clf.skdnn", folder / "new.csv"], capsys)
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    model = files["classifier"]
    X = new[files["features"]]
    assert list(table.columns) == ["prediction", "proba_buy", "proba_skip"]
    assert table["prediction"].tolist() == model.predict(X).tolist()
    np.testing.assert_allclose(table.iloc[:, 1:], model.predict_proba(X), rtol=1e-6)
    # the columns it leaves out are named, on stderr
    assert "3 column(s)" in err and "'label'" in err and "'price'" in err


def test_predict_keeps_columns_and_writes_a_file(files, tmp_path, capsys):
    folder, new = files["folder"], files["new"]
    out_file = tmp_path / "predictions.csv"
    argv = ["predict", folder / "reg.skdnn", folder / "new.csv"]
    code, out, err = _run([*argv, "--keep", "id", "--out", out_file], capsys)
    assert code == 0, err
    assert "Wrote 30 predictions" in out and "Predicted values: min" in out
    table = pd.read_csv(out_file)
    assert list(table.columns) == ["id", "prediction"]  # no probabilities
    assert table["id"].tolist() == new["id"].tolist()
    expected = files["regressor"].predict(new[files["features"]])
    np.testing.assert_allclose(table["prediction"], expected, rtol=1e-5)
    assert "2 column(s)" in err  # label and price; id is kept


def test_predict_no_proba_and_class_counts(files, tmp_path, capsys):
    folder = files["folder"]
    out_file = tmp_path / "classes.csv"
    argv = ["predict", folder / "clf.skdnn", folder / "new.csv", "--no-proba"]
    code, out, err = _run([*argv, "--out", out_file], capsys)
    assert code == 0, err
    table = pd.read_csv(out_file)
    assert list(table.columns) == ["prediction"]
    counts = table["prediction"].value_counts()
    assert (
        "Predicted classes: "
        + ", ".join(
            f"{label}: {count} row{'s' * (count != 1)}"
            for label, count in counts.items()
        )
        in out
    )


def test_predict_reads_an_array_model_by_position(tmp_path, capsys):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    model = TaperedMLPClassifier(**FAST).fit(X, y)
    skdnn.save(model, tmp_path / "m.skdnn")
    new = pd.DataFrame(X[:10], columns=["a", "b", "c"])
    new.insert(0, "row", range(10))
    new.to_csv(tmp_path / "new.csv", index=False)
    argv = ["predict", tmp_path / "m.skdnn", tmp_path / "new.csv"]
    code, out, err = _run([*argv, "--keep", "row"], capsys)
    assert code == 0, err
    assert "read by position" in err
    table = pd.read_csv(io.StringIO(out))
    assert table["prediction"].tolist() == model.predict(X[:10]).tolist()
    assert table["row"].tolist() == list(range(10))
    # without --keep the row numbers are a fourth column the model lacks
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "has 4 feature columns; the model expects 3" in err


@pytest.mark.parametrize("step", ["estimator", "pipeline"])
def test_predict_reads_integer_labelled_columns_by_their_header(step, tmp_path, capsys):
    # a model fitted on pd.DataFrame(array) (labels 0, 1, 2) read a file's
    # columns by position, so a header "2,1,0" was predicted with them
    # swapped (Python's predict refuses that frame)
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)) * [1.0, 5.0, 0.1])
    y = (X[0] + X[1] > 0).astype(int)
    model = TaperedMLPClassifier(**FAST)
    if step == "pipeline":
        model = make_pipeline(skdnn.TabularPreprocessor(), model)
    model.fit(X, y)
    skdnn.save(model, tmp_path / "m.skdnn")
    new = X.iloc[:20, ::-1].assign(row=range(20))
    new.to_csv(tmp_path / "new.csv", index=False)
    argv = ["predict", tmp_path / "m.skdnn", tmp_path / "new.csv", "--keep", "row"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert "position" not in err
    table = pd.read_csv(io.StringIO(out))
    np.testing.assert_allclose(
        table[["proba_0", "proba_1"]], model.predict_proba(X.iloc[:20]), atol=1e-6
    )
    # a header without the labels is refused, naming them
    new.set_axis(["a", "b", "c", "row"], axis=1).to_csv(tmp_path / "new.csv")
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "lacks column(s) the model was trained on: '0', '1', '2'" in err


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--keep", "nope"], ["--keep", "no column 'nope'", "'id'"]),
        (["--out", "{folder}"], ["is a folder"]),
        (["--out", "{folder}/new.csv"], ["is the data file itself"]),
        (["--out", "{folder}/clf.skdnn"], ["would replace a model file"]),
        (["--keep", "prediction"], []),  # checked below
    ],
)
def test_predict_refuses_bad_options(files, capsys, extra, fragments):
    folder = files["folder"]
    frame = files["new"].rename(columns={"id": "prediction"})
    frame.to_csv(folder / "renamed.csv", index=False)
    data = folder / ("renamed.csv" if "prediction" in extra else "new.csv")
    extra = [e.replace("{folder}", str(folder)) for e in extra]
    code, out, err = _run(["predict", folder / "clf.skdnn", data, *extra], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert lines[-1].startswith("skdnn: error: ")
    if "prediction" in extra:
        fragments = ["'prediction' has the name of an output column"]
    for fragment in fragments:
        assert fragment in lines[-1]


def test_predict_names_the_missing_columns(files, tmp_path, capsys):
    folder = files["folder"]
    files["new"].drop(columns="city").to_csv(tmp_path / "no_city.csv", index=False)
    code, _, err = _run(
        ["predict", folder / "clf.skdnn", tmp_path / "no_city.csv"], capsys
    )
    assert code == 2
    assert "lacks column(s) the model was trained on: 'city'" in err
    # a name written with other spaces or case: quoted, and the file's named
    renamed = files["new"].rename(columns={"city": " City"})
    renamed.to_csv(tmp_path / "renamed.csv", index=False)
    code, _, err = _run(
        ["predict", folder / "clf.skdnn", tmp_path / "renamed.csv"], capsys
    )
    assert code == 2
    assert "'city'; ' City' is in the file (check case and spaces)" in err
    code, _, err = _run(["predict", tmp_path, folder / "new.csv"], capsys)
    assert code == 2 and "is a folder, not a model file" in err


def test_prediction_table_of_multi_output_models():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([X[:, 0], 100 * X[:, 1]])
    regressor = TaperedMLPRegressor(**FAST).fit(X, Y)
    table = prediction_table(regressor, X[:5])
    assert list(table.columns) == ["prediction_0", "prediction_1"]
    np.testing.assert_allclose(table.to_numpy(), regressor.predict(X[:5]))
    labels = (X[:, :2] > 0).astype(int)
    multilabel = TaperedMLPClassifier(**FAST).fit(X, labels)
    table = prediction_table(multilabel, X[:5])
    assert list(table.columns) == [
        "prediction_0",
        "prediction_1",
        "proba_0",
        "proba_1",
    ]
    np.testing.assert_allclose(
        table[["proba_0", "proba_1"]], multilabel.predict_proba(X[:5])
    )


def test_kept_columns_are_copied_as_written(files, tmp_path, capsys):
    # read as numbers, 000123 came out as 123.0 and a join back failed
    new = files["new"].copy()
    new["id"] = [f"{i:06d}" for i in range(len(new))]
    new.loc[2, "id"] = ""
    new.to_csv(tmp_path / "ids.csv", index=False)
    argv = ["predict", files["folder"] / "clf.skdnn", tmp_path / "ids.csv"]
    code, out, err = _run([*argv, "--keep", "id", "--no-proba"], capsys)
    assert code == 0, err
    kept = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)["id"]
    assert kept.tolist() == new["id"].tolist()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_utf16_file_is_read_as_such(files, tmp_path, capsys, encoding):
    # Excel's "Unicode Text": announced as Windows-1252, then no column found
    files["new"].to_csv(tmp_path / "u.csv", index=False, encoding=encoding)
    argv = ["predict", files["folder"] / "clf.skdnn", tmp_path / "u.csv"]
    code, out, err = _run([*argv, "--no-proba"], capsys)
    assert code == 0, err
    expected = files["classifier"].predict(files["new"][files["features"]])
    assert pd.read_csv(io.StringIO(out))["prediction"].tolist() == expected.tolist()


def test_a_closed_pipe_ends_the_command_quietly(files, tmp_path):
    import subprocess
    import sys

    many = pd.concat([files["new"]] * 400, ignore_index=True)  # 12,000 rows
    many.to_csv(tmp_path / "many.csv", index=False)
    command = (
        f"{sys.executable} -m skdnn predict {files['folder'] / 'clf.skdnn'} "
        f"{tmp_path / 'many.csv'} | head -1"
    )
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.startswith("prediction,")
    assert "BrokenPipe" not in result.stderr and "error" not in result.stderr


def test_a_kept_column_of_a_windows_file_is_noted_once(files, tmp_path, capsys):
    # --keep reads the file again, as text: its encoding was noted twice
    new = files["new"].assign(town="Zürich")
    new.to_csv(tmp_path / "cp.csv", index=False, encoding="cp1252")
    argv = ["predict", files["folder"] / "clf.skdnn", tmp_path / "cp.csv"]
    code, out, err = _run([*argv, "--keep", "town", "--no-proba"], capsys)
    assert code == 0, err
    assert err.count("is not UTF-8") == 1
    assert set(pd.read_csv(io.StringIO(out))["town"]) == {"Zürich"}
