"""Exercises of lesson 06 (a PyTorch MLP), which comes in three parts.

One module serves the notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 06a_pytorch_training_loop: exercise 1 ``torch_train_step``;
- 06b_mlp_on_images: exercise 2 ``torch_accuracy``, exercise 3 ``torch_digit_mlp``, exercise 4 ``torch_evaluate``;
- 06c_mlp_in_practice checks none (it imports the references from ``course_utils.digit_models`` and
  ``course_utils.torch_training``, so it runs without 06b).

The references live in the lesson code. torch is imported inside the functions only.
"""
import numpy as np

from ..i18n import t
from . import distributed, keras_cnn, welcome
from .base import (COURSE_VERSION as _COURSE_VERSION, Case, Exercise, InputChanged, Mismatch, Mistake, called,
                   catalogued, compare_values, draw_floats, draw_shape, generated, note_a_made_call,
                   refuse_a_missing_error, refusing_course_versions)


# ---------------------------------------------------------------- references (lazy torch import)
def _train_step(model, loss_fn, optimizer, x, y):
    from ..torch_training import train_step

    return train_step(model, loss_fn, optimizer, x, y)


def _accuracy(logits, labels):
    from ..torch_training import accuracy

    return accuracy(logits, labels)


def _evaluate(model, loader, loss_fn, device=None):
    from ..torch_training import evaluate

    return evaluate(model, loader, loss_fn, device)


def _digit_mlp(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from ..digit_models import DigitMLP

    return DigitMLP(n_in, n_hidden1, n_hidden2, n_out, dropout)


def _logits(net, x):
    x = net.dropout(net.hidden1(x.flatten(start_dim=1)).relu())
    return net.output(net.dropout(net.hidden2(x).relu()))


def _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, forward):
    """A module with the exercise's three layers and one nn.Dropout whose forward pass is ``forward(net, x)``."""
    from torch import nn

    class DigitMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden1 = nn.Linear(n_in, n_hidden1)
            self.hidden2 = nn.Linear(n_hidden1, n_hidden2)
            self.output = nn.Linear(n_hidden2, n_out)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return forward(self, x)

    return DigitMLP()


# ---------------------------------------------------------------- exercise 1: one training step
def _step_cases():
    return [
        Case((8, 4, 3), label="a batch of 8 examples, 4 features, 3 classes"),
        Case((1, 4, 3), label="a batch of one"),
        Case((8, 4, 3), {"scale": 100.0}, label="large inputs"),
        Case((8, 4, 3), {"label_smoothing": 0.1}, label="loss_fn with label smoothing 0.1"),
        Case((8, 4, 3), {"dropout": 0.5}, label="a model with dropout, in training mode"),
        Case((8, 4, 3), {"batch_norm": True}, label="a model with batch normalisation (statistics of the whole batch)"),
        Case((8, 4, 3), {"frozen": True}, label="a model whose first layer the caller froze (requires_grad=False)"),
        Case((8, 4, 3), {"groups": True}, label="an optimizer with two parameter groups (the last layer's lr is 10x)"),
        Case((8, 4, 3), {"dtype": "float64"}, label="a float64 model and batch"),
        Case((8, 2, 1), {"loss": "bce"}, label="the lesson's binary set-up: one output, nn.BCEWithLogitsLoss, float "
             "labels of shape (8, 1)"),
        Case((6, 3, 2), {"loss": "mse"}, label="a regression with two outputs: nn.MSELoss, float targets of shape (6, 2)"),
        Case((8, 4, 3), {"sequence": 3}, label="x of shape (8, 3, 4), 3 steps of 4 features: the model's first layer acts "
             "on the last axis"),
        Case((8, 4, 3), {"n_labels": 5}, label="5 labels for 8 examples (the loss raises ValueError by itself)", raises=ValueError),
        Case((8, 4, 3), {"weighted": True}, label="loss_fn with class weights (1, 3, 0.5) and ignore_index=2 (examples "
             "of class 2 do not count)"),
        Case((8, 4, 3), {"batch_norm": True, "frozen_norm": True}, label="a model whose BatchNorm layer the caller put "
             "in eval mode (its statistics frozen, as when fine-tuning), the rest in training mode"),
        *generated(_draw_step_case, count=5, seed=63),
        Case((8, 4, 2), {"loss": "mse", "target_scale": 1e12, "dtype": "float64", "lr": 1e-9}, label="a huge "
             "gradient (float64, regression targets of about 1e12, lr 1e-9): the optimizer's step, however large the "
             "gradient"),
        Case((8, 4, 3), {"dtype": "float64", "offset": 1e8}, label="a float64 model whose logits all lie near 1e8 "
             "(cross-entropy ignores a shift shared by every class; float32, whose numbers there are 8 apart, would "
             "round away the differences between them)"),
        Case((8, 4, 2), {"loss": "mse", "fitted": True}, label="a model that already fits the batch almost exactly "
             "(nn.MSELoss of about 1e-6): the steps are small, but they are still taken"),
        Case((8, 4, 3), {"nan_feature": True}, label="a batch with one NaN feature: the loss is NaN, and the five steps "
             "spread it into the weights (zeroing or skipping NaN gradients would hide the broken batch)"),
        Case((8, 4, 3), {"stale_value": float("nan")}, label="stale gradients that are NaN, left by a broken earlier "
             "batch (p.grad * 0 is still NaN): optimizer.zero_grad() clears them"),
        Case((8, 4, 3), {"dropout": 0.5, "batch_norm": True, "eval_model": True}, label="a model the caller put in eval "
             "mode as a whole (dropout off, BatchNorm statistics frozen): the step trains it in that mode and leaves it "
             "there"),
        Case((8, 4, 3), {"on_a_gpu": True}, label="a batch on a GPU, as 06a trains on the device it finds (the check "
             "imitates one: .numpy() raises until .cpu())"),
    ]


_OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw", "rmsprop")


def _draw_step_case(rng):
    """A small model, batch and loss, one of several optimizer kinds and learning rates, 2 or 3 steps, stale
    gradients on only some parameters (a parameter that had no backward pass yet has p.grad None), and the first
    0 to 5 arguments by position, the rest by keyword (taken from the seed, so the other draws stay as they were); a
    regression (nn.MSELoss) has one output and targets of shape (n, 1) when the seed is even (an output axis of size
    1, which model(x).squeeze(-1) would drop)."""
    n, n_in, k = int(rng.integers(2, 13)), int(rng.integers(1, 10)), int(rng.integers(2, 8))
    settings = {"scale": float(rng.choice([0.1, 1.0, 10.0, 50.0])), "hidden": int(rng.integers(3, 12)),
                "optimizer": str(rng.choice(_OPTIMIZERS)), "lr": float(rng.choice([0.003, 0.02, 0.1, 0.3])),
                "steps": int(rng.integers(2, 4)), "seed": int(rng.integers(0, 1000)), "stale": "some",
                "dropout": float(rng.choice([0.0, 0.2, 0.5])), "batch_norm": bool(rng.integers(0, 2))}
    if rng.random() < 0.3:
        settings["loss"] = "mse"  # a regression: float targets (n, k)
    else:
        settings.update(label_smoothing=float(rng.choice([0.0, 0.05, 0.3])),
                        reduction=str(rng.choice(["mean", "sum"])))
    settings["positional"] = settings["seed"] % 6
    if settings.get("loss") == "mse" and settings["seed"] % 2 == 0:
        k = 1
    return Case((n, n_in, k), settings)


def _step_optimizer(params, kind, lr):
    import torch

    if kind == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.8, nesterov=True, weight_decay=0.01)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.8, 0.99))
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.1)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9)
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def _resets_the_generator(call) -> bool:
    """Whether ``call()``, run again under two torch seeds, leaves PyTorch's generator at the same place (a
    torch.manual_seed inside it), where it must leave it where each seed led."""
    import torch

    draws = []
    for seed in (11, 12):
        torch.manual_seed(seed)
        call()
        draws.append(torch.rand(4))
    return torch.equal(*draws)


def _run_step(train_step, case):
    """Steps on a small seeded model whose parameters hold stale gradients; returns the numbers."""
    import torch
    from torch import nn

    n, n_in, k = case.args
    kw = case.kwargs
    scale, n_labels = kw.get("scale", 1.0), kw.get("n_labels", n)
    dtype = getattr(torch, kw.get("dtype", "float32"))
    gen = torch.Generator().manual_seed(kw.get("seed", 0))
    steps_in = (kw["sequence"],) if "sequence" in kw else ()
    x = (scale * torch.randn(n, *steps_in, n_in, generator=gen)).to(dtype)
    if kw.get("nan_feature"):
        x[0, 0] = float("nan")  # a broken example: the step must not hide it
    if kw.get("loss") == "mse":
        y = (kw.get("target_scale", 1.0) * torch.randn(n_labels, k, generator=gen)).to(dtype)
        loss_fn = nn.MSELoss()
    elif kw.get("loss") == "bce":  # the lesson's moons: one logit per example, float labels 0/1 of shape (n, 1)
        y = torch.randint(0, 2, (n_labels, k), generator=gen).to(dtype)
        loss_fn = nn.BCEWithLogitsLoss()
    else:
        y = torch.randint(0, k, (n_labels,), generator=gen)
        weighted = {"weight": torch.tensor([1.0, 3.0, 0.5], dtype=dtype), "ignore_index": 2} if kw.get("weighted") else {}
        loss_fn = nn.CrossEntropyLoss(label_smoothing=kw.get("label_smoothing", 0.0),
                                      reduction=kw.get("reduction", "mean"), **weighted)
    torch.manual_seed(kw.get("seed", 0))
    hidden = kw.get("hidden", 8)
    norm = [nn.BatchNorm1d(hidden)] if kw.get("batch_norm") else []
    flat = [nn.Flatten()] if steps_in else []  # (n, steps, hidden) -> (n, steps * hidden)
    model = nn.Sequential(nn.Linear(n_in, hidden), *norm, nn.ReLU(), nn.Dropout(kw.get("dropout", 0.0)), *flat,
                          nn.Linear(hidden * (steps_in or (1,))[0], k)).to(dtype)
    if kw.get("frozen"):
        model[0].requires_grad_(False)  # fine-tuning: the optimizer holds the layer, but it gets no gradient
    if kw.get("frozen_norm"):  # fine-tuning: the BatchNorm layer keeps its pretrained statistics (eval mode)
        with torch.no_grad():
            model[1].running_mean.uniform_(-1.0, 1.0, generator=gen)
            model[1].running_var.uniform_(0.5, 2.0, generator=gen)
        model[1].eval()
    if kw.get("eval_model"):  # the caller trains with every layer in eval mode (no dropout, frozen statistics)
        model.eval()
    if kw.get("offset"):  # round 20: the loss taken on logits cast to float32 passed with a float64 model
        with torch.no_grad():
            model[-1].bias.add_(kw["offset"])
    if kw.get("fitted"):  # targets the model already fits almost exactly: a loss of about 1e-6
        with torch.no_grad():
            y = model(x) + 1e-3 * torch.randn(n_labels, k, generator=gen).to(dtype)
    moved_to_the_cpu, calls = [], []
    # round 21: loss_fn(model.forward(x), y) skips the model's hooks, and the course's fit() reads each step's logits
    # through a forward hook (torch_training._step)
    model.register_forward_pre_hook(lambda module, inputs: calls.append(module))
    if kw.get("on_a_gpu"):  # round 17: a loss taken through .numpy() passed, as on the CPU
        x, y = _on_a_gpu(x), _on_a_gpu(y)
        # round 19: x.cpu() (or x.to("cpu")) and y.cpu() in the step passed, as the check's model has no device
        model.register_forward_pre_hook(lambda module, inputs: moved_to_the_cpu.extend(
            getattr(type(value), "on_the_cpu", False) for value in inputs))
    modes = [m.training for m in model.modules()]
    for i, p in enumerate(model.parameters()):
        if kw.get("stale", "all") == "all" or i % 2 == 0:
            p.grad = torch.full_like(p, kw.get("stale_value", 1.0))  # left over from an earlier step: zero_grad clears them
    trainable = [p.requires_grad for p in model.parameters()]
    # momentum gives the optimizer a state, and lr is not the lesson's 0.01: an optimizer made inside the step shows
    lr = kw.get("lr", 0.05)
    params = model.parameters()
    if kw.get("groups"):  # as when fine-tuning: the new last layer learns faster than the layers before it
        params = [{"params": model[:-1].parameters()}, {"params": model[-1].parameters(), "lr": 10 * lr}]
    optimizer = _step_optimizer(params, kw.get("optimizer", "sgd"), lr)
    cut, values = kw.get("positional", 5), (model, loss_fn, optimizer, x, y)
    keywords = dict(zip(_STEP_NAMES[cut:], values[cut:]))
    _check_names(train_step, "train_step", _STEP_NAMES, cut)
    results, batch, hooks = [], [(v, v.detach().clone()) for v in (x, y)], _hooks_on(model)
    loss_settings = _loss_settings(loss_fn)
    stepped = []  # round 23: a step without optimizer.step() was told to call backward() before step()
    optimizer.register_step_post_hook(lambda *_: stepped.append(True))
    for _ in range(kw.get("steps", 2)):
        before = [p.detach().clone() for p in model.parameters()]
        with _moving_as_tensor(_on_a_gpu_class()):   # round 39 (r399i F1): torch.as_tensor(x, device="cpu")
            results.append(train_step(*values[:cut], **keywords))
        if results[-1] is None:
            raise Mismatch(t("the function returned None. Did you forget `return`?"))
        refuse_a_missing_error(case, results[-1])
        if not calls:
            raise Mismatch(t("train_step called model.forward(x), which skips the model's hooks: call the model itself, "
                             "out = model(x). A caller's forward hook (the course's fit() reads the logits of each "
                             "step through one) never runs otherwise"))
        calls.clear()
        # on the plain cases only: a step skipped on purpose (a NaN loss) has its own catalogued message
        if not kw and not stepped and all(torch.equal(a, p.detach()) for a, p in zip(before, model.parameters())):
            raise Mismatch(t("train_step never called optimizer.step(), so the weights did not change: after "
                             "loss.backward(), call optimizer.step() (it updates every parameter from its gradient)"))
        stepped.clear()
        if any(moved_to_the_cpu):
            raise Mismatch(t("train_step moved the batch to the CPU (x.cpu() or x.to(\"cpu\")) before the model: on a "
                             "GPU the model's weights stay on \"cuda\", and torch refuses to mix the two devices. Give "
                             "the model x and the loss y as the caller gave them"))
        if _hooks_on(model) != hooks:
            raise Mismatch(t("your function left a hook on the caller's model (register_forward_hook, "
                             "register_full_backward_hook or a weight's register_hook): it runs in every later forward "
                             "or backward pass, at every later step. Keep the handle it returns and call handle.remove() "
                             "before returning"))
        if _loss_settings(loss_fn) != loss_settings:
            raise Mismatch(t("train_step changed the caller's loss_fn (a setting such as its reduction, or a buffer "
                             "such as its class weights): every later step would compute another loss. Call loss_fn "
                             "as it was given"))
        if any(v.requires_grad or v.grad is not None for v, _ in batch):
            raise Mismatch(t("train_step switched on requires_grad for the caller's x or y: the parameters need "
                             "gradients, the data does not, and every later step would also compute and keep x.grad "
                             "(and x.numpy() fails). Leave x and y as they are"))
        if any(v.shape != copy.shape or v.dtype != copy.dtype or not _same_values(v, copy) for v, copy in batch):
            raise Mismatch(t("train_step changed the caller's x or y in place: the caller's batch must stay as it was"))
        changed = {str(p.dtype) for p in model.parameters() if p.dtype != dtype}
        if changed:
            raise Mismatch(t("train_step changed the dtype of the caller's model (its parameters are now {dtype}): "
                             "leave the model as it was given", dtype=", ".join(sorted(changed))))
        if any(p.grad is not None and p.grad.requires_grad for p in model.parameters()):
            raise Mismatch(t("train_step left gradients that hold a graph of their own (p.grad.requires_grad is True), "
                             "as loss.backward(create_graph=True) does: that is for second derivatives, and here each "
                             "parameter and its gradient keep each other alive (memory grows). Call loss.backward()"))
        if modes[0] and not model.training:
            raise Mismatch(t("train_step left the model in eval mode (model.training is False after it returned)"))
        if [m.training for m in model.modules()] != modes:
            raise Mismatch(t("train_step changed the mode of some of the caller's layers (model.train() or model.eval() "
                             "inside the step): the caller may keep a layer in eval mode on purpose, as a BatchNorm "
                             "layer with frozen statistics when fine-tuning. Leave the modes to the caller"))
        if [p.requires_grad for p in model.parameters()] != trainable:
            raise Mismatch(t("train_step changed which parameters require gradients (requires_grad): a layer the "
                             "caller froze must stay frozen, and a trainable one trainable. Leave requires_grad alone"))
    kind = _loss_kind(results[0])
    losses = [float(r.detach()) if isinstance(r, torch.Tensor) else float(r) for r in results]
    weights = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()
    if kw.get("dropout") and "seed" not in kw and not kw.get("eval_model"):  # round 21: torch.manual_seed inside the
        # step was told that its returned loss was wrong. On the named dropout case only (the seeds cost 0.4 s a check),
        # stepped again under two seeds, it must leave torch's generator where they led
        if _resets_the_generator(lambda: train_step(*values[:cut], **keywords)):
            raise Mismatch(t("train_step reset PyTorch's random generator (torch.manual_seed inside train_step?): the "
                             "training loop calls it at every step, so every step then draws the same dropout masks, "
                             "and every shuffle after it repeats. Leave seeding to the caller, who seeds once before "
                             "training"))
    return np.array(losses), weights, kind


