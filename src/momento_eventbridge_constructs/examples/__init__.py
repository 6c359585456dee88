"""Example apps built from the constructs, shipped with the package.

:mod:`momento_eventbridge_constructs.examples.weather` is the weather-stats example: import its
stacks, or synthesize it with ``python -m momento_eventbridge_constructs.examples.weather``.
"""
