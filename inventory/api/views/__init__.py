"""REST views of the inventory, one module per sub-domain: ``devices`` (list, one device, extract, pre-notify,
join), ``cpl``, ``restriction`` (MP169). Only the URLconf (``inventory/api/urls.py``) imports them, by module;
nothing is re-exported here."""
