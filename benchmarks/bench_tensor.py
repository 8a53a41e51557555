"""The tensor engine, `autodiff.Tensor`, against hand-written NumPy, HIPS autograd and
PyTorch: MLP training steps (section 4) and their peak memory (section 6).

Every engine trains the same MLP from the same initial weights on the same batch:
hidden layers `relu(h @ W.T + b)` with W of shape (out, in) as in nn.Linear, then
cross-entropy on log_softmax (the label entries picked by integer-array indexing, mean
over the batch), then plain SGD. The hand-written NumPy version, with its gradients
derived by hand and the same matrix products, is the reference (1.00).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import peers
from .harness import (
    Budget,
    Goal,
    Report,
    Table,
    compare,
    fmt_bytes,
    fmt_ratio,
    fmt_time,
    peak_bytes,
    verdict,
)

LEARNING_RATE = 0.01

REF = "NumPy by hand"
OURS = "ours (Tensor ops)"
OURS_NN = "ours (nn modules)"
HIPS = "HIPS autograd"
TORCH = "PyTorch"
ENGINES = [REF, OURS, OURS_NN, HIPS, TORCH]


@dataclass(frozen=True)
class Config:
    name: str
    sizes: tuple[int, ...]
    batch: int
    dtype: type
    goal: float  # at most this many times the NumPy reference's time per step

    @property
    def label(self) -> str:
        dims = "-".join(map(str, self.sizes))
        return f"{dims} b{self.batch} {np.dtype(self.dtype).name}"


BIG32 = Config("big", (784, 256, 128, 10), 128, np.float32, 1.05)
BIG64 = Config("big", (784, 256, 128, 10), 128, np.float64, 1.05)
TINY64 = Config("tiny", (2, 16, 16, 2), 64, np.float64, 2.5)
CONFIGS = [BIG32, BIG64, TINY64]


def problem(config: Config, seed: int = 0):
    """Initial weights [(W, b), ...] (W of shape (out, in)), a batch x and int labels y."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(config.sizes[:-1], config.sizes[1:], strict=True):
        bound = np.sqrt(6.0 / n_in)  # He-uniform, as for relu layers
        W = rng.uniform(-bound, bound, (n_out, n_in)).astype(config.dtype)
        b = rng.uniform(-0.1, 0.1, n_out).astype(config.dtype)
        params.append((W, b))
    x = rng.standard_normal((config.batch, config.sizes[0])).astype(config.dtype)
    y = rng.integers(0, config.sizes[-1], config.batch)
    return params, x, y


class Engine:
    """One engine's training step on its own copy of the weights.

    `grads()` runs forward and backward once and returns the gradients as NumPy arrays
    [dW1, db1, dW2, db2, ...] without updating anything; `step()` is one training step.
    """

    def grads(self) -> list[np.ndarray]:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------------------
# The reference: forward and backward written out by hand
# --------------------------------------------------------------------------------------


class NumpyEngine(Engine):
    def __init__(self, params, x, y, lr=LEARNING_RATE) -> None:
        self.W = [W.copy() for W, _ in params]
        self.b = [b.copy() for _, b in params]
        self.x, self.y, self.lr = x, y, lr
        self.rows = np.arange(len(y))

    def forward(self):
        """The loss, and what backward needs: each layer's input and the log-probabilities."""
        W, b, n = self.W, self.b, len(self.W)
        inputs = [self.x]  # the input of each layer
        h = self.x
        for i in range(n):
            h = h @ W[i].T + b[i]
            if i < n - 1:
                h = np.maximum(h, 0)
                inputs.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[self.rows, self.y].mean()
        return loss, (inputs, logp)

    def backward(self, saved):
        """[(dW, db) of each layer], from what forward saved."""
        inputs, logp = saved
        W, n = self.W, len(self.W)
        # d loss / d logits = (softmax - onehot) / batch
        g = np.exp(logp)
        g[self.rows, self.y] -= 1
        g *= 1.0 / len(self.y)
        grads = [None] * n
        for i in reversed(range(n)):
            grads[i] = (g.T @ inputs[i], g.sum(axis=0))
            if i > 0:
                g = g @ W[i]
                g *= inputs[i] > 0  # relu'(z) = [z > 0] = [relu(z) > 0]
        return grads

    def update(self, grads):
        lr = self.lr
        for i, (dW, db) in enumerate(grads):
            self.W[i] -= lr * dW
            self.b[i] -= lr * db

    def grads(self):
        _, saved = self.forward()
        return [a for pair in self.backward(saved) for a in pair]

    def step(self):
        _, saved = self.forward()
        grads = self.backward(saved)
        del saved  # the activations are freed before the update, as in the other engines
        self.update(grads)


