"""Lesson 05's library: a convolution in numpy, output sizes, parameter counts, and the lesson's Keras CNN.

Used by 05a (``conv2d_valid``, ``conv_output_size``), 05b (``build_cnn``, ``cnn_param_count``,
``accuracy_from_probs``) and 05c (``build_cnn``, ``accuracy_from_probs``, ``predict_one_image``).
Keras is imported inside the functions that need it, never at module level.
"""
from __future__ import annotations

import numpy as np


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


def conv_output_size(n, kernel, padding=0, stride=1):
    """Side length of a convolution's (or pooling's) output: floor((n + 2*padding - kernel) / stride) + 1."""
    for name, value, low in (("n", n, 1), ("kernel", kernel, 1), ("padding", padding, 0), ("stride", stride, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")
    n, kernel, padding, stride = int(n), int(kernel), int(padding), int(stride)  # np.int8(100) + 100 wraps around
    if kernel > n + 2 * padding:
        raise ValueError(f"a {kernel}-wide kernel does not fit into {n} + 2*{padding} pixels")
    return (n + 2 * padding - kernel) // stride + 1


def cnn_param_count(filters1, filters2, n_classes=10, size=28, kernel=3):
    """Weights + biases of Conv2D(filters1)->MaxPool->Conv2D(filters2)->MaxPool->Flatten->Dense(n_classes)."""
    for name, value in (("filters1", filters1), ("filters2", filters2), ("n_classes", n_classes),
                        ("size", size), ("kernel", kernel)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    filters1, filters2, n_classes, size, kernel = (int(v) for v in (filters1, filters2, n_classes, size, kernel))
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2  # conv (valid) -> pool /2 -> conv -> pool /2
    if side < 1:
        raise ValueError(f"a {size}x{size} image is too small for two {kernel}x{kernel} convolutions and pools")
    conv1 = (kernel * kernel * 1 + 1) * filters1
    conv2 = (kernel * kernel * filters1 + 1) * filters2
    dense = (side * side * filters2 + 1) * n_classes
    return conv1 + conv2 + dense


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
