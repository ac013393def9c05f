"""When things happen: the fixed step schedule (schedule.py, followed by kernels/*/chunk.py),
recorders, the run loop."""
