"""Exercises of lesson 07 (looking inside a network), which comes in two parts.

One module serves both notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 07a_gradient_attributions: exercise 1 ``saliency_map``, exercise 2 ``integrated_gradients``;
- 07b_occlusion_lime_shap: exercise 3 ``occlusion_map``, exercise 4 ``exact_shapley_values``.

The references live in the lesson code, ``course_utils.attribution``. torch is imported inside the functions only.
"""
import copy
import itertools
import math
import time

import numpy as np

from .. import attribution as ref
from ..i18n import t
from .base import INPUT_MADE_READ_ONLY as _INPUT_MADE_READ_ONLY, NOT_AN_ARRAY as _NOT_AN_ARRAY
from .base import READ_ONLY_RESULT as _READ_ONLY_RESULT
from .base import (Case, Exercise, InputChanged, Mismatch, Mistake, called, compare_values, draw_call, draw_floats,
                   draw_shape, generated, input_changed, kept_between_calls, new_results, note_a_made_call,
                   refusing_course_versions, same_arrays, to_numpy)

# round 18: the lessons import course_utils.attribution and run these, which the references wrap, so an answer that
# called one passed; the watch is outermost, so a map kept between calls or a changed model is still named first
_GRADIENT_VERSIONS = (ref.saliency, ref.gradient, ref.gradient_times_input, ref.integrated_gradients,
                      ref._target_gradients)  # round 20: the batch gradient that gradient() wraps computed a map too


# round 24 (r247 F1-F3): the lessons check each answer against captum and shap, and show the calls; an answer that made
# them (captum.attr.Saliency(model).attribute(...), IntegratedGradients with method="riemann_middle", shap's Exact
# explainer with an Independent masker) passed. They are watched as the course's own versions are, once loaded, and
# named as a library's version. Not the classes they build on: FeatureAblation window by window leaves most of the
# work to the answer
_CAPTUM = "captum.attr._core."
# round 30 (r307 F1, F2): shap's gradient explainers for torch models each have a helper, gradient(idx, [batch]), that
# returns d score[idx] / d input for every row of a batch: called on x[None] it is the saliency map before .abs(), and
# on the answer's own batch of path points it left integrated gradients only the mean; both passed
_SHAP_GRADIENTS = ("shap.explainers._gradient:_PyTorchGradient.gradient",
                   "shap.explainers._deep.deep_pytorch:PyTorchDeep.gradient")
# round 32 (r327 F1): captum's private helpers of its neuron and layer methods each take the gradient of one output
# neuron with respect to the inputs; with the model itself as the layer and target as the neuron, that is the saliency
# map before .abs(), and on the answer's batch of path points it left integrated gradients only the mean. All four
# passed
_CAPTUM_NEURON_GRADIENTS = ("captum._utils.gradient:_neuron_gradients",
                            "captum._utils.gradient:_forward_layer_eval_with_neuron_grads",
                            "captum._utils.gradient:construct_neuron_grad_fn",
                            f"{_CAPTUM}layer.layer_integrated_gradients:LayerIntegratedGradients._make_gradient_func")
_LIBRARY_VERSIONS = {
    "saliency_map": (f"{_CAPTUM}saliency:Saliency.attribute", f"{_CAPTUM}input_x_gradient:InputXGradient.attribute",
                     f"{_CAPTUM}integrated_gradients:IntegratedGradients.attribute",
                     "captum._utils.gradient:compute_gradients",   # the gradient that Saliency returns
                     # the gradient at a layer's input, x itself for the first layer (multiply_by_inputs=False)
                     f"{_CAPTUM}layer.layer_gradient_x_activation:LayerGradientXActivation.attribute",
                     # round 25 (r257 F1): the gradient of the last layer's neuron `target` (the score), the path
                     # average of the gradient from x to x itself, and the helper that a layer method calls
                     f"{_CAPTUM}neuron.neuron_gradient:NeuronGradient.attribute",
                     f"{_CAPTUM}layer.internal_influence:InternalInfluence.attribute",
                     "captum._utils.gradient:compute_layer_gradients_and_eval",
                     *_SHAP_GRADIENTS, *_CAPTUM_NEURON_GRADIENTS),
    "integrated_gradients": (f"{_CAPTUM}integrated_gradients:IntegratedGradients.attribute",
                             # round 26 (r267 F5): the private method that attribute calls, with the answer's own
                             # gradient function set as the object's gradient_func: captum made the path and its sum
                             f"{_CAPTUM}integrated_gradients:IntegratedGradients._attribute",
                             f"{_CAPTUM}layer.layer_integrated_gradients:LayerIntegratedGradients.attribute",
                             f"{_CAPTUM}saliency:Saliency.attribute",
                             f"{_CAPTUM}input_x_gradient:InputXGradient.attribute",
                             # round 25 (r257 F2): InternalInfluence at the first layer's input is the average
                             # gradient along the path, NeuronConductance of the score's neuron is integrated gradients
                             # itself, and the gradient helpers at the points are refused here as Saliency is
                             f"{_CAPTUM}layer.internal_influence:InternalInfluence.attribute",
                             f"{_CAPTUM}neuron.neuron_conductance:NeuronConductance.attribute",
                             f"{_CAPTUM}neuron.neuron_gradient:NeuronGradient.attribute",
                             f"{_CAPTUM}layer.layer_gradient_x_activation:LayerGradientXActivation.attribute",
                             "captum._utils.gradient:compute_gradients",
                             "captum._utils.gradient:compute_layer_gradients_and_eval",
                             *_SHAP_GRADIENTS, *_CAPTUM_NEURON_GRADIENTS,
                             # round 30 (r307 F3): the conductance of an identity layer put in front of the model is
                             # integrated gradients, and captum's reference version of it has a riemann_middle method;
                             # refused on the lesson's 28x28 cases only as too slow (one copy per pixel and step)
                             "captum.testing.attr.helpers.conductance_reference:ConductanceReference.attribute",
                             "captum.testing.attr.helpers.conductance_reference:ConductanceReference"
                             "._conductance_grads"),
    "occlusion_map": (f"{_CAPTUM}occlusion:Occlusion.attribute",
                      # round 26 (r267 F3): FeatureAblation.attribute.__wrapped__ called with an Occlusion and the
                      # windows' settings is Occlusion.attribute without its wrapper; the windows are still Occlusion's
                      f"{_CAPTUM}occlusion:Occlusion._occlusion_mask",
                      f"{_CAPTUM}occlusion:Occlusion._construct_ablated_input_across_tensors"),
    "exact_shapley_values": (f"{_CAPTUM}shapley_value:ShapleyValues.attribute",
                             # round 25 (r257 L1): set to every order, the sampling is exact (refused before only as
                             # float32 arithmetic)
                             f"{_CAPTUM}shapley_value:ShapleyValueSampling.attribute",
                             # round 26 (r267 F1): the same sampling through its Future version, which ShapleyValues
                             # inherits and runs over every order (refused before only as float32 arithmetic)
                             f"{_CAPTUM}shapley_value:ShapleyValueSampling.attribute_future",
                             f"{_CAPTUM}kernel_shap:KernelShap.attribute",
                             "shap.explainers._explainer:Explainer.__call__",
                             "shap.explainers._exact:ExactExplainer.explain_row",
                             "shap.explainers._permutation:PermutationExplainer.explain_row",
                             "shap.explainers._kernel:KernelExplainer.shap_values",
                             "shap.explainers._kernel:KernelExplainer.explain",   # one row, all coalitions: exact
                             # round 26 (r267 F4): ExactExplainer.explain_row's own parts, called one by one: the
                             # Shapley weights and their sum over every coalition's value (in gray-code order)
                             "shap.utils._general:shapley_coefficients",
                             "shap.explainers._exact:_compute_grey_code_row_values",
                             # round 29 (r298 F2): numba compiles it; its Python function, py_func, did the same sum
                             # unwatched (held from an earlier cell; through the watcher, base.watched watches it now)
                             "shap.explainers._exact:_compute_grey_code_row_values.py_func",
                             # round 31 (r318 F2): its sibling for Shapley-Taylor interactions: a row's sum plus the
                             # feature's main effect v({i}) - v({}) is the Shapley value, exactly
                             "shap.explainers._exact:_compute_grey_code_row_values_st",
                             "shap.explainers._exact:_compute_grey_code_row_values_st.py_func",
                             # round 31 (r318 F3): TreeExplainer on a tree fitted to predict on every coalition's rows
                             # (interventional, the background as data) was refused only as float32 arithmetic
                             "shap.explainers._tree:TreeExplainer.shap_values",
                             # round 27 (r278 F2): the model that ExactExplainer masks, called with a coalition's mask,
                             # is v(S), the mean of predict over the background rows with x's values in S; refused as
                             # the course's coalition_value is
                             "shap.utils._masked_model:MaskedModel.__call__",
                             "shap.utils._masked_model:MaskedModel._full_masking_call",
                             "shap.utils._masked_model:MaskedModel._delta_masking_call",
                             # round 28 (r288 F1): CoalitionExplainer's Winter values of a flat partition (a list of
                             # the features) are the Shapley values: its tree lists, for each feature, every coalition
                             # of the others with its Shapley weight, and explain_row sums them with the answer's v(S)
                             "shap.explainers._coalition:CoalitionExplainer.explain_row",
                             "shap.explainers._coalition:_generate_permutations",
                             "shap.explainers._coalition:_generate_paths_and_combinations",
                             "shap.explainers._coalition:_compute_weight",
                             # round 28 (r288 F5): KernelExplainer.explain in parts: run evaluates v(S) of every
                             # coalition added (predict's mean over the background), solve fits the regression whose
                             # solution over every coalition is the Shapley values
                             "shap.explainers._kernel:KernelExplainer.run",
                             "shap.explainers._kernel:KernelExplainer.solve"),
}

# ---------------------------------------------------------------- small seeded models for the cases
def _tiny_mlp(n_in=6, n_out=3, seed=0):
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(n_in, 8), nn.ReLU(), nn.Linear(8, n_out)).eval()


def _tiny_cnn(seed=0):
    """(n, 8, 8) images -> 4 scores."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        return nn.Sequential(nn.Unflatten(1, (1, 8)), nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(),
                             nn.Linear(3 * 6 * 6, 4)).eval()


def _tiny_mlp_with_batchnorm(seed=0):
    """6 inputs -> 3 scores through batch normalization, in eval() mode: in train() mode the scores change."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
        with torch.no_grad():
            model(2 * torch.randn(16, 6) + 1)  # one pass in train() mode moves the running statistics
    return model.eval()


def _steep_mlp(gain, seed):
    """``_tiny_mlp`` with its scores scaled by ``gain``: gradients ``gain`` times as large."""
    import torch

    model = _tiny_mlp(seed=seed)
    with torch.no_grad():
        model[-1].weight.mul_(gain)
        model[-1].bias.mul_(gain)
    return model


