"""Model-based test of the domain services (issue 14): random sequences of pre-notify, join, commission,
restrict/clear (single and bulk, by random parties and channels), Change of Supplier, and install-code
requests (raise, bulk raise, answer, not-the-installer, reassign, close, reveal), on the real database.

A plain-Python model keeps what the portal should hold. After every step the invariants are checked:

- a device's flag changes only by its Responsible Supplier;
- a GSME and the GPF of its SMS always agree;
- each flag change has exactly one audit row and one CSP outbox message, and the audit chain verifies;
- every party's selectors return exactly what the model's scope allows;
- no install code appears anywhere but the encrypted code field and the reveal;
- a refused action changes nothing (the database matches the model).

The default run is small enough for ``make test``; ``--hypothesis-profile=long`` runs many more
sequences (see tests/conftest.py and docs/security.md).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, multiple, rule

from incidents.choices import IncidentState
from incidents.models import Incident, IncidentEvent, IncidentNote
from incidents.services import (
    incident_add_note,
    incident_answer_not_installing_supplier,
    incident_bulk_raise_install_code_requests,
    incident_close,
    incident_raise_install_code_request,
    incident_reassign,
    incident_reveal_install_code,
)
from inventory.choices import DeviceStatus, DeviceType, RestrictionChannel, SmetsVersion
from inventory.models import Device, RestrictionChange, SupplierChange
from inventory.selectors import device_queryset_for
from inventory.services.devices import device_join_hub, device_prenotify
from inventory.services.restriction import restriction_bulk_apply, restriction_set
from inventory.services.supplier_changes import supplier_change_record
from portal.audit_chain import verify_audit_chains
from portal.errors import DomainError
from portal.models import OutboxMessage, Party, User
from tests.factories import CPLEntryFactory, NetworkOperatorFactory, OtherUserFactory, SupplierFactory, make_sms

pytestmark = [pytest.mark.django_db]

PRE_COMMISSIONING = (DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED)
CHANNELS = [RestrictionChannel.WEB, RestrictionChannel.API, RestrictionChannel.BULK]
REASON = "Consumer refused remote collection of consumption data"
_serial = itertools.count(1)


def _device_id() -> str:
    raw = f"{0x00DB990000000000 + next(_serial):016X}"
    return "-".join(raw[i:i + 2] for i in range(0, 16, 2))


def _install_code() -> str:
    return f"{0xA5A5000000000000 + next(_serial) * 7919:016X}{next(_serial):016X}"


@dataclass
class DeviceModel:
    """What the portal should hold for one device."""

    pk: int
    device_id: str
    device_type: str
    status: str
    responsible: int
    prenotifier: int
    network_operator: int | None
    csp_region: str
    hub: int | None = None
    restricted: bool = False


@dataclass
class World:
    parties: dict[str, Party] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    devices: dict[int, DeviceModel] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    flag_changes: int = 0
    csp_messages: int = 0


class PortalMachine(RuleBasedStateMachine):
    """Drives the real services; each example runs inside a savepoint that is rolled back at its end."""

    incidents = Bundle("incidents")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.world = World()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- the world -------------------------------------------------------------------------------

    @initialize()
    def build_world(self) -> None:
        world = self.world
        for code in ("MSA", "MSB", "MSC"):
            world.parties[code] = SupplierFactory(code=code)
        world.parties["MNO"] = NetworkOperatorFactory(code="MNO")
        world.parties["MOU"] = OtherUserFactory(code="MOU")
        world.parties["DCC"] = Party.objects.get(code="DCC")
        world.parties["CSPN"] = Party.objects.get(code="CSPN")
        for code, party in world.parties.items():
            world.users[code] = User.objects.create(username=f"mb-{code.lower()}-{next(_serial)}", party=party)
        for device_type in (DeviceType.ESME, DeviceType.GSME, DeviceType.PPMID):
            CPLEntryFactory(device_type=device_type, manufacturer="MBT", model=f"{device_type}-MB",
                            firmware_version="1.0", smets_version=SmetsVersion.SMETS2_PLUS)
        # Two premises: one supplier for both fuels, and a dual-fuel one (gas from another supplier).
        single = make_sms(supplier=world.parties["MSA"], network_operator=world.parties["MNO"])
        self._remember_sms(single)
        dual = make_sms(supplier=world.parties["MSB"], network_operator=world.parties["MNO"])
        for gas in ("GPF", "GSME"):
            Device.objects.filter(pk=dual[gas].pk).update(responsible_supplier=world.parties["MSC"],
                                                          prenotifying_supplier=world.parties["MSC"])
        self._remember_sms(dual)

    def _remember_sms(self, sms: dict[str, Device]) -> None:
        for device in sms.values():
            device.refresh_from_db()
            self.world.devices[device.pk] = DeviceModel(
                pk=device.pk, device_id=device.device_id, device_type=device.device_type, status=device.status,
                responsible=device.responsible_supplier_id, prenotifier=device.prenotifying_supplier_id,
                network_operator=device.network_operator_id, csp_region=device.csp_region, hub=device.hub_id,
            )

    # --- helpers ---------------------------------------------------------------------------------

    def _pick(self, data, *, types=None, where=None) -> DeviceModel | None:
        candidates = [d for d in self.world.devices.values()
                      if (types is None or d.device_type in types) and (where is None or where(d))]
        return data.draw(st.sampled_from(sorted(candidates, key=lambda d: d.pk))) if candidates else None

    def _gas_proxy_of(self, gsme: DeviceModel) -> DeviceModel | None:
        return next((d for d in self.world.devices.values()
                     if gsme.hub is not None and d.hub == gsme.hub and d.device_type == DeviceType.GPF), None)

    def _suppliers(self) -> list[str]:
        return ["MSA", "MSB", "MSC"]

    def _apply_flag(self, device: DeviceModel, restricted: bool) -> None:
        """The model's effect of a successful set/clear: the device, and for a GSME the GPF of its SMS."""
        changed = [device]
        gpf = self._gas_proxy_of(device) if device.device_type == DeviceType.GSME else None
        if gpf is not None and gpf.restricted != restricted:
            changed.append(gpf)
        for each in changed:
            each.restricted = restricted
        self.world.flag_changes += len(changed)
        self.world.csp_messages += 1  # every device here is in a region with a CSP

    # --- inventory rules -------------------------------------------------------------------------

    @rule(supplier=st.sampled_from(["MSA", "MSB", "MSC"]),
          device_type=st.sampled_from([DeviceType.ESME, DeviceType.GSME, DeviceType.PPMID]))
    def prenotify(self, supplier: str, device_type: str) -> None:
        device = device_prenotify(
            actor=self.world.users[supplier], device_id=_device_id(), device_type=device_type, manufacturer="MBT",
            model=f"{device_type}-MB", firmware_version="1.0", smets_version=SmetsVersion.SMETS2_PLUS,
            csp_region="North",
        )
        party = self.world.parties[supplier].pk
        self.world.devices[device.pk] = DeviceModel(
            pk=device.pk, device_id=device.device_id, device_type=device_type, status=DeviceStatus.PENDING,
            responsible=party, prenotifier=party, network_operator=None, csp_region="North",
        )

    @rule(data=st.data(), actor=st.sampled_from(["MSA", "MSB", "MSC", "MNO", "DCC"]))
    def join(self, data, actor: str) -> None:
        device = self._pick(data, where=lambda d: d.device_type != DeviceType.CHF)
        hub = self._pick(data, types={DeviceType.CHF})
        if device is None or hub is None:
            return
        party = self.world.parties[actor]
        try:
            device_join_hub(actor=self.world.users[actor], device=Device.objects.get(pk=device.pk),
                            hub_id=hub.device_id)
        except DomainError:
            return
        # The security rules of a join that went through:
        assert party.is_dcc or party.pk == device.responsible, "joined by a party that does not supply the device"
        members = [d for d in self.world.devices.values() if d.hub == hub.pk or d.pk == hub.pk]
        assert party.is_dcc or any(d.responsible == party.pk for d in members), "joined a stranger's SMS"
        assert not (device.status == DeviceStatus.COMMISSIONED and device.hub not in (None, hub.pk)), \
            "moved a commissioned meter to another SMS"
        device.hub = hub.pk
        if device.status == DeviceStatus.PENDING:
            device.status = DeviceStatus.WHITELISTED

    @rule(data=st.data())
    def commission(self, data) -> None:
        """The network's event (the CSP reports the device commissioned): not a portal action."""
        device = self._pick(data, where=lambda d: d.status in PRE_COMMISSIONING and d.hub is not None)
        if device is None:
            return
        Device.objects.filter(pk=device.pk).update(status=DeviceStatus.COMMISSIONED)
        device.status = DeviceStatus.COMMISSIONED

    @rule(data=st.data(), actor=st.sampled_from(["MSA", "MSB", "MSC", "MNO", "MOU", "DCC", "CSPN"]),
          channel=st.sampled_from(CHANNELS), restricted=st.booleans())
    def restrict(self, data, actor: str, channel: str, restricted: bool) -> None:
        device = self._pick(data)
        if device is None:
            return
        try:
            restriction_set(device=Device.objects.get(pk=device.pk), actor=self.world.users[actor],
                            restricted=restricted, reason=REASON, attested=True, channel=channel)
        except DomainError:
            return
        assert self.world.parties[actor].pk == device.responsible, "a flag changed by a party that is not its supplier"
        self._apply_flag(device, restricted)

    @rule(data=st.data(), actor=st.sampled_from(["MSA", "MSB", "MSC", "MNO"]), restricted=st.booleans(),
          rows=st.integers(min_value=1, max_value=3))
    def restrict_in_bulk(self, data, actor: str, restricted: bool, rows: int) -> None:
        picked = {d.pk: d for d in (self._pick(data) for _ in range(rows)) if d is not None}
        chosen = list(picked.values())
        if not chosen:
            return
        results = restriction_bulk_apply(
            rows=[{"device_id": d.device_id, "restricted": restricted, "reason": REASON,
                   "all_reasonable_steps_taken": True} for d in chosen],
            actor=self.world.users[actor], channel=RestrictionChannel.BULK,
        )
        for device, result in zip(chosen, results, strict=True):
            if result.ok:
                assert self.world.parties[actor].pk == device.responsible, "a bulk row changed another's meter"
                self._apply_flag(device, restricted)

    @rule(data=st.data(), new_supplier=st.sampled_from(["MSA", "MSB", "MSC"]))
    def change_supplier(self, data, new_supplier: str) -> None:
        device = self._pick(data, types={DeviceType.ESME, DeviceType.GSME, DeviceType.PPMID})
        if device is None:
            return
        try:
            supplier_change_record(device=Device.objects.get(pk=device.pk), new_supplier=self.world.parties[new_supplier],
                            actor=self.world.users["DCC"])
        except DomainError:
            return
        old, new = device.responsible, self.world.parties[new_supplier].pk
        gpf = self._gas_proxy_of(device) if device.device_type == DeviceType.GSME else None
        device.responsible = new
        if gpf is not None and gpf.responsible == old:
            gpf.responsible = new

    # --- install-code requests (MP121) -----------------------------------------------------------

    @rule(target=incidents, data=st.data(), requester=st.sampled_from(["MSA", "MSB", "MSC"]))
    def raise_request(self, data, requester: str):
        device = self._pick(data)
        if device is None:
            return multiple()
        try:
            incident, _created = incident_raise_install_code_request(device_id=device.device_id,
                                                                     actor=self.world.users[requester])
        except DomainError:
            return multiple()
        return incident.pk

    @rule(target=incidents, data=st.data(), requester=st.sampled_from(["MSA", "MSB", "MSC"]),
          count=st.integers(min_value=1, max_value=3))
    def raise_requests_in_bulk(self, data, requester: str, count: int):
        picked = [self._pick(data) for _ in range(count)]
        device_ids = [d.device_id for d in picked if d is not None]
        if not device_ids:
            return multiple()
        results = incident_bulk_raise_install_code_requests(device_ids=device_ids, actor=self.world.users[requester])
        references = [r.reference for r in results if r.ok]
        return multiple(*Incident.objects.filter(reference__in=references).values_list("pk", flat=True))

    @rule(incident_pk=incidents, with_code=st.booleans(), pasted=st.booleans())
    def answer(self, incident_pk: int, with_code: bool, pasted: bool) -> None:
        incident = Incident.objects.select_related("assigned_party").get(pk=incident_pk)
        assignee = next((code for code, p in self.world.parties.items() if p.pk == incident.assigned_party_id), None)
        if assignee is None:
            return
        code = _install_code()
        self.world.codes.add(code)
        body = f"Here it is: {code}" if pasted else "Checked our installation records."
        try:
            incident_add_note(incident=incident, actor=self.world.users[assignee], body=body,
                              install_code=code if with_code else None)
        except DomainError:
            return

    @rule(incident_pk=incidents)
    def answer_not_installing(self, incident_pk: int) -> None:
        incident = Incident.objects.get(pk=incident_pk)
        assignee = next((code for code, p in self.world.parties.items() if p.pk == incident.assigned_party_id), None)
        if assignee is None:
            return
        try:
            incident_answer_not_installing_supplier(incident=incident, actor=self.world.users[assignee],
                                                    body="We did not install this meter.")
        except DomainError:
            return

    @rule(incident_pk=incidents, to=st.sampled_from(["MSA", "MSB", "MSC"]))
    def reassign(self, incident_pk: int, to: str) -> None:
        try:
            incident_reassign(incident=Incident.objects.get(pk=incident_pk), actor=self.world.users["DCC"],
                              to_party=self.world.parties[to])
        except DomainError:
            return

    @rule(incident_pk=consumes(incidents), actor=st.sampled_from(["MSA", "MSB", "MSC", "DCC"]))
    def close(self, incident_pk: int, actor: str) -> None:
        incident = Incident.objects.get(pk=incident_pk)
        try:
            incident_close(incident=incident, actor=self.world.users[actor], reason="Done.")
        except DomainError:
            return
        party = self.world.parties[actor]
        assert party.is_dcc or party.pk == incident.raised_by_id, "closed by a party that did not raise it"

    @rule(incident_pk=incidents, actor=st.sampled_from(["MSA", "MSB", "MSC", "DCC", "MNO"]))
    def reveal(self, incident_pk: int, actor: str) -> None:
        incident = Incident.objects.get(pk=incident_pk)
        try:
            code = incident_reveal_install_code(incident=incident, actor=self.world.users[actor])
        except DomainError:
            return
        party = self.world.parties[actor]
        assert party.pk == incident.raised_by_id or IncidentNote.objects.filter(
            incident=incident, party=party).exclude(install_code_ciphertext="").exists(), "code revealed to a third party"
        assert code in self.world.codes

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def database_matches_the_model(self) -> None:
        """Every success was applied exactly as modelled; every refusal changed nothing."""
        if not self.world.devices:
            return
        rows = Device.objects.filter(pk__in=self.world.devices).values_list(
            "pk", "status", "responsible_supplier_id", "hub_id", "restricted")
        for pk, status, responsible, hub, restricted in rows:
            model = self.world.devices[pk]
            assert (status, responsible, hub, restricted) == (
                model.status, model.responsible, model.hub, model.restricted), model.device_id

    @invariant()
    def gas_meter_and_gas_proxy_agree(self) -> None:
        for gsme in Device.objects.filter(pk__in=self.world.devices, device_type=DeviceType.GSME, hub__isnull=False):
            for gpf in Device.objects.filter(hub_id=gsme.hub_id, device_type=DeviceType.GPF):
                assert gpf.restricted == gsme.restricted, (gsme.device_id, gpf.device_id)

    @invariant()
    def each_flag_change_has_one_audit_row_and_one_csp_message(self) -> None:
        """... and each audit row names the party that was the device's Responsible Supplier at that moment."""
        assert RestrictionChange.objects.count() == self.world.flag_changes
        assert OutboxMessage.objects.filter(source__startswith="restriction:").count() == self.world.csp_messages
        for change in RestrictionChange.objects.select_related("device"):
            assert change.party_id == _responsible_at(change.device, change.at), change.device.device_id

    @invariant()
    def audit_chain_verifies(self) -> None:
        report = verify_audit_chains()
        assert not report.breaks, report.breaks

    @invariant()
    def every_party_sees_exactly_its_scope(self) -> None:
        if not self.world.devices:
            return
        for code, party in self.world.parties.items():
            seen = set(device_queryset_for(party).filter(pk__in=self.world.devices).values_list("pk", flat=True))
            assert seen == {d.pk for d in self.world.devices.values() if _in_scope(party, d)}, code

    @invariant()
    def no_install_code_outside_its_field(self) -> None:
        if not self.world.codes:
            return
        texts = [
            *IncidentNote.objects.values_list("body", flat=True),
            *IncidentEvent.objects.values_list("detail", flat=True),
            *OutboxMessage.objects.values_list("subject", flat=True),
            *OutboxMessage.objects.values_list("body", flat=True),
            *(str(payload) for payload in OutboxMessage.objects.values_list("payload", flat=True)),
        ]
        with connection.cursor() as cursor:
            cursor.execute("SELECT install_code_ciphertext FROM incidents_incidentnote WHERE install_code_ciphertext <> ''")
            texts += [row[0] for row in cursor.fetchall()]
        for text in texts:
            upper = (text or "").upper()
            assert not any(code in upper for code in self.world.codes), "an install code stored in clear"

    @invariant()
    def open_requests_keep_a_state(self) -> None:
        assert not Incident.objects.exclude(state__in=IncidentState.values).exists()


