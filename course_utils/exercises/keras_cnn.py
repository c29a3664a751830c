"""Exercises of lesson 05 (Keras, from linear regression to a CNN), which comes in three parts.

One module serves all three notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 05a_keras_and_convolution: exercise 1 ``conv2d_valid``, exercise 2 ``conv_output_size``;
- 05b_cnn: exercise 3 ``build_cnn``, exercise 4 ``cnn_param_count``, exercise 5 ``accuracy_from_probs``;
- 05c_cnn_in_practice: exercise 6 ``predict_one_image`` (and it imports ``build_cnn`` and
  ``accuracy_from_probs`` from ``course_utils.convnet``, so it runs without 05b).

The references live in the lesson code, ``course_utils.convnet``.

Keras is imported inside the functions that need it, never at module level.
"""
from __future__ import annotations

import functools
import math
import weakref

import numpy as np

from .. import convnet as ref
from .. import recipes
from ..i18n import t
from . import welcome
from .base import NUMPY_ONLY as _NUMPY_ONLY
from .base import (KERNEL as _ATEN, Case, Exercise, Mismatch, Mistake, catalogued, compare_values, draw_call,
                   draw_floats, draw_shape, generated, in_turn, input_changed, note_a_made_call,
                   refuse_a_missing_error, refusing_course_versions, same_arrays, same_numpy_state)


# ----------------------------------------------------------------------------- cases and runs
def _conv_cases():
    rng = np.random.default_rng(5)
    return [
        Case((_first_image(), np.array([[1.0, 0, -1], [1, 0, -1], [1, 0, -1]])),
             label="5x5 image, vertical-edge kernel"),
        Case((rng.normal(size=(7, 6)), rng.normal(size=(2, 3))), label="non-square image and kernel"),
        Case((rng.normal(size=(3, 3)), rng.normal(size=(3, 3))), label="kernel as large as the image"),
        Case((1e6 * rng.normal(size=(28, 28)), rng.normal(size=(3, 3))), label="a large 28x28 image"),
        Case((rng.normal(size=(2, 2)), rng.normal(size=(3, 3))), label="kernel larger than the image", raises=ValueError),
        Case((rng.normal(size=(1, 5, 5)), rng.normal(size=(3, 3))), label="a 3-D image", raises=ValueError),
        Case((rng.normal(size=(6, 6, 1)), rng.normal(size=(3, 3))),
             label="a 6x6x1 image (a channel axis, as Keras stores it)", raises=ValueError),
        Case((rng.normal(size=(5, 5)), rng.normal(size=(3, 3, 1))), label="a 3-D kernel", raises=ValueError),
        Case((rng.normal(size=(5, 2)), rng.normal(size=(2, 3))), label="kernel wider (not taller) than the image",
             raises=ValueError),
        Case((rng.normal(size=(2, 5)), rng.normal(size=(3, 2))), label="kernel taller (not wider) than the image",
             raises=ValueError),
        Case((np.random.default_rng(6).integers(0, 256, size=(6, 6), dtype=np.uint8), np.full((3, 3), 1 / 9)),
             label="a uint8 image (raw pixels) and a 3x3 mean kernel (sums with fractions)"),
        Case((np.random.default_rng(8).normal(size=(7, 6)),
              np.array([[1, 0, -1, 2], [2, 0, -2, 1], [1, 0, -1, 0], [0, 1, 1, -1], [1, 2, 0, 0]])),
             label="a float image and an integer 5x4 kernel"),
        Case((np.random.default_rng(9).normal(size=8), np.array([[1.0, 0.0, -1.0]])),
             label="a 1-D image (8 pixels) and a 1x3 kernel", raises=ValueError),
        Case((np.random.default_rng(10).normal(size=(5, 5)), np.array([1.0, 0.0, -1.0])),
             label="a 1-D kernel (3 values)", raises=ValueError),
        Case((), {"image": np.random.default_rng(12).normal(size=(4, 6)),
                  "kernel": np.array([[1.0, -2.0], [0.5, 3.0]])}, label="image and kernel by keyword"),
        Case((_image_with_non_finite_pixels(), np.array([[0.5, -1.0], [2.0, 0.25]])),
             label="an image with a NaN, an inf and a -inf pixel (they spread into the windows that cover them)"),
        Case((np.random.default_rng(13).integers(-4_000_000_000, 4_000_000_000, size=(5, 6)).astype(float),
              np.array([[1.0, 2.0], [-1.0, 3.0]])),
             label="whole-number pixels up to 4e9 stored as floats (beyond int32)"),
    ]


def _first_image():
    """The first case's 5x5 image: a ramp 0..24 with a bright stripe (+20) down its middle column. Under the
    vertical-edge kernel its windows give -66, -6 and 54 in every row, both signs: the plain ramp gave -6 in every
    window, so an answer that took each window's absolute value gave +6 everywhere, what the flipped kernel gives,
    and was told not to flip the kernel."""
    image = np.arange(25.0).reshape(5, 5)
    image[:, 2] += 20
    return image


def _image_with_non_finite_pixels():
    """A 6x5 float image with a NaN, an inf and a -inf pixel, far enough apart that some windows miss all three."""
    image = np.random.default_rng(14).normal(size=(6, 5))
    image[0, 0], image[2, 4], image[5, 1] = np.nan, np.inf, -np.inf
    return image


_CONV_TOLERANCE = 1e-9


def _conv_compare(got, want):
    """The feature map must come back as a numpy array (the notebook reads its .shape and adds maps with sum()), with
    the reference's values."""
    if isinstance(want, np.ndarray) and not isinstance(got, np.ndarray):
        raise Mismatch(t("return the feature map as a numpy array (np.array(rows) or np.zeros(shape) filled in), got "
                         "a {kind}: the notebook reads its .shape and adds feature maps with sum()",
                         kind=type(got).__name__))
    whole = isinstance(want, np.ndarray) and want.dtype.kind == "f" and np.all(np.isfinite(want)) and np.all(
        want == np.round(want))
    if whole and isinstance(got, np.ndarray) and got.dtype.kind in "iu":
        got = got.astype(float)  # whole-number pixels and weights may give a whole-number map: its dtype is a matter
        # of taste, its values are not
    compare_values(got, want, rtol=_CONV_TOLERANCE, atol=_CONV_TOLERANCE)


def _conv_run(conv, case):
    """Call the answer; its inputs must come back unchanged. Then call it once more with the image upside down (the
    same shape and dtype, other values): the first map must not change, or the answer wrote the later map into an
    array it had returned before (a buffer kept between calls, one per shape), and the caller's earlier feature map
    changed under its hands."""
    inputs = [*case.args, *case.kwargs.values()]
    before = [np.array(value) for value in inputs]
    result = conv(*case.args, **case.kwargs)
    if not same_arrays(inputs, before):  # this run replaces the engine's call, so it makes the engine's check too
        raise input_changed()
    if isinstance(result, np.ndarray):
        kept, args, kwargs = np.array(result), list(case.args), dict(case.kwargs)
        if "image" in kwargs:
            kwargs["image"] = np.flipud(np.asarray(kwargs["image"])).copy()
        elif args:
            args[0] = np.flipud(np.asarray(args[0])).copy()
        try:
            conv(*args, **kwargs)
        except Exception:  # the first call is what is judged; a second one that fails tells nothing more
            pass
        if not same_arrays(result, kept):
            raise Mismatch(t("conv2d_valid wrote a later call's feature map into the array it had returned before "
                             "(an output array kept between calls, e.g. one per shape): the caller's earlier map "
                             "changed. Create a new array on every call (np.zeros(...) inside the function)"))
    return result


def _size_cases():
    return [
        Case((28, 3), label="28 pixels, 3x3 kernel (the lesson's first convolution)"),
        Case((28, 5, 2), label="5x5 kernel, padding 2 keeps 28"),
        Case((28, 3, 0, 2), label="stride 2"),
        Case((27, 3, 0, 2), label="27 pixels, stride 2 (the division is not exact)"),
        Case((11, 2, 0, 2), label="a 2x2 pool on 11 pixels"),
        Case((32, 7, 3, 2), label="32 pixels, 7x7 kernel, padding 3, stride 2"),
        Case((5, 3, 0, 3), label="5 pixels, stride 3: one position"),
        Case((3, 5, 1), label="a 5-wide kernel fits into 3 pixels padded by 1: one position"),
        Case((10, 3, 1, 3), label="10 pixels, padding 1, stride 3"),
        Case((3, 5), label="kernel larger than the image", raises=ValueError),
        Case((28, 3, 0, 0), label="stride 0", raises=ValueError),
        Case((28, 3, 0, -1), label="negative stride", raises=ValueError),
        Case((28, 3, -1), label="negative padding", raises=ValueError),
        Case((28.0, 3), label="a float size", raises=TypeError),
        Case((True, 1), label="a bool size", raises=TypeError),
        Case((28, 3, 0, 2.0), label="a float stride", raises=TypeError),
        Case((28, 3, True), label="a bool padding", raises=TypeError),
        Case((3, 4, 0, 2), label="a 4-wide kernel on 3 pixels, stride 2", raises=ValueError),
        Case((28, 3.0), label="a float kernel", raises=TypeError),
        Case((28, 1, 1, 2), label="a 1x1 kernel, padding 1, stride 2 (a stride larger than the kernel and a padding "
             "wider than half of it: both allowed)"),   # round 36 (r366 F1): it named the stride alone, where an
        # answer that refused a padding wider than half the kernel (torch's rule for pooling) failed here first
        Case((4, 6, 1, 2), label="a 6-wide kernel exactly as wide as 4 pixels padded by 1, stride 2: one position"),
        Case((28, 3, False), label="a padding of False (a bool, though 0 is a valid padding)", raises=TypeError),
    ]


def _size_cases_below_one():
    """An n or a kernel below 1 (ValueError): the formula still gives a number for them. After the drawn cases, so
    that an answer missing another check is still told about that one first. Round 30 (r306 F2): 0 was the only n
    below 1, so an answer that refused n == 0 alone passed; a negative n that a wide padding makes fit is tried too."""
    return [Case((28, 0), label="a 0-wide kernel", raises=ValueError),
            Case((0, 1, 1), label="0 pixels padded by 1", raises=ValueError),
            Case((28, -3, 2), label="a negative kernel with padding 2", raises=ValueError),
            Case((-2, 3, 4), label="-2 pixels padded by 4 (the padded width, 6, would fit the kernel)",
                 raises=ValueError)]


def _size_run(size, case):
    """Call the answer; the size of a feature map is a whole number, so the answer must return an int. Sizes given as
    numpy integers (the last case) may be refused with TypeError, as the text may be read (a numpy integer is not a
    Python int): then the answer is taken to give the right count."""
    try:
        result = size(*case.args, **case.kwargs)
    except TypeError:
        if not any(isinstance(value, np.integer) for value in (*case.args, *case.kwargs.values())):
            raise
        return ref.conv_output_size(*case.args, **case.kwargs)
    refuse_a_missing_error(case, result)   # round 34 (r346 F1): a float stride's float count was told "return the
    # size as an int (use //)" by the lines below, where the answer had used // and must raise TypeError
    if result is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if isinstance(result, bool) or not isinstance(result, (int, np.integer)):
        raise Mismatch(t("return the size as an int (use //), got {result}", result=repr(result)))
    return int(result)


def _param_cases():
    return [
        Case((16, 32), label="the lesson's CNN"),
        Case((1, 1), label="one filter per layer"),
        Case((64, 128), {"n_classes": 100}, label="large layers, 100 classes"),
        Case((8, 8), {"size": 32, "kernel": 5}, label="32x32 images, 5x5 kernels"),
        Case((0, 32), label="zero filters", raises=ValueError),
        Case((16, 32), {"size": 7}, label="7x7 images: 0x0 feature maps after the second pool", raises=ValueError),
        Case((16, 32), {"size": 5}, label="5x5 images: the second convolution does not fit", raises=ValueError),
        Case((16, 32), {"size": 8}, label="8x8 images: the second convolution fits, its pool leaves 0x0",
             raises=ValueError),
        Case((16, 32), {"size": 10}, label="10x10 images: 1x1 maps after the second pool"),
        Case((16, 32), {"size": 15, "kernel": 5}, label="15x15 images, 5x5 kernels: 0x0 maps after the second pool",
             raises=ValueError),
        Case((16, 0), label="zero filters in the second convolution", raises=ValueError),
        Case((16, 32), {"n_classes": 0}, label="zero classes", raises=ValueError),
        Case((16, 32), {"kernel": 0}, label="a 0x0 kernel", raises=ValueError),
        Case((16.0, 32), label="a float filters1", raises=TypeError),
        Case((16, 32), {"n_classes": True}, label="a bool n_classes", raises=TypeError),
        Case((16, 32), {"size": 28.0}, label="a float size", raises=TypeError),
        Case((16, 32), {"kernel": True}, label="a bool kernel", raises=TypeError),
        Case((8, 16), {"kernel": 2}, label="2x2 kernels (an even size: 28 -> 27 -> 13 -> 12 -> 6)"),
        Case((32, 8, 5, 20, 3), label="all five arguments by position (n_classes=5, size=20, kernel=3), "
             "more filters in the first convolution"),
    ]


def _build_run(builder, case):
    """Build the model and describe it: its layers in order, parameter count, output shape, row sums, and its output
    with the check's weights; a change to Keras' default float type is an error (and undone)."""
    import random

    import keras

    caller = np.random.get_state(), random.getstate(), _tf_seed_state()  # put back afterwards, as they were
    keras.utils.set_random_seed(0)  # the same starting weights on every run
    settings = _keras_settings()
    np.random.seed(_GENERATORS_SEED)  # a state no seed() call leaves (building a model draws from Python's random
    np.random.random()                # generator, never from numpy's): a reseed of numpy's shows
    random.seed(_GENERATORS_SEED)     # Python's too: a build draws a few numbers from it (Keras' default seeds),
    random.random()                   # a reseed replaces its whole Mersenne Twister state
    numpy_state, python_state, tf_state = np.random.get_state(), random.getstate(), _tf_seed_state()
    try:
        model = builder(*case.args, **case.kwargs)
    finally:
        changed = _restore_keras_settings(settings)
        reseeded = not same_numpy_state(numpy_state, np.random.get_state())
        others_reseeded = _python_reseeded(python_state, random.getstate()) or not _same_tf_seed_state(
            tf_state, _tf_seed_state())
        np.random.set_state(caller[0])
        random.setstate(caller[1])
        _set_tf_seed_state(caller[2])
    if reseeded:
        raise Mismatch(t("build_cnn reseeded or drew from numpy's global random generator (np.random.seed, or "
                         "keras.utils.set_random_seed, which seeds it too): every later random draw of the notebook "
                         "would start again from that seed. Build the model without a seed"))
    if others_reseeded:
        raise Mismatch(t("build_cnn reseeded Python's or TensorFlow's global random generator (random.seed, "
                         "tf.random.set_seed): every later draw from it in the notebook, such as the seeds of Keras' "
                         "starting weights or the order in which fit() shuffles the examples, would start again from "
                         "that seed. Build the model without a seed"))
    if changed == "float type":
        raise Mismatch(t("build_cnn changed Keras' default float type (keras.config.set_floatx or a dtype policy) for "
                         "the rest of the notebook: leave the global settings alone"))
    if changed == "logging":
        raise Mismatch(t("build_cnn switched Keras' progress output off for the rest of the notebook "
                         "(keras.utils.disable_interactive_logging): fit() would no longer show its epochs; "
                         "leave it on"))
    if changed == "eager":
        raise Mismatch(t(_EAGER_CHANGED, name="build_cnn"))
    if changed == "training limit":
        raise Mismatch(t(_TRAINING_LIMIT_CHANGED, name="build_cnn"))
    if changed == "tf config":
        raise Mismatch(t(_TF_CONFIG_CHANGED, name="build_cnn"))
    if changed == "switches":
        raise Mismatch(t(_KERAS_SWITCHES_CHANGED, name="build_cnn"))
    if changed:
        raise Mismatch(t(_KERAS_SETTINGS_CHANGED, name="build_cnn"))
    if model is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if not isinstance(model, keras.Model):
        raise Mismatch(t("build_cnn must return a keras model, got {kind}", kind=type(model).__name__))
    if not model.built:
        raise Mismatch(t("build_cnn returned a model without its input: start the Sequential with keras.Input(shape=(28, "
                         "28, 1)). Without it the model has no weights until its first call, so count_params() and "
                         "summary() fail on it"))
    if _BUILT.get(id(model)) is model:
        raise Mismatch(t("build_cnn returned a model it had returned before (kept from an earlier call): every call "
                         "must build a new model, or a second training starts from the weights the first one left"))
    reused = [layer for layer in model.layers if layer.weights and _BUILT_LAYERS.get(id(layer)) is layer]
    if reused:
        raise Mismatch(t("build_cnn returned a new model around a layer ({kind}) it had put into a model before (kept "
                         "from an earlier call): the two models share that layer's weights, so a second training "
                         "starts from the weights the first one left. Create every layer inside build_cnn",
                         kind=type(reused[0]).__name__))
    _BUILT[id(model)] = model
    for layer in model.layers:
        _BUILT_LAYERS[id(layer)] = layer
    frozen = [weight for layer in model.layers if not isinstance(layer, keras.layers.BatchNormalization)
              for weight in layer.non_trainable_weights]  # a normalization layer's moving statistics are not
    if frozen:                                          # trained by design: the layer comparison names that layer
        raise Mismatch(t("some of the model's weights are frozen (trainable = False): fit() would never change them; "
                         "leave every layer trainable"))
    halved = [(number, layer) for number, layer in enumerate(model.layers, 1) if _half_precision(layer)]
    if halved:  # its outputs then missed the check's by 1e-4 ("wrong value"), or, in bfloat16, were "not numbers"
        number, layer = halved[0]
        raise Mismatch(t("layer {number} ({kind}) computes in {dtype} (dtype={policy}): a 16-bit float keeps only about "
                         "3 significant digits (bfloat16 about 2), so its outputs differ from the lesson's float32 "
                         "model's and so does its training. Leave dtype= out of the layers", number=number,
                         kind=type(layer).__name__, dtype=_half_precision(layer), policy=repr(layer.dtype_policy.name)))
    for number, layer in enumerate(model.layers, 1):
        config = layer.get_config()
        extras = [key for key, value in config.items() if key.endswith(("_regularizer", "_constraint")) and value]
        if extras:
            raise Mismatch(t("layer {number} ({kind}) has {settings}: the lesson's model has no regularizer or "
                             "constraint, and with one fit() trains another model (a penalty added to the loss, or "
                             "weights cut back after every step)", number=number, kind=type(layer).__name__,
                             settings=", ".join(extras)))
        seeded = [key for key, value in config.items() if key.endswith("_initializer") and isinstance(value, dict)
                  and isinstance(value.get("config"), dict) and value["config"].get("seed") is not None]
        if seeded:  # (a Dropout seed stays allowed: round 12 ruled it right)
            raise Mismatch(t("layer {number} ({kind}) has an initializer with a fixed seed ({settings}): every call of "
                             "build_cnn then starts from the same weights, whatever seed the notebook sets with "
                             "keras.utils.set_random_seed; leave seed= out of the initializers", number=number,
                             kind=type(layer).__name__, settings=", ".join(seeded)))
        if type(layer).__name__ == "Dropout" and layer.noise_shape is not None:
            raise Mismatch(t("layer {number} (Dropout) has noise_shape={shape}: it drops whole groups of values "
                             "together (the same ones for every image of a batch, with a 1 in front); the lesson's "
                             "Dropout drops each value on its own, so leave noise_shape out", number=number,
                             shape=repr(layer.noise_shape)))
        if type(layer).__name__ == "Conv2D":
            kernel = np.asarray(layer.kernel)  # (rows, columns, channels in, filters)
            if not np.any(kernel) or kernel.shape[-1] > 1 and np.all(kernel == kernel[..., :1]):
                raise Mismatch(t("layer {number} (Conv2D) starts with all its filters alike (kernel_initializer="
                                 "'zeros' or a constant): alike filters get the same gradient and stay alike, and "
                                 "zero ones pass no gradient through the ReLU; keep Conv2D's own random "
                                 "initialisation", number=number))
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    dead = _dead_at_the_start(model, x)
    if dead:
        number, kind = dead
        raise Mismatch(t("layer {number} ({kind}) gives only zeros from the start (with its own starting weights, on "
                         "random images): its ReLUs are all switched off, e.g. by a negative bias_initializer, so no "
                         "gradient passes back through it and the layers before it never train; keep Conv2D's own "
                         "initialisation (biases start at zero)", number=number, kind=kind))
    out = _output_with_set_weights(model, x)
    cut = _no_gradient(model, 3 * x)
    if cut:
        number, kind = cut
        raise Mismatch(t("no gradient reaches layer {number} ({kind}) (with the check's weights, on random images): "
                         "fit() would never change its weights, as if it were frozen. Leave the gradient alone (no "
                         "tf.stop_gradient or keras.ops.stop_gradient in an activation)", number=number, kind=kind))
    called = np.asarray(model(3 * x))  # model(images), without training=: inference, as predict() and evaluate()
    if called.shape != out.shape or not np.allclose(called, out, rtol=1e-5, atol=1e-6, equal_nan=True):  # NaN
        # both ways: an extra layer the set weights break (a BatchNormalization's negative moving variance), which
        # the layer comparison names
        raise Mismatch(t("called as model(images), without training=, the model gives other outputs than in inference "
                         "mode (training=False): a layer was called with training=True when the model was built, e.g. "
                         "layers.Dropout(dropout)(x, training=True), so it drops values outside fit() too. Call the "
                         "layers without training=: fit() switches dropout on by itself"))
    return _layer_signature(model), model.count_params(), out.shape, out.sum(axis=1), out