def _wide_relu_mlp(seed):
    """6 inputs -> 64 ReLU units -> 3 scores: the gradient jumps at many points of a path (each unit that switches)."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(6, 64), nn.ReLU(), nn.Linear(64, 3)).eval()


def _lesson_cnn_and_image(seed):
    """The lesson's own CNN (digit_models.digit_cnn: max pooling and dropout, in eval() mode), untrained and seeded,
    and a 28x28 image of float64 in [0, 1] with blank pixels, as 07a explains them (round 27, r277 F5: every other
    input holds 108 values at most, so an answer that changed its map only on an image of the lesson's size passed)."""
    import torch

    from .. import digit_models

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        model = digit_models.digit_cnn().eval()
    image = np.random.default_rng(seed).random((28, 28))
    image[image < 0.6] = 0.0
    return model, image


def _lesson_mlp_and_image(seed):
    """The lesson's MLP (digit_models.digit_mlp: 784 - 256 - 64 - 10, ReLU), untrained and seeded, and a 28x28 image
    as ``_lesson_cnn_and_image`` draws it: the notebook runs both exercises on this model too (round 28, r287 F1: the
    only cases of the lesson's size explained the CNN, one class, with a blank baseline, so an answer wrong only on
    inputs of more than 108 values there passed)."""
    import torch

    from .. import digit_models

    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        model = digit_models.digit_mlp().eval()
    image = np.random.default_rng(seed).random((28, 28))
    image[image < 0.6] = 0.0
    return model, image


def _inputs(shape, seed, scale=1.0):
    import torch

    return scale * torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _model_state(model):
    """What an explanation must leave as it found it: each module's mode, each tensor's dtype, flag and values, each
    module's plain settings (a Dropout's p, a BatchNorm's momentum), and the number of hooks on each module and
    weight."""
    tensors = [(name, tensor.dtype, tensor.requires_grad, tensor.detach().clone(), kind) for kind, named in
               (("weight", model.named_parameters()), ("buffer", model.named_buffers())) for name, tensor in named]
    settings = {f"{name or 'model'}.{key}": value for name, module in model.named_modules()
                for key, value in vars(module).items()
                if not key.startswith("_") and key != "training" and isinstance(value, (bool, int, float, str, tuple))}
    hooks = [len(getattr(module, name, None) or {}) for module in model.modules() for name in
             ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")]
    hooks += [len(getattr(tensor, name, None) or {}) for _, tensor in model.named_parameters()
              for name in ("_backward_hooks", "_post_accumulate_grad_hooks")]
    return [module.training for module in model.modules()], tensors, settings, hooks


def _model_change(before, after):
    """What differs between two ``_model_state``s: a message, or '' when nothing does."""
    import torch

    if before[0] != after[0]:
        return t("your function left the model in another mode (model.train() or model.eval() on a part of it): "
                 "the notebook uses the same model afterwards, so leave it in the eval() mode it comes in")
    if [x[1] for x in before[1]] != [y[1] for y in after[1]]:
        return t("your function changed the dtype of the model's weights (model.double() or model.to(x.dtype)): "
                 "the notebook feeds the same model float32 batches afterwards. Convert the input to float32 "
                 "instead and leave the model alone")
    if len(before[1]) == len(after[1]) and all(  # round 18: only buffers moved, said "changed the model's weights"
            x[:3] == y[:3] and (x[4] == "buffer" or torch.equal(x[3], y[3])) for x, y in zip(before[1], after[1])) and \
            not all(x[3].shape == y[3].shape and torch.equal(x[3], y[3]) for x, y in zip(before[1], after[1])):
        return t("your function changed the running statistics of the model's batch normalization (running_mean, "
                 "running_var): a forward pass in train() mode moves them, even under torch.no_grad() and with "
                 "model.eval() called afterwards. Leave the model in the eval() mode it comes in for every pass")
    if len(before[1]) != len(after[1]) or not all(
            x[:3] == y[:3] and x[3].shape == y[3].shape and torch.equal(x[3], y[3]) for x, y in zip(before[1], after[1])):
        return t("your function changed the model's weights or their requires_grad flags: an explanation reads the "
                 "model and leaves it as it was")
    if before[3] != after[3]:
        return t("your function left a hook on the model (register_forward_hook, register_full_backward_hook or a "
                 "weight's register_hook): it runs in every later call of the model, in every later cell. Keep the "
                 "handle it returns and call handle.remove() before returning, or use no hook: the gradient with "
                 "respect to x needs none")
    changed = [name for name, value in before[2].items() if after[2].get(name, ...) != value]
    if changed:
        return t("your function changed a setting of the model's layers ({names}): the notebook uses the same model "
                 "afterwards. The model comes in eval() mode, which already switches dropout off; leave p and the "
                 "other settings as they are", names=", ".join(changed))
    return ""


def _grad_of(value):
    """A copy of a tensor's .grad (None for anything else, or a tensor without one)."""
    grad = getattr(value, "grad", None) if hasattr(value, "detach") else None
    return None if grad is None else grad.detach().clone()


def _same_grad(before, after):
    import torch

    if before is None or after is None:
        return before is None and after is None
    return before.shape == after.shape and before.dtype == after.dtype and bool(torch.equal(before, after))


def _run_explanation(explain, case):
    """Call ``explain(model, x, ...)``; reject a changed model or input, a result with a graph, and a result that a
    second or third call on copies of the same inputs returns again in the same memory (a buffer kept between calls,
    or two used in turn)."""
    again = [copy.deepcopy(case) for _ in range(2)]
    model = case.args[0] if case.args else case.kwargs["model"]
    given = [*case.args[1:], *(value for name, value in case.kwargs.items() if name != "model")]
    inputs = copy.deepcopy(given)
    state = _model_state(model)
    flags = [getattr(a, "requires_grad", None) for a in given]
    grads = [_grad_of(a) for a in given]
    writeable = [a.flags.writeable for a in given if isinstance(a, np.ndarray)]
    started = time.perf_counter()
    result = explain(*case.args, **case.kwargs)
    took = time.perf_counter() - started
    _tensor_or_array(result)
    change = _model_change(state, _model_state(model))
    if change:
        raise Mismatch(change)
    if flags != [getattr(a, "requires_grad", None) for a in given]:  # before same_arrays, which sees it too
        raise InputChanged(t("your function switched on requires_grad of the caller's own tensor (x.requires_grad_() "
                             "without a copy), so the caller's x.numpy() fails afterwards: differentiate a copy, "
                             "torch.as_tensor(x, dtype=torch.float32).clone()"))
    if not all(_same_grad(before, _grad_of(a)) for before, a in zip(grads, given)):
        raise InputChanged(t("your function changed the .grad of the caller's own tensor (it set, cleared or added "
                             "to x.grad): that gradient belongs to the caller. Differentiate a copy, "
                             "torch.as_tensor(x, dtype=torch.float32).clone(), and leave the caller's x as it was"))
    if not same_arrays(given, inputs):
        raise input_changed()
    if writeable != [a.flags.writeable for a in given if isinstance(a, np.ndarray)]:  # round 17
        raise Mismatch(t(_INPUT_MADE_READ_ONLY))
    if isinstance(result, np.ndarray) and not result.flags.writeable:
        raise Mismatch(t(_READ_ONLY_RESULT))
    if getattr(result, "requires_grad", False):
        raise Mismatch(t("the result still requires gradients (it carries a graph), so np.asarray() of it fails "
                         "in the notebook: return a result computed from .grad, or add .detach()"))
    # the later calls only where the first was quick: a right answer that loops over 2048 points one at a time takes
    # about 0.7 s a call, and a buffer kept between calls shows on the first, small cases anyway; the third call
    # finds two buffers used in turn (round 17). Round 19: an answer slowed past 0.25 s at every call kept its buffer,
    # so each map is also compared with the maps of the last calls, kept alive here (no call more)
    if _in_a_recent_map(result) or took < 0.25 and any(
            kept_between_calls(result, lambda: explain(*other.args, **other.kwargs)) for other in again):
        raise Mismatch(t(_SAME_MEMORY))
    if took < 0.25 or _steps_of(case) <= 129:  # round 22: an answer slowed past 0.25 s kept its map by id(model)
        kept = _copied(result)
        _refuse_a_map_kept_for_the_model(explain, case)
        if kept is not None and not np.array_equal(kept, _copied(result), equal_nan=True):  # the later calls wrote it
            raise Mismatch(t(_SAME_MEMORY))
    return result


_SAME_MEMORY = ("a second call returned its map in the same memory as the first call's: your function writes its "
                "result into a tensor or array it keeps between calls (a buffer, out=...), so each call overwrites "
                "the map of the one before, and the maps of several images kept in a list all show the last one. "
                "Return a new tensor at every call")


def _steps_of(case):
    """The number of path points an integrated-gradients case asks for (0 for a saliency case): only the 2048-step
    case is left out of the later calls when the answer is slow there (a right answer one point at a time)."""
    steps = case.kwargs.get("steps", case.args[4] if len(case.args) > 4 else 0)
    return steps if isinstance(steps, int) else 0


def _refuse_a_map_kept_for_the_model(explain, case, doubled=True):
    """Call ``explain`` again on the case's own model (or predict) with another input, and on a copy of the model with
    that input: the two maps must agree. Round 21 (r217 F4): every case and every later call runs on a deep copy, so a
    map cached by id(model) (and the class, the steps, the patch) passed every case, while in the notebook a second
    image of the same model gets the first image's map. Round 22: and on a copy with doubled scores and that input,
    whose map must not stay the same (a map kept by the input's values, whatever the model, passed)."""
    if case.raises or len(case.args) < 2 or "model" in case.kwargs:
        return
    first, x, *rest = case.args
    other = _flipped(x)
    # each map is copied as soon as it comes back: a map written into a buffer kept between calls is left to the
    # check of its memory, which names it (round 22)
    a = _copied(explain(first, other, *rest, **case.kwargs))
    b = _copied(explain(_another_object(first), _flipped(x), *rest, **case.kwargs))
    # round 22: a map kept by the input's values, whatever the model, passed; twice the scores give twice the map
    c = _copied(explain(_doubled(first), _flipped(x), *rest, **case.kwargs)) if doubled else None
    if a is None or b is None:  # a result that numpy cannot hold (bfloat16) is left to the comparison
        return
    if a.shape != b.shape or not np.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=True):
        raise Mismatch(t(_KEPT_FOR_THE_MODEL))
    if c is not None and a.shape == c.shape and np.allclose(a, c, rtol=1e-4, atol=1e-6) and not np.allclose(
            2 * a, c, rtol=1e-4, atol=1e-6):
        raise Mismatch(t(_KEPT_FOR_THE_INPUT))
    # round 31 (r317 F1): a cache keyed by the model object and the input (the model kept alive in it, so that its id
    # is never reused) passed: every call above changed the object or the input. The same model, changed in place
    # (trained further, or its weights edited), must give a new map: here its scores doubled, then set back
    d = _with_scores_doubled_in_place(first, lambda: explain(first, _flipped(x), *rest, **case.kwargs)) \
        if doubled else None
    d = None if d is None else _copied(d)
    if d is not None and a.shape == d.shape and np.allclose(a, d, rtol=1e-4, atol=1e-6) and not np.allclose(
            2 * a, d, rtol=1e-4, atol=1e-6):
        raise Mismatch(t(_KEPT_FOR_THE_SAME_MODEL))


def _with_scores_doubled_in_place(model, call):
    """``call()`` while the last weighted layer of the torch ``model`` itself is doubled (twice the scores, so twice
    every map), its weights set back afterwards; None for a plain predict function, which cannot be changed in
    place."""
    if not hasattr(model, "parameters"):
        return None
    import torch

    last = [module for module in model.modules() if isinstance(getattr(module, "weight", None), torch.Tensor)]
    if not last:
        return None
    kept = {name: tensor.detach().clone() for name, tensor in last[-1].named_parameters(recurse=False)}
    try:
        with torch.no_grad():
            for name in kept:
                getattr(last[-1], name).mul_(2)
        return call()
    finally:
        with torch.no_grad():
            for name, tensor in kept.items():
                getattr(last[-1], name).copy_(tensor)


_KEPT_FOR_THE_MODEL = ("a second call with the same model and another input gave another map than a call with a copy "
                       "of the model and that input: your function keeps its results between calls, looked up by the "
                       "model (a cache keyed by id(model)), so a second image gets the first image's map. Compute the "
                       "map from the arguments at every call")


_KEPT_FOR_THE_INPUT = ("a call with the same input and another model (its scores doubled) gave the same map, where twice "
                       "the scores give twice the map: your function keeps its results between calls, looked up by the "
                       "input (a cache keyed by the input's values), so the same input explained for another model gets "
                       "the first model's result, and the model randomization test of lesson 07b cannot see a "
                       "difference; or it rescales the map (divided by its largest value, or clipped). Compute the "
                       "result from the arguments at every call and return it as it is")


_KEPT_FOR_THE_SAME_MODEL = ("a call with the same model object, its scores doubled in place (as training it further "
                            "changes its weights), gave the same map as before, where twice the scores give twice the "
                            "map: your function keeps its results between calls, looked up by the model object and the "
                            "input (a cache), so a model that has changed since gets its old map. Compute the map from "
                            "the arguments at every call")


def _copied(result):
    """``result`` as a new array of floats, or None where numpy cannot hold it (bfloat16)."""
    try:
        return np.array(to_numpy(result), dtype=float)
    except Exception:
        return None


def _doubled(model):
    """A copy of a torch model whose last layer's weights and bias are doubled, or a function that doubles what
    ``predict`` returns: twice the scores, so every map of this lesson doubles (exactly: a factor of 2)."""
    if callable(model) and not hasattr(model, "parameters"):
        return lambda *args, **kwargs: 2 * np.asarray(model(*args, **kwargs))
    import torch

    doubled = copy.deepcopy(model)
    last = [module for module in doubled.modules() if isinstance(getattr(module, "weight", None), torch.Tensor)][-1]
    with torch.no_grad():
        last.weight.mul_(2)
        if getattr(last, "bias", None) is not None:
            last.bias.mul_(2)
    return doubled


def _flipped(x):
    """``x`` mirrored along its last axis, a new tensor or array (another input of the same shape and type)."""
    if hasattr(x, "detach"):
        import torch

        return torch.flip(x.detach(), dims=(-1,))
    return np.flip(x, axis=-1).copy()


def _another_object(model):
    """A copy of a torch model, or another function object that calls ``predict``: a new id for the same scores."""
    if callable(model) and not hasattr(model, "parameters"):
        return lambda *args, **kwargs: model(*args, **kwargs)
    return copy.deepcopy(model)


def _tensor_or_array(result):
    """``result``, unless it only looks like a tensor (detach, cpu and numpy of its own): the comparison converts
    it after the watch of the course's functions has ended, so its numpy() could compute the map with them then
    (round 20)."""
    if hasattr(result, "detach"):   # (only then: an import inside a check costs half a millisecond)
        import torch

        if type(result) is not torch.Tensor:
            raise Mismatch(t(_NOT_AN_ARRAY, kind=type(result).__name__))
    return result


def _called_for_a_tensor_or_array(answer, case):
    started = time.perf_counter()
    result = _tensor_or_array(called(answer, case))
    # round 22: the call with doubled scores after a quick call or on a small input (an image, or 4 features at
    # most): a right Shapley answer over all n! orders takes about 1 s a call on 6 features, and four calls of it
    # came near the time limit
    quick = time.perf_counter() - started < 0.25
    _refuse_a_map_kept_for_the_model(answer, case, doubled=quick or _small_input(case))
    return result


def _also_for_other_settings(run, names, changes):
    """``run``, then once more per setting in ``changes`` (a parameter name -> a function giving another valid value
    of it): a call with the case's own predict and input and that other value must give what a call with a copy of
    predict gives. Round 27 (r278 F1): a result kept in a cache keyed by predict and the input only (the map of the
    first patch, the Shapley values of the first background) passed, since every case and every later call changed
    predict or the input; in the notebook the same score function and image explained with another patch (Think
    further 1) get the first patch's map."""
    def runner(answer, case):
        started = time.perf_counter()
        result = run(answer, case)
        # as the call with doubled scores: only after quick calls or on a small input (a right Shapley answer over all
        # n! orders takes about 1 s a call on 6 features, and two more calls came past the time limit)
        if case.raises or time.perf_counter() - started > 0.5 and not _small_input(case):
            return result
        values = {**dict(zip(names, case.args)), **case.kwargs}
        for name, change in changes.items():
            other = change(values[name])
            if other is None:
                continue
            given = {**values, name: other}
            try:
                a = _copied(answer(**given))
                b = _copied(answer(**{**given, names[0]: _another_object(values[names[0]])}))
            except Exception as error:  # a wrong answer that fails on the other value is left to the cases
                if type(error).__module__.startswith("course_utils"):  # a refused call, a changed input
                    raise
                continue
            if a is not None and b is not None and (a.shape != b.shape or not np.allclose(
                    a, b, rtol=1e-4, atol=1e-6, equal_nan=True)):
                raise Mismatch(t(_KEPT_FOR_THE_SETTINGS, name=name))
        return result
    return runner


_KEPT_FOR_THE_SETTINGS = ("a second call with the same predict and the same input but another {name} gave a different "
                          "result from a call with a copy of predict and that {name}: your function keeps its results "
                          "between calls, looked up by predict and the input (a cache), so a call with another {name} "
                          "gets the first call's result. Compute the result from all the arguments at every call")


def _small_input(case):
    """Whether the case explains an image (occlusion: 9 x 9 at most) or 4 features at most (Shapley)."""
    x = case.args[1] if len(case.args) > 1 else case.kwargs.get("x", case.kwargs.get("image"))
    return np.ndim(x) == 2 or np.size(x) <= 4


_RECENT_MAPS: list = []   # the maps that the last calls of ``_run_explanation`` returned, kept alive


def _in_a_recent_map(result):
    """Whether ``result`` lies in the memory of a map returned by one of the last four calls; it is kept as one."""
    try:
        current = to_numpy(result)
    except Exception:  # a result that numpy cannot hold (bfloat16) is left to the comparison, which says so
        return False
    if not isinstance(current, np.ndarray) or not current.size:
        return False
    if any(np.shares_memory(current, earlier) for earlier in _RECENT_MAPS):
        return True
    _RECENT_MAPS[:] = [*_RECENT_MAPS[-3:], current]
    return False


# ---------------------------------------------------------------- drawn models and inputs (exercises 1 and 2)
def _draw_model(rng, shape, kind, classes=None):
    """A small float32 model in eval() mode from a batch (n, *shape) to 2-5 scores (or ``classes``: 1 is one
    score), by ``kind``: "mlp" (ReLU or tanh, maybe dropout, which eval() switches off), "batchnorm" or, for an
    image (H, W) or (C, H, W), "cnn"; its first layer is sometimes frozen (requires_grad False), its scores are
    sometimes scaled up (gradients larger than 1)."""
    import torch
    from torch import nn

    size, drawn, hidden = int(np.prod(shape)), int(rng.integers(2, 6)), int(rng.integers(2, 11))
    classes = drawn if classes is None else classes
    activation = nn.ReLU() if rng.random() < 0.6 else nn.Tanh()
    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(int(rng.integers(2 ** 31)))
        if kind == "cnn":
            channels, (height, width) = (1 if len(shape) == 2 else shape[0]), shape[-2:]
            k = int(rng.integers(1, min(height, width, 3) + 1))
            layers = [nn.Unflatten(1, (1, height))] if len(shape) == 2 else []
            model = nn.Sequential(*layers, nn.Conv2d(channels, 3, k), activation, nn.Flatten(),
                                  nn.Linear(3 * (height - k + 1) * (width - k + 1), classes))
        elif kind == "batchnorm":
            model = nn.Sequential(nn.Flatten(), nn.Linear(size, hidden), nn.BatchNorm1d(hidden), activation,
                                  nn.Linear(hidden, classes))
            with torch.no_grad():
                model(2 * torch.randn(16, *shape) + 1)  # one pass in train() mode moves the running statistics
        else:
            dropout = [nn.Dropout(0.5)] if rng.random() < 0.5 else []
            model = nn.Sequential(nn.Flatten(), nn.Linear(size, hidden), activation, *dropout,
                                  nn.Linear(hidden, classes))
    gain = float(rng.choice([1.0, 1.0, 40.0]))
    with torch.no_grad():  # a steeper model: saliency values above 1, which no answer may clip
        model[-1].weight.mul_(gain)
        model[-1].bias.mul_(gain)
    if rng.random() < 0.5:  # a frozen first layer, as in fine-tuning: an explanation leaves every flag as it is
        next(layer for layer in model if hasattr(layer, "weight")).requires_grad_(False)
    return model.eval(), classes


def _draw_x(rng, shape, kind):
    """Values of ``shape`` at a drawn scale, both signs, as ``kind``: "tensor32", "tensor64", "numpy32", "numpy64";
    or whole numbers: "numpy_uint8" (0-255, an 8-bit image), "tensor_int64" (-20 to 20)."""
    import torch

    if kind == "numpy_uint8":
        return rng.integers(0, 256, shape).astype(np.uint8)
    if kind == "tensor_int64":
        return torch.from_numpy(rng.integers(-20, 21, shape))
    values = draw_floats(rng, shape)
    values = values.astype(np.float32) if kind.endswith("32") else values
    return torch.from_numpy(values) if kind.startswith("tensor") else values


def _draw_x_shape(rng, ndim):
    """(d,), (H, W) or (C, H, W) by ``ndim``, odd and non-square sizes included; "gray" is (1, H, W), a grayscale
    image with its channel axis."""
    if ndim == "gray":
        return (1, *draw_shape(rng, 2, 2, 9))
    return draw_shape(rng, 1, 1, 9) if ndim == 1 else draw_shape(rng, 2, 2, 9) if ndim == 2 else (
        int(rng.integers(1, 4)), *draw_shape(rng, 2, 2, 6))


# ---------------------------------------------------------------- exercise 1: saliency
def _saliency(model, x, target):
    return ref.saliency(model, x, target)


def _with_stale_gradient(x):
    """``x`` as a tensor whose ``.grad`` still holds ones from an earlier backward pass."""
    import torch

    x.grad = torch.ones_like(x)
    return x


def _saliency_cases():
    return [
        Case((_tiny_mlp(), _inputs(6, 1), 0), label="an MLP with 6 inputs, class 0"),
        Case((_tiny_mlp(), _inputs(6, 2), 2), label="the same MLP, class 2"),
        Case((_tiny_cnn(), _inputs((8, 8), 3), 1), label="a CNN on an 8x8 image, class 1"),
        Case((_tiny_mlp(seed=4), _inputs(6, 5, scale=100.0), 1), label="large inputs"),
        Case((_tiny_mlp(), _with_stale_gradient(_inputs(6, 2)), 1), label="a tensor x that still holds an old "
             "gradient (differentiate a copy)"),
        Case((_tiny_cnn(), _inputs((8, 8), 9).double().numpy(), 2), label="a numpy image of float64, as the "
             "lesson's images"),
        Case((_tiny_mlp_with_batchnorm(), _inputs(6, 10), 0), label="a model with batch normalization, in eval() "
             "mode"),
        Case((_tiny_mlp(), _inputs(6, 1), 3), label="class 3 of a 3-class model (no such class: must raise an error, "
             "not wrap round)", raises=(IndexError, ValueError, RuntimeError, AssertionError)),  # or an assert
        *generated(_draw_saliency_case(), count=len(_EXPLAINED), seed=71),
        Case((_steep_mlp(1e5, seed=6), _inputs(6, 13), 2), label="a very steep model (its scores scaled by 100,000): "
             "saliency values in the thousands, which no answer may clip"),
        Case((*_lesson_cnn_and_image(77), 3), label="the lesson's CNN (max pooling, dropout) on a 28x28 image of "
             "float64 in [0, 1], as the notebook explains"),
        # round 28 (r287 F1): the notebook explains the MLP too
        Case((*_lesson_mlp_and_image(79), 7), label="the lesson's MLP (784 - 256 - 64 - 10) on a 28x28 image of "
             "float64 in [0, 1], class 7, as the notebook explains it too"),
        # round 30 (r307 F6): no case asked for class 8 or 9, so an answer that took the score [target % 8] passed
        Case((*_lesson_cnn_and_image(83), 9), label="the lesson's CNN on a 28x28 image, class 9, the last of its 10 "
             "classes"),
    ]


# what the drawn cases of exercises 1 and 2 explain, in turn: x's number of dimensions, the model, x's kind and
# maybe the number of classes (1: a model with a single score)
_EXPLAINED = [(1, "batchnorm", "tensor64"), (2, "cnn", "numpy32"), (3, "cnn", "tensor64"), (3, "mlp", "numpy64"),
              (2, "mlp", "tensor32"), (1, "mlp", "numpy32"), ("gray", "cnn", "numpy_uint8", 1),
              (1, "mlp", "tensor_int64")]


def _draw_saliency_case():
    """x of 1-3 dimensions (odd, non-square), float32/float64 or whole numbers, tensor/numpy; an MLP or CNN of
    2-5 classes or of a single score."""
    explained = iter(_EXPLAINED)
    return lambda rng: _draw_explained(rng, *next(explained))


def _draw_explained(rng, ndim, model_kind, x_kind, classes=None):
    shape = _draw_x_shape(rng, ndim)
    model, classes = _draw_model(rng, shape, model_kind, classes)
    x = _draw_x(rng, shape, x_kind)
    args, kwargs = draw_call(rng, ("model", "x", "target"), [model, x, int(rng.integers(classes))])
    return Case(args, kwargs)


def _target_score_gradient(model, x, score_of):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    score_of(model(x[None])).backward()
    return x.grad


def _saliency_without_abs(model, x, target):
    return _target_score_gradient(model, x, lambda scores: scores[0, target])


def _saliency_squared(model, x, target):
    """The square of the gradient, taken as its "size" (round 33, r337 F2)."""
    return _target_score_gradient(model, x, lambda scores: scores[0, target]) ** 2


_SQUARED = ("you squared the gradient: a saliency map is its size, the absolute value |d score / d x|, in the score's "
            "own units (the square shrinks values below 1 and blows up those above): return x.grad.abs().")


def _saliency_of_all_scores(model, x, target):
    return _target_score_gradient(model, x, lambda scores: scores.sum()).abs()


def _saliency_of_probability(model, x, target):
    return _target_score_gradient(model, x, lambda scores: scores.softmax(dim=1)[0, target]).abs()


def _saliency_of_log_probability(model, x, target):
    """The gradient of log_softmax, the log-probability that lesson 06's cross-entropy loss reads (round 24)."""
    return _target_score_gradient(model, x, lambda scores: scores.log_softmax(dim=1)[0, target]).abs()


def _saliency_without_a_copy(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).requires_grad_(True)
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _saliency_in_float64(model, x, target):
    import torch

    x = torch.as_tensor(x).clone().requires_grad_(True)
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _saliency_with_dropout_set_to_zero(model, x, target):
    from torch import nn

    for module in model.modules():  # "no random dropout in an explanation", and never set back
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    return _saliency(model, x, target)


def _saliency_in_training_mode(model, x, target):
    model.train()
    return _saliency(model, x, target)


def _saliency_with_a_float64_model(model, x, target):
    import torch

    x = torch.as_tensor(x).clone().requires_grad_(True)
    model.to(x.dtype)  # a float64 image gets a float64 model: the caller's model changes
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _saliency_flagging_the_caller_s_x(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).requires_grad_(True)  # the caller's own tensor, if x is one
    (grad,) = torch.autograd.grad(model(x[None])[0, target], x)
    return grad.abs()


def _saliency_with_batch_axis(model, x, target):
    import torch

    batch = torch.as_tensor(x, dtype=torch.float32)[None].requires_grad_(True)
    model(batch)[0, target].backward()
    return batch.grad.abs()


def _saliency_unfreezing_the_model(model, x, target):
    model.requires_grad_(False)  # keep the weights' .grad empty ...
    saliency = _saliency(model, x, target)
    model.requires_grad_(True)   # ... and "put it back": a layer the caller had frozen is now trainable
    return saliency


def _saliency_without_a_batch_axis(model, x, target):
    """model(x)[target]: x given to the model as it is, without x[None] (round 29, r297 F2)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x)[target].backward()
    return x.grad.abs()


def _saliency_without_a_batch_axis_first_row(model, x, target):
    """model(x)[0, target]: the exercise's indexing, without x[None] (round 29, r297 F2)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x)[0, target].backward()
    return x.grad.abs()


_NO_BATCH_AXIS = ("the model takes a batch (n, *x.shape) and returns scores (n, classes): add a batch axis with "
                  "x[None] and take model(x[None])[0, target]. Without it, a CNN reads the rows of the image as its "
                  "channels (hence an error about channels), and an MLP given a 1-D x returns its scores with no "
                  "batch axis, shape (classes,), so [0, target] has one index too many.")


def _saliency_squeezed(model, x, target):
    return _saliency(model, x, target).squeeze()  # drops x's own axes of length 1 as well


def _saliency_of_squeezed_scores(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None]).squeeze()[target].backward()  # with a single score, squeeze() leaves a 0-d tensor
    return x.grad.abs()


