"""DUIS security as the DCC runs it (issue 16, RD-1..RD-4): requests signed by the real client (the DCC Boxed
tool) for the two public test identities are answered; unsigned, altered, replayed and mis-attributed ones are
refused with a DSP-signed DUIS error, logged as refused, and change nothing. Every answer verifies with xmlsec1
against the DSP certificate, and the Boxed tool's own Validate accepts it."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from lxml import etree

from gateway.duis import boxed
from gateway.duis.admission import originator_counter_advance
from gateway.duis.identities import duis_identity_revoke
from gateway.duis.schema import mp169_schema
from gateway.models import DuisCounter, ServiceRequestLog
from inventory.models import Device
from tests.duis_samples import duis
from tests.factories import CPLEntryFactory, DeviceFactory, HubFactory, UserFactory
from tests.gateway.duis_client import (
    NETWORK_OPERATOR_USER_ID,
    SUPPLIER_USER_ID,
    counter_of,
    originator_replaced,
    xmlsec1_verifies,
)

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
TARGET = "00-DB-12-34-56-78-90-A0"
HUB = "00-DB-12-34-56-78-90-A2"


def code_of(response) -> str:
    assert response.status_code == 200, response.content
    document = etree.fromstring(response.content)
    assert mp169_schema().validate(document), mp169_schema().error_log
    return document.findtext(f"{SR}Header/{SR}ResponseCode")


@pytest.fixture
def parties(duis_identities):
    return duis_identities


@pytest.fixture
def hrth(parties, duis_sender):
    return duis_sender(parties[0])


@pytest.fixture
def ennw(parties, duis_sender):
    return duis_sender(parties[1])


@pytest.fixture
def meter(parties):
    return DeviceFactory(device_id=TARGET, responsible_supplier=parties[0], network_operator=parties[1])


def dsp_certificate() -> str:
    return boxed.boxed_certificate_pem(boxed.DSP_USER_ID)


# --- accepted: the two test identities, signed by the real client -------------------------------------

def test_supplier_request_signed_by_the_boxed_tool_is_answered(hrth, meter):
    assert code_of(hrth.post(duis("4.1.1"))) == "I99"
    assert ServiceRequestLog.objects.get().response_code == "I99"


def test_network_operator_8_2_is_answered_under_its_own_user_id(ennw, parties):
    DeviceFactory(device_id=HUB, network_operator=parties[1])
    response = ennw.post(duis("8.2"), originator=NETWORK_OPERATOR_USER_ID)
    assert code_of(response) == "I0"
    document = etree.fromstring(response.content)
    assert document.findtext(f"{SR}Header/{SR}RequestID").startswith(f"{NETWORK_OPERATOR_USER_ID}:")
    assert [d.findtext(f"{SR}DeviceID") for d in document.iter(f"{SR}Device")] == [HUB]


# --- RD-2: signatures --------------------------------------------------------------------------------

def test_the_reference_data_placeholder_signature_is_refused_e3(hrth, meter):
    """The sample as shipped carries ``ZGVmYXVsdA==`` ("default") as digest and signature."""
    assert code_of(hrth.post(duis("4.1.1"), sign=False)) == "E3"
    row = ServiceRequestLog.objects.get()
    assert (row.response_code, row.srv, row.device_id) == ("E3", "4.1.1", TARGET)
    assert "Signature check failed" in row.detail


def test_an_unsigned_request_is_refused_e3(hrth, meter):
    root = etree.fromstring(duis("4.1.1"))
    root.remove(root[-1])
    assert code_of(hrth.post(etree.tostring(root), sign=False)) == "E3"
    assert "not signed" in ServiceRequestLog.objects.get().detail


def test_a_request_altered_after_signing_is_refused_and_changes_nothing(hrth, parties):
    CPLEntryFactory(device_type="ESME", manufacturer="AB01", model="010A030B", firmware_version="0002012F")
    signed = hrth.tool.sign(duis("12.2"))
    altered = signed.replace(b"<sr:DeviceID>00-DB-12-34-56-78-90-A0<", b"<sr:DeviceID>00-DB-12-34-56-78-90-A9<")
    assert altered != signed
    assert code_of(hrth.post(altered, sign=False)) == "E3"
    assert not Device.objects.exists()
    assert not DuisCounter.objects.exists()  # a refused request consumes no counter
    assert code_of(hrth.post(signed, sign=False)) == "I0"  # the untouched request still goes through
    assert Device.objects.filter(device_id=TARGET).exists()


def test_a_request_signed_with_another_users_key_is_refused_e3(hrth, meter):
    """The RequestID names HRTH's User ID but the network operator's key signed it."""
    assert code_of(hrth.post(duis("4.1.1"), as_user_id=NETWORK_OPERATOR_USER_ID)) == "E3"


def test_an_expired_certificate_signs_nothing_accepted(parties, duis_sender, demo_identities, meter):
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    identity = demo_identities(parties[0], "90-B3-D5-1F-30-01-00-99", "IS", not_after=soon)
    time.sleep(2.5)
    response = duis_sender(parties[0]).post(duis("4.1.1"), identity=identity)
    assert code_of(response) == "E3"
    assert "not valid now" in ServiceRequestLog.objects.get().detail


def test_a_revoked_user_id_signs_nothing_accepted(hrth, parties, dcc_party, meter):
    assert code_of(hrth.post(duis("4.1.1"))) == "I99"
    duis_identity_revoke(actor=UserFactory(party=dcc_party), party=parties[0], user_id=SUPPLIER_USER_ID,
                         reason="key compromise")
    assert code_of(hrth.post(duis("4.1.1"))) == "E1"


# --- RD-1: the originator -----------------------------------------------------------------------------

def test_an_unknown_user_id_is_refused_e1(hrth, meter):
    response = hrth.post(originator_replaced(duis("4.1.1"), "80-B3-D5-1F-30-01-00-00"),
                         as_user_id=SUPPLIER_USER_ID)
    assert code_of(response) == "E1"
    assert "80-B3-D5-1F-30-01-00-00 is not a DUIS User ID of your party" in ServiceRequestLog.objects.get().detail


def test_another_partys_user_id_is_refused_e1_even_with_its_valid_signature(hrth, meter):
    """HRTH's token, a request correctly signed for the network operator's User ID (ENNW's)."""
    assert code_of(hrth.post(duis("4.1.1"), originator=NETWORK_OPERATOR_USER_ID)) == "E1"


def test_a_user_id_whose_role_may_not_send_the_srv_is_refused_e1(ennw, meter):
    """ENNW's User ID acts as Electricity Distributor, which may not send 11.1 Update Firmware."""
    assert code_of(ennw.post(duis("11.1"), originator=NETWORK_OPERATOR_USER_ID)) == "E1"
    assert "acts in the role ED" in ServiceRequestLog.objects.get().detail


def test_a_party_acts_only_in_the_role_of_its_user_id(parties, duis_sender, demo_identities):
    """HRTH (IS and GS) sends 4.1.4 (gas suppliers only) from its IS User ID: E1; from a GS User ID: answered."""
    DeviceFactory(device_id=TARGET, responsible_supplier=parties[0], device_type="GSME")
    request = duis("4.1.1", {"<sr:ServiceReferenceVariant>4.1.1<": "<sr:ServiceReferenceVariant>4.1.4<",
                             "<sr:ReadInstantaneousImportRegisters/>": "<sr:ReadInstantaneousImportBlockCounters/>"})
    sender = duis_sender(parties[0])
    assert code_of(sender.post(request)) == "E1"
    gas = demo_identities(parties[0], "90-B3-D5-1F-30-01-00-47", "GS")
    assert code_of(sender.post(request, identity=gas)) == "I99"


# --- RD-3: anti-replay --------------------------------------------------------------------------------

def test_the_same_signed_request_twice_is_answered_once(hrth, meter):
    signed = hrth.tool.sign(duis("4.1.1"))
    assert code_of(hrth.post(signed, sign=False)) == "I99"
    assert code_of(hrth.post(signed, sign=False)) == "E13"
    assert list(ServiceRequestLog.objects.order_by("id").values_list("response_code", flat=True)) == ["I99", "E13"]


def test_an_older_counter_is_refused_after_a_newer_one(hrth, meter):
    older = hrth.tool.sign(duis("4.1.1"))
    newer = hrth.tool.sign(duis("4.1.1"))
    assert counter_of(older) < counter_of(newer)
    assert code_of(hrth.post(newer, sign=False)) == "I99"
    assert code_of(hrth.post(older, sign=False)) == "E13"
    assert DuisCounter.objects.get(originator=SUPPLIER_USER_ID).last_counter == counter_of(newer)


def test_a_refused_decision_still_consumes_its_counter(hrth, parties):
    """E19 now; replayed once the device exists it must not become I99."""
    signed = hrth.tool.sign(duis("4.1.1"))
    assert code_of(hrth.post(signed, sign=False)) == "E19"
    DeviceFactory(device_id=TARGET, responsible_supplier=parties[0])
    assert code_of(hrth.post(signed, sign=False)) == "E13"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # restores the DCC party and catalogues after
def test_concurrent_copies_of_one_request_are_accepted_once(parties, duis_sender, meter):
    sender = duis_sender(parties[0])
    signed = sender.tool.sign(duis("4.1.1"))
    clients = [duis_sender(parties[0]).client for _ in range(6)]
    barrier, codes = threading.Barrier(len(clients)), []

    def send(client):
        try:
            barrier.wait()
            response = client.post("/duis/", data=signed, content_type="application/xml")
            codes.append(etree.fromstring(response.content).findtext(f"{SR}Header/{SR}ResponseCode"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == ["E13"] * 5 + ["I99"]
    assert ServiceRequestLog.objects.filter(response_code="I99").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # restores the DCC party and catalogues after
def test_counter_advance_is_race_safe_for_interleaved_counters(db):
    """Threads racing counters 1..40 of one originator: the final counter is the highest, and no counter is
    accepted after a higher one was (each accepted counter exceeds everything accepted before it)."""
    accepted, lock = [], threading.Lock()
    barrier = threading.Barrier(4)

    def run(counters):
        from django.db import transaction
        try:
            barrier.wait()
            for counter in counters:
                with transaction.atomic():
                    if originator_counter_advance(originator="90-B3-D5-1F-30-01-00-00", counter=counter) is None:
                        with lock:
                            accepted.append(counter)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(range(start, 41, 4),)) for start in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert accepted == sorted(accepted) and len(set(accepted)) == len(accepted)
    assert DuisCounter.objects.get().last_counter == 40 == accepted[-1]


# --- RD-4: signed answers -----------------------------------------------------------------------------

@pytest.fixture
def every_kind_of_answer(hrth, ennw, parties):
    """I99, I0 (with DSPInventory), E19, E3, E1, E13 and E100 answers."""
    HubFactory(device_id=HUB, responsible_supplier=parties[0])
    signed = hrth.tool.sign(duis("4.1.1"))
    answers = {
        "E19": hrth.post(signed, sign=False),
        "E13": hrth.post(signed, sign=False),
        "I0": hrth.post(duis("8.2")),
        "E3": hrth.post(duis("4.1.1"), sign=False),
        "E1": hrth.post(duis("4.1.1"), originator=NETWORK_OPERATOR_USER_ID),
        "E100": hrth.post(duis("4.1.1", {"<sr:CommandVariant>1</sr:CommandVariant>": ""}), sign=False),
    }
    DeviceFactory(device_id=TARGET, responsible_supplier=parties[0])
    answers["I99"] = hrth.post(duis("4.1.1"))
    assert {code: code_of(response) for code, response in answers.items()} == {code: code for code in answers}
    return {code: response.content for code, response in answers.items()}


def test_every_answer_verifies_with_xmlsec1_against_the_dsp_certificate(every_kind_of_answer):
    for code, content in every_kind_of_answer.items():
        assert xmlsec1_verifies(content, dsp_certificate()), code


def test_every_answer_is_accepted_by_the_boxed_tools_validate(every_kind_of_answer, boxed_tool):
    for code, content in every_kind_of_answer.items():
        assert boxed_tool.validate(content), code


def test_an_answer_altered_in_transit_fails_xmlsec1(every_kind_of_answer):
    altered = every_kind_of_answer["I99"].replace(b">I99<", b">I0<")
    assert not xmlsec1_verifies(altered, dsp_certificate())


def test_answers_are_signed_by_the_dsp_certificate_by_issuer_and_serial(every_kind_of_answer):
    document = etree.fromstring(every_kind_of_answer["I0"])
    ds = "{http://www.w3.org/2000/09/xmldsig#}"
    assert etree.QName(document[-1]).localname == "Signature"
    assert document.findtext(f".//{ds}X509SerialNumber") == "167048897159233642262001557408276884033"
    assert document.find(f".//{ds}SignatureMethod").get("Algorithm").endswith("ecdsa-sha256")
    assert document.find(f".//{ds}CanonicalizationMethod").get("Algorithm").endswith("xml-exc-c14n#")