def _half_precision(layer):
    """The 16-bit float type a layer computes in (its dtype policy's: dtype='float16', 'bfloat16', 'mixed_float16' or
    'mixed_bfloat16'), or ''."""
    compute = str(getattr(getattr(layer, "dtype_policy", None), "compute_dtype", ""))
    return compute if compute in ("float16", "bfloat16") else ""


def _no_gradient(model, x):
    """(number, kind) of the first layer with weights whose gradient is zero everywhere (or missing) for a
    cross-entropy loss on ``x`` with the model's current weights, or None (and None without TensorFlow's backend).
    With the check's random weights every layer of the lesson's CNN gets a gradient; one that gets none is cut off
    from the loss, e.g. by an activation wrapped in stop_gradient, and trains no more than a frozen layer."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    with tf.GradientTape() as tape:
        out = model(x, training=False)
        loss = -tf.reduce_mean(tf.math.log(tf.cast(out, "float32")[:, 0] + 1e-7))
    layers = [layer for layer in model.layers if layer.trainable_weights]
    gradients = tape.gradient(loss, [layer.trainable_weights for layer in layers])
    for layer, grads in zip(layers, gradients):
        if all(g is None or not np.any(np.asarray(g)) for g in grads):
            return model.layers.index(layer) + 1, type(layer).__name__  # numbered as the other messages number them
    return None


_BUILT = weakref.WeakValueDictionary()  # the models build_cnn answers returned, while something still holds them
_BUILT_LAYERS = weakref.WeakValueDictionary()  # and their layers

_EAGER_CHANGED = ("{name} switched TensorFlow to running every function op by op for the rest of the notebook "
                  "(tf.config.run_functions_eagerly): every later fit() and predict() would run many times slower. "
                  "The check put it back: leave it alone")
_TF_CONFIG_CHANGED = ("{name} changed TensorFlow's global configuration for the rest of the notebook: op determinism "
                      "(tf.config.experimental.enable_op_determinism: every later op without a deterministic version "
                      "raises an error), XLA compilation (tf.config.optimizer.set_jit: every later graph is compiled "
                      "first), TensorFloat-32 matrix products (tf.config.experimental."
                      "enable_tensor_float_32_execution), the graph optimizer's options (tf.config.optimizer."
                      "set_experimental_options), soft device placement, a check on every op (tf.debugging."
                      "enable_check_numerics: every later result is checked for NaN and inf) or asynchronous execution "
                      "(tf.config.experimental.set_synchronous_execution: errors show up later, elsewhere). The check "
                      "put it back: leave it alone")
_TRAINING_LIMIT_CHANGED = ("{name} capped Keras' training for the rest of the notebook (keras.config.set_max_epochs or "
                           "set_max_steps_per_epoch): every later fit() would stop after that many epochs or steps, "
                           "whatever its epochs= says; the check put them back: leave them alone")


def _python_reseeded(before, now):
    """Whether Python's global random generator was reseeded (or set) between the states ``before`` and ``now``: a
    seed replaces the Mersenne Twister's 624 words, while draws only move its position along them (until all 624 are
    used, far more than the few seeds a build draws)."""
    return now[0] != before[0] or now[1][:624] != before[1][:624] or now[1][624] < before[1][624]


def _tf_seed_state():
    """TensorFlow's global seed as tf.random.set_seed leaves it: the eager context's seed, the random.Random it draws
    operation seeds from (a new one on every call, with the same seed too) and the default graph's seed; None without
    TensorFlow."""
    try:
        import tensorflow as tf
        from tensorflow.python.eager import context
    except ImportError:
        return None
    ctx = context.context()
    return getattr(ctx, "_seed", None), getattr(ctx, "_rng", None), tf.compat.v1.get_default_graph().seed


def _same_tf_seed_state(a, b):
    return a is None or b is None or (a[0] == b[0] and a[1] is b[1] and a[2] == b[2])


def _set_tf_seed_state(state):
    """Put TensorFlow's global seed back as ``_tf_seed_state`` found it."""
    if state is None:
        return
    import tensorflow as tf
    from tensorflow.python.eager import context

    ctx = context.context()
    ctx._seed, ctx._rng = state[0], state[1]
    tf.compat.v1.get_default_graph().seed = state[2]


def _dead_at_the_start(model, x):
    """(number, kind) of the first convolution (or the ReLU or Activation layer after it) whose output is all zeros on
    ``x`` with the model's own starting weights and non-zero starting biases, or None. Random kernels with zero biases
    switch some units off, not all (and when a single random filter happens to, it is bad luck, not the answer's)."""
    try:
        h, conv = x, None
        for number, layer in enumerate(model.layers, 1):
            kind = type(layer).__name__
            if kind == "InputLayer":
                continue
            if kind in ("Flatten", "Dense"):
                return None
            h = layer(h, training=False)
            conv = layer if kind == "Conv2D" else conv
            biased = conv is not None and getattr(conv, "bias", None) is not None and np.any(np.asarray(conv.bias))
            if kind in ("Conv2D", "ReLU", "Activation") and biased and not np.any(np.asarray(h)):
                return number, kind
    except Exception:  # not a chain of layers: the output comparison below judges it
        return None
    return None


_KERAS_SETTINGS_CHANGED = ("{name} changed Keras' global settings (keras.config.set_floatx, set_image_data_format or "
                           "set_epsilon) for the rest of the notebook; the check put them back: leave them alone")

_KERAS_SWITCHES_CHANGED = ("{name} changed a global switch of keras.config for the rest of the notebook (traceback "
                           "filtering, unsafe deserialization, which lets keras.models.load_model run the code inside "
                           "any file it loads, or flash attention); the check put it back: leave it alone")


def _keras_settings():
    """Keras' global settings an answer could change: float type, dtype policy, image data format, epsilon, whether
    fit() and predict() print their progress (keras.utils.disable_interactive_logging silences every later call),
    whether TensorFlow runs every tf.function op by op (tf.config.run_functions_eagerly(True) slows every later fit),
    Keras' caps on the epochs and steps of every later fit(), whether TensorFlow allows only deterministic ops
    (tf.config.experimental.enable_op_determinism: every later op without a deterministic kernel raises, and some run
    slower) and whether it compiles every graph with XLA first (tf.config.optimizer.set_jit)."""
    import keras

    return (keras.config.floatx(), keras.config.dtype_policy(), keras.config.image_data_format(), keras.config.epsilon(),
            keras.utils.is_interactive_logging_enabled(), _functions_run_eagerly(), _training_limits(),
            _tf_config(), _keras_switches())


_SWITCHES = ("safe_mode_saving", "flash_attention")  # None until set: keras.config.enable_unsafe_deserialization, ...


def _keras_switches():
    """keras.config's global switches: traceback filtering (keras.config.disable_traceback_filtering), safe mode for
    loading models (keras.config.enable_unsafe_deserialization) and flash attention, as Keras stores them."""
    import keras

    try:
        from keras.src.backend.common import global_state
    except ImportError:  # another Keras: traceback filtering only
        return (keras.config.is_traceback_filtering_enabled(),)
    return (keras.config.is_traceback_filtering_enabled(), *map(global_state.get_global_attribute, _SWITCHES))


def _tf_config():
    """TensorFlow's global configuration an answer could leave changed, or None without TensorFlow: whether op
    determinism is on (tf.config.experimental.enable_op_determinism; its reader and its undoing are not in the public
    API), XLA auto-clustering (tf.config.optimizer.get_jit), TensorFloat-32 matrix products
    (tf.config.experimental.enable_tensor_float_32_execution), Grappler's graph options
    (tf.config.optimizer.set_experimental_options), soft device placement, the callbacks run on every op
    (tf.debugging.enable_check_numerics adds one that checks every later result for NaN and inf) and whether ops run
    synchronously (tf.config.experimental.set_synchronous_execution(False): errors show up later, elsewhere)."""
    try:
        import tensorflow as tf
        from tensorflow.python.eager import context
        from tensorflow.python.framework import config
    except ImportError:
        return None
    ctx = context.context()
    return (config.is_op_determinism_enabled() if hasattr(config, "is_op_determinism_enabled") else None,
            tf.config.optimizer.get_jit(), tf.config.experimental.tensor_float_32_execution_enabled(),
            tuple(sorted(getattr(ctx, "_optimizer_experimental_options", {}).items())),
            tf.config.get_soft_device_placement(), tuple(getattr(ctx, "op_callbacks", ())),
            tf.config.experimental.get_synchronous_execution())


def _restore_tf_config(now, before):
    """Put TensorFlow's global configuration back from ``now`` to ``before`` (both from _tf_config)."""
    import tensorflow as tf
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config, op_callbacks

    determinism, jit, tf32, options, soft, callbacks, synchronous = before
    if now[0] != determinism and determinism is not None:
        (config.enable_op_determinism if determinism else config.disable_op_determinism)()
    tf.config.optimizer.set_jit(jit or False)
    if now[2] != tf32:
        tf.config.experimental.enable_tensor_float_32_execution(tf32)
    if now[3] != options:
        ctx = context.context()
        ctx._optimizer_experimental_options = dict(options)
        ctx._thread_local_data.function_call_options = None  # as set_optimizer_experimental_options leaves it
    if now[4] != soft:
        tf.config.set_soft_device_placement(soft)
    if now[6] != synchronous:
        tf.config.experimental.set_synchronous_execution(synchronous)
    added = [callback for callback in now[5] if callback not in callbacks]
    if any("CheckNumerics" in type(getattr(callback, "__self__", None)).__name__ for callback in added):
        tf.debugging.disable_check_numerics()  # removes its callback and forgets it was on
    for callback in added:
        if callback in context.context().op_callbacks:
            op_callbacks.remove_op_callback(callback)


def _functions_run_eagerly():
    """TensorFlow's tf.config.functions_run_eagerly(), or None without TensorFlow."""
    try:
        import tensorflow as tf
    except ImportError:
        return None
    return tf.config.functions_run_eagerly()


def _training_limits():
    """Keras' caps on every later fit() (keras.config.set_max_epochs, set_max_steps_per_epoch), or () where this Keras
    has none."""
    import keras

    config = keras.config
    if not hasattr(config, "max_epochs"):
        return ()
    return config.max_epochs(), config.max_steps_per_epoch()


def _restore_keras_settings(settings):
    """Put Keras' global settings back; say what had changed ("float type", "other", "logging", "eager", "training
    limit", "tf config" or "")."""
    import keras

    floatx, policy, data_format, epsilon, interactive, eager, limits, tf_config, switches = settings
    now = _keras_settings()
    changed = "float type" if (now[0], now[1].name) != (floatx, policy.name) else "other" if now[2:4] != (
        data_format, epsilon) else "logging" if now[4] != interactive else "eager" if now[5] != eager else \
        "training limit" if now[6] != limits else "tf config" if now[7] != tf_config else \
        "switches" if now[8] != switches else ""
    if now[8] != switches:
        (keras.config.enable_traceback_filtering if switches[0] else keras.config.disable_traceback_filtering)()
        if len(switches) > 1:
            from keras.src.backend.common import global_state

            for name, value in zip(_SWITCHES, switches[1:]):
                global_state.set_global_attribute(name, value)
    if now[5] != eager:
        import tensorflow as tf

        tf.config.run_functions_eagerly(eager)
    if now[7] != tf_config:
        _restore_tf_config(now[7], tf_config)
    if limits:
        keras.config.set_max_epochs(limits[0])
        keras.config.set_max_steps_per_epoch(limits[1])
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(policy)
    keras.config.set_image_data_format(data_format)
    keras.config.set_epsilon(epsilon)
    (keras.utils.enable_interactive_logging if interactive else keras.utils.disable_interactive_logging)()
    return changed


def _output_with_set_weights(model, x):
    """The model's output on 3 x once its weights are set from a fixed seed (by their shapes, in the model's order).

    The layer kinds and the parameter count leave settings open that change what a layer computes (a ReLU layer
    with a cap or a slope, padding with dilation, pool strides); with the same weights the same model gives the
    same output. The inputs are scaled so that some activations exceed 6 (a ReLU6 cap).
    """
    rng = np.random.default_rng(3)
    weights = []
    for w in model.get_weights():
        fan_in = int(np.prod(w.shape[:-1])) if w.ndim > 1 else 0
        # He scale for the convolutions, a smaller one for the dense layer: a softmax far from saturated
        scale = 0.5 if not fan_in else np.sqrt(2 / fan_in) if w.ndim > 2 else 0.5 / np.sqrt(fan_in)
        weights.append(rng.normal(0, scale, w.shape).astype(w.dtype))
    model.set_weights(weights)
    return np.asarray(model(3 * x, training=False))


_ACTIVATION_LAYERS = {"Activation", "ReLU", "Softmax"}


def _layer_signature(model):
    """(kind, setting) per layer: the activation of Conv2D and Dense, the rate of Dropout.

    An Activation, ReLU or Softmax layer right after a layer without activation counts as that layer's; an
    InputLayer (a functional model's) is left out.
    """
    signature = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":  # a functional model lists its Input; a Sequential one does not
            continue
        if kind in _ACTIVATION_LAYERS and signature and signature[-1][1] == "linear":
            name = _relu_layer(layer) if kind == "ReLU" else "softmax" if kind == "Softmax" else _activation(layer)
            signature[-1] = (signature[-1][0], name)
        elif kind in ("Conv2D", "Dense"):
            signature.append((kind, _activation(layer) + _geometry(layer)))
        elif kind == "MaxPooling2D":
            signature.append((kind, _geometry(layer)))
        elif kind == "Dropout":
            signature.append((kind, f"{float(layer.rate):g}"))
        else:
            signature.append((kind, ""))
    return tuple(signature)


# round 27 (r276 F4): the lesson's convolutions and pools slide without padding (28 -> 26 -> 13 -> 11 -> 5); an answer
# with padding="same" or another stride was told only "parameter count: wrong value"
_GEOMETRY = {"Conv2D": {"kernel_size": (3, 3), "strides": (1, 1), "padding": "valid", "dilation_rate": (1, 1)},
             "MaxPooling2D": {"pool_size": (2, 2), "strides": (2, 2), "padding": "valid"}}
_GEOMETRY_MARK = " | "


def _geometry(layer):
    """"" for a layer with the lesson's kernel or pool size, stride and padding; else " | " and the settings that
    differ (padding='same', ...)."""
    config, wanted = layer.get_config(), _GEOMETRY.get(type(layer).__name__, {})
    config = {key: tuple(value) if isinstance(value, list) else value for key, value in config.items()}
    if type(layer).__name__ == "MaxPooling2D" and config.get("strides") is None:
        config["strides"] = config.get("pool_size")
    changed = [f"{key}={config.get(key)!r}" for key, value in wanted.items() if config.get(key, value) != value]
    return _GEOMETRY_MARK + ", ".join(changed) if changed else ""


def _relu_layer(layer):
    """'relu' for a plain ReLU layer, else its settings: ReLU(6.0) caps at 6 (max_value), negative_slope makes it
    leaky, threshold moves its kink. The output comparison only sees a cap that the check's activations reach, so a
    ReLU(max_value=20) passed."""
    config = layer.get_config()
    changed = {key: config.get(key) for key in ("max_value", "negative_slope", "threshold")
               if config.get(key) not in (None, 0, 0.0)}
    return "relu" if not changed else "relu(" + ", ".join(f"{key}={float(value):g}" for key, value in
                                                         changed.items()) + ")"


_ACTIVATION_PROBE = np.array([[-3.0, -0.5, 0.0, 0.25, 2.0, 7.5, 1000.0]], dtype="float32")  # 7.5: above a ReLU6
# cap; 1000: above any cap


def _activation(layer):
    """The name of the layer's activation; a function under another name that computes Keras' relu or softmax
    (tf.nn.softmax is called softmax_v2) counts as that one, and so does a layer given as the activation
    (activation=layers.ReLU(), which has no __name__; a ReLU layer with settings is named by them)."""
    function = getattr(layer, "activation", None)
    if function is None:
        return "linear"
    name = getattr(function, "__name__", None)
    if name in ("relu", "softmax", "linear"):
        return name
    if type(function).__name__ == "ReLU":
        return _relu_layer(function)
    return next((known for known in ("relu", "softmax", "linear") if _computes(function, known)),
                name or type(function).__name__)


def _computes(function, name):
    """Whether ``function`` gives what Keras' activation ``name`` gives on a probe row."""
    import keras

    try:
        got = np.asarray(function(_ACTIVATION_PROBE))
    except Exception:  # an activation that cannot take the probe is not this one
        return False
    want = np.asarray(keras.activations.get(name)(_ACTIVATION_PROBE))
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=1e-7)


def _build_compare(got, want):
    (layers, *numbers), (want_layers, *want_numbers) = got, want
    kinds, want_kinds = [k for k, _ in layers], [k for k, _ in want_layers]
    if kinds != want_kinds:
        order = t(" (the same layers in another order)") if sorted(kinds) == sorted(want_kinds) else ""
        raise Mismatch(t("the layers are {got}{order}; expected {want}", got=" -> ".join(kinds), order=order,
                         want=" -> ".join(want_kinds)))
    for index, ((kind, setting), (_, wanted)) in enumerate(zip(layers, want_layers)):
        if _GEOMETRY_MARK in setting and _GEOMETRY_MARK not in wanted:
            raise Mismatch(t("layer {number} ({kind}) is set with {settings}: the lesson's convolutions are 3x3 and "
                             "its pools 2x2, both without padding and each pool 2 pixels apart, Conv2D(filters, 3, "
                             "activation='relu') and MaxPooling2D(2), so the side goes 28 -> 26 -> 13 -> 11 -> 5",
                             number=index + 1, kind=kind, settings=setting.partition(_GEOMETRY_MARK)[2]))
        if setting != wanted:
            what = "rate" if kind == "Dropout" else "activation"
            raise Mismatch(t("layer {number} ({kind}) has {what} {setting}, expected {wanted}", number=index + 1,
                             kind=kind, what=t(what), setting=repr(setting), wanted=repr(wanted)))
    names = ("parameter count", "output shape", "softmax rows summing to 1")
    names = (*(t(name) for name in names), t("output with the check's weights"))
    for name, g, w in zip(names, numbers, want_numbers):
        try:
            compare_values(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5)
        except Mismatch as mismatch:
            raise Mismatch(f"{name}: {mismatch}") from None


def _accuracy_cases():
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.ones(10), size=1000)
    return [
        Case((np.array([0, 1, 2, 1]),
              np.array([[0.3, 0.6, 0.1], [0.2, 0.5, 0.3], [0.1, 0.35, 0.55], [0.25, 0.45, 0.3]])),
             label="three of four right (the wrong row holds the largest value of all, so an argmax over the whole "
             "array, 1 - accuracy and argmin give three different numbers)"),
        Case((np.array([0, 1, 2]), np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1]])),
             label="two of three right"),
        Case((np.array([3]), np.eye(5)[[3]]), label="a batch of one"),
        Case((rng.integers(0, 10, 1000), probs), label="1000 random predictions"),
        Case((np.array([0, 3, 1, 3, 1]), np.array([[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25], [0.4, 0.4, 0.1, 0.1],
                                                   [0.1, 0.3, 0.3, 0.3], [0.33326, 0.33336, 0.33326, 0.00012]])),
             label="tied rows (a network whose logits are all equal gives exactly equal probabilities): the first "
             "largest column is the predicted class, as np.argmax takes it; and a near tie, 0.33336 against 0.33326"),
        Case((np.array([0, 1]), np.eye(3)), label="3 predictions for 2 labels", raises=ValueError),
        Case((np.array([1]), np.eye(3)), label="3 predictions for 1 label", raises=ValueError),
        Case((np.array([[0], [1], [1]]), np.eye(3)), label="labels as a column (3, 1)", raises=ValueError),
        Case((np.array([0, 1, 2]), np.array([0.1, 0.2, 0.7])), label="1-D probabilities", raises=ValueError),
        Case((np.array(2), np.eye(3)[[2]]), label="one label as a 0-d array, one row of probabilities",
             raises=ValueError),
        Case((np.array([0, 1, 2]), np.eye(3)[..., None]), label="3-D probabilities (3, 3, 1)", raises=ValueError),
    ]


