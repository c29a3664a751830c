"""Split this machine's CPU into logical TensorFlow devices, so MirroredStrategy has replicas to mirror."""
from __future__ import annotations


def split_cpu(n: int) -> list[str]:
    """Make ``n`` logical CPU devices and return their names.

    TensorFlow fixes its devices when its runtime starts (the first op, tensor or model), so call this
    right after ``import tensorflow`` and before anything else in TensorFlow, or in a fresh process.
    """
    import tensorflow as tf

    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError as err:       # the runtime already started: fine only if it has the devices we want
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise RuntimeError(f"TensorFlow is already initialised with {len(tf.config.list_logical_devices('CPU'))} "
                               f"CPU device(s); restart the kernel and call split_cpu({n}) before any other "
                               "TensorFlow code") from err
    return [device.name for device in tf.config.list_logical_devices("CPU")]