def _saliency_converting_float64_only(model, x, target):
    import torch

    x = torch.as_tensor(x)
    x = (x.float() if x.dtype == torch.float64 else x).clone().requires_grad_(True)  # whole numbers stay whole
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _saliency_clipped(model, x, target):
    return _saliency(model, x, target).clip(0, 1)  # "for the picture": values above 1 are lost


def _saliency_under_no_grad(model, x, target):
    """The forward pass under torch.no_grad(), "as we are not training": no graph, so backward() fails (round 30)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    with torch.no_grad():
        score = model(x[None])[0, target]
    score.backward()
    return x.grad.abs()


def _saliency_as_autograd_grad_s_tuple(model, x, target):
    """torch.autograd.grad's tuple returned as it is, without [0] (round 30)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    return torch.autograd.grad(model(x[None])[0, target], x)


_UNDER_NO_GRAD = ("you ran the model under torch.no_grad(), so no graph was recorded and backward() had nothing to "
                  "differentiate (hence \"element 0 of tensors does not require grad\", although your copy of x does): "
                  "run the forward pass outside it. torch.no_grad() is for passes whose gradients nobody needs; here "
                  "the gradient is the result.")


def _saliency_of_the_predicted_class(model, x, target):
    """The score of the class the model predicts (its largest), whatever ``target`` says (round 27)."""
    return _target_score_gradient(model, x, lambda scores: scores[0].max()).abs()


def _saliency_of_a_batch_row(model, x, target):
    """model(x[None])[target]: the batch axis added, and then indexed as if it were the class axis (round 31)."""
    return _target_score_gradient(model, x, lambda scores: scores[target]).abs()


_BATCH_ROW = ("model(x[None]) returns the scores of a batch of one image, shape (1, classes): [target] picks a row of "
              "that batch, not a class (row 0 holds every class's score, hence \"grad can be implicitly created only "
              "for scalar outputs\"; there is no row past 0, hence an index out of range). Take row 0 and column "
              "target: model(x[None])[0, target].")


