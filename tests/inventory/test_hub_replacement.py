"""R169-12: on a Communications Hub replacement (Trust Centre swap-out, seed 001) the SMS moves to the new hub;
a restricted gas meter's flag moves to the new hub's GPF and the old GPF is cleared, each change audited (linked
to the GSME's row) and notified to the CSP of the hub concerned. Refusals write nothing."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from inventory.choices import CSPRegion, DeviceStatus, DeviceType, RestrictionChannel
from inventory.models import Device, HubReplacement, RestrictionChange, RestrictionNotice
from inventory.services.hub_replacement import hub_replace
from inventory.services.restriction import restriction_set
from portal.errors import Conflict, PermissionDenied, RuleRefused
from portal.models import OutboxMessage
from tests.factories import DeviceFactory, HubFactory, SupplierFactory

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}


def new_hub_with_gpf(supplier, *, region=CSPRegion.CENTRAL_4G, gpf=True):
    """A 4G replacement hub installed at the premises, with its own GPF (the GPF lives in the hub)."""
    hub = HubFactory(responsible_supplier=supplier, csp_region=region, status=DeviceStatus.INSTALLED_NOT_COMMISSIONED)
    new_gpf = DeviceFactory(device_type=DeviceType.GPF, hub=hub, mpxn="", csp_region=region,
                            responsible_supplier=supplier, status=DeviceStatus.WHITELISTED) if gpf else None
    return hub, new_gpf


def fresh(device) -> Device:
    return Device.objects.get(pk=device.pk)


def test_the_flag_moves_with_the_gas_meters_sms_to_the_new_gpf(sms, supplier, make_user):
    actor = make_user(supplier)
    set_result = restriction_set(device=sms["GSME"], actor=actor, **SET)
    gsme_row = set_result.changes[0]
    hub, new_gpf = new_hub_with_gpf(supplier)

    replacement = hub_replace(actor=actor, old_hub=sms["CHF"], new_hub=hub, reason="2G/3G to 4G", request_id="r-1")

    gsme, esme, old_gpf, new_gpf = (fresh(sms["GSME"]), fresh(sms["ESME"]), fresh(sms["GPF"]), fresh(new_gpf))
    assert gsme.hub_id == esme.hub_id == hub.pk and old_gpf.hub_id == sms["CHF"].pk
    assert gsme.restricted and new_gpf.restricted and new_gpf.restricted_since is not None
    assert not old_gpf.restricted and old_gpf.restricted_since is None
    assert fresh(sms["CHF"]).status == old_gpf.status == DeviceStatus.WITHDRAWN
    assert sorted(replacement.moved_device_ids) == sorted([gsme.device_id, esme.device_id])

    moved = RestrictionChange.objects.filter(channel=RestrictionChannel.HUB_REPLACEMENT).order_by("id")
    assert [(c.device_id, c.old_value, c.new_value, c.cascaded_from_id, c.request_id) for c in moved] == [
        (old_gpf.pk, True, False, gsme_row.pk, "r-1"), (new_gpf.pk, False, True, gsme_row.pk, "r-1")]
    assert all(c.attested and "R169-12" in c.reason and c.party == supplier for c in moved)
    assert (replacement.old_gpf_change, replacement.new_gpf_change) == tuple(moved)

    # The old hub's CSP (North) is told of the clear, the new hub's (Central, for 4G Central) of the set.
    notices = {n.change_id: n for n in RestrictionNotice.objects.filter(change__in=moved)}
    cleared, set_ = notices[moved[0].pk], notices[moved[1].pk]
    assert (cleared.csp.code, cleared.hub_id, cleared.restricted, cleared.mpxn) == ("CSPN", sms["CHF"].pk, False,
                                                                                   gsme.mpxn)
    assert (set_.csp.code, set_.hub_id, set_.restricted, set_.mpxn) == ("CSPC", hub.pk, True, gsme.mpxn)
    assert set_.outbox.payload["hub_id"] == hub.device_id and set_.outbox.payload["mpxn"] == gsme.mpxn
    assert set_.outbox.payload["channel"] == "hub_swap"


def test_an_unrestricted_sms_moves_without_restriction_rows(sms, supplier, make_user):
    hub, new_gpf = new_hub_with_gpf(supplier)
    hub_replace(actor=make_user(supplier), old_hub=sms["CHF"], new_hub=hub)
    assert fresh(sms["GSME"]).hub_id == hub.pk
    assert not RestrictionChange.objects.exists() and not RestrictionNotice.objects.exists()
    assert not fresh(new_gpf).restricted


def test_a_restricted_esme_keeps_its_flag_on_itself(sms, supplier, make_user):
    actor = make_user(supplier)
    restriction_set(device=sms["ESME"], actor=actor, **SET)
    hub, _gpf = new_hub_with_gpf(supplier)
    hub_replace(actor=actor, old_hub=sms["CHF"], new_hub=hub)
    esme = fresh(sms["ESME"])
    assert esme.restricted and esme.hub_id == hub.pk
    assert RestrictionChange.objects.count() == 1  # the ESME's own set; nothing moved


def test_the_dcc_records_a_replacement(sms, supplier, make_user, dcc_user):
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    hub, new_gpf = new_hub_with_gpf(supplier)
    replacement = hub_replace(actor=dcc_user, old_hub=sms["CHF"], new_hub=hub)
    assert replacement.party.code == "DCC" and fresh(new_gpf).restricted


def _nothing_written(sms, new_gpf=None):
    assert not HubReplacement.objects.exists()
    assert not RestrictionChange.objects.filter(channel=RestrictionChannel.HUB_REPLACEMENT).exists()
    assert fresh(sms["GSME"]).hub_id == sms["CHF"].pk and fresh(sms["CHF"]).status == DeviceStatus.COMMISSIONED
    if new_gpf is not None:
        assert not fresh(new_gpf).restricted


@pytest.mark.parametrize("who", ["other_supplier", "network_operator", "csp_north"])
def test_only_the_hubs_supplier_or_the_dcc_replaces_it(who, request, sms, supplier, make_user):
    hub, new_gpf = new_hub_with_gpf(supplier)
    with pytest.raises(PermissionDenied) as caught:
        hub_replace(actor=make_user(request.getfixturevalue(who)), old_hub=sms["CHF"], new_hub=hub)
    assert caught.value.code == "hub_replace_not_responsible"
    _nothing_written(sms, new_gpf)


def test_refusals_write_nothing(sms, supplier, other_supplier, make_user):
    actor = make_user(supplier)
    restriction_set(device=sms["GSME"], actor=actor, **SET)
    outbox_before = OutboxMessage.objects.count()
    no_gpf, _ = new_hub_with_gpf(supplier, gpf=False)
    cases = [
        (RuleRefused, "hub_replace_no_gpf", {"new_hub": no_gpf}),
        (RuleRefused, "hub_replace_same_hub", {"new_hub": sms["CHF"]}),
        (RuleRefused, "hub_replace_target_not_hub", {"new_hub": sms["ESME"]}),
        (PermissionDenied, "hub_replace_new_hub_not_yours", {"new_hub": new_hub_with_gpf(other_supplier)[0]}),
        (Conflict, "hub_replace_new_hub_status",
         {"new_hub": HubFactory(responsible_supplier=supplier, status=DeviceStatus.DECOMMISSIONED)}),
    ]
    in_use, _gpf = new_hub_with_gpf(supplier)
    DeviceFactory(device_type=DeviceType.ESME, hub=in_use, responsible_supplier=supplier)
    cases.append((Conflict, "hub_replace_new_hub_in_use", {"new_hub": in_use}))
    foreign_gpf_hub = HubFactory(responsible_supplier=supplier, status=DeviceStatus.COMMISSIONED)
    DeviceFactory(device_type=DeviceType.GPF, hub=foreign_gpf_hub, responsible_supplier=SupplierFactory())
    cases.append((PermissionDenied, "hub_replace_gpf_supplier", {"new_hub": foreign_gpf_hub}))
    for error, code, kwargs in cases:
        with pytest.raises(error) as caught:
            hub_replace(actor=actor, old_hub=sms["CHF"], **kwargs)
        assert caught.value.code == code, code
        assert caught.value.detail
    _nothing_written(sms)
    assert fresh(sms["GPF"]).restricted and OutboxMessage.objects.count() == outbox_before


def test_the_replacement_record_is_append_only(sms, supplier, make_user):
    hub, _gpf = new_hub_with_gpf(supplier)
    replacement = hub_replace(actor=make_user(supplier), old_hub=sms["CHF"], new_hub=hub)
    with pytest.raises(DatabaseError), transaction.atomic():
        HubReplacement.objects.filter(pk=replacement.pk).update(reason="edited")


# --- channels: the page and REST -------------------------------------------------------------------------

def test_the_page_replaces_the_hub_and_shows_the_new_hub(client, sms, supplier, make_user):
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    hub, new_gpf = new_hub_with_gpf(supplier)
    client.force_login(make_user(supplier))
    detail = client.get(reverse("inventory:device-detail", kwargs={"device_id": sms["CHF"].device_id}))
    url = reverse("inventory:hub-replace", kwargs={"device_id": sms["CHF"].device_id})
    assert url in detail.content.decode()
    response = client.post(url, {"new_hub_id": hub.device_id.lower(), "reason": "4G"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("inventory:device-detail", kwargs={"device_id": hub.device_id})
    assert "the Restricted flag moved to its GPF" in html and "Restricted in SMS" in html
    assert fresh(new_gpf).restricted and HubReplacement.objects.get().reason == "4G"


def test_the_page_refuses_with_the_reason_and_keeps_the_input(client, sms, supplier, other_supplier, make_user):
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    no_gpf, _ = new_hub_with_gpf(supplier, gpf=False)
    client.force_login(make_user(supplier))
    url = reverse("inventory:hub-replace", kwargs={"device_id": sms["CHF"].device_id})
    response = client.post(url, {"new_hub_id": no_gpf.device_id, "reason": "4G"})
    html = response.content.decode()
    assert response.status_code == 422 and "has no Gas Proxy Function" in html and "Nothing was changed" in html
    assert f'value="{no_gpf.device_id}"' in html
    assert client.post(url, {"new_hub_id": "not-an-id"}).status_code == 400
    foreign, _ = new_hub_with_gpf(other_supplier)
    assert client.post(url, {"new_hub_id": foreign.device_id}).status_code == 404  # another supplier's: not revealed
    _nothing_written(sms)
    client.force_login(make_user(other_supplier))
    assert client.get(url).status_code == 404  # not in its inventory at all


def test_a_network_operator_sees_no_replace_link_and_is_refused(client, sms, network_operator, make_user):
    client.force_login(make_user(network_operator))
    detail = client.get(reverse("inventory:device-detail", kwargs={"device_id": sms["CHF"].device_id}))
    assert "Replace this hub" not in detail.content.decode()
    url = reverse("inventory:hub-replace", kwargs={"device_id": sms["CHF"].device_id})
    assert client.get(url).status_code == 403 and client.post(url, {"new_hub_id": "x"}).status_code == 403
    _nothing_written(sms)


def test_rest_replaces_the_hub_and_refuses_with_the_error_shape(api_client_for, sms, supplier, make_user):
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    api = api_client_for(supplier)
    url = f"/api/v1/devices/{sms['CHF'].device_id}/replace-hub/"
    no_gpf, _ = new_hub_with_gpf(supplier, gpf=False)
    refused = api.post(url, {"new_hub_id": no_gpf.device_id}, format="json")
    assert refused.status_code == 422 and refused.json()["code"] == "hub_replace_no_gpf"
    assert set(refused.json()) == {"code", "detail", "errors"}
    assert api.post(url, {}, format="json").status_code == 400
    _nothing_written(sms)
    hub, new_gpf = new_hub_with_gpf(supplier)
    response = api.post(url, {"new_hub_id": hub.device_id, "reason": "4G"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["old_hub_id"], body["new_hub_id"], body["new_gpf_id"]) == (sms["CHF"].device_id, hub.device_id,
                                                                          new_gpf.device_id)
    assert body["new_gpf_change"] is not None and fresh(new_gpf).restricted
    history = api.get(f"/api/v1/devices/{new_gpf.device_id}/restriction-history/").json()["results"]
    assert [(r["channel"], r["new_value"]) for r in history] == [("hub_swap", True)]


def test_rest_refuses_who_may_not_before_looking_at_the_new_hub(api_client_for, sms, supplier, network_operator):
    hub, new_gpf = new_hub_with_gpf(supplier)
    response = api_client_for(network_operator).post(f"/api/v1/devices/{sms['CHF'].device_id}/replace-hub/",
                                                     {"new_hub_id": hub.device_id}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "hub_replace_not_responsible"
    _nothing_written(sms, new_gpf)
