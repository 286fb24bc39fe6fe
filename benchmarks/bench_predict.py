"""Prediction time of TaperedMLPClassifier beside its peers, as ratios to MLPClassifier.

``predict_proba`` on one row (a numpy row, input validation included: the
median of thousands of calls) and on 20,000 rows, for the network of issue 6
(512-128-32-18), given float64 and float32 rows, and given a DataFrame
with two text columns added (3 and 40 levels): skdnn on the raw frame beside
``MLPClassifier`` behind the ``ColumnTransformer`` it needs. In the float32 tables
``MLPClassifier`` is fitted on float32 rows, so it computes in float32, as
skdnn does for float32 input. The Keras peers run the skdnn model's
own Keras network (``model_``): ``model.predict``, ``model.predict_on_batch``
and a compiled call cached once (``tf.function`` or ``jax.jit``), each given
the same numpy rows encoded by the estimator's ``preprocessor_`` (the
encoding is timed with them) and returning numpy. The script also checks that
skdnn's numpy forward pass equals the Keras model's output.

Each Keras backend runs in its own child process::

    python benchmarks/bench_predict.py            # TensorFlow, then JAX
    python benchmarks/bench_predict.py --quick    # fewer calls
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c
import numpy as np

KERAS_PREDICT = "Keras model.predict"
KERAS_ON_BATCH = "Keras model.predict_on_batch"
KERAS_COMPILED = "Keras cached compiled call"
ONE_ROW_GOALS = {c.SKDNN: "<= 0.1 ms"}
MANY_ROWS_GOALS = {c.SKDNN: "<= 0.8x"}
# rows the optional peers are trained on: their prediction time does not
# depend on how well they are trained
_FEW_ROWS = 2_000


def fitted_peers(data, extra_peers: bool) -> dict:
    """name -> a function ``X (float64 ndarray) -> probabilities``."""
    import keras

    X, y = data["X"], data["y"]
    X_train, _, y_train, _ = data["split"]
    mlp = c.fit_mlp(X_train, y_train, epochs=1)
    clf = c.skdnn_classifier(epochs=1).fit(X, y)
    model = clf.model_
    # the network reads the rows as the estimator's preprocessor encodes
    # them: the Keras peers are timed with that encoding included
    encode = clf.preprocessor_.transform
    compiled = compiled_call(model)
    peers = {
        c.BASELINE: mlp.predict_proba,
        c.SKDNN: clf.predict_proba,
        KERAS_PREDICT: lambda X: model.predict(encode(X), verbose=0),
        KERAS_ON_BATCH: lambda X: keras.ops.convert_to_numpy(
            model.predict_on_batch(encode(X))
        ),
        KERAS_COMPILED: (
            (lambda X: compiled(encode(X))) if callable(compiled) else compiled
        ),
    }
    if extra_peers:
        peers[c.SCIKERAS] = c.SKIPPED
        if c.installed("scikeras"):
            from bench_fit import scikeras_classifier

            net = scikeras_classifier(epochs=1)
            net.fit(X_train[:_FEW_ROWS], y_train[:_FEW_ROWS])
            peers[c.SCIKERAS] = net.predict_proba
        peers[c.SKORCH] = c.SKIPPED
        if c.installed("skorch") and c.installed("torch"):
            from bench_fit import skorch_classifier

            net = skorch_classifier(epochs=1)
            net.fit(X_train[:_FEW_ROWS].astype(np.float32), y_train[:_FEW_ROWS])
            peers[c.SKORCH] = lambda X: net.predict_proba(X.astype(np.float32))
    return peers


def compiled_call(model):
    """The model's inference as one compiled function, traced once and reused."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec([None, model.inputs[0].shape[-1]], tf.float32)
        call = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        return lambda X: call(X.astype(np.float32)).numpy()
    if keras.backend.backend() == "jax":
        import jax

        # copies: Keras's own predict loop may free the variables' buffers
        trainable = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
        non_trainable = [
            keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables
        ]
        call = jax.jit(lambda x: model.stateless_call(trainable, non_trainable, x)[0])
        return lambda X: np.asarray(call(X.astype(np.float32)))
    return c.SKIPPED


def float32_peers(data, peers) -> dict:
    """The float32 comparison: ``MLPClassifier`` fitted on float32 rows (so
    it computes in float32), skdnn and the compiled Keras call."""
    X_train, _, y_train, _ = data["split"]
    mlp = c.fit_mlp(X_train.astype(np.float32), y_train, epochs=1)
    return {
        c.BASELINE: mlp.predict_proba,
        c.SKDNN: peers[c.SKDNN],
        KERAS_COMPILED: peers[KERAS_COMPILED],
    }


