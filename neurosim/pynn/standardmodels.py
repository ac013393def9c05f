"""PyNN's standard cell, synapse and STDP component types for ``neurosim.pynn``.

The backend keeps every parameter under its PyNN name and in PyNN's units (ms, mV, nF, nA, µS,
Hz): the translations are the identity, so ``Population.get`` and ``Projection.get`` return
exactly what was set.  The conversion to neurosim's units and models (nF -> pF, nA -> pA,
µS -> nS; IF_* -> LIFCurr/LIFCond, EIF_* -> AdEx) happens once, where the network is laid out
(:mod:`neurosim.pynn.translate`).

Cell types: IF_curr_exp, IF_cond_exp, IF_curr_alpha, IF_cond_alpha, IF_curr_delta,
EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista, SpikeSourcePoisson, SpikeSourceArray,
SpikeSourceGamma, SpikeSourcePoissonRefractory.  Synapse types: StaticSynapse,
TsodyksMarkramSynapse, SimpleStochasticSynapse (release probability p: neurosim's
``release_probability``, NEST's ``bernoulli_synapse``), STDPMechanism with SpikePairRule and AdditiveWeightDependence,
MultiplicativeWeightDependence, AdditivePotentiationMultiplicativeDepression or
GutigWeightDependence.  Models neurosim does not have (HH_cond_exp, Izhikevich, ...) raise
NotImplementedError when created.
"""
from __future__ import annotations

from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import cells, synapses, receptors, build_translations
from pyNN.standardmodels.base import ModelNotAvailable

from .simulator import state


def _identity(base, extra=()):
    return build_translations(*[(k, k) for k in list(base.default_parameters) + list(extra)])


def _cell(base):
    """A backend cell class over PyNN's ``base`` with identity translations."""
    return type(base.__name__, (base,), {"__doc__": base.__doc__, "translations": _identity(base),
                                         "__module__": __name__})


IF_curr_exp = _cell(cells.IF_curr_exp)
IF_cond_exp = _cell(cells.IF_cond_exp)
IF_curr_alpha = _cell(cells.IF_curr_alpha)
IF_cond_alpha = _cell(cells.IF_cond_alpha)
IF_curr_delta = _cell(cells.IF_curr_delta)
EIF_cond_exp_isfa_ista = _cell(cells.EIF_cond_exp_isfa_ista)
EIF_cond_alpha_isfa_ista = _cell(cells.EIF_cond_alpha_isfa_ista)
SpikeSourcePoisson = _cell(cells.SpikeSourcePoisson)
SpikeSourceArray = _cell(cells.SpikeSourceArray)
SpikeSourceGamma = _cell(cells.SpikeSourceGamma)
SpikeSourcePoissonRefractory = _cell(cells.SpikeSourcePoissonRefractory)


# components of PyNN's composed PointNeuron(neuron, **named receptors)
LIF = _cell(cells.LIF)
AdExp = _cell(cells.AdExp)


def _psr(base):
    """A receptor component recording its state (``gsyn`` µS or ``isyn`` nA)."""
    cls = _cell(base)
    cls.recordable = list(base.default_initial_values)
    return cls


CurrExpPostSynapticResponse = _psr(receptors.CurrExpPostSynapticResponse)
CondExpPostSynapticResponse = _psr(receptors.CondExpPostSynapticResponse)
CondAlphaPostSynapticResponse = _psr(receptors.CondAlphaPostSynapticResponse)
CondBetaPostSynapticResponse = _psr(receptors.CondBetaPostSynapticResponse)
AlphaPSR = CondAlphaPostSynapticResponse
ExpPSR = CondExpPostSynapticResponse


class PointNeuron(cells.PointNeuron):
    """PyNN's composed point neuron: a ``LIF`` or ``AdExp`` neuron with named post-synaptic
    receptors (``AMPA=CondAlphaPostSynapticResponse(tau_syn=1.0, e_syn=0.0), ...``), each a
    neurosim receptor channel of that name (``receptor_type="AMPA"``; recorded as
    ``"AMPA.gsyn"`` or ``"AMPA.isyn"``).  Parameters are flat: the neuron's by name, a
    receptor's as ``"AMPA.tau_syn"``."""

    @property
    def native_parameters(self):
        values = {name: value for name, value in self.neuron.parameter_space.items()}
        for rname, psr in self.post_synaptic_receptors.items():
            for name, value in psr.parameter_space.items():
                if name != "locations":
                    values[f"{rname}.{name}"] = value
        return ParameterSpace(values, schema=None, shape=self.parameter_space.shape)

    def get_schema(self):
        schema = dict(self.neuron.get_schema())
        for rname, psr in self.post_synaptic_receptors.items():
            schema.update({f"{rname}.{k}": v for k, v in psr.get_schema().items() if k != "locations"})
        return schema

    def get_parameter_names(self):
        return list(self.get_schema())

    def has_parameter(self, name):
        return name in self.get_schema()

    def translate(self, parameters, copy=True):
        return ParameterSpace(dict(parameters.items()), schema=None, shape=parameters.shape)

    def reverse_translate(self, native_parameters):
        return ParameterSpace(dict(native_parameters.items()), schema=None, shape=native_parameters.shape)

    def get_native_names(self, *names):
        return list(names) if names else list(self.get_schema())

    def computed_parameters(self):
        return []

    def computed_parameters_include(self, parameter_names):
        return False


class HH_cond_exp(ModelNotAvailable):
    """Not available in neurosim (no Hodgkin-Huxley model)."""


class Izhikevich(ModelNotAvailable):
    """Not available in neurosim."""


class IF_cond_exp_gsfa_grr(ModelNotAvailable):
    """Not available in neurosim."""


def _minimum_delay():
    d = state.min_delay_setting()
    return state.dt if d == "auto" else d


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        return _minimum_delay()


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"), ("U", "U"),
                                      ("tau_rec", "tau_rec"), ("tau_facil", "tau_facil"))

    def _get_minimum_delay(self):
        return _minimum_delay()


class SimpleStochasticSynapse(synapses.SimpleStochasticSynapse):
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"), ("p", "p"))

    def _get_minimum_delay(self):
        return _minimum_delay()


class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction", "dendritic_delay_fraction"))

    def _build_translations(self):
        self.translations = dict(self.base_translations)   # never the class's own dict
        for component in (self.timing_dependence, self.weight_dependence, self.voltage_dependence):
            if component:
                self.translations.update(component.translations)

    def _get_minimum_delay(self):
        return _minimum_delay()


def _component(base, extra=()):
    return type(base.__name__, (base,), {"__doc__": base.__doc__, "translations": _identity(base, extra),
                                         "possible_models": {"stdp"}, "__module__": __name__})


SpikePairRule = _component(synapses.SpikePairRule)
AdditiveWeightDependence = _component(synapses.AdditiveWeightDependence)
MultiplicativeWeightDependence = _component(synapses.MultiplicativeWeightDependence)
AdditivePotentiationMultiplicativeDepression = _component(synapses.AdditivePotentiationMultiplicativeDepression)
GutigWeightDependence = _component(synapses.GutigWeightDependence)