_STEP_NAMES = ("model", "loss_fn", "optimizer", "x", "y")


def _loss_settings(loss_fn):
    """A loss function's public settings (reduction, label_smoothing, ignore_index, ...) and its buffers (the class
    weights of nn.CrossEntropyLoss(weight=...)), as plain values."""
    settings = {k: v for k, v in vars(loss_fn).items() if not k.startswith("_") and k != "training"}
    buffers = {k: (str(v.dtype), v.tolist()) for k, v in loss_fn.named_buffers()}
    return repr(settings), buffers


def _same_values(a, b):
    """Whether two tensors of one shape hold the same values, a NaN equal to a NaN (a batch may hold one)."""
    return bool(((a == b) | (a != a) & (b != b)).all())


def _hooks_on(model):
    """The number of hooks on each module of the model (forward, forward-pre, backward) and on each parameter."""
    counts = [len(getattr(module, name, None) or {}) for module in model.modules() for name in
              ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")]
    return counts + [len(p._backward_hooks or {}) for p in model.parameters()]


def _check_names(answer, name, names, cut):
    """A Mismatch unless ``answer`` takes the first ``cut`` of ``names`` by position and the rest by keyword."""
    import inspect

    try:
        signature = inspect.signature(answer)
    except (TypeError, ValueError):  # not a Python function: the call itself will tell
        return
    try:
        signature.bind(*names[:cut], **dict.fromkeys(names[cut:]))
    except TypeError:
        raise Mismatch(t("{name} cannot be called with {keywords} by keyword: keep the parameter names of the "
                         "signature {name}({names})", name=name, keywords=", ".join(f"{n}=..." for n in names[cut:]),
                         names=", ".join(names))) from None


_LOSS_KINDS = {
    "float": "",
    "tensor with graph": "returned the loss tensor, which still holds the graph of the whole step "
                         "(grad_fn): return loss.item(), a Python float",
    "tensor": "returned a tensor: return loss.item(), a Python float",
    "other": "the loss must be returned as a Python float: return loss.item()",
    "numpy": "returned a numpy float32, not a Python float: return loss.item() (not .numpy(), which gives numpy's "
             "float32 and fails on a GPU)",
}


def _loss_kind(result):
    import torch

    if isinstance(result, torch.Tensor):
        return "tensor with graph" if result.requires_grad else "tensor"
    if isinstance(result, float):  # np.float64 is one
        return "float"
    return "numpy" if isinstance(result, np.floating) else "other"


def _compare_step(got, want):
    losses, weights, kind = got
    if kind != want[2]:
        raise Mismatch(t(_LOSS_KINDS[kind] or "the loss should be returned as a tensor"))
    if not np.isclose(losses[0], want[0][0], rtol=1e-5, atol=1e-7, equal_nan=True):
        # round 26: a softmax before the loss was told to return the loss before the update, which it did
        raise Mismatch(t("the returned loss {got:.6g} should be {want:.6g}: return loss.item() of the loss you call "
                         "backward() on (the loss of the batch before the update), computed as loss_fn(out, y) on the "
                         "model's output as it is, out = model(x), with no softmax or sigmoid before the loss",
                         got=losses[0], want=want[0][0]))
    if not np.allclose(weights, want[1], rtol=1e-5, atol=1e-7, equal_nan=True):
        # round 25: gradients clipped (clip_grad_norm_) or a loss divided again before backward() got only the
        # question about the order of the five steps, which such an answer keeps
        raise Mismatch(t("the weights after two steps are wrong. Did you call optimizer.zero_grad() first "
                         "(the model starts with stale gradients), then forward, loss, loss.backward() "
                         "and optimizer.step(), with nothing between them that changes the gradients (no clipping "
                         "with clip_grad_norm_, no loss scaled or divided again before backward())?"))
    compare_values(losses, want[0], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- a tensor that behaves as on a GPU
_ON_A_GPU = []
_MIXING_ALLOWED = set()  # what CUDA allows across devices: indexing with CPU indices, copies and moves


def _on_a_gpu_class():
    """A tensor class that refuses .numpy() (and np.asarray) as a CUDA tensor does, until .cpu() or .to("cpu").

    The checks run on the CPU, where .detach().numpy() works; on a GPU, as the lesson runs when it has one, it
    raises. Torch operations keep the class, so logits computed from such a batch refuse .numpy() too. What .cpu()
    gives back is marked as on the CPU (class ``OnTheCpu``), and an operation that meets both raises, as on a GPU.
    """
    if not _ON_A_GPU:
        import torch

        class OnAGpu(torch.Tensor):
            def numpy(self, *args, **kwargs):
                raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
                                "tensor to host memory first.")

            def cpu(self, *args, **kwargs):
                return torch.Tensor.cpu(self.as_subclass(torch.Tensor), *args, **kwargs).as_subclass(OnTheCpu)

            def __deepcopy__(self, memo):  # the check copies its inputs
                # a memo of its own for the plain view: the view is a temporary, and the shared memo is keyed by id(),
                # which the next temporary may reuse (the labels' copy was then the logits')
                memo[id(self)] = self.as_subclass(torch.Tensor).__deepcopy__({}).as_subclass(OnAGpu)
                return memo[id(self)]

            def to(self, *args, **kwargs):
                moved = torch.Tensor.to(self.as_subclass(torch.Tensor), *args, **kwargs)
                return moved.as_subclass(OnTheCpu if _to_the_cpu([kwargs.get("device"), *args]) else OnAGpu)

            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                _refuse_mixed_devices(func, (args, kwargs))
                return super().__torch_function__(func, types, args, kwargs)

        def _to_the_cpu(targets):
            """Whether a move to ``targets`` (.to's arguments) goes to the CPU, named as a string. (A torch.device("cpu")
            is the imitated GPU's own device too, as its tensors really lie on the CPU: not told apart.)"""
            return any(isinstance(a, str) and a.startswith("cpu") for a in targets)

        class OnTheCpu(torch.Tensor):
            """What came back from the imitated GPU with .cpu() or .to("cpu"); operations keep the mark."""
            on_the_cpu = True

            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                _refuse_mixed_devices(func, (args, kwargs))
                return super().__torch_function__(func, types, args, kwargs)

        _MIXING_ALLOWED.update({torch.Tensor.__getitem__, torch.Tensor.__setitem__, torch.Tensor.copy_,
                                torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.type_as})
        _ON_A_GPU.extend([OnAGpu, OnTheCpu])
    return _ON_A_GPU[0]


def _refuse_mixed_devices(func, arguments):
    """Raise as CUDA does when ``arguments`` (nested lists, tuples and dicts) hold a tensor "on a GPU" and one known to
    be on the CPU (brought back with .cpu(), or a batch never moved), unless the CPU one is 0-d (CUDA allows those)
    or ``func`` is one that CUDA allows across devices. Other tensors (parameters, new tensors) count as either."""
    import torch

    if func in _MIXING_ALLOWED:
        return
    tensors, pending = [], [arguments]
    while pending:
        item = pending.pop()
        if isinstance(item, torch.Tensor):
            tensors.append(item)
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    if any(isinstance(tensor, _ON_A_GPU[0]) for tensor in tensors) and any(
            getattr(type(tensor), "on_the_cpu", False) and tensor.ndim > 0 for tensor in tensors):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, cuda:0 "
                           "and cpu!")


def _on_a_gpu(tensor):
    return tensor.as_subclass(_on_a_gpu_class())


# ---------------------------------------------------------------- exercise 2: accuracy
def _accuracy_cases():
    import torch

    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(20, 10, generator=gen)
    labels = torch.randint(0, 10, (20,), generator=gen)
    labels[:6] = logits[:6].argmax(dim=1)  # make some of them right
    seven = torch.randn(7, 4, generator=gen)
    ranked = seven.argsort(dim=1, descending=True)
    seven_labels = torch.cat([ranked[:3, 0], ranked[3:5, 1], ranked[5:, 3]])  # 3 right, 2 runner-up classes
    wide = torch.randn(12, 1000, generator=gen)
    wide_labels = torch.tensor([999, 998, 300, 257, 256, 255, 129, 128, 127, 5, 0, 640])
    wide[torch.arange(8), wide_labels[:8]] += 10.0  # 8 right, all of them past what int8 and uint8 hold
    gen = torch.Generator().manual_seed(99)  # a generator of its own: the inputs above stay as they were
    many = torch.randn(5000, 10, generator=gen)
    many_labels = torch.randint(0, 10, (5000,), generator=gen)
    many_labels[:4700] = many[:4700].argmax(dim=1)  # 4,722 right in all
    tied = torch.zeros(6, 40)
    for row in range(6):  # the largest logit of each row at 4 places, far apart
        tied[row, [row + 3, row + 10, row + 25, 39]] = 1.0 + row
    # an untrained model whose last layer starts small: logits about 1e-3 apart (a float32 softmax keeps their order);
    # 1 of 300 right, an accuracy that rounding to 6 or 7 decimals changes
    tiny = 1e-3 * torch.randn(300, 10, generator=gen)
    tiny_labels = (tiny.argmax(dim=1) + 1 + torch.arange(300) % 9) % 10
    tiny_labels[7] = tiny[7].argmax()
    # 65,600 classes: predictions that equal their labels only after both wrap round in 8 or 16 bits
    huge = torch.zeros(4, 65_600)
    huge[torch.arange(4), torch.tensor([65_539, 300, 300, 65_539])] = 1.0
    # round 25: predictions and labels both cast to float16 passed; 5,000 classes, each wrong prediction one class from
    # its label, above 2,048, where float16's whole numbers are 2 or 4 apart (bfloat16's 16 or 32)
    near = torch.zeros(4, 5000)
    near[torch.arange(4), torch.tensor([4097, 2049, 3000, 4999])] = 1.0
    return [
        Case((logits, labels), label="20 examples, 10 classes"),
        Case((torch.tensor([[0.1, 2.0, -1.0]]), torch.tensor([1])), label="a batch of one, right"),
        Case((torch.tensor([[0.1, 2.0, -1.0]]), torch.tensor([2])), label="a batch of one, wrong"),
        # round 24: logits.half() was told "a sigmoid is 1.0 in float32 for every logit above about 17", the catalogued
        # sigmoid's message, as both tie every positive logit of the huge case below
        Case((torch.tensor([[1.0, 1.0001, -1.0], [0.5, -0.3, 0.50002]]), torch.tensor([1, 2])), label="the two "
             "largest logits of each row 1e-4 or 2e-5 apart (float32 tells them apart, float16 and bfloat16 do not): "
             "both right"),
        Case((1e30 * logits, labels), label="huge logits"),
        Case((seven, seven_labels), label="7 examples, 3 right (3/7), 2 labelled with the runner-up class"),
        Case((logits, labels[:15]), label="20 rows of logits but 15 labels (must raise ValueError)", raises=ValueError),
        Case((logits[0], labels[:1]), label="1-D logits (must raise ValueError)", raises=ValueError),
        Case((logits[0], labels[:10]), label="1-D logits, as many as the labels (must raise ValueError)",
             raises=ValueError),
        Case((logits[0, 0], labels[:1]), label="0-d logits, a single number, and one label (must raise ValueError)",
             raises=ValueError),
        Case((logits[:, :, None], labels), label="3-D logits (20, 10, 1) (must raise ValueError)", raises=ValueError),
        Case((logits, labels[:, None]), label="labels as a column (20, 1) (must raise ValueError)", raises=ValueError),
        Case((logits[:1], labels[0]), label="one row of logits and a 0-d label (must raise ValueError)",
             raises=ValueError),
        Case((torch.zeros(0, 10), torch.zeros(0, dtype=torch.long)), label="no examples (must raise ValueError)",
             raises=ValueError),
        Case((logits.clone().requires_grad_(True), labels), label="logits straight from a model, which still "
             "require gradients (outside torch.no_grad())"),
        Case((torch.zeros(6, 4), torch.tensor([0, 1, 2, 0, 3, 0])), label="all logits equal (a last layer that "
             "starts at zero): argmax takes the first of the tied classes, class 0, so 3 of 6 are right"),
        Case((torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 0.0, 3.0], [1.0, 0.0, 0.0]]),
              torch.tensor([1, 1, 2, 0])), label="ties for the largest logit in 3 of 4 rows: the first of them is "
             "the prediction (2 of 4 right)"),
        *generated(_draw_accuracy_case, count=7, seed=76),
        Case((_on_a_gpu(logits), _on_a_gpu(labels)), label="logits and labels on a GPU (the check imitates one: "
             ".numpy() raises until .cpu())"),
        Case((wide, wide_labels), label="1000 classes, as ImageNet has: labels up to 999"),
        Case((torch.tensor([[0.3, 0.3 + 1e-9, -1.0], [5.0, -2.0, 5.0 + 5e-9], [-0.7, -1.0, -0.7 + 1e-10],
                            [0.5, 0.1, 0.2]], dtype=torch.float64), torch.tensor([1, 2, 2, 0])),
             label="float64 logits (a float64 model) whose largest two differ by less than float32 can tell apart: "
             "all 4 right"),
        Case((many, many_labels), label="5,000 examples, 4,722 of them right (Fashion-MNIST's test set has 10,000): "
             "a count that float16 (exact up to 2,048) and bfloat16 (up to 256) round"),
        Case((tied, torch.tensor([3, 11, 15, 28, 39, 8])), label="40 classes, the largest logit of each row tied at 4 "
             "places: the first of them is the prediction (2 of 6 right; a sort may put another tied class first)"),
        Case((tiny, tiny_labels), label="an untrained model whose last layer starts small: logits about 1e-3 apart; "
             "1 of 300 right"),
        Case((huge, torch.tensor([3, 44, 300, 65_539])), label="65,600 classes: 2 of 4 right, and the wrong "
             "predictions (65,539 and 300) equal their labels (3 and 44) once both are cast to 16 or 8 bits"),
        Case((near, torch.tensor([4096, 2048, 3000, 4998])), label="5,000 classes: 1 of 4 right, and each wrong "
             "prediction (4,097, 2,049, 4,999) is one class from its label, a difference float16 and bfloat16 round "
             "away"),
    ]


