"""The rooms' packages re-export what their modules offer (#15, NetBox-style): ``from inventory.services import
restriction_set`` works for every public service, so a newcomer imports from the room, not from a file in it.

A public name is a function or class defined in the module (not imported into it) whose name does not start
with ``_``. A new service that is not added to its package's ``__all__`` fails here, with its name.
``ROOM_INTERNAL`` lists the helpers that the modules of one room share with each other and that nothing
outside the room calls (a view sends no email by itself; the history row is written by the service).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

PACKAGES = ["inventory.services", "inventory.selectors", "incidents.services"]
ROOM_INTERNAL = {
    "inventory.selectors": {"FormulaSafe"},  # the SQL expression the CSV columns are built with
    # the bulk check step's row numbering and counts, shared by the upload's page and REST answer
    "inventory.services": {"row_number", "bulk_preview"},
    "incidents.services": {
        "incident_event_record", "party_of", "require_supplier", "due_by_from",
        "email_assignee", "email_bulk_summaries", "email_creator", "email_escalation",
        # issue 18: the SLA clocks, the deposit answer inside the raise, and their emails
        "spell_start", "spell_stop", "answer_from_deposits", "email_reopened", "email_escalation_to_requesters",
        "email_supplier_changed",
        # the bulk upload's parsing, masking and check-step counts (issue 19 item 7)
        "DeviceIdRows", "bulk_preview", "mask_install_codes", "safe_file_name",
    },
}


def _defined_public_names(module) -> set[str]:
    return {
        name for name, value in vars(module).items()
        if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("package_name", PACKAGES)
def test_the_package_re_exports_every_public_function_and_class_of_its_modules(package_name):
    package = importlib.import_module(package_name)
    exported = set(package.__all__) | ROOM_INTERNAL.get(package_name, set())
    missing = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package_name}.{info.name}")
        names = _defined_public_names(module) - exported
        if names:
            missing[info.name] = sorted(names)
    assert missing == {}, f"add these to {package_name}.__all__ (and import them there): {missing}"


@pytest.mark.parametrize("package_name", PACKAGES)
def test_every_exported_name_is_importable_from_the_package(package_name):
    package = importlib.import_module(package_name)
    assert [name for name in package.__all__ if not hasattr(package, name)] == []
    assert len(package.__all__) == len(set(package.__all__)), "a name is listed twice"
