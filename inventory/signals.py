"""Signals inventory sends so higher layers can react without inventory importing them (docs/architecture.md).

``device_supplier_changed``: sent inside the Change of Supplier transaction, once per device whose
Responsible Supplier changed, with ``device``, ``old_supplier``, ``new_supplier``, ``actor`` and ``change``
(the ``SupplierChange`` row). A receiver that raises aborts the change (its writes share the transaction).

``restriction_changed`` is sent by ``inventory.services.restriction.restriction_set`` INSIDE the change's
transaction, after the audit rows are written, with ``changes`` (the ``RestrictionChange`` rows: the meter's and a
cascaded GPF's), ``restricted`` (the new value) and ``actor``. A receiver's writes commit or roll back with the
change, and a receiver that raises refuses the whole change. Gateway connects R169-13 (DSP schedules of restricted
SRVs removed, ``DSPScheduleRemoval`` DCC alerts) in its ``AppConfig.ready``.
"""
from django.dispatch import Signal

device_supplier_changed = Signal()
restriction_changed = Signal()
