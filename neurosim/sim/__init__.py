"""When things happen: the fixed step schedule (kernels/*/chunk.py), recorders, the run loop."""
