"""Who sees which devices in the SSI inventory (one scoping selector for every page and API)."""
from __future__ import annotations

import pytest

from inventory.filtersets import DeviceFilterSet
from inventory.models import Device
from inventory.postcodes import normalise_postcode
from inventory.selectors import (
    DeviceLookup,
    device_get_for,
    device_queryset_for,
    party_sees_inventory,
    sms_devices_for,
)
from portal.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def visible(party) -> set[str]:
    return set(device_queryset_for(party).values_list("device_id", flat=True))


def ids(*groups) -> set[str]:
    return {device.device_id for group in groups for device in (group.values() if isinstance(group, dict) else [group])}


def test_dcc_sees_every_device(estate, dcc_party):
    assert visible(dcc_party) == set(Device.objects.values_list("device_id", flat=True))


def test_supplier_sees_devices_it_is_responsible_for_or_prenotified(estate, supplier):
    assert visible(supplier) == ids(estate["a"], estate["changed"])


def test_supplier_does_not_see_another_suppliers_devices(estate, other_supplier):
    assert visible(other_supplier) == ids(estate["b_4g"], estate["b_south"], estate["changed"])
    assert not visible(other_supplier) & ids(estate["a"])


def test_network_operator_sees_devices_on_its_network_only(estate, network_operator):
    assert visible(network_operator) == ids(estate["a"])
    assert visible(estate["gt"]) == ids(estate["b_south"])


def test_csp_sees_its_region_and_the_matching_4g_region(estate, csp_north):
    assert visible(csp_north) == ids(estate["a"], estate["b_4g"])


def test_other_user_and_agent_see_nothing(estate, other_user_party, agent_party):
    assert visible(other_user_party) == set()
    assert visible(agent_party) == set()
    assert not party_sees_inventory(other_user_party)
    assert not party_sees_inventory(agent_party)
    assert not party_sees_inventory(None)


def test_device_lookup_normalises_case_and_hides_out_of_scope_devices(estate, supplier):
    hub = estate["a"]["CHF"]
    assert device_get_for(supplier, hub.device_id.lower()) == hub
    with pytest.raises(NotFound):
        device_get_for(supplier, estate["b_south"]["CHF"].device_id)
    with pytest.raises(ValidationFailed, match="00-DB-12-34-56-78-90-A0"):
        device_get_for(supplier, "not-a-device")


def test_many_device_lookup_answers_as_device_get_for_in_one_query(estate, supplier, django_assert_num_queries):
    mine, theirs = estate["a"]["ESME"], estate["b_south"]["ESME"]
    raw = [mine.device_id.lower(), theirs.device_id, "nonsense", mine.device_id]
    with django_assert_num_queries(1):
        lookup = DeviceLookup(supplier, raw)
    assert lookup.get(mine.device_id.lower()) == device_get_for(supplier, mine.device_id.lower()) == mine
    for device_id, error in ((theirs.device_id, NotFound), ("nonsense", ValidationFailed)):
        with pytest.raises(error) as from_lookup:
            lookup.get(device_id)
        with pytest.raises(error) as from_single:
            device_get_for(supplier, device_id)
        assert (from_lookup.value.code, from_lookup.value.detail) == (from_single.value.code, from_single.value.detail)


def test_sms_lists_the_hub_and_every_joined_device_in_scope(estate, supplier):
    sms = estate["a"]
    hub, members = sms_devices_for(supplier, sms["GSME"])
    assert hub == sms["CHF"]
    assert {member.device_id for member in members} == ids(sms) - {hub.device_id}


@pytest.mark.parametrize("query", ["{id}", "{lower}", "{bare}"])
def test_search_matches_device_id_in_any_case_with_or_without_dashes(estate, dcc_party, query):
    device = estate["a"]["ESME"]
    text = query.format(id=device.device_id, lower=device.device_id.lower(), bare=device.device_id.replace("-", ""))
    result = DeviceFilterSet({"q": text}, queryset=device_queryset_for(dcc_party)).qs
    assert list(result) == [device]


def test_search_matches_mpxn_uprn_and_postcode(estate, dcc_party):
    esme = estate["a"]["ESME"]
    scoped = device_queryset_for(dcc_party)
    assert list(DeviceFilterSet({"q": esme.mpxn}, queryset=scoped).qs) == [esme]
    assert {d.device_id for d in DeviceFilterSet({"q": esme.uprn}, queryset=scoped).qs} == ids(estate["a"])
    assert ids(estate["b_4g"]) == {d.device_id for d in DeviceFilterSet({"q": "ls14ab"}, queryset=scoped).qs}


def test_postcodes_are_normalised():
    assert normalise_postcode(" sw1a1aa ") == "SW1A 1AA"
    assert normalise_postcode("M1 1AE") == "M1 1AE"
