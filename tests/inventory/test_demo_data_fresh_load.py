"""``demo_data`` into an empty inventory: indexes and foreign keys are built after the load (issue 21), with
every index and constraint back as it was. (That the estate is the same whichever path writes it follows from
the planner being pure, tests/inventory/test_demo_data_planner.py, and both paths sharing ``generate``.)"""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from inventory.management.commands import demo_data
from inventory.models import Device, RestrictionChange

pytestmark = pytest.mark.django_db

DEVICES = 600


def table_shape() -> tuple[set, set]:
    """The device table's index and constraint definitions, as PostgreSQL prints them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'inventory_device'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'inventory_device'::regclass")
        constraints = set(cursor.fetchall())
    return indexes, constraints


def run(devices: int) -> None:
    call_command("demo_data", devices=devices, seed=5, stdout=io.StringIO(), stderr=io.StringIO())


def test_fresh_load_builds_indexes_after_and_writes_the_batched_estate(monkeypatch):
    shape = table_shape()
    assert len(shape[0]) > 3 and any("FOREIGN KEY" in definition for _name, definition in shape[1])
    statements: list[str] = []
    monkeypatch.setattr(demo_data, "FRESH_LOAD_MIN_DEVICES", 100)
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        run(DEVICES)
    assert any(sql.startswith("DROP INDEX") for sql in statements)
    assert any(sql.startswith("CREATE INDEX") for sql in statements)
    assert Device.objects.count() == DEVICES
    restricted = Device.objects.filter(restricted=True).count()
    assert restricted and RestrictionChange.objects.count() == restricted  # one audit row each, as batched
    assert not Device.objects.exclude(device_type="CHF").filter(hub__isnull=True).exists()
    assert table_shape() == shape  # every index and foreign key back, with the same definition


def test_an_existing_estate_is_extended_batch_by_batch(monkeypatch):
    run(200)
    monkeypatch.setattr(demo_data, "FRESH_LOAD_MIN_DEVICES", 100)
    statements: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        run(400)
    assert Device.objects.count() == 400
    assert not any(sql.startswith("DROP INDEX") for sql in statements)
