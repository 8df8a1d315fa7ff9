"""The estate planner of ``demo_data`` is pure (no database): the same seed gives the same estate, row for row.

``EstatePlanner.sms`` was split into named steps (issue 21); the digest below was taken from the planner
before the split (commit ef0c178) over 20,000 SMS of seeds 1 and 7, so any change in what it draws, or in
the order it draws from the seeded random stream, changes it.
"""
from __future__ import annotations

import dataclasses
import hashlib

from inventory.management.commands.demo_data import (
    CPL_MODELS,
    ELECTRICITY_DISTRIBUTORS,
    FIRMWARE_WEIGHTS,
    GAS_TRANSPORTERS,
    SUPPLIERS,
    Catalogue,
    EstatePlanner,
)
from portal.models import Party

#: sha256 of the planner's output before the split (see the module docstring).
DIGEST_BEFORE_SPLIT = "69216c64b469c2097329221732f26b455118120109332e53ce83d92ae084cc66"
SMS_PER_SEED = 10_000


def synthetic_catalogue() -> Catalogue:
    """The catalogue ``build_catalogue`` makes, with fixed primary keys instead of database rows."""
    numbers = iter(range(1, 10_000))
    suppliers = [Party(pk=next(numbers), code=code, name=name, roles=roles) for code, name, roles, _u in SUPPLIERS]
    distributors = {region: (Party(pk=next(numbers), code=code, name=name, roles=["ED"]), prefix)
                    for code, name, region, _u, prefix in ELECTRICITY_DISTRIBUTORS}
    transporters = {}
    for code, name, regions, _u in GAS_TRANSPORTERS:
        party = Party(pk=next(numbers), code=code, name=name, roles=["GT"])
        transporters.update(dict.fromkeys(regions, party))
    cpl: dict = {}
    for device_type, _m, _model, _h, smets_versions, firmwares in CPL_MODELS:
        for smets in smets_versions:
            row_ids = [next(numbers) for _ in firmwares]
            cpl.setdefault((device_type, smets), []).append((row_ids, FIRMWARE_WEIGHTS[len(row_ids)]))
    return Catalogue(suppliers=suppliers, gas_suppliers=[p for p in suppliers if "GS" in p.roles],
                     distributors=distributors, transporters=transporters, cpl=cpl, actors={})


def planner_digest(seeds: tuple[int, ...] = (1, 7), count: int = SMS_PER_SEED) -> str:
    digest = hashlib.sha256()
    catalogue = synthetic_catalogue()
    for seed in seeds:
        planner = EstatePlanner(seed, catalogue)
        for index in range(count):
            digest.update(repr(dataclasses.astuple(planner.sms(index))).encode())
    return digest.hexdigest()


def test_the_split_planner_draws_exactly_the_estate_it_drew_before():
    assert planner_digest() == DIGEST_BEFORE_SPLIT


def test_a_different_seed_gives_a_different_estate():
    assert planner_digest(seeds=(2,), count=200) != planner_digest(seeds=(1,), count=200)
