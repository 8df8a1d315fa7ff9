"""Journeys through the shell and the SSI inventory, as each role, in a real browser."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, NetworkOperatorFactory, SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.e2e


@pytest.fixture
def parties():
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    other = SupplierFactory(code="SUPB", name="Supplier B")
    operator = NetworkOperatorFactory(code="DNOA", name="Network Operator A")
    return supplier, other, operator


def test_supplier_logs_in_with_the_form_and_lands_on_its_home(open_as, parties):
    supplier, _other, _operator = parties
    UserFactory(username="alice", first_name="Alice", last_name="Archer", party=supplier)
    page = open_as(None, "/")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    screenshot(page, "login-error")

    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Archer")
    expect(page.get_by_test_id("party-badge")).to_contain_text("SUPA Supplier A")
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Gateway logs")).to_be_visible()
    expect(main_nav.get_by_role("link", name="Admin")).to_have_count(0)
    expect(page.get_by_role("link", name="Restricted devices")).to_be_visible()
    screenshot(page, "home-supplier")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_keyboard_user_skips_to_main_content_and_sees_focus(open_as, parties):
    supplier, _other, _operator = parties
    page = open_as(UserFactory(party=supplier), "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none", "the focused skip link shows a focus outline"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def test_each_role_sees_its_own_part_of_the_inventory(open_as, parties, dcc_party):
    supplier, other, operator = parties
    ours = DeviceFactory(responsible_supplier=supplier, prenotifying_supplier=supplier, network_operator=operator)
    theirs = DeviceFactory(responsible_supplier=other, prenotifying_supplier=other)

    page = open_as(UserFactory(party=supplier), "/inventory/")
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=ours.device_id)).to_be_visible()
    expect(table.get_by_role("link", name=theirs.device_id)).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Inventory")).to_have_attribute(
        "aria-current", "page")
    screenshot(page, "inventory-supplier")

    page = open_as(UserFactory(party=operator), "/inventory/")
    expect(page.get_by_role("table").get_by_role("link", name=ours.device_id)).to_be_visible()
    expect(page.get_by_role("table").get_by_role("link", name=theirs.device_id)).to_have_count(0)

    page = open_as(UserFactory(party=dcc_party), "/")
    expect(page.get_by_test_id("party-badge")).to_contain_text("DCC")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()
    screenshot(page, "home-dcc")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inventory").click()
    expect(page.get_by_role("table").get_by_role("link", name=ours.device_id)).to_be_visible()
    expect(page.get_by_role("table").get_by_role("link", name=theirs.device_id)).to_be_visible()


def test_supplier_finds_a_device_from_home_and_opens_its_page(open_as, parties):
    supplier, _other, _operator = parties
    sms = make_sms(supplier=supplier, gas=False)
    meter = sms["ESME"]
    page = open_as(UserFactory(party=supplier), "/")

    page.get_by_label("Find a device").fill(meter.device_id.replace("-", "").lower())
    page.get_by_role("button", name="Search", exact=True).click()

    # A search that names one device exactly opens its page (issue 19).
    expect(page).to_have_url(re.compile(rf"/inventory/devices/{meter.device_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(meter.device_id)
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("SSI inventory")
    expect(page.get_by_text(sms["CHF"].device_id).first).to_be_visible()
    screenshot(page, "device-page-supplier")


def test_supplier_extracts_the_filtered_list_and_downloads_the_file(open_as, parties):
    supplier, other, _operator = parties
    gas = [make_sms(supplier=supplier)["GSME"] for _ in range(3)]
    make_sms(supplier=other)
    page = open_as(UserFactory(party=supplier), "/inventory/")
    page.get_by_label("Device type").select_option("GSME")
    expect(page).to_have_url(re.compile(r"device_type=GSME"))
    expect(page.locator("#device-rows tbody tr")).to_have_count(3)

    page.get_by_role("button", name="Extract these results (CSV)").click()

    expect(page.get_by_role("status")).to_contain_text("Your extract of 3 devices is ready to download.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Device extract #")
    screenshot(page, "device-extract-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the extract (CSV)").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0].startswith("device_id,device_type,status")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(meter.device_id for meter in gas)

    page.get_by_role("link", name="Your extracts").click()
    expect(page.get_by_role("table", name="Your recent extracts")).to_contain_text(
        "Device type: Gas Smart Metering Equipment")
