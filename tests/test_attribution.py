"""course_utils.attribution: every from-scratch method against its definition and a well-kept library.

Captum (gradients, integrated gradients, occlusion), lime (LIME) and shap (Shapley values) are the
references; small seeded torch models keep the tests fast. Lesson 07's exercises, and every one of
their catalogued mistakes, are checked at the end.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from course_utils import attribution as A  # noqa: E402


def tiny_cnn(seed=0):
    """(n, 12, 12) images -> 3 scores, with ReLUs and pooling like the lesson's CNN."""
    torch.manual_seed(seed)
    nn = torch.nn
    return nn.Sequential(nn.Unflatten(1, (1, 12)), nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 5 * 5, 3)).eval()


def tiny_mlp(n_in=5, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(n_in, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)).eval()


@pytest.fixture(scope="module")
def cnn():
    return tiny_cnn()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((4, 12, 12)).astype(np.float32)


def batch(x):
    """One input as a batch that requires gradients (captum warns otherwise)."""
    return torch.tensor(np.asarray(x)[None], dtype=torch.float32, requires_grad=True)


# ---------------------------------------------------------------- gradients

def test_gradient_of_a_linear_model_is_its_weights():
    model = torch.nn.Linear(4, 2)
    x = np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32)
    for target in (0, 1):
        np.testing.assert_allclose(A.gradient(model, x, target), model.weight[target].detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(A.gradient_times_input(model, x, target),
                                   x * model.weight[target].detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("target", [0, 2])
def test_saliency_equals_captum(cnn, images, target):
    for x in images:
        expected = captum_attr.Saliency(cnn).attribute(batch(x), target=target)[0].detach().numpy()
        np.testing.assert_allclose(A.saliency(cnn, x, target), expected, rtol=1e-6, atol=1e-8)
        signed = captum_attr.Saliency(cnn).attribute(batch(x), target=target, abs=False)[0].detach().numpy()
        np.testing.assert_allclose(A.gradient(cnn, x, target), signed, rtol=1e-6, atol=1e-8)


def test_gradient_times_input_equals_captum(cnn, images):
    for x in images:
        expected = captum_attr.InputXGradient(cnn).attribute(batch(x), target=1)[0].detach().numpy()
        np.testing.assert_allclose(A.gradient_times_input(cnn, x, 1), expected, rtol=1e-6, atol=1e-8)


def test_gradient_matches_central_differences():
    model = tiny_mlp().double()
    x = np.random.default_rng(1).normal(size=5)
    grad = A._target_gradients(model, torch.tensor(x[None]), 1)[0].detach().numpy()
    f = lambda v: model(torch.tensor(v[None]))[0, 1].item()   # noqa: E731
    numeric = [(f(x + h) - f(x - h)) / 2e-6 for h in 1e-6 * np.eye(5)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_a_target_outside_the_classes_raises(cnn, images):
    with pytest.raises(IndexError, match="class index below 3"):
        A.gradient(cnn, images[0], 3)


def test_gradients_accept_tensors_and_leave_the_input_alone(cnn, images):
    x = torch.tensor(images[0])
    before = x.clone()
    np.testing.assert_allclose(A.gradient(cnn, x, 0), A.gradient(cnn, images[0], 0))
    assert torch.equal(x, before) and not x.requires_grad


# ---------------------------------------------------------------- integrated gradients

@pytest.mark.parametrize("steps", [2, 7, 64])   # captum needs at least 2
def test_integrated_gradients_equal_captum_riemann_middle(cnn, images, steps):
    baseline = np.full((12, 12), 0.2, dtype=np.float32)
    for x in images[:2]:
        for base in (None, baseline):
            expected = captum_attr.IntegratedGradients(cnn).attribute(
                batch(x), baselines=None if base is None else batch(base), target=2, n_steps=steps,
                method="riemann_middle")[0].detach().numpy()
            np.testing.assert_allclose(A.integrated_gradients(cnn, x, 2, base, steps), expected, rtol=1e-4, atol=1e-6)


def test_integrated_gradients_do_not_depend_on_the_batch_size(cnn, images):
    whole = A.integrated_gradients(cnn, images[0], 1, steps=100, batch_size=100)
    np.testing.assert_allclose(A.integrated_gradients(cnn, images[0], 1, steps=100, batch_size=7), whole,
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("model_name", ["cnn", "mlp"])
def test_completeness_holds_to_1e_3(model_name):
    """The sum of the attributions is f(x) - f(baseline), for several inputs, classes and baselines."""
    rng = np.random.default_rng(2)
    model, shape = (tiny_cnn(3), (12, 12)) if model_name == "cnn" else (tiny_mlp(seed=3), (5,))
    for k in range(6):
        x = rng.random(shape).astype(np.float32)
        base = None if k % 2 == 0 else rng.random(shape).astype(np.float32)
        target = k % 3
        score = A.scores_of(model, target)
        change = score(x[None])[0] - score((np.zeros(shape) if base is None else base)[None])[0]
        total = A.integrated_gradients(model, x, target, base, steps=2048).sum()
        assert abs(total - change) < 1e-3


def test_integrated_gradients_of_a_linear_model_are_exact():
    model = torch.nn.Linear(3, 2)
    x, base = np.array([1.0, 2.0, -1.0], dtype=np.float32), np.array([0.5, 0.0, 0.0], dtype=np.float32)
    expected = (x - base) * model.weight[0].detach().numpy()
    np.testing.assert_allclose(A.integrated_gradients(model, x, 0, base, steps=1), expected, rtol=1e-6)


@pytest.mark.parametrize("steps", [0, -3, 2.5, True])
def test_integrated_gradients_reject_bad_steps(cnn, images, steps):
    with pytest.raises(ValueError, match="steps"):
        A.integrated_gradients(cnn, images[0], 0, steps=steps)


def test_integrated_gradients_reject_a_baseline_of_another_shape(cnn, images):
    with pytest.raises(ValueError, match="baseline"):
        A.integrated_gradients(cnn, images[0], 0, baseline=np.zeros((12, 11)))


# ---------------------------------------------------------------- occlusion

@pytest.mark.parametrize("patch, stride", [(4, 2), (3, 3), (2, 1), (4, 4), (6, 3)])
def test_occlusion_equals_captum(cnn, images, patch, stride):
    for x in images[:2]:
        expected = captum_attr.Occlusion(cnn).attribute(batch(x), target=0, sliding_window_shapes=(patch, patch),
                                                        strides=stride, baselines=0.0)[0].detach().numpy()
        got = A.occlusion(A.scores_of(cnn, 0), x, patch, stride)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_occlusion_of_a_linear_score_by_hand():
    """1x1 patches: each pixel's drop is its weight times (value - fill)."""
    weights = np.arange(6.0).reshape(2, 3)
    image = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    predict = lambda b: (np.asarray(b) * weights).sum(axis=(1, 2))   # noqa: E731
    np.testing.assert_allclose(A.occlusion(predict, image, patch=1, stride=1, fill=0.5),
                               weights * (image - 0.5))


def test_occlusion_leaves_uncovered_pixels_at_zero():
    image = np.ones((5, 5))
    result = A.occlusion(lambda b: np.asarray(b).sum(axis=(1, 2)), image, patch=2, stride=2)
    assert np.all(result[4] == 0) and np.all(result[:, 4] == 0) and np.all(result[:4, :4] == 4.0)


@pytest.mark.parametrize("kwargs", [{"patch": 0}, {"patch": 13}, {"stride": 0}, {"patch": 2.0}])
def test_occlusion_rejects_bad_windows(images, kwargs):
    with pytest.raises(ValueError):
        A.occlusion(lambda b: np.zeros(len(b)), images[0], **kwargs)


def test_occlusion_rejects_a_batch():
    with pytest.raises(ValueError, match="2-D"):
        A.occlusion(lambda b: np.zeros(len(b)), np.zeros((2, 4, 4)))


# ---------------------------------------------------------------- LIME

def test_grid_segments_number_squares_row_by_row():
    segments = A.grid_segments((4, 6), 2)
    assert segments.shape == (4, 6)
    np.testing.assert_array_equal(segments[::2, ::2], [[0, 1, 2], [3, 4, 5]])
    assert all((segments == k).sum() == 4 for k in range(6))


def test_weighted_ridge_equals_scikit_learn():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(3)
    X, y, w = rng.integers(0, 2, (40, 6)).astype(float), rng.normal(size=40), rng.random(40)
    coef, intercept = A.weighted_ridge(X, y, w, alpha=1.0)
    reference = Ridge(alpha=1.0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(coef, reference.coef_, rtol=1e-8, atol=1e-10)
    assert np.isclose(intercept, reference.intercept_)


def test_lime_kernel_is_lime_packages_kernel():
    d = np.linspace(0, 1, 11)
    np.testing.assert_allclose(A.lime_kernel(d, 0.25), np.sqrt(np.exp(-d ** 2 / 0.25 ** 2)))
    assert A.lime_kernel([0.0], 0.25)[0] == 1.0


@pytest.mark.parametrize("seed, width", [(0, 0.25), (5, 1.0)])
def test_lime_image_equals_the_lime_package(cnn, images, seed, width):
    from lime import lime_image

    x, segments = images[0].astype(float), A.grid_segments((12, 12), 4)

    def probabilities(batch_):
        batch_ = np.asarray(batch_, dtype=np.float32)
        batch_ = batch_[..., 0] if batch_.ndim == 4 else batch_
        with torch.no_grad():
            return torch.softmax(cnn(torch.from_numpy(batch_)), dim=1).numpy().astype(float)

    explainer = lime_image.LimeImageExplainer(kernel_width=width, random_state=seed, feature_selection="none")
    explanation = explainer.explain_instance(x, probabilities, labels=(1,), top_labels=None, hide_color=0,
                                             num_samples=120, batch_size=120, random_seed=0,
                                             segmentation_fn=lambda image: segments)
    expected = np.zeros(9)
    for segment, weight in explanation.local_exp[1]:
        expected[segment] = weight
    coef, intercept = A.lime_image(lambda b: probabilities(b)[:, 1], x, segments, 120, width, seed)
    np.testing.assert_allclose(coef, expected, rtol=1e-6, atol=1e-9)
    assert np.isclose(intercept, explanation.intercept[1], atol=1e-9)


def test_lime_recovers_a_linear_model_of_the_segments():
    """If the score is exactly linear in the segments, LIME's weights approach the true ones."""
    segments = A.grid_segments((4, 4), 2)
    true = np.array([1.0, -2.0, 0.5, 3.0])
    predict = lambda b: np.array([[np.asarray(im)[segments == k].mean() for k in range(4)] for im in b]) @ true  # noqa
    coef, intercept = A.lime_image(predict, np.ones((4, 4)), segments, n_samples=400, kernel_width=100.0)
    np.testing.assert_allclose(coef, true, rtol=0.02)
    assert abs(intercept) < 0.05


def test_lime_changes_with_the_seed(cnn, images):
    segments = A.grid_segments((12, 12), 4)
    predict = A.scores_of(cnn, 0)
    first, second = (A.lime_image(predict, images[0], segments, 60, 0.25, seed)[0] for seed in (0, 1))
    assert not np.allclose(first, second)


def test_lime_rejects_bad_segments(images):
    with pytest.raises(ValueError, match="segments"):
        A.lime_image(lambda b: np.zeros(len(b)), images[0], np.full((12, 12), 3))


# ---------------------------------------------------------------- Shapley values

def _interaction(X):
    return np.tanh(X[:, 0] * X[:, 1]) + X[:, 2] ** 2 - X[:, 3] * X[:, 0]


def test_shapley_values_of_a_linear_model():
    w = np.array([2.0, -1.0, 0.5])
    background = np.random.default_rng(4).normal(size=(7, 3))
    x = np.array([1.0, 1.0, 1.0])
    phi = A.exact_shapley(lambda X: X @ w + 3.0, x, background)
    np.testing.assert_allclose(phi, w * (x - background.mean(axis=0)), atol=1e-12)


def test_shapley_values_by_permutations():
    """The Shapley value is a feature's mean contribution over all n! orders of joining."""
    rng = np.random.default_rng(5)
    x, background = rng.normal(size=4), rng.normal(size=(3, 4))
    by_order = np.zeros(4)
    orders = list(itertools.permutations(range(4)))
    for order in orders:
        for k, i in enumerate(order):
            before = A.coalition_value(_interaction, x, background, order[:k])
            by_order[i] += (A.coalition_value(_interaction, x, background, order[:k + 1]) - before) / len(orders)
    np.testing.assert_allclose(A.exact_shapley(_interaction, x, background), by_order, atol=1e-12)


def test_shapley_values_equal_shaps_kernel_explainer_and_add_up():
    shap = pytest.importorskip("shap")
    rng = np.random.default_rng(6)
    x, background = rng.normal(size=4), rng.normal(size=(5, 4))
    phi = A.exact_shapley(_interaction, x, background)
    assert np.isclose(phi.sum(), _interaction(x[None])[0] - _interaction(background).mean(), atol=1e-12)
    kernel = shap.KernelExplainer(_interaction, background).shap_values(x[None], nsamples=100, silent=True)
    np.testing.assert_allclose(np.ravel(kernel), phi, atol=1e-10)


def test_a_feature_the_model_ignores_gets_zero():
    rng = np.random.default_rng(7)
    phi = A.exact_shapley(lambda X: X[:, 0] * X[:, 2], rng.normal(size=3), rng.normal(size=(4, 3)))
    assert phi[1] == 0.0


@pytest.mark.parametrize("x, background", [(np.ones(3), np.ones((2, 4))), (np.ones((2, 3)), np.ones((2, 3))),
                                           (np.ones(17), np.ones((1, 17)))],
                         ids=["columns", "2-D x", "too many features"])
def test_exact_shapley_rejects_bad_shapes(x, background):
    with pytest.raises(ValueError):
        A.exact_shapley(lambda X: X.sum(axis=1), x, background)


# ---------------------------------------------------------------- sanity-check helpers

def test_randomized_copy_changes_every_layer_and_leaves_the_original(cnn):
    before = [p.detach().clone() for p in cnn.parameters()]
    state = torch.random.get_rng_state()
    clone = A.randomized_copy(cnn, seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)       # the caller's random numbers are untouched
    assert all(torch.equal(p, q) for p, q in zip(before, cnn.parameters()))
    assert all(not torch.equal(p, q) for p, q in zip(cnn.parameters(), clone.parameters()))
    assert not clone.training
    again = A.randomized_copy(cnn, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(clone.parameters(), again.parameters()))


def test_randomization_changes_gradients_but_not_the_edge_detector(images):
    model = tiny_cnn(8)
    randomized = A.randomized_copy(model, seed=2)
    gradient = [A.rank_correlation(np.abs(A.gradient(model, x, 0)), np.abs(A.gradient(randomized, x, 0)))
                for x in images]
    assert np.mean(gradient) < 0.8
    assert all(A.rank_correlation(A.edge_map(x), A.edge_map(x)) == 1.0 for x in images)


def test_edge_map_finds_a_vertical_edge():
    image = np.zeros((6, 6))
    image[:, 3:] = 1.0
    edges = A.edge_map(image)
    assert edges[:, 2:4].min() > 0 and edges[:, 0].max() == 0 and edges[:, 5].max() == 0


def test_rank_correlation_matches_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(9)
    a, b = rng.random(50), rng.random(50)
    b[:10] = 0.0                                      # ties, as in maps with blank pixels
    assert np.isclose(A.rank_correlation(a, b), spearmanr(a, b).statistic)
    assert A.rank_correlation(a, a) == pytest.approx(1.0) and A.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert A.rank_correlation(np.ones(5), a[:5]) == 0.0


def test_gradient_methods_take_a_tensor_that_requires_grad_and_leave_its_grad_alone():
    """A caller's x may require gradients (Captum's inputs in lesson 07a do): the methods detach it, so they neither
    fail in .numpy() nor write into the caller's x.grad."""
    model = tiny_mlp()
    plain = torch.randn(5, generator=torch.Generator().manual_seed(3))
    x = plain.clone().requires_grad_(True)
    for method in (A.gradient, A.saliency, A.gradient_times_input,
                   lambda m, z, t: A.integrated_gradients(m, z, t, steps=8)):
        got = method(model, x, 1)
        np.testing.assert_allclose(got, method(model, plain, 1), rtol=1e-6, atol=1e-7)
        assert x.grad is None and x.requires_grad
