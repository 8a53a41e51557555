"""nn.optim.lr_scheduler: schedules against hand-computed values and PyTorch, checkpoints,
errors, and the optimizer stepping with the scheduled lr."""

import itertools
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

# Most tests step schedulers alone, with no optimizer step between: the warning for a
# scheduler stepped before its optimizer (tested by itself below) is not theirs
pytestmark = pytest.mark.filterwarnings("ignore:.*before the optimizer's first step")


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
    assert state == {"last_epoch": 0, "base_lrs": [0.1], "start_lrs": [0.1],
                     "_last_lr": [0.1], "optimizer_lr": 0.1, "milestones": [2, 4],
                     "gamma": 0.5}
    state["milestones"].append(9)
    state["base_lrs"][0] = 7.0
    assert scheduler.milestones == [2, 4] and scheduler.base_lrs == [0.1]
    assert "lr_lambda" not in str(LambdaLR(sgd(), lambda e: 1.0).state_dict())


@pytest.mark.parametrize(("change", "match"), [
    (dict(last_epoch=-1), r"last_epoch must be >= 0"),
    (dict(last_epoch=2.5), r"last_epoch must be an int"),
    (dict(base_lrs=[0.1, 0.2]), r"base_lrs must be a list of one learning rate"),
    (dict(_last_lr=[-1.0]), r"_last_lr\[0\] must be >= 0"),
    (dict(gamma=-1), r"gamma must be >= 0"),
    (dict(milestones=[4, -2]), r"milestones must be epochs >= 0"),
    (dict(start_lrs=[math.nan]), r"start_lrs\[0\] must be >= 0 and finite"),
    (dict(verbose=False), r"unexpected key 'verbose'"),
    (dict(milestones=None, gamma="x"), r"milestones must be a list of epochs.*; gamma "
                                       r"must be a real number"),
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
    (lambda opt: StepLR(opt, step_size=2.5), TypeError,
     r"^StepLR: step_size must be an int, got float: 2.5"),
    (lambda opt: StepLR(opt, step_size=math.inf), TypeError, r"step_size must be an int"),
    (lambda opt: StepLR(opt, step_size=True), TypeError, r"step_size must be an int"),
    (lambda opt: StepLR(opt, 2, gamma=-0.5), ValueError, r"^StepLR: gamma must be >= 0"),
    (lambda opt: ExponentialLR(opt, gamma=math.nan), ValueError,
     r"^ExponentialLR: gamma must be >= 0 and finite, got nan"),
    (lambda opt: ExponentialLR(opt, gamma=math.inf), ValueError, r"gamma must be >= 0"),
    (lambda opt: ExponentialLR(opt, gamma="0.9"), TypeError,
     r"^ExponentialLR: gamma must be a real number, got str"),
    (lambda opt: MultiStepLR(opt, milestones=[5, -1, 2]), ValueError,
     r"^MultiStepLR: milestones must be epochs >= 0, got \[5, -1, 2\]"),
    (lambda opt: MultiStepLR(opt, milestones=[1.5]), TypeError,
     r"^MultiStepLR: milestones must be a list of epochs \(ints\), got \[1.5\]"),
    (lambda opt: MultiStepLR(opt, milestones=3), TypeError, r"must be a list of epochs"),
    (lambda opt: MultiStepLR(opt, milestones="12"), TypeError, r"must be a list of epochs"),
    (lambda opt: MultiStepLR(opt, milestones={2: 1}), TypeError,
     r"must be a list of epochs"),
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


# -- The first lr (PyTorch's initial_lr), QA round 23 -----------------------------------

def their_lrs(torch, make_first, make_second, first_steps, steps, lr=0.1):
    """PyTorch's lrs of a second scheduler made after a first one stepped."""
    weight = torch.zeros(1, requires_grad=True)
    theirs = torch.optim.SGD([weight], lr=lr)
    first = make_first(torch.optim.lr_scheduler, theirs)
    for _ in range(first_steps):
        theirs.step()
        first.step()
    second = make_second(torch.optim.lr_scheduler, theirs)
    out = [theirs.param_groups[0]["lr"]]
    for _ in range(steps):
        theirs.step()
        second.step()
        out.append(theirs.param_groups[0]["lr"])
    return out, second.base_lrs


SECOND = [
    lambda m, o: m.LambdaLR(o, lambda e: 0.9 ** e),
    lambda m, o: m.CosineAnnealingLR(o, T_max=2),  # past T_max: up to the first lr
    lambda m, o: m.CosineAnnealingLR(o, T_max=3, eta_min=0.001),
    lambda m, o: m.StepLR(o, step_size=2, gamma=0.5),
    lambda m, o: m.MultiStepLR(o, milestones=[0, 3]),
    lambda m, o: m.ExponentialLR(o, gamma=0.9),
    lambda m, o: m.LinearLR(o, start_factor=0.5, total_iters=3),
]


@pytest.mark.parametrize("make_second", SECOND,
                         ids=["Lambda", "Cosine", "Cosine-eta_min", "Step", "MultiStep",
                              "Exponential", "Linear"])
def test_a_scheduler_made_after_another_has_the_first_lr_as_base_as_pytorch(make_second):
    # base_lrs was the lr when the scheduler was made: a LambdaLR made second gave
    # 0.0125 * lambda where PyTorch gives 0.1 * lambda, and a cosine rose to 0.0125
    torch = pytest.importorskip("torch")

    def first(module, opt):
        return module.StepLR(opt, step_size=1, gamma=0.5)

    expected, their_base = their_lrs(torch, first, make_second, 3, 12)
    opt = sgd(0.1)
    lrs(first(nn.optim.lr_scheduler, opt), 3)
    assert opt.lr == 0.0125
    second = make_second(nn.optim.lr_scheduler, opt)
    np.testing.assert_allclose(lrs(second, 12), expected, rtol=1e-13, atol=1e-300)
    assert second.base_lrs == their_base == [0.1]
    assert opt.initial_lr == 0.1 and opt.param_groups[0]["initial_lr"] == 0.1


def test_a_lambda_warmup_made_twice_reaches_the_full_lr():
    # the notebook cell run again: the second warm-up started from the first's 0.02
    def warmup(epoch):
        return min(1.0, (epoch + 1) / 5)

    opt = sgd(0.1)
    LambdaLR(opt, warmup)
    scheduler = LambdaLR(opt, warmup)
    assert lrs(scheduler, 6)[-1] == 0.1
    # an lr set by hand before the next scheduler does not change the base either, as
    # in PyTorch (its first lr stays the optimizer's initial_lr)
    opt.lr = 0.5
    assert LambdaLR(opt, lambda e: 1.0).base_lrs == [0.1]


def test_the_first_lr_is_recorded_only_by_a_scheduler_that_was_made():
    opt = sgd(0.1)
    assert not hasattr(opt, "initial_lr")
    with pytest.raises(TypeError, match="lr_lambda"):
        LambdaLR(opt, lambda e: None)
    with pytest.raises(ValueError, match="last_epoch"):
        StepLR(opt, 2, last_epoch=0)
    assert not hasattr(opt, "initial_lr") and opt.lr == 0.1
    opt.lr = 0.2
    StepLR(opt, 2)
    assert opt.initial_lr == 0.2


# -- PyTorch's spellings (QA round 23) ----------------------------------------------------

@pytest.mark.parametrize(("name", "kwargs"), [
    ("StepLR", dict(step_size=2, gamma=0)),
    ("StepLR", dict(step_size=2.0)),
    ("MultiStepLR", dict(milestones=[2], gamma=0)),
    ("MultiStepLR", dict(milestones=[6, 2, 2, 4], gamma=0.5)),  # unsorted, 2 twice
    ("MultiStepLR", dict(milestones={6, 1}, gamma=0.5)),
    ("MultiStepLR", dict(milestones=(3.0, 1), gamma=0.5)),
    ("ExponentialLR", dict(gamma=0)),
    ("CosineAnnealingLR", dict(T_max=4.0)),
    ("LinearLR", dict(start_factor=0.5, total_iters=3.0)),
    ("StepLR", dict(step_size=3, gamma=0.5, last_epoch=-1)),
    ("LambdaLR", dict(lr_lambda=lambda e: np.array(0.9 ** e))),  # a 0-d array
])
def test_pytorch_spellings_are_taken_with_pytorchs_numbers(name, kwargs):
    torch = pytest.importorskip("torch")
    weight = torch.zeros(1, requires_grad=True)
    theirs = torch.optim.SGD([weight], lr=0.1)
    their_scheduler = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    expected = [theirs.param_groups[0]["lr"]]
    for _ in range(10):
        theirs.step()
        their_scheduler.step()
        expected.append(float(theirs.param_groups[0]["lr"]))
    scheduler = getattr(nn.optim.lr_scheduler, name)(sgd(0.1), **kwargs)
    np.testing.assert_allclose(lrs(scheduler, 10), expected, rtol=1e-13, atol=1e-300)


def test_pytorch_spellings_by_hand():
    # (the same without torch installed)
    assert lrs(StepLR(sgd(), 2, gamma=0), 3) == [0.1, 0.1, 0.0, 0.0]
    assert lrs(MultiStepLR(sgd(), {3, 1}, gamma=0.5), 3) == [0.1, 0.05, 0.05, 0.025]
    twice = MultiStepLR(sgd(), [2, 1, 2], gamma=0.5)
    assert twice.milestones == [1, 2, 2]
    assert lrs(twice, 3) == [0.1, 0.05, 0.0125, 0.0125]
    assert CosineAnnealingLR(sgd(), T_max=4.0).T_max == 4
    assert type(LinearLR(sgd(), total_iters=3.0).total_iters) is int
    for make in (lambda opt: StepLR(opt, 3, 0.1, -1), lambda opt: MultiStepLR(opt, [1], 0.1, -1),
                 lambda opt: ExponentialLR(opt, 0.5, -1),
                 lambda opt: CosineAnnealingLR(opt, 3, 0.0, -1),
                 lambda opt: LinearLR(opt, 0.5, 1.0, 2, -1),
                 lambda opt: LambdaLR(opt, lambda e: 1.0, -1)):
        assert make(sgd()).last_epoch == 0
    assert lrs(LambdaLR(sgd(), lambda e: Tensor(0.5)), 1) == [0.05, 0.05]  # a 0-d Tensor


def test_a_pytorch_style_subclass_passes_last_epoch_positionally():
    class Warmup(LRScheduler):  # as nearly every custom torch scheduler is written
        def __init__(self, optimizer, warmup, last_epoch=-1):
            self.warmup = warmup
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [b * min(1.0, (self.last_epoch + 1) / self.warmup) for b in self.base_lrs]

    assert lrs(Warmup(sgd(0.4), 4), 4) == [0.1, 0.2, 0.30000000000000004, 0.4, 0.4]


@pytest.mark.parametrize("last_epoch", [0, 5, -2, True, "-1"])
def test_another_last_epoch_is_refused_naming_load_state_dict(last_epoch):
    opt = sgd(0.1)
    with pytest.raises(ValueError, match=r"^StepLR: last_epoch=.* is not supported, only -1 "
                                         r".*scheduler\.load_state_dict\(state\)"):
        StepLR(opt, 2, last_epoch=last_epoch)
    assert opt.lr == 0.1


def test_step_with_an_epoch_goes_to_that_epoch_as_pytorch():
    # PyTorch's deprecated scheduler.step(epoch): the closed form of that epoch
    torch = pytest.importorskip("torch")
    import warnings

    epochs = [0, 1, 2, 5, 6, 3, 3, 9]
    for name, kwargs in [("StepLR", dict(step_size=2, gamma=0.5)),
                         ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
                         ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1)))]:
        theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        their_scheduler = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
        opt = sgd(0.1)
        scheduler = getattr(nn.optim.lr_scheduler, name)(opt, **kwargs)
        for epoch in epochs:
            theirs.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (PyTorch's deprecation warning)
                their_scheduler.step(epoch)
            scheduler.step(epoch)
            assert opt.lr == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-13)
            assert scheduler.last_epoch == epoch
        scheduler.step()
        assert scheduler.last_epoch == 10


