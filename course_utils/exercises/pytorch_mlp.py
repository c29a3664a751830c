"""Exercises of lesson 06 (a PyTorch MLP). torch is imported inside the functions only."""
import numpy as np

from ..checks import Case, Exercise, Mismatch, compare_values


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


def _digit_mlp(n_in, n_hidden1, n_hidden2, n_out):
    """Reference for the custom nn.Module: flatten, then Linear-ReLU, Linear-ReLU, Linear (logits)."""
    from torch import nn

    class DigitMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden1 = nn.Linear(n_in, n_hidden1)
            self.hidden2 = nn.Linear(n_hidden1, n_hidden2)
            self.output = nn.Linear(n_hidden2, n_out)

        def forward(self, x):
            x = x.flatten(start_dim=1)
            return self.output(self.hidden2(self.hidden1(x).relu()).relu())

    return DigitMLP()


# ---------------------------------------------------------------- exercise 1: one training step
def _step_cases():
    return [
        Case((8, 4, 3), label="a batch of 8 examples, 4 features, 3 classes"),
        Case((1, 4, 3), label="a batch of one"),
        Case((8, 4, 3), {"scale": 100.0}, label="large inputs"),
        Case((8, 4, 3), {"n_labels": 5}, label="5 labels for 8 examples (must raise ValueError)", raises=ValueError),
    ]


def _run_step(train_step, case):
    """Two steps on a small seeded model whose parameters hold stale gradients; returns the numbers."""
    import torch
    from torch import nn

    n, n_in, k = case.args
    scale, n_labels = case.kwargs.get("scale", 1.0), case.kwargs.get("n_labels", n)
    gen = torch.Generator().manual_seed(0)
    x = scale * torch.randn(n, n_in, generator=gen)
    y = torch.randint(0, k, (n_labels,), generator=gen)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, 8), nn.ReLU(), nn.Linear(8, k))
    for p in model.parameters():
        p.grad = torch.ones_like(p)  # left over from an earlier step: zero_grad must clear them
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    results = [train_step(model, nn.CrossEntropyLoss(), optimizer, x, y) for _ in range(2)]
    losses = [float(r.detach()) if isinstance(r, torch.Tensor) else float(r) for r in results]
    weights = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy()
    return np.array(losses), weights


