"""Small helpers shared by test modules."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require_tool(name: str) -> str:
    """The path of an external program; skip without it, unless CI is set (then fail)."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required under CI (scripts/install-system-deps.sh installs it)")
    pytest.skip(f"{name} not installed")


def pantau_main(
    args: list[str] | tuple[str, ...],
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess:
    """`pantau *args` run in this process through `daemon.operator.cli.main(argv)`, as a
    subprocess would run it: `env` replaces the whole environment for the call (as `env=` of
    subprocess.run does; None keeps it), stdin reads `input`, `cwd` is the working directory
    meanwhile, and the exit code, stdout and stderr come back as a CompletedProcess. What main()
    changes for the process is put back afterwards: the environment, the working directory,
    sys.stdin/stdout/stderr, the `pantau` logger (logsetup.setup), its time zone and the secrets
    it masks, so one call leaks nothing into the next test. For commands that must be real processes
    (`pantau run`, a daemon that is signalled or killed) use subprocess."""
    import io
    import logging
    import sys
    import traceback

    from daemon.operator.cli import main
    from daemon.shell import logsetup

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_io = sys.stdin, sys.stdout, sys.stderr
    logger = logging.getLogger("pantau")
    saved_log = (list(logger.handlers), logger.level, logger.propagate, logsetup._tz)
    saved_secrets = list(logsetup._secrets)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    sys.stdin = io.TextIOWrapper(io.BytesIO((input or "").encode()), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's usage errors and --help
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except Exception:  # what the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_io
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for h in list(logger.handlers):
            if h not in saved_log[0]:
                logger.removeHandler(h)
                h.close()
        for h in saved_log[0]:
            if h not in logger.handlers:
                logger.addHandler(h)
        logger.setLevel(saved_log[1])
        logger.propagate = saved_log[2]
        logsetup._tz = saved_log[3]
        logsetup._secrets[:] = saved_secrets
    return subprocess.CompletedProcess(
        ["pantau", *args],
        code or 0,
        out.buffer.getvalue().decode("utf-8", "replace"),
        err.buffer.getvalue().decode("utf-8", "replace"),
    )