def test_step_with_a_bad_epoch_is_refused_and_changes_nothing():
    scheduler = StepLR(sgd(), 2)
    for epoch, error in [(-1, ValueError), (1.5, TypeError), ("3", TypeError)]:
        with pytest.raises(error, match=r"^StepLR.step: epoch must be"):
            scheduler.step(epoch)
    assert (scheduler.last_epoch, scheduler.optimizer.lr) == (0, 0.1)


# -- Resuming and the refusal (QA round 23) -------------------------------------------

def resumable(lr=0.1):
    opt = sgd(lr)
    return opt, LinearLR(opt, start_factor=0.25, total_iters=4)


@pytest.mark.parametrize("order", ["optimizer first", "scheduler first",
                                   "optimizer before the scheduler is made",
                                   "only the scheduler"])
def test_a_scheduler_state_loaded_sets_the_optimizers_lr_in_any_order(order):
    # the epoch after resuming trained at 0.015625 or 0.025 instead of 0.0625, and only
    # the scheduler's step at its end was refused
    opt, scheduler = resumable()
    lrs(scheduler, 2)
    opt_state, state = opt.state_dict(), scheduler.state_dict()
    opt = sgd(0.1)
    if order == "optimizer before the scheduler is made":
        opt.load_state_dict(opt_state)
        scheduler = LinearLR(opt, start_factor=0.25, total_iters=4)
        scheduler.load_state_dict(state)
    else:
        scheduler = LinearLR(opt, start_factor=0.25, total_iters=4)
        if order == "optimizer first":
            opt.load_state_dict(opt_state)
        scheduler.load_state_dict(state)
        if order == "scheduler first":
            opt.load_state_dict(opt_state)
    assert opt.lr == 0.0625 and scheduler.get_last_lr() == [0.0625]
    assert lrs(scheduler, 3) == [0.0625, 0.08125, 0.1, 0.1]


