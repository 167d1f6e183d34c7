"""The pieces of cca's benchmark (bench/run.py is the command): timing, inputs, peers, scenarios, reports.

Standard library only, like the command; the peers it compares cca with are found at run time.
"""