# --------------------------------------------------------------------------------------
# Ours, with raw Tensor ops and with nn modules
# --------------------------------------------------------------------------------------


class OursEngine(Engine):
    def __init__(self, params, x, y, lr=LEARNING_RATE) -> None:
        from autodiff import Tensor

        self.layers = [(Tensor(W.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True))
                       for W, b in params]
        self.params = [p for pair in self.layers for p in pair]
        self.x, self.y, self.lr = Tensor(x), y, lr

    def loss(self):
        """The forward pass: the mean cross-entropy as a one-element Tensor."""
        from autodiff import cross_entropy, linear

        h, last = self.x, len(self.layers) - 1
        for i, (W, b) in enumerate(self.layers):
            h = linear(h, W, b)  # x @ W.T + b as one op, as nn.Linear computes it
            if i < last:
                h = h.relu()
        # mean of -log_softmax(h)[label], one op (nll_loss of log_softmax is two)
        return cross_entropy(h, self.y)

    def _forward_backward(self):
        loss = self.loss()
        loss.backward()
        return loss

    def grads(self):
        self._forward_backward()
        out = [p.grad.copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return out

    def update(self):
        import autodiff

        lr = self.lr
        with autodiff.no_grad():
            for p in self.params:
                p.data -= lr * p.grad
                p.grad = None

    def step(self):
        self._forward_backward()
        self.update()


class OursNNEngine(Engine):
    def __init__(self, params, x, y, lr=LEARNING_RATE) -> None:
        from autodiff import Tensor

        nn = peers.nn_modules()
        sizes = [params[0][0].shape[1]] + [W.shape[0] for W, _ in params]
        self.model = nn.MLP(sizes)
        self.params = self.model.parameters()
        wanted = [a for pair in params for a in pair]
        if [p.shape for p in self.params] != [a.shape for a in wanted]:
            raise RuntimeError("nn.MLP's parameters() are not [W1, b1, W2, b2, ...]: "
                               f"{[p.shape for p in self.params]}")
        for p, a in zip(self.params, wanted, strict=True):
            p.data = a.copy()
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = nn.optim.SGD(self.params, lr=lr)
        self.x, self.y = Tensor(x), y

    def _forward_backward(self):
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        return loss

    def grads(self):
        self.optimizer.zero_grad()
        self._forward_backward()
        out = [np.array(p.grad, copy=True) for p in self.params]
        self.optimizer.zero_grad()
        return out

    def step(self):
        self.optimizer.zero_grad()
        self._forward_backward()
        self.optimizer.step()


# --------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------


class HipsEngine(Engine):
    def __init__(self, params, x, y, lr=LEARNING_RATE) -> None:
        autograd, anp = peers.hips()
        self.params = [(W.copy(), b.copy()) for W, b in params]
        self.lr = lr
        rows, last = np.arange(len(y)), len(params) - 1

        def loss(layers):
            h = x
            for i, (W, b) in enumerate(layers):
                h = h @ W.T + b
                if i < last:
                    h = anp.maximum(h, 0.0)
            # log_softmax; autograd.scipy's logsumexp would need SciPy, so written out
            shifted = h - anp.max(h, axis=1, keepdims=True)
            logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
            return -anp.mean(logp[rows, y])

        self.gradient = autograd.grad(loss)

    def grads(self):
        return [np.asarray(a) for pair in self.gradient(self.params) for a in pair]

    def step(self):
        lr = self.lr
        for (W, b), (dW, db) in zip(self.params, self.gradient(self.params), strict=True):
            W -= lr * dW
            b -= lr * db


class TorchEngine(Engine):
    def __init__(self, params, x, y, lr=LEARNING_RATE) -> None:
        torch = peers.torch()
        self.torch = torch
        self.layers = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
                       for W, b in params]
        self.params = [p for pair in self.layers for p in pair]
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.lr = lr

    def _forward_backward(self):
        linear = self.torch.nn.functional.linear  # PyTorch's own x @ W.T + b in one op

        h, last = self.x, len(self.layers) - 1
        for i, (W, b) in enumerate(self.layers):
            h = linear(h, W, b)
            if i < last:
                h = h.relu()
        # its own cross-entropy of logits, as ours uses autodiff.cross_entropy
        loss = self.torch.nn.functional.cross_entropy(h, self.y)
        loss.backward()

    def grads(self):
        self._forward_backward()
        out = [p.grad.numpy().copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return out

    def step(self):
        self._forward_backward()
        lr = self.lr
        with self.torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
                p.grad = None


def available(name: str) -> str | None:
    """Why an engine cannot run (None: it can)."""
    if name == OURS_NN and peers.nn_modules() is None:
        return "nn not written yet"
    if name == HIPS and peers.hips() is None:
        return peers.NOT_INSTALLED
    if name == TORCH and peers.torch() is None:
        return peers.NOT_INSTALLED
    return None


ENGINE_TYPES = {REF: NumpyEngine, OURS: OursEngine, OURS_NN: OursNNEngine, HIPS: HipsEngine,
                TORCH: TorchEngine}


def tolerance(dtype) -> dict[str, float]:
    return {"rtol": 1e-7, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-3, "atol": 1e-5}


def build_engines(config: Config) -> tuple[dict[str, Engine], dict[str, str]]:
    """Every available engine on a fresh copy of the problem, each gradient-checked
    against the hand-written NumPy one. Returns (engines that passed, name -> reason
    for those left out)."""
    params, x, y = problem(config)
    reference = NumpyEngine(params, x, y)
    expected = reference.grads()
    engines: dict[str, Engine] = {REF: reference}
    skipped: dict[str, str] = {}
    for name in ENGINES[1:]:
        why = available(name)
        if why:
            skipped[name] = why
            continue
        try:
            engine = ENGINE_TYPES[name](params, x, y)
            got = engine.grads()
        except Exception as error:  # report it in the table rather than stop the run
            skipped[name] = f"error: {type(error).__name__}: {error}"[:200]
            continue
        tol = tolerance(config.dtype)
        same = len(got) == len(expected) and all(
            g.shape == e.shape and g.dtype == e.dtype and np.allclose(g, e, **tol)
            for g, e in zip(got, expected, strict=True)
        )
        if same:
            engines[name] = engine
        else:
            detail = [(g.dtype, g.shape) for g in got]
            skipped[name] = f"WRONG gradients, not timed {detail[:1]}"
    return engines, skipped


def cell(seconds: float | None, ratio: float | None) -> str:
    return f"{fmt_time(seconds)} {fmt_ratio(ratio)}" if seconds is not None else "-"


def section_mlp(budget: Budget, configs=CONFIGS) -> Report:
    report = Report()
    table = Table(
        "4. Tensor MLP training step: time/step and ratio to hand-written NumPy (lower is better)",
        ["config", *ENGINES, "goal", "verdict (ops / nn)"],
    )
    notes, faults_seen = set(), []
    for config in configs:
        engines, skipped = build_engines(config)
        faults: dict[str, float] = {}
        times = compare({name: e.step for name, e in engines.items()}, budget, faults=faults)
        if faults:
            faulting = [f"{name} {faults[name]:.0f}" for name in ENGINES
                        if faults.get(name, 0) >= 0.5]
            faults_seen.append(f"{config.label}: "
                               + (", ".join(faulting) + (", others 0" if len(faulting)
                                                         < len(faults) else "")
                                  if faulting else "none"))
        ref = times[REF]
        cells, verdicts = [], []
        for name in ENGINES:
            if name in times:
                cells.append(cell(times[name], times[name] / ref))
            else:
                cells.append(skipped[name] if len(skipped[name]) < 20 else "see note")
                if len(skipped[name]) >= 20:
                    notes.add(f"{name} on {config.label}: {skipped[name]}")
        for name in (OURS, OURS_NN):
            ratio = times[name] / ref if name in times else None
            ok = None if ratio is None else ratio <= config.goal
            verdicts.append(verdict(ok))
            report.goals.append(Goal("4", f"{name}: {config.label} step <= {config.goal}x NumPy",
                                     fmt_ratio(ratio), ok))
        table.add(config.label, *cells, f"<= {config.goal}x", " / ".join(verdicts))
    table.notes.append("Every engine's gradients were checked against the hand-written ones "
                       "(allclose) before timing; a mismatching engine is not timed.")
    table.notes.append("Reported in earlier measurements: PyTorch 1.03-1.26x (big) and 4.3-4.7x "
                       "(tiny), HIPS 2.9-4.2x (big) and 11x (tiny).")
    if faults_seen:
        table.notes.append("Minor page faults per step (median block; a page of memory taken "
                           "fresh from the OS costs about 1 us): " + "; ".join(faults_seen)
                           + ". A ratio is fair only where both sides fault alike: in a "
                           "process whose heap glibc had trimmed, the big float64 step by "
                           "hand was seen at 750 faults per step and 30% slower.")
    table.notes += sorted(notes)
    report.tables.append(table)
    return report


# ======================================================================================
# 6. Peak memory of one training step
# ======================================================================================


def section_memory(configs=(BIG32, BIG64)) -> Report:
    report = Report()
    names = [REF, OURS, OURS_NN, HIPS]
    table = Table(
        "6. Peak memory of one MLP training step (tracemalloc, above the weights and batch)",
        ["config", *names, TORCH, "goal", "verdict (ops / nn)"],
    )
    for config in configs:
        engines, skipped = build_engines(config)
        peaks = {}
        for name, engine in engines.items():
            if name == TORCH:
                continue
            engine.step()  # warm up: one-time allocations are not a step's cost
            peaks[name] = min(peak_bytes(engine.step) for _ in range(3))
        ref = peaks[REF]
        cells = []
        for name in names:
            if name in peaks:
                cells.append(f"{fmt_bytes(peaks[name])} {fmt_ratio(peaks[name] / ref)}")
            else:
                cells.append(skipped.get(name, "-")[:20])
        torch_cell = "not comparable" if peers.installed("torch") else peers.NOT_INSTALLED
        verdicts = []
        for name in (OURS, OURS_NN):
            ratio = peaks[name] / ref if name in peaks else None
            ok = None if ratio is None else ratio <= 1.3
            verdicts.append(verdict(ok))
            report.goals.append(Goal("6", f"{name}: {config.label} step peak memory <= 1.3x NumPy",
                                     fmt_ratio(ratio), ok))
        table.add(config.label, *cells, torch_cell, "<= 1.3x", " / ".join(verdicts))
    table.notes.append("Peak = tracemalloc's peak during one step minus what was allocated "
                       "before it (best of 3, after a warm-up step). NumPy reports its array "
                       "buffers to tracemalloc, so NumPy-based engines compare fairly.")
    table.notes.append("PyTorch allocates through its own allocator, which tracemalloc does not "
                       "see: its memory is not comparable this way and is not shown.")
    report.tables.append(table)
    return report