def _saliency_of_flattened_x(model, x, target):
    """model(x.reshape(1, -1)): x made one row of numbers, as lesson 06's MLP took its images (round 32, r327 F2)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x.reshape(1, -1))[0, target].backward()
    return x.grad.abs()


# round 32 (r327 F2): told torch's own error only, about unflatten's sizes (an MLP that starts with nn.Flatten passed)
_FLATTENED_X = ("x.reshape(1, -1) made x one row of numbers: a model that starts with nn.Flatten (an MLP) takes that, "
                "but a CNN needs the image's own shape, and its first layer (nn.Unflatten or a convolution) fails on "
                "the row, hence an error about unflatten, sizes or channels. The model takes a batch (n, *x.shape): "
                "add the batch axis with x[None] and keep x's own shape.")


# ---------------------------------------------------------------- exercise 2: integrated gradients
def _integrated_gradients(model, x, target, baseline, steps):
    return ref.integrated_gradients(model, x, target, baseline, steps)


def _ig_cases():
    return [
        Case((_tiny_mlp(), _inputs(6, 1), 0, None, 16), label="an MLP, blank baseline (None = zeros), 16 steps"),
        Case((_tiny_mlp(), _inputs(6, 2), 2, _inputs(6, 7), 5), label="a non-zero baseline, 5 steps"),
        Case((_tiny_mlp(seed=3), _inputs(6, 8), 1, None, 1), label="a single step (the midpoint)"),
        Case((_tiny_cnn(), _inputs((8, 8), 3), 1, None, 8), label="a CNN on an 8x8 image, 8 steps"),
        Case((_tiny_cnn(), _inputs((8, 8), 9).double().numpy(), 2, None, 8), label="a numpy image of float64, as "
             "the lesson's images, 8 steps"),
        Case((_tiny_mlp_with_batchnorm(), _inputs(6, 10), 1, None, 4), label="a model with batch normalization, in "
             "eval() mode, 4 steps"),
        Case((_tiny_cnn(), _inputs((8, 8), 11), 3, np.ones((8, 8)), 8), label="a numpy baseline of float64 (all ones, "
             "white), 8 steps"),
        Case((_tiny_mlp(), _inputs(6, 1), 0, None, 0), label="0 steps (must raise ValueError)", raises=ValueError),
        Case((_tiny_mlp(), _inputs(6, 1), 0, None, -1), label="-1 steps (must raise ValueError)", raises=ValueError),
        *generated(_draw_ig_case(), count=len(_EXPLAINED), seed=72),
        Case((_tiny_cnn(), *_uint8_image_and_gray_baseline()), label="an 8-bit image (uint8, 0-255) with a gray "
             "baseline of uint8 too (128 everywhere), class 2, 8 steps: x - baseline must not wrap round below 0"),
        Case((_tiny_mlp(), _with_stale_gradient(_inputs(6, 12)), 1, None, 8), label="a tensor x that still holds an "
             "old gradient, 8 steps (its .grad is the caller's: leave it as it is)"),
        Case((_wide_relu_mlp(seed=14), _inputs(6, 15, scale=3.0), 0, None, 2048), label="a ReLU MLP with 64 hidden "
             "units, 2048 steps, as the lesson's completeness check uses: every one of the 2048 points counts"),
        # round 26 (r267 F2): 2048 and the drawn 1-128 steps are multiples of any chunk of 128-1024 points or fit in
        # one, so an answer that averaged chunk by chunk and then averaged the chunks' means passed
        Case((_wide_relu_mlp(seed=16), _inputs(6, 17, scale=3.0), 2, None, 1100), label="a ReLU MLP with 64 hidden "
             "units, 1100 steps: points handled in chunks (of 128, 256, 512 or 1024) leave a smaller last chunk"),
        Case((*_lesson_cnn_and_image(78), 3, None, 64), label="the lesson's CNN (max pooling, dropout) on a 28x28 "
             "image of float64 in [0, 1], blank baseline, 64 steps, as the notebook explains"),
        # round 28 (r287 F1): a baseline that is given, on an image of the lesson's size, and the lesson's MLP
        Case((*_lesson_cnn_and_image(81), 6, np.ones((28, 28)), 64), label="the lesson's CNN on a 28x28 image, a "
             "white baseline (all ones, as Think further 1 asks), class 6, 64 steps"),
        Case((*_lesson_mlp_and_image(80), 5, None, 64), label="the lesson's MLP (784 - 256 - 64 - 10) on a 28x28 "
             "image, blank baseline, class 5, 64 steps, as the notebook explains it too"),
        # round 30 (r307 F6): no case asked for class 8 or 9 (the lesson's models have 10)
        Case((*_lesson_mlp_and_image(84), 8, None, 16), label="the lesson's MLP on a 28x28 image, blank baseline, "
             "class 8, 16 steps"),
    ]


def _uint8_image_and_gray_baseline():
    """An 8x8 uint8 image (half its pixels below 128), a uint8 baseline of 128, class 2 and 8 steps (after the drawn
    cases: they stay as they were)."""
    image = np.random.default_rng(75).integers(0, 256, (8, 8)).astype(np.uint8)
    return image, 2, np.full((8, 8), 128, dtype=np.uint8), 8


def _draw_ig_case():
    """As saliency's drawn cases, with a baseline (None, zeros, or drawn values of any of x's kinds) and 1-40 steps,
    or 64-128 (the notebook uses 64: an answer that stops adding points past some number must show it)."""
    baselines = iter([None, "tensor32", "numpy64", "zeros", "tensor64", "numpy32", None, "numpy64"])
    explained = iter(_EXPLAINED[1:] + _EXPLAINED[:1])
    most_steps = iter([41, 129, 41, 129, 41, 129, 41, 129])
    return lambda rng: _draw_ig(rng, next(baselines), *next(explained), most_steps=next(most_steps))


def _draw_ig(rng, baseline_kind, ndim, model_kind, x_kind, classes=None, most_steps=41):
    shape = _draw_x_shape(rng, ndim)
    model, classes = _draw_model(rng, shape, model_kind, classes)
    x = _draw_x(rng, shape, x_kind)
    baseline = (None if baseline_kind is None else np.zeros(shape) if baseline_kind == "zeros"
                else _draw_x(rng, shape, baseline_kind))
    values = [model, x, int(rng.integers(classes)), baseline,
              int(rng.integers(1, 41)) if most_steps <= 41 else int(rng.integers(64, most_steps))]
    args, kwargs = draw_call(rng, ("model", "x", "target", "baseline", "steps"), values)
    return Case(args, kwargs)


def _ig_with(alphas_of, multiply=True, average=True, from_baseline=True, rejects=lambda steps: steps < 1,
             float32=True, times_x=False, score_of=lambda scores, target: scores[:, target]):
    """A wrong integrated gradients: the points ``alphas_of(steps)``, the flags and ``rejects`` say what it does;
    ``score_of(scores, target)`` is what is differentiated at each point (round 25)."""
    def wrong(model, x, target, baseline, steps):
        import torch

        note_a_made_call(_ig_with)
        if rejects(steps):
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32 if float32 else None)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=x.dtype)
        start = baseline if from_baseline else torch.zeros_like(x)
        # round 21: all points in one batch, as the lesson's answer does (one at a time, the seven mistakes made
        # with this took about 4 s on the 2048-step case to find which one an answer wrong only there made)
        alphas = torch.as_tensor(np.asarray(alphas_of(steps), dtype=float),
                                 dtype=x.dtype if x.is_floating_point() else torch.get_default_dtype()).reshape(-1, *[1] * x.ndim)
        points = (start + alphas * (x - start)).requires_grad_(True)
        score_of(model(points), target).sum().backward()
        total = torch.zeros_like(x)
        total += points.grad.sum(dim=0)   # as before: refused for whole-number x (a float added into an int tensor)
        mean = total / steps if average else total
        return (x if times_x else x - baseline) * mean if multiply else mean
    return wrong


def _midpoints(steps):
    return (np.arange(steps) + 0.5) / steps


def _ig_through_x(model, x, target, baseline, steps):
    """x made to require gradients and the points built from it: the chain rule multiplies each point's gradient by
    its alpha, and x.grad is their weighted sum (round 25)."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    model(baseline + alphas * (x - baseline))[:, target].sum().backward()
    return ((x - baseline) * x.grad / steps).detach()


def _ig_weighting_each_point_s_gradient(model, x, target, baseline, steps):
    """Each point's gradient times its own (point - baseline), alpha * (x - baseline), then averaged: gradient × input
    at every point of the path; the same map as differentiating through x (round 33, r337 F1)."""
    x, baseline, points = _float32_midpoints(x, baseline, steps)
    model(points)[:, target].sum().backward()
    return ((points - baseline) * points.grad).mean(dim=0).detach()


_EACH_GRADIENT_TIMES_ITS_ALPHA = (
    "each point's gradient was multiplied by its own alpha before the average. Either you multiplied each point's "
    "gradient by (point - baseline), which is alpha * (x - baseline): gradient × input at every point of the path; or "
    "you differentiated with respect to x, through the points built from it, and the chain rule multiplied by alpha. "
    "Call requires_grad_(True) on the batch of points, not on x, average the points' own .grad over the first axis, "
    "and multiply that average by (x - baseline) once.")


def _ig_averaged_twice(model, x, target, baseline, steps):
    """backward() on the mean of the points' scores, then the mean of their gradients: divided by steps twice."""
    return _ig_with(_midpoints)(model, x, target, baseline, steps) / steps


def _ig_mean_of_chunk_means(model, x, target, baseline, steps, chunk=512):
    """The points in chunks of 512 (as attribution.integrated_gradients batches them), each chunk's gradients
    averaged, then the chunks' means averaged: the smaller last chunk weighs as much as a full one (round 26)."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    means = []
    for start in range(0, steps, chunk):
        points = (baseline + alphas[start:start + chunk] * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        means.append(points.grad.mean(dim=0))
    return (x - baseline) * torch.stack(means).mean(dim=0)


def _ig_with_the_baseline_in_x_s_dtype(model, x, target, baseline, steps):
    """The baseline converted to x's own dtype before both became float32: with a uint8 image, a baseline of
    fractions is cut to whole numbers (-0.36 and 0.06 become 0)."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=x.dtype)
    x, baseline = x.float(), baseline.float()
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_with_a_float64_baseline(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline)  # float64 stays float64
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_with_alphas_from_numpy(model, x, target, baseline, steps):
    """The lesson's batched answer with alphas made by numpy: float64, so the points become float64 (round 19)."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.from_numpy((np.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)  # float64
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_in_training_mode(model, x, target, baseline, steps):
    model.train()
    return _integrated_gradients(model, x, target, baseline, steps)


def _ig_squeezed(model, x, target, baseline, steps):
    return _integrated_gradients(model, x, target, baseline, steps).squeeze()


def _float32_midpoints(x, baseline, steps):
    """(x, baseline, the midpoints of the path that require grad), all float32, as the reference makes them."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    return x, baseline, points


def _ig_of_squeezed_scores(model, x, target, baseline, steps):
    x, baseline, points = _float32_midpoints(x, baseline, steps)
    model(points).squeeze()[..., target].sum().backward()  # one score: [..., 0] is the first point's score only
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_keeping_integers(model, x, target, baseline, steps):
    """Converts float64 only: whole numbers stay whole, and x - baseline of two uint8 arrays wraps round below 0."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")

    def as_tensor(values):
        values = torch.as_tensor(values)
        return values.float() if values.dtype == torch.float64 else values
    x = as_tensor(x)
    baseline = torch.zeros_like(x) if baseline is None else as_tensor(baseline)
    difference = x - baseline                                # uint8 - uint8: 100 - 128 gives 228
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * difference).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return difference * points.grad.mean(dim=0)


def _ig_by_the_trapezoid_rule(model, x, target, baseline, steps):
    """The trapezoid rule that 07a's path plot uses (np.trapezoid): steps + 1 points from alpha = 0 to 1, the two ends
    weighted half, where the exercise asks for the midpoint rule (round 27)."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.linspace(0, 1, steps + 1).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    grads = points.grad
    return (x - baseline) * (grads[:-1] + grads[1:]).sum(dim=0) / (2 * steps)


def _ig_by_the_trapezoid_rule_on_steps_points(model, x, target, baseline, steps):
    """The trapezoid rule over ``steps`` points, linspace(0, 1, steps), both ends included (round 27)."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.linspace(0, 1, steps)
    points = (baseline + alphas.reshape(-1, *[1] * x.ndim) * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * torch.trapezoid(points.grad, alphas, dim=0)


_TRAPEZOID_RULE = ("you used the trapezoid rule (points from alpha = 0 to alpha = 1, the two ends weighted half), as "
                   "np.trapezoid does in the lesson's path plot; the exercise asks for the midpoint rule: steps points "
                   "at alpha = (k + 0.5) / steps, each weighted 1 / steps, so that the result matches captum's "
                   "method=\"riemann_middle\".")


_ALPHAS_WITHOUT_BRACKETS = ("your alphas run far past 1: / is computed before +, so k + 0.5 / steps gives 0.5 / steps, "
                            "1 + 0.5 / steps, 2 + 0.5 / steps, ..., points well beyond x. Put k + 0.5 in brackets, "
                            "(torch.arange(steps) + 0.5) / steps, so that the alphas lie between 0 and 1.")
_GRADIENT_AT_X_ONLY = ("you multiplied (x - baseline) by the gradient at x alone, as gradient × input does: integrated "
                       "gradients average the gradient over the steps points of the path from the baseline to x, "
                       "baseline + alpha * (x - baseline) with alpha = (k + 0.5) / steps, so that a pixel whose "
                       "gradient is zero at x still gets its share from the rest of the path.")
_MEAN_OVER_EVERY_AXIS = ("every attribution is (x - baseline) times one and the same number: .mean() without dim "
                         "averaged the gradients over the pixels as well as over the points. Average over the points "
                         "only, .mean(dim=0), which keeps one average gradient per pixel.")


def _ig_of_absolute_values(model, x, target, baseline, steps):
    """Exercise 1's habit: .abs() of the result, so every attribution is positive (round 27)."""
    return _ig_with(_midpoints)(model, x, target, baseline, steps).abs()


def _ig_with_alphas_for_two_axes_at_most(model, x, target, baseline, steps):
    """The lesson's batched answer with alphas of shape (steps, 1, 1) for an image and (steps, 1) otherwise."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = (torch.arange(steps) + 0.5) / steps
    alphas = alphas[:, None, None] if x.ndim == 2 else alphas[:, None]
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_with_alphas_of_shape(shape_of):
    """The lesson's batched answer with alphas reshaped by ``shape_of(alphas)``: not one axis of 1 per axis of x."""
    def wrong(model, x, target, baseline, steps):
        import torch

        note_a_made_call(_ig_with_alphas_of_shape)
        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        alphas = shape_of((torch.arange(steps) + 0.5) / steps)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        return (x - baseline) * points.grad.mean(dim=0)
    return wrong


_ALPHAS_NOT_RESHAPED = ("your alphas have shape (steps,) or (steps, 1), so alphas * (x - baseline) lines the steps up "
                        "with an axis of x instead of adding a batch axis in front (then the model fails on the points' "
                        "shape, with an error about sizes or channels): give alphas one axis of length 1 per axis of "
                        "x, reshape(-1, *[1] * x.ndim), so that broadcasting makes a batch (steps, *x.shape).")


