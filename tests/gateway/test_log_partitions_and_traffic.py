"""The service-request log is partitioned by month; the traffic generator fills it realistically,
following the restriction history (R169-10)."""
import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from gateway.choices import Channel
from gateway.models import ServiceRequestLog
from gateway.partitions import partition_names, partitions_ensure, partitions_ensure_ahead
from gateway.services import service_request_submit
from gateway.tasks import service_request_log_partitions_ensure_task
from inventory.models import RestrictionChange
from tests.factories import DeviceFactory, NetworkOperatorFactory, UserFactory, make_sms


def partition_of(log_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM gateway_servicerequestlog WHERE id = %s", [log_id])
        return cursor.fetchone()[0]


def test_a_request_lands_in_its_months_partition(supplier):
    device = DeviceFactory(responsible_supplier=supplier)
    outcome = service_request_submit(party=supplier, user=None, srv="4.1.1", device_id=device.device_id,
                                     command_variant=1, channel=Channel.JSON)
    assert partition_of(outcome.log.pk) == f"gateway_servicerequestlog_p{timezone.now().astimezone(dt.UTC):%Y_%m}"


def test_rows_of_a_month_without_partition_move_in_when_it_is_created(supplier):
    old = dt.datetime(2019, 5, 17, 12, tzinfo=dt.UTC)
    row = ServiceRequestLog.objects.create(request_id="r1", requested_at=old, party=supplier, srv="8.2",
                                           srv_category="non_device", response_code="I0", channel="json")
    assert partition_of(row.pk) == "gateway_servicerequestlog_default"
    assert partitions_ensure(first=dt.date(2019, 5, 1), last=dt.date(2019, 5, 1)) == ["gateway_servicerequestlog_p2019_05"]
    assert partition_of(row.pk) == "gateway_servicerequestlog_p2019_05"
    assert partitions_ensure(first=dt.date(2019, 5, 1), last=dt.date(2019, 5, 1))  # idempotent


def test_beat_task_keeps_the_next_months_ready():
    names = service_request_log_partitions_ensure_task()
    assert len(names) == 4 and set(names) <= set(partition_names())
    assert partitions_ensure_ahead(months_ahead=3) == names


def test_generator_fills_months_following_the_restriction_history(supplier):
    network_operator = NetworkOperatorFactory()
    sms = make_sms(supplier=supplier, network_operator=network_operator)
    for _ in range(5):
        DeviceFactory(responsible_supplier=supplier, network_operator=network_operator)
    actor = UserFactory(party=supplier)
    restricted_on = dt.datetime(2025, 2, 15, tzinfo=dt.UTC)
    meter = sms["ESME"]
    meter.restricted, meter.restricted_since = True, restricted_on
    meter.save()
    RestrictionChange.objects.create(device=meter, at=restricted_on, actor=actor, party=supplier, old_value=False,
                                     new_value=True, reason="consumer refused", attested=True, channel="web")
    call_command("generate_traffic", months=3, per_day=300, end="2025-03-31", seed=7)

    rows = ServiceRequestLog.objects.filter(channel="generator")
    assert rows.count() > 20000
    codes = set(rows.values_list("response_code", flat=True))
    assert {"I0", "I99", "E20", "E21", "E72"} <= codes
    assert {"E19", "E2"} & codes
    months = {r.strftime("%Y-%m") for r in rows.values_list("requested_at", flat=True)}
    assert months == {"2025-01", "2025-02", "2025-03"}
    meters_rows = rows.filter(device_id=meter.device_id)
    assert not meters_rows.filter(requested_at__lt=restricted_on, restricted_at_request=True).exists()
    assert not meters_rows.filter(requested_at__gte=restricted_on, restricted_at_request=False).exists()
    assert not meters_rows.filter(requested_at__lt=restricted_on, response_code="E72").exists()
    assert meters_rows.filter(requested_at__gte=restricted_on, response_code="E72", srv_category="consumption").exists()
    assert not rows.filter(response_code="E72").exclude(restricted_at_request=True).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM gateway_servicerequestlog_p2025_02")
        assert cursor.fetchone()[0] > 0


def test_generator_refuses_an_empty_estate():
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="demo_data"):
        call_command("generate_traffic", months=1, per_day=10)
