"""Signals inventory sends so higher layers can react without inventory importing them.

``device_supplier_changed``: sent inside the Change of Supplier transaction, once per device whose
Responsible Supplier changed, with ``device``, ``old_supplier``, ``new_supplier``, ``actor`` and ``change``
(the ``SupplierChange`` row). A receiver that raises aborts the change (its writes share the transaction).
"""
from django.dispatch import Signal

device_supplier_changed = Signal()