def mixed_frame(X: np.ndarray):
    """The benchmark rows as a DataFrame with two text columns added, of 3
    and 40 levels (one-hot encoded and embedded by skdnn)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["channel"] = rng.choice(["a", "b", "c"], X.shape[0])
    frame["city"] = rng.choice([f"city_{i:02d}" for i in range(40)], X.shape[0])
    return frame


def frame_peers(data) -> dict:
    """The frame comparison: skdnn on the raw frame, ``MLPClassifier``
    behind the ColumnTransformer a user would otherwise build."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame, y = data["frame"], data["y"]
    numeric = [name for name in frame.columns if name.startswith("x")]
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["channel", "city"]),
        ]
    )
    mlp = make_pipeline(encode, c.mlp_classifier(epochs=1))
    mlp.fit(frame.iloc[:_FEW_ROWS], y[:_FEW_ROWS])
    clf = c.skdnn_classifier(epochs=1).fit(frame, y)
    return {
        f"{c.BASELINE} + ColumnTransformer": mlp.predict_proba,
        c.SKDNN: clf.predict_proba,
    }


def max_difference(peers, X) -> float:
    """Largest gap between skdnn's probabilities and the Keras model's.

    ``model_`` is the network as trained; with the default
    ``class_weight="balanced_logits"`` skdnn divides its odds by the class
    prior's, which is done here to the Keras model's output too.
    """
    from skdnn._forward import shift_probabilities

    shift = peers[c.SKDNN].__self__._output_shift()
    skdnn_p = peers[c.SKDNN](X)[:, 1]
    keras_p = np.asarray(peers[KERAS_ON_BATCH](X), dtype=np.float64)
    if shift is not None:
        keras_p = shift_probabilities(keras_p, shift, softmax=False)
    return float(np.max(np.abs(skdnn_p - keras_p[:, 0])))


def child(backend: str, rounds: int, seconds: float, extra_peers: bool) -> None:
    if extra_peers:
        c.import_torch_first()
    X, y = c.make_data()
    data = {"X": X, "y": y, "split": c.split(X, y)}
    peers = fitted_peers(data, extra_peers)
    peers32 = float32_peers(data, peers)
    X32 = X.astype(np.float32)
    data["frame"] = frame = mixed_frame(X)
    frames = frame_peers(data)
    result = {"backend": backend, "device": c.keras_device(), "tables": {}}
    for label, rows, most, table in (
        ("one row, float64", X[:1].copy(), 2_000, peers),
        ("20k rows, float64", X, 50, peers),
        ("one row, float32", X32[:1].copy(), 2_000, peers32),
        ("20k rows, float32", X32, 50, peers32),
        ("one row, frame with categoricals", frame.iloc[:1].copy(), 500, frames),
        ("20k rows, frame with categoricals", frame, 20, frames),
    ):
        cases = {
            name: (lambda predict=predict, rows=rows: predict(rows))
            for name, predict in table.items()
            if callable(predict)
        }
        calls = {
            name: c.calls_per_round(fn, seconds, most) for name, fn in cases.items()
        }
        times = c.interleaved_times(cases, rounds, calls)
        result["tables"][label] = {
            name: times.get(name, predict) for name, predict in table.items()
        }
    result["max_abs_difference"] = max_difference(peers, X)
    result["max_abs_difference_float32"] = max_difference(peers, X32)
    c.report(result)


def main() -> None:
    args = c.parse_args(__doc__.splitlines()[0])
    rounds = c.repetitions(args, default=5, quick=2)
    seconds = 0.2 if args.quick else 0.4
    if args.child:
        backend, _, peers = args.child.partition(":")
        child(backend, rounds, seconds, extra_peers=peers == "all")
        return

    print(f"predict benchmark -- {c.environment()}; {c.load_average()}")
    print(
        f"network {c.N_FEATURES}-{'-'.join(map(str, c.HIDDEN_LAYER_SIZES))}-1; "
        f"{rounds} interleaved rounds of about {seconds} s per peer"
    )
    if args.threads:
        print(f"every library capped at {args.threads} thread(s)")
    for i, backend in enumerate(["tensorflow", "jax"]):
        if not c.backend_available(backend):
            print(f"\npredict, Keras backend {backend}: {c.SKIPPED}")
            continue
        result = c.run_child(
            __file__,
            f"{backend}:{'all' if i == 0 else 'core'}",
            ["--repeat", str(rounds)] + (["--quick"] if args.quick else []),
            env=c.backend_env(backend, args.threads),
        )
        if "error" in result:
            print(f"\npredict, Keras backend {backend}: failed ({result['error']})")
            continue
        for label, times in result["tables"].items():
            goals = ONE_ROW_GOALS if label.startswith("one row") else MANY_ROWS_GOALS
            baseline = next(iter(times))
            if "frame" in label:
                goals = {}  # measured and reported, no goal set
            c.print_table(
                f"predict_proba, {label}, Keras backend {backend} "
                f"(on {result['device']}; {c.load_average()} at the end)",
                times,
                baseline=baseline,
                goals=goals,
                column="median per call",
            )
        print(
            "skdnn's numpy forward pass vs the Keras model, largest probability "
            f"difference on 20k rows: {result['max_abs_difference']:.2e} "
            f"(float64 input), {result['max_abs_difference_float32']:.2e} "
            "(float32 input)"
        )


if __name__ == "__main__":
    main()
