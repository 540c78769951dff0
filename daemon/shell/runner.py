"""`pantau run`'s loop moved to daemon/shell/runners/scheduler.py (the runners live together).

This name stays importable because `daemon/operator/cli.py` imports `Daemon` from it and is
being split by another hand in the same round; the import there can move when that lands.
"""

from daemon.shell.runners.scheduler import MAX_WAIT_S, Daemon, StopRequested, WakeRequested

__all__ = ["MAX_WAIT_S", "Daemon", "StopRequested", "WakeRequested"]
