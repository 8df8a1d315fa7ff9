"""DUIS 5.4 XML in and out: safe parsing, schema validation (5.4 and the portal's MP169 extension),
dispatch through the gateway's decision service, and the responses (8.2 ``sr:DSPInventory``,
acknowledgements)."""
