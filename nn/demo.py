"""The project in one minute: `python -m nn.demo [--out DIR]` (what `make demo` runs).

1. trains a small MLP on iris, with a progress bar, and reports its test accuracy;
2. checks autograd's gradients against one teaching document's hand-written backprop,
   the Rust series', layer by layer (`nn.reference`; `python -m nn.reference` prints
   the tables of all four documents);
3. writes the computation graph of one training loss (clustered by module) and the
   loss curve to files, and prints their paths.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path

import numpy as np

import autodiff
import nn
from nn import data


def train_iris(seed: int = 0, epochs: int = 40):
    """A 4-16-3 MLP on standardized iris (stratified 75/25 split)."""
    X, y = data.load_iris()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=seed)
    scaler = data.Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = nn.MLP([4, 16, 3], activation="relu", seed=seed)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, X_train, y_train,
                     epochs=epochs, batch_size=16, seed=seed, X_val=X_test, y_val=y_test)
    with autodiff.no_grad():
        test_accuracy = data.accuracy(model(autodiff.Tensor(X_test)).data, y_test)
    return model, history, test_accuracy, (X_train, y_train)


def draw_loss_graph(model, X, y, out: Path) -> list[Path]:
    """Draw the graph of the loss on a few samples; returns the files written."""
    loss = nn.CrossEntropyLoss()(model(autodiff.Tensor(X[:8])), y[:8])
    loss.label = "loss"
    loss.backward()
    drawing = autodiff.draw_graph(loss, rankdir="LR")
    written = [out / "graph.dot"]
    written[0].write_text(drawing.source)
    if shutil.which("dot"):
        for fmt in ("svg", "png"):
            path = out / f"graph.{fmt}"
            path.write_bytes(drawing.pipe(format=fmt))
            written.append(path)
    else:
        print("  (graphviz's `dot` program is missing, so only the DOT source was written; "
              "install it with `sudo apt-get install graphviz`)")
    return written


def plot_history(history: dict, out: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib is not installed: no loss curve; `pip install matplotlib`)")
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(history["loss"], label="train")
    if "val_loss" in history:
        left.plot(history["val_loss"], label="test")
    left.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    left.legend()
    for key, name in (("accuracy", "train"), ("val_accuracy", "test")):
        if key in history:
            right.plot(history[key], label=name)
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    right.legend()
    fig.tight_layout()
    path = out / "loss_curve.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


MIN_TEST_ACCURACY = 0.9


def summary(test_accuracy: float, comparisons) -> tuple[bool, str]:
    """(whether everything passed, the closing lines naming what failed, if anything)."""
    gradients_ok = all(c.ok for c in comparisons)
    accuracy_ok = test_accuracy >= MIN_TEST_ACCURACY
    lines = ["All gradients agree." if gradients_ok
             else "GRADIENTS DISAGREE with the Rust series' backprop: see the table in 2."]
    if accuracy_ok:
        lines.append(f"Test accuracy {test_accuracy:.1%} is at least "
                     f"{MIN_TEST_ACCURACY:.0%}.")
    else:  # (rounded down: 0.8996 is not "90.0%")
        lines.append(f"Test accuracy {math.floor(test_accuracy * 1000) / 10:.1f}% IS BELOW "
                     f"{MIN_TEST_ACCURACY:.0%}: see 1.")
    return gradients_ok and accuracy_ok, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_output", help="folder for the files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.set_printoptions(precision=4, suppress=True)

    print("1. Training an MLP (4-16-3, ReLU) on iris")
    model, history, test_accuracy, (X_train, y_train) = train_iris(args.seed)
    print(f"   {model}".replace("\n", "\n   "))
    print(f"   final training loss {history['loss'][-1]:.4f}, "
          f"test accuracy {test_accuracy:.1%}")

    print("\n2. Autograd against the Rust series' hand-written backprop (nn.reference)")
    comparisons = nn.reference.demo("rust_series", seed=args.seed)

    print("\n3. Files")
    for path in draw_loss_graph(model, X_train, y_train, out):
        print(f"   computation graph: {path}")
    curve = plot_history(history, out)
    if curve is not None:
        print(f"   loss curve:        {curve}")

    ok, closing = summary(test_accuracy, comparisons)
    print("\n" + closing)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
