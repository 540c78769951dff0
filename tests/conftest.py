"""Shared fixtures. `demo_office`: one whole demo cycle (≈8 s), run once per test session (per
pytest-xdist worker) and shared read-only by the tests that inspect what a finished cycle leaves
behind.

Under `CI` (set to anything) no test may skip: a skip is turned into a failure that names what
was missing, whichever way the test asked for it (skip, skipif, importorskip). The hooks run in
the xdist workers, whose reports the controller prints as they are.

Under pytest-xdist (`make test`: `--dist loadfile --no-loadscope-reorder`) the longest files are
collected first, so they start at once on different workers and the many short files fill the
end of the run on whichever worker is free."""

from __future__ import annotations

import os

import pytest

# The longest files (setup + call of all their tests, from `--durations` runs on the 2-core
# machine), longest first; every other file follows in its usual order. Only the order of whole
# files changes, never the order inside a file.
LONGEST_FIRST = (
    "test_crash.py",  # the crash harness: ~2-3 min alone
    "test_forged_approval.py",
    "test_faults.py",
    "test_forged_approval_more.py",
    "test_safety_net.py",
    "test_pages.py",
    "test_hostile.py",
    "test_web_browser.py",
    "test_year_cycles.py",
    "test_documents.py",
    "test_form_reading.py",
    "test_mime.py",
    "test_pdf_reliability.py",
    "test_web_rules.py",
    "test_schedule.py",
    "test_trust.py",
    "test_inspect_corpus.py",
    "test_unclear_reply_office.py",
    "test_web_security.py",
    "test_bench_smoke.py",
    "test_cycle_imap.py",
    "test_restart_in_s4.py",
    "test_reply_grammar.py",
)


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the usual order
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must not happen: {reason}"


@pytest.fixture(scope="session")
def office_factory(tmp_path_factory):
    """`office_factory(root=None, **options)`: a new office (tests/offices.py `new_office`: what
    `pantau init` makes, then `stack`, `users`, `sections`, `edit`, `secret` as the test needs),
    at `root` or in a fresh temporary folder. Session-wide, so module fixtures can use it too."""
    from offices import new_office

    def make(root=None, **options):
        return new_office(root or tmp_path_factory.mktemp("office") / "kantor", **options)

    return make


@pytest.fixture(scope="session")
def demo_office(tmp_path_factory):
    from daemon.demo.simulation import run_demo

    target = tmp_path_factory.mktemp("demo")
    log = target / "demo.log"
    with log.open("w") as f:
        rc = run_demo(target, out=f)
    assert rc == 0, log.read_text()
    return target


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:  # a module-level skip or importorskip
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"module skipped under CI, which must not happen: {reason}"
