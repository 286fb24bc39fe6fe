"""Tests of the skdnn command: demo, train, report, and every bad input."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

import skdnn
from skdnn import TaperedMLPClassifier, TaperedMLPRegressor
from skdnn._cli import UsageError, _choose_task, _parse_settings, _three_sets, main

FAST = ["--set", "epochs=5", "--set", "hidden_layer_sizes=(16, 8)"]
OUTPUTS = {
    "history.csv",
    "learning_curves.png",
    "report.csv",
    "report.md",
    "model.skdnn",
}
# with the curves of the cross-validated fits a thin hold-out calls for
CV_OUTPUTS = OUTPUTS | {"cv_learning_curves.png"}


def _customers(n, seed):
    """A table with numbers, text, booleans, gaps and a text label."""
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "age": rng.randint(18, 80, n),
            "income": rng.normal(50, 10, n).round(1),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "member": rng.choice([True, False], n),
        }
    )
    score = (frame["age"] - 50) / 15 + (frame["city"] == "paris") - frame["member"]
    frame["decision"] = np.where(
        score > 0.3, "buy", np.where(score < -0.6, "skip", "wait")
    )
    frame.loc[::17, "income"] = np.nan
    frame.loc[::23, "city"] = np.nan
    frame["member"] = frame["member"].astype(object)
    frame.loc[::19, "member"] = np.nan  # read back as True/False/NaN objects
    return frame


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_error_line(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skdnn: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``skdnn train`` run once on a CSV, on a (fake) terminal."""
    folder = tmp_path_factory.mktemp("train")
    data = folder / "customers.csv"
    _customers(150, seed=0).to_csv(data, index=False)
    out = folder / "run"
    argv = ["train", str(data), "--target", "decision", "--out", str(out)]
    argv += [*FAST, "--random-state", "1"]
    with pytest.MonkeyPatch.context() as patch:
        stdout, stderr = _Capture(), _Capture()
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        code = main(argv)
    return {
        "code": code,
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
        "out": out,
        "data": data,
    }


