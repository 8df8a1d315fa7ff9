"""The launcher's plan (``config.launch.build_plan``): what ``make demo`` runs, and what it does not outside demo mode."""
from __future__ import annotations

import socket

from config import launch

ENV = {"DATABASE_URL": "postgres://postgres@/postgres?host=%2Ftmp%2Fpg", "REDIS_URL": "redis+socket:///tmp/r.sock"}


def plan_for(*argv: str) -> launch.Plan:
    return launch.build_plan(launch.build_parser().parse_args(list(argv)), ENV, python="py", smtp_port=2525,
                             csp_port=8125)


def _manage_commands(plan: launch.Plan) -> list[list[str]]:
    return [command[2:] for command in plan.setup]  # after "py manage.py"


def test_demo_mode_runs_the_mail_catcher_and_csp_endpoint_beside_web_worker_and_beat():
    plan = plan_for("--demo-devices", "500")
    assert list(plan.children) == ["mail", "csp-endpoint", "web", "worker", "beat"]
    assert plan.children["mail"][2:] == ["demo_mailbox", "smtp", "--host", "127.0.0.1", "--port", "2525"]
    assert plan.children["csp-endpoint"][2:] == ["demo_mailbox", "csp", "--host", "127.0.0.1", "--port", "8125"]
    assert plan.ports == {"mail": 2525, "csp-endpoint": 8125}
    # Every process sends email to the catcher and serves the demo pages.
    assert plan.env["DEMO_MAILBOX_ENABLED"] == "true"
    assert (plan.env["EMAIL_HOST"], plan.env["EMAIL_PORT"]) == ("127.0.0.1", "2525")
    assert plan.env["DATABASE_URL"] == ENV["DATABASE_URL"] and plan.env["REDIS_URL"] == ENV["REDIS_URL"]
    # Static files are collected (no "No directory at" warning); the demo parties get their DUIS User IDs
    # (issue 16); the CSPs are pointed at the endpoint after demo_data, which resets their endpoints.
    assert _manage_commands(plan) == [
        ["migrate", "--no-input"], ["collectstatic", "--no-input", "--verbosity", "0"],
        ["demo_data", "--devices", "500"], ["duis_demo_identities"],
        ["demo_mailbox", "point-csps", "--url", "http://127.0.0.1:8125"]]


def test_without_demo_data_or_with_no_demo_mailbox_nothing_of_the_demo_runs():
    for plan in (plan_for("--demo-devices", "0"), plan_for("--no-demo-mailbox")):
        assert list(plan.children) == ["web", "worker", "beat"]
        assert plan.env["DEMO_MAILBOX_ENABLED"] == "false" and "EMAIL_PORT" not in plan.env
        assert not any("demo_mailbox" in command for command in plan.setup)
        assert ["collectstatic", "--no-input", "--verbosity", "0"] in _manage_commands(plan)


def test_demo_mailbox_can_be_asked_for_without_demo_data():
    assert "mail" in plan_for("--demo-devices", "0", "--demo-mailbox").children


def test_a_taken_port_is_replaced_by_a_free_one():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert launch.port_or_free(busy) != busy