def warmup_then_cosine(opt, epochs):
    """The module doc's second recipe for `epochs` epochs: (warm-up, cosine or None)."""
    warmup, cosine = LinearLR(opt, start_factor=0.1, total_iters=5), None
    for epoch in range(epochs):
        if epoch == 5:
            cosine = CosineAnnealingLR(opt, T_max=15)
        (warmup if cosine is None else cosine).step()
    return warmup, cosine


def warmup_and_decay(opt):
    """A warm-up (LinearLR, 5 epochs) and a decay (LambdaLR), the two schedulers of the
    tests below, made on `opt` when called."""
    return {"warm": lambda: LinearLR(opt, start_factor=0.1, total_iters=5),
            "decay": lambda: LambdaLR(opt, lambda e: 0.8 ** e)}


def two_schedulers_run(stop=None, plan=(), saved=None, epochs=12):
    """The warm-up stepped in epochs 0-4 and the decay after, both made up front (the
    decay first: a LambdaLR made second would overwrite the warm-up's first lr). With
    `saved`, resumed after epoch `stop` by the `plan`: "make warm", "load warm", "load
    opt"..., in its order; returns the lr of each epoch run. Without, returns the
    states after epoch `stop` (or, with stop None, the lrs of all epochs)."""
    opt = sgd(0.1)
    makers, parts = warmup_and_decay(opt), {"opt": opt}
    if saved is None:
        parts["decay"], parts["warm"] = makers["decay"](), makers["warm"]()
    else:
        for action in plan:
            verb, name = action.split()
            if verb == "make":
                parts[name] = makers[name]()
            else:
                parts[name].load_state_dict(saved[name])
    out = []
    for epoch in range(0 if saved is None else stop + 1, epochs):
        out.append(opt.lr)
        parts["warm" if epoch < 5 else "decay"].step()
        if saved is None and epoch == stop:
            return {name: part.state_dict() for name, part in parts.items()}
    return out