def _ig_averaged_over_every_axis(model, x, target, baseline, steps):
    """.mean() without dim: one number, the mean over the points and the pixels, for every pixel (round 28)."""
    x, baseline, points = _float32_midpoints(x, baseline, steps)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean()


def _ig_of_the_predicted_class(model, x, target, baseline, steps):
    """The score of the class the model predicts for x (its largest score), whatever ``target`` says: Exercise 1's
    catalogued slip, made in Exercise 2 (round 30, r307 F4)."""
    import torch

    x, baseline, points = _float32_midpoints(x, baseline, steps)
    with torch.no_grad():
        predicted = int(model(x[None]).argmax())
    model(points)[:, predicted].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


_PREDICTED_CLASS_IN_IG = ("you integrated the gradient of the largest score, the class the model predicts; integrate "
                          "the gradient of the score of the class given as target, model(points)[:, target]: the "
                          "lesson explains each image's true class, which the model does not always predict.")
# second read of round 30: the saliency map's message spoke of "your copy of x", which an answer here does not make
_UNDER_NO_GRAD_IN_IG = ("you ran the model on the points under torch.no_grad(), so no graph was recorded and "
                        "backward() had nothing to differentiate (hence \"element 0 of tensors does not require "
                        "grad\", although your batch of points does): run the forward pass outside it. torch.no_grad() "
                        "is for passes whose gradients nobody needs; here the gradients along the path are what you "
                        "average.")
_ALPHAS_OF_LINSPACE_WITHOUT_ITS_ENDS = (
    "your alphas are linspace(0, 1, steps + 2) without its two ends, (k + 1) / (steps + 1): 1 / (steps + 1) apart and "
    "not in the middle of the steps intervals of [0, 1], so they miss the midpoint rule that captum's "
    "method=\"riemann_middle\" uses: take alpha = (k + 0.5) / steps, (torch.arange(steps) + 0.5) / steps.")


def _ig_of_the_first_point_only(model, x, target, baseline, steps):
    """Exercise 1's indexing, model(points)[0, target]: the score of the first point alone (round 31)."""
    x, baseline, points = _float32_midpoints(x, baseline, steps)
    model(points)[0, target].backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_of_a_batch_row(model, x, target, baseline, steps):
    """model(points)[target]: row ``target`` of the batch, every class's score at one point (round 31)."""
    x, baseline, points = _float32_midpoints(x, baseline, steps)
    model(points)[target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


_FIRST_POINT_ONLY = ("model(points)[0, target] is the score of the first point alone, as Exercise 1's "
                     "model(x[None])[0, target] was for its batch of one image: the other points get no gradient. "
                     "Take the target class's score at every point, model(points)[:, target], and call backward() on "
                     "their sum.")
_BATCH_ROW_IN_IG = ("model(points)[target] picks row target of the batch, every class's score at one point of the "
                    "path, not the class: take the column, model(points)[:, target], the target class's score at every "
                    "point, and call backward() on their sum.")


def _ig_of_flattened_points(model, x, target, baseline, steps):
    """model(points.reshape(steps, -1)): each point made one row of numbers (round 32, r327 F2)."""
    x, baseline, points = _float32_midpoints(x, baseline, steps)
    model(points.reshape(steps, -1))[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _ig_along_baseline_plus_alpha_x(model, x, target, baseline, steps):
    """The points baseline + alpha * x: a path from the baseline to baseline + x (round 32, r327 F3)."""
    import torch

    x, baseline, _ = _float32_midpoints(x, baseline, steps)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * x).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


_FLATTENED_POINTS = ("points.reshape(steps, -1) made each point one row of numbers: a model that starts with "
                     "nn.Flatten (an MLP) takes that, but a CNN needs the image's own shape, and its first layer "
                     "(nn.Unflatten or a convolution) fails on the rows, hence an error about unflatten, sizes or "
                     "channels. The model takes a batch (steps, *x.shape): pass the points as broadcasting made them, "
                     "model(points).")
# round 32 (r327 F3): two slips told only "wrong value"
_PATH_FROM_BASELINE_PLUS_ALPHA_X = ("your points are baseline + alpha * x, a path from the baseline to baseline + x, "
                                    "which reaches x only when the baseline is zero. The path from the baseline to x "
                                    "is baseline + alpha * (x - baseline): at alpha = 1 it gives x.")
_ALPHAS_PAST_ONE = ("your alphas run from 0.5 to 1.5 - 1/steps: k / steps + 0.5 adds half of the whole path to every "
                    "alpha, not half a step, so every point with k > steps / 2 lies past x. The midpoints are "
                    "(k + 0.5) / steps: divide both k and 0.5 by steps, (torch.arange(steps) + 0.5) / steps.")


def _ig_under_no_grad(model, x, target, baseline, steps):
    """The forward pass of the points under torch.no_grad(): no graph, so backward() fails (round 30)."""
    import torch

    x, baseline, points = _float32_midpoints(x, baseline, steps)
    with torch.no_grad():
        scores = model(points)[:, target].sum()
    scores.backward()
    return (x - baseline) * points.grad.mean(dim=0)


# ---------------------------------------------------------------- exercise 4: exact Shapley values
def _exact_shapley(predict, x, background):
    return ref.exact_shapley(predict, x, background)


def _linear_of(X):
    return X @ np.array([2.0, -1.0, 0.5]) + 1.0


def _interaction_of(X):
    return X[:, 0] * X[:, 1] + X[:, 2]


def _sine_of(X):
    return np.sin(X[:, 0])


def _four_features_of(X):
    return np.tanh(X[:, 0] - 2 * X[:, 1]) * X[:, 2] + np.maximum(X[:, 3], 0) * X[:, 0]


def _shapley_cases():
    rng = np.random.default_rng(11)
    linear = Case((_linear, np.array([1.0, 2.0, 3.0]), rng.normal(size=(5, 3))),
                  label="a linear model, 5 background rows")
    # round 28 (r288 F2): the interaction comes first: on a linear model every coalition of the same size gives the
    # same v(S + i) - v(S), so a slip in the sizes or the weights matched the first catalogued mistake that got the
    # same total weight (the empty coalition left out was told that the coalition of all the others was)
    return [
        Case((_interaction, np.array([1.0, 2.0, -1.0]), rng.normal(size=(4, 3))), label="an interaction x0 * x1"),
        linear,
        Case((_four_features, rng.normal(size=4), rng.normal(size=(1, 4))), label="4 features, one background row"),
        Case((_four_features, rng.normal(size=4), rng.normal(size=(6, 4))), label="4 features, 6 background rows"),
        Case((_sine, np.array([0.7]), np.array([[0.0], [1.0]])), label="a single feature"),
        Case((_interaction, np.array([1, 2, -1]), rng.normal(size=(4, 3))), label="x of whole numbers (an int array)"),
        Case((_linear, np.array([0.25, 1.5, -2.5]), np.array([[0, 1, 2], [1, 0, -1]])),
             label="a background of whole numbers (an int array)"),
        Case((_four_features, np.array([0.5, -1.0, 2.0, 1.5]), np.array([[0.0, 1.0, -1.0, 2.0], [1.0, 0.5, 0.0, -1.0],
                                                                         [0.0, 1.0, -1.0, 2.0]])),
             label="a background whose first row comes twice (it counts twice in the mean)"),
        Case((_four_features, np.array([0.3, -1.1, 0.7, 1.9], dtype=np.float32),
              rng.normal(size=(5, 4)).astype(np.float32)),
             label="x and background in float32 (as a float32 model's .numpy() gives them): phi in float32 would be "
             "off by about 1e-7"),
        Case((_four_features, np.array([0.1, -0.7, 1.3, 0.45]), rng.normal(size=(4, 4)).astype(np.float32)),
             label="x in float64 and a float32 background: a copy of the background would round x's values to float32"),
        Case((_interaction, np.ones(3), np.ones((3, 4))), label="background with 4 columns for 3 features "
             "(must raise ValueError)", raises=ValueError),
        Case((_interaction, np.ones(3), np.ones((3, 2))), label="background with 2 columns for 3 features "
             "(must raise ValueError)", raises=ValueError),
        Case((_sine, np.array([0.7]), np.array([[0.0, 1.0], [1.0, 0.0]])), label="background with 2 columns for "
             "1 feature (must raise ValueError)", raises=ValueError),
        *generated(_draw_shapley_case(), count=8, seed=74),
    ]


class _Described:
    """A drawn function that shows as ``text`` in messages (a plain function's repr holds its address, which
    changes from run to run)."""

    def __init__(self, function, text):
        self.function, self.text = function, text

    def __call__(self, *args):
        return self.function(*args)

    def __repr__(self):
        return self.text


# the fixed cases' models, shown by their formulas in messages (round 17: they showed "<function _linear at
# 0x7f...>", an address that says nothing to a learner and changes from run to run)
_linear, _interaction = _Described(_linear_of, "X @ [2, -1, 0.5] + 1"), _Described(_interaction_of, "X0 * X1 + X2")
_sine = _Described(_sine_of, "sin(X0)")
_four_features = _Described(_four_features_of, "tanh(X0 - 2 X1) X2 + max(X3, 0) X0")


def _drawn_predict(w, pairs, u, c, b):
    """X @ w + the products X_i X_j weighted by ``pairs`` + c tanh(X @ u) + b: every feature interacts."""
    def predict(X):
        X = np.asarray(X, dtype=float)
        return X @ w + np.einsum("mi,ij,mj->m", X, pairs, X) + c * np.tanh(X @ u) + b
    return _Described(predict, f"a model of {len(w)} features: linear, products of pairs and a tanh")


def _draw_shapley_case():
    """1-6 features (2, 5 and 6 too), 1-10 background rows, a drawn model with interactions; x, the background or
    both of whole numbers."""
    kinds = iter(zip([2, 5, 6, 3, 2, 4, 6, 1], [3, 8, 1, 10, 2, 7, 5, 9],
                     ["floats", "int x", "floats", "int background", "int both", "floats", "int background", "int x"]))
    return lambda rng: _draw_shapley(rng, *next(kinds))


def _draw_shapley(rng, n, k, kind):
    scale = float(rng.choice([0.3, 1.0, 5.0]))
    x, background = draw_floats(rng, (n,), scale), draw_floats(rng, (k, n), scale)
    if kind in ("int x", "int both"):
        x = np.round(x).astype(np.int64)
    if kind in ("int background", "int both"):
        background = np.round(background).astype(np.int64)
    pairs = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.6), 1) / scale
    predict = _drawn_predict(rng.normal(size=n), pairs, rng.normal(size=n) / scale, float(rng.normal()),
                             float(rng.normal()))
    args, kwargs = draw_call(rng, ("predict", "x", "background"), [predict, x, background])
    return Case(args, kwargs)


def _shapley_with(weight_of, background_rows=None, checks_columns=True, refuses=lambda columns, n: columns != n,
                  swapped=False, largest=True, empty=True, one_copy=False, tuple_index=False, one_row=False,
                  overwrite=False):
    """A wrong enumeration: coalition weights from ``weight_of(size, n)``, maybe fewer background rows, and
    ``refuses(columns, n)`` saying which backgrounds it raises ValueError for; ``swapped``: the columns in S come from
    the background and the others from x (round 25); ``largest`` False: sizes range(len(others)), which leaves out
    the coalition of all the other features (round 27); ``empty`` False: sizes from 1, which leaves out the empty
    coalition (round 28); ``one_copy``: x's values written into one copy of the background, made once, for every v(S)
    (round 28); ``tuple_index``: the coalition's tuple used as an index, rows[:, S] = x[S] (round 28); ``one_row``:
    predict called on each row alone, shape (n,), not on the batch of rows (round 30); ``overwrite``: phi[i] = each term
    (= where += is needed), which keeps the last coalition's term only (round 32)."""
    def wrong(predict, x, background):
        note_a_made_call(_shapley_with)
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if checks_columns and refuses(background.shape[1], len(x)):
            raise ValueError("background must have one column per feature")
        background = background[:background_rows]
        n, shared = len(x), background.copy()

        def v(S):
            if tuple_index:   # x[()] is all of x, and x[(0, 1)] asks for two axes
                rows = background.copy()
                rows[:, S] = x[S]
                return np.mean(predict(rows))
            if one_copy:   # never put back: v(S) right after v(S + i) still holds feature i's column of x
                shared[:, list(S)] = x[list(S)]
                return np.mean(predict(shared))
            mixed = np.repeat(x[None], len(background), axis=0) if swapped else background.copy()
            mixed[:, list(S)] = (background if swapped else x[None])[:, list(S)]
            if one_row:
                return np.mean([predict(row) for row in mixed])
            return np.mean(predict(mixed))
        phi = np.zeros(n)
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for size in range(0 if empty else 1, n if largest else n - 1):
                for S in itertools.combinations(others, size):
                    term = weight_of(size, n) * (v(S + (i,)) - v(S))
                    phi[i] = term if overwrite else phi[i] + term
        return phi
    return wrong


def _shapley_weight(size, n):
    return math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)


def _shapley_in_the_input_dtype(predict, x, background):
    """Right in floats; with integers the rows (a copy of background) and phi (zeros_like(x)) stay integers."""
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n = len(x)

    def v(S):
        mixed = background.copy()
        mixed[:, list(S)] = x[list(S)]
        return np.mean(predict(mixed))
    phi = np.zeros_like(x)
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                phi[i] += _shapley_weight(size, n) * (v(S + (i,)) - v(S))
    return phi


# round 30 (r308 F1): rows = background[:] inside v (a Python list's copy idiom, a view in numpy) was told only that
# the copy was made once outside v
_ALL_VALUES_0 = ("all your values are 0, so every term of the sum was 0. Either its weight: s! (n-s-1)! / n! is a "
                 "fraction below 1, and integer division (//) rounds it down to 0 (divide with /); or v(S + i) - v(S): "
                 "x's values written into the background stay in it, so v(S) still sees feature i's value from the "
                 "call of v(S + i) just before. Either one copy of the background, made once outside v, holds them, "
                 "or the copy inside v is none: rows = background is a second name for the same array, and rows = "
                 "background[:] a view of its memory (a numpy slice shares the array's memory; it is not a copy as a "
                 "Python list's [:] is). Make a new copy of the background in every call of v, rows = "
                 "background.copy().")