def _compare_step(got, want):
    losses, weights = got
    if not np.isclose(losses[0], want[0][0], rtol=1e-5, atol=1e-7):
        raise Mismatch(f"the returned loss {losses[0]:.6g} should be {want[0][0]:.6g}: "
                       "return loss.item(), the loss of the batch before the update")
    if not np.allclose(weights, want[1], rtol=1e-5, atol=1e-7):
        raise Mismatch("the weights after two steps are wrong. Did you call optimizer.zero_grad() first "
                       "(the model starts with stale gradients), then forward, loss, loss.backward() "
                       "and optimizer.step()?")
    compare_values(losses, want[0], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- exercise 2: accuracy
def _accuracy_cases():
    import torch

    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(20, 10, generator=gen)
    labels = torch.randint(0, 10, (20,), generator=gen)
    labels[:6] = logits[:6].argmax(dim=1)  # make some of them right
    return [
        Case((logits, labels), label="20 examples, 10 classes"),
        Case((torch.tensor([[0.1, 2.0, -1.0]]), torch.tensor([1])), label="a batch of one, right"),
        Case((torch.tensor([[0.1, 2.0, -1.0]]), torch.tensor([2])), label="a batch of one, wrong"),
        Case((1e30 * logits, labels), label="huge logits"),
        Case((logits, labels[:15]), label="20 rows of logits but 15 labels (must raise ValueError)", raises=ValueError),
        Case((logits[0], labels[:1]), label="1-D logits (must raise ValueError)", raises=ValueError),
    ]


# ---------------------------------------------------------------- exercise 3: a custom nn.Module
def _module_cases():
    return [
        Case((784, 32, 16, 10), {"batch": (5, 28, 28)}, label="5 images of 28x28"),
        Case((784, 32, 16, 10), {"batch": (1, 784)}, label="a batch of one, already flat"),
        Case((784, 16, 8, 10), {"batch": (3, 28, 28), "scale": 1000.0}, label="large pixel values"),
        Case((4, 3, 5, 2), {"batch": (2, 4)}, label="a tiny network"),
        Case((784, 32, 16, 10), {"batch": (2, 100)}, label="100 features for 784 inputs (must raise RuntimeError)", raises=RuntimeError),
    ]


def _run_module(cls, case):
    """Build the module, give its three layers fixed weights, return (parameter count, outputs)."""
    import torch
    from torch import nn

    net = cls(*case.args)
    if not isinstance(net, nn.Module):
        raise TypeError(f"the class must subclass nn.Module; got an object of type {type(net).__name__}")
    layers = [getattr(net, name, None) for name in ("hidden1", "hidden2", "output")]
    if not all(isinstance(layer, nn.Linear) for layer in layers):
        raise AttributeError("the module needs three nn.Linear attributes named `hidden1`, `hidden2` and `output`")
    with torch.no_grad():
        for i, layer in enumerate(layers):
            size = layer.weight.numel()
            layer.weight.copy_(torch.linspace(-1, 1, size).reshape(layer.weight.shape).sin() / (i + 2))
            layer.bias.copy_(torch.linspace(-0.5, 0.5, layer.bias.numel()))
        gen = torch.Generator().manual_seed(2)
        x = case.kwargs.get("scale", 1.0) * torch.rand(case.kwargs["batch"], generator=gen)
        out = net(x)
    n_params = sum(p.numel() for p in net.parameters())
    return float(n_params), out.numpy().astype(float)


def _compare_module(got, want):
    if got[0] != want[0]:
        raise Mismatch(f"the module has {int(got[0])} parameters, expected {int(want[0])}: "
                       "three nn.Linear layers (with biases) and nothing else")
    compare_values(got[1], want[1], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- exercise 4: evaluation loop
def _evaluate_cases():
    return [
        Case((50, 16), label="50 examples in batches of 16 (the last batch has 2)"),
        Case((1, 1), label="a single example"),
        Case((40, 40), label="everything in one batch"),
        Case((0, 8), label="an empty data set (must raise ValueError)", raises=ValueError),
    ]


def _run_evaluate(evaluate, case):
    """Evaluate a small seeded classifier that records whether it ran in eval mode without gradients."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    n, batch_size = case.args
    gen = torch.Generator().manual_seed(3)
    x, y = torch.randn(n, 6, generator=gen), torch.randint(0, 3, (n,), generator=gen)
    torch.manual_seed(3)
    seen = []

    class Recorder(nn.Sequential):
        def forward(self, inputs):
            seen.append((torch.is_grad_enabled(), self.training))
            return super().forward(inputs)

    model = Recorder(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 3))
    model.train()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    result = evaluate(model, loader, nn.CrossEntropyLoss(), torch.device("cpu"))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"evaluate must return a pair (mean loss, accuracy), got {type(result).__name__}")
    loss, acc = result
    tracked = any(grad for grad, _ in seen)
    training = any(mode for _, mode in seen)
    return float(loss), float(acc), tracked, training


def _compare_evaluate(got, want):
    if got[2]:
        raise Mismatch("the model ran with gradient tracking on: put the loop inside `with torch.no_grad():`")
    if got[3]:
        raise Mismatch("the model was still in training mode: call model.eval() before the loop")
    compare_values(got[:2], want[:2], rtol=1e-5, atol=1e-7)


EXERCISES = {
    "torch_train_step": Exercise(
        reference=_train_step,
        cases=_step_cases,
        run=_run_step,
        compare=_compare_step,
        hint="Five lines in this order: optimizer.zero_grad(); out = model(x); loss = loss_fn(out, y); "
        "loss.backward(); optimizer.step(); then return loss.item().",
    ),
    "torch_accuracy": Exercise(
        reference=_accuracy,
        cases=_accuracy_cases,
        hint="The predicted class is logits.argmax(dim=1); compare with labels, turn the booleans into floats "
        "and average: (pred == labels).float().mean().item(). Check the shapes first and raise ValueError "
        "unless logits is (n, k) and labels is (n,).",
    ),
    "torch_digit_mlp": Exercise(
        reference=_digit_mlp,
        cases=_module_cases,
        run=_run_module,
        compare=_compare_module,
        hint="In __init__ create self.hidden1 = nn.Linear(n_in, n_hidden1), self.hidden2 = nn.Linear(n_hidden1, n_hidden2) "
        "and self.output = nn.Linear(n_hidden2, n_out). In forward: x = x.flatten(start_dim=1), then ReLU after each "
        "hidden layer (torch.relu), and return self.output(...) as it is: logits, no softmax.",
    ),
    "torch_evaluate": Exercise(
        reference=_evaluate,
        cases=_evaluate_cases,
        run=_run_evaluate,
        compare=_compare_evaluate,
        hint="model.eval(), then `with torch.no_grad():` loop over the loader, move x and y to the device, add "
        "loss_fn(logits, y).item() * len(y) and the number of correct predictions; divide both by the number of "
        "examples (not of batches: the last batch can be smaller). Raise ValueError if there were no examples.",
    ),
}