_PREDICT_WEIGHTS_SEED = 17  # chosen so that unscaled, twice-scaled and max-scaled inputs change the class


@functools.lru_cache(maxsize=3)
def _predict_model(n_classes=10):
    """An untrained CNN with seeded weights and NON-zero biases, and ``n_classes`` outputs.

    Without biases a ReLU + max-pool network is scale-invariant (f(255 x) = 255 f(x)), so forgetting
    / 255 would never change its class; with these biases it changes the class of every test image.
    """
    model = ref.build_cnn(4, 8, n_classes)
    rng = np.random.default_rng(_PREDICT_WEIGHTS_SEED)
    for layer in model.layers:
        if layer.weights:
            kernel, bias = layer.get_weights()
            fan_in = int(np.prod(kernel.shape[:-1]))
            layer.set_weights([rng.normal(0, np.sqrt(2 / fan_in), kernel.shape).astype("float32"),
                               rng.normal(0, 1, bias.shape).astype("float32")])
    return model


def _predict_images():
    """Raw test images (uint8, 0..255): noise, a stroke like a "1", all white, a ring like a "0", a faint ring,
    a ring with soft edges (grey levels), a very dark ring (pixels 0 and 1), sparse noise near class boundaries, a
    ring left of the centre and one above it."""
    noise = np.random.default_rng(11).integers(0, 256, size=(28, 28), dtype=np.uint8)
    rows, cols = np.mgrid[:28, :28]
    stroke = np.where((cols > 10) & (cols < 16), 255, 0).astype(np.uint8)
    ring = np.where(np.abs(np.hypot(rows - 13.5, cols - 13.5) - 8) < 2.5, 250, 0).astype(np.uint8)
    white = np.full((28, 28), 255, dtype=np.uint8)
    soft = (255 * np.exp(-(np.hypot(rows - 13.5, cols - 13.5) - 8) ** 2 / 4)).astype(np.uint8)
    return {"noise": noise, "stroke": stroke, "white": white, "ring": ring,
            "faint ring": (ring * 0.35).astype(np.uint8), "soft ring": soft, "dark ring": (ring > 0).astype(np.uint8),
            "sparse noise": _sparse_noise(_BOUNDARY_NOISE_SEED), "rounded noise": _sparse_noise(_ROUNDING_NOISE_SEED),
            # radius 6 around (13.5, 8): the check's model gives it class 9 (0.17 above the next log probability), and
            # class 2 to the mean of its predictions for it and for its mirror image, which no catalogued mistake gives
            "left ring": np.where(np.abs(np.hypot(rows - 13.5, cols - 8) - 6) < 1.5, 255, 0).astype(np.uint8),
            # radius 6 around (8, 13.5): class 7 (0.22 above the next log probability), and class 5 upside down (0.04
            # above), which no catalogued mistake gives; every image before it is symmetric top to bottom or keeps its
            # class upside down, so image[::-1] passed them all and was named "scaled by 256" at the boundary noise
            "upper ring": np.where(np.abs(np.hypot(rows - 8, cols - 13.5) - 6) < 1.5, 255, 0).astype(np.uint8)}


def _restart_dropout(model):
    """Put the model's Dropout seed back at its start: its state moves on with every call in training mode, so
    without this an answer that predicts in training mode would get other random classes when run again on the same
    case, and its catalogued mistake, run again to name it, would not give the same outcome."""
    for variable in model.variables:
        if variable.path.endswith("seed_generator_state"):
            variable.assign(np.array([_PREDICT_WEIGHTS_SEED, 0], dtype=variable.dtype))


def _sparse_noise(seed):
    """Random pixels 0..255, each kept with a probability drawn between 0.05 and 1 (the others 0)."""
    rng = np.random.default_rng(seed)
    density = rng.uniform(0.05, 1)
    return (rng.integers(0, 256, size=(28, 28)) * (rng.random((28, 28)) < density)).astype(np.uint8)


# chosen among 100,000 seeds so that the check's model gives this image class 6 when divided by 255 and class 7 when
# divided by 256 (or multiplied by 0.0039), with the largest margin found (1.8e-3 between the two top log
# probabilities on each side, far above float32 rounding): only a few images in a thousand lie that close to a
# class boundary, so every other case let /256 pass
_BOUNDARY_NOISE_SEED = 86796

# chosen among 300,000 seeds so that the check's model changes this image's class (2.5e-4 between the two top log
# probabilities, far above float32 rounding) when the scaled pixels are rounded: to float16 (image.astype("float16")
# / 255, or (image / 255).astype("float16"), about 3 significant digits) or to 2 decimals (np.round(image / 255, 2))
_ROUNDING_NOISE_SEED = 122814


def _predict_cases():
    images = _predict_images()
    return [
        Case((images["noise"],), label="a 28x28 uint8 image of noise"),
        Case((images["stroke"][..., None],), label="a 28x28x1 image (a stroke)"),
        Case((images["white"],), label="an all-white image (large pixel values)"),
        Case((images["ring"],), label="a ring"),
        Case((images["faint ring"],), label="a faint ring (pixels 0..87)"),
        Case((images["soft ring"],), label="a ring with soft edges (grey levels)"),
        Case((images["ring"][None, ..., None],), label="a batch of one image, shape (1, 28, 28, 1)", raises=ValueError),
        Case((images["noise"][:20, :20],), label="a 20x20 image", raises=ValueError),
        Case((images["ring"].reshape(784),), label="a flat vector of 784 pixels", raises=ValueError),
        Case((images["ring"].reshape(14, 56),), label="a 14x56 image (784 pixels too)", raises=ValueError),
        Case((images["dark ring"],), label="a very dark ring (pixels 0 and 1: raw values, still to be scaled)"),
        Case((images["ring"].astype(np.int64),), label="a ring as int64 pixels 0..255 (np.array of Python ints)"),
        Case((np.repeat(images["ring"][..., None], 3, axis=2),), label="a 28x28x3 (RGB) image", raises=ValueError),
        Case((images["ring"][None],), label="a batch of one image without a channel axis, shape (1, 28, 28)",
             raises=ValueError),
        Case((images["ring"][..., None, None],), label="a 28x28x1x1 image (two unit axes)", raises=ValueError),
        Case((np.asfortranarray(images["noise"]),), label="noise stored column by column (Fortran order, as "
             "np.asfortranarray or a transpose leaves it)"),
        Case((images["left ring"],), label="a ring left of the centre (not symmetric left to right: averaging the "
             "predictions for the image and its mirror image changes its class)"),
        Case((images["upper ring"],), label="a ring above the centre (not symmetric top to bottom: turned upside "
             "down, as image[::-1] or np.flipud leaves it, it gets another class)"),
        Case((images["sparse noise"],), label="sparse noise near a class boundary (its class changes when the pixels "
             "are divided by 256 instead of 255)"),
        Case((images["rounded noise"],), label="sparse noise near another class boundary (its class changes when the "
             "scaled pixels are rounded, to float16 or to 2 decimals)"),
        Case((images["soft ring"],), {"n_classes": 5}, label="a model with 5 classes, not 10 (as the lesson's pretrained "
             "model of section 4), and a ring with soft edges"),
    ]


def _predict_run(answer, case):
    """Run the answer on the case; for the case marked ``weights_changed``, with the check's model changed for the
    run: its last bias raised for one class (undone afterwards)."""
    if not case.kwargs.get("weights_changed"):
        return _predict_run_on(answer, case)
    dense = _predict_model(10).layers[-1]
    kernel, bias = dense.get_weights()
    raised = bias.copy()
    raised[_CHANGED_CLASS] += 100.0  # far above every other output: the changed model gives this class to any image
    dense.set_weights([kernel, raised])
    try:
        return _predict_run_on(answer, case)
    finally:
        dense.set_weights([kernel, bias])


# the class the changed model of the last case gives every image; the ring's class is 2 with the check's own weights
_CHANGED_CLASS = 4


def _predict_run_on(answer, case):
    """Call the answer (model and image by keyword when the case gives the image by keyword); the image it was given
    must come back unchanged (shape and pixels)."""
    by_keyword = "image" in case.kwargs
    image, model = case.kwargs["image"] if by_keyword else case.args[0], _predict_model(case.kwargs.get("n_classes", 10))
    if by_keyword:
        _check_names(answer, "predict_one_image", ("model", "image"))
    _restart_dropout(model)
    before, model_before, settings = np.array(image), _model_state(model), _keras_settings()
    writeable = image.flags.writeable if isinstance(image, np.ndarray) else None
    generators = _global_generators()  # taken after _predict_model(): building a model draws Keras' default seeds
    try:
        result = answer(model=model, image=image) if by_keyword else answer(model, image)
    finally:
        changed, state = _restore_keras_settings(settings), _model_state(model)
        reseeded = _restore_global_generators(generators)
        if not _same_model_state(state, model_before):
            _predict_model.cache_clear()  # the next run gets a fresh model, even after an answer that raised
    if image.shape != before.shape or not np.array_equal(image, before):
        raise Mismatch(t("predict_one_image changed the image it was given (its shape or its pixels): the caller's "
                         "image must stay as it was"))
    if isinstance(image, np.ndarray) and image.flags.writeable != writeable:
        raise Mismatch(t("predict_one_image made the caller's image read-only (image.flags.writeable = False, or "
                         "setflags(write=False)): the caller can no longer change its own array. Leave it as it was"))
    if not _same_model_state(state, model_before):
        if _only_dropout_changed(state, model_before):
            raise Mismatch(t("predict_one_image changed the rate of the model's Dropout layer: predict() already "
                             "runs without dropout, and the caller's model would now train without it"))
        raise Mismatch(t("predict_one_image changed the model it was given (its weights, an activation, what is "
                         "trainable or its compile settings): only call predict on it and leave it as it was"))
    if reseeded:
        raise Mismatch(t("predict_one_image reseeded or drew from the global random generators (np.random, random, "
                         "tf.random.set_seed; keras.utils.set_random_seed sets all three): every later random draw of "
                         "the notebook would start again from that seed. predict() is not random (no dropout at "
                         "prediction), so it needs no seed"))
    if changed == "logging":
        raise Mismatch(t("predict_one_image switched Keras' progress output off for the rest of the notebook "
                         "(keras.utils.disable_interactive_logging): fit() would no longer show its epochs. Pass "
                         "verbose=0 to predict instead"))
    if changed == "eager":
        raise Mismatch(t(_EAGER_CHANGED, name="predict_one_image"))
    if changed == "training limit":
        raise Mismatch(t(_TRAINING_LIMIT_CHANGED, name="predict_one_image"))
    if changed == "tf config":
        raise Mismatch(t(_TF_CONFIG_CHANGED, name="predict_one_image"))
    if changed == "switches":
        raise Mismatch(t(_KERAS_SWITCHES_CHANGED, name="predict_one_image"))
    if changed:
        raise Mismatch(t(_KERAS_SETTINGS_CHANGED, name="predict_one_image"))
    if result is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if not isinstance(result, (int, np.integer)):
        shape = f" of shape {np.shape(result)}" if np.ndim(result) else f" {result!r}"
        raise Mismatch(t("predict_one_image must return the class as an int, got a {kind}{shape}",
                         kind=type(result).__name__, shape=shape))
    again = [_call_again(answer, model, image, by_keyword) for _ in range(_PREDICT_REPEATS)]
    if any(int(other) != int(result) for other in again):
        raise Mismatch(t("predict_one_image gave the same image different classes when called again: the model "
                         "ran in training mode, with dropout switching random units off, as model(batch, "
                         "training=True) does. Predict with model.predict(batch, verbose=0) (or training=False)"))
    return int(result)


# calls after the first, on each image: an answer that predicts in training mode (dropout active) gives the check
# model's images random classes, and the first case where it is wrong must not name a scaling mistake that happens
# to give the same class. The dropout seed starts from the same state on each case (_restart_dropout), so the masks,
# and the classes, are the same each time the check runs: with 3 calls the first image already gets two classes
_PREDICT_REPEATS = 2


def _call_again(answer, model, image, by_keyword):
    """The answer's class for the same image once more, with the random generators and Keras' settings guarded as for
    the first call (which left them, the image and the model as they were)."""
    settings, generators = _keras_settings(), _global_generators()
    try:
        result = answer(model=model, image=image) if by_keyword else answer(model, image)
    finally:
        _restore_keras_settings(settings)
        _restore_global_generators(generators)
    return result if isinstance(result, (int, np.integer)) else -1


def _global_generators():
    """The caller's states of numpy's and Python's global random generators (which keras.utils.set_random_seed
    reseeds), and the states they are set to for the answer: seeded, then one number drawn, a state that no seed()
    call leaves, so that a reseed shows even with the seed the caller's generators last had; and TensorFlow's global
    seed (tf.random.set_seed, which keras.utils.set_random_seed calls too), left as it is: a new call shows anyway."""
    import random

    caller = np.random.get_state(), random.getstate(), _tf_seed_state()
    np.random.seed(_GENERATORS_SEED)
    np.random.random()
    random.seed(_GENERATORS_SEED)
    random.random()
    return caller, (np.random.get_state(), random.getstate(), caller[2])


_GENERATORS_SEED = 20260


def _restore_global_generators(states):
    """Put the caller's numpy and Python global random generators back; say whether the answer changed either."""
    import random

    (caller_numpy, caller_python, caller_tf), (numpy_state, python_state, tf_state) = states
    numpy_now, python_now = np.random.get_state(), random.getstate()
    changed = python_now != python_state or not same_numpy_state(numpy_now, numpy_state) or not _same_tf_seed_state(
        tf_state, _tf_seed_state())
    np.random.set_state(caller_numpy)
    random.setstate(caller_python)
    _set_tf_seed_state(caller_tf)
    return changed


def _check_names(answer, name, names):
    """A Mismatch unless ``answer`` (the exercise ``name``) takes the parameters ``names`` by keyword."""
    import inspect

    try:
        signature = inspect.signature(answer)
    except (TypeError, ValueError):  # not a Python function: the call itself will tell
        return
    try:
        signature.bind(**dict.fromkeys(names))
    except TypeError:
        raise Mismatch(t("{name} cannot be called with {keywords} by keyword: keep the parameter names of the "
                         "signature {name}({names})", name=name, keywords=", ".join(f"{n}=..." for n in names),
                         names=", ".join(names))) from None


def _model_state(model):
    """What an answer could change in the caller's model: weights, trainable flags, activations, compile state (and
    run_eagerly, which compile() also sets: model.run_eagerly = True makes every later fit() run op by op)."""
    layers = tuple((type(layer).__name__, layer.trainable, getattr(layer, "activation", None), layer.get_config())
                   for layer in model.layers)  # the config has what else a layer is set to: a Dropout's rate
    return [np.array(w) for w in model.get_weights()], (model.trainable, layers, getattr(model, "compiled", False),
                                                        getattr(model, "run_eagerly", False))


def _same_model_state(state, before):
    (weights, settings), (weights_before, settings_before) = state, before
    return settings == settings_before and len(weights) == len(weights_before) and all(
        w.shape == v.shape and np.array_equal(w, v) for w, v in zip(weights, weights_before))


def _only_dropout_changed(state, before):
    """Whether the weights and every layer but the Dropout ones are as before."""
    def others(state):
        weights, (trainable, layers, *compiled) = state
        return weights, (trainable, tuple(layer for layer in layers if layer[0] != "Dropout"), *compiled)
    return _same_model_state(others(state), others(before))


# ----------------------------------------------------------------------------- generated cases
# The hand-picked cases above show the edge cases; the drawn ones (fixed seeds, appended after them so that the
# graded release's public first half stays hand-picked) vary what the hand-picked ones share by accident: sizes,
# dtypes, kernels wider than 3, strides and paddings, how the arguments are passed, class counts.
def _draw_conv(rng):
    """A 2-D image (1 to 10 pixels a side) and a kernel of 1 to 7 a side, at most as large as the image (sometimes
    larger by a row or column: ValueError); float64, whole-number or uint8 images with float or int kernels (never
    both whole numbers: the output's dtype would then be a matter of taste), some given as strided or Fortran-order
    views, like the notebook's ``rgb[0, :, :, c]``."""
    h, w = draw_shape(rng, 2, 1, 10)
    kh, kw = int(rng.integers(1, min(h, 7) + 1)), int(rng.integers(1, min(w, 7) + 1))
    raises = None
    if rng.random() < 0.15:
        raises = ValueError
        if rng.random() < 0.5:
            kh = h + int(rng.integers(1, 3))
        else:
            kw = w + int(rng.integers(1, 3))
    kinds = str(rng.choice(["float64/float64", "float64/int", "uint8/float64", "int/float64"])).split("/")
    if kinds[0] == "uint8":
        image = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
    elif kinds[0] == "int":
        image = rng.integers(-50, 51, size=(h, w))
    else:
        image = draw_floats(rng, (h, w))
    kernel = rng.integers(-3, 4, size=(kh, kw)) if kinds[1] == "int" else draw_floats(rng, (kh, kw))
    layout = rng.integers(0, 3)
    if layout == 1:  # every other element of a larger array (a strided view, which the engine's copy of a case
        # keeps since round 35, r356 E2)
        image = np.repeat(image, 2, axis=1)[:, ::2]
    elif layout == 2:
        image = np.asfortranarray(image)
    return Case((image, kernel), raises=raises)


def _conv_cases_with_drawn():
    # seed 112 draws uint8, whole-number and float images, int and float kernels, kernels 1 and 7 wide, a kernel as
    # tall or wide as the image, Fortran-order and strided images, one kernel too large
    return [*_conv_cases(), *generated(_draw_conv, count=8, seed=112), *_conv_cases_in_small_integers(),
            Case((_image_with_an_inf_pixel(), np.array([[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]])),
                 label="an inf pixel under the vertical-edge kernel: where it lies under a 0 weight, 0 * inf is NaN "
                 "and so is the window's sum; under 1 or -1 it gives inf or -inf"),
            # every other image is at most 28x28 and every other kernel at most 7 wide: an answer that refused larger
            # ones passed
            Case((np.random.default_rng(20).normal(size=(64, 45)), np.random.default_rng(21).normal(size=(15, 12))),
                 label="a 64x45 image and a 15x12 kernel (larger than any other case's)"),
            # round 31 (r316 F1): no case passed float32 inputs, which the notebook passes (x_test's digit, Keras'
            # weights in the channels cell), so an answer that made its floats with image * 1.0 (float32 stays
            # float32) or converted integer inputs only summed float32 products and passed
            Case(_float32_image_and_kernel(), label="a float32 image and a float32 5x4 kernel, as the notebook passes "
                 "them (x_test's pixels, Keras' weights): the sums in float64, not float32"),
            # round 35 (r356 F1): every kernel was a row-by-row (C-order) float64 array or an integer one, which
            # np.asarray(kernel, dtype=float) copies into a new one, so an answer that read the kernel's numbers in
            # memory order (as_strided with strides computed from its shape) passed
            Case(_image_and_transposed_kernel(), label="a float64 3x4 kernel given as the transpose of a 4x3 array "
                 "(kernel.T, column by column in memory, like a view such as the notebook's weights[:, :, c, f]): "
                 "np.asarray(kernel, dtype=float) keeps its layout")]


def _image_and_transposed_kernel():
    """A 7x8 image and a 3x4 float64 kernel made as the transpose of a 4x3 array: Fortran order, a layout the check's
    copy of a case keeps, as it keeps a strided view."""
    rng = np.random.default_rng(23)
    return rng.normal(size=(7, 8)), rng.normal(size=(4, 3)).T


def _float32_image_and_kernel():
    """A 9x8 float32 image and a 5x4 float32 kernel: their 20 products summed in float32 differ from the float64 sums
    by about 1e-7 of their size, far beyond the check's 1e-9."""
    rng = np.random.default_rng(22)
    return rng.random((9, 8)).astype(np.float32), rng.normal(size=(5, 4)).astype(np.float32)


def _image_with_an_inf_pixel():
    """A 5x5 float image with inf in its centre, which every 3x3 window covers: the other non-finite case's kernel
    has no 0 weight, so an answer that skipped the kernel's zeros (a product it need not compute) passed, with finite
    sums where 0 * inf is NaN."""
    image = np.random.default_rng(19).normal(size=(5, 5))
    image[2, 2] = np.inf
    return image


