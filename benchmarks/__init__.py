"""Performance suite: model speed against Mesa's Boltzmann wealth reference, scaling, and the
study and dashboard figures collected by ``python -m benchmarks.run`` (``make bench``)."""