def _draw_accuracy_case(rng):
    """Logits (n, k) of 1 to 300 rows and 1 to 12 classes, float32 or float64, at any scale, all of one sign or
    mixed, sometimes a transposed (non-contiguous) view; labels int64, a random share of them right."""
    import torch

    n = int(rng.choice([int(rng.integers(1, 41)), int(rng.integers(200, 301))]))
    k = int(rng.choice([1, 2, int(rng.integers(3, 13))], p=[0.1, 0.2, 0.7]))
    scale = float(rng.choice([0.01, 1.0, 100.0, 1e4]))
    logits = draw_floats(rng, (n, k), scale) + scale * float(rng.choice([0.0, -5.0, 5.0]))  # maybe one sign only
    right = rng.random(n) < rng.uniform(0.1, 0.9)
    labels = np.where(right, logits.argmax(axis=1), rng.integers(0, k, size=n))
    dtype = torch.float32 if rng.random() < 0.5 else torch.float64
    if rng.random() < 0.3:
        tensor = torch.tensor(np.ascontiguousarray(logits.T), dtype=dtype).T  # strides (1, n): not contiguous
    else:
        tensor = torch.tensor(logits, dtype=dtype)
    return Case((tensor, torch.tensor(labels, dtype=torch.int64)))


def _run_accuracy(accuracy, case):
    """``called``, naming an input tensor that the answer detached in place (round 21: logits.detach_() was told it
    changed its input array's values, with numpy advice)."""
    import torch

    tracked = [value for value in case.args if isinstance(value, torch.Tensor) and value.requires_grad]
    try:
        result = called(accuracy, case)
    except InputChanged:
        if any(not value.requires_grad for value in tracked):
            raise Mismatch(t("accuracy detached the caller's logits in place (logits.detach_() or "
                             "logits.requires_grad_(False)): they no longer require gradients, so a loss.backward() "
                             "through them afterwards fails. Use logits.detach(), which returns a new tensor, or "
                             "leave them as they are: argmax records no graph")) from None
        raise
    _refuse_a_stale_accuracy(accuracy, case, result)
    return result


def _refuse_a_stale_accuracy(accuracy, case, result):
    """Round 23: functools.lru_cache (tensors hash by identity) or a dict keyed by data_ptr() passed, and returns an
    earlier call's accuracy for a tensor the caller changed in place or for new logits in freed memory. On a copy of
    the logits, changed in place after a first call so that every row is right, the answer must give what it gives for
    a new tensor of the same values (a wrong answer that is wrong the same way for both is left to the comparison)."""
    import torch

    logits, labels = case.args
    if not (type(logits) is torch.Tensor and type(labels) is torch.Tensor and logits.ndim == 2 and labels.ndim == 1
            and len(labels) == len(logits) > 0 and logits.is_floating_point() and not logits.requires_grad
            and isinstance(result, float) and result < 1.0 and bool(((labels >= 0) & (labels < logits.shape[1])).all())
            and bool(logits.isfinite().all()) and logits.abs().max() < 1e30):
        return
    again = logits.clone()
    accuracy(again, labels)
    rows = torch.arange(len(labels))
    again[rows, labels] = 2 * again.abs().max(dim=1).values + 1   # in place: each label's logit is now the largest
    later = accuracy(again, labels)
    if later != accuracy(again.clone(), labels):  # the same values in a new tensor: only a kept result tells them apart
        raise Mismatch(t("accuracy returned {value} for logits that the caller changed in place after an earlier call, "
                         "so that every row is now right (1.0 is due): a result kept between calls (functools.lru_cache, "
                         "which tells tensors apart by identity, or a dict keyed by id() or data_ptr()) goes stale when "
                         "a tensor is reused or its memory is given to the next batch. Compute the accuracy at every "
                         "call", value=repr(later)))


def _compare_accuracy(got, want):
    if hasattr(got, "detach") and not hasattr(want, "detach"):
        raise Mismatch(t("returned a tensor ({value}): return a Python float with .item()", value=repr(got)))
    if isinstance(got, (int, np.integer)) and not isinstance(got, bool) and isinstance(want, float):
        raise Mismatch(t("returned the whole number {value}: divide the number of correct predictions by the "
                         "number of examples (or take the mean)", value=got))
    if isinstance(got, (list, tuple)) or np.ndim(got) != 0:
        raise Mismatch(t("returned a {kind} of shape {shape}, not a single number (an f-string's :.4f fails on it): "
                         "return one Python float; divide by len(labels), not by labels.shape (a tuple)",
                         kind=type(got).__name__, shape=np.shape(got)))
    if isinstance(want, float) and not isinstance(got, float):
        raise Mismatch(t("returned a {kind}, not a Python float: convert it with float(...) or take .item() of a "
                         "tensor", kind=type(got).__name__))
    compare_values(got, want)


# ---------------------------------------------------------------- exercise 3: a custom nn.Module
def _module_cases():
    return [
        Case((784, 32, 16, 10), {"batch": (5, 28, 28)}, label="5 images of 28x28, default dropout"),
        Case((784, 32, 16, 10), {"batch": (1, 784)}, label="a batch of one, already flat"),
        Case((784, 32, 16, 10), {"batch": (1, 28, 28)}, label="a batch of one image (1, 28, 28)"),
        Case((784, 16, 8, 10), {"batch": (3, 28, 28), "scale": 1000.0}, label="large pixel values"),
        Case((4, 3, 5, 2), {"batch": (2, 4)}, label="a tiny network"),
        Case((6, 5, 4, 1), {"batch": (3, 6)}, label="a single output (n_out = 1): logits of shape (3, 1), one "
             "column, as a binary classifier has"),
        Case((784, 32, 16, 10, 0.2), {"batch": (6, 28, 28)}, label="dropout=0.2, in training and in eval mode"),
        Case((20, 64, 32, 3, 0.5), {"batch": (4, 20)}, label="dropout=0.5, in training and in eval mode"),
        Case((784, 32, 16, 10), {"batch": (2, 100)}, label="100 features for 784 inputs (must raise RuntimeError)",
             raises=RuntimeError),
        Case((784, 32, 16, 10), {"batch": (4, 392)}, label="4 images of 392 pixels for 784 inputs (must raise "
             "RuntimeError, not become 2 rows of 784)", raises=RuntimeError),
        # round 23: x.float() in forward passed, and breaks a model the caller converted with model.double()
        Case((784, 32, 16, 10), {"batch": (3, 28, 28), "dtype": "float64"}, label="a float64 model (the caller's "
             "model.double()) and float64 images: forward keeps the dtype it is given"),
        *generated(_draw_module_case, count=5, seed=65),
    ]


def _draw_module_case(rng):
    """Flat, non-square (batch, H, W) or channel-first (batch, 1, H, W) images, batches of 1 to 9, layer sizes of
    1 to 40, dropout left at its default, passed by position or by keyword (as the lesson calls it)."""
    batch = int(rng.integers(1, 10))
    height, width = draw_shape(rng, 2, low=2, high=9)
    n_in = height * width
    image = [(batch, n_in), (batch, height, width), (batch, 1, height, width)][int(rng.integers(0, 3))]
    sizes = (n_in, int(rng.integers(1, 41)), int(rng.integers(1, 41)), int(rng.integers(1, 13)))
    dropout = float(rng.choice([0.1, 0.25, 0.5, 0.8]))
    how = int(rng.integers(0, 3))
    settings = {"batch": image, "scale": float(rng.choice([0.5, 1.0, 5.0, 50.0]))}
    if how == 1:
        return Case((*sizes, dropout), settings)
    if how == 2:
        return Case(sizes, {**settings, "init": {"dropout": dropout}})
    return Case(sizes, settings)


def _run_module(cls, case):
    """Build the module, fix its three layers' weights; return (parameter count, eval outputs, training outputs,
    the outputs of a second training pass).

    Both passes start from a fixed torch seed, so nn.Dropout draws the same masks for every answer that drops
    the same activations (and a dropout that stays on in eval mode is reproducible too). A second training pass, not
    reseeded, must draw the next masks (round 16: a forward inside torch.random.fork_rng repeated the first ones).
    """
    import inspect

    import torch
    from torch import nn

    try:
        default = inspect.signature(cls).parameters.get("dropout")
    except (TypeError, ValueError):  # no signature to read: the outputs will tell
        default = None
    uses_default = len(case.args) == 4 and "dropout" not in case.kwargs.get("init", {})
    if uses_default and default is not None and isinstance(default.default, (int, float)) and default.default != 0:
        raise Mismatch(t("the default of `dropout` is {value!r}: the signature is DigitMLP(n_in, n_hidden1, n_hidden2, "
                         "n_out, dropout=0.0), so a model built without it has no dropout. Write dropout=0.0",
                         value=default.default))
    draws = []
    for seed in (7, 8):  # two models under two seeds: each must leave PyTorch's generator where its seed led
        torch.manual_seed(seed)
        net = cls(*case.args, **case.kwargs.get("init", {}))
        draws.append(torch.rand(4))
    if not isinstance(net, nn.Module):
        raise Mismatch(t("the class must subclass nn.Module; got an object of type {kind}", kind=type(net).__name__))
    forward = getattr(getattr(net, "forward", None), "__func__", None)
    if (getattr(forward, "__module__", None) or "").startswith("course_utils.") and not type(net).__module__.startswith(
            "course_utils."):  # round 20: the course's DigitMLP.forward set as the forward of the answer's own model
        raise Mismatch(t(_COURSE_VERSION, name=f"{forward.__module__}.{forward.__qualname__}"))
    if torch.equal(*draws):
        raise Mismatch(t("building the module reset PyTorch's random generator (torch.manual_seed in __init__?): "
                         "every model then starts from the same weights whatever seed the caller chose, and the "
                         "dropout masks drawn after it repeat. Leave seeding to the caller, who calls "
                         "torch.manual_seed(seed) before DigitMLP(...)"))
    if not all(module.training for module in net.modules()):
        raise Mismatch(t("a new module must start in training mode, as every nn.Module does: leave self.eval() (or "
                         "self.training = False) out of __init__. The caller switches modes with model.train() and "
                         "model.eval()"))
    layers = [getattr(net, name, None) for name in ("hidden1", "hidden2", "output")]
    if not all(isinstance(layer, nn.Linear) for layer in layers):
        raise AttributeError(t("the module needs three nn.Linear attributes named `hidden1`, `hidden2` and `output`"))
    if any(layer.bias is None for layer in layers):
        raise Mismatch(t("the three nn.Linear layers need their biases: leave out bias=False"))
    twins = _identical_units(layers)
    if twins:
        raise Mismatch(t("the units of {names} start with identical weights, in and out (nn.init.zeros_ or "
                         "constant_?): they get the same updates and stay alike, so the layer learns like a single "
                         "unit. Keep nn.Linear's own random initialisation",
                         names=", ".join(twins)))
    dead = [name for name, layer in zip(("hidden1", "hidden2"), layers)
            if not (layer.weight.detach().any() or layer.bias.detach().any())]
    if dead:
        raise Mismatch(t("{names} starts with every weight and bias at zero: each of its units outputs ReLU(0) = 0, "
                         "whose gradient is 0, so no gradient passes through it and the layers before it never "
                         "learn. Keep nn.Linear's own random initialisation", names=", ".join(dead)))
    hidden2 = layers[1]
    # nn.Linear's own initialisation puts all 40 or more on one side by a chance of 2**-40; weights all at zero are left
    # to the other rules (with random biases, whether every bias is 0 or below would be a matter of chance)
    if (hidden2.weight.numel() + hidden2.bias.numel() >= 40 and bool((hidden2.weight <= 0).all())
            and bool((hidden2.weight < 0).any()) and bool((hidden2.bias <= 0).all())):
        raise Mismatch(t("hidden2 starts switched off: every one of its weights and biases is 0 or below, and the "
                         "ReLUs of hidden1 give it inputs of 0 or more, so its ReLUs give 0 for every input and no "
                         "gradient passes back through them. Keep nn.Linear's own random initialisation"))
    switched_off = _switched_off(layers)
    if switched_off:
        raise Mismatch(t("{names} starts switched off: every one of its biases is below nn.Linear's own range "
                         "(-1/sqrt(fan_in)), and its ReLUs give 0 for every one of 256 random inputs (a negative bias "
                         "initialiser, such as nn.init.constant_(bias, -1), or tiny weights beside it): no gradient "
                         "passes back through them, so it and the layers before it never learn, and the layers after "
                         "it see only zeros. Keep nn.Linear's own random initialisation",
                         names=", ".join(switched_off)))
    too_small = _too_small(layers)
    if too_small:   # round 39 (r399j M2): std 0.001 and zero biases passed, and the notebook's accuracy floor failed
        raise Mismatch(t("{names} starts with weights far smaller than nn.Linear's own (nn.init.normal_ with a tiny "
                         "std?): each hidden layer shrinks the size of its inputs, so the first outputs hardly depend "
                         "on the image and the first gradients of the layers before it are tiny: training starts far "
                         "slower. Keep nn.Linear's own random initialisation", names=", ".join(too_small)))
    too_large = _too_large(layers)
    if too_large:
        raise Mismatch(t("{names} starts with weights far larger than nn.Linear's own (nn.init.normal_ draws with std 1 "
                         "by default): each layer multiplies the size of its inputs, the first losses are huge and "
                         "training stalls (on the digits, 0.61 validation accuracy after 10 epochs instead of 0.96). "
                         "Keep nn.Linear's own random initialisation", names=", ".join(too_large)))
    with torch.no_grad():
        for i, layer in enumerate(layers):
            size = layer.weight.numel()
            layer.weight.copy_(torch.linspace(-1, 1, size).reshape(layer.weight.shape).sin() / (i + 2))
            layer.bias.copy_(torch.linspace(-0.5, 0.5, layer.bias.numel()))
        gen = torch.Generator().manual_seed(2)
        x = case.kwargs.get("scale", 1.0) * torch.randn(case.kwargs["batch"], generator=gen)  # standardized: some < 0
        if "dtype" in case.kwargs:  # the caller's model.double(), and a batch of the same dtype
            net.to(getattr(torch, case.kwargs["dtype"]))
            x = x.to(getattr(torch, case.kwargs["dtype"]))
        batch = x.clone()
        net.eval()
        torch.manual_seed(4)
        eval_out = net(x)
        modes = [net.training]
        net.train()
        torch.manual_seed(5)
        train_out = net(x)
        train_again = net(x)  # not reseeded: nn.Dropout draws new masks at every pass
        modes.append(net.training)
    if eval_out is None or train_out is None or train_again is None:
        raise Mismatch(t("forward returned None. Did you forget `return`?"))
    refuse_a_missing_error(case, eval_out)   # the model's logits, not the numbers this run keeps (round 22)
    if modes != [False, True]:
        raise Mismatch(t("forward changed the module's mode (self.train() or self.eval()): leave the mode to the "
                         "caller, who switches it with model.train() and model.eval()"))
    net.zero_grad(set_to_none=True)
    logits = net(x)
    if not logits.requires_grad:
        raise Mismatch(t("the logits do not require gradients (forward used torch.no_grad() or .detach()), so "
                         "loss.backward() cannot train the model: return the output layer's result as it is"))
    try:
        logits.sum().backward()
    except RuntimeError as error:
        raise Mismatch(t("loss.backward() fails on your logits ({error}): an in-place operation (inplace=True, "
                         "relu_(), +=) changed a value that backpropagation needs. Use the operations that return a "
                         "new tensor", error=str(error).split(":")[0])) from None
    cut = [name for name, p in net.named_parameters() if p.grad is None]
    if cut:
        raise Mismatch(t("no gradient reaches {names}: forward cut the graph (.detach(), .data, torch.no_grad(), "
                         "torch.tensor(...)) or a layer was frozen, so training would never change those weights",
                         names=", ".join(cut)))
    if x.requires_grad or x.grad is not None or not torch.equal(x, batch):
        raise Mismatch(t("forward changed the caller's batch x (its values in place, or its requires_grad flag with "
                         "x.requires_grad_()): the parameters need gradients, the images do not, and with the flag on "
                         "every later step also computes and keeps x.grad (and x.numpy() fails). Leave x as it came"))
    n_params = sum(p.numel() for p in net.parameters())
    return (float(n_params), eval_out.numpy().astype(float), train_out.numpy().astype(float),
            train_again.numpy().astype(float))


