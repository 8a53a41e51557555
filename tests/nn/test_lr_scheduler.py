"""nn.optim.lr_scheduler: schedules against hand-computed values and PyTorch, checkpoints,
errors, and the optimizer stepping with the scheduled lr."""

import math

import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
)
from nn.optim import SGD, Adam


def sgd(lr=0.1):
    return SGD([Tensor(np.zeros(2), requires_grad=True)], lr=lr)


def lrs(scheduler, steps):
    """The optimizer's lr at epoch 0 and after each of `steps` scheduler steps."""
    out = [scheduler.optimizer.lr]
    for _ in range(steps):
        scheduler.step()
        out.append(scheduler.optimizer.lr)
    return out


CASES = [
    (StepLR, dict(step_size=3, gamma=0.5)),
    (MultiStepLR, dict(milestones=[0, 4, 9, 20], gamma=0.3)),
    (ExponentialLR, dict(gamma=0.93)),
    (CosineAnnealingLR, dict(T_max=10)),  # (40 steps: twice down and up again)
    (CosineAnnealingLR, dict(T_max=7, eta_min=0.01)),
    (LinearLR, dict(start_factor=0.2, end_factor=0.9, total_iters=7)),
    (LinearLR, dict()),
    (LambdaLR, dict(lr_lambda=lambda epoch: 1 / (1 + epoch) + 0.01 * (epoch % 3))),
]


@pytest.mark.parametrize(("cls", "kwargs"), CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CASES)])
def test_learning_rates_as_pytorch(cls, kwargs):
    torch = pytest.importorskip("torch")
    weight = torch.zeros(2, requires_grad=True)
    theirs = torch.optim.SGD([weight], lr=0.1)
    their_scheduler = getattr(torch.optim.lr_scheduler, cls.__name__)(theirs, **kwargs)
    expected = [theirs.param_groups[0]["lr"]]
    for _ in range(40):
        theirs.step()
        their_scheduler.step()
        expected.append(theirs.param_groups[0]["lr"])
    scheduler = cls(sgd(0.1), **kwargs)
    np.testing.assert_allclose(lrs(scheduler, 40), expected, rtol=1e-12, atol=1e-300)
    assert scheduler.last_epoch == their_scheduler.last_epoch == 40
    assert scheduler.get_last_lr() == pytest.approx(their_scheduler.get_last_lr(),
                                                    rel=1e-12)
    assert scheduler.base_lrs == their_scheduler.base_lrs == [0.1]


