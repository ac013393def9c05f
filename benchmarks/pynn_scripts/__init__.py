"""Simulator-independent PyNN scripts run through pyNN.nest, neurosim.pynn and pyNN.brian2 alike
(tests/test_pynn_nest.py, benchmarks/pynn_coba.py).  Each module has ``run(sim, **options)``
taking the PyNN backend module and returning plain numpy spike data and run metadata."""