class _Capture:
    """A stdout that says it is a terminal and keeps what is written."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return True

    def getvalue(self):
        return "".join(self.parts)


def test_train_writes_every_output(trained):
    assert trained["code"] == 0
    out = trained["out"]
    assert {p.name for p in out.iterdir()} == CV_OUTPUTS
    stdout = trained["stdout"]
    # 90 training rows hold out 9: the diagnosis pools 5 cross-validated fits
    assert "pooling the curves of 5 cross-validated fits of the 90" in stdout
    # the model's own best epoch is printed above: the folds' is theirs
    assert "(the best epoch it reads is theirs, not this model's)" in stdout
    # 72 rows per fit hold out 8: still thin, and about 11 folds (each
    # holding out more of its larger share) would reach 100 rows, so the
    # advice is to compare designs by their scores
    assert "the folds' validation curves rest on 40 rows" in stdout
    assert "the rows are too few for curves to judge by (about 11 folds" in stdout
    for fragment in ("train", "test", "pure", "accuracy", "recall", "Diagnosis"):
        assert fragment in stdout
    # per-epoch progress on a terminal: a live line on stderr, as tqdm draws it
    assert "epoch" in trained["stderr"]
    assert "/5" in trained["stderr"]
    assert "skdnn report" in stdout  # how to score new data

    model = skdnn.load(out / "model.skdnn")
    # the raw table went straight in: the estimator encodes it itself
    assert type(model) is TaperedMLPClassifier
    clf = model
    assert list(clf.feature_names_in_) == ["age", "income", "city", "member"]
    assert "Task: classification" in stdout
    assert clf.epochs == 5 and clf.hidden_layer_sizes_ == (16, 8)
    assert clf.random_state == 1
    assert set(clf.classes_) == {"buy", "skip", "wait"}
    history = pd.read_csv(out / "history.csv", index_col="epoch")
    np.testing.assert_allclose(history.to_numpy(), clf.history_.to_numpy())
    report = pd.read_csv(out / "report.csv", index_col="dataset")
    assert list(report.index) == ["train", "test", "pure"]
    assert {
        "accuracy",
        "balanced_accuracy",
        "recall",
        "precision",
        "f1",
        "recall_buy",
        "recall_skip",
        "recall_wait",
        "support",
    } <= set(report.columns)
    assert report["support"].sum() == 150
    assert (out / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "report.md").read_text()
    assert "| pure |" in markdown and "Diagnosis" in markdown
    # the pooled verdict beside the pooled curves it was read from
    assert markdown.index("(cv_learning_curves.png)") < markdown.index(
        "(learning_curves.png)"
    )
    assert "pooled curves of the cross-validated fits" in markdown


def test_report_scores_new_data(trained, tmp_path, capsys):
    new = _customers(60, seed=5)
    new.loc[:4, "city"] = "marseille"  # a category never seen in training
    data = tmp_path / "new.csv"
    new.to_csv(data, index=False)
    model_path = trained["out"] / "model.skdnn"
    code, out, err = _run(
        [
            "report",
            str(model_path),
            str(data),
            "--target",
            "decision",
            "--out",
            str(tmp_path / "rep"),
        ],
        capsys,
    )
    assert code == 0, err
    for fragment in ("accuracy", "recall", "precision", "f1", "60"):
        assert fragment in out
    report = pd.read_csv(tmp_path / "rep" / "report.csv", index_col="dataset")
    model = skdnn.load(model_path)
    expected = accuracy_score(
        new["decision"], model.predict(new.drop(columns="decision"))
    )
    assert report["accuracy"].iloc[0] == pytest.approx(expected)
    assert (tmp_path / "rep" / "report.md").exists()


def test_console_script_reports_on_files(trained, tmp_path):
    script = shutil.which("skdnn") or str(Path(sys.executable).parent / "skdnn")
    if not Path(script).exists():
        pytest.skip("the skdnn console script is not installed")
    result = subprocess.run(
        [
            script,
            "report",
            str(trained["out"] / "model.skdnn"),
            str(trained["data"]),
            "--target",
            "decision",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout
    assert "Traceback" not in result.stderr
    # TensorFlow's start-up log lines are kept out of the command's output
    assert "absl" not in result.stderr


def test_demo_in_a_new_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["demo", "--set", "epochs=5", "--quiet"], capsys)
    assert code == 0, err
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("skdnn-demo-")
    assert {p.name for p in folder.iterdir()} == CV_OUTPUTS
    assert "epoch 1/" not in out  # no progress when not on a terminal
    assert "malignant" in out  # the class recall is about
    assert "Diagnosis" in out
    report = pd.read_csv(folder / "report.csv", index_col="dataset")
    assert list(report.index) == ["train", "test", "pure"]
    assert report["support"].tolist() == [341, 114, 114]
    model = skdnn.load(folder / "model.skdnn")
    assert type(model) is TaperedMLPClassifier and model.n_iter_ <= 5
    assert "recall_malignant" in report.columns


def test_an_output_folder_that_cannot_be_made_is_refused_before_training(
    tmp_path, monkeypatch, capsys
):
    # the demo trained and reported, then failed to write anything
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    code, out, err = _run(["demo", "--out", "notes.txt/run"], capsys)
    assert code == 2 and "notes.txt is a file" in err
    assert "Training" not in out
    if os.geteuid() == 0:  # permissions do not apply to root
        return
    tmp_path.chmod(0o555)
    try:
        code, out, err = _run(["demo"], capsys)
    finally:
        tmp_path.chmod(0o755)
    assert code == 2 and "is not writable" in err and "--out" in err
    assert "Training" not in out


def test_help_answers_without_tensorflow():
    code = (
        "import sys\n"
        "from skdnn._cli import main\n"
        "for argv in (['--help'], ['demo', '--help'], ['train', '--help'],"
        " ['report', '--help'], ['predict', '--help'], ['--version']):\n"
        "    assert main(argv) == 0\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in"
        " ('tensorflow', 'keras', 'jax', 'skops', 'pandas')]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "usage: skdnn" in result.stdout
    assert "--target COLUMN" in result.stdout
    assert f"skdnn {skdnn.__version__}" in result.stdout


def test_python_m_skdnn_bad_input(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skdnn", "train", "missing.csv", "--target", "y"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    _assert_one_error_line(result.stderr, "missing.csv", "no such file")
    assert list(tmp_path.iterdir()) == []


def _write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "files, argv, fragments",
    [
        ({}, ["train", "{d}/none.csv", "--target", "y"], ["none.csv", "no such file"]),
        ({"e.csv": ""}, ["train", "{d}/e.csv", "--target", "y"], ["is empty"]),
        ({"h.csv": "a,y\n"}, ["train", "{d}/h.csv", "--target", "y"], ["no rows"]),
        (
            {"t.csv": "a,b\n1,2\n3,4\n"},
            ["train", "{d}/t.csv", "--target", "y"],
            ["no column 'y'", "'a', 'b'"],
        ),
        (  # a header's spaces, shown and named
            {"s.csv": "a, Age \n1,2\n3,4\n"},
            ["train", "{d}/s.csv", "--target", "age"],
            ["no column 'age' (did you mean ' Age '?)", "'a', ' Age '"],
        ),
        (
            {"c.csv": "a,y\n1,x\n2,x\n3,x\n"},
            ["train", "{d}/c.csv", "--target", "y"],
            ["single value", "at least 2 classes"],
        ),
        (
            {"n.csv": "a,y\n1,\n2,\n"},
            ["train", "{d}/n.csv", "--target", "y"],
            ["'y'", "is empty"],
        ),
        (
            {"f.csv": "a,y\n1,0.5\n2,0.25\n3,0.125\n4,0.3\n"},
            ["train", "{d}/f.csv", "--target", "y", "--task", "classification"],
            ["continuous", "--task classification"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--task", "regression"],
            ["'y'", "not numeric"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--pos-label", "r"],
            ["--pos-label 'r' is not a class", "p, q"],
        ),
        (
            {"m.csv": "a,y\n1,p\n2,q\n3,r\n"},
            ["train", "{d}/m.csv", "--target", "y", "--pos-label", "p"],
            ["--pos-label", "binary", "3 classes"],
        ),
        (
            {"f.csv": "a,y\n1,0.5\n2,0.25\n3,0.125\n4,0.3\n"},
            ["train", "{d}/f.csv", "--target", "y", "--pos-label", "1"],
            ["--pos-label is only for a classification"],
        ),
        (
            {"f.csv": "a,y\n1,0.5\n2,0.25\n3,0.125\n4,0.3\n"},
            ["train", "{d}/f.csv", "--target", "y", "--set", "class_weight=None"],
            ["TaperedMLPRegressor has no parameter 'class_weight'"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--task", "guess"],
            ["--task", "invalid choice"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--set", "epochs"],
            ["--set 'epochs' is not PARAM=VALUE"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--set", "epoch=5"],
            ["no parameter 'epoch'", "did you mean 'epochs'"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--set", "=5"],
            ["not PARAM=VALUE"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n3,p\n4,q\n5,p\n6,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--set", "dropout=1.5"],
            ["invalid --set value", "dropout"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["train", "{d}/o.csv", "--target", "y", "--test-size", "0.9"],
            ["--test-size", "below 1"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n", "file": "x"},
            ["train", "{d}/o.csv", "--target", "y", "--out", "{d}/file"],
            ["not a folder"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["report", "{d}/o.csv", "{d}/o.csv", "--target", "y"],
            ["not a skdnn model file"],
        ),
        (
            {"o.csv": "a,y\n1,p\n2,q\n"},
            ["report", "{d}/none.skdnn", "{d}/o.csv", "--target", "y"],
            ["none.skdnn", "no such model file"],
        ),
        ({}, ["train", "{d}/o.csv"], ["--target", "required"]),
        ({}, [], ["required"]),
        ({}, ["fit"], ["invalid choice: 'fit'"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, files, argv, fragments):
    for name, text in files.items():
        _write(tmp_path, name, text)
    argv = [arg.replace("{d}", str(tmp_path)) for arg in argv]
    code, _, err = _run(argv, capsys)
    assert code == 2
    _assert_one_error_line(err, *fragments)


def test_a_misspelt_setting_lists_only_what_set_can_give(tmp_path, capsys):
    # the list named callbacks, which --set then refused
    _write(tmp_path, "o.csv", "a,y\n1,p\n2,q\n")
    code, _, err = _run(
        ["train", str(tmp_path / "o.csv"), "--target", "y", "--set", "dropuot=0.2"],
        capsys,
    )
    assert code == 2
    listed = err.split("Valid parameters: ")[1]
    assert "dropout" in listed and "epochs" in listed
    assert "callbacks" not in listed


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("dropout=[0.1, 0.2, 0.3]", "dropout has 3 rates but the network has 1"),
        ("categorical_features=['nope']", "names the column 'nope'"),
    ],
)
def test_a_setting_the_table_rules_out_is_refused_before_training(
    tmp_path, capsys, setting, fragment
):
    # checked by fit against the table or the other values: still exit 2,
    # before any epoch (it was exit 1, as if training had failed)
    data = tmp_path / "t.csv"
    _customers(60, seed=0).to_csv(data, index=False)
    out_dir = str(tmp_path / "o")
    argv = ["train", str(data), "--target", "decision", "--quiet", "--out",
            out_dir, "--set", "hidden_layer_sizes=(8,)", "--set", setting]  # fmt: skip
    code, out, err = _run(argv, capsys)
    assert code == 2
    _assert_one_error_line(err, fragment)
    assert "Trained" not in out and not (tmp_path / "o").exists()


def test_report_refuses_broken_or_mismatched_files(trained, tmp_path, capsys):
    model_path = trained["out"] / "model.skdnn"
    truncated = tmp_path / "truncated.skdnn"
    truncated.write_bytes(model_path.read_bytes()[:5000])
    data = _write(tmp_path, "d.csv", "age,decision\n30,buy\n60,skip\n")
    code, _, err = _run(
        ["report", str(truncated), data, "--target", "decision"], capsys
    )
    assert code == 2
    _assert_one_error_line(err, "truncated")
    code, _, err = _run(
        ["report", str(model_path), data, "--target", "decision"], capsys
    )
    assert code == 2
    _assert_one_error_line(err, "lacks column(s)", "income", "city", "member")
    # a feature named as the target: said so, not "lacks column(s)"
    full = _customers(20, seed=1)
    data = tmp_path / "full.csv"
    full.to_csv(data, index=False)
    code, _, err = _run(
        ["report", str(model_path), str(data), "--target", "age"], capsys
    )
    assert code == 2
    _assert_one_error_line(err, "--target 'age' is one of the model's features")


@pytest.mark.parametrize(
    "error, status, fragment",
    [
        (RuntimeError("boom"), 1, "RuntimeError: boom"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_unexpected_failures(monkeypatch, capsys, error, status, fragment):
    def fail(args):
        raise error

    monkeypatch.setattr("skdnn._cli._run_demo", fail)
    code, _, err = _run(["demo"], capsys)
    assert code == status
    _assert_one_error_line(err, fragment)


def test_settings_are_python_literals_or_text():
    settings = _parse_settings(
        [
            "epochs=50",
            "hidden_layer_sizes=(64, 32)",
            "activation=tanh",
            "class_weight={'buy': 2.0, 'skip': 1}",
            "monitor=val_loss",
            "random_state=None",
            "batch_norm=True",
            "scoring = ['recall', 'precision']",
        ]
    )
    assert settings == {
        "epochs": 50,
        "hidden_layer_sizes": (64, 32),
        "activation": "tanh",
        "class_weight": {"buy": 2.0, "skip": 1},
        "monitor": "val_loss",
        "random_state": None,
        "batch_norm": True,
        "scoring": ["recall", "precision"],
    }


# ----------------------------------------------------------------------
# Which task: the rule, and --task
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "y, task",
    [
        (np.linspace(0.0, 1.0, 40), "regression"),  # non-whole numbers
        (np.array([0.5, 1.5, 0.5, 1.5] * 5), "regression"),  # few, not whole
        (np.arange(100) * 1000, "regression"),  # whole prices, all distinct
        (np.tile(np.arange(30), 10), "regression"),  # 30 values, 10 % of rows
        (np.tile(np.arange(30), 100), "classification"),  # 30 values, 1 %
        (np.tile(np.arange(20), 5), "classification"),  # at most 20 values
        (np.array([1.0, 2.0, 3.0] * 10), "classification"),  # whole floats
        (np.array(["a", "b"] * 30, dtype=object), "classification"),
        (np.array([True, False] * 30), "classification"),
    ],
)
def test_auto_task_follows_the_target(y, task):
    chosen, reason = _choose_task(y, "auto", "t", "d.csv")
    assert chosen == task
    other = "regression" if task == "classification" else "classification"
    if "--task" not in reason:  # continuous numbers, text: no way out
        with pytest.raises(UsageError, match=r"cannot be class labels|not numeric"):
            _choose_task(y, other, "t", "d.csv")
    else:  # the way out is named, and taken
        assert f"--task {other}" in reason
        assert _choose_task(y, other, "t", "d.csv")[0] == other


def test_task_option_overrides_the_rule():
    many = np.arange(100) * 1000
    assert _choose_task(many, "classification", "t", "d.csv")[0] == "classification"
    few = np.tile(np.arange(3), 20)
    assert _choose_task(few, "regression", "t", "d.csv")[0] == "regression"
    with pytest.raises(UsageError, match="not numeric"):
        _choose_task(np.array(["a", "b"], dtype=object), "regression", "t", "d")
    with pytest.raises(UsageError, match="continuous"):
        _choose_task(np.linspace(0, 1, 9), "classification", "t", "d")


# ----------------------------------------------------------------------
# Regression end to end
# ----------------------------------------------------------------------


def _houses(n, seed):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "area": rng.uniform(30, 200, n).round(1),
            "rooms": rng.randint(1, 6, n),
            "town": rng.choice(["north", "south", "east"], n),
        }
    )
    frame["price"] = (
        3000 * frame["area"] + 20000 * (frame["town"] == "south") + 500 * rng.randn(n)
    ).round(0)
    frame.loc[::13, "area"] = np.nan
    return frame


def test_train_and_report_a_continuous_target(tmp_path, capsys):
    data = tmp_path / "houses.csv"
    _houses(120, seed=0).to_csv(data, index=False)
    out = tmp_path / "run"
    code, stdout, err = _run(
        ["train", str(data), "--target", "price", "--out", str(out), *FAST],
        capsys,
    )
    assert code == 0, err
    assert "Task: regression" in stdout and "--task classification" in stdout
    assert "TaperedMLPRegressor" in stdout
    assert {p.name for p in out.iterdir()} == CV_OUTPUTS
    report = pd.read_csv(out / "report.csv", index_col="dataset")
    assert list(report.columns) == ["r2", "mae", "rmse", "support"]
    assert report["support"].sum() == 120
    assert "positive class" not in stdout
    model = skdnn.load(out / "model.skdnn")
    assert type(model) is TaperedMLPRegressor
    history = pd.read_csv(out / "history.csv", index_col="epoch")
    assert "r2" in history.columns

    new = _houses(40, seed=3)
    new_data = tmp_path / "new.csv"
    new.to_csv(new_data, index=False)
    code, stdout, err = _run(
        ["report", str(out / "model.skdnn"), str(new_data), "--target", "price"],
        capsys,
    )
    assert code == 0, err
    assert "r2" in stdout and "rmse" in stdout and "accuracy" not in stdout
    X, y = new.drop(columns="price"), new["price"]
    assert f"{model.score(X, y):.3f}" in stdout
    argv = ["report", str(out / "model.skdnn"), str(new_data), "--target", "price"]
    code, _, err = _run([*argv, "--pos-label", "1"], capsys)
    assert code == 2
    _assert_one_error_line(err, "--pos-label", "regressor")


# ----------------------------------------------------------------------
# The class that matters: --pos-label and the majority note
# ----------------------------------------------------------------------


def _credit(n, seed):
    """28 % 'bad': the greater label 'good' is the positive class."""
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({"debt": rng.normal(size=n), "job": rng.choice(["a", "b"], n)})
    frame["Status"] = np.where(frame["debt"] + 0.5 * rng.randn(n) > 0.9, "bad", "good")
    return frame


@pytest.fixture(scope="module")
def credit_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("credit")
    data = folder / "credit.csv"
    _credit(200, seed=0).to_csv(data, index=False)
    out = folder / "run"
    with pytest.MonkeyPatch.context() as patch:
        stdout = _Capture()
        patch.setattr(sys, "stdout", stdout)
        code = main(
            ["train", str(data), "--target", "Status", "--out", str(out), *FAST]
        )
    assert code == 0
    return {"stdout": stdout.getvalue(), "out": out, "data": data}


def _majority_notes(stdout):
    return [line for line in stdout.splitlines() if "is the majority" in line]


def test_train_names_the_minority_when_the_positive_class_is_the_majority(
    credit_model,
):
    (note,) = _majority_notes(credit_model["stdout"])
    assert "'good'" in note and "'bad'" in note
    assert "recall_bad" in note and "--pos-label bad" in note
    # report.md says it too, and which class its recall column scores
    markdown = (credit_model["out"] / "report.md").read_text()
    assert note in markdown
    assert "(recall, precision and F1 of the positive class: good)" in markdown
    report = pd.read_csv(credit_model["out"] / "report.csv", index_col="dataset")
    assert (report["recall"] == report["recall_good"]).all()
    assert "recall_bad" in report.columns


def test_report_pos_label_makes_the_minority_positive(credit_model, capsys):
    argv = ["report", str(credit_model["out"] / "model.skdnn")]
    argv += [str(credit_model["data"]), "--target", "Status"]
    code, default, err = _run([*argv, "--out", str(credit_model["out"] / "r")], capsys)
    assert code == 0, err
    assert len(_majority_notes(default)) == 1
    markdown = (credit_model["out"] / "r" / "report.md").read_text()
    assert _majority_notes(default)[0] in markdown
    code, chosen, err = _run([*argv, "--pos-label", "bad"], capsys)
    assert code == 0, err
    assert not _majority_notes(chosen)
    assert "positive class: bad" in chosen
    model = skdnn.load(credit_model["out"] / "model.skdnn")
    frame = pd.read_csv(credit_model["data"])
    pred = model.predict(frame.drop(columns="Status"))
    bad = frame["Status"].to_numpy() == "bad"
    assert f"{np.mean(pred[bad] == 'bad'):.3f}" in chosen


def test_train_hint_to_report_keeps_the_chosen_positive_class(tmp_path, capsys):
    # the printed command scored the default class 'good' on new data when
    # the run was told to find 'bad'
    data = tmp_path / "credit data.csv"
    _credit(120, seed=3).to_csv(data, index=False)
    out = tmp_path / "run"
    argv = ["train", str(data), "--target", "Status", "--out", str(out), *FAST]
    code, stdout, err = _run([*argv, "--pos-label", "bad"], capsys)
    assert code == 0, err
    (hint,) = [line for line in stdout.splitlines() if "skdnn report" in line]
    hint = hint.split(": ", 1)[1].replace("NEW_DATA.csv", shlex.quote(str(data)))
    command = shlex.split(hint)
    assert command[-2:] == ["--pos-label", "bad"]
    code, reported, err = _run(command[1:], capsys)
    assert code == 0, err
    assert "positive class: bad" in reported and not _majority_notes(reported)
    # without --pos-label at training, the hint adds none
    code, stdout, err = _run([*argv, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    (hint,) = [line for line in stdout.splitlines() if "skdnn report" in line]
    assert "--pos-label" not in hint


def test_diagnosis_folds_zero_diagnoses_the_one_fit(tmp_path, capsys):
    data = tmp_path / "houses.csv"
    _houses(300, seed=0).to_csv(data, index=False)
    out = tmp_path / "run"
    # a folder used again: an earlier run's pooled curves are not this
    # model's, and were left beside its report
    out.mkdir()
    (out / "cv_learning_curves.png").write_bytes(b"an earlier run's")
    argv = ["train", str(data), "--target", "price", "--out", str(out), *FAST]
    code, stdout, err = _run([*argv, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == OUTPUTS
    # a report into that folder would replace the training run's report
    argv = ["report", str(out), str(data), "--target", "price", "--out", str(out)]
    code, _, err = _run(argv, capsys)
    assert code == 2
    _assert_one_error_line(err, "holds a training run (model.skdnn)")
    assert "Diagnosis" in (out / "report.md").read_text()
    assert "pooling" not in stdout
    assert "Diagnosis: insufficient evidence" in stdout
    assert "pool cross-validated curves" in stdout
    # with the command's own option, not only the Python call; as many
    # folds as reach 100 validation rows (18 a fit: 7), not always 5
    assert "return_estimator=True)) (--diagnosis-folds 7)" in stdout


def test_diagnosis_folds_too_many_for_the_rows_are_said_so(tmp_path, capsys):
    # 18 training rows cannot make 10 folds: the pooling was skipped without
    # a word; and on 6 rows the advice named --diagnosis-folds 5, the
    # setting the run already had
    data = tmp_path / "houses.csv"
    _houses(30, seed=0).to_csv(data, index=False)
    argv = ["train", str(data), "--target", "price", *FAST]
    code, stdout, err = _run(
        [*argv, "--out", str(tmp_path / "a"), "--diagnosis-folds", "10"], capsys
    )
    assert code == 0, err
    assert "18 training rows too few for --diagnosis-folds 10" in stdout
    assert "the diagnosis reads the one fit's curves" in stdout
    # 2 validation rows a fit: no number of folds of 18 rows reaches 100
    assert "the rows are too few for curves to judge by (no number" in stdout
    assert "(--diagnosis-folds" not in stdout
    sizes = ["--test-size", "0.4", "--pure-size", "0.4"]
    code, stdout, err = _run([*argv, *sizes, "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    assert "6 training rows too few for --diagnosis-folds 5" in stdout
    assert "the rows are too few for curves to judge by (no number" in stdout
    assert "(--diagnosis-folds" not in stdout


def test_the_diagnosis_folds_do_not_repeat_the_fits_warnings(tmp_path, capsys):
    # an identifier column's unseen levels were warned of by every one of
    # the folds pooled for the diagnosis: 7 warnings for one cause
    frame = _houses(150, seed=0)  # folds of 18 test rows, enough to warn
    frame.insert(0, "ref", [f"H{i:03d}" for i in range(150)])
    data = tmp_path / "houses.csv"
    frame.to_csv(data, index=False)
    argv = ["train", str(data), "--target", "price", *FAST]
    counts = {}
    for folds in ("0", "5"):
        out = ["--out", str(tmp_path / folds), "--diagnosis-folds", folds]
        code, stdout, err = _run([*argv, *out], capsys)
        assert code == 0, err
        counts[folds] = err.count("never seen at fit")
    assert "pooling the curves of 5" in stdout
    assert counts["5"] == counts["0"] > 0
    # what only the folds meet is still said: a class of 2 rows in 5 folds
    frame["kind"] = ["rare"] * 2 + ["a", "b"] * 74
    frame.drop(columns="price").to_csv(data, index=False)
    argv = ["train", str(data), "--target", "kind", *FAST, "--out"]
    code, stdout, err = _run([*argv, str(tmp_path / "rare")], capsys)
    assert code == 0, err
    assert "pooling the curves of 5" in stdout
    assert "least populated class in y has only 2 members" in err


def test_train_drops_the_columns_it_is_told_to(tmp_path, capsys):
    # train warned "drop them" of an identifier column, and a command-line
    # user could only edit the file
    frame = _houses(150, seed=0)
    frame.insert(0, "ref", [f"H{i:03d}" for i in range(150)])
    data = tmp_path / "houses.csv"
    frame.to_csv(data, index=False)
    argv = ["train", str(data), "--target", "price", *FAST, "--diagnosis-folds", "0"]
    code, _, err = _run([*argv, "--out", str(tmp_path / "kept")], capsys)
    assert code == 0, err
    assert "like an index or an identifier" in err
    assert "Drop it if it names rows (skdnn train --drop ref)." in err
    assert "(skdnn train --drop COLUMN leaves a column out of the features.)" in err
    out = tmp_path / "dropped"
    code, _, err = _run([*argv, "--drop", "ref", "--out", str(out)], capsys)
    assert code == 0, err
    assert "identifier" not in err
    model = skdnn.load(out / "model.skdnn")
    assert "ref" not in model.feature_names_in_
    assert list(model.feature_names_in_) == [
        c for c in frame if c not in ("ref", "price")
    ]
    # the rows to predict may still hold it
    code, _, err = _run(["predict", str(out / "model.skdnn"), str(data)], capsys)
    assert code == 0, err
    # a column the file does not have, or the target, is named
    for name, fragment in (
        ("Ref", "(did you mean 'ref'?)"),
        ("price", "'price' is the target (--target), not a feature"),
    ):
        code, _, err = _run(
            [*argv, "--drop", name, "--out", str(tmp_path / name)], capsys
        )
        assert code == 2
        _assert_one_error_line(err, f"--drop {name}: ", fragment)


@pytest.mark.parametrize("folds", ["1", "-2"])
def test_diagnosis_folds_must_be_zero_or_two_and_more(folds, capsys):
    code, _, err = _run(["demo", "--diagnosis-folds", folds], capsys)
    assert code == 2
    _assert_one_error_line(err, "--diagnosis-folds must be 0", f"got {folds}")


def test_report_names_labels_the_model_never_saw(credit_model, tmp_path, capsys):
    model = str(credit_model["out"] / "model.skdnn")
    frame = _credit(40, seed=1)
    frame.loc[:4, "Status"] = "ugly"
    frame.to_csv(tmp_path / "ugly.csv", index=False)
    code, _, err = _run(
        ["report", model, str(tmp_path / "ugly.csv"), "--target", "Status"], capsys
    )
    assert code == 2
    _assert_one_error_line(err, "not trained on: ['ugly']", "'bad', 'good'")
    # the rows of one class only: a set to score, not to train on
    frame = _credit(60, seed=2)
    frame[frame["Status"] == "good"].to_csv(tmp_path / "good.csv", index=False)
    argv = ["report", model, str(tmp_path / "good.csv"), "--target", "Status"]
    code, stdout, err = _run([*argv, "--pos-label", "good"], capsys)
    assert code == 0, err
    assert "good.csv" in stdout


def test_a_set_too_small_to_judge_by_is_said_so():
    # skdnn train on 30 rows scored test and pure sets of 6 rows each at
    # accuracy 1.000, and advised judging the model on them
    from skdnn._cli_outputs import thin_set_notes

    report = pd.DataFrame(
        {"accuracy": [1.0, 1.0, 0.75, 0.9], "support": [100, 6, 8, 50]},
        index=["train", "test", "pure", "new"],
    )
    test, pure = thin_set_notes(report)
    assert test == (
        "note: the test set has only 6 rows: 0 wrong of 6 is consistent with an "
        "error rate up to 39% (one-sided 95 %); too few rows to judge the model by."
    )
    assert "2 wrong of 8 is consistent with an error rate up to 60%" in pure
    # a regressor's: its rows only; 30 rows or more, and train: no note
    regression = pd.DataFrame({"r2": [0.9, 0.5], "support": [60, 1]})
    assert thin_set_notes(regression.set_axis(["train", "test"])) == [
        "note: the test set has only 1 row; too few rows to judge the model by."
    ]
    assert thin_set_notes(report.assign(support=30)) == []


def test_majority_note_prints_numeric_classes_plainly():
    from sklearn.linear_model import LogisticRegression

    from skdnn._cli_outputs import _report_notes

    X = np.arange(20.0)[:, None]
    y = (X[:, 0] > 14).astype(int)  # 1 is the minority
    model = LogisticRegression().fit(X, y)
    (_, note) = _report_notes(model, 0, y)
    assert "the positive class 0 is the majority" in note
    assert "the minority class 1 is scored in recall_1" in note
    assert "np." not in note


def test_a_warning_repeated_by_the_cross_validated_fits_is_printed_once(
    tmp_path, capsys
):
    # the diagnosis's folds fit the same table: their warnings are the main
    # fit's, word for word
    data = tmp_path / "houses.csv"
    frame = _houses(120, seed=0)
    frame["flat"] = 1.0
    frame.to_csv(data, index=False)
    argv = ["train", str(data), "--target", "price", "--out", str(tmp_path / "r")]
    code, stdout, err = _run([*argv, *FAST], capsys)
    assert code == 0, err
    assert "pooling the curves" in stdout  # the folds ran
    assert err.count("'flat' are constant at fit") == 1


@pytest.mark.parametrize(
    "target_text, fragment",
    [
        ("inf", "holds infinite values (in 1 row(s), the first on line 5)"),
        ("abc", "holds numbers and 1 other value(s) ('abc')"),
    ],
)
def test_a_broken_numeric_target_is_refused_before_training(
    tmp_path, capsys, target_text, fragment
):
    frame = _houses(120, seed=0)
    frame["price"] = frame["price"].astype(object)
    frame.loc[3, "price"] = target_text
    data = tmp_path / "houses.csv"
    frame.to_csv(data, index=False)
    code, stdout, err = _run(["train", str(data), "--target", "price", *FAST], capsys)
    assert code == 2
    _assert_one_error_line(err, fragment)
    assert "Training" not in stdout


@pytest.mark.parametrize(
    "text, expected",
    [
        # a header name with a comma: the lines' field counts tell ';' apart
        (
            "price, EUR;rooms;town\n100,5;3;north\n200,25;4;south\n",
            {"price, EUR": [100.5, 200.25], "rooms": [3, 4]},
        ),
        # ';' with thousands dots and decimal commas: 2.020 is two thousand
        (
            "area;price\n2.020;263.393,39\n411;1.200,5\n",
            {"area": [2020, 411], "price": [263393.39, 1200.5]},
        ),
        # ';' with decimal points and dd.mm.yyyy dates: no decimal comma, so
        # the dots stay decimal points (a thousands read made 0.5 read 5)
        (
            "date;price\n01.03.2020;0.5\n02.03.2020;1.5\n",
            {"date": ["01.03.2020", "02.03.2020"], "price": [0.5, 1.5]},
        ),
        # decimal commas in one column, decimal points in another
        (
            "lat;preis\n48.1372;10,50\n48.1373;11,50\n",
            {"lat": [48.1372, 48.1373], "preis": [10.5, 11.5]},
        ),
        # a plain comma file with quoted commas stays a comma file
        ('name,x\n"Smith, J",1\n"Doe, A",2\n', {"name": ["Smith, J", "Doe, A"]}),
        # Excel's "sep=;" first line names the separator and is no row (it
        # was read as the header: columns 'sep=' and 'Unnamed: 1'), with
        # decimal commas, dotted decimals or a tab
        (
            "sep=;\r\nStatus;Income\r\ngood;12,5\r\nbad;7,25\r\n",
            {"Status": ["good", "bad"], "Income": [12.5, 7.25]},
        ),
        (
            "sep=;\nStatus;rate\ngood;0.125\nbad;1.8\n",
            {"Status": ["good", "bad"], "rate": [0.125, 1.8]},
        ),
        ("sep=\t\nStatus\trate\ngood\t1\nbad\t2\n", {"rate": [1, 2]}),
        # a cell holding only spaces (a spreadsheet's emptied text cell) is
        # missing, and a column of numbers so freed is numbers
        (
            "y,charges\na,10.5\n ,  \nb,7\n",
            {"y": ["a", None, "b"], "charges": [10.5, None, 7.0]},
        ),
    ],
)
def test_csv_files_as_people_write_them(tmp_path, text, expected):
    from skdnn._cli_input import read_csv

    path = tmp_path / "file.csv"
    path.write_text(text)
    frame = read_csv(path)
    assert set(expected) <= set(frame.columns), list(frame.columns)
    for name, values in expected.items():
        assert frame[name].fillna(-1).tolist() == pd.Series(values).fillna(-1).tolist()


def test_dots_that_may_be_thousands_are_pointed_out(tmp_path, capsys):
    # a ;-file without decimal commas: 1.000 beside 800 may be a thousand,
    # 1.755 a height; the file cannot tell, so the reading stays pandas's
    # and a note says which numbers it could have meant otherwise
    from skdnn._cli_input import read_csv

    path = tmp_path / "file.csv"
    path.write_text("betrag;rate;height\n800;0.5;1.755\n1.000;0.125;1.8\n")
    frame = read_csv(path)
    assert frame["betrag"].tolist() == [800.0, 1.0]
    assert frame["height"].tolist() == [1.755, 1.8]
    err = capsys.readouterr().err
    assert "column 'betrag'" in err and "'1.000', read as 1.0" in err
    # 1.8 is no thousand: that column's dots are decimals for sure
    assert "column 'height'" not in err and "column 'rate'" not in err


def test_row_names_and_repeated_column_names_are_pointed_out(tmp_path, capsys):
    frame = _houses(60, seed=0)
    frame.insert(0, "who", [f"person {i}" for i in range(60)])
    data = tmp_path / "named.csv"
    frame.to_csv(data)  # with pandas's index, "Unnamed: 0"
    text = data.read_text().replace(",rooms,", ",area,", 1)  # a name twice
    data.write_text(text)
    argv = ["train", str(data), "--target", "price", "--diagnosis-folds", "0"]
    code, _, err = _run([*argv, "--out", str(tmp_path / "r"), *FAST], capsys)
    assert code == 0, err
    assert "column 'Unnamed: 0'" in err and "a row number in every row" in err
    assert "column 'who'" in err and "a distinct text value in every row" in err
    assert "names columns twice: 'area' (then 'area.1')" in err
    assert "column 'price'" not in err


def test_report_names_text_in_a_column_trained_on_numbers(tmp_path, capsys):
    data = tmp_path / "houses.csv"
    _houses(80, seed=0).to_csv(data, index=False)
    out = tmp_path / "run"
    argv = ["train", str(data), "--target", "price", "--out", str(out)]
    code, _, err = _run([*argv, *FAST, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    new = _houses(30, seed=1)
    new["area"] = new["area"].astype(object)
    new.loc[4, "area"] = "?"
    new.to_csv(tmp_path / "new.csv", index=False)
    argv = ["report", str(out / "model.skdnn"), str(tmp_path / "new.csv")]
    code, _, err = _run([*argv, "--target", "price"], capsys)
    assert code == 2  # bad input, not a failure of the model
    assert "Traceback" not in err and "categorical_features" not in err
    assert "column 'area'" in err and "holds text ('?')" in err.splitlines()[-1]


def test_the_numeric_column_check_leaves_a_pipelines_columns_to_it():
    # a pipeline's first steps move, drop or encode columns: the final
    # estimator's column positions are not the file's
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdnn import TaperedMLPClassifier
    from skdnn._cli_input import check_numeric_columns

    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 7})
    y = np.arange(40) % 2
    clf = TaperedMLPClassifier(hidden_layer_sizes=(4,), epochs=1).fit(X, y)
    pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    text = X.assign(a=X["a"].astype(object))
    text.loc[3, "a"] = "?"
    check_numeric_columns(pipe, text, "f.csv")  # no claim about its columns
    with pytest.raises(UsageError, match=r"column 'a' of f\.csv holds text"):
        check_numeric_columns(clf, text, "f.csv")


def test_numbers_read_as_text_are_pointed_out(tmp_path, capsys):
    frame = _houses(120, seed=0)
    frame["lot"] = [f"{v:,}" for v in np.arange(120) * 1000 + 1500]  # "1,500"
    frame["glucose"] = np.arange(120).astype(object)
    frame.loc[7, "glucose"] = "?"
    frame["type"] = np.where(np.arange(120) % 3, "Yes", "No")
    frame.loc[5, "type"] = "yes "
    data = tmp_path / "messy.csv"
    frame.to_csv(data, index=False)
    argv = ["train", str(data), "--target", "type", "--out", str(tmp_path / "r")]
    code, _, err = _run([*argv, *FAST, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    assert "column 'lot'" in err and "separators" in err and "'1,500'" in err
    assert "column 'glucose'" in err and "('?')" in err
    assert "differ only in case or spaces ('Yes' and 'yes ')" in err
    assert "like an index" not in err  # 'lot' is numbers, not an identifier
    # a numeric target written with a currency sign, or with a few '?',
    # is refused, not classified into hundreds of classes
    frame["price"] = [f"${v:,.0f}" for v in frame["price"]]
    frame.to_csv(data, index=False)
    code, _, err = _run(["train", str(data), "--target", "price", *FAST], capsys)
    assert code == 2
    _assert_one_error_line(err, "separators, % or a currency sign", "'$")
    # ... or with a unit (a 59k, 12 kg, 79.99 MPa target was classified
    # into hundreds of classes, or failed on train_test_split's message)
    frame["price"] = [f"{v / 1000:.0f}k" for v in np.arange(1000.0, 121000.0, 1000)]
    frame.to_csv(data, index=False)
    code, _, err = _run(["train", str(data), "--target", "price", *FAST], capsys)
    assert code == 2
    _assert_one_error_line(err, "holds numbers written with a unit ('1k', '2k', '3k')")
    # '?' marks an unknown target: those rows are left out, the rest regressed
    frame["price"] = np.arange(120.0).astype(object)
    frame.loc[[3, 4, 5], "price"] = "?"
    frame.to_csv(data, index=False)
    argv = ["train", str(data), "--target", "price", "--out", str(tmp_path / "q")]
    code, stdout, err = _run([*argv, *FAST, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    assert "3 rows of" in err and "left out" in err
    assert "Task: regression" in stdout
    # other stray text is still named
    frame.loc[[3, 4, 5], "price"] = "n.a."
    frame.to_csv(data, index=False)
    code, _, err = _run(["train", str(data), "--target", "price", *FAST], capsys)
    assert code == 2
    _assert_one_error_line(err, "holds numbers and 3 other value(s) ('n.a.')")


def test_a_semicolon_separated_file_is_read(tmp_path, capsys):
    data = tmp_path / "houses.csv"
    _houses(120, seed=0).to_csv(data, index=False, sep=";")
    out = tmp_path / "run"
    argv = ["train", str(data), "--target", "price", "--out", str(out), *FAST]
    code, stdout, err = _run(argv, capsys)
    assert code == 0, err
    assert "3 feature columns" in stdout


def test_report_takes_the_folder_train_wrote(trained, tmp_path, capsys):
    data = tmp_path / "new.csv"
    _customers(40, seed=6).to_csv(data, index=False)
    argv = ["report", str(trained["out"]), str(data), "--target", "decision"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert "model.skdnn on" in out


def test_report_says_an_array_model_reads_columns_by_position(tmp_path, capsys):
    frame = _houses(80, seed=0).dropna()
    X = frame[["area", "rooms"]].to_numpy()
    model = TaperedMLPRegressor(hidden_layer_sizes=(4,), epochs=2).fit(
        X, frame["price"]
    )
    skdnn.save(model, tmp_path / "m.skdnn")
    data = tmp_path / "new.csv"
    frame[["rooms", "area", "price"]].to_csv(data, index=False)  # swapped
    argv = ["report", str(tmp_path / "m.skdnn"), str(data), "--target", "price"]
    code, _, err = _run(argv, capsys)
    assert code == 0
    assert "trained without column names" in err and "read by position" in err
    assert "feature names" not in err  # no scikit-learn warning besides


def test_a_class_too_rare_for_three_sets_stays_in_training(tmp_path, capsys):
    # whole-number prices read as classes: a class of 2 rows landed in the
    # test set only, and the report failed after training on an unseen label
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "z": rng.normal(size=60)})
    frame["y"] = np.r_[np.repeat([10, 12, 14], 18), [16, 16, 24, 30, 36, 40]]
    data = tmp_path / "prices.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    argv = ["train", str(data), "--target", "y", "--out", str(out), *FAST]
    code, stdout, err = _run(argv, capsys)
    assert code == 0, err
    assert "Task: classification" in stdout
    model = skdnn.load(out / "model.skdnn")
    assert set(model.classes_) == {10, 12, 14, 16, 24, 30, 36, 40}


@pytest.mark.parametrize(
    "n_rows, test_size, pure_size, sizes",
    [
        (100, 0.3, 0.3, (40, 30, 30)),
        (30, 0.4, 0.4, (6, 12, 12)),
        (200, 0.1, 0.3, (120, 20, 60)),
        (30, 0.25, 0.25, (14, 8, 8)),  # 7.5 rounded up, as train_test_split
    ],
)
def test_the_three_sets_have_the_sizes_asked_for(n_rows, test_size, pure_size, sizes):
    # the test share was taken of the rows left after the pure set (0.3 /
    # 0.7 of 70 rows: 30.000000000000004, rounded up to 31), one training
    # row lost to the test set
    X = pd.DataFrame({"a": np.arange(n_rows)})
    sets = _three_sets(X, np.arange(n_rows) % 2, test_size, pure_size, 0)
    assert tuple(len(sets[name][1]) for name in ("train", "test", "pure")) == sizes
    # rows of classes too rare for three sets stay in training, and the
    # held-out sets keep their share of the whole table (the pure set was
    # a share of the other rows: 27 of 100)
    if n_rows >= 100:
        y = np.r_[np.arange(n_rows - 10) % 2, np.arange(2, 12)]
        sets = _three_sets(X, y, test_size, pure_size, 0)
        sizes_now = tuple(len(sets[k][1]) for k in ("train", "test", "pure"))
        assert sizes_now == sizes


def test_a_semicolon_file_with_decimal_commas_is_read_as_numbers(tmp_path, capsys):
    data = tmp_path / "houses.csv"
    _houses(120, seed=0).to_csv(data, index=False, sep=";", decimal=",")
    argv = ["train", str(data), "--target", "price", "--out", str(tmp_path / "r")]
    code, stdout, err = _run([*argv, *FAST], capsys)
    assert code == 0, err
    assert "Task: regression" in stdout
    # a '-' for a missing value is named as the stray it is (the note had
    # blamed thousands separators, listing '17,99' beside the '-')
    frame = _houses(120, seed=0).astype({"area": object})
    frame.loc[[2, 9], "area"] = "-"
    frame["area"] = [str(v).replace(".", ",") for v in frame["area"]]
    frame.to_csv(data, index=False, sep=";", decimal=",")
    code, stdout, err = _run([*argv, *FAST], capsys)
    assert code == 0, err
    assert "column 'area'" in err and "a few other values ('-')" in err
    assert "separators" not in err


def test_rows_ending_in_a_separator_and_compressed_files_read_as_written(
    tmp_path, capsys
):
    # rows ending in a comma their header lacks were read with their first
    # field as the index: every value one column to the left, and the model
    # predicted a shifted table without a word; a gzip ';'-file's separator
    # was sniffed from its compressed bytes
    frame = _houses(120, seed=0)
    lines = frame.to_csv(index=False).splitlines()
    trailing = tmp_path / "trailing.csv"
    trailing.write_text(lines[0] + "\n" + "\n".join(f"{row}," for row in lines[1:]))
    packed = tmp_path / "houses.csv.gz"
    frame.to_csv(packed, index=False, sep=";", decimal=",")
    for path in (trailing, packed):
        out = tmp_path / path.name.split(".")[0]
        argv = ["train", str(path), "--target", "price", "--out", str(out), *FAST]
        code, stdout, err = _run([*argv, "--diagnosis-folds", "0"], capsys)
        assert code == 0, err
        assert "Task: regression" in stdout
        assert "3 feature columns" in stdout, stdout
    model = skdnn.load(tmp_path / "trailing" / "model.skdnn")
    assert list(model.feature_names_in_) == [c for c in frame if c != "price"]


@pytest.mark.parametrize(
    "labels, blank, classes",
    [
        (["yes", "no"], "?", {"yes", "no"}),  # UCI's mark: a third class
        ([1, 0], "", {0, 1}),  # read as 0.0 and 1.0 beside a blank
        ([True, False], "", {True, False}),  # refused as objects
    ],
)
def test_a_target_with_unknown_values_keeps_its_labels(
    labels, blank, classes, tmp_path, capsys
):
    frame = _houses(120, seed=0).drop(columns="price")
    frame["label"] = [labels[i % 2] for i in range(120)]
    frame = frame.astype({"label": object})
    frame.loc[[3, 50], "label"] = blank
    frame.insert(0, "", range(120))  # a saved index, noted though rows go
    data = tmp_path / "labels.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    argv = ["train", str(data), "--target", "label", "--out", str(out), *FAST]
    pos = ["--pos-label", str(labels[0])]
    code, stdout, err = _run([*argv, *pos, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    assert "2 rows of" in err and "are left out" in err
    assert "holds a row number in every row" in err
    assert "holds 2 classes" in stdout
    assert set(skdnn.load(out / "model.skdnn").classes_) == classes


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_file_saved_in_a_windows_encoding_is_read_with_a_note(
    tmp_path, capsys, encoding
):
    from skdnn._cli_input import read_csv

    frame = _customers(40, seed=0)
    frame["city"] = np.where(frame.index % 2, "Orléans", "Besançon")
    if encoding == "latin-1":  # a byte Windows-1252 leaves undefined
        frame.loc[0, "city"] = "Ville\x81"
    path = tmp_path / "c.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";").encode(encoding))
    read = read_csv(path)
    pd.testing.assert_series_equal(read["city"], frame["city"], check_dtype=False)
    err = capsys.readouterr().err
    name = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}[encoding]
    assert "is not UTF-8" in err and f"read as {name}" in err
    # UTF-8 (with or without its mark) reads as it is, without a note
    path.write_bytes(frame.to_csv(index=False, sep=";").encode("utf-8-sig"))
    assert list(read_csv(path).columns) == list(frame.columns)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("step", "settings"),
    [
        (
            "train longer: epochs=60 with early_stopping=True, which stops once "
            "the validation loss stops falling",
            "--set epochs=60 --set early_stopping=True",
        ),
        (
            "keep the weights of epoch 12: early_stopping=True, or epochs=12",
            "--set early_stopping=True, or --set epochs=12",
        ),
        (
            "widen the first layer: hidden_layer_sizes=(128, 32) (now (64, 32))",
            "--set 'hidden_layer_sizes=(128, 32)'",
        ),
        ("or converge faster: learning_rate=0.003", "--set learning_rate=0.003"),
        ("lower the learning rate: learning_rate=1e-4.", "--set learning_rate=1e-4"),
        ("raise dropout, e.g. dropout=0.5 (rates of 0.2 to 0.5 are usual)",
         "--set dropout=0.5"),
        # no parameter of the model set: nothing to add
        ("keep this design and judge it on held-out data with "
         "evaluation_report, recall first", None),
        ("compare designs by cross_val_score with cv=10", None),
        ("the search tried from this design: more_epochs (epochs: 30 -> 60)", None),
    ],
)  # fmt: skip
def test_advice_gets_its_command_line_settings(step, settings):
    import shlex

    from skdnn._cli_outputs import command_line_settings

    parameters = TaperedMLPClassifier().get_params(deep=False)
    assert command_line_settings(step, parameters) == settings
    # each alternative, pasted after the command, parses to the values the
    # line names (numbers, booleans and tuples, not text)
    for choice in settings.split(", or ") if settings else ():
        words = shlex.split(choice)
        assert words[::2] == ["--set"] * (len(words) // 2)
        parsed = _parse_settings(words[1::2])
        assert not any(isinstance(value, str) for value in parsed.values())


def test_the_printed_advice_ends_with_its_settings():
    from skdnn._cli_outputs import advice_lines
    from skdnn._history import Diagnosis

    diagnosis = Diagnosis(
        "still_improving",
        "still improving",
        ("train longer: epochs=60 with early_stopping=True", "or wait"),
        n_epochs=30,
    )
    assert advice_lines(diagnosis, TaperedMLPClassifier()) == [
        "train longer: epochs=60 with early_stopping=True "
        "(--set epochs=60 --set early_stopping=True)",
        "or wait",
    ]
    # advice written for Python is told as the command line does it
    python = Diagnosis(
        "good_fit",
        "good fit",
        (
            "keep this design and judge it on held-out data with "
            "evaluation_report, recall first",
            "then call diagnose again on the new fit",
        ),
        n_epochs=30,
    )
    told = advice_lines(python, TaperedMLPClassifier())
    assert "evaluation_report" not in told[0] and "skdnn report" in told[0]
    assert told[1] == "then train again: the new run is diagnosed as this one was"


def test_report_tables_show_errors_in_small_units():
    # three decimals showed a target in units of 1e-5 as mae 0.000
    from skdnn._cli_outputs import _format_report, _markdown_table

    report = pd.DataFrame(
        {"r2": [0.5981], "mae": [0.000404], "rmse": [123456.7], "support": [264]},
        index=pd.Index(["train"], name="set"),
    )
    text = _format_report(report)
    for shown in ("0.598", "0.000404", "1.235e+05", "264"):
        assert shown in text
    table = _markdown_table(report)
    assert "| train | 0.598 | 0.000404 | 1.235e+05 | 264 |" in table


def test_rows_repeated_in_the_file_are_pointed_out(tmp_path, capsys):
    # copies of a row split across the sets made the test and pure scores
    # optimistic (0.985 and 0.978 against 0.958 on new rows), unsaid
    data = tmp_path / "houses.csv"
    frame = _houses(60, seed=0)
    pd.concat([frame, frame.head(30)]).to_csv(data, index=False)
    argv = ["train", str(data), "--target", "price", "--out", str(tmp_path / "r")]
    code, _, err = _run([*argv, *FAST, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    assert "30 of the 90 rows of" in err and "repeat another row exactly" in err
    frame.to_csv(data, index=False)
    code, _, err = _run([*argv, *FAST, "--diagnosis-folds", "0"], capsys)
    assert code == 0, err
    assert "repeat another row" not in err


def test_numbers_grouped_by_spaces_or_apostrophes_are_pointed_out(capsys):
    # French and Swiss exports group thousands with (no-break) spaces or
    # apostrophes, and accounts write negatives in brackets: read as text
    # without a word; a phone number's pairs of digits are no such number
    from skdnn._cli_input import note_numbers_read_as_text

    rng = np.random.RandomState(0)
    amounts = rng.randint(1000, 999999, 60)
    X = pd.DataFrame(
        {
            "space": [f"{v:,}".replace(",", "\u00a0") for v in amounts],
            "swiss": [f"{v:,}".replace(",", "'") for v in amounts],
            "owed": [f"({v:,})" for v in amounts],
            "phone": [f"06 {v % 100:02d} 83 80 {v % 97:02d}" for v in amounts],
        }
    )
    note_numbers_read_as_text(X, "f.csv")
    err = capsys.readouterr().err
    for name in ("space", "swiss", "owed"):
        assert f"column {name!r} of f.csv holds numbers written with separators" in err
    assert "column 'phone' of f.csv holds numbers" not in err


def test_the_identifier_notes_drop_command_quotes_the_column(capsys):
    # 'skdnn train --drop customer id', copied, failed: "unrecognized
    # arguments: id"
    import pandas as pd

    from skdnn._cli_input import _note_row_names

    column = pd.Series([f"C{i}" for i in range(30)])
    _note_row_names(column, "customer id", "f.csv")
    assert "(skdnn train --drop 'customer id')." in capsys.readouterr().err
    _note_row_names(column, "ref", "f.csv")
    assert "(skdnn train --drop ref)." in capsys.readouterr().err


def test_report_names_a_chosen_majority_positive_class_without_overruling_it(
    credit_model, capsys
):
    argv = ["report", str(credit_model["out"] / "model.skdnn")]
    argv += [str(credit_model["data"]), "--target", "Status"]
    code, default, err = _run(argv, capsys)
    assert code == 0, err
    # the note says it once: evaluation_report's own warning is not repeated
    assert len(_majority_notes(default)) == 1
    assert "majority" not in err
    code, chosen, err = _run([*argv, "--pos-label", "good"], capsys)
    assert code == 0, err
    (note,) = _majority_notes(chosen)
    assert "recall_bad" in note and "--pos-label" not in note
    assert "majority" not in err


def test_a_date_column_warning_names_the_drop_option(capsys):
    # its advice was Python's (pd.to_datetime), with no way out on the
    # command line
    from skdnn._cli import _show_warning, _shown_warnings

    _shown_warnings.clear()
    text = (
        "Column(s) 'opened' hold dates or times written as text, read as "
        "categories by their dtype. Convert them with pd.to_datetime."
    )
    _show_warning(text, UserWarning, "f.py", 1)
    err = capsys.readouterr().err
    assert err.startswith("skdnn: warning: Column(s) 'opened' hold dates")
    assert err.rstrip().endswith(
        "(skdnn train --drop COLUMN leaves a column out of the features.)"
    )
    _shown_warnings.clear()