def _plans():
    """Every order of making and loading the two schedulers (each made before it is
    loaded), with the optimizer's state loaded anywhere among them, or not at all."""
    actions = ["make decay", "load decay", "make warm", "load warm", "load opt"]
    plans = []
    for n in (5, 4):
        for plan in itertools.permutations(actions[:n]):
            if (plan.index("make decay") < plan.index("load decay")
                    and plan.index("make warm") < plan.index("load warm")):
                plans.append(plan)
    return plans


@pytest.mark.parametrize("plan", _plans(), ids=lambda plan: ", ".join(plan))
def test_with_two_schedulers_any_order_of_making_and_loading_resumes_the_lr(plan):
    # Each scheduler's state holds the optimizer's lr when it was saved, so the states
    # saved together agree. Before: the warm-up's state loaded last set its own last
    # lr, 0.1 where the decay had reached 0.0512 (silently); then the scheduler made
    # last decided (wrong with the decay made first); then counts of the lr's changes
    # (wrong with a scheduler made between two loads: QA rounds 25, 26 and 28)
    uninterrupted = two_schedulers_run()
    for stop in (2, 7):  # (in the warm-up, and after it)
        resumed = two_schedulers_run(stop, plan, two_schedulers_run(stop))
        assert resumed == pytest.approx(uninterrupted[stop + 1:], rel=1e-15)


@pytest.mark.parametrize("loads", list(itertools.permutations(["opt", "warm", "decay"])))
def test_the_warmup_then_cosine_recipe_resumes_in_any_order(loads):
    def run(stop, saved=None):
        opt = sgd(0.1)
        parts = {"opt": opt, "warm": LinearLR(opt, start_factor=0.1, total_iters=5)}
        if saved is not None and stop >= 5:  # the resume code makes what was in use
            parts["decay"] = CosineAnnealingLR(opt, T_max=15)
        start = 0
        if saved is not None:
            for name in loads:
                if name in parts:
                    parts[name].load_state_dict(saved[name])
            start = stop + 1
        out = []
        for epoch in range(start, 20):
            if epoch == 5 and "decay" not in parts:
                parts["decay"] = CosineAnnealingLR(opt, T_max=15)
            out.append(opt.lr)
            parts["decay" if epoch >= 5 else "warm"].step()
            if saved is None and epoch == stop:
                return {name: part.state_dict() for name, part in parts.items()}
        return out

    uninterrupted = run(None)
    for stop in (3, 11):
        assert run(stop, run(stop)) == pytest.approx(uninterrupted[stop + 1:], rel=1e-15)


