"""The SSI inventory list's columns: which exist, which a user sees, and how each cell is drawn.

NetBox lets a user configure a table's columns and keeps the choice (``UserConfig``); this does the same
for the one keyset-paged device list. django-tables2 was considered: its ordering (``?sort=``) and its
paginators are OFFSET/COUNT based, and the list pages by Device ID only (docs/inventory-list.md), so what
is kept from it is the idea - a declared column set rendered from the rows - not the library.

A column is registered once (``register_device_column``) with a label, a cell renderer and, where the cell
needs more than the list's queryset selects, a ``prepare`` hook that adds it (run only while the column is
shown, so a hidden column costs no query). Another feature's marker - MP169's "Restricted in SMS" - is
one more ``register_device_column`` call from that feature's module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from inventory.models import Device, ListColumnPreference
from inventory.selectors import restricted_in_sms_q

DEVICE_LIST = "devices"
DASH = "\N{EM DASH}"


@dataclass(frozen=True)
class Column:
    """One column of a list: ``name`` is what the preference stores and the URL never sees."""

    name: str
    label: str
    render: Callable[[Device], SafeString | str]
    default: bool = True
    #: Shown whatever the user chose (the row's link).
    always: bool = False
    #: Adds what the cell needs to the list's queryset (``select_related``, an annotation).
    prepare: Callable[[QuerySet[Device]], QuerySet[Device]] | None = None
    #: CSS class of the cells (``mono`` for identifiers).
    css: str = ""


_DEVICE_COLUMNS: dict[str, Column] = {}


def register_device_column(column: Column, *, after: str | None = None) -> Column:
    """Add ``column`` to the device list (after the column named ``after``, else at the end)."""
    if column.name in _DEVICE_COLUMNS:
        raise ValueError(f"Device list column {column.name!r} is registered twice.")
    items = list(_DEVICE_COLUMNS.items())
    position = len(items)
    if after is not None:
        position = [name for name, _ in items].index(after) + 1
    items.insert(position, (column.name, column))
    _DEVICE_COLUMNS.clear()
    _DEVICE_COLUMNS.update(items)
    return column


def device_columns() -> list[Column]:
    """Every registered column, in display order."""
    return list(_DEVICE_COLUMNS.values())


def default_column_names() -> list[str]:
    return [column.name for column in device_columns() if column.default or column.always]


def clean_column_names(names: Iterable[str]) -> list[str]:
    """The known names among ``names``, in display order, always-shown columns included (unknown ones,
    say a column a later release removed, are dropped silently)."""
    wanted = set(names)
    return [column.name for column in device_columns() if column.always or column.name in wanted]


def chosen_columns(user) -> list[Column]:
    """The columns ``user`` chose for the device list (one indexed read), else the defaults."""
    names = (ListColumnPreference.objects.filter(user=user, list_name=DEVICE_LIST)
             .values_list("columns", flat=True).first())
    selected = set(clean_column_names(names) if names is not None else default_column_names())
    return [column for column in device_columns() if column.name in selected]


def save_chosen_columns(user, names: Sequence[str]) -> list[str]:
    """Keep ``user``'s choice (the always-shown columns need not be named); returns what was stored."""
    cleaned = clean_column_names(names)
    ListColumnPreference.objects.update_or_create(user=user, list_name=DEVICE_LIST, defaults={"columns": cleaned})
    return cleaned


def reset_chosen_columns(user) -> None:
    ListColumnPreference.objects.filter(user=user, list_name=DEVICE_LIST).delete()


def prepare_queryset(queryset: QuerySet[Device], columns: Iterable[Column]) -> QuerySet[Device]:
    for column in columns:
        if column.prepare is not None:
            queryset = column.prepare(queryset)
    return queryset


# --- the inventory's own columns -------------------------------------------------------------------------

def _abbr(code: str, label: str) -> SafeString | str:
    return format_html('<abbr title="{}">{}</abbr>', label, code) if code and label and label != code else code


def _restricted(device: Device) -> SafeString | str:
    """Restricted, else MP169's "Restricted in SMS" marker (a device joined to the same hub is restricted)."""
    if device.restricted:
        return mark_safe('<span class="tag tag-restricted">Restricted</span>')  # noqa: S308 - a constant
    if getattr(device, "restricted_in_sms", False):
        return mark_safe(  # noqa: S308 - a constant
            '<span class="tag tag-restricted-sms" title="A device joined to this hub is restricted: a quiet hub is '
            'not a fault">Restricted in SMS</span>')
    return "No"


def _with_restricted_in_sms(queryset: QuerySet[Device]) -> QuerySet[Device]:
    return queryset.annotate(restricted_in_sms=restricted_in_sms_q())


def _supplier(device: Device) -> SafeString | str:
    party = device.responsible_supplier
    return _abbr(party.code, party.name) if party is not None else DASH


for _column in (
    Column("restricted", "Restricted", _restricted, prepare=_with_restricted_in_sms),
    Column("device_type", "Type", lambda d: _abbr(d.device_type, d.get_device_type_display())),
    Column("status", "SMI status", lambda d: d.get_status_display()),
    Column("smets_version", "SMETS", lambda d: d.smets_version),
    Column("model", "Manufacturer / model", lambda d: f"{d.cpl_entry.manufacturer} {d.cpl_entry.model}",
           default=False),
    Column("firmware", "Firmware", lambda d: d.cpl_entry.firmware_version, default=False, css="mono"),
    Column("mpxn", "MPxN", lambda d: d.mpxn or DASH, css="mono"),
    Column("uprn", "UPRN", lambda d: d.uprn or DASH, default=False, css="mono"),
    Column("postcode", "Postcode", lambda d: d.postcode or DASH),
    Column("payment_mode", "Payment mode", lambda d: d.get_payment_mode_display()),
    Column("csp_region", "CSP region", lambda d: d.get_csp_region_display(), default=False),
    Column("responsible_supplier", "Responsible supplier", _supplier),
    Column("date_commissioned", "Commissioned", lambda d: f"{d.date_commissioned:%d %b %Y}" if d.date_commissioned
           else DASH, default=False),
):
    register_device_column(_column)
