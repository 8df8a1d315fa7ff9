"""Fixtures for MP121: a gaining supplier, the installing supplier, and an installed-not-commissioned meter."""
from __future__ import annotations

import pytest

from inventory.choices import DeviceStatus
from tests.factories import DeviceFactory, SupplierFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(fast_password_hashing):
    """Users are made in every test here; PBKDF2 at full strength would dominate the run time."""


@pytest.fixture
def gaining(supplier):
    """The gaining supplier (SUPA): raises install-code requests."""
    return supplier


@pytest.fixture
def installer(other_supplier):
    """The installing (pre-notifying) supplier (SUPB)."""
    return other_supplier


@pytest.fixture
def gaining_user(gaining):
    return UserFactory(party=gaining, username="gaining-user", email="alice@supa.example")


@pytest.fixture
def installer_user(installer):
    return UserFactory(party=installer, username="installer-user")


@pytest.fixture
def third_user(db):
    return UserFactory(party=SupplierFactory(code="SUPC", name="Supplier C"), username="third-user")


@pytest.fixture
def make_device(gaining, installer):
    def _make(**kwargs):
        defaults = {
            "status": DeviceStatus.INSTALLED_NOT_COMMISSIONED, "responsible_supplier": gaining,
            "prenotifying_supplier": installer, "date_commissioned": None,
        }
        return DeviceFactory(**{**defaults, **kwargs})

    return _make


@pytest.fixture
def device(make_device):
    return make_device()


@pytest.fixture
def raise_request(gaining_user):
    from incidents.services import incident_raise_install_code_request

    def _raise(device, actor=None):
        incident, _created = incident_raise_install_code_request(device_id=device.device_id, actor=actor or gaining_user)
        return incident

    return _raise


INSTALL_CODE = "30313233343536373839414243444546"