def _conv_cases_in_small_integers():
    """Whole-number pixels and weights in a dtype whose products overflow (after the drawn cases, so that the drawn
    ones still name the mistakes they always named): raw uint8 pixels under a uint8 blur kernel, where 255 * 4 does
    not fit into a uint8, and 16-bit pixels, which an int16 does not hold; the map counts the true sums (any
    whole-number or float dtype). Then the first case's sizes again with other weights: no other two cases share
    their sizes, so a map remembered by the sizes of its inputs passed. Then a 1x1 kernel (no other case has one, so
    an answer that refused it passed) and whole numbers beyond 32 bits (integer pixels cast to int32 or float32
    passed)."""
    image = np.random.default_rng(15).integers(0, 256, size=(6, 7), dtype=np.uint8)
    image[1:4, 2:5] = 255  # a white patch: the window on it sums to 255 * 16
    blur = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.uint8)
    deep = np.random.default_rng(16).integers(0, 65536, size=(5, 6), dtype=np.uint16)
    return [Case((image, blur), label="a uint8 image under a uint8 blur kernel [[1, 2, 1], [2, 4, 2], [1, 2, 1]] "
                 "(products such as 255 * 4 do not fit into a uint8)"),
            Case((deep, np.array([[1, -1], [2, 0]])), label="a 16-bit image (uint16 pixels up to 65,535, as raw camera "
                 "and medical images store them) and an integer kernel"),
            Case((_first_image(), np.array([[1.0, 1, 1], [0, 0, 0], [-1, -1, -1]])),
                 label="the first case's 5x5 image with a horizontal-edge kernel (the same sizes, other weights)"),
            Case((np.random.default_rng(18).normal(size=(4, 5)), np.array([[2.5]])),
                 label="a 1x1 kernel (it fits everywhere: the map is the image times its one weight)"),
            Case((_wide_integer_image(), np.array([[2, -1], [0, 1]])),
                 label="an int64 image of whole numbers up to +-3e9 (32-bit sensor counts): beyond what an int32 "
                 "holds (2**31) and what a float32 holds exactly (2**24), and an integer kernel")]


def _wide_integer_image():
    """A 5x6 int64 image of whole numbers up to +-3e9: integer pixels cast to int32 wrap round, cast to float32 they
    round to 256s; every other integer image of the check fits into 16 bits, so both casts passed."""
    return np.random.default_rng(17).integers(-3_000_000_000, 3_000_000_000, size=(5, 6))


def _draw_size(rng):
    """n from 1 to 64, a padding of 0 to 5, a stride of 1 to 6 (often above the kernel), a kernel of 1 to 11 that
    fits (sometimes one that does not: ValueError); arguments by position, by keyword or both, defaults sometimes
    left out."""
    n = int(rng.integers(1, 65))
    padding = 0 if rng.random() < 0.35 else int(rng.integers(1, 6))
    stride = 1 if rng.random() < 0.3 else int(rng.integers(2, 7))
    raises = None
    if rng.random() < 0.15:
        kernel, raises = n + 2 * padding + int(rng.integers(1, 4)), ValueError
    else:
        kernel = int(rng.integers(1, min(n + 2 * padding, 11) + 1))
    args, kwargs = draw_call(rng, ("n", "kernel", "padding", "stride"), (n, kernel, padding, stride),
                              {"padding": 0, "stride": 1})
    return Case(args, kwargs, raises=raises)


def _draw_size_below_range(rng):
    """A padding below 0 or a stride below 1 other than the hand-picked -1 and 0 (ValueError), the other arguments
    valid; by position, by keyword or both."""
    n, padding, stride = int(rng.integers(1, 65)), int(rng.integers(0, 6)), int(rng.integers(1, 7))
    if rng.random() < 0.5:
        padding = int(rng.integers(-6, -1))
    else:
        stride = int(rng.integers(-6, -1))
    kernel = int(rng.integers(1, min(n, 11) + 1))
    args, kwargs = draw_call(rng, ("n", "kernel", "padding", "stride"), (n, kernel, padding, stride))
    return Case(args, kwargs, raises=ValueError)


def _draw_wrong_type(names, values, kind):
    """``values`` with the argument ``kind[0]`` replaced by True (1, a valid value: False would also be below the
    range, which an answer may check first), by the same value as a float or as a numpy float32 (``kind[1]``: not a
    subclass of float, so rejecting only bools and floats lets it through); TypeError."""
    name, type_ = kind
    values = list(values)
    index = names.index(name)
    values[index] = (True if type_ == "bool" else np.float32(values[index]) if type_ == "numpy float"
                     else float(values[index]))
    return values


_SIZE_NAMES = ("n", "kernel", "padding", "stride")


def _draw_size_wrong_type(rng, kind):
    """A bool or a float in one argument where no hand-picked case has one (a bool kernel or stride, a float
    padding), the others valid; by position, by keyword or both (TypeError)."""
    n = int(rng.integers(1, 65))
    values = (n, int(rng.integers(1, min(n, 11) + 1)), int(rng.integers(0, 6)), int(rng.integers(1, 7)))
    args, kwargs = draw_call(rng, _SIZE_NAMES, _draw_wrong_type(_SIZE_NAMES, values, kind))
    return Case(args, kwargs, raises=TypeError)


def _draw_size_one_position(rng, kind):
    """A stride larger than what is left after the first window (``kind`` "past the last window") or even larger than
    the padded image ("beyond the image"): one position, not an error; n of 1 to 12, padding 0 to 3, any call style."""
    n, padding = int(rng.integers(1, 13)), int(rng.integers(0, 4))
    kernel = int(rng.integers(1, min(n + 2 * padding, 11) + 1))
    low = n + 2 * padding - kernel + 1 if kind == "past the last window" else n + 2 * padding + 1
    stride = int(rng.integers(low, low + 6))
    args, kwargs = draw_call(rng, _SIZE_NAMES, (n, kernel, padding, stride), {"padding": 0, "stride": 1})
    return Case(args, kwargs)


def _draw_size_wide_padding(rng):
    """A padding as wide as the image or wider (n of 1 to 8, padding n to n + 4, e.g. a 'same' padding on a tiny
    image): valid, not an error; any kernel that fits, a stride of 1 to 6, any call style."""
    n = int(rng.integers(1, 9))
    padding = n + int(rng.integers(0, 5))
    kernel, stride = int(rng.integers(1, min(n + 2 * padding, 11) + 1)), int(rng.integers(1, 7))
    args, kwargs = draw_call(rng, _SIZE_NAMES, (n, kernel, padding, stride), {"padding": 0, "stride": 1})
    return Case(args, kwargs)


def _size_cases_with_drawn():
    # seed 5 draws a stride of -2 and a padding of -4
    return [*_size_cases(), *generated(_draw_size, count=8, seed=52),
            *generated(_draw_size_below_range, count=2, seed=5),
            *generated(in_turn(_draw_size_wrong_type, (("kernel", "bool"), ("stride", "bool"), ("padding", "float"),
                                                        ("n", "numpy float"))), count=4, seed=6),
            *generated(in_turn(_draw_size_one_position, ("past the last window", "beyond the image")), count=2,
                       seed=7),
            *generated(_draw_size_wide_padding, count=2, seed=8), *_size_cases_below_one(), *_size_cases_beyond(),
            # every other case has kernels up to 11 and paddings up to 12: an answer that refused larger ones passed
            Case((1000, 201, 100), label="a 201-wide kernel with padding 100 on 1000 pixels ('same' for a very wide "
                 "kernel): 1000 positions"),
            Case((28, 3, "same"), label="padding='same', Keras' word in Conv2D(padding=...), not a number of pixels",
                 raises=TypeError),
            # the other kernels wider than n + padding + 1 had a padding of 1: a fit check that counted both paddings
            # as one pixel more passed
            Case((2, 6, 2), label="a 6-wide kernel on 2 pixels padded by 2 on each side (6 pixels): one position"),
            # round 30 (r306 F1): no case passed a numpy integer, so an answer that took them as ints but did its
            # arithmetic on them as they came passed; in 8 bits 200 + 2 * 100 wraps round to 144
            Case(tuple(np.uint8(value) for value in (200, 5, 100, 1)), label="sizes given as numpy uint8 scalars "
                 "(n=200, kernel=5, padding=100, stride=1): converted to ints they give 396; a TypeError passes too"),
            # round 33 (r336 F1): every other case's padded width fits into 64 bits, so an answer that made its sizes
            # numpy int64 (np.int64(n), to keep uint8 sizes from wrapping round) passed; here 2 * padding wraps round
            # to -2 in 64 bits, and such an answer counts 3 positions
            Case((2 ** 62 + 8, 3, 2 ** 63 - 1, 2 ** 61), label="n = 2**62 + 8, padding 2**63 - 1, stride 2**61: the "
                 "padded width, about 1.25 * 2**64, is beyond what a 64-bit integer holds (2**63 - 1), not beyond a "
                 "Python int: 11 positions"),
            # round 39 (r399f H1): the only non-ints were floats, numpy floats, bools, a string and None, so a type
            # check that refused floats and bools, then int(...) as the uint8 case's message asks, passed while it
            # truncated 0-d float arrays
            Case((np.array(28.7), 3), label="n as a 0-d numpy array holding 28.7 (not a whole number)", raises=TypeError),
            Case((28, 3, 0, np.array(1.5)), label="a stride of 1.5, as a 0-d numpy array", raises=TypeError)]


def _size_cases_beyond():
    """Arguments that only look like sizes (None, TypeError) and a size beyond float64's whole numbers: n + 2p - k =
    9 * 2**50 - 1 with a stride of 2**50 gives 9 positions (the float quotient rounds up to 9.0, so floor(x / s) + 1
    gives 10; a while loop still runs only 9 times). Then n = 1, the smallest n allowed (no other case had it), and
    n + 2p - k + 1 = 9 * 2**50 + 1, 10 positions, where the float quotient rounds down to 9.0, so TensorFlow's
    ceil((n + 2p - k + 1) / s) gives 9."""
    return [Case((28, 3, None), label="a padding of None (not an int, though it reads like 'no padding')",
                 raises=TypeError),
            Case((28, 3), {"stride": None}, label="a stride of None (not an int, though it reads like 'the default')",
                 raises=TypeError),
            Case((9 * 2 ** 50 + 2, 3, 0, 2 ** 50), label="n = 9 * 2**50 + 2, stride 2**50: whole numbers beyond 2**53, "
                 "where a float division rounds (n + 2p - k) / s = 9 - 2**-50 up to 9.0"),
            Case((1, 1), label="a 1-pixel side and a 1-wide kernel: one position (n = 1 is not below 1)"),
            Case((9 * 2 ** 50 + 3, 3, 0, 2 ** 50), label="n = 9 * 2**50 + 3, stride 2**50: 10 positions, where a float "
                 "division rounds (n + 2p - k + 1) / s = 9 + 2**-50 down to 9.0 (so math.ceil of it gives 9)")]


def _draw_params(rng):
    """1 to 64 filters in each convolution (either may be larger), 1 to 100 classes (often 10 or 2), kernels of 1
    to 7, images of kernel to 64 pixels (too small ones: ValueError); arguments by position, by keyword or both."""
    filters1, filters2 = (int(f) for f in rng.integers(1, 65, size=2))
    n_classes = int(rng.choice([10, 2, *rng.integers(1, 101, size=3)]))  # 2 classes: two outputs, not one
    kernel = 3 if rng.random() < 0.3 else int(rng.integers(1, 8))
    size = 28 if rng.random() < 0.3 else int(rng.integers(kernel, 65))
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    args, kwargs = draw_call(rng, ("filters1", "filters2", "n_classes", "size", "kernel"),
                              (filters1, filters2, n_classes, size, kernel), {"n_classes": 10, "size": 28, "kernel": 3})
    return Case(args, kwargs, raises=ValueError if side < 1 else None)


def _draw_params_below_one(rng):
    """One of filters1, filters2, n_classes and kernel negative (ValueError; the hand-picked cases below 1 are all 0),
    the others valid; by position, by keyword or both."""
    values = [int(rng.integers(1, 65)), int(rng.integers(1, 65)), int(rng.integers(1, 101)), 28, 3]
    values[int(rng.choice([0, 1, 2, 4]))] = -int(rng.integers(1, 65))
    args, kwargs = draw_call(rng, ("filters1", "filters2", "n_classes", "size", "kernel"), tuple(values),
                              {"n_classes": 10, "size": 28, "kernel": 3})
    return Case(args, kwargs, raises=ValueError)


_PARAM_NAMES = ("filters1", "filters2", "n_classes", "size", "kernel")
_PARAM_WRONG_TYPES = (("filters1", "bool"), ("filters2", "bool"), ("filters2", "float"), ("n_classes", "float"),
                      ("kernel", "float"), ("size", "numpy float"))  # those no hand-picked case has (a size of True
# is also too small)


def _draw_params_wrong_type(rng, kind):
    """A bool or a float in one argument where no hand-picked case has one, the others valid; by position, by
    keyword or both (TypeError)."""
    values = (int(rng.integers(1, 65)), int(rng.integers(1, 65)), int(rng.integers(1, 101)), 28, 3)
    args, kwargs = draw_call(rng, _PARAM_NAMES, _draw_wrong_type(_PARAM_NAMES, values, kind))
    return Case(args, kwargs, raises=TypeError)


def _param_cases_with_drawn():
    # seed 57 draws 2 classes, even and 7x7 kernels, odd sizes and sizes above 32, filters1 > filters2, filters1 by
    # keyword, defaults left out, one image too small; seed 3 a negative filters1 and negative n_classes
    return [*_param_cases(), *generated(_draw_params, count=8, seed=57),
            *generated(_draw_params_below_one, count=2, seed=3),
            *generated(in_turn(_draw_params_wrong_type, _PARAM_WRONG_TYPES), count=len(_PARAM_WRONG_TYPES), seed=4),
            Case((16, 32), {"n_classes": None}, label="n_classes=None (not an int, though it reads like 'the default')",
                 raises=TypeError),
            *_param_cases_beyond()]


def _param_cases_beyond():
    """One class and 1x1 kernels, the smallest values allowed (no other case has them, so an answer that rejected
    them passed); then counts and sizes beyond what 32-bit integers and floats hold (every other count is below
    2**24): sums kept in int32, uint32 or float32 passed, and so did halving with / and int() (a float), which rounds
    beyond 2**53 (the count of that case, beyond 2**63, also shows terms kept in int64)."""
    return [Case((16, 32), {"n_classes": 1}, label="one class (n_classes=1 is not below 1: a Dense layer of one unit)"),
            Case((8, 16), {"kernel": 1}, label="1x1 kernels (as GoogLeNet uses them): 28 -> 28 -> 14 -> 14 -> 7"),
            Case((64, 512), {"n_classes": 1000, "size": 1024},
                 label="1024x1024 images, 64 and 512 filters, 1000 classes: 33,032,489,064 parameters, beyond 2**32"),
            Case((2, 3), {"n_classes": 4, "size": 2 ** 54 + 7, "kernel": 2},
                 label="a side of 2**54 + 7 pixels: whole numbers beyond 2**53, which a float division such as (size "
                 "- kernel + 1) / 2 rounds, and a count beyond 2**63, where an int64 wraps round"),
            # every other case has kernels up to 7, filters up to 512 and up to 1000 classes: an answer that refused
            # anything larger (kernel > 11, filters > 1024, n_classes > 1000) passed
            Case((96, 2048), {"n_classes": 21_843, "size": 224, "kernel": 13},
                 label="224x224 images, 13x13 kernels, 96 and 2048 filters, 21,843 classes (ImageNet-21k): "
                 "224 -> 212 -> 106 -> 94 -> 47")]


def _draw_accuracy(rng):
    """1 to 60 examples, 2 to 24 classes, softmax rows in float32 (what ``predict`` returns) or float64, labels as
    int64, int32 or uint8 (what Keras' data sets store), any fraction of them right, the maximum anywhere; by
    position, by keyword (y_true=..., probabilities=...) or both."""
    n, k = int(rng.integers(1, 61)), int(rng.integers(2, 25))
    logits = draw_floats(rng, (n, k))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs = probs.astype(str(rng.choice(["float32", "float64"])))
    predicted = np.argmax(probs, axis=1)
    other = (predicted + rng.integers(1, k, size=n)) % k
    y_true = np.where(rng.random(n) < rng.random(), predicted, other)
    y_true = y_true.astype(str(rng.choice(["int64", "int32", "uint8"])))
    return Case(*draw_call(rng, ("y_true", "probabilities"), (y_true, probs)))


def _draw_accuracy_lengths(rng, kind):
    """One row of probabilities and 2 to 60 labels, or 2 to 60 rows and one label: lengths that differ but broadcast
    without an error (ValueError); softmax rows in float32 or float64, int64 labels."""
    n = int(rng.integers(2, 61))
    rows, labels = (1, n) if kind == "one row" else (n, 1)
    k = int(rng.integers(2, 25))
    logits = draw_floats(rng, (rows, k))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(str(rng.choice(["float32", "float64"])))
    return Case((rng.integers(0, k, size=labels), probs), raises=ValueError)


def _draw_accuracy_one_hot(rng):
    """One-hot labels (n, k), as keras.utils.to_categorical makes them (float32) or as ints, with 2 to 60 rows of 2 to
    24 classes: labels that are not 1-D (ValueError), though their argmax would be the class."""
    n, k = int(rng.integers(2, 61)), int(rng.integers(2, 25))
    logits = draw_floats(rng, (n, k))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    labels = np.eye(k, dtype=str(rng.choice(["float32", "int64"])))[rng.integers(0, k, size=n)]
    return Case((labels, probs), raises=ValueError)


def _draw_accuracy_unit_axis(rng, kind):
    """2 to 60 softmax rows of 2 to 24 classes and as many int64 labels, one of them with an extra axis of size 1
    (``kind``): probabilities (1, n, k) or (n, 1, k), or labels as a row (1, n). Not 2-D or not 1-D: ValueError, though
    reshaping to (n, k) or taking row 0 would give n predictions for n labels."""
    n, k = int(rng.integers(2, 61)), int(rng.integers(2, 25))
    logits = draw_floats(rng, (n, k))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(str(rng.choice(["float32", "float64"])))
    labels = rng.integers(0, k, size=n)
    if kind == "labels (1, n)":
        labels = labels[None]
    else:
        probs = probs[None] if kind == "probabilities (1, n, k)" else probs[:, None]
    return Case(*draw_call(rng, ("y_true", "probabilities"), (labels, probs)), raises=ValueError)


def _accuracy_cases_with_drawn():
    return [*_accuracy_cases(), *generated(_draw_accuracy, count=6, seed=54),
            *generated(in_turn(_draw_accuracy_lengths, ("one row", "one label")), count=2, seed=55),
            *generated(_draw_accuracy_one_hot, count=2, seed=56),
            *generated(in_turn(_draw_accuracy_unit_axis, ("probabilities (1, n, k)", "probabilities (n, 1, k)",
                                                          "labels (1, n)")), count=3, seed=58),
            *_accuracy_cases_with_many_classes(),
            # the only 1-D case had 3 labels for 3 values, so an answer that made them one row failed on the length
            Case((np.array([2]), np.array([0.1, 0.2, 0.7])), label="one label and 1-D probabilities (3,): one row's "
                 "values without the row axis", raises=ValueError),
            Case((np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]), np.array([1, 0])), label="the arguments in the other "
                 "order: probabilities (2, 3) first, the 2 labels second", raises=ValueError),
            # no two cases had the same labels, or the same shapes and dtypes: an accuracy kept from an earlier call
            # by either passed
            Case((np.array([0, 1, 2]), np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.4, 0.5]])),
                 label="three of three right: the labels and shapes of the case 'two of three right', other "
                 "probabilities (an accuracy kept from an earlier call with the same labels gives 2/3)"),
            # round 39 (r399g H1): the tied rows held their tie where np.argsort(-p)[:, 0] and np.argpartition(-p, 0)
            # also pick the first column, so both passed though they can pick a later tied one
            Case((np.array([2, 2]), np.array([[0.125, 0.125, 0.25, 0.25], [0.1, 0.2, 0.35, 0.35]])),
                 label="ties between the last two columns: the first of them (2) is the predicted class"),
            # round 39 (second read, s2 H1): the 4-column ties caught np.argsort only where numpy sorts with AVX2;
            # 17 columns tied at 9 and 10 catch it with or without (a sort's order of equal values is not defined)
            Case((np.array([9]), np.where(np.isin(np.arange(17), (9, 10)), 0.5, np.linspace(0.02, 0.01, 17))[None]),
                 label="17 classes, tied between classes 9 and 10: class 9 is the predicted one")]


def _rows_predicting(classes, n_classes, dtype):
    """Softmax-like rows (``dtype``) over ``n_classes`` columns whose largest value is at ``classes[i]`` in row i."""
    probabilities = np.full((len(classes), n_classes), 0.5 / (n_classes - 1), dtype=dtype)
    probabilities[np.arange(len(classes)), classes] = 0.5
    return probabilities


