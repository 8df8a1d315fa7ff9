"""Forms of the inventory pages, one module per sub-domain; the public names of each are re-exported here
(``from inventory.forms import DeviceFilterForm``). Forms only shape input: every rule is the services'.

- ``devices``: the inventory list's filters (base form of ``DeviceFilterSet``), pre-notify, join a hub;
- ``cpl``: Central Products List maintenance (DCC service desk);
- ``restriction``: MP169 set or clear on one meter, the bulk upload;
- ``supplier_changes``: the DCC's Change of Supplier.
"""
from inventory.forms.cpl import CPLEntryAddForm, CPLStatusForm
from inventory.forms.devices import DeviceFilterForm, DeviceJoinForm, DevicePrenotifyForm
from inventory.forms.hub_replacement import HubReplaceForm
from inventory.forms.restriction import RestrictionBulkUploadForm, RestrictionForm
from inventory.forms.supplier_changes import SupplierChangeForm

__all__ = [
    "CPLEntryAddForm", "CPLStatusForm",
    "DeviceFilterForm", "DeviceJoinForm", "DevicePrenotifyForm",
    "HubReplaceForm",
    "RestrictionBulkUploadForm", "RestrictionForm",
    "SupplierChangeForm",
]