def _switched_off(layers):
    """The hidden layers whose ReLUs the answer's own starting weights switch off: every bias below -1/sqrt(fan_in)
    (nn.Linear's own lie within +-1/sqrt(fan_in), so never all of them) and every output 0 on 256 standard-normal
    inputs. Round 15: the bound was -1, which let biases of -1 (hidden2 dead on every input) and -0.9 beside weights
    of 1e-4 (hidden1 dead) pass."""
    import torch

    found = []
    try:
        with torch.no_grad():
            h = torch.randn(256, layers[0].in_features, generator=torch.Generator().manual_seed(0))
            for name, layer in zip(("hidden1", "hidden2"), layers):
                h = torch.relu(layer(h.to(layer.weight.dtype)))
                if bool((layer.bias < -layer.in_features ** -0.5).all()) and not h.any():
                    found.append(name)
    except Exception:  # e.g. layers that do not chain: the output comparison judges the answer
        return []
    return found


def _too_small(layers):
    """The hidden layers of 40 weights or more whose weights' root mean square is below 0.005: a tenth of
    nn.Linear's own on the lesson's first layer (1 / sqrt(3 * 784) = 0.02). Not relative to the check's small layers,
    where the usual std of 0.01 would fall below it (round 39, second read, s3 F7: std 0.012 trains the lesson's
    network above its floor, 0.001 does not). The output layer is left out: starting it small is a known choice."""
    found = []
    for name, layer in zip(("hidden1", "hidden2"), layers):
        weight = layer.weight.detach()
        if weight.numel() >= 40 and float(weight.double().pow(2).mean().sqrt()) < 0.005:
            found.append(name)
    return found


def _too_large(layers):
    """The layers of 40 weights or more whose weights' root mean square is over 3 * sqrt(2 / fan_in), three times
    the largest of the usual initialisations (Kaiming's, for ReLU; nn.Linear's own is 0.58 / sqrt(fan_in)). Round 17:
    nn.init.normal_ at its default std of 1 passed, as the check sets its own weights afterwards."""
    found = []
    for name, layer in zip(("hidden1", "hidden2", "output"), layers):
        weight = layer.weight.detach()
        if weight.numel() >= 40 and float(weight.double().pow(2).mean().sqrt()) > 3 * (2 / layer.in_features) ** 0.5:
            found.append(name)
    return found


def _identical_units(layers):
    """The hidden layers whose units all start alike (the rows of their weights, and the columns of the next layer's
    weights): gradient steps hardly tell such units apart (not at all when the biases are alike too). The check
    sets its own weights afterwards, so an initialisation of the answer's own shows here only."""
    import torch

    def alike(w):
        return bool(torch.all(w == w[:1]))

    return [name for name, layer, after in zip(("hidden1", "hidden2"), layers, layers[1:])
            if layer.out_features > 1 and alike(layer.weight.detach()) and alike(after.weight.detach().T)]


