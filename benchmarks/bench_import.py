"""Import and first-fit time of skdnn in a fresh interpreter, as ratios to scikit-learn.

Each case is a new ``python -c ...`` process, timed from start to exit, the
cases interleaved. ``import skdnn`` imports neither TensorFlow nor Keras; a
process's first fit does (its cost is the Keras backend's import and the
first trace), beside ``MLPClassifier``'s first fit on the same 1,000 rows::

    python benchmarks/bench_import.py
    python benchmarks/bench_import.py --quick
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c

IMPORT_BASELINE = "import sklearn.neural_network"
FIT_BASELINE = "first fit, sklearn MLPClassifier"
_SETUP = (
    "import sys; sys.path.insert(0, {here!r}); import _common as c; "
    "X, y = c.make_data(n_samples=1000); "
)
IMPORTS = {
    "python -c pass": ("pass", {}),
    IMPORT_BASELINE: ("import sklearn.neural_network", {}),
    "import skdnn": ("import skdnn", {}),
    "from skdnn import TaperedMLPClassifier": (
        "from skdnn import TaperedMLPClassifier",
        {},
    ),
    "import keras (TensorFlow backend)": (
        "import keras",
        {"KERAS_BACKEND": "tensorflow"},
    ),
}
FIRST_FITS = {
    FIT_BASELINE: (_SETUP + "c.fit_mlp(X, y, epochs=1)", {}),
    "first fit, skdnn (TensorFlow backend)": (
        _SETUP + "c.skdnn_classifier(epochs=1).fit(X, y)",
        {"KERAS_BACKEND": "tensorflow"},
    ),
    "first fit, skdnn (JAX backend)": (
        _SETUP + "c.skdnn_classifier(epochs=1).fit(X, y)",
        {"KERAS_BACKEND": "jax"},
    ),
}
GOALS = {"import skdnn": "no TensorFlow import"}


def process_seconds(code: str, env: dict[str, str]) -> float:
    """Wall-clock seconds of ``python -c code``, start to exit."""
    command = [sys.executable, "-c", code.format(here=os.path.dirname(__file__))]
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    start = time.perf_counter()
    subprocess.run(command, env=full_env, check=True, capture_output=True)
    return time.perf_counter() - start


def imports_tensorflow(statement: str) -> bool:
    code = f"{statement}; import sys; print('tensorflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return out.stdout.strip() == "True"


def main() -> None:
    args = c.parse_args(__doc__.splitlines()[0])
    repeat = c.repetitions(args, default=5, quick=2)
    print(f"import benchmark -- {c.environment()}; {c.load_average()}")
    print(f"{repeat} interleaved runs of each process")
    fits = dict(FIRST_FITS)
    if not c.installed("jax"):
        fits["first fit, skdnn (JAX backend)"] = c.SKIPPED
    for title, cases, baseline in (
        ("imports, fresh interpreter", IMPORTS, IMPORT_BASELINE),
        (
            "first fit in a fresh interpreter (1,000 x 40 rows, 1 epoch)",
            fits,
            FIT_BASELINE,
        ),
    ):
        runnable = {
            name: (lambda code=code, env=env: process_seconds(code, env))
            for name, case in cases.items()
            if not isinstance(case, str)
            for code, env in [case]
        }
        times = c.interleaved_times(runnable, repeat)
        results = {name: times.get(name, case) for name, case in cases.items()}
        c.print_table(
            f"{title} ({c.load_average()} at the end)",
            results,
            baseline=baseline,
            goals=GOALS,
        )
    loads = imports_tensorflow("import skdnn; skdnn.TaperedMLPClassifier")
    print(
        "\n`import skdnn; skdnn.TaperedMLPClassifier` imports TensorFlow: "
        f"{'yes' if loads else 'no'}"
    )


if __name__ == "__main__":
    main()
