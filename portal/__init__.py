"""The bottom layer: parties, users, API tokens, domain errors, the outbox, the audit chain, pagination,
jobs and shared UI pieces. It imports no other app of the portal (checked by import-linter)."""
