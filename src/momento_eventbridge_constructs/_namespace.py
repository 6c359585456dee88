"""The namespaces of the packages: lazy ones, and published ones with their submodules.

``publication.publish()`` cannot serve such a package: it resolves every name of ``__all__``
at once, which imports them all (aws-cdk-lib with them), and it does so after putting a new,
empty module in ``sys.modules``, before copying ``__path__`` to it, so the first submodule
import fails with "... is not a package". The lazy packages keep their own module instead and
hold nothing but ``__all__``, dunders and the ``__getattr__`` and ``__dir__`` made here: an
implementation detail cannot be imported from them either.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

Getattr = Callable[[str], Any]
Dir = Callable[[], list[str]]


def lazy_exports(namespace: Mapping[str, Any], exports: Mapping[str, str]) -> tuple[Getattr, Dir]:
    """The ``__getattr__`` and ``__dir__`` of a package that imports its public names lazily.

    Args:
        namespace: the package's ``globals()`` (read, never written).
        exports: each lazily imported name and the relative module that defines it.
    """
    package = str(namespace["__name__"])
    exports = dict(exports)

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution``; ``0+unknown`` in a source tree that is not
    installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "0+unknown"


def attach_submodules(package: str) -> None:
    """Make the submodules imported so far attributes of the published ``package``.

    A submodule becomes an attribute of the module ``sys.modules`` holds for its package when it
    is imported: those the package's ``__init__`` imported before ``publish()`` are attributes of
    what is now ``_private``, so ``import package.sub`` then ``package.sub`` would fail.
    jsii-built packages import their submodules after ``publish()`` for the same reason.

    Args:
        package: the ``__name__`` of a package that has just called ``publish()``.
    """
    public = sys.modules[package]
    prefix = package + "."
    for name, module in list(sys.modules.items()):
        child = name.removeprefix(prefix)
        if name.startswith(prefix) and "." not in child and child != "_private":
            setattr(public, child, module)
