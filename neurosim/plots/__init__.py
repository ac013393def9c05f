"""Plots of results: each function takes a :class:`~neurosim.result.Result` or the path of a
result file and an optional matplotlib Axes, returns the Figure, and never re-simulates.

Figures are made on the Agg canvas (no display, no pyplot state); save them with
``fig.savefig("raster.png")``.  In a notebook the returned Figure displays inline.
"""
from .raster import raster, raster_points, subset_neurons
from .rates import plot_rates, population_rates
from .traces import plot_traces
from .isi import plot_isi, plot_cv, intervals, cv_values
from .weights import plot_weight_matrix, plot_weight_hist, plot_weights, weight_matrix
from ._common import as_result, new_figure

plot_raster = raster

__all__ = ["raster", "plot_raster", "raster_points", "subset_neurons", "plot_rates", "population_rates", "plot_traces",
           "plot_isi", "plot_cv", "intervals", "cv_values", "plot_weight_matrix", "plot_weight_hist",
           "plot_weights", "weight_matrix", "as_result", "new_figure"]