@pytest.mark.parametrize("order", [("opt", "scheduler"), ("scheduler", "opt")])
def test_an_lr_set_by_hand_before_saving_is_resumed_in_either_order(order):
    # PyTorch gives the hand-set 0.001 in both orders (QA round 28: one order gave
    # the scheduler's 0.0125)
    opt = sgd(0.1)
    scheduler = LambdaLR(opt, lambda e: 0.5 ** e)
    lrs(scheduler, 3)
    opt.lr = 0.001
    saved = {"opt": opt.state_dict(), "scheduler": scheduler.state_dict()}
    opt = sgd(0.1)
    parts = {"opt": opt, "scheduler": LambdaLR(opt, lambda e: 0.5 ** e)}
    for name in order:
        parts[name].load_state_dict(saved[name])
    assert opt.lr == 0.001 and parts["scheduler"].get_last_lr() == [0.0125]


def test_going_back_to_an_earlier_state_goes_back_to_its_lr():
    # a notebook: train with a LambdaLR, keep its state, try a StepLR, go back; or
    # resume from a later checkpoint, then from an earlier one: the earlier state's lr
    # was left as it was (while get_last_lr() gave the state's)
    opt = sgd(0.1)
    decay = LambdaLR(opt, lambda e: 0.5 ** e)
    lrs(decay, 3)
    kept = decay.state_dict()
    lrs(StepLR(opt, step_size=1, gamma=0.1), 3)
    decay.load_state_dict(kept)
    assert opt.lr == decay.get_last_lr()[0] == 0.0125
    lrs(decay, 2)
    later = decay.state_dict()
    decay.load_state_dict(kept)
    assert opt.lr == 0.0125 and lrs(decay, 1) == [0.0125, 0.00625]
    decay.load_state_dict(later)
    assert opt.lr == 0.003125
    decay.load_state_dict(kept)  # (straight after a later state)
    assert opt.lr == 0.0125


def test_a_state_without_the_optimizers_lr_sets_its_own_last_lr():
    # (saved before optimizer_lr was kept, as the lr of its last step)
    opt = sgd(0.1)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    lrs(scheduler, 2)
    state = scheduler.state_dict()
    assert state["optimizer_lr"] == 0.025
    del state["optimizer_lr"]
    opt.lr = 0.3
    scheduler.load_state_dict(state)
    assert opt.lr == 0.025


class Restarts(LRScheduler):
    """A PyTorch-style subclass with state of its own, which get_lr keeps."""

    def __init__(self, optimizer, period, last_epoch=-1):
        self.period, self.restarts, self.history = period, 0, []
        self.phase = ("warm", 5)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch and self.last_epoch % self.period == 0:
            self.restarts += 1
            self.history.append(self.last_epoch)
        return [self.base_lrs[0] * 0.5 ** self.restarts
                * (1 - (self.last_epoch % self.period) / self.period)]


@pytest.mark.parametrize("through_files", [False, True])
def test_a_subclasss_own_attributes_are_saved_and_loaded(through_files, tmp_path):
    # only the base class's keys were saved: the resumed schedule forgot its restarts
    # (an lr 4 times too large), and a state holding them was refused
    opt = sgd(0.1)
    scheduler = Restarts(opt, 3)
    scheduler.phase = ("warm", 6)
    lrs(scheduler, 7)
    state = scheduler.state_dict()
    assert (state["period"], state["restarts"], state["history"]) == (3, 2, [3, 6])
    if through_files:
        del state["phase"]  # (a tuple of a str and an int: a file keeps one type)
        nn.save(state, tmp_path / "s.npz")
        state = nn.load_state(tmp_path / "s.npz")
    resumed = Restarts(sgd(0.1), 3)
    resumed.load_state_dict(state)
    assert (resumed.restarts, resumed.history) == (2, [3, 6])
    assert type(resumed.restarts) is int and type(resumed.history) is list
    assert resumed.phase == (("warm", 5) if through_files else ("warm", 6))  # (kept)
    assert lrs(resumed, 4) == lrs(scheduler, 4)