# round 30 (r308 F1): covered = image[:] inside the loops was told only that one copy was made before them
_ONE_COVERED_IMAGE = ("each window's fill stayed in the covered image, so each call of predict saw that window and all "
                      "the windows before it covered. Either you made one copy of the image before the loops and "
                      "covered every window in it, or the copy inside the loops is none: covered = image is a second "
                      "name for the same array, and covered = image[:] a view of its memory (a numpy slice shares the "
                      "array's memory; it is not a copy as a Python list's [:] is). Make a new copy of the image for "
                      "every window, covered = image.copy() inside the loops, so that each score has exactly one "
                      "window covered.")


_ONE_COVERED_IMAGE_PER_ROW = ("you made the copy of the image in the outer loop, once for each row of windows, so each "
                              "window's fill stayed in it: each call of predict saw that window and the windows before "
                              "it in the same row covered. Make a new copy of the image for every window, covered = "
                              "image.copy() in the inner loop, so that each score has exactly one window covered.")


# round 31 (r318 F1): told only "wrong value" on the case labelled "7x5 image: the last row is never covered", which
# sent a learner whose rows were right to the rows
_CORNERS_FROM_ONE_SIDE = ("your corners take one side of the image for both axes (written for a square image, as the "
                          "lesson's 28x28 digits are): the rows' corners are range(0, H - patch + 1, stride) with H = "
                          "image.shape[0], the columns' range(0, W - patch + 1, stride) with W = image.shape[1]. On a "
                          "7x5 image the windows then start where they no longer fit (and the slice cuts them off at "
                          "the border), or the last rows or columns are never covered.")


# round 32 (r328 F1): width, height = image.shape (the order of PIL's Image.size) was told only "wrong value at
# index (0, 4)" on the 7x5 case
_HEIGHT_AND_WIDTH_SWAPPED = ("your rows' corners stop where the columns' should, and the other way round: image.shape "
                             "is (H, W), the number of rows first, so height, width = image.shape (not width, height "
                             "= image.shape, the order of PIL's Image.size). The rows' corners are range(0, H - patch "
                             "+ 1, stride) and the columns' range(0, W - patch + 1, stride). On a 7x5 image your "
                             "windows start in column 4, where a 2x2 window no longer fits (the slice cuts it off), "
                             "and never cover rows 4 and 5, which the right corners (0, 2, 4) do.")


_OPPOSITE_SIGN = ("your values are the Shapley values with the opposite sign. Either the difference is the wrong way "
                  "round: each term is v(S + i) - v(S), what adding feature i to S changes, not v(S) - v(S + i); or "
                  "v(S) is the wrong way round: the features in S keep x's values and the others come from the "
                  "background rows, not the other way round.")


def _shapley_as_a_list(predict, x, background):
    return list(ref.exact_shapley(predict, x, background))


def _compare_shapley(got, want):
    if isinstance(got, (list, tuple)):
        raise Mismatch(t("returned a {kind}: return a numpy array, np.array(phi), as the notebook calls phi.sum() on "
                         "it", kind=type(got).__name__))
    try:
        compare_values(got, want, rtol=1e-9, atol=1e-12)
    except Mismatch as problem:
        digits = _rounded_to(got, want)
        if digits is not None:   # round 20: told "the precision of float32" (or only "wrong value")
            raise Mismatch(t("{problem}\n   Your values are the Shapley values rounded to {digits} decimals: return phi "
                             "as it is, and round only what you print", problem=problem, digits=digits)) from None
        # round 19: values computed in float32 were told only "expected 2.42933372, got 2.42933375"
        if not _within_float32(got, want):
            raise
        # round 30 (r308 L1): rows cast to float32 for predict (as the lesson's float32 network computes) were told
        # only of x, the background and phi, which were right
        raise Mismatch(t("{problem}\n   Your values agree with the Shapley values only to about 7 digits, the "
                         "precision of float32: compute in float64, np.asarray(x, dtype=float) and "
                         "np.asarray(background, dtype=float), pass the rows to predict as they are (not cast to "
                         "float32: predict converts them itself if it needs to), and return phi in float64, "
                         "np.zeros(len(x))", problem=problem)) from None


def _rounded_to(got, want):
    """The number of decimals (1-10) to which ``got`` (not all 0) is ``want`` rounded, or None."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    if got.shape != np.shape(want) or not np.all(np.isfinite(got)) or not np.any(got):
        return None
    return next((digits for digits in range(1, 11) if np.array_equal(got, np.round(want, digits))), None)


def _within_float32(got, want):
    """Whether ``got`` has ``want``'s shape and differs from it only as much as float32 rounding does."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(want) and bool(np.allclose(got, want, rtol=1e-5, atol=1e-6))


def _shapley_at_the_mean_row(predict, x, background):
    """v(S) = predict of one row, x's values in S and the background's column means elsewhere (round 24): the same
    as the mean of predict over the rows only for a model linear in the features."""
    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, mean_row = len(x), background.mean(axis=0)

    def v(S):
        return float(predict(np.where(np.isin(np.arange(n), S), x, mean_row)[None])[0])
    phi = np.zeros(n)
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                phi[i] += _shapley_weight(size, n) * (v(S + (i,)) - v(S))
    return phi


def _leave_one_out(predict, x, background):
    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    full = np.mean(predict(np.repeat(x[None], len(background), axis=0)))
    phi = np.zeros(len(x))
    for i in range(len(x)):
        mixed = np.repeat(x[None], len(background), axis=0)
        mixed[:, i] = background[:, i]
        phi[i] = full - np.mean(predict(mixed))
    return phi


# ---------------------------------------------------------------- exercise 3: occlusion
def _occlusion(predict, image, patch, stride, fill):
    return ref.occlusion(predict, image, patch, stride, fill)


_WEIGHTS = np.random.default_rng(12).normal(size=(7, 7))


def _weighted_sum_of(images):
    images = np.asarray(images)
    return (images * _WEIGHTS[:images.shape[1], :images.shape[2]]).sum(axis=(1, 2))


def _squashed_of(images):
    return np.tanh(_weighted_sum_of(images))


_weighted_sum = _Described(_weighted_sum_of, "a weighted sum of the pixels")  # shown so in messages, as _linear
_squashed = _Described(_squashed_of, "tanh of a weighted sum of the pixels")


def _occlusion_cases():
    rng = np.random.default_rng(13)
    return [
        Case((_weighted_sum, rng.random((6, 6)), 2, 1, 0.0), label="a linear score, 2x2 patch, stride 1"),
        Case((_squashed, rng.random((6, 6)), 3, 3, 0.0), label="a squashed score, 3x3 patches that do not overlap"),
        Case((_squashed, rng.random((6, 6)), 2, 1, 0.5), label="grey fill (0.5)"),
        # round 32 (r328 F1): the label named the last row alone, and a slip in the columns shows first, at (0, 4)
        Case((_weighted_sum, rng.random((7, 5)), 2, 2, 0.0),
             label="7x5 image: the last row and the last column are never covered"),
        Case((_squashed, rng.random((6, 6)), 10, 1, 0.0), label="a patch larger than the image (must raise ValueError)",
             raises=ValueError),
        Case((_weighted_sum, rng.random((5, 6)), 5, 1, 0.0), label="a patch as tall as a 5x6 image (it fits)"),
        Case((_weighted_sum, rng.integers(0, 256, (6, 6)).astype(np.uint8), 2, 2, 127.5),
             label="an image of whole numbers (uint8, 0-255), grey fill 127.5"),
        Case((_squashed, rng.random((7, 4)), 5, 1, 0.0), label="a 5x5 patch on a 7x4 image (too wide: must raise "
             "ValueError)", raises=ValueError),
        Case((_squashed, rng.random((4, 7)), 5, 1, 0.0), label="a 5x5 patch on a 4x7 image (too tall: must raise "
             "ValueError)", raises=ValueError),
        Case((_weighted_sum, rng.random((7, 7)), 2, 3, 0.0), label="2x2 patches with stride 3: the pixels between "
             "the windows are never covered"),
        *generated(_draw_occlusion_case, count=8, seed=73),
    ]


def _drawn_score(weights, kind, scale):
    """A score of a batch (n, H, W): a weighted sum, its tanh, or the largest weighted pixel, by ``kind``."""
    def predict(images):
        images = np.asarray(images, dtype=float)
        weighted = images * weights[:images.shape[1], :images.shape[2]] / scale
        if kind == "max":
            return weighted.reshape(len(images), -1).max(axis=1)
        total = weighted.sum(axis=(1, 2))
        return np.tanh(total / np.sqrt(images[0].size)) if kind == "tanh" else total
    text = {"linear": "a weighted sum of the pixels", "tanh": "tanh of a weighted sum of the pixels",
            "max": "the largest weighted pixel"}[kind]
    return _Described(predict, text)


def _draw_occlusion_case(rng):
    """H x W from 1 to 9 each, a patch up to min(H, W), strides up to patch + 2 (sometimes past the image),
    a fill of any sign, images of float64, float32, uint8 (0-255) or int64 (both signs)."""
    height, width = draw_shape(rng, 2, 1, 9)
    patch = int(rng.integers(min(2, height, width), min(height, width) + 1))
    stride = int(rng.integers(1, patch + 3)) if rng.random() < 0.85 else max(height, width) + 1
    kind = str(rng.choice(["float64", "float64", "float32", "uint8", "int64"]))
    if kind == "uint8":
        image, fill, scale = rng.integers(0, 256, (height, width)).astype(np.uint8), float(rng.uniform(0, 255)), 100.0
    elif kind == "int64":
        image, fill, scale = rng.integers(-20, 21, (height, width)), float(rng.choice([-3, 0, 2.5])), 10.0
    else:
        scale = float(rng.choice([0.2, 1.0, 30.0]))
        image, fill = draw_floats(rng, (height, width), scale).astype(kind), float(rng.normal(scale=scale))
    predict = _drawn_score(rng.normal(size=(9, 9)), str(rng.choice(["linear", "tanh", "max"])), scale)
    args, kwargs = draw_call(rng, ("predict", "image", "patch", "stride", "fill"),
                             [predict, image, patch, stride, fill])
    return Case(args, kwargs)


def _occlusion_with(average=True, sign=1.0, corner_only=False, fill_override=None, stride_override=None,
                    too_large=lambda patch, shape: patch > min(shape), dtype=float, spread_to_stride=False,
                    last_window=True, cut_off=False, overwrite=False, count_start=0.0, plain_division=False,
                    batch_axis=True, one_copy=False, one_side=None):
    """A wrong occlusion map, by the flags and ``too_large(patch, image.shape)``; ``overwrite``: each window's drop
    replaces what the windows before it wrote, ``count_start``: the count's first value (round 25);
    ``plain_division``: total / count, NaN (0 / 0) where no window covers a pixel (round 27); ``batch_axis`` False:
    predict called with one image (H, W), not a batch (round 28); ``one_copy``: one covered copy of the image, made
    before the loops, so that every window's fill stays and the windows covered before it stay covered (round 29), or
    "row": one made in the outer loop, for each row of windows (round 32);
    ``one_side``: "height" or "width", the corners of both axes from that side alone (round 31), or "swapped": the
    rows' corners from the width and the columns' from the height (round 32)."""
    def wrong(predict, image, patch, stride, fill):
        note_a_made_call(_occlusion_with)
        image = np.asarray(image, dtype=dtype)
        if too_large(patch, image.shape):
            raise ValueError("the patch is larger than the image")
        stride = stride_override or stride
        fill = fill if fill_override is None else fill_override
        total, count = np.zeros(image.shape), np.full(image.shape, count_start)
        original = predict(image[None])[0] if batch_axis else predict(image)
        end = 1 if last_window else 0
        last = [side if cut_off else side - patch + end for side in image.shape]
        if one_side == "swapped":   # width, height = image.shape
            last = [image.shape[1] - patch + end, image.shape[0] - patch + end]
        elif one_side:   # as if the image were square
            last = [image.shape[0 if one_side == "height" else 1] - patch + end] * 2
        covered = image.copy()
        for i in range(0, last[0], stride):
            covered = image.copy() if one_copy == "row" else covered
            for j in range(0, last[1], stride):
                covered = covered if one_copy else image.copy()
                covered[i:i + patch, j:j + patch] = fill
                drop = sign * (original - (predict(covered[None])[0] if batch_axis else predict(covered)))
                side = max(patch, stride) if spread_to_stride else patch  # as if the windows always tiled the image
                window = (slice(i, i + 1), slice(j, j + 1)) if corner_only else (slice(i, i + side), slice(j, j + side))
                if overwrite:
                    total[window], count[window] = drop, 1
                else:
                    total[window] += drop
                    count[window] += 1
        if plain_division:
            with np.errstate(invalid="ignore", divide="ignore"):
                return total / count
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0) if average else total
    return wrong


def _occlusion_rejecting_large_strides(predict, image, patch, stride, fill):
    if stride > min(np.shape(image)):
        raise ValueError("the stride is larger than the image")
    return _occlusion(predict, image, patch, stride, fill)


