"""Each public module publishes its ``__all__`` and nothing else, as jsii-built libraries do.

A public module (no part of its name starts with ``_``) ends with ``publication.publish()``:
``sys.modules`` then holds a module with the names of ``__all__`` only, and the module that ran
is ``<module>._private``. The packages that import their public names on first use cannot
(publish() would import every name at once) and keep an equally clean namespace by hand.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import sys
import typing
from pathlib import Path
from types import ModuleType

import pytest

import momento_eventbridge_constructs

PACKAGE = "momento_eventbridge_constructs"
# The lazy packages: their namespace is __all__, dunders, __getattr__ and __dir__ only.
LAZY = {PACKAGE, f"{PACKAGE}.local", f"{PACKAGE}.testing"}
# What publish() copies besides __all__ (those the module has).
PUBLISHED_DUNDERS = {
    "__all__",
    "__cached__",
    "__doc__",
    "__file__",
    "__loader__",
    "__name__",
    "__package__",
    "__path__",
    "__spec__",
}
LAZY_DUNDERS = PUBLISHED_DUNDERS | {"__builtins__", "__dir__", "__getattr__", "__version__"}


def public_modules() -> list[str]:
    """Every module of the package whose name has no part starting with ``_``."""
    found = [PACKAGE]
    for info in pkgutil.walk_packages(momento_eventbridge_constructs.__path__, f"{PACKAGE}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return found


def submodules(module: ModuleType) -> dict[str, ModuleType]:
    """The attributes of ``module`` that are its imported submodules."""
    prefix = module.__name__ + "."
    return {
        name: value
        for name, value in vars(module).items()
        if name != "_private" and sys.modules.get(prefix + name) is value
    }


def namespace_problems(name: str) -> list[str]:
    """How the namespace of module ``name`` breaks the rule (empty when it keeps it)."""
    module = importlib.import_module(name)
    # Not identifiers, so never importable: pytest's assertion rewriting adds @py_builtins and
    # @pytest_ar to the modules of a package that provides a plugin.
    names = {key for key in vars(module) if key.isidentifier()} - set(submodules(module))
    exported = set(module.__all__)
    problems = [
        f"{name}: {gone} in __all__ is missing" for gone in exported if not hasattr(module, gone)
    ]
    if name in LAZY:
        extra = names - exported - LAZY_DUNDERS
        problems += [f"{name}: lazy package keeps {sorted(extra)}"] if extra else []
        return problems
    private = vars(module).get("_private")
    if not isinstance(private, ModuleType) or sys.modules.get(f"{name}._private") is not private:
        return [*problems, f"{name}: not published (no _private: end it with publish())"]
    extra = names - exported - PUBLISHED_DUNDERS - {"_private"}
    problems += [f"{name}: publishes {sorted(extra)} outside __all__"] if extra else []
    prefix = f"{name}."
    for loaded in [other for other in sys.modules if other.startswith(prefix)]:
        child = loaded.removeprefix(prefix)
        if "." not in child and child != "_private" and getattr(module, child, None) is None:
            problems.append(f"{name}: imported submodule {child} is not an attribute")
    return problems


def test_every_public_module_publishes_its_all_and_nothing_else() -> None:
    names = public_modules()
    # The walk reaches every subpackage, so a module added anywhere is held to the rule.
    assert {
        f"{PACKAGE}.pipe",
        f"{PACKAGE}.cli.parser",
        f"{PACKAGE}.examples.weather.stacks",
        f"{PACKAGE}.local.runtime",
        f"{PACKAGE}.ops.verify",
        f"{PACKAGE}.testing.pytest_plugin",
    } <= set(names)
    assert set(names) >= LAZY
    assert [problem for name in names for problem in namespace_problems(name)] == []


@pytest.mark.parametrize(
    ("module", "detail"),
    [
        ("pipe", "PipeBackedConstruct"),  # its base class, from a private module
        ("pipe", "invoke_statement"),
        ("pipe", "Construct"),
        ("sync", "SyncDefinition"),
        ("payload", "check_template_syntax"),
        ("connection", "implements"),
        ("api_destination", "check_connection"),
        ("endpoint", "is_token"),
        ("enums", "Enum"),
        ("cli.parser", "argparse"),
        ("examples.weather.stacks", "cdk"),
        ("local.runtime", "PipeResolver"),
        ("ops.verify", "OpsContext"),
        ("ops.backfill", "OpsContext"),
        ("testing.cache", "StackRenderer"),
    ],
)
def test_an_implementation_detail_of_a_public_module_cannot_be_imported(
    module: str, detail: str
) -> None:
    published = importlib.import_module(f"{PACKAGE}.{module}")
    assert hasattr(published._private, detail)  # the module does use it
    with pytest.raises(ImportError, match=f"cannot import name '{detail}'"):
        exec(f"from {PACKAGE}.{module} import {detail}", {})
    exec(f"from {PACKAGE}.{module}._private import {detail}", {})


@pytest.mark.parametrize(
    ("package", "detail"),
    [
        ("", "installed_version"),
        ("", "TYPE_CHECKING"),
        (".local", "lazy_exports"),
        (".local", "TYPE_CHECKING"),
        (".testing", "lazy_exports"),
    ],
)
def test_a_lazy_package_imports_nothing_but_its_api(package: str, detail: str) -> None:
    module = importlib.import_module(PACKAGE + package)
    assert detail in Path(str(module.__file__)).read_text()  # the package does use it
    with pytest.raises(ImportError, match=f"cannot import name '{detail}'"):
        exec(f"from {PACKAGE}{package} import {detail}", {})


def test_the_version_and_the_lazy_names_stay_reachable() -> None:
    assert momento_eventbridge_constructs.__version__ == importlib.metadata.version(
        "momento-eventbridge-constructs"
    )
    assert "DynamoToMomentoPipe" in dir(momento_eventbridge_constructs)
    from momento_eventbridge_constructs.local import LocalPipeline
    from momento_eventbridge_constructs.testing import wait_for_cache

    assert LocalPipeline.__module__ == f"{PACKAGE}.local.runtime"
    assert wait_for_cache.__module__ == f"{PACKAGE}.testing.cache"


def test_a_submodule_of_a_published_package_is_its_attribute() -> None:
    import momento_eventbridge_constructs.ops.canary

    # canary is imported by ops/__init__ before publish(): still an attribute of the package.
    assert momento_eventbridge_constructs.ops.canary is sys.modules[f"{PACKAGE}.ops.canary"]


def test_type_hints_of_a_published_class_resolve_in_its_private_module() -> None:
    from momento_eventbridge_constructs.ops import backfill

    # The public module lacks the names the annotations use (Path); the private one has them.
    with pytest.raises(NameError, match="Path"):
        typing.get_type_hints(backfill.BackfillOptions)
    hints = typing.get_type_hints(backfill.BackfillOptions, globalns=vars(backfill._private))
    assert hints["state_file"] == Path | None
