"""Exercises of lesson 05 (Keras, from linear regression to a CNN on MNIST).

Keras is imported inside the functions that need it, never at module level.
"""
from __future__ import annotations

import functools

import numpy as np

from ..checks import Case, Exercise, Mismatch, compare_values


def conv2d_valid(image, kernel):
    """Slide ``kernel`` over ``image`` without padding (what Keras' Conv2D computes for one channel)."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D, got shapes {image.shape} and {kernel.shape}")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError(f"kernel {kernel.shape} is larger than image {image.shape}")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def cnn_param_count(filters1, filters2, n_classes=10, size=28, kernel=3):
    """Weights + biases of Conv2D(filters1)->MaxPool->Conv2D(filters2)->MaxPool->Flatten->Dense(n_classes)."""
    for name, value in (("filters1", filters1), ("filters2", filters2), ("n_classes", n_classes),
                        ("size", size), ("kernel", kernel)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2  # conv (valid) -> pool /2 -> conv -> pool /2
    if side < 1:
        raise ValueError(f"a {size}x{size} image is too small for two {kernel}x{kernel} convolutions and pools")
    conv1 = (kernel * kernel * 1 + 1) * filters1
    conv2 = (kernel * kernel * filters1 + 1) * filters2
    dense = (side * side * filters2 + 1) * n_classes
    return int(conv1 + conv2 + dense)


def build_cnn(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    """The lesson's CNN for 28x28x1 images, ending in a softmax over ``n_classes``."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters1, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(dropout),
        layers.Dense(n_classes, activation="softmax"),
    ])


def accuracy_from_probs(y_true, probabilities):
    """Fraction of rows of ``probabilities`` whose largest entry is at the true class."""
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2:
        raise ValueError(f"probabilities must have shape (n, n_classes), got {probabilities.shape}")
    if y_true.shape != (len(probabilities),):
        raise ValueError(f"y_true must have shape ({len(probabilities)},), got {y_true.shape}")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def predict_one_image(model, image):
    """The class a Keras model predicts for one 28x28 uint8 image (0..255), as an int."""
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    batch = image.reshape(1, 28, 28, 1).astype("float32") / 255.0
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


# ----------------------------------------------------------------------------- cases and runs
def _conv_cases():
    rng = np.random.default_rng(5)
    return [
        Case((np.arange(25.0).reshape(5, 5), np.array([[1.0, 0, -1], [1, 0, -1], [1, 0, -1]])),
             label="5x5 image, vertical-edge kernel"),
        Case((rng.normal(size=(7, 6)), rng.normal(size=(2, 3))), label="non-square image and kernel"),
        Case((rng.normal(size=(3, 3)), rng.normal(size=(3, 3))), label="kernel as large as the image"),
        Case((1e6 * rng.normal(size=(28, 28)), rng.normal(size=(3, 3))), label="a large 28x28 image"),
        Case((rng.normal(size=(2, 2)), rng.normal(size=(3, 3))), label="kernel larger than the image", raises=ValueError),
        Case((rng.normal(size=(1, 5, 5)), rng.normal(size=(3, 3))), label="a 3-D image", raises=ValueError),
    ]


def _param_cases():
    return [
        Case((16, 32), label="the lesson's CNN"),
        Case((1, 1), label="one filter per layer"),
        Case((64, 128), {"n_classes": 100}, label="large layers, 100 classes"),
        Case((8, 8), {"size": 32, "kernel": 5}, label="32x32 images, 5x5 kernels"),
        Case((0, 32), label="zero filters", raises=ValueError),
    ]


def _build_run(builder, case):
    """Build the model and return numbers to compare: parameters, output shape, layer counts, row sums."""
    import keras

    keras.utils.set_random_seed(0)
    model = builder(*case.args, **case.kwargs)
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_cnn must return a keras model, got {type(model).__name__}")
    kinds = [type(layer).__name__ for layer in model.layers]
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    out = np.asarray(model(x, training=False))
    return (model.count_params(), out.shape, kinds.count("Conv2D"), kinds.count("MaxPooling2D"),
            kinds.count("Dropout"), out.sum(axis=1))


