"""Example apps built from the constructs, shipped with the package.

:mod:`momento_eventbridge_constructs.examples.weather` is the weather-stats example: import its
stacks, or synthesize it with ``python -m momento_eventbridge_constructs.examples.weather``.
"""

from publication import publish

from .._namespace import attach_submodules

__all__: list[str] = []

publish()
attach_submodules(__name__)
