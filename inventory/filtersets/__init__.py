"""Filters of the inventory lists, one module per sub-domain; each FilterSet serves its page, its REST list
and (for devices) the extracts, so one definition filters all three. Re-exported here
(``from inventory.filtersets import DeviceFilterSet``).

- ``devices``: the SSI inventory list (indexed equalities and one exact ``q`` search);
- ``cpl``: the Central Products List.
"""
from inventory.filtersets.cpl import CPLEntryFilterSet
from inventory.filtersets.devices import DeviceFilterSet, device_search_q, search_device_id, supplier_parties

__all__ = ["CPLEntryFilterSet", "DeviceFilterSet", "device_search_q", "search_device_id", "supplier_parties"]
