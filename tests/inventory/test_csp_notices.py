"""R169-17: a CSP sees its region's restriction notices (device, hub, MPxN, set/cleared, when, delivered,
acknowledged) and acknowledges one or many, through the service, the page and REST; all or none. The payload
carries the hub and the MPxN. A hub's page and the inventory list show "Restricted in SMS"."""
from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import CSPRegion, RestrictionChannel
from inventory.models import RestrictionNotice
from inventory.services.csp_notices import restriction_notice_acknowledge
from inventory.services.restriction import restriction_set
from portal.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal.models import Party
from tests.factories import make_sms

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}
CLEAR = {"restricted": False, "reason": "Change of tenancy", "attested": False, "channel": RestrictionChannel.WEB}


@pytest.fixture
def notices(sms, supplier, make_user, csp_north):
    """Three notices to CSP North (GSME set, ESME set, ESME cleared) and one to CSP South."""
    actor = make_user(supplier)
    restriction_set(device=sms["GSME"], actor=actor, **SET)
    restriction_set(device=sms["ESME"], actor=actor, **SET)
    restriction_set(device=sms["ESME"], actor=actor, **CLEAR)
    south = make_sms(supplier=supplier, csp_region=CSPRegion.SOUTH)
    restriction_set(device=south["ESME"], actor=actor, **SET)
    return list(RestrictionNotice.objects.order_by("id"))


def test_each_change_writes_a_notice_with_hub_and_mpxn_in_the_payload(notices, sms, csp_north):
    gsme_notice = notices[0]
    assert (gsme_notice.csp, gsme_notice.device_id, gsme_notice.hub_id, gsme_notice.mpxn, gsme_notice.restricted) == (
        csp_north, sms["GSME"].pk, sms["CHF"].pk, sms["GSME"].mpxn, True)
    assert gsme_notice.device_ids == [sms["GSME"].device_id, sms["GPF"].device_id]
    payload = gsme_notice.outbox.payload
    assert payload["hub_id"] == sms["CHF"].device_id and payload["mpxn"] == sms["GSME"].mpxn
    assert f"Hub: {sms['CHF'].device_id}" in gsme_notice.outbox.body  # CSP North has no endpoint: email
    assert [n.csp.code for n in notices] == ["CSPN", "CSPN", "CSPN", "CSPS"]


def test_a_csp_acknowledges_many_at_once(notices, csp_north, make_user):
    user = make_user(csp_north)
    done = restriction_notice_acknowledge(actor=user, notice_ids=[notices[0].pk, notices[1].pk])
    assert sorted(n.pk for n in done) == [notices[0].pk, notices[1].pk]
    stored = RestrictionNotice.objects.filter(acknowledged_by=user)
    assert stored.count() == 2 and all(n.acknowledged_at for n in stored)


@pytest.mark.parametrize("case", ["not_csp", "other_csp", "already", "empty"])
def test_refusals_acknowledge_nothing(case, notices, csp_north, supplier, make_user):
    csp_user = make_user(csp_north)
    ids = [notices[0].pk, notices[1].pk]
    if case == "not_csp":
        actor, error = make_user(supplier), PermissionDenied
    elif case == "other_csp":
        actor, error, ids = csp_user, NotFound, [notices[0].pk, notices[3].pk]  # the South notice
    elif case == "already":
        restriction_notice_acknowledge(actor=csp_user, notice_ids=[notices[1].pk])
        actor, error = csp_user, Conflict
    else:
        actor, error, ids = csp_user, ValidationFailed, []
    before = set(RestrictionNotice.objects.filter(acknowledged_at__isnull=False).values_list("pk", flat=True))
    with pytest.raises(error):
        restriction_notice_acknowledge(actor=actor, notice_ids=ids)
    assert set(RestrictionNotice.objects.filter(acknowledged_at__isnull=False).values_list("pk", flat=True)) == before


def test_the_csp_page_lists_its_region_and_acknowledges_the_chosen(client, notices, sms, csp_north, make_user):
    client.force_login(make_user(csp_north))
    url = reverse("inventory:restriction-notices")
    html = client.get(url).content.decode()
    assert sms["GSME"].device_id in html and sms["CHF"].device_id in html and sms["GSME"].mpxn in html
    assert notices[3].device.device_id not in html  # South's
    assert html.count('name="notice"') == 3
    response = client.post(url, {"notice": [notices[0].pk, notices[2].pk], "state": "open"}, follow=True)
    assert "2 notices acknowledged" in response.content.decode()
    assert set(RestrictionNotice.objects.filter(acknowledged_at__isnull=False).values_list("pk", flat=True)) == {
        notices[0].pk, notices[2].pk}
    assert client.get(url).content.decode().count('name="notice"') == 1