def _responsible_at(device: Device, at) -> int | None:
    """The device's Responsible Supplier at ``at``, read back from its Change of Supplier history."""
    before = SupplierChange.objects.filter(device=device, at__lte=at).order_by("-at", "-id").first()
    if before is not None:
        return before.new_supplier_id
    after = SupplierChange.objects.filter(device=device, at__gt=at).order_by("at", "id").first()
    return after.old_supplier_id if after is not None else device.responsible_supplier_id


def _in_scope(party: Party, device: DeviceModel) -> bool:
    """The plain-Python statement of ``device_scope_q`` (DOMAIN.md, "Privacy")."""
    if party.is_dcc:
        return True
    if party.is_csp:
        return device.csp_region in ("North", "4G North")
    seen = False
    if party.is_supplier:
        seen = device.responsible == party.pk or (device.prenotifier == party.pk and device.status in PRE_COMMISSIONING)
    if party.is_network_operator:
        seen = seen or device.network_operator == party.pk
    return seen


#: Sequences per run and steps per sequence: small by default (seconds, in ``make test``); the ``long`` profile
#: (``pytest tests/security/test_model_based.py --hypothesis-profile=long``) runs far more.
DEFAULT_RUN = {"max_examples": 10, "stateful_step_count": 20}


@pytest.mark.fuzz
def test_domain_services_keep_their_invariants_for_any_sequence(db):
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    run = {} if settings.get_current_profile_name() != "default" else DEFAULT_RUN
    run_state_machine_as_test(PortalMachine, settings=settings(
        settings(), deadline=None, suppress_health_check=list(HealthCheck), **run,
    ))