def test_training_with_a_schedule_as_pytorch():
    # Adam's steps (whose size is the lr) with a cosine schedule, parameter for parameter
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal(3), rng.standard_normal((30, 3))
    p = Tensor(start.copy(), requires_grad=True)
    opt = Adam([p], lr=0.05)
    scheduler = CosineAnnealingLR(opt, T_max=12, eta_min=0.001)
    weight = torch.tensor(start, requires_grad=True)
    theirs = torch.optim.Adam([weight], lr=0.05)
    their_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=12,
                                                                 eta_min=0.001)
    for g in grads:
        p.grad, weight.grad = g.copy(), torch.tensor(g)
        opt.step()
        theirs.step()
        scheduler.step()
        their_scheduler.step()
    np.testing.assert_allclose(p.data, weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize(("scheduler", "expected"), [
    (lambda opt: StepLR(opt, step_size=2, gamma=0.5),
     [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]),
    (lambda opt: MultiStepLR(opt, milestones=[1, 4], gamma=0.1),
     [0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001]),
    (lambda opt: ExponentialLR(opt, gamma=0.5),
     [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625]),
    (lambda opt: CosineAnnealingLR(opt, T_max=4),  # 0.1 * (1 + cos(pi * e / 4)) / 2
     [0.1, 0.05 + 0.025 * math.sqrt(2), 0.05, 0.05 - 0.025 * math.sqrt(2), 0.0,
      0.05 - 0.025 * math.sqrt(2), 0.05]),
    (lambda opt: CosineAnnealingLR(opt, T_max=2, eta_min=0.02),
     [0.1, 0.06, 0.02, 0.06, 0.1, 0.06, 0.02]),
    (lambda opt: LinearLR(opt, start_factor=0.25, total_iters=3),
     [0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1]),
    (lambda opt: LinearLR(opt, start_factor=1.0, end_factor=0.5, total_iters=2),
     [0.1, 0.075, 0.05, 0.05, 0.05, 0.05, 0.05]),
    (lambda opt: LambdaLR(opt, lambda epoch: epoch + 1),
     [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
    (lambda opt: LambdaLR(opt, [lambda epoch: 0.5]),  # PyTorch's list, of one function
     [0.05] * 7),
], ids=["StepLR", "MultiStepLR", "ExponentialLR", "Cosine", "Cosine-eta_min",
        "LinearLR-warmup", "LinearLR-down", "LambdaLR", "LambdaLR-list"])
def test_learning_rates_by_hand(scheduler, expected):
    scheduler = scheduler(sgd(0.1))
    np.testing.assert_allclose(lrs(scheduler, 6), expected, rtol=1e-14, atol=1e-17)
    assert scheduler.last_epoch == 6
    assert scheduler.base_lrs == [0.1]
    assert scheduler.get_last_lr() == [scheduler.optimizer.lr]
    assert scheduler.optimizer.param_groups[0]["lr"] == scheduler.optimizer.lr


def test_constructor_sets_epoch_0_and_the_optimizer_steps_with_the_scheduled_lr():
    p = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt = SGD([p], lr=0.4)
    scheduler = LinearLR(opt, start_factor=0.5, total_iters=2)
    assert (scheduler.last_epoch, opt.lr, scheduler.get_last_lr()) == (0, 0.2, [0.2])
    positions = []
    for _ in range(4):
        p.grad = np.array([1.0, 2.0])
        opt.step()
        scheduler.step()
        positions.append(p.data.tolist())
    # lr 0.2, 0.3, then 0.4: x -= lr * g, g = (1, 2)
    np.testing.assert_allclose(positions, [[0.8, -1.4], [0.5, -2.0], [0.1, -2.8],
                                           [-0.3, -3.6]], rtol=1e-14)


def test_get_last_lr_is_a_copy():
    scheduler = StepLR(sgd(), step_size=1)
    scheduler.get_last_lr().append(5.0)
    scheduler.get_last_lr()[0] = 5.0
    assert scheduler.get_last_lr() == [0.1]


# -- Checkpoints ----------------------------------------------------------------------

def make(kind):
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = SGD([p], lr=0.5, momentum=0.9)
    scheduler = {"step": lambda: StepLR(opt, step_size=3, gamma=0.5),
                 "multistep": lambda: MultiStepLR(opt, milestones=[2, 5, 11]),
                 "cosine": lambda: CosineAnnealingLR(opt, T_max=9, eta_min=0.01),
                 "linear": lambda: LinearLR(opt, start_factor=0.1, total_iters=10),
                 "lambda": lambda: LambdaLR(opt, lambda e: 0.9 ** e),
                 "exponential": lambda: ExponentialLR(opt, gamma=0.8)}[kind]()
    return p, opt, scheduler


def train(p, opt, scheduler, steps, start=0):
    """Steps `start`, ... of a training run; the weights and the lr after them."""
    for i in range(start, start + steps):
        p.grad = np.array([1.0, -0.5]) * (i % 4 - 1.5)
        opt.step()
        scheduler.step()
    return p.data.copy(), opt.lr


@pytest.mark.parametrize("through_files", [False, True], ids=["dicts", "nn.save"])
@pytest.mark.parametrize("kind", ["step", "multistep", "cosine", "linear", "lambda",
                                  "exponential"])
def test_a_resumed_scheduler_continues_identically(kind, through_files, tmp_path):
    straight = make(kind)
    expected = train(*straight, 20)
    p, opt, scheduler = make(kind)
    train(p, opt, scheduler, 7)
    model_state, opt_state, state = p.data.copy(), opt.state_dict(), scheduler.state_dict()
    if through_files:  # as arrays, as nn.load_state reads them
        nn.save(opt_state, tmp_path / "opt.npz")
        nn.save(state, tmp_path / "scheduler.npz")
        opt_state = nn.load_state(tmp_path / "opt.npz")
        state = nn.load_state(tmp_path / "scheduler.npz")
    p, opt, scheduler = make(kind)  # new ones, loaded (the scheduler after its optimizer)
    p.data[...] = model_state
    opt.load_state_dict(opt_state)
    scheduler.load_state_dict(state)
    assert scheduler.last_epoch == 7 and scheduler.get_last_lr() == [opt.lr]
    weights, lr = train(p, opt, scheduler, 13, start=7)
    np.testing.assert_array_equal(weights, expected[0])
    assert lr == expected[1]


def test_state_dict_holds_the_settings_and_is_a_copy():
    scheduler = MultiStepLR(sgd(), milestones=[2, 4], gamma=0.5)
    state = scheduler.state_dict()
    assert state == {"last_epoch": 0, "base_lrs": [0.1], "_last_lr": [0.1],
                     "milestones": [2, 4], "gamma": 0.5}
    state["milestones"].append(9)
    state["base_lrs"][0] = 7.0
    assert scheduler.milestones == [2, 4] and scheduler.base_lrs == [0.1]
    assert "lr_lambda" not in str(LambdaLR(sgd(), lambda e: 1.0).state_dict())


@pytest.mark.parametrize(("change", "match"), [
    (dict(last_epoch=-1), r"last_epoch must be >= 0"),
    (dict(last_epoch=2.5), r"last_epoch must be an int"),
    (dict(base_lrs=[0.1, 0.2]), r"base_lrs must be a list of one learning rate"),
    (dict(_last_lr=[-1.0]), r"_last_lr\[0\] must be >= 0"),
    (dict(gamma=0), r"gamma must be > 0"),
    (dict(milestones=[4, 2]), r"milestones must be increasing"),
    (dict(verbose=False), r"unexpected key 'verbose'"),
    (dict(milestones=None, gamma="x"), r"milestones must be a list of ints.*; gamma must "
                                       r"be a real number"),
])
def test_a_bad_state_dict_is_refused_whole(change, match):
    scheduler = MultiStepLR(sgd(), milestones=[2, 4], gamma=0.5)
    lrs(scheduler, 3)
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match=r"^MultiStepLR\.load_state_dict: .*" + match):
        scheduler.load_state_dict({**before, **change})
    partial = {k: v for k, v in before.items() if k != "gamma"}
    with pytest.raises(ValueError, match=r"missing keys \['gamma'\]"):
        scheduler.load_state_dict(partial)
    with pytest.raises(TypeError, match="expected a dict"):
        scheduler.load_state_dict([("gamma", 0.5)])
    assert scheduler.state_dict() == before


# -- Errors ------------------------------------------------------------------------

@pytest.mark.parametrize(("make_it", "error", "match"), [
    (lambda opt: StepLR([opt], step_size=1), TypeError,
     r"^StepLR: optimizer must be an nn.optim optimizer .*got list"),
    (lambda opt: StepLR(opt, step_size=0), ValueError, r"^StepLR: step_size must be >= 1"),
    (lambda opt: StepLR(opt, step_size=2.0), TypeError, r"^StepLR: step_size must be an int"),
    (lambda opt: StepLR(opt, step_size=True), TypeError, r"step_size must be an int"),
    (lambda opt: StepLR(opt, 2, gamma=0), ValueError, r"^StepLR: gamma must be > 0"),
    (lambda opt: StepLR(opt, 2, gamma=-0.5), ValueError, r"gamma must be > 0"),
    (lambda opt: ExponentialLR(opt, gamma=math.nan), ValueError,
     r"^ExponentialLR: gamma must be > 0 and finite, got nan"),
    (lambda opt: ExponentialLR(opt, gamma=math.inf), ValueError, r"gamma must be > 0"),
    (lambda opt: ExponentialLR(opt, gamma="0.9"), TypeError,
     r"^ExponentialLR: gamma must be a real number, got str"),
    (lambda opt: MultiStepLR(opt, milestones=[3, 3]), ValueError,
     r"^MultiStepLR: milestones must be increasing epochs >= 0, got \[3, 3\]"),
    (lambda opt: MultiStepLR(opt, milestones=[5, 2]), ValueError, r"must be increasing"),
    (lambda opt: MultiStepLR(opt, milestones=[-1, 2]), ValueError, r"must be increasing"),
    (lambda opt: MultiStepLR(opt, milestones=[1.5]), TypeError,
     r"^MultiStepLR: milestones must be a list of ints"),
    (lambda opt: MultiStepLR(opt, milestones=3), TypeError, r"must be a list of ints"),
    (lambda opt: CosineAnnealingLR(opt, T_max=0), ValueError,
     r"^CosineAnnealingLR: T_max must be >= 1, got 0"),
    (lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=-0.1), ValueError,
     r"^CosineAnnealingLR: eta_min must be >= 0"),
    (lambda opt: LinearLR(opt, start_factor=0), ValueError,
     r"^LinearLR: start_factor must be in \(0, 1\], got 0"),
    (lambda opt: LinearLR(opt, end_factor=1.5), ValueError,
     r"^LinearLR: end_factor must be in \[0, 1\]"),
    (lambda opt: LinearLR(opt, total_iters=0), ValueError, r"total_iters must be >= 1"),
    (lambda opt: LambdaLR(opt, 0.95), TypeError,
     r"^LambdaLR: lr_lambda must be a function of the epoch, got float"),
    (lambda opt: LambdaLR(opt, [abs, abs]), TypeError, r"lr_lambda must be a function"),
    (lambda opt: LambdaLR(opt, lambda e: "0.5"), TypeError,
     r"^LambdaLR: lr_lambda\(0\) returned str: '0.5', not a number"),
    (lambda opt: LambdaLR(opt, lambda e: None), TypeError, r"returned NoneType"),
    (lambda opt: LambdaLR(opt, lambda e: -1), ValueError,
     r"^LambdaLR: lr_lambda\(0\) returned -1, which makes the lr -0.1; it must be >= 0"),
    (lambda opt: LambdaLR(opt, lambda e: math.inf), ValueError, r"makes the lr inf"),
])
def test_bad_arguments_are_named_and_change_nothing(make_it, error, match):
    opt = sgd(0.1)
    with pytest.raises(error, match=match):
        make_it(opt)
    assert opt.lr == 0.1


def test_a_torch_optimizer_is_refused():
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match=r"nn.optim optimizer .*got SGD"):
        StepLR(opt, step_size=1)