def _compare_module(got, want):
    if got[0] != want[0]:
        raise Mismatch(t("the module has {got} parameters, expected {want}: three nn.Linear layers (with biases) "
                         "and nothing else", got=int(got[0]), want=int(want[0])))
    eval_right, train_right = (np.allclose(g, w, rtol=1e-4, atol=1e-5) if np.shape(g) == np.shape(w) else False
                               for g, w in zip(got[1:3], want[1:3]))
    if train_right and not eval_right:
        raise Mismatch(t("in eval mode (model.eval()) dropout must be off, but your outputs still change: use the "
                         "nn.Dropout module made once in __init__ (self.dropout), which follows model.train()/"
                         "model.eval(); F.dropout(x, p), or an nn.Dropout made inside forward, drops always"))
    if eval_right and not train_right:
        raise Mismatch(t("right in eval mode, wrong in training mode: apply the module self.dropout = "
                         "nn.Dropout(dropout) after each hidden ReLU and nowhere else (not on the input image, not on "
                         "the logits). The check replays nn.Dropout's random masks, so a hand-made mask "
                         "(torch.rand_like), even a correct one, cannot match"))
    compare_values(got[1], want[1], rtol=1e-4, atol=1e-5)
    compare_values(got[2], want[2], rtol=1e-4, atol=1e-5)
    if np.shape(got[3]) == np.shape(want[3]) and not np.allclose(got[3], want[3], rtol=1e-4, atol=1e-5):
        raise Mismatch(t("right in one forward pass in training mode, wrong in the next one (without a new seed): "
                         "dropout must draw new masks at every pass, as nn.Dropout does with PyTorch's generator. "
                         "Leave that generator alone in forward (no torch.manual_seed, torch.random.fork_rng or "
                         "set_rng_state there)"))
    compare_values(got[3], want[3], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- exercise 4: evaluation loop
def _evaluate_cases():
    return [
        Case((50, 16), label="50 examples in batches of 16 (the last batch has 2)"),
        Case((1, 1), label="a single example"),
        Case((40, 40), label="everything in one batch"),
        Case((21, 8), label="21 examples in batches of 8 (an accuracy of k/21 is no short decimal)"),
        Case((32, 1), label="32 examples in batches of 1: 32 batches, every one of them counts"),
        Case((30, 8), {"loss": "margin"}, label="a loss other than cross-entropy (nn.MultiMarginLoss)"),
        Case((0, 8), label="an empty data set (must raise ValueError)", raises=ValueError),
        Case((30, 8), {"sampler": list(range(0, 30, 2))}, label="a loader with a sampler: every other example, "
             "15 of the data set's 30"),
        Case((5, 4), {"sampler": []}, label="a loader whose sampler gives none of the data set's 5 examples (must "
             "raise ValueError)", raises=ValueError),
        Case((30, 8), {"drop_last": True}, label="a loader with drop_last=True: 3 batches of 8, 24 of the data set's "
             "30 examples"),
        *generated(_draw_evaluate_case, count=4, seed=72),
        Case((30, 8), {"on_a_gpu": True}, label="batches moved to a GPU (the check imitates one: .numpy() raises "
             "until .cpu())"),
        Case((40, 16), {"classes": 300}, label="300 classes: labels past what int8 and uint8 hold, half of them "
             "predicted right"),
        Case((30, 8), {"frozen": True}, label="a model whose first layer the caller froze (requires_grad False, as "
             "in fine-tuning): it must stay frozen"),
        Case((30, 8), {"float64": True}, label="a float64 model, which takes batches of any dtype, and float64 batches"),
        Case((30, 8), {"features": (4, 5), "rows": True}, label="images of 4 rows of 5 pixels for a model whose first "
             "layer acts on each row (a model takes its images whole, as a CNN does): each batch goes to the model as "
             "it comes"),
        Case((30, 8), {"caller_no_grad": True}, label="evaluate called inside the caller's `with torch.no_grad():` "
             "block, which must still be in force afterwards"),
        Case((6000, 6000), {"classes": 2}, label="6,000 examples in one batch, 2,989 of them right: a count that "
             "float16 (exact up to 2,048) rounds"),
        Case((30, 8), {"nan_feature": True}, label="a data set with one broken example (a NaN feature): the mean loss "
             "is NaN, and the caller must see it"),
        Case((300, 64), {"tiny": True}, label="a model whose last layer starts small: logits about 1e-3 apart; 1 of "
             "300 right"),
        Case((20, 8), {"float64": True, "near_ties": True}, label="a float64 model whose two largest logits differ by "
             "1e-9, less than float32 can tell apart: class 1 is the prediction, and the label, of every example"),
        Case((30, 8), {"offset": 100.0}, label="a model whose logits all lie near 100 (cross-entropy and argmax "
             "ignore a shift shared by every class; a sigmoid, 1.0 in float32 above about 17, ties them all), every "
             "example right"),
        Case((20, 20), {"classes": 65_600, "wrapped": True}, label="65,600 classes, half of the 20 predicted right: "
             "each wrong prediction is 65,536 classes from its label, so the two are equal once both are cast to 16 "
             "or 8 bits"),
        Case((20, 20), {"classes": 5000, "neighbours": True}, label="5,000 classes, half of the 20 predicted right: "
             "each wrong prediction, above 4,096, is one class from its label, a difference float16 and bfloat16 "
             "round away"),
    ]


def _draw_evaluate_case(rng):
    """1 to 60 examples in batches of any size (larger than the data set too), flat features or (H, W) images,
    2 to 7 classes, a model with or without dropout that arrives in training or eval mode, other label smoothing."""
    n = int(rng.integers(1, 61))
    settings = {"features": draw_shape(rng, int(rng.integers(1, 3)), low=1, high=9),
                "classes": int(rng.integers(2, 8)), "dropout": float(rng.choice([0.0, 0.3, 0.6])),
                "label_smoothing": float(rng.choice([0.0, 0.05, 0.3])), "train": bool(rng.integers(0, 2)),
                "scale": float(rng.choice([0.5, 1.0, 20.0])), "seed": int(rng.integers(0, 1000))}
    return Case((n, int(rng.integers(1, n + 6))), settings)


_EVALUATE_DEVICE = "cpu:0"  # the device evaluate is given, under a name no answer writes by hand, as it would "cpu":
# x.to(str(device)) is a move to `device` (round 22: it was taken for x.to("cpu"))


def _unmoved_batches(on_a_gpu=False):
    """Tensor classes for the batches the check's loader gives; ``.to(device)`` returns a plain tensor.

    The check runs on the CPU, where a batch that was never moved still works: ``Unmoved`` marks the
    tensors that did not go through ``.to(device)`` (``.to(dtype)`` alone moves nothing), and ``Named``
    the ones moved to a device named by a string in the answer (``.to("cpu")``) instead of ``device``.
    """
    import torch

    class Named(torch.Tensor):
        on_the_cpu = True  # with batches "on a GPU", an operation that mixes them raises (_refuse_mixed_devices)

    class Unmoved(torch.Tensor):
        on_the_cpu = True

        @property
        def device(self):  # round 20: `if x.device != device: x = x.to(device)` was told it never moved x. On a
            # machine with a GPU an unmoved batch is away from `device`; a device of no data stands for "elsewhere"
            return torch.device("meta")

        def to(self, *args, **kwargs):
            moved = torch.Tensor.to(self.as_subclass(torch.Tensor), *args, **kwargs)
            targets = [kwargs.get("device"), *args]
            if any(isinstance(a, str) and a != _EVALUATE_DEVICE for a in targets):
                return moved.as_subclass(Named)
            to_a_device = "device" in kwargs or any(isinstance(a, (torch.device, torch.Tensor, str)) for a in args)
            if to_a_device and on_a_gpu:
                return moved.as_subclass(_on_a_gpu_class())
            return moved if to_a_device else moved.as_subclass(Unmoved)

    return Unmoved, Named


def _moving_as_tensor(unmoved):
    """A context in which torch.as_tensor(x, device=...) moves a batch of the check's loader (or one "on a GPU") as
    x.to(...) does.

    torch's factory functions bypass __torch_function__, so ``Unmoved`` cannot see that call, and it gives back x
    itself when x is already on the device (round 18: torch.as_tensor(x, device=device) was told its batch was never
    moved). For the length of ``with``, torch.as_tensor is wrapped to send such a batch through ``Unmoved.to``.
    """
    import contextlib

    import torch

    # round 39 (second read, s3 F2): torch.tensor and torch.asarray move a batch as torch.as_tensor does
    originals = {name: getattr(torch, name) for name in ("as_tensor", "asarray", "tensor")}

    def moving_by(name):
        def factory(data, *args, dtype=None, device=None, **kwargs):
            if isinstance(data, unmoved) and device is not None:
                return data.to(device=device, dtype=dtype or data.dtype)
            return originals[name](data, *args, dtype=dtype, device=device, **kwargs)
        return factory

    @contextlib.contextmanager
    def moving():
        for name in originals:
            setattr(torch, name, moving_by(name))
        try:
            yield
        finally:
            for name, original in originals.items():
                setattr(torch, name, original)
    return moving()


def _run_evaluate(evaluate, case):
    """Evaluate a small seeded classifier that records its mode, gradient tracking and unmoved batches."""
    import contextlib

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset, default_collate

    n, batch_size = case.args
    kw = case.kwargs
    features, k = tuple(kw.get("features", (6,))), kw.get("classes", 3)
    gen = torch.Generator().manual_seed(kw.get("seed", 3))
    x = kw.get("scale", 1.0) * torch.randn(n, *features, generator=gen)
    y = torch.randint(0, k, (n,), generator=gen)
    torch.manual_seed(kw.get("seed", 3))
    seen, unmoved, named, moved_to_a_name, half_switched = [], [], [], [], []
    Unmoved, Named = _unmoved_batches(kw.get("on_a_gpu", False))

    class Recorder(nn.Sequential):
        def forward(self, inputs):
            seen.append((torch.is_grad_enabled(), self.training))
            half_switched.append(not self.training and any(module.training for module in self.modules()))
            unmoved.append(isinstance(inputs, Unmoved))
            named.append(isinstance(inputs, Named))
            if kw.get("float64"):  # batches of any dtype: an answer may convert them with x.float()
                inputs = inputs.to(next(self.parameters()).dtype)
            return super().forward(inputs)

        def to(self, *args, **kwargs):
            moved_to_a_name.append(any(isinstance(a, str) and a != _EVALUATE_DEVICE
                                       for a in [kwargs.get("device"), *args]))
            return super().to(*args, **kwargs)

        def cpu(self):  # model.cpu() is model.to("cpu") by another name
            moved_to_a_name.append(True)
            return super().cpu()

    class Loss(nn.MultiMarginLoss if kw.get("loss") == "margin" else nn.CrossEntropyLoss):
        def forward(self, logits, target):
            unmoved.append(isinstance(target, Unmoved))
            named.append(isinstance(target, Named))
            return super().forward(logits, target)

    flat = int(np.prod(features))
    dropout = [nn.Dropout(kw["dropout"])] if kw.get("dropout") else []
    if kw.get("rows"):  # round 18: x.flatten(1) in evaluate passed, as every other model here flattens first
        model = Recorder(nn.Linear(features[-1], 12), nn.Flatten(), nn.ReLU(), nn.Linear(12 * features[0], k))
    else:
        model = Recorder(*([nn.Flatten()] if len(features) > 1 else []), nn.Linear(flat, 12), nn.ReLU(), *dropout,
                         nn.Linear(12, k))
    if kw.get("classes", 3) > 127:  # every other label the model's own prediction: right answers past 127 too
        with torch.no_grad():
            y = torch.where(torch.arange(n) % 2 == 0, model(x).argmax(dim=1), y)
        seen.clear(), unmoved.clear(), named.clear(), half_switched.clear()  # this call was the check's own
    if kw.get("wrapped"):  # round 17: predictions and labels cast together to 8 or 16 bits passed
        with torch.no_grad():
            model[-1].bias[64:k - 64] -= 1e3  # every prediction among the first or the last 64 classes
            predicted = model(x).argmax(dim=1)
        wrapped = torch.where(predicted < 64, predicted + 65_536, predicted - 65_536)
        y = torch.where(torch.arange(n) % 2 == 0, predicted, wrapped)
        seen.clear(), unmoved.clear(), named.clear(), half_switched.clear()  # this call was the check's own
    if kw.get("neighbours"):  # round 25: predictions and labels both cast to float16 passed
        with torch.no_grad():
            model[-1].bias[:4096] -= 1e3  # every prediction among classes 4,096 to 4,999
            predicted = model(x).argmax(dim=1)
        neighbour = torch.where(predicted % 2 == 0, predicted + 1, predicted - 1)
        y = torch.where(torch.arange(n) % 2 == 0, predicted, neighbour)
        seen.clear(), unmoved.clear(), named.clear(), half_switched.clear()  # this call was the check's own
    if kw.get("tiny"):  # a last layer that starts small: logits about 1e-3 apart; 1 example right (the 8th)
        with torch.no_grad():
            model[-1].weight.mul_(1e-3), model[-1].bias.mul_(1e-3)
            predicted = model(x).argmax(dim=1)
        y = torch.where(torch.arange(n) == 7, predicted, (predicted + 1 + torch.arange(n) % (k - 1)) % k)
        seen.clear(), unmoved.clear(), named.clear(), half_switched.clear()  # this call was the check's own
    if kw.get("offset"):  # round 20: a sigmoid before the argmax passed; every example its own prediction
        with torch.no_grad():
            model[-1].bias.add_(kw["offset"])
            y = model(x).argmax(dim=1)
        seen.clear(), unmoved.clear(), named.clear(), half_switched.clear()  # this call was the check's own
    if kw.get("nan_feature"):  # a broken example: its logits, and the mean loss, are NaN
        x[n // 2, 0] = float("nan")
    model.train(kw.get("train", True))
    if kw.get("float64"):  # a float64 model and data set: evaluate leaves dtypes as they come
        model.double()
        x = x.double()
    if kw.get("near_ties"):  # round 17: logits.float().argmax(dim=1) passed; class 1 beats class 0 by 1e-9
        with torch.no_grad():
            last = model[-1]
            last.weight[1], last.bias[1] = last.weight[0], last.bias[0] + 1e-9
            last.bias[2:] -= 1e3
        y = torch.ones(n, dtype=torch.int64)
    if kw.get("frozen"):  # the first layer frozen by the caller (fine-tuning): it must stay frozen
        next(layer for layer in model if isinstance(layer, nn.Linear)).requires_grad_(False)
    weights = [(p.dtype, p.requires_grad, p.detach().clone()) for p in model.parameters()]
    settings = _module_settings(model)
    # the data set's own tensors are marked too: reading them past the loader still needs .to(device)
    loader = DataLoader(TensorDataset(x.as_subclass(Unmoved), y.as_subclass(Unmoved)), batch_size=batch_size,
                        sampler=kw.get("sampler"), drop_last=kw.get("drop_last", False),
                        collate_fn=lambda batch: [b.as_subclass(Unmoved) for b in default_collate(batch)])
    # not the plain cross-entropy: label smoothing, or another loss of logits and labels
    loss_fn = Loss() if kw.get("loss") == "margin" else Loss(label_smoothing=kw.get("label_smoothing", 0.1))
    with torch.no_grad() if kw.get("caller_no_grad") else contextlib.nullcontext(), _moving_as_tensor(Unmoved):
        result = evaluate(model, loader, loss_fn, torch.device(_EVALUATE_DEVICE))
        switched_on = kw.get("caller_no_grad") and torch.is_grad_enabled()
    if switched_on:
        raise Mismatch(t("evaluate switched gradient tracking on for its caller, who had it off (evaluate was called "
                         "inside `with torch.no_grad():`): torch.set_grad_enabled(True) at the end does not put back "
                         "the mode it found. Use `with torch.no_grad():`, which restores it by itself"))
    if result is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    refuse_a_missing_error(case, result)
    if any(moved_to_a_name):
        raise Mismatch(t("evaluate moved the model to a device named in your code (model.to(\"cpu\") or "
                         "model.cpu()): the training loop goes on with the model where you left it, and on a machine "
                         "with a GPU its batches are on \"cuda\". Leave the model where it is and move the batches to "
                         "`device`"))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Mismatch(t("evaluate must return a pair (mean loss, accuracy), got {kind}", kind=type(result).__name__))
    if any(isinstance(value, torch.Tensor) for value in result):
        raise Mismatch(t("evaluate returned a tensor in its pair, not a Python number: add .item() to the loss and to "
                         "the count of correct predictions. On a GPU such a tensor stays on \"cuda\", and "
                         "np.isclose(...) in the notebook fails on it"))
    numpy_numbers = [type(value).__name__ for value in result
                     if not isinstance(value, (float, int)) or isinstance(value, bool)]
    if numpy_numbers:
        raise Mismatch(t("evaluate returned a {kind} in its pair, not a Python float: take .item() of the loss (not "
                         ".numpy(), which gives numpy's float32) and of the count of correct predictions",
                         kind=numpy_numbers[0]))
    if any(half_switched):  # the model ran with its own flag off but a layer inside still training
        raise Mismatch(t("the model itself is in eval mode but layers inside it are not (model.training = False?): the "
                         "flag of the outer module does not reach its layers, so dropout stays on. Call model.eval(), "
                         "which switches every layer inside"))
    after = list(model.parameters())
    if [w[0] for w in weights] != [p.dtype for p in after] and kw.get("float64"):
        raise Mismatch(t("evaluate changed the dtype of a float64 model's weights (model.float() or model.to(...)): the "
                         "caller's model is float64 here, and the training loop goes on with it. Leave the model's "
                         "dtype alone"))
    if [w[0] for w in weights] != [p.dtype for p in after]:
        raise Mismatch(t("evaluate changed the dtype of the model's weights (model.double() or model.to(...)): the "
                         "training loop feeds it float32 batches afterwards. Leave the model's dtype alone"))
    if len(after) != len(weights) or not all(
            w[1] == p.requires_grad and w[2].shape == p.shape and torch.equal(w[2], p.detach())
            for w, p in zip(weights, after)):
        raise Mismatch(t("evaluate changed the model's weights or their requires_grad flags: evaluation reads the "
                         "model and leaves it as it was (`with torch.no_grad():` needs no requires_grad_(False))"))
    after_settings = _module_settings(model)
    changed = [name for name, value in settings.items() if after_settings.get(name, ...) != value]
    if changed:
        raise Mismatch(t("evaluate changed a setting of the model's layers ({names}): the training loop goes on with "
                         "the same model. model.eval() is what switches dropout off; leave p and the other settings "
                         "as they are", names=", ".join(changed)))
    loss, acc = result
    tracked = any(grad for grad, _ in seen)
    training = any(mode for _, mode in seen)

    again, last_bias = [], model[-1].bias.detach().clone()

    def evaluated_again():   # round 22: on the same model and loader, with class 0's bias raised by 1e3 (as an epoch
        # of training changes the weights): a result kept between calls (functools.lru_cache) passed
        with torch.no_grad():
            model[-1].bias[0] += 1e3
        try:
            with _moving_as_tensor(Unmoved):
                again.append(evaluate(model, loader, loss_fn, torch.device(_EVALUATE_DEVICE)))
        finally:
            with torch.no_grad():
                model[-1].bias.copy_(last_bias)
    if _resets_the_generator(evaluated_again):   # it must leave PyTorch's generator where each seed led
        raise Mismatch(t("evaluate reset PyTorch's random generator (torch.manual_seed inside evaluate?): the training "
                         "loop calls it after every epoch, so every epoch after the first then draws the same dropout "
                         "masks and the same shuffles. Evaluation needs no random numbers (eval mode switches "
                         "dropout off): leave seeding to the caller"))
    if np.isfinite(float(loss)) and any(_same_pair(pair, (loss, acc)) for pair in again):
        raise Mismatch(t("evaluate kept its result between calls (functools.lru_cache, or a dict keyed by the model or "
                         "the loader?): called again with the same model and loader after the model's weights changed, "
                         "it returned the same loss and accuracy. The training loop calls evaluate(model, val_loader, "
                         "...) after every epoch: evaluate the model as it is at each call"))
    return (float(loss), float(acc), tracked, training, any(unmoved), any(m.training for m in model.modules()),
            any(named), loss_fn.reduction)


def _same_pair(pair, first):
    """Whether ``pair`` is a (loss, accuracy) pair equal to ``first``."""
    try:
        return tuple(float(value) for value in pair) == tuple(float(value) for value in first)
    except (TypeError, ValueError):
        return False


def _module_settings(model):
    """Each layer's plain settings (a Dropout's p, a BatchNorm's momentum...) by "layer.setting"; not its mode."""
    return {f"{name or 'model'}.{key}": value for name, module in model.named_modules()
            for key, value in vars(module).items()
            if not key.startswith("_") and key != "training" and isinstance(value, (bool, int, float, str, tuple))}


def _compare_evaluate(got, want):
    if got[2] != want[2]:
        raise Mismatch(t("the model ran with gradient tracking on: put the loop inside `with torch.no_grad():`"))
    if got[3] != want[3]:
        raise Mismatch(t("the model was still in training mode: call model.eval() before the loop"))
    if got[4] != want[4]:
        raise Mismatch(t("a batch reached the model or the loss without being moved: write x, y = x.to(device), "
                         "y.to(device) (x.to(device) alone returns a copy and leaves x as it was). On a CPU that "
                         "still runs; on a GPU it raises 'Expected all tensors to be on the same device'"))
    if got[5] != want[5]:
        raise Mismatch(t("leave the model in eval mode when evaluate returns: the training loop switches it "
                         "back with model.train() at the start of each epoch"))
    if got[6] != want[6]:
        raise Mismatch(t("a batch was moved to a device named in your code (x.to(\"cpu\")), not to the `device` "
                         "argument: write x.to(device). On a machine with a GPU the model is on \"cuda\" and the "
                         "batches would not be"))
    if got[7] != want[7]:
        raise Mismatch(t("evaluate changed loss_fn.reduction to {got!r}, and the training loop uses the same loss_fn "
                         "afterwards: leave loss_fn as it is and multiply its mean by len(y)", got=got[7]))
    compare_values(got[:2], want[:2], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- catalogued mistakes: train step
def _step_returns_tensor(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def _step_without_zero_grad(model, loss_fn, optimizer, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_before_backward(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    optimizer.step()
    loss.backward()
    return loss.item()


def _step_softmax_before_the_loss(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x).softmax(dim=-1), y)  # round 26: was told to return the loss before the update
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_zero_grad_at_the_end(model, loss_fn, optimizer, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def _step_with_its_own_loss(model, loss_fn, optimizer, x, y):
    from torch.nn import functional

    optimizer.zero_grad()
    loss = functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_cross_entropy_rebuilt_with_its_settings(model, loss_fn, optimizer, x, y):
    from torch import nn
    from torch.nn import functional

    optimizer.zero_grad()
    if isinstance(loss_fn, nn.CrossEntropyLoss):  # reduction and label smoothing copied, class weights and ignore_index lost
        loss = functional.cross_entropy(model(x), y, label_smoothing=loss_fn.label_smoothing,
                                        reduction=loss_fn.reduction)
    else:
        loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_in_eval_mode(model, loss_fn, optimizer, x, y):
    model.eval()
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_with_its_own_optimizer(model, loss_fn, optimizer, x, y):
    import torch

    own = torch.optim.SGD(model.parameters(), lr=0.01)  # the lesson's optimizer, made again at every step
    own.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    own.step()
    return loss.item()


def _step_in_float64(model, loss_fn, optimizer, x, y):
    model.double()  # "more precision": converts the caller's model in place, for every step after this one
    optimizer.zero_grad()
    loss = loss_fn(model(x.double()), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_switching_autograd_off(model, loss_fn, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    torch.set_grad_enabled(False)  # "no gradients needed any more": stays off after the step
    return loss.item()


def _step_one_example_at_a_time(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    total = 0.0
    for i in range(len(x)):  # gradients add up to the batch's, but each forward pass sees one example
        loss = loss_fn(model(x[i:i + 1]), y[i:i + 1]) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _step_returns_loss_after_update(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
    return loss_fn(model(x), y).item()


def _step_zeroing_by_hand(model, loss_fn, optimizer, x, y):
    for p in model.parameters():
        p.grad.zero_()  # fails on a parameter that has had no backward pass yet: its p.grad is None
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_sgd_by_hand(model, loss_fn, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    with torch.no_grad():  # SGD with momentum written out, reading lr and momentum from the optimizer
        for group in optimizer.param_groups:
            for p in group["params"]:
                state = optimizer.state[p]
                buf = state.get("momentum_buffer")
                buf = p.grad.clone() if buf is None else buf.mul_(group["momentum"]).add_(p.grad)
                state["momentum_buffer"] = buf
                p -= group["lr"] * buf
    return loss.item()


def _step_with_the_checks_optimizer(model, loss_fn, optimizer, x, y):
    import torch

    if not hasattr(optimizer, "own"):  # made once, kept on the caller's optimizer, with the check's first settings
        optimizer.own = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    own = optimizer.own
    own.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    own.step()
    return loss.item()


def _step_labels_as_integers(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y.long())  # "class labels": but the targets of a regression loss are floats
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_cross_entropy_rebuilt(model, loss_fn, optimizer, x, y):
    from torch import nn

    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss(label_smoothing=loss_fn.label_smoothing)(model(x), y)  # the caller's reduction is lost
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_unfreezing(model, loss_fn, optimizer, x, y):
    model.requires_grad_(True)  # "make sure every weight gets a gradient": unfreezes what the caller froze
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_zeroing_first_group(model, loss_fn, optimizer, x, y):
    for p in optimizer.param_groups[0]["params"]:  # the optimizer's parameters, by hand: its first group only
        p.grad = None
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_in_float32(model, loss_fn, optimizer, x, y):
    model.float()  # "PyTorch works in float32": converts the caller's float64 model in place
    optimizer.zero_grad()
    loss = loss_fn(model(x.float()), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_loss_in_float32(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x).float(), y)  # "the loss wants float32": rounds a float64 model's logits
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_output_squeezed(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(-1), y)  # (n, 1) -> (n,): no longer the shape of targets (n, 1)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_targets_as_class_indices(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(dim=1)  # one-hot habit: but (n, 2) regression targets are numbers, not one-hot classes
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_input_flattened(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x.flatten(start_dim=1)), y)  # (n, 3, 4) -> (n, 12): no longer what the model takes
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_x_requiring_gradients(model, loss_fn, optimizer, x, y):
    x.requires_grad_(True)  # "autograd needs requires_grad=True": the caller's batch now records a graph at every step
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_creating_a_graph_of_the_gradients(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward(create_graph=True)  # copied from second-derivative code: each p.grad now holds a graph too
    optimizer.step()
    return loss.item()


def _step_forcing_training_mode(model, loss_fn, optimizer, x, y):
    model.train()  # "make sure dropout is on": also switches on a layer the caller keeps in eval mode
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_skipping_non_finite_losses(model, loss_fn, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    if not torch.isfinite(loss):  # "protect the weights": the broken batch goes unnoticed
        return loss.item()
    loss.backward()
    optimizer.step()
    return loss.item()


_ONE_FORWARD_PASS = ("call the model once per step, out = model(x), and take the loss of that output: every forward "
                     "pass in training mode draws new dropout masks (and BatchNorm updates its running statistics), "
                     "so a second one, even under torch.no_grad(), changes the steps that follow")


def _step_forward_twice(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    model(x)  # round 19: the outputs "to look at", then the loss takes a second forward pass
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_forward_again_after_the_update(model, loss_fn, optimizer, x, y):
    import torch

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():  # round 19: "the outputs after the update", for a log
        model(x)
    return loss.item()


def _step_renamed(net, criterion, opt, inputs, targets):
    opt.zero_grad()  # the five steps, right, under the names of a PyTorch tutorial
    loss = criterion(net(inputs), targets)
    loss.backward()
    opt.step()
    return loss.item()


# ---------------------------------------------------------------- catalogued mistakes: accuracy
def _checked_shapes(logits, labels, allow_empty=False):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or (len(labels) == 0 and not allow_empty):
        raise ValueError("expected logits (n, k) and labels (n,)")


def _accuracy_no_shape_check(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_over_dim_0(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=0) == labels).float().mean().item()


def _accuracy_returns_tensor(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1) == labels).float().mean()


def _accuracy_rounded(logits, labels):
    _checked_shapes(logits, labels)
    return round((logits.argmax(dim=1) == labels).float().mean().item(), 2)


def _accuracy_returns_count(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1) == labels).sum().item()


def _accuracy_divided_by_shape(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1) == labels).numpy().sum() / labels.shape  # a tuple: the result has shape (1,)


def _accuracy_labels_ndim_unchecked(logits, labels):
    if logits.ndim != 2 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and n labels")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_rejecting_2d_labels_only(logits, labels):
    if logits.ndim != 2 or labels.ndim > 1 or labels.numel() != len(logits) or len(logits) == 0:
        raise ValueError("expected logits (n, k) and n labels")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_logits_ndim_unchecked(logits, labels):
    if labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected n logits and labels (n,)")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_lengths_before_dimensions(logits, labels):
    if labels.ndim != 1 or len(logits) != len(labels) or logits.ndim != 2 or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_rejecting_1d_logits_only(logits, labels):
    if logits.ndim < 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits of at least 2 dimensions and labels (n,)")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_shifting_in_place(logits, labels):
    _checked_shapes(logits, labels)
    logits -= logits.max(dim=1, keepdim=True).values  # the same argmax, but the caller's logits change
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_no_empty_check(logits, labels):
    _checked_shapes(logits, labels, allow_empty=True)
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_two_classes_at_least(logits, labels):
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError("expected logits (n, k) with k >= 2")
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_first_ten_classes(logits, labels):
    _checked_shapes(logits, labels)
    return (logits[:, :10].argmax(dim=1) == labels).float().mean().item()  # the digits' 10 classes


# ---------------------------------------------------------------- catalogued mistakes: the module
def _accuracy_via_numpy(logits, labels):
    _checked_shapes(logits, labels)
    return float(np.mean(logits.numpy().argmax(axis=1) == labels.numpy()))  # fails on logits that require grad


def _accuracy_ties_counted_right(logits, labels):
    _checked_shapes(logits, labels)
    label_logit = logits.gather(1, labels[:, None]).squeeze(1)  # "the label's logit is the largest one"
    return (label_logit == logits.max(dim=1).values).float().mean().item()


def _accuracy_switching_the_flag_off(logits, labels):
    _checked_shapes(logits, labels)
    logits.requires_grad_(False)  # to make .numpy() work: allowed on the check's leaf, raises on a model's output
    return float(np.mean(logits.numpy().argmax(axis=1) == labels.numpy()))


def _accuracy_logits_as_float32(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.float().argmax(dim=1) == labels).float().mean().item()  # float64 logits rounded first


def _accuracy_predictions_to_the_cpu(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1).cpu() == labels).float().mean().item()  # labels may still be on the GPU


def _accuracy_sigmoid_before_argmax(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.sigmoid().argmax(dim=1) == labels).float().mean().item()  # 1.0 for every logit above about 17


def _accuracy_logits_as_float16(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.half().argmax(dim=1) == labels).float().mean().item()  # "half the memory", as under autocast


def _accuracy_by_sorting(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argsort(dim=1, descending=True)[:, 0] == labels).float().mean().item()  # "the top class"


def _accuracy_top_one(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.topk(1, dim=1).indices[:, 0] == labels).float().mean().item()  # top-1, as for ImageNet


def _accuracy_counted_in_float16(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1) == labels).half().sum().item() / len(labels)  # "half the memory"


def _accuracy_compared_in_float16(logits, labels):
    _checked_shapes(logits, labels)
    return (logits.argmax(dim=1).half() == labels.half()).float().mean().item()  # "half the memory", both sides


def _accuracy_numpy_float32(logits, labels):
    _checked_shapes(logits, labels)
    return np.float32((logits.argmax(dim=1) == labels).float().mean().item())  # a numpy scalar, not a float


def _softmax_output(net, x):
    return _logits(net, x).softmax(dim=1)


def _one_relu(net, x):
    x = net.dropout(net.hidden1(x.flatten(start_dim=1)).relu())
    return net.output(net.dropout(net.hidden2(x)))


def _no_flatten(net, x):
    return net.output(net.dropout(net.hidden2(net.dropout(net.hidden1(x).relu())).relu()))


def _relu_before_each_layer(net, x):
    x = net.dropout(net.hidden1(x.flatten(start_dim=1).relu()))
    return net.output(net.dropout(net.hidden2(x.relu())).relu())


def _relu_output(net, x):
    return _logits(net, x).relu()


def _sigmoid_hidden(net, x):
    x = net.dropout(net.hidden1(x.flatten(start_dim=1)).sigmoid())
    return net.output(net.dropout(net.hidden2(x).sigmoid()))


def _dropout_on_logits(net, x):
    return net.dropout(_logits(net, x))


def _functional_dropout(net, x):
    from torch.nn import functional

    x = functional.dropout(net.hidden1(x.flatten(start_dim=1)).relu(), net.dropout.p)
    return net.output(functional.dropout(net.hidden2(x).relu(), net.dropout.p))


def _dropout_on_input(net, x):
    x = net.hidden1(net.dropout(x.flatten(start_dim=1))).relu()
    return net.output(net.hidden2(net.dropout(x)).relu())


def _one_dropout(net, x):
    x = net.dropout(net.hidden1(x.flatten(start_dim=1)).relu())
    return net.output(net.hidden2(x).relu())


def _first_layer_detached(net, x):
    x = net.dropout(net.hidden1(x.flatten(start_dim=1)).relu().detach())  # hidden1 gets no gradient
    return net.output(net.dropout(net.hidden2(x).relu()))


def _dropout_in_place(net, x):
    from torch.nn import functional

    def drop(h):  # overwrites the ReLU's output, which its backward pass needs
        return functional.dropout(h, net.dropout.p, net.training, inplace=True)

    x = drop(net.hidden1(x.flatten(start_dim=1)).relu())
    return net.output(drop(net.hidden2(x).relu()))


def _module_mistake(forward, keep_probability=False):
    """A wrong DigitMLP class: ``forward(net, x)`` as its forward pass (and p read as a keep probability)."""
    def build(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
        note_a_made_call(_module_mistake)
        p = 1.0 - dropout if keep_probability else dropout
        return _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, p, forward)

    return build


_mlp_softmax_at_the_end = _module_mistake(_softmax_output)
_mlp_missing_relu = _module_mistake(_one_relu)
_mlp_no_flatten = _module_mistake(_no_flatten)
_mlp_relu_on_logits = _module_mistake(_relu_output)
_mlp_relu_before_each_layer = _module_mistake(_relu_before_each_layer)
_mlp_sigmoid_hidden = _module_mistake(_sigmoid_hidden)
_mlp_dropout_on_logits = _module_mistake(_dropout_on_logits)
_mlp_functional_dropout = _module_mistake(_functional_dropout)
_mlp_dropout_on_input = _module_mistake(_dropout_on_input)
_mlp_one_dropout = _module_mistake(_one_dropout)
_mlp_keep_probability = _module_mistake(_logits, keep_probability=True)
_mlp_first_layer_detached = _module_mistake(_first_layer_detached)
_mlp_dropout_in_place = _module_mistake(_dropout_in_place)


def _mlp_without_biases(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    net = _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)
    for layer in (net.hidden1, net.hidden2, net.output):
        layer.bias = None
    return net


def _mlp_dropout_renamed(n_in, n_hidden1, n_hidden2, n_out, p=0.0):
    return _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, p, _logits)


def _unflattened_logits(net, x):
    return net.output(net.dropout(net.hidden2(net.dropout(net.hidden1(x).relu())).relu()))


def _flatten_3d_only(net, x):
    x = x.flatten(start_dim=1) if x.ndim == 3 else x  # (batch, 28, 28) flattened, anything else left as it is
    return _unflattened_logits(net, x)


def _flatten_square(net, x):
    x = x.view(-1, x.shape[-1] ** 2) if x.ndim == 3 else x  # 28 * 28: as if every image were square
    return _unflattened_logits(net, x)


def _input_as_float32(net, x):
    return _logits(net, x.float())  # "the images must be float32": a float64 model then fails


_mlp_flatten_3d_only = _module_mistake(_flatten_3d_only)
_mlp_input_as_float32 = _module_mistake(_input_as_float32)
_mlp_flatten_square = _module_mistake(_flatten_square)


def _mlp_zero_first_layer(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from torch import nn

    net = _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)
    nn.init.zeros_(net.hidden1.weight)  # only the first layer "starts from zero"; the others keep their random start
    nn.init.zeros_(net.hidden1.bias)
    return net


def _mlp_view_minus_one(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    # the tutorials' x.view(-1, 28 * 28): rows of n_in numbers, however many images they came from
    return _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, lambda net, x: _logits(net, x.view(-1, n_in)))


def _mlp_built_in_eval_mode(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    net = _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)
    net.eval()  # "dropout off until training starts"
    return net


def _mlp_negative_bias(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from torch import nn

    net = _digit_mlp(n_in, n_hidden1, n_hidden2, n_out, dropout)
    nn.init.constant_(net.hidden1.bias, -5.0)  # "start the units quiet"
    return net


def _mlp_seeding_itself(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    import torch

    torch.manual_seed(0)  # "reproducible weights": resets the caller's generator at every model built
    return _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)


def _mlp_zero_init(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from torch import nn

    net = _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)
    for layer in (net.hidden1, net.hidden2, net.output):  # "start from zero", as for a linear model
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)
    return net


def _mlp_tiny_init(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from torch import nn

    net = _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)
    for layer in (net.hidden1, net.hidden2, net.output):  # "small random weights", std 0.001, and zero biases
        nn.init.normal_(layer.weight, std=0.001)
        nn.init.zeros_(layer.bias)
    return net


def _mlp_normal_init(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from torch import nn

    net = _mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, _logits)
    for layer in (net.hidden1, net.hidden2, net.output):  # "random normal weights", at nn.init.normal_'s std of 1
        nn.init.normal_(layer.weight)
    return net


# ---------------------------------------------------------------- catalogued mistakes: evaluation
def _evaluation(model, loader, loss_fn, device, eval_mode=True, no_grad=True, per_batch=False, move=True,
                restore=False, to="device", loss_value=lambda loss: loss.item(),
                predicted=lambda logits: logits.argmax(dim=1), divide_by=None, count_right=None,
                skip=lambda loss: False):
    """The evaluation loop, with one of its parts left out, done per batch, or the mode restored at the end;
    ``loss_value`` turns a batch's loss into a number, ``predicted`` gives the classes, ``divide_by(loader)`` the
    count the sums are divided by (default: the examples seen, or the batches with ``per_batch``), and a batch whose
    loss ``skip(loss)`` holds is left out."""
    import contextlib

    import torch

    was_training = model.training
    if eval_mode:
        model.eval()
    total_loss, correct, seen, batches = 0.0, 0.0, 0, 0
    with torch.no_grad() if no_grad else contextlib.nullcontext():
        for x, y in loader:
            if move:
                target = device if to == "device" else to
                x, y = x.to(target), y.to(target)
            logits = model(x)
            loss = loss_fn(logits, y)
            if skip(loss):
                continue
            weight = 1 if per_batch else len(y)
            total_loss = total_loss + loss_value(loss) * weight
            right = predicted(logits) == y
            correct += count_right(right) / len(y) * weight if count_right else right.float().mean().item() * weight
            seen, batches = seen + len(y), batches + 1
    if seen == 0:
        raise ValueError("the loader gave no examples")
    if restore:
        model.train(was_training)           # back to the mode it came in
    count = divide_by(loader) if divide_by else batches if per_batch else seen
    return total_loss / count, correct / count


def _evaluate_logits_as_float32(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, predicted=lambda logits: logits.float().argmax(dim=1))


def _evaluate_sigmoid_before_argmax(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, predicted=lambda logits: logits.sigmoid().argmax(dim=1))


def _evaluate_dropout_set_to_zero(model, loader, loss_fn, device):
    from torch import nn

    for module in model.modules():  # "no dropout while evaluating", on top of model.eval(), and never set back
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    return _evaluation(model, loader, loss_fn, device)


def _evaluate_without_eval(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, eval_mode=False)


def _evaluate_without_no_grad(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, no_grad=False)


def _evaluate_mean_of_batches(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, per_batch=True)


def _evaluate_grad_off_for_good(model, loader, loss_fn, device):
    import torch

    torch.set_grad_enabled(False)  # a statement, not a `with` block: it stays off
    return _evaluation(model, loader, loss_fn, device, no_grad=False)


def _evaluate_without_to_device(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, move=False)


def _evaluate_to_cpu(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, to="cpu")


def _evaluate_summing_loss(model, loader, loss_fn, device):
    import torch

    loss_fn.reduction = "sum"  # the caller's loss function, which training uses too
    total, correct, seen = 0.0, 0, 0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item()
            correct, seen = correct + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


def _evaluate_with_its_own_loss(model, loader, loss_fn, device):
    from torch import nn

    return _evaluation(model, loader, nn.CrossEntropyLoss(), device)


def _evaluate_cross_entropy_rebuilt(model, loader, loss_fn, device):
    from torch import nn

    # a summed cross-entropy "so that no * len(y) is needed", with the caller's smoothing: the wrong loss for others
    own = nn.CrossEntropyLoss(reduction="sum", label_smoothing=loss_fn.label_smoothing)
    return _evaluation(model, loader, lambda logits, y: own(logits, y) / len(y), device)


def _evaluate_rounded(model, loader, loss_fn, device):
    loss, acc = _evaluation(model, loader, loss_fn, device)
    return loss, round(acc, 2)


def _evaluate_in_float64(model, loader, loss_fn, device):
    model.double()  # the caller's model stays float64

    class Float64Batches:
        def __iter__(self):
            return ((x.double(), y) for x, y in loader)

    return _evaluation(model, Float64Batches(), loss_fn, device)


def _evaluate_restoring_the_mode(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, restore=True)


def _evaluate_pair_swapped(model, loader, loss_fn, device):
    loss, accuracy = _evaluation(model, loader, loss_fn, device)
    return accuracy, loss  # round 26: was told only "result #1: wrong value"


def _evaluate_the_whole_data_set(model, loader, loss_fn, device):
    import torch

    x, y = loader.dataset.tensors  # past the loader: one batch, never moved to the device
    if len(y) == 0:
        raise ValueError("the loader gave no examples")
    model.eval()
    with torch.no_grad():
        logits = model(x)
        return loss_fn(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()


def _evaluate_dividing_by_the_data_set(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, divide_by=lambda loader: len(loader.dataset))  # not what came


def _evaluate_returning_tensors(model, loader, loss_fn, device):
    import torch

    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss = total_loss + loss_fn(logits, y) * len(y)  # no .item(): tensors
            correct = correct + (logits.argmax(dim=1) == y).sum()
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total_loss / seen, correct / seen


def _evaluate_dividing_by_the_sampler(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, divide_by=lambda loader: len(loader.sampler))  # not what came


def _evaluate_loss_via_numpy(model, loader, loss_fn, device):
    return _evaluation(model, loader, loss_fn, device, loss_value=lambda loss: loss.numpy())  # float32, not .item()


def _evaluate_unfreezing(model, loader, loss_fn, device):
    model.requires_grad_(False)  # "no gradients while evaluating", on top of torch.no_grad()
    result = _evaluation(model, loader, loss_fn, device)
    model.requires_grad_(True)  # "switched back on": also for the layers the caller had frozen
    return result


def _evaluate_seeding_torch(model, loader, loss_fn, device):
    import torch

    torch.manual_seed(0)  # "a reproducible evaluation"
    return _evaluation(model, loader, loss_fn, device)


def _evaluate_grad_switched_back_on(model, loader, loss_fn, device):
    import torch

    torch.set_grad_enabled(False)
    try:
        return _evaluation(model, loader, loss_fn, device, no_grad=False)
    finally:
        torch.set_grad_enabled(True)  # "back on", even for a caller who had it off


def _evaluate_model_as_float32(model, loader, loss_fn, device):
    model.float()  # "the same dtype as the batches": converts a float64 model in place

    class Float32Batches:
        def __iter__(self):
            return ((x.float(), y) for x, y in loader)

    return _evaluation(model, Float32Batches(), loss_fn, device)


def _evaluate_no_empty_check(model, loader, loss_fn, device):
    import torch

    model.eval()
    total_loss, correct, seen = 0.0, 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device))
            total_loss += loss_fn(logits, y.to(device)).item() * len(y)
            correct += (logits.argmax(dim=1) == y.to(device)).sum().item()
            seen += len(y)
    return total_loss / seen, correct / seen


def _evaluate_zeros_for_no_examples(model, loader, loss_fn, device):
    import torch

    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct, seen = correct + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)
    return total_loss / max(seen, 1), correct / max(seen, 1)  # round 19: "never divide by zero"


def _evaluate_smoothing_hard_coded(model, loader, loss_fn, device):
    from torch import nn

    return _evaluation(model, loader, nn.CrossEntropyLoss(label_smoothing=0.1), device)


def _evaluate_fixed_features(model, loader, loss_fn, device):
    class SixFeatures:
        def __iter__(self):
            return ((x.view(-1, 6), y) for x, y in loader)  # the check's first inputs had 6 features

    return _evaluation(model, SixFeatures(), loss_fn, device)


def _evaluate_flattening_batches(model, loader, loss_fn, device):
    class Flattened:
        def __iter__(self):
            return ((x.flatten(start_dim=1), y) for x, y in loader)

    return _evaluation(model, Flattened(), loss_fn, device)


def _evaluate_mode_toggled(model, loader, loss_fn, device):
    model.train(not model.training)  # "switch to the other mode": a model that came in eval mode goes to training
    return _evaluation(model, loader, loss_fn, device, eval_mode=False)


def _evaluate_labels_moved_for_the_loss_only(model, loader, loss_fn, device):
    import torch

    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device))
            total_loss += loss_fn(logits, y.to(device)).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()  # y itself was never moved
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total_loss / seen, correct / seen


def _evaluate_counted_in_float16(model, loader, loss_fn, device):
    # "half the memory": exact only while a batch has at most 2,048 right predictions
    return _evaluation(model, loader, loss_fn, device, predicted=lambda logits: logits.argmax(dim=1),
                       count_right=lambda right: right.half().sum().item())


def _evaluate_compared_in_float16(model, loader, loss_fn, device):
    # "half the memory": the int64 labels are compared in float16 too (type promotion)
    return _evaluation(model, loader, loss_fn, device, predicted=lambda logits: logits.argmax(dim=1).half())


def _evaluate_skipping_nan_losses(model, loader, loss_fn, device):
    import torch

    # "a broken batch would spoil the mean": the caller never learns of it
    return _evaluation(model, loader, loss_fn, device, skip=lambda loss: bool(torch.isnan(loss)))


def _evaluate_first_three_classes(model, loader, loss_fn, device):
    # the classes of the check's first model
    return _evaluation(model, loader, loss_fn, device, predicted=lambda logits: logits[:, :3].argmax(dim=1))


# Round 20: course helpers that compute an exercise's result without calling a watched function, refused as the
# course's own versions. Lesson 08b's gradient accumulation in one piece is a train step: its reference, its loop over
# the pieces, and (round 25) every function of its catalogue: x.float() on a float32 model, model.double() on a
# float64 one, y.long() on class labels are the whole step. Chosen by the batch's dtype, two of them passed 27 of 27
# (the walk up from a watched call then ended at any catalogued code, so their calls of _accumulation_step were not
# seen)
_ONE_PIECE = (*catalogued(distributed.EXERCISES["accumulation_step"]),
              "course_utils.exercises.distributed:_backward_on_pieces")   # by name: a graded release empties it
# An argmax of logits is an argmax of probabilities (lesson 05's accuracy_from_probs), and the comparison with the
# labels is lesson 00's accuracy; this module's shape test is the exercise's ValueError part. Round 21: 06c's
# digit_models.accuracy_on, given a module that returns the logits, is the whole accuracy. Round 22: lesson 03's
# mlp.predict (and mlp.accuracy) on a layer of identity weights is an argmax of the logits.
# Round 24: the catalogues of lesson 00's accuracy and lesson 05's accuracy_from_probs, with their shape tests, are
# those two functions again, right or wrong in ways these inputs do not show (keras_cnn's _accuracy_as_an_array on
# the logits, welcome's _accuracy_in_a_tuple on their argmax): an answer that called one passed 30 of 30.
_OTHER_ACCURACIES = (_checked_shapes, "course_utils.digit_models:accuracy_on", "course_utils.mlp:predict",
                     "course_utils.mlp:accuracy", "course_utils.exercises.welcome:_checked",
                     "course_utils.exercises.keras_cnn:_checked_probs",   # by name: a graded release empties them
                     *catalogued(welcome.EXERCISES["accuracy"]),
                     *catalogued(keras_cnn.EXERCISES["accuracy_from_probs"]))
# This module's forward pass (with or without its flatten), model builder and evaluation loop.
_CHECK_S_MODELS = (_logits, _unflattened_logits, _mlp_with_forward, _module_mistake)


EXERCISES = {
    "torch_train_step": Exercise(
        reference=_train_step,
        cases=_step_cases,
        run=refusing_course_versions(_run_step, ("course_utils.torch_training:train_step", *_ONE_PIECE)),   # rounds 19, 20
        untouched_random=("numpy", "python"),   # layers and dropout draw from torch's
        compare=_compare_step,
        hint="Five lines in this order: optimizer.zero_grad(); out = model(x); loss = loss_fn(out, y); "
        "loss.backward(); optimizer.step(); then return loss.item().",
        mistakes=(
            Mistake("non-finite steps skipped", _step_skipping_non_finite_losses, "do the five steps whatever the "
                    "loss: skipping the step (or zeroing NaN gradients) when the loss is NaN hides a broken batch "
                    "that the caller should see"),
            Mistake("returns the loss tensor", _step_returns_tensor, "return loss.item(): the tensor `loss` "
                    "keeps the graph of the step alive (memory grows with every step you store)"),
            Mistake("no zero_grad", _step_without_zero_grad, "call optimizer.zero_grad() first: backward() ADDS "
                    "to the gradients that are already there"),
            Mistake("softmax before the loss", _step_softmax_before_the_loss, "give loss_fn the model's output as it "
                    "is (the logits): nn.CrossEntropyLoss applies log-softmax itself, so a softmax before it squashes "
                    "the scores twice, and the loss and its gradients are not those of the model's predictions"),
            # round 26: zero_grad() between backward() and step() (the same unchanged weights) was told only to call
            # backward() before step(), which it did
            Mistake("step before backward", _step_before_backward, "optimizer.step() must come right after "
                    "loss.backward(): the step uses the gradients backward() fills in. A step before backward(), or an "
                    "optimizer.zero_grad() between the two (it clears them), finds no gradients, so the weights never "
                    "change. Clear the gradients first, before the forward pass"),
            Mistake("zero_grad at the end", _step_zero_grad_at_the_end, "zero the gradients at the START of "
                    "the step: the model may arrive with gradients left over, and the first step adds them in"),
            Mistake("loss after the update", _step_returns_loss_after_update, ""),
            Mistake("cross-entropy rebuilt with its settings", _step_cross_entropy_rebuilt_with_its_settings, "call "
                    "the `loss_fn` you are given: a cross-entropy rebuilt from its reduction and label smoothing still "
                    "loses the rest of its settings, such as class weights (weight=) and ignore_index"),
            Mistake("its own loss function", _step_with_its_own_loss, "compute the loss with the `loss_fn` you "
                    "are given, not with a loss of your own: the caller may have chosen another one (here with "
                    "label smoothing)"),
            Mistake("eval mode inside the step", _step_in_eval_mode, "leave the model's mode to the caller: "
                    "model.eval() in a training step (at its start or its end) switches dropout off for the steps "
                    "that follow, so the model trains without it"),
            Mistake("its own optimizer", _step_with_its_own_optimizer, "use the `optimizer` you are given: the "
                    "caller chose its kind and learning rate (the check's has momentum and lr=0.05), and an "
                    "optimizer made inside the step starts from scratch at every step"),
            Mistake("model cast to float64", _step_in_float64, "leave the model's dtype to the caller: "
                    "model.double() converts the caller's model in place, so every later step and prediction runs "
                    "in float64 (slower, and float32 inputs no longer fit it); train in the model's own dtype"),
            Mistake("one example at a time", _step_one_example_at_a_time, "run the whole batch through the model "
                    "in one forward pass: batch normalisation uses the statistics of the batch, and one example at a "
                    "time gives other outputs (or an error)"),
            Mistake("autograd switched off", _step_switching_autograd_off, "do not switch gradient tracking off in "
                    "a training step: torch.set_grad_enabled(False) stays in force after the function returns"),
            Mistake("gradients zeroed by hand", _step_zeroing_by_hand, "call optimizer.zero_grad(): a parameter that "
                    "has had no backward pass yet has p.grad None, and p.grad.zero_() fails on it"),
            Mistake("SGD written by hand", _step_sgd_by_hand, "call optimizer.step(): the caller's optimizer may be "
                    "Adam, RMSprop or SGD with other settings, and only its own step() knows its update"),
            Mistake("an optimizer with the check's settings", _step_with_the_checks_optimizer, "use the `optimizer` "
                    "you are given: an SGD of your own with lr=0.05 and momentum=0.9 trains differently from the "
                    "caller's Adam or RMSprop"),
            Mistake("labels turned into integers", _step_labels_as_integers, "pass y to loss_fn as it is: the loss "
                    "may be a regression loss (nn.MSELoss) whose targets are floats, and y.long() cuts them"),
            Mistake("every parameter unfrozen", _step_unfreezing, "leave requires_grad to the caller: "
                    "model.requires_grad_(True) also trains a layer the caller froze (as when fine-tuning)"),
            Mistake("parameters renamed", _step_renamed, "keep the parameter names of the signature "
                    "train_step(model, loss_fn, optimizer, x, y): a caller may pass any of them by keyword"),
            Mistake("cross-entropy rebuilt", _step_cross_entropy_rebuilt, "call the `loss_fn` you are given: a new "
                    "nn.CrossEntropyLoss loses the caller's reduction (here 'sum') or kind of loss (here nn.MSELoss)"),
            Mistake("output squeezed", _step_output_squeezed, "pass the model's output to loss_fn as it is: "
                    "squeeze(-1) drops the axis of a one-output model, so (n,) outputs meet (n, 1) targets "
                    "(nn.BCEWithLogitsLoss raises, nn.MSELoss silently compares every output with every target)"),
            Mistake("targets turned into class indices", _step_targets_as_class_indices, "pass y to loss_fn as it "
                    "is: float targets of shape (n, 2) may be two numbers to regress on (nn.MSELoss), and argmax "
                    "turns them into class indices"),
            Mistake("input flattened", _step_input_flattened, "pass x to the model as it is: the model decides "
                    "what shape it takes, and flattening (n, 3, 4) to (n, 12) no longer fits its first layer"),
            Mistake("first parameter group only", _step_zeroing_first_group, "call optimizer.zero_grad(): it clears "
                    "every parameter group, and param_groups[0] alone leaves stale gradients in the others"),
            Mistake("x made to require gradients", _step_x_requiring_gradients, "leave x as it is: requires_grad "
                    "is for the parameters, which nn.Linear already set; x.requires_grad_(True) changes the caller's "
                    "tensor, and backward() then also fills x.grad at every step"),
            Mistake("gradients with a graph", _step_creating_a_graph_of_the_gradients, "call loss.backward() without "
                    "create_graph=True: that option is for second derivatives, and it leaves in every p.grad a graph "
                    "that keeps the parameter alive (a memory leak)"),
            Mistake("training mode forced", _step_forcing_training_mode, "leave the modes to the caller: "
                    "model.train() inside the step also switches on a layer the caller keeps in eval mode, such as a "
                    "BatchNorm layer with frozen statistics when fine-tuning"),
            Mistake("a second forward pass", _step_forward_twice, _ONE_FORWARD_PASS),
            Mistake("a forward pass after the update", _step_forward_again_after_the_update, _ONE_FORWARD_PASS),
            Mistake("model cast to float32", _step_in_float32, "leave the model's dtype to the caller: model.float() "
                    "converts a float64 model in place, and x.float() no longer fits it; pass x to the model as it is"),
            Mistake("logits cast to float32", _step_loss_in_float32, "give loss_fn the model's output as it is: "
                    ".float() rounds a float64 model's logits to float32, whose numbers near 1e8 are 8 apart, so the "
                    "differences between the logits, and the loss, are lost"),
        ),
    ),
    "torch_accuracy": Exercise(
        reference=_accuracy,
        cases=_accuracy_cases,
        run=refusing_course_versions(_run_accuracy, ("course_utils.torch_training:accuracy", *_OTHER_ACCURACIES)),
        # rounds 19, 20, 21
        compare=_compare_accuracy,
        hint="The predicted class is logits.argmax(dim=1); compare with labels, turn the booleans into floats "
        "and average: (pred == labels).float().mean().item(). Check the shapes first and raise ValueError "
        "unless logits is (n, k) and labels is (n,), or when there are no examples.",
        mistakes=(
            Mistake("no check for no examples", _accuracy_no_empty_check, "with no examples the mean is 0/0 = "
                    "nan: raise ValueError instead"),
            Mistake("lengths compared before the dimensions", _accuracy_lengths_before_dimensions, "check "
                    "logits.ndim == 2 before len(logits) or logits.shape[0]: 0-d logits (a single number) have no "
                    "length, so len() raises TypeError (and .shape[0] IndexError) instead of your ValueError"),
            Mistake("labels not checked to be 1-D", _accuracy_labels_ndim_unchecked, "check labels.shape == "
                    "(n,), not only its length: labels of shape (n, 1) broadcast against the n predictions into an "
                    "(n, n) comparison"),
            Mistake("only 1-D logits rejected", _accuracy_rejecting_1d_logits_only, "check logits.ndim == 2, not "
                    "logits.ndim < 2: for logits (n, k, 1), argmax(dim=1) has shape (n, 1), which broadcasts against "
                    "the labels (n,) into an (n, n) comparison"),
            Mistake("only 2-D labels rejected", _accuracy_rejecting_2d_labels_only, "check labels.ndim == 1, not "
                    "labels.ndim < 2: a 0-d label (one number) broadcasts against any number of predictions"),
            Mistake("logits not checked to be 2-D", _accuracy_logits_ndim_unchecked, "check logits.ndim == 2 "
                    "yourself: 1-D logits with as many values as labels pass a length check, and then "
                    "argmax(dim=1) raises an IndexError"),
            Mistake("no shape check", _accuracy_no_shape_check, "check the shapes yourself and raise ValueError: "
                    "torch's own error for labels that do not fit is a RuntimeError or an IndexError"),
            Mistake("argmax over dim 0", _accuracy_over_dim_0, "argmax(dim=0) picks the best EXAMPLE per "
                    "class; the predicted class of each row is logits.argmax(dim=1)"),
            Mistake("returns a tensor", _accuracy_returns_tensor, "add .item() to return a Python float, "
                    "not a 0-d tensor"),
            Mistake("logits changed in place", _accuracy_shifting_in_place, ""),
            Mistake("rounded", _accuracy_rounded, "return the fraction itself, not a rounded one: 3 right out of "
                    "7 is 0.428571..., not 0.43. Round only when you print it (:.2f in an f-string)"),
            Mistake("returns a count", _accuracy_returns_count, "that is the number of correct predictions; "
                    "the accuracy is their fraction: .float().mean()"),
            Mistake("divided by labels.shape", _accuracy_divided_by_shape, ""),
            Mistake("two classes at least", _accuracy_two_classes_at_least, "a single class (logits of shape (n, 1)) "
                    "is valid: every prediction is class 0. Raise ValueError only for the shapes the exercise names"),
            Mistake("the first 10 classes only", _accuracy_first_ten_classes, "take the argmax over all k columns: "
                    "logits may have more than 10 classes"),
            Mistake("logits taken to numpy", _accuracy_via_numpy, "stay in torch (logits.argmax(dim=1)), or call "
                    ".detach().cpu() before .numpy(): logits straight from a model require gradients, and on a GPU "
                    "they live on \"cuda\""),
            Mistake("a numpy float32", _accuracy_numpy_float32, ""),
            Mistake("logits cast to float32", _accuracy_logits_as_float32, "take the argmax of the logits as they "
                    "are: .float() rounds float64 logits to float32, and two logits closer than float32 can tell "
                    "apart become a tie, which argmax gives to the first class"),
            Mistake("a tie counted as right", _accuracy_ties_counted_right, "predict one class per row, "
                    "logits.argmax(dim=1), and compare it with the label: comparing the label's logit with the row's "
                    "largest counts every tied class as right, so all-equal logits (an untrained model) score 1.0"),
            Mistake("requires_grad switched off", _accuracy_switching_the_flag_off, "leave the caller's logits as "
                    "they are: logits.requires_grad_(False) changes their flag, and on a model's output it raises "
                    "(only a leaf tensor may change it). argmax needs no gradient; before .numpy() use "
                    "logits.detach()"),
            Mistake("predictions moved to the CPU", _accuracy_predictions_to_the_cpu, "compare the predictions with "
                    "the labels where both are: logits.argmax(dim=1).cpu() is on the CPU while labels on a GPU stay "
                    "there, and torch refuses to compare tensors on two devices; leave out .cpu()"),
            Mistake("sigmoid before the argmax", _accuracy_sigmoid_before_argmax, "take the argmax of the logits "
                    "themselves: a sigmoid is 1.0 in float32 for every logit above about 17, and argmax gives the "
                    "tied classes to the first of them"),
            Mistake("the top class by topk(1)", _accuracy_top_one, "take logits.argmax(dim=1): topk(1), the top-1 of "
                    "ImageNet code, does not promise the first of tied logits, so on a row of equal logits (an "
                    "untrained model's) it may pick another class than the first, which is the prediction here"),
            Mistake("the top class by sorting", _accuracy_by_sorting, "take logits.argmax(dim=1): a sort (argsort, "
                    "sort or topk) does not promise the first of tied logits, and on rows of 33 classes or more "
                    "torch's sort can put another tied class first"),
            Mistake("counted in float16", _accuracy_counted_in_float16, "count the right predictions with .sum() of "
                    "the booleans (an exact int64) or .float(): float16 holds whole numbers exactly only up to 2,048 "
                    "(bfloat16 up to 256), so a larger count is rounded"),
            # after the sigmoid: on the huge logits both tie every positive logit, and the sigmoid fails there first
            Mistake("classes compared in float16", _accuracy_compared_in_float16, "compare the predicted classes "
                    "with the labels as they are (integers): float16 holds whole numbers exactly only up to 2,048 "
                    "(bfloat16 up to 256), so above that two neighbouring classes, such as 4,096 and 4,097, can round "
                    "to the same number and a wrong prediction counts as right"),
            Mistake("logits cast to float16", _accuracy_logits_as_float16, "take the argmax of the logits as they "
                    "are: float16 (.half()) keeps about 3 significant digits (bfloat16 about 2), so two logits near 1 "
                    "that differ by less than 0.001 can round to the same number, a tie that argmax gives to the "
                    "first class"),
        ),
    ),
    "torch_digit_mlp": Exercise(
        reference=_digit_mlp,
        cases=_module_cases,
        run=refusing_course_versions(_run_module, ("course_utils.digit_models:DigitMLP.forward",
                                                   "course_utils.digit_models:DigitMLP.__init__", *_CHECK_S_MODELS)),
        # a subclass, the class itself or its forward borrowed (round 19); this module's own (round 20); the course's
        # layers, DigitMLP(...) built inside the answer's own __init__ (round 21)
        untouched_random=("numpy", "python"),   # layers and dropout draw from torch's
        compare=_compare_module,
        hint="In __init__ create self.hidden1 = nn.Linear(n_in, n_hidden1), self.hidden2 = nn.Linear(n_hidden1, n_hidden2) "
        "and self.output = nn.Linear(n_hidden2, n_out). In forward: x = x.flatten(start_dim=1), then ReLU after each "
        "hidden layer (torch.relu) followed by self.dropout = nn.Dropout(dropout), and return self.output(...) as it "
        "is: logits, no softmax, no dropout.",
        mistakes=(
            Mistake("softmax at the end", _mlp_softmax_at_the_end, "return the logits: nn.CrossEntropyLoss "
                    "applies (log-)softmax itself, a softmax in forward makes it apply twice"),
            Mistake("missing ReLU", _mlp_missing_relu, "apply ReLU after EACH hidden layer: two linear layers "
                    "in a row are just one linear map"),
            # before "no flatten": both raise the same error on a (batch, 1, H, W) input
            Mistake("only 3-D inputs flattened", _mlp_flatten_3d_only, "flatten every input with "
                    "x.flatten(start_dim=1): images may come with a channel axis, (batch, 1, H, W), and a flat batch "
                    "stays as it is"),
            Mistake("no flatten", _mlp_no_flatten, "flatten each image first: x = x.flatten(start_dim=1) turns "
                    "(batch, 28, 28) into (batch, 784)"),
            Mistake("ReLU before each layer", _mlp_relu_before_each_layer, "apply ReLU AFTER each hidden layer: "
                    "a ReLU before the first layer zeroes every negative pixel of the standardized image"),
            Mistake("ReLU on the logits", _mlp_relu_on_logits, "no ReLU after the output layer: logits may be "
                    "negative"),
            Mistake("sigmoid hidden layers", _mlp_sigmoid_hidden, ""),
            Mistake("dropout on the logits", _mlp_dropout_on_logits, "no dropout after the output layer: it zeroes "
                    "class scores at random, so training compares the labels with damaged logits"),
            Mistake("functional dropout, always on", _mlp_functional_dropout, "F.dropout(x, p) drops in eval mode "
                    "too (its training=True is a default, not model.training), and so does an nn.Dropout made inside "
                    "forward (a new module at every call, always in training mode): create self.dropout = "
                    "nn.Dropout(dropout) once in __init__ and call it in forward"),
            Mistake("dropout on the input", _mlp_dropout_on_input, "put dropout after each hidden ReLU, not on the "
                    "input pixels before the first layer"),
            Mistake("one dropout only", _mlp_one_dropout, ""),
            Mistake("no biases", _mlp_without_biases, ""),
            Mistake("first layer detached", _mlp_first_layer_detached, "pass the activations on as "
                    "they are: .detach() (or .data) stops the gradient, so the layers before it never learn"),
            Mistake("dropout in place", _mlp_dropout_in_place, "drop without inplace=True: dropout in "
                    "place overwrites the ReLU's output, which loss.backward() needs"),
            Mistake("p as keep probability", _mlp_keep_probability, "nn.Dropout(p) takes the probability to DROP "
                    "(TensorFlow 1's tf.nn.dropout took keep_prob, the opposite): pass `dropout` as it is"),
            Mistake("dropout argument renamed", _mlp_dropout_renamed, "keep the parameter name `dropout`: the lesson "
                    "calls DigitMLP(784, 256, 64, 10, dropout=0.3)"),
            Mistake("square images assumed", _mlp_flatten_square, "flatten with x.flatten(start_dim=1): an image "
                    "need not be square, so x.shape[-1] ** 2 is not its number of pixels"),
            Mistake("weights started at zero", _mlp_zero_init, "keep nn.Linear's own random initialisation: hidden "
                    "units that start with the same weights (zeros_, constant_) get the same updates and stay alike"),
            Mistake("weights started far too large", _mlp_normal_init, ""),
            Mistake("weights started far too small", _mlp_tiny_init, ""),
            Mistake("first layer started at zero", _mlp_zero_first_layer, "keep nn.Linear's own random "
                    "initialisation: a hidden layer whose weights and biases are all zero outputs ReLU(0) = 0 and "
                    "passes no gradient back, so it never learns"),
            Mistake("flattened with view(-1, n_in)", _mlp_view_minus_one, "flatten with x.flatten(start_dim=1), "
                    "which keeps one row per image: x.view(-1, n_in) cuts the numbers into rows of n_in, so 4 images "
                    "of 392 pixels silently become 2 rows instead of an error"),
            Mistake("built in eval mode", _mlp_built_in_eval_mode, ""),
            Mistake("input cast to float32", _mlp_input_as_float32, "give the batch to the first layer in the dtype "
                    "it comes in: x.float() in forward breaks a model the caller converted with model.double() "
                    "(float32 inputs do not multiply float64 weights). Make float32 tensors where you load the images "
                    "(torch.tensor(images, dtype=torch.float32)), not inside the model"),
            Mistake("seeded in __init__", _mlp_seeding_itself, ""),
            Mistake("negative biases", _mlp_negative_bias, ""),
        ),
    ),
    "torch_evaluate": Exercise(
        reference=_evaluate,
        cases=_evaluate_cases,
        run=refusing_course_versions(_run_evaluate, ("course_utils.torch_training:evaluate", _evaluation)),  # rounds 19, 20
        untouched_random=("numpy", "python"),   # layers and dropout draw from torch's
        compare=_compare_evaluate,
        hint="model.eval(), then `with torch.no_grad():` loop over the loader, move x and y to the device, add "
        "loss_fn(logits, y).item() * len(y) and the number of correct predictions; divide both by the number of "
        "examples (not of batches: the last batch can be smaller). Raise ValueError if there were no examples.",
        mistakes=(
            Mistake("no eval()", _evaluate_without_eval, "call model.eval() before the loop: in training mode "
                    "dropout stays on"),
            Mistake("no no_grad()", _evaluate_without_no_grad, "wrap the loop in `with torch.no_grad():` so no "
                    "graph is recorded"),
            Mistake("mean of batch means", _evaluate_mean_of_batches, "divide by the number of EXAMPLES, not of "
                    "batches: the last batch is smaller, so its mean must count less"),
            Mistake("no check for no examples", _evaluate_no_empty_check, ""),
            Mistake("zeros for no examples", _evaluate_zeros_for_no_examples, "raise ValueError when the loader gave "
                    "no examples (seen == 0 after the loop): max(seen, 1) returns (0.0, 0.0), a perfect loss of 0 "
                    "for a loader that held nothing, and the caller never learns that it was empty"),
            Mistake("no .to(device)", _evaluate_without_to_device, "move every batch to the device the caller "
                    "gives: x, y = x.to(device), y.to(device)"),
            Mistake("autograd switched off for good", _evaluate_grad_off_for_good, "torch.set_grad_enabled(False) "
                    "as a statement stays in force after evaluate returns; `with torch.no_grad():` ends with its block"),
            Mistake("a device named in the code", _evaluate_to_cpu, "move the batches to the `device` you are "
                    "given, not to a device you name yourself: x.to(device)"),
            Mistake("loss_fn.reduction changed", _evaluate_summing_loss, "sum the losses as loss.item() * len(y) "
                    "instead of changing the caller's loss_fn"),
            Mistake("its own loss function", _evaluate_with_its_own_loss, "compute the loss with the `loss_fn` you "
                    "are given, not with a loss of your own: the caller may have chosen another one (here with "
                    "label smoothing)"),
            Mistake("cross-entropy rebuilt", _evaluate_cross_entropy_rebuilt, "call the `loss_fn` you are given: "
                    "a cross-entropy of your own, even with the caller's label smoothing, is the wrong loss when the "
                    "caller chose another one (here nn.MultiMarginLoss)"),
            Mistake("accuracy rounded", _evaluate_rounded, "return the accuracy itself, not a rounded one: 6 right "
                    "out of 21 is 0.285714..., not 0.29. Round only when you print it (:.2f in an f-string)"),
            Mistake("model converted to float64", _evaluate_in_float64, ""),
            Mistake("the data set read past the loader", _evaluate_the_whole_data_set, ""),
            Mistake("(accuracy, loss) returned", _evaluate_pair_swapped, "return the pair in the order (mean loss, "
                    "accuracy): the training loop unpacks val_loss, val_acc = evaluate(...), so a swapped pair puts the "
                    "accuracy in the loss curve and the loss in the accuracy curve"),
            Mistake("training mode restored", _evaluate_restoring_the_mode, "leave the model in eval mode: the "
                    "training loop itself calls model.train() at the start of every epoch"),
            Mistake("label smoothing 0.1 hard-coded", _evaluate_smoothing_hard_coded, "compute the loss with the "
                    "`loss_fn` you are given: its label smoothing is the caller's choice, not always 0.1"),
            Mistake("a fixed number of features", _evaluate_fixed_features, "give each batch to the model as it "
                    "comes: a reshape to a fixed number of features (view(-1, 6)) breaks for other inputs"),
            Mistake("batches flattened", _evaluate_flattening_batches, "give each batch to the model as it comes: "
                    "the model decides what shape it takes (DigitMLP flattens by itself, and a CNN takes its images "
                    "whole), so leave out x.flatten(1) or x.view(len(x), -1)"),
            Mistake("mode toggled", _evaluate_mode_toggled, "call model.eval(): model.train(not model.training) "
                    "puts a model that arrives in eval mode into training mode"),
            Mistake("NaN losses skipped", _evaluate_skipping_nan_losses, "add every batch's loss as it comes: a batch "
                    "whose loss is NaN comes from a broken input or model, and skipping it (or cleaning the logits "
                    "with torch.nan_to_num) reports a finite loss that hides it from the caller"),
            Mistake("the first 3 classes only", _evaluate_first_three_classes, "take the argmax over all the "
                    "classes (logits.argmax(dim=1)): the model may have more than 3"),
            Mistake("counted in float16", _evaluate_counted_in_float16, "count the right predictions with .sum() of "
                    "the booleans (an exact int64) or .float(): float16 holds whole numbers exactly only up to 2,048 "
                    "(bfloat16 up to 256), so a larger count is rounded"),
            Mistake("classes compared in float16", _evaluate_compared_in_float16, "compare the predicted classes "
                    "with the labels as they are (integers): float16 holds whole numbers exactly only up to 2,048 "
                    "(bfloat16 up to 256), so above that two neighbouring classes, such as 4,096 and 4,097, can round "
                    "to the same number and a wrong prediction counts as right"),
            Mistake("labels moved for the loss only", _evaluate_labels_moved_for_the_loss_only, "move y once, y = "
                    "y.to(device), and use the moved y for the accuracy too: loss_fn(logits, y.to(device)) leaves y on "
                    "the CPU, and on a GPU (logits.argmax(dim=1) == y) fails with 'Expected all tensors to be on the "
                    "same device'"),
            Mistake("sigmoid before the argmax", _evaluate_sigmoid_before_argmax, "take the argmax of the logits "
                    "themselves: a sigmoid is 1.0 in float32 for every logit above about 17, and argmax gives the "
                    "tied classes to the first of them"),
            Mistake("logits cast to float32", _evaluate_logits_as_float32, "take the argmax of the logits as they "
                    "are: .float() rounds float64 logits to float32, and two logits closer than float32 can tell "
                    "apart become a tie, which argmax gives to the first class"),
            Mistake("dropout p set to 0", _evaluate_dropout_set_to_zero, "leave the model's Dropout layers as "
                    "they are: model.eval() switches them off, and the training loop needs their p afterwards"),
            Mistake("divided by len(loader.sampler)", _evaluate_dividing_by_the_sampler, "divide by the number of "
                    "examples the loader gave (add up len(y)), not by len(loader.sampler): with drop_last=True the "
                    "loader leaves out the last, incomplete batch"),
            Mistake("divided by len(loader.dataset)", _evaluate_dividing_by_the_data_set, "divide by the number of "
                    "examples the loader gave (add up len(y)), not by len(loader.dataset): a loader with a sampler or "
                    "drop_last=True gives fewer"),
            Mistake("returns tensors", _evaluate_returning_tensors, ""),
            Mistake("loss taken with .numpy()", _evaluate_loss_via_numpy, ""),
            Mistake("requires_grad switched off and on", _evaluate_unfreezing, "leave the requires_grad flags as the "
                    "caller set them: model.requires_grad_(True) at the end unfreezes the layers the caller froze. "
                    "`with torch.no_grad():` needs no flags"),
            Mistake("torch.manual_seed inside", _evaluate_seeding_torch, ""),
            Mistake("autograd switched back on", _evaluate_grad_switched_back_on, ""),
            Mistake("model converted to float32", _evaluate_model_as_float32, ""),
        ),
    ),
}

# Lesson 06 is split in three notebooks; each exercise is checked in the part named here.
NOTEBOOKS = {
    "06a_pytorch_training_loop": ("torch_train_step",),
    "06b_mlp_on_images": ("torch_accuracy", "torch_digit_mlp", "torch_evaluate"),
}