def test_a_subclasss_attributes_are_copies_and_a_file_that_changed_types_is_refused(
        tmp_path):
    # the state shared the subclass's lists and dicts: training after a load changed
    # the kept state, and going back to it a second time gave other numbers (QA 28)
    opt = sgd(0.1)
    scheduler = Restarts(opt, 3)
    lrs(scheduler, 4)
    kept = scheduler.state_dict()
    scheduler.load_state_dict(kept)
    lrs(scheduler, 3)
    assert kept["history"] == [3] and scheduler.history == [3, 6]
    scheduler.load_state_dict(kept)
    assert scheduler.history == [3] and lrs(scheduler, 3)[1:] == lrs(Restarts(sgd(0.1),
                                                                            3), 7)[5:]
    # a tuple of a str and an int comes back from a file as two strings: refused
    nn.save(kept, tmp_path / "s.npz")
    before = dict(vars(scheduler))
    with pytest.raises(ValueError, match=r"the attribute 'phase' came back from the file "
                                         r"as \('warm', '5'\), whose elements are not of "
                                         r"the types of \('warm', 5\).*pickle"):
        scheduler.load_state_dict(nn.load_state(tmp_path / "s.npz"))
    assert vars(scheduler) == before
    # an attribute the subclass makes later is taken, as PyTorch's load takes it
    scheduler.best = 0.5
    state = scheduler.state_dict()
    fresh = Restarts(sgd(0.1), 3)
    fresh.load_state_dict(state)
    assert fresh.best == 0.5
    with pytest.raises(ValueError, match="unexpected key 'best'"):  # (a library class)
        StepLR(sgd(0.1), step_size=2).load_state_dict(
            dict(StepLR(sgd(0.1), step_size=2).state_dict(), best=0.5))
    # but not a key that would hide a method (QA round 29: 'step' made step() fail)
    with pytest.raises(ValueError, match="unexpected key 'step'"):
        fresh.load_state_dict(dict(state, step=3))
    assert callable(fresh.step)
    # NumPy numbers in a list come back from a file as Python's, which is no change
    scheduler.history = [np.int64(3), np.int64(6)]
    nn.save({k: v for k, v in scheduler.state_dict().items() if k != "phase"},
            tmp_path / "n.npz")
    fresh.history = [np.int64(0)]
    fresh.load_state_dict(nn.load_state(tmp_path / "n.npz"))
    assert fresh.history == [3, 6]


def test_an_attribute_that_cannot_be_copied_is_named():
    import threading

    scheduler = Restarts(sgd(0.1), 3)
    scheduler.lock = threading.Lock()
    with pytest.raises(TypeError, match=r"^Restarts.state_dict: the attribute 'lock' cannot "
                                        r"be copied"):
        scheduler.state_dict()
    del scheduler.lock
    state = dict(scheduler.state_dict(), lock=threading.Lock())
    before = dict(vars(scheduler))
    with pytest.raises(ValueError, match=r"the attribute 'lock' cannot be copied.*nothing "
                                         r"was loaded"):
        scheduler.load_state_dict(state)
    assert vars(scheduler) == before


def test_the_first_lr_record_can_be_removed_as_in_pytorch():
    # PyTorch's param_groups[0].pop("initial_lr") made a later LambdaLR start from the
    # current lr; here it raised TypeError (keys cannot be deleted)
    opt = sgd(0.1)
    LinearLR(opt, start_factor=0.5, total_iters=2)
    opt.lr = 0.01
    assert LambdaLR(opt, lambda e: 1.0).get_last_lr() == [0.1]  # (the first lr)
    assert opt.param_groups[0].pop("initial_lr") == 0.1
    assert "initial_lr" not in opt.param_groups[0] and "initial_lr" not in opt.state_dict()
    assert opt.param_groups[0].pop("initial_lr", None) is None
    with pytest.raises(KeyError, match="no 'initial_lr'"):
        del opt.param_groups[0]["initial_lr"]
    opt.lr = 0.02
    scheduler = LambdaLR(opt, lambda e: 0.5)
    assert scheduler.base_lrs == [0.02] and opt.lr == 0.01
    assert opt.param_groups[0]["initial_lr"] == 0.02
    with pytest.raises(TypeError, match="only 'initial_lr'.*not 'lr'"):
        del opt.param_groups[0]["lr"]
    assert opt.lr == 0.01


def test_a_state_saved_before_start_lrs_was_kept_is_loaded():
    opt, scheduler = resumable()
    lrs(scheduler, 2)
    state = scheduler.state_dict()
    del state["start_lrs"]  # (as the first version of the schedulers saved it)
    opt, scheduler = resumable()
    scheduler.load_state_dict(state)
    assert scheduler.start_lrs == [0.1] and lrs(scheduler, 1) == [0.0625, 0.08125]


class Picky(SGD):
    """An optimizer whose own lr setter refuses an lr of 0.05."""

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        if value == 0.05:
            raise ValueError("Picky: not 0.05")
        self._lr = value