def _build_compare(got, want):
    names = ("parameter count", "output shape", "number of Conv2D layers", "number of MaxPooling2D layers",
             "number of Dropout layers", "softmax rows summing to 1")
    for name, g, w in zip(names, got, want):
        try:
            compare_values(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5)
        except Mismatch as mismatch:
            raise Mismatch(f"{name}: {mismatch}") from None


def _accuracy_cases():
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.ones(10), size=1000)
    return [
        Case((np.array([0, 1, 2]), np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1]])),
             label="two of three right"),
        Case((np.array([3]), np.eye(5)[[3]]), label="a batch of one"),
        Case((rng.integers(0, 10, 1000), probs), label="1000 random predictions"),
        Case((np.array([0, 1]), np.eye(3)), label="3 predictions for 2 labels", raises=ValueError),
        Case((np.array([0, 1, 2]), np.array([0.1, 0.2, 0.7])), label="1-D probabilities", raises=ValueError),
    ]


@functools.lru_cache(maxsize=1)
def _predict_model():
    import keras

    keras.utils.set_random_seed(3)
    return build_cnn(4, 8)


def _predict_cases():
    rng = np.random.default_rng(11)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    return [
        Case((images[0],), label="a 28x28 uint8 image"),
        Case((images[1][..., None],), label="a 28x28x1 image"),
        Case((np.full((28, 28), 255, dtype=np.uint8),), label="an all-white image (large pixel values)"),
        Case((images[2][:20, :20],), label="a 20x20 image", raises=ValueError),
    ]


def _predict_run(answer, case):
    result = answer(_predict_model(), *case.args)
    if not isinstance(result, (int, np.integer)):
        raise TypeError(f"predict_one_image must return an int class, got {type(result).__name__} {result!r}")
    return int(result)


EXERCISES = {
    "conv2d_valid": Exercise(
        reference=conv2d_valid,
        cases=_conv_cases,
        hint="The output has shape (H - kh + 1, W - kw + 1); out[i, j] = np.sum(image[i:i+kh, j:j+kw] * kernel). "
        "No flipping of the kernel: Keras (like every framework) computes a cross-correlation. "
        "Raise ValueError for non-2-D inputs or a kernel larger than the image.",
        rtol=1e-9, atol=1e-9,
    ),
    "cnn_param_count": Exercise(
        reference=cnn_param_count,
        cases=_param_cases,
        hint="A Conv2D layer has (kernel*kernel*in_channels + 1) * filters parameters; a Dense layer "
        "(inputs + 1) * units. A valid 3x3 convolution takes 2 pixels off each side length, a 2x2 pool halves "
        "it (rounding down): 28 -> 26 -> 13 -> 11 -> 5. Raise ValueError for a count < 1.",
    ),
    "build_cnn": Exercise(
        reference=build_cnn,
        cases=lambda: [Case(), Case((8, 16), {"n_classes": 3, "dropout": 0.5}, label="8 and 16 filters, 3 classes"),
                       Case((0, 16), label="zero filters (Keras raises ValueError)", raises=ValueError)],
        run=_build_run,
        compare=_build_compare,
        hint="keras.Sequential([keras.Input(shape=(28, 28, 1)), Conv2D(filters1, 3, activation='relu'), "
        "MaxPooling2D(2), Conv2D(filters2, 3, activation='relu'), MaxPooling2D(2), Flatten(), Dropout(dropout), "
        "Dense(n_classes, activation='softmax')]).",
    ),
    "accuracy_from_probs": Exercise(
        reference=accuracy_from_probs,
        cases=_accuracy_cases,
        hint="The predicted class is np.argmax(probabilities, axis=1); the accuracy is the mean of "
        "(predicted == y_true) as a float. Raise ValueError if probabilities is not 2-D or the lengths differ.",
    ),
    "predict_one_image": Exercise(
        reference=predict_one_image,
        cases=_predict_cases,
        run=_predict_run,
        hint="Scale like the training data (/ 255.0), reshape to a batch of one: (1, 28, 28, 1), "
        "then int(np.argmax(model.predict(batch, verbose=0)[0])). Raise ValueError unless the shape is "
        "(28, 28) or (28, 28, 1).",
    ),
}
