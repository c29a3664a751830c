"""Distributed data-parallel training (lesson 08, 08a-08b).

- ``data_parallel``: shard gradients, ring all-reduce and DistributedSampler's indices, in numpy;
- ``scaling``: the paper model of speed-up (compute versus all-reduce time) and the large-batch learning rate;
- ``launch``: run a script under torchrun from a notebook, safely;
- ``ddp_train``: the torchrun training script (DistributedSampler + DDP) and its single-process twin;
- ``tf_devices``: split the CPU into logical TensorFlow devices for ``MirroredStrategy``.

torch and TensorFlow are imported inside the functions that need them.
"""
