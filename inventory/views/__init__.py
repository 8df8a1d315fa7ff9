"""Inventory pages, one module per sub-domain: ``devices`` (list, device page, pre-notify, join), ``cpl``,
``extracts``, ``restriction`` (MP169), ``supplier_changes`` (DCC Change of Supplier). Only the URLconf
(``inventory/urls.py``) imports them, by module; nothing is re-exported here."""