def _accuracy_cases_with_many_classes():
    """Class numbers beyond what a small integer type holds, and a near tie beyond float32's precision (after the
    drawn cases, so that those still name the mistakes they always named).

    Every other case has at most 24 classes, so predictions cast to the labels' dtype (uint8 labels, as Keras' data
    sets store them), labels cast to uint8, int8 or int16, or labels compared with np.isclose (equal within 1e-5 of
    their size) all passed; so did probabilities cast to float32, which ties two float64 values 2e-9 apart; and
    predictions cast to 16 bits, as the wide case's only right prediction was a small class.
    """
    wide = _rows_predicting([44, 44, 100_002, 7], 100_003, "float32")  # a vocabulary of 100,003 words
    near = np.array([[0.5 - 1e-9, 0.5 + 1e-9, 0.0], [0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    return [Case((np.array([300, 65_580, 100_001, 7]), wide),
                 label="100,003 classes (a word vocabulary), one of four right: labels 300 and 65,580 against the "
                 "predicted class 44 (both are 44 once cast to 8 or 16 bits), label 100,001 against 100,002"),
            Case((np.array([44, 3, 255], dtype=np.uint8), _rows_predicting([300, 3, 255], 301, "float32")),
                 label="uint8 labels (as Keras' data sets store them) and 301 classes: the predicted class 300 for "
                 "the label 44 (300 is 44 once cast to uint8)"),
            Case((np.array([70_000, 2, 5]), _rows_predicting([70_000, 2, 4], 70_001, "float32")),
                 label="70,001 classes, two of three right, the class 70,000 among them (predictions or labels cast "
                 "to 16 bits wrap it round to 4,464)"),
            Case((np.array([1, 2, 2]), near), label="two of three right, in float64: 0.5 - 1e-9 and 0.5 + 1e-9, "
                 "the second is the largest (float32 rounds both to 0.5, a tie)"),
            Case(_many_predictions(), label="70,000 predictions (all of MNIST), 68,000 right: a count beyond 65,535"),
            Case(_all_tied_rows(), label="60 rows of exactly [0.5, 0.5] (two classes, a network whose logits are all "
                 "equal), 45 labels 0 and 15 labels 1: every row predicts class 0, the first of the tied columns, so "
                 "the accuracy is 0.75 (a random pick among the tied columns, or p[:, 1] >= 0.5, gives another "
                 "number)")]


def _all_tied_rows():
    """60 float32 rows [0.5, 0.5] and labels 0 (45 of them) and 1 (15), interleaved: np.argmax takes column 0 on every
    row. The other tie case has only four tied rows, so an answer that picks one of the tied columns at random (a
    fair tie-break, which the exercise does not ask for) matched its count in about a third of its runs."""
    labels = np.where(np.arange(60) % 4 == 3, 1, 0)
    return labels, np.full((60, 2), 0.5, dtype="float32")


def _many_predictions():
    """70,000 labels and float32 rows over 10 classes, the first 68,000 predicted right: a count of the right ones
    kept in uint8, int16 or uint16 wraps round, in float16 it overflows (every other case has at most 1000 rows and
    counts below 256)."""
    predicted = np.arange(70_000) % 10
    labels = np.where(np.arange(70_000) < 68_000, predicted, (predicted + 1) % 10)
    return labels, _rows_predicting(predicted, 10, "float32")


def _accuracy_run(accuracy, case):
    """Call the answer (by keyword where the case says so: the parameter names must be the signature's); the labels
    and probabilities must come back unchanged, and the accuracy as a number (a float), not as an array or a Keras
    tensor."""
    if case.kwargs:
        _check_names(accuracy, "accuracy_from_probs", ("y_true", "probabilities"))
    inputs = [*case.args, *case.kwargs.values()]
    before = [np.array(value) for value in inputs]
    result = accuracy(*case.args, **case.kwargs)
    if not same_arrays(inputs, before):  # this run replaces the engine's call, so it makes the engine's check too
        raise input_changed()
    if result is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if isinstance(result, (bool, np.bool_)) or not isinstance(result, (int, float, np.integer, np.floating)):
        raise Mismatch(t("return the accuracy as a float (float(...) around it), got a {kind}",
                         kind=type(result).__name__))
    if sum(value.size for value in before) > 20_000:  # a second call on the large cases would only cost time
        return result
    again = accuracy(*case.args, **case.kwargs)  # a count kept between calls gives another number the second time
    if not (again == result or (again != again and result != result)):
        raise Mismatch(t("accuracy_from_probs gave {first} and, called again with the same input, {again}: it kept a "
                         "count between calls (a running total, or a Keras metric made once, whose update_state adds "
                         "every call's examples to the last ones'). Compute the accuracy from this call's inputs only",
                         first=repr(result), again=repr(again)))
    return result


# lesson 06's accuracy of logits (the same argmax against the labels, with the same shape checks), which a graded
# release keeps, watched once its module is loaded; round 20: lesson 02's accuracy and predict, which give the result
# for an identity network (W1 = np.eye(k))
# round 27 (r276 F1): and 00b's accuracy (bigpicture.accuracy, with its exercise's catalogued variants), which lesson 06
# refuses for its own accuracy: bigpicture.accuracy(y_true, np.argmax(probabilities, axis=1)) passed, its shape check
# doing exercise 5's label checks
_accuracy_run_refusing = refusing_course_versions(_accuracy_run, (*(
    f"{ref.__package__}.{name}" for name in ("torch_training:accuracy", "mlp:accuracy", "mlp:predict",
                                             "digit_models:accuracy_on")),
    f"{__package__}.welcome:_checked", *catalogued(welcome.EXERCISES["accuracy"])))   # (by name: a release empties it)


def _draw_build(rng):
    """1 to 24 filters in each convolution (either may be larger), 2 to 20 classes, a dropout rate of 0.05 to 0.9;
    arguments by position, by keyword or both."""
    filters1, filters2 = (int(f) for f in rng.integers(1, 25, size=2))
    n_classes, dropout = int(rng.integers(2, 21)), round(float(rng.uniform(0.05, 0.9)), 2)
    args, kwargs = draw_call(rng, ("filters1", "filters2", "n_classes", "dropout"),
                              (filters1, filters2, n_classes, dropout),
                              {"filters1": 16, "filters2": 32, "n_classes": 10, "dropout": 0.3})
    return Case(args, kwargs)


def _build_cases():
    return [Case(), Case((8, 16), {"n_classes": 3, "dropout": 0.5}, label="8 and 16 filters, 3 classes"),
            Case((0, 16), label="zero filters (Keras raises ValueError)", raises=ValueError),
            Case((4, 8, 2, 0.6), label="all four arguments by position: 4 and 8 filters, 2 classes, dropout 0.6"),
            *generated(_draw_build, count=2, seed=108),  # (1, 21, 20, dropout=.15); all by keyword, 21 > 6
            Case(label="the default arguments again (each call builds a new model, with new starting weights)")]


def _draw_predict(rng):
    """A raw 28x28 or 28x28x1 image of whole-number pixels 0..255 stored as float64 or float32 (the hand-picked images
    are uint8 or int64): a few soft strokes at random places, brightest pixel 60 to 255; model and image by position
    or, half of the time, both by keyword (predict_one_image(model=..., image=...))."""
    rows, cols = np.mgrid[:28, :28]
    image = np.zeros((28, 28))
    for _ in range(int(rng.integers(2, 5))):
        (r0, c0), (r1, c1) = rng.uniform(4, 24, size=(2, 2))
        dr, dc = r1 - r0, c1 - c0
        along = np.clip(((rows - r0) * dr + (cols - c0) * dc) / (dr ** 2 + dc ** 2 + 1e-9), 0, 1)  # nearest point
        image += np.exp(-((rows - r0 - along * dr) ** 2 + (cols - c0 - along * dc) ** 2) / 3)  # a soft stroke
    image = np.round(np.clip(image / image.max(), 0, 1) * rng.integers(60, 256))
    image = image.astype(str(rng.choice(["float64", "float32"])))
    u = rng.random()  # one number for both choices, so that the drawn images stay the ones the seed was chosen for
    image = image[..., None] if u < 0.5 else image
    return Case((), {"image": image}) if 4 * u % 1 < 0.5 else Case((image,))


# chosen so that both drawn images change class when left unscaled (a float image taken as already scaled, as
# tf.image.convert_image_dtype and skimage's img_as_float do), one a 28x28 float32, one a 28x28x1 float64 image, both
# passed by keyword (every hand-picked case passes them by position)
_PREDICT_DRAW_SEED = 99


def _draw_bad_shape(rng):
    """784 raw pixels (uint8) in a shape predict_one_image must refuse with ValueError: 28x28 with one or two axes of
    size 1 put anywhere (before, between or after the two 28s) except the one valid (28, 28, 1), or 784 split into two
    other sizes; the image by position or by keyword."""
    pixels = rng.integers(0, 256, size=784, dtype=np.uint8)
    if rng.random() < 0.75:
        shape = [28, 28]
        for _ in range(int(rng.integers(1, 3))):
            shape.insert(int(rng.integers(0, len(shape) + 1)), 1)
        shape = [28, 1, 28] if shape == [28, 28, 1] else shape
    else:
        rows = int(rng.choice([2, 4, 7, 8, 14, 16, 49, 56, 98, 112, 196, 392]))
        shape = [rows, 784 // rows]
    image = pixels.reshape(shape)
    return Case((), {"image": image}, raises=ValueError) if rng.random() < 0.5 else Case((image,), raises=ValueError)


def _draw_few_pixels(rng, kind):
    """Raw pixels (uint8) with fewer than 784 of them, in a shape predict_one_image must refuse with ValueError: one
    pixel as a 0-d array, one axis (a row of 28 pixels, or 1 to 60), or an axis of length 0 ((0, 28), (28, 0),
    (28, 28, 0) or (0, 28, 28)); the image by position or by keyword. An answer that reads image.shape[1] or len(image)
    before checking how many axes there are raises IndexError or TypeError here instead."""
    if kind == "0-d":
        image = np.array(rng.integers(0, 256), dtype=np.uint8)
    elif kind == "one axis":
        image = rng.integers(0, 256, size=28 if rng.random() < 0.5 else int(rng.integers(1, 61)), dtype=np.uint8)
    else:
        image = np.zeros([(28, 0), (0, 28), (28, 28, 0), (0, 28, 28)][int(rng.integers(0, 4))], dtype=np.uint8)
    return Case((), {"image": image}, raises=ValueError) if rng.random() < 0.5 else Case((image,), raises=ValueError)


# chosen so that the first drawn shape is (28, 1, 28) (a unit axis between the two 28s, by keyword), then (1, 28, 28)
# and (1, 28, 1, 28) by position
_BAD_SHAPE_DRAW_SEED = 16


def _predict_cases_with_drawn():
    return [*_predict_cases(), *generated(_draw_predict, count=2, seed=_PREDICT_DRAW_SEED),
            *generated(_draw_bad_shape, count=3, seed=_BAD_SHAPE_DRAW_SEED),
            *generated(in_turn(_draw_few_pixels, ("0-d", "one axis", "empty")), count=3, seed=_FEW_PIXELS_DRAW_SEED),
            Case((_sparse_noise(_COARSE_ROUNDING_NOISE_SEED),), label="sparse noise near a third class boundary (its "
                 "class changes when the scaled pixels are rounded to bfloat16 or to 3 decimals)"),
            Case((np.zeros((28, 28), dtype=np.uint8),), label="an all-black image (every pixel 0: still one valid "
                 "28x28 image, whose class the model's biases decide)"),
            Case((_rgba(_predict_images()["ring"]),), label="a 28x28x4 image (RGBA, as a PNG file with an alpha "
                 "channel loads)", raises=ValueError),
            Case((_sparse_noise(_SATURATED_NOISE_SEED),), label="sparse noise near a fourth class boundary (its class "
                 "changes when its two brightest pixels, 255, are cut to 254)"),
            # the other very dark ring is uint8 and every float or int64 image has pixels far above 1: an answer that
            # scaled uint8 images always but took any other image of pixels at most 1 as scaled already passed
            Case((_predict_images()["dark ring"].astype(np.float64),), label="a very dark ring stored as floats "
                 "(whole-number pixels 0.0 and 1.0: raw values, still to be scaled)"),
            # every other case runs the check's model with the same weights, so an answer that remembered the class it
            # had given a model (by id) and an image passed, though after another fit() that class is stale
            Case((_predict_images()["ring"],), {"weights_changed": True}, label="the ring of an earlier case again, "
                 "after the model's weights changed (as another fit() changes them): predict again on every call, a "
                 "class remembered from an earlier call is stale"),
            # every other boundary image lies 0.4% (or a rounding to 2 or 3 digits) from its boundary: an answer that
            # multiplied by 1/255 rounded to 3 significant digits (* 0.00392, 0.04% darker) passed
            Case((_sparse_noise(_ROUNDED_CONSTANT_NOISE_SEED),), label="sparse noise near a fifth class boundary (its "
                 "class changes when the pixels are multiplied by 0.00392, 1/255 rounded to 3 digits, instead of "
                 "divided by 255)"),
            # round 39 (r399h H1): every other model has at most 10 classes, so a class returned as np.uint8 passed
            Case((_predict_images()["noise"],), {"n_classes": 300}, label="a model with 300 classes, whose class for "
                 "this image is 297 (above 255, the largest 8-bit number)")]


def _rgba(image):
    """A grey uint8 image as RGBA: the grey level in each colour channel, and an opaque alpha channel."""
    return np.dstack([image, image, image, np.full(image.shape, 255, dtype=np.uint8)])


# chosen among 300,000 seeds so that the check's model changes this image's class (4.4e-4 between the two top log
# probabilities, far above float32 rounding) when the scaled pixels are rounded to bfloat16 (8 significant bits, fewer
# than float16's 11) or to 3 decimals (np.round(image / 255, 3)), which the rounded-noise case above lets pass; among
# the ten such seeds with the largest margins, the one whose rounded class no catalogued mistake gives (so that no
# unrelated mistake is named)
_COARSE_ROUNDING_NOISE_SEED = 34986


# chosen so that the one-axis shape is (28,): a row of the image, 28 pixels first
_FEW_PIXELS_DRAW_SEED = 0

# chosen among 60,000 seeds so that the check's model changes this image's class (7 to 2, 5.3e-4 between the two top
# log probabilities on each side, far above float32 rounding) when the pixels of 255 are cut to 254 (np.clip(image, 0,
# 254), a "safe" clip below the largest value, which every other case lets pass); among the five with the largest
# margins, the one whose changed class no catalogued mistake gives
_SATURATED_NOISE_SEED = 17969

# chosen among 1,200,000 seeds so that the check's model gives this image class 6 when divided by 255 and class 2 when
# multiplied by 0.00392 (1/255 rounded to 3 significant digits, 0.04% darker), with the largest margin found (1.9e-4
# between the two top log probabilities on each side, far above float32 rounding)
_ROUNDED_CONSTANT_NOISE_SEED = 1091582



# round 27 (r276 F0, the maintainer's ruling): exercise 1 is written in numpy, as 05a promises ("you write one in numpy
# and match Keras' Conv2D exactly"); scipy.signal.correlate2d(image, kernel, "valid") or keras.ops.conv passed, and the
# lesson's proof that it is what Keras does then compared Keras with Keras. A library's convolution is refused as
# lesson 04 refuses the frameworks' optimizer steps: scipy's, Keras', TensorFlow's and torch's, where they are defined
# (and the C kernels that scipy's call), watched once their module is loaded. numpy's own tools (np.correlate of rows,
# sliding_window_view, einsum, tensordot) stay allowed
_LIBRARY_CONVOLUTIONS = (
    *(f"scipy.signal._signaltools:{name}" for name in ("correlate", "correlate2d", "convolve", "convolve2d",
                                                         "fftconvolve", "oaconvolve")),
    "scipy.signal._sigtools:_convolve2d", "scipy.signal._sigtools:_correlateND",
    "scipy.ndimage._filters:correlate", "scipy.ndimage._filters:convolve", "scipy.ndimage._nd_image:correlate",
    "skimage.filters._sparse:correlate_sparse",   # scikit-image's 'valid' correlation, shifted slices in numpy
    *(f"{module}:{name}" for module in ("keras.src.ops.nn", "keras.src.backend.tensorflow.nn")
      for name in ("conv", "depthwise_conv", "separable_conv", "conv_transpose")),
    *(f"tensorflow.python.ops.gen_nn_ops:{name}" for name in (
        "conv", "conv2d", "conv3d", "depthwise_conv2d_native", "conv2d_backprop_filter", "conv2d_backprop_filter_v2",
        "conv2d_backprop_input", "conv2d_backprop_input_v2", "fused_pad_conv2d")),
    *(f"tensorflow._api.v2.raw_ops:{name}" for name in (   # tf.raw_ops holds copies (base._named_aliases)
        "Conv", "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropFilter", "Conv2DBackpropFilterV2",
        "Conv2DBackpropInput", "Conv2DBackpropInputV2", "FusedPadConv2D")),
    *(f"torch:{name}" for name in ("conv1d", "conv2d", "conv3d", "convolution", "_convolution", "conv_transpose1d",
                                   "conv_transpose2d", "conv_transpose3d", "conv_tbc", "mkldnn_convolution")),
    # round 28 (r286 F2): torch's convolution operators however reached: torch.ops.aten.conv2d or .convolution,
    # torch._C._VariableFunctions.conv2d, torch._C._nn.thnn_conv2d (aten::_slow_conv2d_forward) or slow_conv3d passed,
    # the names above being only torch's Python ones
    *(f"{_ATEN}{pattern}" for pattern in ("*convolution*", "*conv1d*", "*conv2d*", "*conv3d*", "conv_tbc*",
                                          "*conv_depthwise*", "*conv_transpose*", "slow_conv*")),
    # round 28 (r286 F3): scipy's one-dimensional convolutions and FIR filters, applied to each row of the image
    # under each row of the kernel and summed (scipy.ndimage.correlate1d, scipy.signal.lfilter or upfirdn), passed;
    # numpy's own np.correlate and np.convolve of rows stay allowed
    "scipy.ndimage._filters:correlate1d", "scipy.ndimage._filters:convolve1d", "scipy.ndimage._nd_image:correlate1d",
    "scipy.signal._signaltools:lfilter", "scipy.signal._sigtools:_linear_filter", "scipy.signal._upfirdn:upfirdn",
    "scipy.signal._upfirdn:_UpFIRDn",
)


# ----------------------------------------------------------------------------- catalogued mistakes: conv2d_valid
def _windows(image, kernel, rows, cols):
    """out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel) for i < rows, j < cols (cut windows at the edge padded with 0).
    Round 28 (r286 F7): with rows and cols of the valid map it is the right answer, and an answer that called it
    passed; such a call is refused now (note_a_made_call), as the catalogue's factories are."""
    note_a_made_call(_windows)
    kh, kw = kernel.shape
    padded = np.pad(image, ((0, kh), (0, kw)))
    return np.array([[np.sum(padded[i:i + kh, j:j + kw] * kernel) for j in range(cols)] for i in range(rows)])


def _checked_2d(image, kernel, size_check=True, kernel_ndim_check=True, width_check=True, image_ndim_check=True):
    note_a_made_call(_checked_2d)   # round 28 (r286 F7): the exercise's checks, which an answer borrowed and passed
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if (image_ndim_check and image.ndim != 2) or (kernel_ndim_check and kernel.ndim != 2):
        raise ValueError("image and kernel must be 2-D")
    if size_check and (kernel.shape[0] > image.shape[0] or (width_check and kernel.shape[1] > image.shape[1])):
        raise ValueError("the kernel is larger than the image")
    return image, kernel


def _conv_flipped_kernel(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    return ref.conv2d_valid(image, kernel[::-1, ::-1])


def _conv_flipped_upside_down(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    return ref.conv2d_valid(image, kernel[::-1])  # kernel[::-1] (np.flipud) reverses the rows only


def _conv_same_size(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2)))
    return ref.conv2d_valid(padded, kernel)


def _conv_off_by_one(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    return _windows(image, kernel, image.shape[0] - kernel.shape[0], image.shape[1] - kernel.shape[1])


def _conv_matrix_product(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] @ kernel.T)
    return out


def _conv_image_ndim_unchecked(image, kernel):
    image, kernel = _checked_2d(image, kernel, image_ndim_check=False)
    kh, kw = kernel.shape  # a (6, 6, 1) image passes: its patches (3, 3, 1) broadcast against the kernel
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def _conv_in_float32(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    image, kernel = image.astype(np.float32), kernel.astype(np.float32)
    kh, kw = kernel.shape
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def _conv_in_image_dtype(image, kernel):
    _checked_2d(image, kernel)
    image, kernel = np.asarray(image), np.asarray(kernel)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype=image.dtype)  # uint8 for raw pixels
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _conv_products_in_integers(image, kernel):
    _checked_2d(image, kernel)
    image, kernel = np.asarray(image), np.asarray(kernel)  # not converted: uint8 times uint8 stays uint8
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))  # a float output, as the hint says
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _conv_in_kernel_dtype(image, kernel):
    _checked_2d(image, kernel)
    image, kernel = np.asarray(image), np.asarray(kernel)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype=kernel.dtype)  # int for an int kernel
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _conv_kernel_ndim_unchecked(image, kernel):
    image, kernel = _checked_2d(image, kernel, kernel_ndim_check=False)
    kh, kw = kernel.shape[0], kernel.shape[1]  # a (3, 3, 1) kernel passes as 3x3
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def _conv_rejects_only_more_than_2d(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim > 2 or kernel.ndim > 2:  # a 1-D image gets through, and image.shape[1] raises IndexError
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    return _windows(image, kernel, image.shape[0] - kh + 1, image.shape[1] - kw + 1)


def _conv_1d_as_a_row(image, kernel):
    image, kernel = np.atleast_2d(np.asarray(image, dtype=float)), np.atleast_2d(np.asarray(kernel, dtype=float))
    return ref.conv2d_valid(image, kernel)  # a 1-D image or kernel is taken as one row


def _conv_height_check_only(image, kernel):
    image, kernel = _checked_2d(image, kernel, width_check=False)
    rows, cols = image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1
    return _windows(image, kernel, rows, max(cols, 0)).reshape(rows, max(cols, 0))


def _conv_no_size_check(image, kernel):
    image, kernel = _checked_2d(image, kernel, size_check=False)
    rows, cols = image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1
    return _windows(image, kernel, max(rows, 0), max(cols, 0)).reshape(max(rows, 0), max(cols, 0))


def _conv_windows_in_c_order(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    (h, w), (kh, kw), size = image.shape, kernel.shape, image.itemsize
    # strides computed from the shape, as if the image lay in memory row by row: wrong for a view or Fortran order
    windows = np.lib.stride_tricks.as_strided(image, (h - kh + 1, w - kw + 1, kh, kw), (w * size, size, w * size, size))
    return np.einsum("ijuv,uv->ij", windows, kernel)



def _conv_kernel_in_c_order(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    (kh, kw), size = kernel.shape, kernel.itemsize
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw))   # right: from the image's own strides
    # the kernel's numbers read from memory row by row: wrong for a transposed (Fortran-order) kernel
    flat = np.lib.stride_tricks.as_strided(kernel, (kh * kw,), (size,))
    return windows.reshape(*windows.shape[:2], kh * kw) @ flat


# ----------------------------------------------------------------------------- catalogued mistakes: conv_output_size
def _conv_as_a_list(image, kernel):
    return ref.conv2d_valid(image, kernel).tolist()  # rows of numbers: no .shape, and sum() of lists fails


def _conv_relu_applied(image, kernel):
    return np.maximum(ref.conv2d_valid(image, kernel), 0.0)  # the layer's activation, taken into the convolution


def _conv_window_means(image, kernel):
    image, kernel = _checked_2d(image, kernel)
    return ref.conv2d_valid(image, kernel) / kernel.size   # np.mean of each window's products instead of np.sum


def _conv_pixels_scaled(image, kernel):
    image = np.asarray(image)
    if image.dtype.kind in "ui":   # raw integer pixels divided by 255, as the notebook scales x_train and x_test
        image = image / 255.0
    return ref.conv2d_valid(image, kernel)


def _size_variant(formula):
    """conv_output_size with the reference's checks and another formula."""
    def size(n, kernel, padding=0, stride=1):
        note_a_made_call(_size_variant)
        ref.conv_output_size(n, kernel, padding, stride)
        return formula(n, kernel, padding, stride)
    return size


_size_without_plus_one = _size_variant(lambda n, k, p, s: (n + 2 * p - k) // s)
_size_one_side_padding = _size_variant(lambda n, k, p, s: (n + p - k) // s + 1)
_size_rounds_up = _size_variant(lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1)
_size_float_division = _size_variant(lambda n, k, p, s: (n + 2 * p - k) / s + 1)
_size_ignores_stride = _size_variant(lambda n, k, p, s: n + 2 * p - k + 1)
_size_floor_of_a_float_quotient = _size_variant(lambda n, k, p, s: int((n + 2 * p - k) / s) + 1)  # or math.floor
_size_ceil_of_a_float_quotient = _size_variant(lambda n, k, p, s: math.ceil((n + 2 * p - k + 1) / s))  # as
# TensorFlow's documentation writes the 'valid' size: ceil((n - k + 1) / s)


def _size_no_checks(n, kernel, padding=0, stride=1):
    return (n + 2 * padding - kernel) // max(stride, 1) + 1


def _size_check_ignores_padding(n, kernel, padding=0, stride=1):
    if kernel > n:
        raise ValueError("the kernel is larger than the image")
    return ref.conv_output_size(n, kernel, padding, stride)


def _size_no_type_check(n, kernel, padding=0, stride=1):
    if kernel > n + 2 * padding or stride < 1 or padding < 0:
        raise ValueError("invalid size")
    return (n + 2 * padding - kernel) // stride + 1


def _size_type_check_of_n_only(n, kernel, padding=0, stride=1):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {n!r}")
    if kernel > n + 2 * padding or stride < 1 or padding < 0:
        raise ValueError("invalid size")
    return int((n + 2 * padding - kernel) // stride + 1)


def _size_kernel_type_unchecked(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, padding, stride)):
        raise TypeError("n, padding and stride must be ints")
    if kernel > n + 2 * padding or stride < 1 or padding < 0:
        raise ValueError("invalid size")
    return int((n + 2 * padding - kernel) // stride + 1)  # int() hides a float kernel


def _size_truncates_toward_zero(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("every argument must be an int")
    if stride < 1 or padding < 0:
        raise ValueError("invalid stride or padding")
    out = int((n + 2 * padding - kernel) / stride) + 1
    if out < 1:
        raise ValueError("the kernel does not fit")
    return out


def _size_bools_rejected_in_n_and_padding_only(n, kernel, padding=0, stride=1):
    if isinstance(n, bool) or isinstance(padding, bool):  # the hand-picked bools; True passes as kernel or stride
        raise TypeError("a bool is not a size")
    if any(not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("every argument must be an int")
    return ref.conv_output_size(int(n), int(kernel), int(padding), int(stride))


def _size_keras_padding_words(n, kernel, padding=0, stride=1):
    if isinstance(padding, str):  # Keras' Conv2D(padding="same" / "valid")
        return -(-n // stride) if padding == "same" else ref.conv_output_size(n, kernel, 0, stride)
    return ref.conv_output_size(n, kernel, padding, stride)


def _size_rejects_only_floats_and_bools(n, kernel, padding=0, stride=1):
    if any(isinstance(value, (bool, float)) for value in (n, kernel, padding, stride)):  # np.float32 gets through
        raise TypeError("a float or a bool is not a size")
    return ref.conv_output_size(*(int(value) for value in (n, kernel, padding, stride)))


def _size_rejects_a_stride_beyond_the_image(n, kernel, padding=0, stride=1):
    size = ref.conv_output_size(n, kernel, padding, stride)
    if stride > n + 2 * padding:
        raise ValueError("the stride is larger than the image")
    return size


def _size_rejects_padding_as_wide_as_the_image(n, kernel, padding=0, stride=1):
    size = ref.conv_output_size(n, kernel, padding, stride)
    if padding >= n:
        raise ValueError("the padding is as wide as the image")
    return size


def _size_n_and_kernel_unchecked(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("every argument must be an int")
    if kernel > n + 2 * padding or stride < 1 or padding < 0:  # a 0-wide or negative kernel gets through
        raise ValueError("invalid size")
    return (n + 2 * padding - kernel) // stride + 1


def _size_rejects_only_stride_zero(n, kernel, padding=0, stride=1):
    if stride == 0:
        raise ValueError("stride 0")
    return ref.conv_output_size(n, kernel, padding, abs(stride))


def _size_numpy_integers_unconverted(n, kernel, padding=0, stride=1):
    ref.conv_output_size(n, kernel, padding, stride)   # the exercise's checks: np.integer values are taken as ints
    return (n + 2 * padding - kernel) // stride + 1   # but not converted: np.uint8 arithmetic wraps round above 255


def _size_in_64_bit_integers(n, kernel, padding=0, stride=1):
    values = (n, kernel, padding, stride)
    if any(isinstance(value, bool) or not isinstance(value, (int, np.integer)) for value in values):
        raise TypeError("every argument must be an int")
    n, kernel, padding, stride = (np.int64(value) for value in (n, kernel, padding, stride))  # 2**63 - 1 at most
    if n < 1 or kernel < 1 or padding < 0 or stride < 1:
        raise ValueError("invalid size")
    with np.errstate(over="ignore"):   # 2 * (2**63 - 1) wraps round to -2
        if kernel > n + 2 * padding:
            raise ValueError("the kernel does not fit")
        return int((n + 2 * padding - kernel) // stride + 1)

# ----------------------------------------------------------------------------- catalogued mistakes: cnn_param_count
def _checked_counts(*values, type_checked=5, range_checked=5):
    """The argument checks: TypeError for a non-int among the first ``type_checked`` values, ValueError for the
    first ``range_checked`` values below 1 (filters1, filters2, n_classes, size, kernel in this order); the
    counts build the catalogued mistakes."""
    note_a_made_call(_checked_counts)   # round 28 (r286 F7): the exercise's checks, which an answer borrowed and passed
    for index, value in enumerate(values):
        if index < type_checked and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
            raise TypeError(f"expected an int, got {value!r}")
        if index < range_checked and value < 1:
            raise ValueError(f"expected at least 1, got {value}")


def _param_count(filters1, filters2, n_classes, size, kernel, bias=1, pool=True, in_channels2=None,
                 round_up=False):
    """cnn_param_count with one of its steps changed (round 28, r286 F7: with its defaults it is the right count, and an
    answer that added the image-size check and called it passed; such a call is refused now)."""
    note_a_made_call(_param_count)
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    halve = (lambda s: -(-s // 2)) if round_up else (lambda s: s // 2)
    side = size - kernel + 1
    side = halve(side) if pool else side
    side = side - kernel + 1
    side = halve(side) if pool else side
    conv1 = (kernel * kernel * 1 + bias) * filters1
    conv2 = (kernel * kernel * (filters1 if in_channels2 is None else in_channels2) + bias) * filters2
    return int(conv1 + conv2 + (side * side * filters2 + bias) * n_classes)


def _params_without_biases(filters1, filters2, n_classes=10, size=28, kernel=3):
    return _param_count(filters1, filters2, n_classes, size, kernel, bias=0)


def _params_without_pooling(filters1, filters2, n_classes=10, size=28, kernel=3):
    return _param_count(filters1, filters2, n_classes, size, kernel, pool=False)


def _params_one_input_channel(filters1, filters2, n_classes=10, size=28, kernel=3):
    return _param_count(filters1, filters2, n_classes, size, kernel, in_channels2=1)


def _params_pool_rounds_up(filters1, filters2, n_classes=10, size=28, kernel=3):
    return _param_count(filters1, filters2, n_classes, size, kernel, round_up=True)


def _params_no_size_check(filters1, filters2, n_classes=10, size=28, kernel=3):
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_only_a_zero_side_rejected(filters1, filters2, n_classes=10, size=28, kernel=3):
    """The image-size check made on the flattened length (side * side * filters2 < 1) or as side == 0: a negative
    side (5 -> 3 -> 1 -> -1 -> -1) gets through, and its square counts as a 1x1 map."""
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    flat = side * side * filters2
    if flat < 1:
        raise ValueError(f"a {size}x{size} image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + (flat + 1) * n_classes


def _params_rejects_side_one(filters1, filters2, n_classes=10, size=28, kernel=3):
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side <= 1:
        raise ValueError(f"a {size}x{size} image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_minimum_size_of_3x3_kernels(filters1, filters2, n_classes=10, size=28, kernel=3):
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    if size < 10:  # right for 3x3 kernels only (10 -> 8 -> 4 -> 2 -> 1)
        raise ValueError(f"a {size}x{size} image is too small")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_odd_kernels_only(filters1, filters2, n_classes=10, size=28, kernel=3):
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    cut = 2 * (kernel // 2)  # "kernel // 2 pixels off each side": k - 1 only for an odd kernel
    side = ((size - cut) // 2 - cut) // 2
    if side < 1:
        raise ValueError(f"a {size}x{size} image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_in_another_order(filters1, filters2, size=28, kernel=3, n_classes=10):
    return ref.cnn_param_count(filters1, filters2, n_classes, size, kernel)


def _params_same_padding(filters1, filters2, n_classes=10, size=28, kernel=3):
    _checked_counts(filters1, filters2, n_classes, size, kernel)
    side = size // 2 // 2
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_only_zero_rejected(filters1, filters2, n_classes=10, size=28, kernel=3):
    _checked_counts(filters1, filters2, n_classes, size, kernel, range_checked=0)
    if 0 in (filters1, filters2, n_classes, size, kernel):  # -16 filters get through
        raise ValueError("zero is not allowed")
    return _params_with_checks(range_checked=0)(filters1, filters2, n_classes, size, kernel)


def _params_bools_rejected_in_n_classes_and_kernel_only(filters1, filters2, n_classes=10, size=28, kernel=3):
    if isinstance(n_classes, bool) or isinstance(kernel, bool):  # the hand-picked bools; True filters get through
        raise TypeError("a bool is not a count")
    return _params_with_checks()(*(v if isinstance(v, float) else int(v) for v in
                                   (filters1, filters2, n_classes, size, kernel)))


def _params_rejects_only_floats_and_bools(filters1, filters2, n_classes=10, size=28, kernel=3):
    values = (filters1, filters2, n_classes, size, kernel)
    if any(isinstance(value, (bool, float)) for value in values):  # np.float32 gets through
        raise TypeError("a float or a bool is not a count")
    return ref.cnn_param_count(*(int(value) for value in values))


def _params_one_output_for_two_classes(filters1, filters2, n_classes=10, size=28, kernel=3):
    return ref.cnn_param_count(filters1, filters2, 1 if n_classes == 2 else n_classes, size, kernel)


def _params_with_checks(type_checked=5, range_checked=5):
    """The reference's count behind weaker argument checks (the image-size check is kept)."""
    def count(filters1, filters2, n_classes=10, size=28, kernel=3):
        note_a_made_call(_params_with_checks)
        _checked_counts(filters1, filters2, n_classes, size, kernel, type_checked=type_checked,
                        range_checked=range_checked)
        side = ((size - kernel + 1) // 2 - kernel + 1) // 2
        if side < 1:
            raise ValueError(f"a {size}x{size} image is too small for two convolutions and pools")
        return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
            (side * side * filters2 + 1) * n_classes
    return count


_params_no_type_check = _params_with_checks(type_checked=0)
_params_size_and_kernel_types_unchecked = _params_with_checks(type_checked=3)
_params_no_kernel_check = _params_with_checks(range_checked=3)   # filters and classes checked, not size or kernel
_params_checks_only_filters1 = _params_with_checks(range_checked=1)


# ----------------------------------------------------------------------------- catalogued mistakes: build_cnn
def _cnn_variant(conv_activation="relu", dropout_first=False, fixed_rate=None, output_activation="softmax",
                 fixed_filters=None):
    """A builder for the lesson's CNN with one change, as a learner might write it."""
    def builder(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        note_a_made_call(_cnn_variant)
        f1, f2 = fixed_filters or (filters1, filters2)
        rate = dropout if fixed_rate is None else fixed_rate
        stack = [layers.Conv2D(f1, 3, activation=conv_activation), layers.MaxPooling2D(2),
                 layers.Conv2D(f2, 3, activation=conv_activation), layers.MaxPooling2D(2), layers.Flatten()]
        stack = [layers.Dropout(rate)] + stack if dropout_first else stack + [layers.Dropout(rate)]
        return keras.Sequential([keras.Input(shape=(28, 28, 1)), *stack,
                                 layers.Dense(n_classes, activation=output_activation)])
    return builder


def _cnn_in_another_order(filters1=16, filters2=32, dropout=0.3, n_classes=10):
    return ref.build_cnn(filters1, filters2, n_classes, dropout)


_cnn_tanh_convolutions = _cnn_variant(conv_activation="tanh")
_cnn_no_conv_activation = _cnn_variant(conv_activation=None)
_cnn_dropout_first = _cnn_variant(dropout_first=True)
_cnn_fixed_dropout = _cnn_variant(fixed_rate=0.3)
_cnn_no_softmax = _cnn_variant(output_activation=None)
_cnn_fixed_filters = _cnn_variant(fixed_filters=(16, 32))


def _cnn_keep_probability(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    return ref.build_cnn(filters1, filters2, n_classes, 1 - dropout)  # TensorFlow 1's keep_prob: the fraction kept


def _cnn_relu6(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([  # layers.ReLU(6.0): the first argument of ReLU is max_value, a cap at 6
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3), layers.ReLU(6.0), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3), layers.ReLU(6.0), layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout),
        layers.Dense(n_classes, activation="softmax")])


def _cnn_floatx_float64(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    keras.config.set_floatx("float64")  # stays set for every model the notebook builds afterwards
    return ref.build_cnn(filters1, filters2, n_classes, dropout)


def _cnn_channels_first(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    model = ref.build_cnn(filters1, filters2, n_classes, dropout)
    keras.config.set_image_data_format("channels_first")  # every later Conv2D now reads (channels, rows, columns)
    return model


def _cnn_second_twice_the_first(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    return ref.build_cnn(filters1, 2 * filters1, n_classes, dropout)  # the lesson's 16 and 32, 8 and 16, 4 and 8


def _cnn_frozen_convolutions(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    model = ref.build_cnn(filters1, filters2, n_classes, dropout)
    for layer in model.layers[:4]:
        layer.trainable = False  # same layers, same count and output, but fit() trains only the dense layer
    return model


def _cnn_l2_regularised(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([  # an L2 penalty on the kernels, as many tutorials add: fit() minimises another loss
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", kernel_regularizer="l2"),
        layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu", kernel_regularizer="l2"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout),
        layers.Dense(n_classes, activation="softmax")])


def _cnn_seeded(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    keras.utils.set_random_seed(42)  # "the same starting weights every time"
    return ref.build_cnn(filters1, filters2, n_classes, dropout)


def _cnn_zero_convolutions(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([  # zero kernels: every feature map is 0, and the ReLU passes no gradient back
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", kernel_initializer="zeros"),
        layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu", kernel_initializer="zeros"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])


# ----------------------------------------------------------------------------- catalogued mistakes: accuracy_from_probs
def _checked_probs(y_true, probabilities):
    note_a_made_call(_checked_probs)   # round 28 (r286 F7): the exercise's checks, which an answer borrowed and passed
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return y_true, probabilities


def _accuracy_argmax_axis_0(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    return float(np.mean(np.argmax(probabilities, axis=0) == y_true))


def _accuracy_by_sorting(y_true, probabilities):
    """The first column of np.argsort(-p): the largest value's column, but of tied ones maybe a later one."""
    y_true, probabilities = _checked_probs(y_true, probabilities)
    return float(np.mean(np.argsort(-probabilities, axis=1)[:, 0] == y_true))


def _accuracy_argmax_flat(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    return float(np.mean(np.argmax(probabilities) == y_true))


def _accuracy_count(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    return int(np.sum(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_no_shape_check(y_true, probabilities):
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_flattens_the_labels(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true).ravel(), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_length_before_ndim(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or len(y_true) != len(probabilities) or y_true.ndim != 1:  # len() of a 0-d array
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_rejects_only_1d(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim == 1 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_1d_made_one_row(y_true, probabilities):
    probabilities = np.atleast_2d(np.asarray(probabilities, dtype=float))  # "a single example": one row
    return ref.accuracy_from_probs(y_true, probabilities)


def _accuracy_ten_classes(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities[:, :10], axis=1) == y_true))  # for c in range(10): ...


def _accuracy_fewer_labels_only(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) < len(probabilities):  # more labels get through
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_one_hot_labels_accepted(y_true, probabilities):
    y_true = np.asarray(y_true)
    if y_true.ndim == 2 and y_true.shape[1] > 1:  # one-hot labels turned into classes; a column is still refused
        y_true = np.argmax(y_true, axis=1)
    return ref.accuracy_from_probs(y_true, probabilities)


def _accuracy_as_an_array(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    return np.asarray(np.mean(np.argmax(probabilities, axis=1) == y_true))  # like keras.ops.mean: not a float


def _accuracy_renamed(labels, probs):
    return ref.accuracy_from_probs(labels, probs)


def _accuracy_zeroes_the_others_in_place(y_true, probabilities):
    if np.ndim(probabilities) != 2 or np.shape(y_true) != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    probabilities[probabilities < probabilities.max(axis=1, keepdims=True)] = 0  # the caller's array: only maxima left
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_ties_counted_as_right(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    # "right when the true class has the largest probability": a tie counts for every tied class
    return float(np.mean(probabilities[np.arange(len(y_true)), y_true] == probabilities.max(axis=1)))


def _accuracy_unit_axes_dropped(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim > 2:  # (1, n, k) or (n, 1, k) read as n rows; (n, k, 1) still fails on the length
        probabilities = probabilities.reshape(-1, probabilities.shape[-1])
    if y_true.ndim == 2 and y_true.shape[0] == 1:  # a row of labels read as n labels
        y_true = y_true[0]
    return ref.accuracy_from_probs(y_true, probabilities)


def _accuracy_classes_in_uint8(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    predicted = np.argmax(probabilities, axis=1).astype(np.uint8)  # "like the labels": Keras stores them as uint8
    return float(np.mean(predicted == y_true.astype(np.uint8)))


def _accuracy_max_probability(y_true, probabilities):
    y_true, probabilities = _checked_probs(y_true, probabilities)
    return float(np.mean(np.max(probabilities, axis=1)))


# ----------------------------------------------------------------------------- catalogued mistakes: predict_one_image
def _one_image(image, check_shape=True):
    note_a_made_call(_one_image)   # round 28 (r286): the exercise's shape check and batch of one, borrowed by an answer
    image = np.asarray(image)
    if check_shape and image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    return image.reshape(1, 28, 28, 1).astype("float32")


def _predict_checks_only_ndim(model, image):
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected a 2-D or 3-D image, got shape {image.shape}")
    return int(np.argmax(model.predict(_one_image(image, check_shape=False) / 255.0, verbose=0)[0]))


def _predict_without_scaling(model, image):
    return int(np.argmax(model.predict(_one_image(image), verbose=0)[0]))


def _predict_floats_taken_as_scaled(model, image):
    batch = _one_image(image)  # what tf.image.convert_image_dtype and skimage's img_as_float do: floats are left alone
    batch = batch if np.asarray(image).dtype.kind == "f" else batch / 255.0
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def _predict_min_max_scaled(model, image):
    batch = _one_image(image)  # each image stretched to 0..1 on its own (sklearn's minmax_scale, or + 1e-8 below)
    low, high = batch.min(), batch.max()
    return int(np.argmax(model.predict((batch - low) / max(high - low, 1e-7), verbose=0)[0]))


def _predict_centred(model, image):
    batch = _one_image(image)  # -1..1, as some pretrained models' preprocess_input scales
    return int(np.argmax(model.predict((batch - 127.5) / 127.5, verbose=0)[0]))


def _predict_scaled_twice(model, image):
    return int(np.argmax(model.predict(_one_image(image) / 255.0 / 255.0, verbose=0)[0]))


def _predict_scaled_by_own_max(model, image):
    batch = _one_image(image)
    return int(np.argmax(model.predict(batch / batch.max(), verbose=0)[0]))


def _predict_returns_probabilities(model, image):
    return model.predict(_one_image(image) / 255.0, verbose=0)[0]


def _predict_class_in_uint8(model, image):
    """The class as an 8-bit number, like the data set's uint8 labels: above 255 it wraps round."""
    return np.uint8(np.argmax(model.predict(_one_image(image) / 255.0, verbose=0)[0]) % 256)


def _predict_scaled_when_above_1(model, image):
    batch = _one_image(image)
    return int(np.argmax(model.predict(batch / 255.0 if batch.max() > 1 else batch, verbose=0)[0]))


def _predict_scaled_by_dtype_range(model, image):
    image = np.asarray(image)  # like tf.image.convert_image_dtype: int64 is divided by 2**63 - 1
    return int(np.argmax(model.predict(_one_image(image) / np.iinfo(image.dtype).max, verbose=0)[0]))


def _predict_binarised(model, image):
    return int(np.argmax(model.predict((_one_image(image) > 127).astype("float32"), verbose=0)[0]))


def _predict_shape_read_before_ndim(model, image):
    image = np.asarray(image)  # shape[1] of a (28,) row raises IndexError, not the ValueError the exercise asks for
    if image.shape[0] != 28 or image.shape[1] != 28 or image.ndim > 3 or image.ndim == 3 and image.shape[2] != 1:
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


def _predict_squeezed(model, image):
    image = np.squeeze(image)
    if image.shape != (28, 28):
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    return int(np.argmax(model.predict(_one_image(image) / 255.0, verbose=0)[0]))


def _predict_reshapes_the_input(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    image.shape = (1, 28, 28, 1)  # changes the caller's array too
    return int(np.argmax(model.predict(image / 255.0, verbose=0)[0]))


def _predict_logits_by_changing_the_model(model, image):
    import keras

    model.layers[-1].activation = keras.activations.linear  # the same argmax, but the caller's model has no softmax now
    return ref.predict_one_image(model, image)


def _predict_dropout_switched_off(model, image):
    for layer in model.layers:
        if type(layer).__name__ == "Dropout":
            layer.rate = 0.0  # "no dropout when predicting": predict() never drops anything, fit() now never will
    return ref.predict_one_image(model, image)


def _predict_renamed(net, img):
    return ref.predict_one_image(net, img)  # right, under other names: predict_one_image(model=..., image=...) fails


def _predict_first_and_last_axes_checked(model, image):
    image = np.asarray(image)  # (28, 1, 28) has 784 pixels, 28 rows first and 28 last: it is let through
    if image.ndim not in (2, 3) or image.shape[0] != 28 or image.shape[-1] not in (1, 28):
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


def _predict_progress_switched_off(model, image):
    import keras

    keras.utils.disable_interactive_logging()  # silences predict's progress bar, and every later fit() too
    return ref.predict_one_image(model, image)


def _predict_scaled_by_256(model, image):
    return int(np.argmax(model.predict(_one_image(image) / 256.0, verbose=0)[0]))  # "8 bits: 256 values"


def _predict_scaled_by_a_rounded_constant(model, image):
    return int(np.argmax(model.predict(_one_image(image) * 0.00392, verbose=0)[0]))  # 1 / 255 to 3 digits


def _predict_seeded(model, image):
    np.random.seed(0)  # "the same prediction every time", as keras.utils.set_random_seed(0) does (and TensorFlow's too)
    return ref.predict_one_image(model, image)


def _predict_in_training_mode(model, image):
    batch = _one_image(image) / 255.0  # training=True as for the augmentation layers: dropout stays active
    return int(np.argmax(model(batch, training=True)[0]))


def _predict_ten_classes(model, image):
    probs = model.predict(_one_image(image) / 255.0, verbose=0)[0]
    return max(range(10), key=lambda k: probs[k])  # "the 10 classes": a model with 5 outputs has no probs[5]


def _predict_no_shape_check(model, image):
    return int(np.argmax(model.predict(_one_image(image, check_shape=False) / 255.0, verbose=0)[0]))


EXERCISES = {
    "conv2d_valid": Exercise(
        reference=ref.conv2d_valid,
        cases=_conv_cases_with_drawn,
        # round 27 (r276 F0): numpy only; round 28 (r286 E1: TensorFlow's Conv2D op run by name through its eager
        # executor passed): a call into any library but numpy is refused
        run=refusing_course_versions(_conv_run, (*_LIBRARY_CONVOLUTIONS, _NUMPY_ONLY)),
        hint="The output has shape (H - kh + 1, W - kw + 1); out[i, j] = np.sum(image[i:i+kh, j:j+kw] * kernel). "
        "No flipping of the kernel: Keras (like every framework) computes a cross-correlation. "
        "Raise ValueError for non-2-D inputs or a kernel taller or wider than the image. Write it with numpy alone: a "
        "call into any other library (scipy's, Keras', TensorFlow's or torch's convolution among them) is refused.",
        compare=_conv_compare,
        rtol=_CONV_TOLERANCE, atol=_CONV_TOLERANCE,
        mistakes=(
            # round 27 (r276 F2): np.convolve of the rows (np.correlate's twin) reverses each kernel row, which this
            # case cannot tell from a whole flip; it was told not to flip a kernel it had not flipped itself
            Mistake("flipped kernel", _conv_flipped_kernel, "do not flip the kernel: Keras computes a "
                    "cross-correlation, out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel). A flip can hide in a call: "
                    "np.convolve reverses its second argument (np.correlate does not), and so does np.fliplr"),
            Mistake("kernel turned upside down", _conv_flipped_upside_down, "do not flip the kernel, not even "
                    "upside down: kernel[::-1] (np.flipud) reverses its rows. Keras computes a cross-correlation, "
                    "out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel)"),
            Mistake("same-size output", _conv_same_size, "'valid' means no padding: the output has shape "
                    "(H - kh + 1, W - kw + 1), smaller than the image"),
            Mistake("off by one", _conv_off_by_one, "there are H - kh + 1 window positions per column (and "
                    "W - kw + 1 per row): the last window ends at the image's edge"),
            Mistake("matrix product", _conv_matrix_product, "multiply the patch and the kernel element by "
                    "element (patch * kernel), not with a matrix product (@ or np.dot)"),
            Mistake("no size check", _conv_no_size_check, ""),
            Mistake("kernel's dimensions not checked", _conv_kernel_ndim_unchecked, "check that the kernel is 2-D "
                    "too: numpy broadcasts a (3, 3) patch against a (3, 3, 1) kernel without an error"),
            Mistake("only more than 2 dimensions rejected", _conv_rejects_only_more_than_2d, "raise ValueError for "
                    "every input that is not 2-D, fewer dimensions too (image.ndim != 2, not image.ndim > 2): a 1-D "
                    "image otherwise fails later with an IndexError"),
            Mistake("image's dimensions not checked", _conv_image_ndim_unchecked, "check that the image is 2-D "
                    "too: a (6, 6, 1) image, with a channel axis as Keras stores it, gives (3, 3, 1) patches that "
                    "numpy broadcasts against the (3, 3) kernel without an error"),
            Mistake("1-D input taken as one row", _conv_1d_as_a_row, "raise ValueError for a 1-D image or kernel "
                    "instead of making it one row (np.atleast_2d or reshape(1, -1)): the exercise takes 2-D inputs "
                    "only"),
            # round 31 (r316 F1): before "output in the image's dtype", which gives the same map on float32 inputs and
            # told an answer whose output was float64 already to make it a float array
            Mistake("float32 arithmetic", _conv_in_float32, "compute in float64 (np.asarray(image, dtype=float)): "
                    "float32 keeps only about 7 significant digits, and the check compares to 9. A float32 image "
                    "(the notebook's x_test, Keras' weights) stays float32 under image * 1.0 or image / 1.0: "
                    "convert it with dtype=float too"),
            Mistake("output in the image's dtype", _conv_in_image_dtype, "make the output a float array "
                    "(np.zeros(shape) is float64): an output of the image's dtype, such as np.zeros_like(image) for "
                    "a uint8 image of raw pixels, cuts off the fractions and cannot hold a negative sum; and convert "
                    "the inputs too (np.asarray(image, dtype=float)): np.einsum or np.tensordot on uint8 "
                    "inputs computes the sums in uint8, where they wrap round above 255, so a float copy of their "
                    "result is still wrong"),
            Mistake("products in the inputs' integer type", _conv_products_in_integers, "convert the image and the "
                    "kernel to floats before you multiply them (np.asarray(image, dtype=float)): with uint8 pixels and "
                    "a uint8 kernel each product of a window and the kernel is computed in uint8 and wraps round above "
                    "255 (255 * 4 gives 252) before it is summed, whatever the dtype of the output array"),
            Mistake("output in the kernel's dtype", _conv_in_kernel_dtype, "make the output a float array "
                    "(np.zeros(shape) is float64) and compute in float: an integer kernel, such as "
                    "np.array([[1, 0, -1], ...]), must not turn the output (or the image) into integers, which cut "
                    "off the fractions of a float image"),
            Mistake("only the height compared", _conv_height_check_only, "compare both sides with the image: "
                    "raise ValueError when kh > H or kw > W (a kernel can be wider without being taller)"),
            Mistake("windows in row-by-row memory order", _conv_windows_in_c_order, "take the windows from the "
                    "array's own strides (image.strides), or use np.lib.stride_tricks.sliding_window_view: strides "
                    "computed from the shape assume a row-by-row array, and a view or a Fortran-order array (such as "
                    "the notebook's rgb[0, :, :, c]) is laid out otherwise"),
            # round 35 (r356 F1)
            Mistake("kernel in row-by-row memory order", _conv_kernel_in_c_order, "read the kernel by its indices "
                    "(kernel[u, v], kernel.reshape(-1) or kernel.ravel()), not from memory with strides computed from "
                    "its shape (np.lib.stride_tricks.as_strided): a transposed kernel (kernel.T) or a view lies in "
                    "memory column by column or with gaps, and np.asarray(kernel, dtype=float) keeps that layout"),
            Mistake("a list returned", _conv_as_a_list, "return a numpy array, not a list of rows (no .tolist()): "
                    "the notebook reads the feature map's .shape and adds maps with sum()"),
            # round 28 (r286 F4): was told only "expected -66, got 0"
            Mistake("ReLU applied", _conv_relu_applied, "return the plain sums, negative ones too: ReLU is the "
                    "activation a Conv2D layer applies after its convolution (activation='relu'), not part of the "
                    "convolution, and the cell after yours compares with a Conv2D that has none"),
            # round 33 (r336 F2): both were told only "wrong value"
            Mistake("mean of each window", _conv_window_means, "add up the products of each window (np.sum), do not "
                    "average them (np.mean): out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel), as Conv2D computes it, "
                    "and a mean divides every sum by kh * kw"),
            Mistake("integer pixels scaled to [0, 1]", _conv_pixels_scaled, "convert the pixels to floats without "
                    "scaling them (np.asarray(image, dtype=float), no / 255): the convolution works on the values it "
                    "is given, and the notebook scales its images once, before they reach conv2d_valid"),
        ),
    ),
    "conv_output_size": Exercise(
        reference=ref.conv_output_size,
        cases=_size_cases_with_drawn,
        # round 30 (r306 F3): TensorFlow's conv_utils.conv_output_length, or torch's conv1d or avg_pool1d on meta
        # tensors (shapes without memory), computed the count, and the cell after compared Keras with another
        # framework: written with Python's integer arithmetic, as conv2d_valid is with numpy, any library is refused
        run=refusing_course_versions(_size_run, (_NUMPY_ONLY,)),
        hint="out = (n + 2*padding - kernel) // stride + 1: the kernel's first position, plus one more every "
        "`stride` pixels while it still fits in the padded image. Raise ValueError for an n or a kernel below 1, a "
        "kernel wider than n + 2*padding, a stride below 1 or a negative padding; TypeError for an argument that is "
        "not an int. Use Python's integer arithmetic: a call into any library but numpy (a framework's output-shape "
        "helper among them) is refused.",
        mistakes=(
            # first: it differs from the reference on the numpy uint8 case alone, where "no checks", "no type check"
            # and "n and kernel not checked" give its count too
            Mistake("numpy integers not converted", _size_numpy_integers_unconverted, "convert numpy integers to "
                    "Python ints before the arithmetic (n, kernel, padding, stride = int(n), int(kernel), ...), or "
                    "refuse them with TypeError: a numpy integer keeps its own size, and with np.uint8 sizes 200 + "
                    "2 * 100 wraps round to 144 in 8 bits, so the padded width and the count come out wrong"),
            # round 33 (r336 F1): it fails only on the last case, a padded width beyond 64 bits
            Mistake("sizes in 64-bit numpy integers", _size_in_64_bit_integers, "do the arithmetic with Python "
                    "ints (n, kernel, padding, stride = int(n), int(kernel), ...): a numpy int64 holds whole numbers "
                    "only up to 2**63 - 1, and beyond it n + 2*padding wraps round, with a RuntimeWarning at most, so "
                    "the count (or the check that the kernel fits) comes out wrong; a Python int has no such limit"),
            # before "no + 1": on the one case it fails, it gives (n + 2p - k) // s, what "no + 1" gives too
            Mistake("ceil of a float quotient", _size_ceil_of_a_float_quotient, "divide with // (whole numbers "
                    "throughout): math.ceil((n + 2*padding - kernel + 1) / stride), as TensorFlow's documentation "
                    "writes it, goes through a float, which holds whole numbers exactly only up to 2**53, so a "
                    "quotient just above 9 can round down to 9.0; -(-(n + 2*padding - kernel + 1) // stride) stays "
                    "exact"),
            Mistake("no + 1", _size_without_plus_one, "count the first position too: floor((n + 2p - k) / s) "
                    "+ 1 (a 3-wide kernel fits 26 times into 28 pixels, not 25)"),
            Mistake("padding on one side", _size_one_side_padding, "padding p adds p pixels on EACH side: "
                    "the padded image is n + 2p wide"),
            Mistake("floor of a float quotient", _size_floor_of_a_float_quotient, "divide with // (whole numbers "
                    "throughout): int((n + 2*padding - kernel) / stride) or math.floor of it goes through a float, "
                    "which holds whole numbers exactly only up to 2**53, so a quotient just below 9 can round up to "
                    "9.0"),
            Mistake("rounds up", _size_rounds_up, "round DOWN: a last window that would stick out of the "
                    "image is not computed (27 pixels, k = 3, s = 2 give 13, not 14)"),
            Mistake("float division", _size_float_division, "use integer division (//): a size is a whole "
                    "number of positions, rounded down"),
            Mistake("stride ignored", _size_ignores_stride, "the kernel jumps `stride` pixels at a time: divide "
                    "the distance it can travel, n + 2p - k, by the stride"),
            Mistake("no checks", _size_no_checks, ""),
            Mistake("size check ignores padding", _size_check_ignores_padding, "compare the kernel with the PADDED "
                    "width n + 2p: a 5-wide kernel fits into 3 pixels padded by 1 on each side"),
            Mistake("n and kernel not checked", _size_n_and_kernel_unchecked, "raise ValueError for an n or a kernel "
                    "below 1 too: a 0-wide kernel or an image of 0 pixels has no window positions, though the formula "
                    "still gives a number"),
            Mistake("bools rejected only in n and padding", _size_bools_rejected_in_n_and_padding_only, "reject a "
                    "bool in every argument, kernel and stride too: isinstance(True, int) is True, so test "
                    "isinstance(value, bool) for all four"),
            Mistake("only floats and bools rejected", _size_rejects_only_floats_and_bools, "accept ints only "
                    "instead of rejecting floats and bools: np.float32(28.0) is not a float subclass and gets "
                    "through, so test isinstance(value, int) and not isinstance(value, bool)"),
            Mistake("no type check", _size_no_type_check, "sizes are whole numbers: raise TypeError for a float "
                    "or a bool (isinstance(value, bool) or not isinstance(value, int))"),
            Mistake("only stride 0 rejected", _size_rejects_only_stride_zero, ""),
            Mistake("stride beyond the image rejected", _size_rejects_a_stride_beyond_the_image, "a stride larger "
                    "than the padded image is allowed: the kernel then fits at its first position only, and the "
                    "formula gives 1"),
            Mistake("padding as wide as the image rejected", _size_rejects_padding_as_wide_as_the_image, "a padding "
                    "as wide as the image or wider is allowed (n=1, kernel=3, padding=1 gives 1): raise ValueError "
                    "only for a negative padding"),
            Mistake("kernel's type not checked", _size_kernel_type_unchecked, "check the kernel's type too: a "
                    "float kernel (3.0) must raise TypeError (int() around the result only hides it)"),
            Mistake("only n's type checked", _size_type_check_of_n_only, "check the type of every argument, not "
                    "only n: a float stride or a bool padding must raise TypeError too"),
            Mistake("Keras' padding words accepted", _size_keras_padding_words, "padding is a number of pixels: "
                    "raise TypeError for a string such as 'same' or 'valid' (Keras' words in Conv2D(padding=...)), as "
                    "for any argument that is not an int; 'same' with an odd kernel is padding=kernel // 2"),
            Mistake("truncates toward zero", _size_truncates_toward_zero, "a 4-wide kernel does not fit into 3 "
                    "pixels: raise ValueError when kernel > n + 2*padding (int() rounds -1/2 toward zero, so "
                    "int((3 - 4) / 2) + 1 gives 1 position)"),
        ),
    ),
    "cnn_param_count": Exercise(
        reference=ref.cnn_param_count,
        cases=_param_cases_with_drawn,
        hint="A Conv2D layer has (kernel*kernel*in_channels + 1) * filters parameters; a Dense layer "
        "(inputs + 1) * units. A valid 3x3 convolution takes 2 pixels off each side length, a 2x2 pool halves "
        "it (rounding down): 28 -> 26 -> 13 -> 11 -> 5. Raise TypeError when any of the five arguments is not an "
        "int (a bool or a float too), ValueError when any of them is below 1, and when the image is "
        "too small for two convolutions and pools (the final side would be below 1).",
        mistakes=(
            Mistake("no biases", _params_without_biases, "every filter and every dense unit also has a bias: "
                    "(k*k*c_in + 1) * filters, (inputs + 1) * units"),
            # round 28 (r286 F1): before "no pooling", which gives the same count on the 5x5 images (a side of 1):
            # an answer that checked side * side * filters2 < 1 (or side == 0) was told to halve the side at each pool
            Mistake("only a side of 0 rejected", _params_only_a_zero_side_rejected, "check the side itself, and "
                    "raise ValueError whenever it is below 1 (side < 1), negative too: on a 5x5 image the second "
                    "convolution does not fit and the side ends at -1 (5 -> 3 -> 1 -> -1 -> -1), whose square, "
                    "side * side, is 1, as for a 1x1 map; side == 0 or side * side * filters2 < 1 lets it through"),
            Mistake("no pooling", _params_without_pooling, "each 2x2 pool halves the side length: "
                    "28 -> 26 -> 13 -> 11 -> 5, so Flatten gives 5*5*filters2 values"),
            Mistake("one input channel", _params_one_input_channel, "the second convolution sees filters1 "
                    "channels: each of its kernels is k x k x filters1"),
            # round 27 (r276 F3): (size - 2 * (kernel - 1)) // 4, both convolutions' pixels taken off before the
            # pools, gives 6 on the lesson's CNN as rounding up does, and was told only to round down
            Mistake("pool rounds up", _params_pool_rounds_up, "a 2x2 pool rounds DOWN: 11 -> 5, the odd last "
                    "row and column are dropped. And follow the side in the layers' order, conv -> pool -> conv -> "
                    "pool (28 -> 26 -> 13 -> 11 -> 5): the second convolution takes its k - 1 pixels off the pooled "
                    "map, so taking both convolutions' pixels off the full image first, (28 - 4) // 4, gives 6"),
            Mistake("same padding", _params_same_padding, ""),
            Mistake("kernel // 2 off each side", _params_odd_kernels_only, "a valid k x k convolution removes k - 1 "
                    "pixels (28 -> 27 with a 2x2 kernel), not 2 * (k // 2): the two agree for odd kernels only"),
            Mistake("arguments in another order", _params_in_another_order, "keep the order of the arguments, "
                    "cnn_param_count(filters1, filters2, n_classes=10, size=28, kernel=3): the notebook calls "
                    "cnn_param_count(16, 32, n_classes) by position"),
            Mistake("size limit of 3x3 kernels", _params_minimum_size_of_3x3_kernels, "the smallest image depends "
                    "on the kernel: follow the side through conv -> pool -> conv -> pool (15 -> 11 -> 5 -> 1 -> 0 "
                    "with 5x5 kernels) and raise when it ends below 1, instead of a fixed limit such as size < 10"),
            Mistake("no check of the image size", _params_no_size_check, "after conv -> pool -> conv -> pool the "
                    "side must still be at least 1 pixel: raise ValueError when it is not (a 7x7 image gives 0x0 "
                    "maps, whose square would wrongly count as 0, and a 5x5 image a negative side)"),
            Mistake("1x1 maps rejected", _params_rejects_side_one, "a final side of 1 pixel is still a feature "
                    "map: 10x10 images give 1x1 maps and Flatten gives filters2 values; raise only below 1"),
            Mistake("size and kernel types not checked", _params_size_and_kernel_types_unchecked, "check the "
                    "type of all five arguments: a float size (28.0) or a bool kernel must raise TypeError too"),
            Mistake("only floats and bools rejected", _params_rejects_only_floats_and_bools, "accept ints only "
                    "instead of rejecting floats and bools: np.float32(28.0) is not a float subclass and gets "
                    "through, so test isinstance(value, int) and not isinstance(value, bool)"),
            Mistake("bools rejected only in n_classes and kernel", _params_bools_rejected_in_n_classes_and_kernel_only,
                    "reject a bool in all five arguments, filters1, filters2 and size too: isinstance(True, int) is "
                    "True, so test isinstance(value, bool) for each"),
            Mistake("no type check", _params_no_type_check, "counts are whole numbers: raise TypeError for a "
                    "float or a bool (isinstance(value, bool) or not isinstance(value, int)) in any of the five "
                    "arguments; 16.0 filters would give a float count"),
            Mistake("kernel not checked", _params_no_kernel_check, "check all five arguments: a 0x0 kernel "
                    "passes the image-size check (28 -> 29 -> 14 -> 15 -> 7) and gives a wrong count instead "
                    "of a ValueError"),
            Mistake("only filters1 checked", _params_checks_only_filters1, "check all five arguments, filters1, "
                    "filters2, n_classes, size and kernel: each must be at least 1, and this input has one below 1 "
                    "that your function let through"),
            Mistake("only zero rejected", _params_only_zero_rejected, "raise ValueError for every value below 1 "
                    "(value < 1), not only for 0: -16 filters or a -3 kernel are not a network either"),
            Mistake("one output for two classes", _params_one_output_for_two_classes, "the output layer has "
                    "n_classes units, two for two classes: one sigmoid output is another model, not this one"),
        ),
    ),
    "build_cnn": Exercise(
        reference=ref.build_cnn,
        cases=_build_cases,
        run=refusing_course_versions(_build_run, (recipes.build_recipe_cnn,)),  # 05c's full run builds the same CNN
        compare=_build_compare,
        untouched_random=(),   # Keras draws its layers' seeds from Python's random module; _build_run checks the rest
        hint="keras.Sequential([keras.Input(shape=(28, 28, 1)), Conv2D(filters1, 3, activation='relu'), "
        "MaxPooling2D(2), Conv2D(filters2, 3, activation='relu'), MaxPooling2D(2), Flatten(), Dropout(dropout), "
        "Dense(n_classes, activation='softmax')]).",
        mistakes=(
            Mistake("tanh convolutions", _cnn_tanh_convolutions, "the convolutions use activation='relu', "
                    "not 'tanh'"),
            Mistake("no activation in the convolutions", _cnn_no_conv_activation, "Conv2D has no activation "
                    "unless you give one: Conv2D(filters, 3, activation='relu')"),
            Mistake("dropout first", _cnn_dropout_first, "Dropout goes after Flatten, just before the output "
                    "layer, not in front of the convolutions"),
            Mistake("fixed dropout rate", _cnn_fixed_dropout, "use the `dropout` argument: Dropout(dropout), "
                    "not a fixed rate"),
            # round 28 (r286 F5): was told only "layer 6 (Dropout) has rate '0.7', expected '0.3'"
            Mistake("keep probability as the rate", _cnn_keep_probability, "Dropout's argument is the fraction of "
                    "values set to zero, its rate: Dropout(dropout) with dropout=0.3 zeroes 30%, and Dropout(1 - "
                    "dropout) would zero 70% (TensorFlow 1's keep_prob was the fraction kept, the other way round)"),
            Mistake("no softmax", _cnn_no_softmax, "the last layer needs activation='softmax' so that each "
                    "row is a probability distribution"),
            Mistake("fixed filters", _cnn_fixed_filters, ""),
            Mistake("arguments in another order", _cnn_in_another_order, "keep the order of the arguments, "
                    "build_cnn(filters1, filters2, n_classes, dropout): the notebook calls build_cnn(16, 32, "
                    "n_classes) by position"),
            Mistake("capped ReLU", _cnn_relu6, "use a plain ReLU: layers.ReLU() or activation='relu'; "
                    "layers.ReLU(6.0) caps the activations at 6 (its first argument is max_value) and "
                    "ReLU(negative_slope=...) is a leaky ReLU, though Keras calls both layers ReLU"),
            Mistake("default float type changed", _cnn_floatx_float64, "build the model without changing Keras' "
                    "global settings: keras.config.set_floatx('float64') stays in force for every later model"),
            Mistake("Keras settings changed", _cnn_channels_first, "leave Keras' global settings alone "
                    "(keras.config.set_image_data_format, set_epsilon): they stay in force for every later layer of the "
                    "notebook, and the lesson's images are channels_last, (28, 28, 1)"),
            Mistake("second convolution twice the first", _cnn_second_twice_the_first, "give the second "
                    "convolution filters2 filters, Conv2D(filters2, 3, ...): the lesson's 16 and 32 happen to double, "
                    "other calls do not"),
            Mistake("frozen layers", _cnn_frozen_convolutions, "leave every layer trainable: layer.trainable = False "
                    "(or model.trainable = False) keeps the counts and the output, but fit() never changes those "
                    "weights"),
            Mistake("regularised weights", _cnn_l2_regularised, "leave out kernel_regularizer, activity_regularizer "
                    "and kernel_constraint: the lesson's model has none, and they change what fit() does"),
            Mistake("convolutions started at zero", _cnn_zero_convolutions, "keep Conv2D's own random "
                    "initialisation (no kernel_initializer='zeros' or constant): filters that start alike stay alike, "
                    "and zero ones never train"),
            Mistake("random seed set", _cnn_seeded, "leave the random generators alone: "
                    "keras.utils.set_random_seed(42) inside build_cnn restarts numpy's, Python's and Keras' random "
                    "draws from 42 every time a model is built, for the rest of the notebook; seed once at the top of "
                    "the notebook if you want repeatable runs"),
        ),
        time_limit=10.0,  # a build or first predict takes up to 2 s on a loaded 2-core machine
    ),
    "accuracy_from_probs": Exercise(
        reference=ref.accuracy_from_probs,
        cases=_accuracy_cases_with_drawn,
        run=_accuracy_run_refusing,
        hint="The predicted class is np.argmax(probabilities, axis=1); the accuracy is the mean of "
        "(predicted == y_true) as a float. Raise ValueError if probabilities is not 2-D, y_true is not 1-D or the lengths "
        "differ.",
        mistakes=(
            # round 39 (r399g H1): first, as it is right but on ties (the last case)
            Mistake("a later tied column by sorting", _accuracy_by_sorting, "np.argsort(-p)[:, 0] (or "
                    "np.argpartition) finds a largest value, but among tied columns it may pick a later one: "
                    "np.argmax(probabilities, axis=1) takes the first largest column, as the exercise asks"),
            Mistake("argmax over axis 0", _accuracy_argmax_axis_0, "np.argmax(..., axis=0) picks the most "
                    "confident EXAMPLE per class; the predicted class of each row is np.argmax(..., axis=1)"),
            Mistake("argmax without axis", _accuracy_argmax_flat, "np.argmax without axis= gives one index "
                    "into the flattened array; use axis=1 for one class per row"),
            Mistake("returns a count", _accuracy_count, "that is the number of correct predictions; the "
                    "accuracy is their fraction (np.mean)"),
            Mistake("only 1-D probabilities rejected", _accuracy_rejects_only_1d, "raise ValueError unless "
                    "probabilities.ndim == 2: 3-D probabilities (n, k, 1) otherwise give an (n, 1) argmax that "
                    "broadcasts against the labels without an error"),
            Mistake("more labels than rows", _accuracy_fewer_labels_only, "raise ValueError whenever len(y_true) != "
                    "len(probabilities), more labels too: one row of probabilities broadcasts against any number of "
                    "labels without an error"),
            Mistake("one-hot labels accepted", _accuracy_one_hot_labels_accepted, "raise ValueError for one-hot "
                    "labels (n, n_classes) instead of taking their argmax: y_true must be 1-D, one class number per "
                    "example"),
            Mistake("returns an array", _accuracy_as_an_array, "return a float, float(np.mean(...)): a 0-d array "
                    "or a Keras tensor (keras.ops.mean) is not one"),
            Mistake("parameters renamed", _accuracy_renamed, "keep the parameter names of the signature "
                    "accuracy_from_probs(y_true, probabilities): a caller may pass them by keyword"),
            Mistake("inputs changed in place", _accuracy_zeroes_the_others_in_place, "leave the caller's labels "
                    "and probabilities as they are (no probabilities[...] = 0, no y_true.sort()): "
                    "np.argmax(probabilities, axis=1) == y_true needs no change to them"),
            Mistake("no shape check", _accuracy_no_shape_check, "check the shapes first: numpy broadcasts "
                    "labels of shape (1,) or (n, 1) against the n predictions without an error"),
            Mistake("labels flattened", _accuracy_flattens_the_labels, "raise ValueError for labels that are not "
                    "1-D instead of flattening them: a column of labels (n, 1) usually means the caller mixed up "
                    "arrays, and the exercise wants them refused"),
            Mistake("ties counted as right", _accuracy_ties_counted_as_right, "take one predicted class per row, "
                    "np.argmax(probabilities, axis=1) (the first largest column on a tie): comparing the true "
                    "class's probability with the row's maximum counts a tie as right for every tied class, so a "
                    "network that outputs equal probabilities would score 100%"),
            Mistake("unit axes dropped", _accuracy_unit_axes_dropped, "raise ValueError unless probabilities.ndim "
                    "== 2 and y_true.ndim == 1, instead of reshaping: probabilities (1, n, k) or (n, 1, k) and labels "
                    "(1, n) have an extra axis the caller did not mean to pass"),
            Mistake("mean of the top probability", _accuracy_max_probability, ""),
            Mistake("length compared before the dimensions", _accuracy_length_before_ndim, "check y_true.ndim (or "
                    "its shape) before its length: len() of a 0-d array raises TypeError, and the exercise wants a "
                    "ValueError for labels that are not 1-D"),
            Mistake("1-D probabilities made one row", _accuracy_1d_made_one_row, "raise ValueError for 1-D "
                    "probabilities instead of making them one row (np.atleast_2d, probabilities[None]): predict "
                    "returns one row per image, shape (1, n_classes) even for a single image, so a 1-D array is not "
                    "what the exercise takes"),
            Mistake("ten classes assumed", _accuracy_ten_classes, "take the argmax over all the columns, "
                    "np.argmax(probabilities, axis=1): there are probabilities.shape[1] classes, not always 10"),
            Mistake("class numbers cast to 8 bits", _accuracy_classes_in_uint8, "compare the class numbers as they "
                    "are, np.argmax(probabilities, axis=1) == y_true: cast to a small integer type (uint8, int8 or "
                    "the labels' own uint8), a class beyond its range wraps round to a small one (300 becomes 44), "
                    "and a model may have hundreds or thousands of classes"),
        ),
    ),
    "predict_one_image": Exercise(
        reference=ref.predict_one_image,
        cases=_predict_cases_with_drawn,
        run=_predict_run,
        untouched_random=(),   # building the case's model draws Keras' seeds; _predict_run checks the answer's draws
        hint="Scale like the training data (/ 255.0), reshape to a batch of one: (1, 28, 28, 1), "
        "then int(np.argmax(model.predict(batch, verbose=0)[0])). Raise ValueError unless the shape is "
        "(28, 28) or (28, 28, 1).",
        mistakes=(
            # round 39 (r399h H1): first, as it is right on every model of at most 256 classes (the last case has 300)
            Mistake("class as an 8-bit number", _predict_class_in_uint8, "return the class as a Python int, "
                    "int(np.argmax(...)): an 8-bit number (np.uint8, the type of the data set's labels) holds classes up "
                    "to 255 only, and class 297 comes back as 41"),
            Mistake("scaled only when above 1", _predict_scaled_when_above_1, "always divide by 255: a raw image "
                    "is 0..255 even when its brightest pixel is 1 (a very dark image), and `if image.max() > 1` "
                    "leaves that one unscaled"),
            Mistake("scaled by the dtype's range", _predict_scaled_by_dtype_range, "divide by 255.0, not by the "
                    "largest value of the image's dtype: tf.image.convert_image_dtype (or np.iinfo(image.dtype).max) "
                    "divides an int64 image of pixels 0..255 by 2**63 - 1"),
            Mistake("float image taken as scaled", _predict_floats_taken_as_scaled, "divide by 255 whatever the "
                    "dtype: a float image of pixels 0..255 is still raw (tf.image.convert_image_dtype and skimage's "
                    "img_as_float leave float images unscaled)"),
            Mistake("no scaling", _predict_without_scaling, "scale the pixels like the training data: "
                    "/ 255.0 (the model was trained on values 0..1, not 0..255)"),
            # before "scaled by 256": on its case, /256 (0.4% darker) gives the same class as this one (0.04%)
            Mistake("scaled by a rounded 1/255", _predict_scaled_by_a_rounded_constant, "divide by 255 (/ 255.0), "
                    "or multiply by 1 / 255 written as a division: a rounded constant such as 0.00392 makes every "
                    "pixel 0.04% darker, enough to change the class of an image close to a class boundary"),
            Mistake("scaled by 256", _predict_scaled_by_256, "divide by 255, the largest pixel value, as the "
                    "training data was: / 256 (or * 0.0039) makes every pixel 0.4% darker, enough to change the class "
                    "of an image near a class boundary"),
            # before "min-max scaled", which stretches a faint ring (pixels 0..87) as dividing by the maximum does
            Mistake("scaled by its own maximum", _predict_scaled_by_own_max, "divide by 255, the largest "
                    "possible pixel value, not by this image's maximum: a faint image must stay faint"),
            # before "scaled twice": on the all-white image (its first failing case) it gives the class of an all-black
            # image, as image // 255 gives on the white image too
            Mistake("min-max scaled", _predict_min_max_scaled, "divide every image by the same 255: min-max scaling, "
                    "(x - x.min()) / (x.max() - x.min()) or sklearn's minmax_scale, stretches each image to 0..1 on its "
                    "own, so an all-white image becomes all black (0 once its minimum is taken off) and a faint one as "
                    "bright as any; the training images were only divided by 255"),
            Mistake("scaled twice", _predict_scaled_twice, "divide by 255 once, as floats: the raw image is 0..255, "
                    "and image // 255 (or image / 255 cast back to uint8) turns every pixel below 255 into 0"),
            Mistake("binarised", _predict_binarised, "keep the grey levels: divide by 255 instead of setting each "
                    "pixel to 0 or 1 (the network was trained on every value between 0 and 1)"),
            Mistake("first and last axes checked", _predict_first_and_last_axes_checked, "compare the whole shape "
                    "with (28, 28) and (28, 28, 1): a (28, 1, 28) array has 28 first and last too, and an axis of "
                    "size 1 in the middle is not a channel axis"),
            Mistake("shape read before its length", _predict_shape_read_before_ndim, "check image.ndim (or compare "
                    "the whole shape) before reading image.shape[1]: a 0-d array or a row of 28 pixels has no second "
                    "axis, and the exercise wants a ValueError, not an IndexError"),
            Mistake("squeezed", _predict_squeezed, "check the shape as given: np.squeeze turns a batch "
                    "(1, 28, 28, 1) into one 28x28 image, but the exercise wants a ValueError for it"),
            Mistake("reshapes the input in place", _predict_reshapes_the_input, "image.shape = (...) reshapes "
                    "the caller's array too; image.reshape(1, 28, 28, 1) returns a new array (a view of the same "
                    "pixels) and leaves the caller's shape alone"),
            Mistake("returns the probabilities", _predict_returns_probabilities, "return the class as an int: "
                    "int(np.argmax(probabilities))"),
            Mistake("parameters renamed", _predict_renamed, "keep the parameter names of the signature "
                    "predict_one_image(model, image): a caller may pass them by keyword"),
            Mistake("no shape check", _predict_no_shape_check, ""),
            Mistake("dropout switched off", _predict_dropout_switched_off, "leave the Dropout layer alone: predict() "
                    "already runs without dropout (it is active in fit() only), and layer.rate = 0 makes every later "
                    "fit() of the caller's model train without it"),
            Mistake("changes the model", _predict_logits_by_changing_the_model, "leave the caller's model as it is: "
                    "setting an activation, trainable or compile() on it changes it for every later cell; for the "
                    "class, np.argmax of what model.predict returns is enough"),
            Mistake("only the number of dimensions checked", _predict_checks_only_ndim, "check the shape itself, "
                    "(28, 28) or (28, 28, 1): a 14x56 image also has 784 pixels, and reshape scrambles it into a "
                    "28x28 one without an error"),
            Mistake("progress output switched off", _predict_progress_switched_off, "pass verbose=0 to predict: "
                    "keras.utils.disable_interactive_logging() also silences every later fit() in the notebook"),
            Mistake("training mode", _predict_in_training_mode, "predict in inference mode: model(batch, "
                    "training=True) keeps dropout switching random units off, so the same image gets a random class; "
                    "model.predict(batch, verbose=0) runs without it"),
            Mistake("ten classes assumed", _predict_ten_classes, "take the number of classes from the model's output "
                    "(np.argmax of the whole row): a model may have 5 outputs, as the lesson's pretrained model, or "
                    "any other number"),
            Mistake("centred", _predict_centred, "scale like the training data, image / 255 (0 for black, 1 for "
                    "white), and nothing more: centring the pixels to -1..1 ((x - 127.5) / 127.5, as some pretrained "
                    "models' preprocess_input does), standardising each image ((x - x.mean()) / x.std()) or inverting "
                    "it (1 - x / 255) gives the network values unlike any it was trained on"),
            Mistake("random seed set", _predict_seeded, "leave the random generators alone: predict() gives the "
                    "same output every time without a seed, and keras.utils.set_random_seed(0) restarts every later "
                    "random draw of the notebook from 0"),
        ),
        time_limit=10.0,  # a build or first predict takes up to 2 s on a loaded 2-core machine
    ),
}

# Lesson 05 is split in three notebooks; each exercise is checked in the part named here.
NOTEBOOKS = {
    "05a_keras_and_convolution": ("conv2d_valid", "conv_output_size"),
    "05b_cnn": ("build_cnn", "cnn_param_count", "accuracy_from_probs"),
    "05c_cnn_in_practice": ("predict_one_image",),
}
