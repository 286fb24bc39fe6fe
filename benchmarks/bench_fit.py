"""Fit time of TaperedMLPClassifier beside its peers, as ratios to MLPClassifier.

The configuration of issue 6: 20,000 x 40 binary rows; skdnn holds out 20 %
itself (``validation_split=0.2``) and records the validation loss after
every epoch; ``MLPClassifier`` and the Keras peers fit the same 16,000
training rows (the Keras peers with the 4,000 validation rows as
``validation_data``); scikeras and skorch hold out 20 % themselves. Widths
512-128-32-18, batch 64, 15 epochs, Adam at 1e-3.

Each Keras backend runs in its own child process, with its own
``MLPClassifier`` baseline measured in that process::

    python benchmarks/bench_fit.py            # TensorFlow, then JAX
    python benchmarks/bench_fit.py --quick    # one repetition
    python benchmarks/bench_fit.py --gpu      # also TensorFlow with the GPU hidden
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c

KERAS_FIT = "Keras model.fit"
KERAS_FIT_SPE = "Keras model.fit, steps_per_execution=32"
GOALS = {c.SKDNN: "<= 1.0x (aim 0.5x)"}
GOALS32 = {c.SKDNN: "<= 0.6x (aim 0.3x)"}


def fit_cases(data, epochs: int, extra_peers: bool) -> dict:
    """name -> a function fitting that peer on ``data`` for ``epochs``."""
    X, y = data["X"], data["y"]
    X_train, X_val, y_train, y_val = data["split"]

    def keras_fit(**compile_kwargs):
        model = c.compiled_keras_mlp(X.shape[1], **compile_kwargs)
        return model.fit(
            X_train,
            y_train,
            validation_data=(X_val, y_val),
            batch_size=c.BATCH_SIZE,
            epochs=epochs,
            verbose=0,
        )

    cases = {
        c.BASELINE: lambda: c.fit_mlp(X_train, y_train, epochs),
        c.SKDNN: lambda: c.skdnn_classifier(epochs).fit(X, y),
        KERAS_FIT: keras_fit,
        KERAS_FIT_SPE: lambda: keras_fit(steps_per_execution=32),
    }
    if extra_peers:
        cases[c.SCIKERAS] = (
            (lambda: scikeras_classifier(epochs).fit(X, y))
            if c.installed("scikeras")
            else c.SKIPPED
        )
        cases[c.SKORCH] = (
            (lambda: skorch_classifier(epochs).fit(X.astype("float32"), y))
            if c.installed("skorch") and c.installed("torch")
            else c.SKIPPED
        )
    return cases


def scikeras_classifier(epochs: int):
    from scikeras.wrappers import KerasClassifier

    return KerasClassifier(
        model=c.keras_mlp,
        loss="binary_crossentropy",
        optimizer="adam",
        optimizer__learning_rate=1e-3,
        batch_size=c.BATCH_SIZE,
        epochs=epochs,
        validation_split=c.VALIDATION_SPLIT,
        verbose=0,
        random_state=c.SEED,
    )


def skorch_classifier(epochs: int):
    import torch
    from skorch import NeuralNetClassifier
    from skorch.dataset import ValidSplit

    torch.manual_seed(c.SEED)
    return NeuralNetClassifier(
        c.torch_mlp(),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=c.BATCH_SIZE,
        max_epochs=epochs,
        train_split=ValidSplit(round(1 / c.VALIDATION_SPLIT), stratified=True),
        iterator_train__shuffle=True,
        verbose=0,
    )


def child(backend: str, repeat: int, extra_peers: bool) -> None:
    if extra_peers:
        c.import_torch_first()
    X, y = c.make_data()
    data = {"X": X, "y": y, "split": c.split(X, y)}
    # Imports, thread pools and first-call set-up (tracing, compiling for
    # the data's shapes) are not what is measured here (bench_import.py
    # times the imports): one untimed epoch of each peer on the same data.
    for fit in fit_cases(data, 1, extra_peers).values():
        if callable(fit):
            fit()
    cases = fit_cases(data, c.EPOCHS, extra_peers)
    # float32 rows on both sides: MLPClassifier then computes in float32 too
    X32 = X.astype("float32")
    data32 = {"X": X32, "y": y, "split": c.split(X32, y)}
    cases32 = {
        name: fit
        for name, fit in fit_cases(data32, c.EPOCHS, False).items()
        if name in (c.BASELINE, c.SKDNN)
    }
    timed = {name: fit for name, fit in cases.items() if callable(fit)}
    timed.update({f"{name} [float32]": fit for name, fit in cases32.items()})
    times = c.interleaved_times(timed, repeat)
    c.report(
        {
            "backend": backend,
            "device": c.keras_device(),
            "times": {name: times.get(name, fit) for name, fit in cases.items()},
            "times_float32": {name: times[f"{name} [float32]"] for name in cases32},
        }
    )


def main() -> None:
    args = c.parse_args(
        __doc__.splitlines()[0],
        extra=lambda parser: parser.add_argument(
            "--gpu",
            action="store_true",
            help="also fit on TensorFlow with the GPU hidden, for a GPU vs CPU row",
        ),
    )
    repeat = c.repetitions(args, default=3, quick=1)
    if args.child:
        backend, _, peers = args.child.partition(":")
        child(backend, repeat, extra_peers=peers == "all")
        return

    print(f"fit benchmark -- {c.environment()}; {c.load_average()}")
    if args.threads:
        print(f"every library capped at {args.threads} thread(s)")
    print(
        f"{c.N_SAMPLES} x {c.N_FEATURES} rows, hidden {c.HIDDEN_LAYER_SIZES}, "
        f"dropout {c.DROPOUT}, batch {c.BATCH_SIZE}, {c.EPOCHS} epochs, "
        f"validation split {c.VALIDATION_SPLIT}; {repeat} repetition(s), interleaved"
    )
    backends = ["tensorflow", "tensorflow-cpu", "jax"] if args.gpu else None
    backends = backends or ["tensorflow", "jax"]
    medians = {}
    for i, backend in enumerate(backends):
        title = f"fit, Keras backend {backend}"
        if not c.backend_available(backend.removesuffix("-cpu")):
            print(f"\n{title}: {c.SKIPPED}")
            continue
        peers = "all" if i == 0 else "core"
        result = c.run_child(
            __file__,
            f"{backend}:{peers}",
            ["--repeat", str(repeat)],
            env=c.backend_env(backend, args.threads),
        )
        if "error" in result:
            print(f"\n{title}: failed ({result['error']})")
            continue
        c.print_table(
            f"{title}, float64 X (on {result['device']}; {c.load_average()} "
            "at the end)",
            result["times"],
            goals=GOALS,
        )
        c.print_table(
            f"{title}, float32 X on both sides", result["times_float32"], goals=GOALS32
        )
        if isinstance(result["times"][c.SKDNN], list):
            medians[backend] = c.median(result["times"][c.SKDNN])
    if "tensorflow" in medians and "tensorflow-cpu" in medians:
        print(
            "\nskdnn fit on the default device vs with the GPU hidden: "
            f"{medians['tensorflow'] / medians['tensorflow-cpu']:.2f}x "
            f"({c.format_seconds(medians['tensorflow'])} vs "
            f"{c.format_seconds(medians['tensorflow-cpu'])})"
        )


if __name__ == "__main__":
    main()
