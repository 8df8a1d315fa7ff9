"""``manage.py duis_demo_identities``: DUIS User IDs for the demo estate (run by the launcher after ``demo_data``).

* ``HRTH`` holds the DCC Boxed test supplier User ID ``90-B3-D5-1F-30-01-00-00`` (as IS) and ``ENNW`` the test
  network operator's ``90-B3-D5-1F-30-02-00-00`` (as ED), with their public ZAZ1 certificates read from the DCC
  Boxed tool at demo time (npm ``@smartdcc/duis-sign-wrap``; nothing of it is committed), so requests signed by
  that tool are accepted as they are;
* every other role of every SEC party gets a User ID ``90-B3-D5-1F-DE-<party>-<role>`` (two bytes of the SHA-256 of
  the party code, then the role's index) with a certificate
  from the demo CA generated here (``gateway.duis.demo_ca``); its key is written beside it under
  ``.local/demo-ca/keys/`` (PKCS#8 PEM, as the Boxed tool's Sign takes it on its command line).

Idempotent: a role that already has an active User ID is left alone. Registered by the DCC service desk user
through ``duis_identity_register``, so each is audited like a registration on the page.
"""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand

from gateway.duis import boxed
from gateway.duis.demo_ca import demo_ca_dir, demo_certificate_issue
from gateway.duis.identities import DUIS_USER_ROLES, duis_identity_register
from gateway.models import DuisIdentity
from portal.models import DCC_PARTY_CODE, Party, User

BOXED_IDENTITIES = {("HRTH", "IS"): boxed.TEST_SUPPLIER_USER_ID, ("ENNW", "ED"): boxed.TEST_NETWORK_OPERATOR_USER_ID}


class Command(BaseCommand):
    help = "Give the demo parties DUIS User IDs and signing certificates (DCC Boxed test identities and a demo CA)."

    def handle(self, *args, **options):
        dcc = Party.objects.get(code=DCC_PARTY_CODE)
        actor = dcc.users.order_by("id").first() or User.objects.create(username="duis-demo", party=dcc)
        keys = demo_ca_dir() / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        made = 0
        parties = Party.objects.exclude(roles__overlap=["DCC", "CSP"]).order_by("code")
        for party in parties:
            digest = hashlib.sha256(party.code.encode()).digest()
            for role in [r for r in DUIS_USER_ROLES if r in party.roles]:
                if DuisIdentity.objects.filter(party=party, role=role, revoked_at__isnull=True).exists():
                    continue
                user_id = BOXED_IDENTITIES.get((party.code, role))
                if user_id:
                    pem = boxed.boxed_certificate_pem(user_id)
                else:
                    user_id = f"90-B3-D5-1F-DE-{digest[0]:02X}-{digest[1]:02X}-{DUIS_USER_ROLES.index(role) + 1:02X}"
                    pem, der = demo_certificate_issue(user_id=user_id)
                    key = serialization.load_der_private_key(der, password=None)
                    (keys / f"{user_id}.key").write_bytes(key.private_bytes(
                        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
                    (keys / f"{user_id}.pem").write_text(pem)
                duis_identity_register(actor=actor, party=party, user_id=user_id, role=role, certificate_pem=pem,
                                       reason="demo estate")
                made += 1
                self.stdout.write(f"{party.code} {role}: {user_id}")
        self.stdout.write(f"DUIS identities: {made} registered; demo keys in {keys}")
