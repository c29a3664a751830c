"""Interactive figures of the course: a pure function computes, a thin ipywidgets layer controls."""
from .attribution import (ATTRIBUTION_METHODS, ATTRIBUTION_MODELS, AttributionExplorer, attribution_maps,
                          demo_explorer, scaled)
from .explorer import Explorer
from .neuron import GATES, OUTPUT_RANGE, NeuronExplorer, boundary_line, neuron_surface
from .optimizer_lab import (LAB_LOSS_RANGE, LAB_LRS, OPTIMIZERS, REGIMES, LearningRateLab, OptimizerRace,
                            classify_runs, lr_sweep, nearest_index, stacked_loss_and_grads)

__all__ = ["Explorer", "GATES", "OUTPUT_RANGE", "NeuronExplorer", "boundary_line", "neuron_surface",
           "LAB_LOSS_RANGE", "LAB_LRS", "OPTIMIZERS", "REGIMES", "LearningRateLab", "OptimizerRace",
           "classify_runs", "lr_sweep", "nearest_index", "stacked_loss_and_grads",
           "ATTRIBUTION_METHODS", "ATTRIBUTION_MODELS", "AttributionExplorer", "attribution_maps", "demo_explorer",
           "scaled"]