def test_the_page_refuses_with_the_reason_and_keeps_the_choice(client, notices, csp_north, make_user):
    client.force_login(make_user(csp_north))
    url = reverse("inventory:restriction-notices")
    response = client.post(url, {"notice": [notices[0].pk, notices[3].pk]})
    assert response.status_code == 404 and "Nothing was acknowledged" in response.content.decode()
    assert f'value="{notices[0].pk}" id="notice-{notices[0].pk}" checked' in response.content.decode()
    assert client.post(url, {"notice": ["x"]}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert not RestrictionNotice.objects.filter(acknowledged_at__isnull=False).exists()


@pytest.mark.parametrize("party_fixture", ["supplier", "network_operator"])
def test_the_page_is_for_csps_and_the_dcc(client, party_fixture, request, notices, make_user, dcc_user):
    client.force_login(make_user(request.getfixturevalue(party_fixture)))
    assert client.get(reverse("inventory:restriction-notices")).status_code == 403
    client.force_login(dcc_user)
    html = client.get(reverse("inventory:restriction-notices") + "?state=all").content.decode()
    assert notices[3].device.device_id in html and 'name="notice"' not in html  # reads all, acknowledges none


def test_rest_lists_and_acknowledges(api_client_for, notices, csp_north, supplier, sms):
    api = api_client_for(csp_north)
    body = api.get("/api/v1/restriction-notices/?state=open").json()
    assert [row["id"] for row in body["results"]] == [n.pk for n in reversed(notices[:3])]
    row = body["results"][-1]
    assert (row["device_id"], row["hub_id"], row["mpxn"], row["change"], row["delivery"], row["acknowledged_at"]) == (
        sms["GSME"].device_id, sms["CHF"].device_id, sms["GSME"].mpxn, "set", "pending", None)

    response = api.post("/api/v1/restriction-notices/acknowledge/", {"ids": [notices[0].pk, notices[1].pk]},
                        format="json")
    assert response.status_code == 200
    assert {r["id"] for r in response.json()["acknowledged"]} == {notices[0].pk, notices[1].pk}
    assert all(r["acknowledged_by"] == api.user.username for r in response.json()["acknowledged"])
    again = api.post(f"/api/v1/restriction-notices/{notices[0].pk}/acknowledge/")
    assert again.status_code == 409 and again.json()["code"] == "already_acknowledged"
    other = api.post(f"/api/v1/restriction-notices/{notices[3].pk}/acknowledge/")
    assert other.status_code == 404 and set(other.json()) >= {"code", "detail", "errors"}
    bad = api.post("/api/v1/restriction-notices/acknowledge/", {"ids": []}, format="json")
    assert bad.status_code == 400
    assert api.get("/api/v1/restriction-notices/?state=nonsense").status_code == 400
    assert RestrictionNotice.objects.filter(acknowledged_at__isnull=False).count() == 2

    supplier_api = api_client_for(supplier)
    assert supplier_api.get("/api/v1/restriction-notices/").json()["results"] == []
    refused = supplier_api.post(f"/api/v1/restriction-notices/{notices[2].pk}/acknowledge/")
    assert refused.status_code == 403 and refused.json()["code"] == "csp_only"


def test_a_hub_page_and_the_list_show_restricted_in_sms(client, sms, supplier, make_user, csp_north):
    restriction_set(device=sms["ESME"], actor=make_user(supplier), **SET)
    other = make_sms(supplier=supplier)
    client.force_login(make_user(csp_north))
    hub_page = client.get(reverse("inventory:device-detail", kwargs={"device_id": sms["CHF"].device_id}))
    assert "Restricted in SMS" in hub_page.content.decode()
    quiet = client.get(reverse("inventory:device-detail", kwargs={"device_id": other["CHF"].device_id}))
    assert "Restricted in SMS" not in quiet.content.decode()
    listing = client.get(reverse("inventory:device-list") + "?device_type=CHF").content.decode()
    assert listing.count("Restricted in SMS</span>") == 1


def test_csp_north_is_seeded_for_the_region(db):
    assert Party.objects.filter(code="CSPN", csp_region="North").exists()


def test_the_rest_device_view_says_restricted_in_sms(api_client_for, sms, supplier, make_user, csp_north):
    api = api_client_for(csp_north)
    assert api.get(f"/api/v1/devices/{sms['CHF'].device_id}/").json()["sms"]["restricted_in_sms"] is False
    restriction_set(device=sms["ESME"], actor=make_user(supplier), **SET)
    assert api.get(f"/api/v1/devices/{sms['CHF'].device_id}/").json()["sms"]["restricted_in_sms"] is True