def test_a_scheduler_pickled_before_start_lrs_was_kept_steps():
    import pickle

    opt, scheduler = resumable()
    lrs(scheduler, 2)
    opt2, copied = pickle.loads(pickle.dumps((opt, scheduler)))  # (a new pickle)
    assert copied.optimizer is opt2 and lrs(copied, 1) == [0.0625, 0.08125]
    fields = dict(vars(scheduler))
    del fields["start_lrs"]
    restored = object.__new__(LinearLR)
    restored.__setstate__(fields)
    assert lrs(restored, 1) == [0.0625, 0.08125]


def test_a_refused_load_leaves_the_optimizers_lr():
    opt, scheduler = resumable()
    state = {**scheduler.state_dict(), "_last_lr": [0.05], "gamma": 1.0}
    with pytest.raises(ValueError, match="unexpected key 'gamma'; nothing was loaded"):
        scheduler.load_state_dict(state)
    assert opt.lr == 0.025 and scheduler.get_last_lr() == [0.025]
    opt = Picky([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    scheduler = StepLR(opt, 1, gamma=0.5)
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match="Picky: not 0.05"):
        scheduler.load_state_dict({**before, "last_epoch": 1, "_last_lr": [0.05],
                                   "optimizer_lr": 0.05})
    assert scheduler.state_dict() == before and opt.lr == 0.1


def test_a_step_whose_lr_the_optimizer_refuses_changes_nothing():
    # last_epoch went on though the lr was not set, so the next step skipped an epoch
    opt = Picky([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    scheduler = StepLR(opt, 1, gamma=0.5)
    before = scheduler.state_dict()
    for _ in range(2):
        with pytest.raises(ValueError, match="Picky: not 0.05"):
            scheduler.step()
        assert scheduler.state_dict() == before and opt.lr == 0.1


def test_the_refusal_names_the_order_to_resume_in():
    opt, scheduler = resumable()
    lrs(scheduler, 2)
    opt_state = opt.state_dict()
    opt, scheduler = resumable()
    opt.load_state_dict(opt_state)  # the scheduler's state not loaded
    with pytest.raises(RuntimeError, match=r"or one saved at another time than the "
                                           r"scheduler's: the state loaded last sets the "
                                           r"lr\). To resume, make the scheduler before "
                                           r"loading the optimizer's state, and load the "
                                           r"scheduler's state of the same checkpoint "
                                           r"too.*Nothing was changed"):
        scheduler.step()


@pytest.mark.parametrize("scheduler_last", [True, False])
def test_of_states_saved_at_different_times_the_one_loaded_last_sets_the_lr(
        scheduler_last):
    # documented (QA round 29): an optimizer's state of epoch 10 with a scheduler's of
    # epoch 8
    opt = sgd(0.1)
    scheduler = LambdaLR(opt, lambda e: 0.5 ** e)
    lrs(scheduler, 8)
    early = scheduler.state_dict()
    lrs(scheduler, 2)
    late = opt.state_dict()
    opt = sgd(0.1)
    scheduler = LambdaLR(opt, lambda e: 0.5 ** e)
    for load in ([lambda: opt.load_state_dict(late), lambda: scheduler.load_state_dict(early)]
                 if scheduler_last else
                 [lambda: scheduler.load_state_dict(early), lambda: opt.load_state_dict(late)]):
        load()
    assert opt.lr == (0.1 * 0.5 ** 8 if scheduler_last else 0.1 * 0.5 ** 10)
    assert "the one loaded last sets the lr" in nn.optim.lr_scheduler.__doc__


def test_an_optimizer_whose_lr_property_computes_it_is_seen_as_changed():
    # (documented: its lr is not the one the scheduler set)
    class WarmupSGD(SGD):
        @property
        def lr(self):
            return self.base_lr * min(1.0, (self.steps + 1) / 10)

        @lr.setter
        def lr(self, value):
            self.base_lr = value

    scheduler = StepLR(WarmupSGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0), 5)
    with pytest.raises(RuntimeError, match="changed outside the scheduler"):
        scheduler.step()
    assert "computes its value" in nn.optim.lr_scheduler.__doc__


def test_warmup_then_decay_recipes_give_pytorchs_sequential_lr():
    # the module doc's recipes
    opt = sgd(0.1)
    scheduler = LinearLR(opt, start_factor=0.1, total_iters=5)
    ours = []
    for epoch in range(20):
        if epoch == 5:
            scheduler = CosineAnnealingLR(opt, T_max=15)
        ours.append(opt.lr)
        scheduler.step()
    warmup = LambdaLR(sgd(0.1), lambda e: (e + 1) / 5 if e < 5 else 0.5 ** ((e - 5) // 3))
    assert lrs(warmup, 9) == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1, 0.1,
                                            0.05, 0.05], rel=1e-14)
    torch = pytest.importorskip("torch")
    import warnings

    from torch.optim import lr_scheduler as their_module

    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (its step(0) of the second warns)
        sequential = their_module.SequentialLR(theirs, [
            their_module.LinearLR(theirs, start_factor=0.1, total_iters=5),
            their_module.CosineAnnealingLR(theirs, T_max=15)], milestones=[5])
        expected = []
        for _ in range(20):
            expected.append(theirs.param_groups[0]["lr"])
            theirs.step()
            sequential.step()
    np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-300)


# -- Messages (QA round 23) -------------------------------------------------------------

def test_an_optimizer_without_a_number_lr_is_named():
    class SignSGD(nn.optim.Optimizer):
        def __init__(self, params, lr=None):
            super().__init__(params)
            self.lr = lr

        def _step(self, x, g, state):
            return 0.01 * np.sign(g)

    opt = SignSGD([Tensor(np.zeros(1), requires_grad=True)])
    with pytest.raises(TypeError, match=r"^StepLR: the optimizer's lr must be a real "
                                        r"number, got NoneType: None"):
        StepLR(opt, 2)
    assert opt.lr is None and not hasattr(opt, "initial_lr")


@pytest.mark.parametrize("make", [
    lambda opt: ExponentialLR(opt, gamma=10.0),  # 10.0 ** 309 overflows: OverflowError
    lambda opt: StepLR(opt, 1, gamma=1e10),  # 0.1 * 1e10 ** 31: inf
    lambda opt: LambdaLR(opt, lambda e: 10 ** (10 * e)),  # an int too large for a float
], ids=["Exponential", "Step", "Lambda"])
def test_an_lr_too_large_for_a_float_is_named_with_its_epoch(make):
    opt = sgd(0.1)
    scheduler = make(opt)
    name = type(scheduler).__name__
    with pytest.raises(ValueError, match=rf"^{name}.step: the lr for epoch \d+ "):
        for _ in range(400):
            scheduler.step()
    before = (scheduler.last_epoch, opt.lr, scheduler.get_last_lr())
    with pytest.raises(ValueError, match=rf"for epoch {before[0] + 1} ") as refused:
        scheduler.step()
    assert "((" not in str(refused.value)  # (a power's (errno, text) shown as a tuple)
    assert (scheduler.last_epoch, opt.lr, scheduler.get_last_lr()) == before
    assert math.isfinite(opt.lr)


@pytest.mark.filterwarnings("error:.*before the optimizer's first step")
def test_a_scheduler_stepped_before_its_optimizer_warns_once_as_pytorchs():
    # the order of PyTorch before 1.1 (scheduler.step() first) skipped the first lr,
    # silently (QA round 30); PyTorch warns
    model = nn.Linear(2, 1, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    with pytest.warns(UserWarning, match=r"^StepLR.step\(\) was called before the "
                                         r"optimizer's first step\(\) since the scheduler "
                                         r"was made: the schedule's first lr was never used"):
        scheduler.step()
    scheduler.step()  # (once)
    # the right order, a scheduler made after training began, and a resumed one: quiet
    opt = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    model(Tensor(np.ones((1, 2)))).sum().backward()
    opt.step()
    scheduler.step()
    fresh = SGD(model.parameters(), lr=0.1)
    resumed = StepLR(fresh, step_size=1, gamma=0.5)
    resumed.load_state_dict(scheduler.state_dict())
    resumed.step()
    StepLR(opt, step_size=1).step()  # (made after training began)


@pytest.mark.filterwarnings("error:.*before the optimizer's first step")
def test_the_early_step_warning_counts_steps_since_the_scheduler_and_only_real_ones():
    # QA round 31: a scheduler made after training began, stepped first, was quiet (as
    # torch is not); a refused step used the warning up; an optimizer with a step() of
    # its own, which counts nothing, was warned about in the right order
    model = nn.Linear(2, 1, seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    opt.step()
    late = StepLR(opt, step_size=1, gamma=0.5)
    with pytest.warns(UserWarning, match="since the scheduler was made"):
        late.step()
    opt = SGD(model.parameters(), lr=0.1)
    refused = LambdaLR(opt, lambda e: 1.0 if e == 0 else "x")
    with pytest.raises(TypeError):
        refused.step()  # (refused: no warning, and it is not used up)
    refused.lr_lambdas = [lambda e: 0.5]
    with pytest.warns(UserWarning, match="before the optimizer's first step"):
        refused.step()

    class OwnStep(SGD):
        def step(self):  # (a rule of its own, without Optimizer.step's count)
            for p in self.params:
                p.data -= self.lr * 0.0

    opt = OwnStep(model.parameters(), lr=0.1)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    scheduler.step()  # quiet (an error here, by the filter, if it warned)