def test_a_failing_step_changes_nothing():
    def lr_lambda(epoch):
        if epoch == 3:
            raise ZeroDivisionError("the user's own error")
        return {4: "x"}.get(epoch, 1.0 / (epoch + 1))

    opt = sgd(0.1)
    scheduler = LambdaLR(opt, lr_lambda)
    lrs(scheduler, 2)
    for error in (ZeroDivisionError, ZeroDivisionError):  # (and again: still epoch 2)
        with pytest.raises(error):
            scheduler.step()
        assert (scheduler.last_epoch, scheduler.get_last_lr()) == (2, [0.1 / 3])
        assert opt.lr == 0.1 / 3


def test_an_lr_changed_behind_a_chainable_schedule_is_refused():
    # PyTorch's StepLR would continue from the changed lr; the closed form would
    # overwrite it: neither silently
    opt = sgd(0.1)
    scheduler = StepLR(opt, step_size=2, gamma=0.5)
    lrs(scheduler, 2)
    opt.lr = 0.3
    with pytest.raises(RuntimeError, match=r"^StepLR.step: the optimizer's lr is 0.3, not "
                                           r"the 0.05 this scheduler set for epoch 2"):
        scheduler.step()
    assert (opt.lr, scheduler.last_epoch) == (0.3, 2)
    opt.lr = 0.05  # put back: the schedule goes on
    assert lrs(scheduler, 2) == [0.05, 0.05, 0.025]
    # two schedulers on one optimizer (which PyTorch chains): refused at the first clash
    first, second = StepLR(opt, step_size=1, gamma=0.5), ExponentialLR(opt, gamma=0.9)
    first.step()
    with pytest.raises(RuntimeError, match="changed outside the scheduler"):
        second.step()


def test_lambda_lr_overwrites_a_changed_lr_as_pytorch():
    opt = sgd(0.1)
    scheduler = LambdaLR(opt, lambda epoch: 0.5)
    opt.lr = 0.3
    scheduler.step()
    assert opt.lr == 0.05


def test_a_subclass_defines_get_lr():
    class Halving(LRScheduler):
        def get_lr(self):
            return [self.base_lrs[0] / 2 ** self.last_epoch]

    assert lrs(Halving(sgd(0.8)), 3) == [0.8, 0.4, 0.2, 0.1]

    class Bad(LRScheduler):
        def get_lr(self):
            return 0.1  # not a list

    with pytest.raises(ValueError, match=r"Bad.step: get_lr\(\) must be a list of one"):
        Bad(sgd())
    with pytest.raises(NotImplementedError, match="must define get_lr"):
        LRScheduler(sgd())


def test_reachable_as_in_pytorch():
    import nn.optim.lr_scheduler as module

    assert nn.optim.lr_scheduler is module
    assert "StepLR" in module.__all__ and module.StepLR is StepLR
    assert repr(StepLR(sgd(), step_size=3)) == (
        "StepLR(SGD, step_size=3, gamma=0.1, last_epoch=0, lr=0.1)")