EXERCISES = {
    "saliency_map": Exercise(
        reference=_saliency,
        cases=_saliency_cases,
        # round 20: so did the helper of the catalogued mistakes below with the right score, and (exercises 2-4)
        # their factory with the right settings
        run=refusing_course_versions(_run_explanation, (*_GRADIENT_VERSIONS, _target_score_gradient,
                                                        *_LIBRARY_VERSIONS["saliency_map"])),
        rtol=1e-5, atol=1e-6,
        hint="Make a float32 copy of x that requires gradients: x = torch.as_tensor(x, dtype=torch.float32)"
        ".clone().requires_grad_(True); add a batch axis with x[None]; take the score of the target class, "
        "model(x[None])[0, target] (the logit, not a probability), call .backward(), and return x.grad.abs() "
        "(same shape as x).",
        mistakes=(
            Mistake("no absolute value", _saliency_without_abs,
                    "a saliency map is the size of the gradient: return x.grad.abs(), not x.grad."),
            # round 33 (r337 F2): told only "wrong value"
            Mistake("gradient squared", _saliency_squared, _SQUARED),
            Mistake("all scores", _saliency_of_all_scores,
                    "you took the gradient of the sum of every class's score; take only model(x[None])[0, target]."),
            Mistake("probability", _saliency_of_probability,
                    "you differentiated the softmax probability; differentiate the raw score (logit) of the class."),
            Mistake("log-probability", _saliency_of_log_probability,  # round 24: told only "wrong value"
                    "you differentiated the log-probability (log_softmax, which the cross-entropy loss reads); "
                    "differentiate the raw score (logit) of the class, model(x[None])[0, target]: the log-probability "
                    "also subtracts the log of the sum over all classes, so every other class's score moves the map."),
            Mistake("no copy of x", _saliency_without_a_copy,
                    "torch.as_tensor gives back the caller's own tensor, whose .grad may hold an old gradient that "
                    "backward() adds to: differentiate a copy, torch.as_tensor(x, dtype=torch.float32).clone()."),
            # round 27 (r277 F4): no message, so a uint8 image kept whole was told the message of "float64 kept"
            # below (the same error), which said that x may be float64; first, as on a float64 x it is right
            Mistake("only float64 converted", _saliency_converting_float64_only,
                    "you converted x to float32 only when it was float64, so whole numbers (an 8-bit image of uint8, "
                    "or int64) stayed whole, and only a tensor of floats can require gradients: convert every x with "
                    "torch.as_tensor(x, dtype=torch.float32), whatever its dtype."),
            Mistake("float64 kept", _saliency_in_float64,
                    "x may be a numpy array of float64, as the lesson's images are, and the model's weights are "
                    "float32: convert it with torch.as_tensor(x, dtype=torch.float32)."),
            Mistake("training mode", _saliency_in_training_mode,
                    "model.train() switches batch normalization and dropout to their training behaviour, so the map "
                    "no longer explains the model's predictions: leave the model in the eval() mode it comes in "
                    "(gradients need no training mode)."),
            Mistake("model converted to float64", _saliency_with_a_float64_model,
                    "convert x to float32 with torch.as_tensor(x, dtype=torch.float32), not the model to float64."),
            Mistake("requires_grad set on the caller's x", _saliency_flagging_the_caller_s_x, ""),
            Mistake("model unfrozen afterwards", _saliency_unfreezing_the_model,
                    "model.requires_grad_(True) at the end also unfreezes layers the caller had frozen: leave the "
                    "weights' flags alone (the gradient with respect to x needs none of them)."),
            Mistake("dropout p set to 0", _saliency_with_dropout_set_to_zero,
                    "leave the model's Dropout layers as they are: the model comes in eval() mode, which already "
                    "switches them off, and whoever trains it afterwards needs their p."),
            Mistake("batch axis kept", _saliency_with_batch_axis,
                    "the map kept the batch axis: return a map of x's own shape (differentiate x, not x[None])."),
            # round 29 (r297 F2): told torch's own error, about the channels of a CNN or a tensor's dimensions
            Mistake("no batch axis", _saliency_without_a_batch_axis, _NO_BATCH_AXIS),
            Mistake("no batch axis, [0, target]", _saliency_without_a_batch_axis_first_row, _NO_BATCH_AXIS),
            Mistake("squeezed", _saliency_squeezed,
                    "x.grad already has the shape of x; .squeeze() also drops x's own axes of length 1 (an image of "
                    "shape (1, H, W)): return x.grad.abs() as it is."),
            Mistake("scores squeezed", _saliency_of_squeezed_scores,
                    "model(x[None]).squeeze() also drops the class axis of a model with a single score, and [target] "
                    "then fails: take model(x[None])[0, target]."),
            Mistake("clipped to [0, 1]", _saliency_clipped,
                    "a saliency value can be larger than 1 (a steep score): return x.grad.abs() as it is and leave "
                    "any clipping to the plot."),
            # round 27 (r277 F3): told only "wrong value"
            # round 30 (r307 F7, F8): told torch's own error, and a message about lists for autograd.grad's tuple
            Mistake("forward under no_grad", _saliency_under_no_grad, _UNDER_NO_GRAD),
            Mistake("autograd.grad's tuple", _saliency_as_autograd_grad_s_tuple,
                    "torch.autograd.grad returns a tuple, one gradient for each tensor you differentiate with respect "
                    "to: take x's, (grad,) = torch.autograd.grad(score, x), and return grad.abs()."),
            Mistake("predicted class, not target", _saliency_of_the_predicted_class,
                    "you differentiated the largest score, the class the model predicts; differentiate the score of "
                    "the class given as target, model(x[None])[0, target]: the lesson explains each image's true "
                    "class, which the model does not always predict."),
            # round 31 (r317 F2): told torch's own error only
            Mistake("a batch row, not the class", _saliency_of_a_batch_row, _BATCH_ROW),
            Mistake("x flattened", _saliency_of_flattened_x, _FLATTENED_X),   # round 32 (r327 F2)
        ),
    ),
    "integrated_gradients": Exercise(
        reference=_integrated_gradients,
        cases=_ig_cases,
        # round 29 (r297 F1): and the helper of two catalogued mistakes that makes the float32 midpoints of the path
        # (steps checked, x and the baseline converted, the alphas reshaped): with backward() and a mean it passed
        run=refusing_course_versions(_run_explanation, (*_GRADIENT_VERSIONS, _target_score_gradient, _ig_with,
                                                        _float32_midpoints, _ig_with_alphas_of_shape,
                                                        *_LIBRARY_VERSIONS["integrated_gradients"])),
        rtol=1e-4, atol=1e-6,
        hint="Raise ValueError if steps < 1. Use baseline = zeros when it is None. The points are "
        "baseline + alpha * (x - baseline) for the midpoints alpha = (k + 0.5) / steps, k = 0 ... steps-1, stacked "
        "into one batch (steps, *x.shape) that requires gradients; call backward() on model(points)[:, target].sum(), "
        "average the points' .grad over the first axis, then multiply by (x - baseline).",
        mistakes=(
            Mistake("left Riemann sum", _ig_with(lambda steps: np.arange(steps) / steps),
                    "your points start at alpha = 0; use the midpoints alpha = (k + 0.5) / steps."),
            Mistake("right Riemann sum", _ig_with(lambda steps: (np.arange(steps) + 1) / steps),  # round 18
                    "your points end at alpha = 1 (x itself); use the midpoints alpha = (k + 0.5) / steps."),
            Mistake("no (x - baseline)", _ig_with(_midpoints, multiply=False),
                    "the average gradient must be multiplied by (x - baseline)."),
            # round 22: a baseline cut to x's whole numbers (uint8) was told "you multiplied by x", as that mistake
            # gives the same map where the baseline's fractions all became 0; so this one comes first
            Mistake("baseline converted to x's dtype", _ig_with_the_baseline_in_x_s_dtype,
                    "you converted the baseline to x's dtype while x still held whole numbers (a uint8 image), so a "
                    "baseline of fractions was cut to whole numbers (-0.36 became 0) and the path started elsewhere: "
                    "convert x and the baseline each with torch.as_tensor(..., dtype=torch.float32), not the baseline "
                    "with dtype=x.dtype."),
            Mistake("x, not (x - baseline)", _ig_with(_midpoints, times_x=True),  # round 21: told "wrong value"
                    "you multiplied the average gradient by x; multiply it by (x - baseline): the two differ "
                    "whenever the baseline is not zero, and only (x - baseline) makes the attributions add up to "
                    "f(x) - f(baseline)."),
            Mistake("sum, not mean", _ig_with(_midpoints, average=False),
                    "divide the sum of the gradients by steps: the integral is an average over the path."),
            Mistake("path from zero", _ig_with(_midpoints, from_baseline=False),
                    "the path must start at the baseline: baseline + alpha * (x - baseline)."),
            Mistake("float64 kept", _ig_with(_midpoints, float32=False),
                    "x may be a numpy array of float64, as the lesson's images are, and the model's weights are "
                    "float32: convert it with torch.as_tensor(x, dtype=torch.float32)."),
            Mistake("baseline kept in float64", _ig_with_a_float64_baseline,
                    "the baseline may be a numpy array of float64 too (np.ones_like(image)): convert it with "
                    "torch.as_tensor(baseline, dtype=torch.float32), as x."),
            # round 27 (r277 F11): zeros of float64 for a missing baseline (np.zeros) fail on the same first case
            # with the same error, and were told that the alphas were float64; the message names both causes
            Mistake("alphas in float64", _ig_with_alphas_from_numpy,  # round 19: told only torch's dtype error
                    "the points baseline + alphas * (x - baseline) became float64, and the float32 model refused "
                    "them: either your alphas are float64 (numpy's np.arange or np.linspace make float64), or the "
                    "baseline is (zeros made with np.zeros for a missing baseline, or an array left unconverted). "
                    "Make both float32: the alphas (torch.arange(steps) + 0.5) / steps, the baseline "
                    "torch.zeros_like(x) of the converted x, or torch.as_tensor(baseline, dtype=torch.float32)."),
            Mistake("training mode", _ig_in_training_mode,
                    "model.train() switches batch normalization and dropout to their training behaviour, so the map "
                    "no longer explains the model's predictions: leave the model in the eval() mode it comes in "
                    "(gradients need no training mode)."),
            Mistake("endpoints included", _ig_with(lambda steps: np.linspace(0, 1, steps)),  # round 25: no message
                    "your alphas run from 0 to 1 with both ends included (linspace), 1 / (steps - 1) apart, and the "
                    "average gives the two ends as much weight as each inner point: use the midpoints "
                    "alpha = (k + 0.5) / steps, 1 / steps apart from 0.5 / steps on."),
            Mistake("only steps = 0 rejected", _ig_with(_midpoints, rejects=lambda steps: steps == 0),
                    "raise ValueError for every steps < 1, a negative number too (check steps < 1, not steps == 0)."),
            Mistake("squeezed", _ig_squeezed,
                    "the result must have the shape of x; .squeeze() also drops x's own axes of length 1 (an image "
                    "of shape (1, H, W)): leave the shape as it is."),
            Mistake("scores squeezed", _ig_of_squeezed_scores,
                    "model(points).squeeze() also drops the class axis of a model with a single score, and "
                    "[..., target] then picks one point: take model(points)[:, target]."),
            Mistake("integers kept", _ig_keeping_integers,
                    "x and the baseline may both be 8-bit images (uint8), and x - baseline of two uint8 arrays wraps "
                    "round below 0 (100 - 128 gives 228): convert both with torch.as_tensor(..., dtype=torch.float32) "
                    "before subtracting."),
            Mistake("alphas for two axes at most", _ig_with_alphas_for_two_axes_at_most,
                    "x may have any number of axes: give alphas one axis of length 1 per axis of x, "
                    "reshape(-1, *[1] * x.ndim), not (steps, 1, 1) or (steps, 1) by hand."),
            # round 29 (r297 F3): told torch's own error, about sizes or the channels of a CNN
            Mistake("alphas not reshaped", _ig_with_alphas_of_shape(lambda alphas: alphas), _ALPHAS_NOT_RESHAPED),
            Mistake("alphas of shape (steps, 1)", _ig_with_alphas_of_shape(lambda alphas: alphas[:, None]),
                    _ALPHAS_NOT_RESHAPED),
            Mistake("averaged twice", _ig_averaged_twice,  # round 21: told "wrong value"; last, as on a model
                    # whose gradient hardly changes along the path it gives what "scores squeezed" gives
                    "you divided by steps twice: backward() on the mean of the scores already divides each point's "
                    "gradient by steps, and .mean(dim=0) divides again. Call backward() on the sum of the scores, "
                    "model(points)[:, target].sum(), then take the mean of the gradients."),
            # round 25 (r257 F3): three slips told only "wrong value"
            Mistake("probability", _ig_with(_midpoints, score_of=lambda scores, c: scores.softmax(dim=1)[:, c]),
                    "you integrated the gradient of the softmax probability; integrate the gradient of the raw score "
                    "(logit) of the class, as in Exercise 1: model(points)[:, target]."),
            Mistake("all scores", _ig_with(_midpoints, score_of=lambda scores, target: scores),
                    "you took the gradient of the sum of every class's score at each point; take only the target "
                    "class's score of each point, model(points)[:, target], and sum those."),
            # round 33 (r337 F1): the same map comes from each point's gradient times (point - baseline), which was
            # told "you differentiated with respect to x ... not on x" although its batch of points required them
            Mistake("differentiated through x", _ig_through_x, _EACH_GRADIENT_TIMES_ITS_ALPHA),
            Mistake("each gradient times (point - baseline)", _ig_weighting_each_point_s_gradient,
                    _EACH_GRADIENT_TIMES_ITS_ALPHA),
            Mistake("mean of the chunks' means", _ig_mean_of_chunk_means,  # round 26 (r267 F2)
                    "you averaged the gradients chunk by chunk and then averaged the chunks' means, so the points of "
                    "the smaller last chunk weighed more than the others: add up the gradients of every chunk and "
                    "divide the total by steps (or pass all the points in one batch, as the exercise asks)."),
            # round 27 (r277 F1, F2): two slips told only "wrong value"
            Mistake("trapezoid rule", _ig_by_the_trapezoid_rule,
                    _TRAPEZOID_RULE),
            Mistake("trapezoid rule on steps points", _ig_by_the_trapezoid_rule_on_steps_points,
                    _TRAPEZOID_RULE),
            # round 28 (r287 F2-F4): three slips told only "wrong value"
            Mistake("alphas without brackets", _ig_with(lambda steps: np.arange(steps) + 0.5 / steps),
                    _ALPHAS_WITHOUT_BRACKETS),
            Mistake("gradient at x only", _ig_with(np.ones), _GRADIENT_AT_X_ONLY),
            Mistake("mean over every axis", _ig_averaged_over_every_axis, _MEAN_OVER_EVERY_AXIS),
            Mistake("forward under no_grad", _ig_under_no_grad, _UNDER_NO_GRAD_IN_IG),   # round 30 (r307 F7)
            # round 30 (r307 F4, F5): two slips told only "wrong value"
            Mistake("predicted class, not target", _ig_of_the_predicted_class, _PREDICTED_CLASS_IN_IG),
            Mistake("linspace without its ends", _ig_with(lambda steps: np.linspace(0, 1, steps + 2)[1:-1]),
                    _ALPHAS_OF_LINSPACE_WITHOUT_ITS_ENDS),
            Mistake("absolute value taken", _ig_of_absolute_values,
                    "you took the absolute value of the attributions, as Exercise 1's saliency map does; integrated "
                    "gradients keep their sign (a negative one pushed the score down), and only with their signs do "
                    "they add up to f(x) - f(baseline): return (x - baseline) times the average gradient as it is."),
            # round 31 (r317 F3, F4): two indexings of the batch's scores told only "wrong value"
            Mistake("the first point only", _ig_of_the_first_point_only, _FIRST_POINT_ONLY),
            Mistake("a batch row, not the class", _ig_of_a_batch_row, _BATCH_ROW_IN_IG),
            Mistake("points flattened", _ig_of_flattened_points, _FLATTENED_POINTS),   # round 32 (r327 F2)
            Mistake("path from baseline + alpha * x", _ig_along_baseline_plus_alpha_x,  # round 32 (r327 F3)
                    _PATH_FROM_BASELINE_PLUS_ALPHA_X),
            Mistake("alphas k / steps + 0.5", _ig_with(lambda steps: np.arange(steps) / steps + 0.5), _ALPHAS_PAST_ONE),
        ),
    ),
    "exact_shapley_values": Exercise(
        reference=_exact_shapley,
        cases=_shapley_cases,
        # round 17: a phi written into a buffer kept between calls, or read-only, passed; round 18: so did
        # attribution.exact_shapley, and coalition_value is its v(S)
        # round 27 (r278 F1): and a call with another background (the values of the first one kept in a cache)
        run=refusing_course_versions(_also_for_other_settings(
            new_results(_called_for_a_tensor_or_array), ("predict", "x", "background"),
            {"background": lambda background: np.asarray(background) + 1}), (
            ref.exact_shapley, ref.coalition_value, _shapley_with, *_LIBRARY_VERSIONS["exact_shapley_values"])),
        compare=_compare_shapley,
        hint="Raise ValueError unless background has one column per feature. v(S) = mean of predict(rows) where "
        "the columns in S are set to x's values in a copy of the background. For each feature i and each "
        "coalition S of the other features (itertools.combinations), add |S|! (n-|S|-1)! / n! * (v(S + i) - v(S)).",
        mistakes=(
            Mistake("equal weights (Banzhaf)", _shapley_with(lambda size, n: 1 / 2 ** (n - 1)),
                    "every coalition got the same weight 1/2^(n-1), which gives the Banzhaf value; Shapley weighs "
                    "a coalition of size s by s! (n-s-1)! / n!."),
            Mistake("first background row only", _shapley_with(_shapley_weight, background_rows=1),
                    "v(S) is the mean over all background rows, not the first one."),
            Mistake("background averaged first", _shapley_at_the_mean_row,  # round 24: told only "wrong value"
                    "you called predict once, on a row that holds the background's column means outside S; v(S) is "
                    "the mean of predict over all background rows, each with x's values in S. The two agree only "
                    "for a linear model: with a product x0 * x1 the mean of products is not the product of means."),
            Mistake("leave one out", _leave_one_out,
                    "f(x) minus f(x with feature i replaced) is occlusion of one feature, not its Shapley value: "
                    "average over all coalitions."),
            Mistake("only extra columns refused",
                    _shapley_with(_shapley_weight, refuses=lambda columns, n: columns > n),
                    "raise ValueError whenever background.shape[1] != len(x): a background with fewer columns than "
                    "features must be refused too, not left to fail with an IndexError."),
            Mistake("columns not checked", _shapley_with(_shapley_weight, checks_columns=False),
                    "compare background.shape[1] with len(x) and raise ValueError when they differ: a predict that "
                    "reads only the first columns would not notice an extra one."),
            Mistake("missing (n-s-1)!", _shapley_with(lambda size, n: math.factorial(size) / math.factorial(n)),
                    "your weight of a coalition of size s lacks the factor (n - s - 1)!: the orders in which feature i "
                    "finds exactly S before it are s! (S first) times (n - s - 1)! (the others after i), out of n!."),
            Mistake("integer inputs kept", _shapley_in_the_input_dtype,
                    "x and background may hold whole numbers or float32: convert both with np.asarray(..., "
                    "dtype=float) first, else np.zeros_like(x) makes an integer (or float32) phi and a copy of the "
                    "background keeps x's values only as whole numbers (or rounded to float32)."),
            Mistake("returns a list", _shapley_as_a_list, ""),
            Mistake("coalition of all the others left out", _shapley_with(_shapley_weight, largest=False),
                    # round 27 (r278 F3): told only "wrong value"
                    "your sizes stop one short: the coalitions of feature i are the subsets of the n - 1 other "
                    "features, of every size from 0 to n - 1 included, so the sizes are range(n) (or "
                    "range(len(others) + 1)); range(len(others)) leaves out S = all the others, whose weight "
                    "(n-1)! 0! / n! = 1/n is as large as the empty coalition's."),
            Mistake("empty coalition left out", _shapley_with(_shapley_weight, empty=False),
                    # round 28 (r288 F2): told that the coalition of all the others was left out
                    "your sizes start at 1, so they leave out the empty coalition (no other feature known): its term "
                    "v(i alone) - v(nobody) is feature i's effect on its own, with the weight 0! (n-1)! / n! = 1/n. "
                    "The sizes are range(n), from 0 to n - 1 included: combinations(others, 0) gives the one empty "
                    "tuple ()."),
            Mistake("weights without the 1/n", _shapley_with(
                lambda size, n: math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n - 1)),
                    # round 29 (r298 F4): told only "wrong value"
                    "your values are n times the Shapley values: each weight lacks a factor 1/n. The weight of a "
                    "coalition of size s is s! (n-s-1)! / n!, with n! (all the orders of the n features), not "
                    "(n-1)!; written with a binomial coefficient it is 1 / (n * C(n-1, s)), so phi_i is the mean over "
                    "the n sizes s of the mean of v(S + i) - v(S) over the C(n-1, s) coalitions of size s."),
            Mistake("weights by integer division", _shapley_with(lambda size, n: math.factorial(size) * math.factorial(
                n - size - 1) // math.factorial(n)),  # round 27 (r278 F3): told only "wrong value"
                    _ALL_VALUES_0),
            # round 28 (r288 F4): told that its weights were computed with //
            Mistake("one copy of the background for every v(S)", _shapley_with(_shapley_weight, one_copy=True),
                    _ALL_VALUES_0),
            # round 30 (r308 F2): told only "raised IndexError: too many indices for array", as occlusion_map's
            # "one image, not a batch" was before round 28
            Mistake("one row, not a batch", _shapley_with(_shapley_weight, one_row=True),
                    "predict takes a batch of rows, shape (m, n), and returns one number per row, shape (m,): your "
                    "function gave it one row of shape (n,), so predict failed on the missing axis. Give it all the "
                    "rows at once and take the mean, np.mean(predict(rows)) (or add the batch axis to a single row, "
                    "predict(row[None])[0])."),
            Mistake("coalition's tuple as an index", _shapley_with(_shapley_weight, tuple_index=True),
                    # round 28 (r288 F6): told only "raised ValueError: shape mismatch: value array of shape (3,) ..."
                    "you indexed with the coalition's tuple, x[S]: numpy reads a tuple as one index per axis, not as "
                    "a list of columns, so x[()] is all of x (which cannot fill the 0 columns rows[:, ()] selects: "
                    "the shape mismatch) and x[(0, 1)] asks for a second axis that x does not have. Index with a "
                    "list: rows[:, list(S)] = x[list(S)]."),
            Mistake("each term overwrites", _shapley_with(_shapley_weight, overwrite=True),
                    # round 32 (r328 F2): told only "wrong value"
                    "each coalition's term replaced the terms before it (phi[i] = where phi[i] += was needed), so "
                    "phi[i] kept only the last one, S = all the other features, weighted (n-1)! 0! / n! = 1/n: add "
                    "every coalition's term, phi[i] += weight * (v(S + i) - v(S))."),
            # round 29 (r298 F1): v(S) - v(S + i) gives the same values, and was told only that v swapped x and the
            # background, which a learner with a right v looked for in vain
            Mistake("x and background swapped", _shapley_with(_shapley_weight, swapped=True),  # round 25 (r257 F3)
                    _OPPOSITE_SIGN),
        ),
    ),
    "occlusion_map": Exercise(
        reference=_occlusion,
        cases=_occlusion_cases,
        # round 17: a map written into a buffer kept between calls, or read-only, passed; round 18: so did
        # attribution.occlusion
        # round 27 (r278 F1): and calls with another patch, stride and fill (the first call's map kept in a cache)
        run=refusing_course_versions(_also_for_other_settings(
            new_results(_called_for_a_tensor_or_array), ("predict", "image", "patch", "stride", "fill"),
            {"patch": lambda patch: patch - 1 if patch > 1 else None, "stride": lambda stride: stride + 1,
             "fill": lambda fill: fill + 1.0}),
            (ref.occlusion, _occlusion_with, *_LIBRARY_VERSIONS["occlusion_map"])),
        rtol=1e-6, atol=1e-6,  # an image converted to float32 (as the lesson's CNN computes) is off by about 1e-7
        hint="Raise ValueError if the patch is larger than the image. For every top-left corner (i, j) in "
        "range(0, H - patch + 1, stride) x range(0, W - patch + 1, stride): cover image[i:i+patch, j:j+patch] "
        "with fill in a copy, and add predict(original) - predict(covered) to every pixel of the window in a "
        "total map, and 1 to a count map. Return total / count (0 where count is 0).",
        mistakes=(
            Mistake("sum, not mean", _occlusion_with(average=False),
                    "pixels covered by several windows must get the mean drop, not the sum: divide the total by the "
                    "number of windows that cover each pixel (count[window] += 1 at every window, not = 1)."),
            Mistake("sign flipped", _occlusion_with(sign=-1.0),
                    "the drop is predict(original) - predict(covered): positive when covering hurts the score."),
            Mistake("corner only", _occlusion_with(corner_only=True),
                    "give the drop to every pixel of the window, not only to its top-left corner."),
            Mistake("fill ignored", _occlusion_with(fill_override=0.0),
                    "cover the patch with the given fill value, not always with 0."),
            Mistake("only the height compared", _occlusion_with(too_large=lambda patch, shape: patch > shape[0]),
                    "the patch must fit both ways: raise ValueError when patch > min(image.shape), the smaller side "
                    "(compared with the height only, with the larger side or by area, a 5x5 patch passes on a 7x4 "
                    "image)."),
            Mistake("only the width compared", _occlusion_with(too_large=lambda patch, shape: patch > shape[1]),
                    "the patch must fit both ways: compare it with the height too (patch > min(image.shape))."),
            Mistake("a patch as large as the image rejected",
                    _occlusion_with(too_large=lambda patch, shape: patch >= min(shape)),
                    "a patch as large as the image fits (one window); raise ValueError only if it is larger."),
            Mistake("stride ignored", _occlusion_with(stride_override=1),  # round 25: no message
                    "your windows moved by 1 pixel whatever the stride: step the corners by stride, "
                    "range(0, H - patch + 1, stride) and range(0, W - patch + 1, stride)."),
            Mistake("corners from the height alone", _occlusion_with(one_side="height"), _CORNERS_FROM_ONE_SIDE),
            Mistake("corners from the width alone", _occlusion_with(one_side="width"), _CORNERS_FROM_ONE_SIDE),
            Mistake("height and width swapped", _occlusion_with(one_side="swapped"), _HEIGHT_AND_WIDTH_SWAPPED),
            Mistake("last window left out", _occlusion_with(last_window=False),  # round 18
                    "a window may end at the last row and column: its corners are range(0, H - patch + 1, stride) "
                    "and range(0, W - patch + 1, stride), not range(0, H - patch, stride)."),
            Mistake("windows cut off at the border", _occlusion_with(cut_off=True),  # round 21: told "wrong value"
                    "your windows also start where they no longer fit, and the slice cuts them off at the border "
                    "(as Captum's Occlusion does): a window lies inside the image, so its corners are "
                    "range(0, H - patch + 1, stride) and range(0, W - patch + 1, stride), not range(0, H, stride)."),
            Mistake("drop spread over the stride", _occlusion_with(spread_to_stride=True),
                    "give the drop only to the patch x patch pixels the window covers: with a stride larger than the "
                    "patch, the pixels between two windows are never covered and stay 0."),
            Mistake("a stride larger than the image rejected", _occlusion_rejecting_large_strides,
                    "raise ValueError only when the patch is larger than the image; a stride larger than the image "
                    "is allowed: range(0, H - patch + 1, stride) then holds only the window at 0."),
            Mistake("integer image kept", _occlusion_with(dtype=None),
                    "convert the image to floats first, np.asarray(image, dtype=float): a copy of a uint8 image "
                    "stores the fill 127.5 as 127 (and np.zeros_like(image) would make integer totals)."),
            Mistake("each window overwrites", _occlusion_with(overwrite=True),  # round 25 (r257 F3)
                    "each window's drop replaced what the earlier windows had written on its pixels (= where += was "
                    "needed), so a pixel covered by several windows kept only the last window's drop: add every "
                    "window's drop to the total and 1 to the count of each pixel it covers, then divide."),
            Mistake("NaN where no window covers", _occlusion_with(plain_division=True),
                    # round 27 (r278 F4): told only "got a non-finite value"
                    "your map holds NaN on the pixels that no window covers (the last rows or columns, or the pixels "
                    "between windows when the stride is larger than the patch): there total / count is 0 / 0. Those "
                    "pixels get 0: np.divide(total, count, out=np.zeros_like(total), where=count > 0)."),
            Mistake("one image, not a batch", _occlusion_with(batch_axis=False),
                    # round 28 (r288 F3): told only "raised IndexError: tuple index out of range"
                    "predict takes a batch of images, shape (n, H, W), and returns one score per image, shape (n,): "
                    "your function gave it one image of shape (H, W), so predict failed on the missing axis. Add the "
                    "batch axis and take the one score back, predict(image[None])[0] (the same for each covered "
                    "copy)."),
            Mistake("one copy for every window", _occlusion_with(one_copy=True),
                    # round 29 (r298 F3): told only "wrong value"
                    _ONE_COVERED_IMAGE),
            Mistake("one copy for every row of windows", _occlusion_with(one_copy="row"),
                    # round 32 (r328 F3): told only "wrong value"
                    _ONE_COVERED_IMAGE_PER_ROW),
            Mistake("count started at 1", _occlusion_with(count_start=1.0),  # round 25 (r257 F3)
                    "your count of windows started at 1 (to avoid a division by zero), so every pixel's total was "
                    "divided by one window too many: start it at 0, and give the pixels that no window covers 0 "
                    "with np.divide(total, count, out=np.zeros_like(total), where=count > 0)."),
        ),
    ),
}

NOTEBOOKS = {
    "07a_gradient_attributions": ("saliency_map", "integrated_gradients"),
    "07b_occlusion_lime_shap": ("occlusion_map", "exact_shapley_values"),
}
