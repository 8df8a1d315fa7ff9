"""R121-9: install codes are secrets. Their format (SRV 8.11), who may read one (every reveal recorded),
re-encryption with a new key, and the rule that they never go into free text.

Install codes never go into free text. ONE test, used by every free-text field of an incident.

An install code (SRV 8.11 ``InstallCode``: 6 to 16 octets) typed or pasted into a note, a "not the
installing supplier" comment or a close reason would be stored in clear and shown to everyone who
sees the incident, the DCC service desk included. ``looks_like_install_code`` finds one in any of
the forms people write them in: one block (``00112233...``), pairs or quads separated by spaces,
dashes, colons, dots or underscores (``00 11 22 ...``, ``0011-2233-...``, ``00:11:...``), with an
``0x`` prefix, in either case, across a line break, in full-width digits. The services refuse such
text (``refuse_install_code_in_text``) and store nothing.

How text is read:

* A *group* is a whole word of hex digits. Groups joined by one ``-``, ``:``, ``.`` or ``_`` form a
  *chunk* (``0011-2233``, ``00:DB:12``); chunks joined by one or two whitespace characters (a space,
  a tab, ``\\r\\n``) form a *run*.
* Within a run, neighbouring chunks belong to the same *segment* when they have the same group
  length (``00 11 22``, ``0011 ABCD 2233``) or both contain a decimal digit (``0011223344 5566778899AA``).
  So words that happen to be hex (``a``, ``bad``, ``cafe``, ``faced``) do not glue onto a number next
  to them: "MPAN 1234567890123 faced a fault" is prose, not a 19-digit code.
* A segment of 16 or more hex digits (separators removed) is an install code - if it is one block,
  or if it contains a decimal digit (a random 16-digit code has none with probability 1.5e-7; words
  such as "dead beef cafe face" have none). There is no upper bound: a longer segment may be a code
  with neighbours. Dates and times (``2024-01-15``, ``10:30:00.123``) never join a segment.

Device IDs (the decision, issue 14): a Device ID is legitimately mentioned in notes - the incident's
own device, its hub, the GPF - and an EUI-64 is 16 hex digits, the length of an 8-octet code. So:

* any EUI-64 written as a Device ID (``00-DB-12-34-56-78-90-A0``: 8 pairs, dashes, either case)
  standing on its own is allowed;
* the incident's own Device ID is allowed in any written form (colons, spaces, one block);
* two Device IDs joined only by whitespace, or a Device ID followed by more dashed pairs, are one
  segment (a 16-octet code split in halves, e.g. by a line wrap): refused - separate Device IDs with
  commas.

The price: an 8-octet code written exactly like a Device ID (8 dashed pairs) is let through; it
cannot be told from a Device ID. 16-octet codes, the usual length, are caught in every form.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction

from incidents.choices import IncidentEventKind
from incidents.models import Incident, IncidentNote, InstallCodeDeposit
from incidents.services.common import incident_event_record, party_of
from portal.crypto import decrypt_text, reencrypt_text
from portal.errors import NotFound, PermissionDenied, ValidationFailed
from portal.models import Party, User

#: A segment with this many hex digits or more looks like an install code (SRV 8.11 codes have 12 to 32).
MIN_HEX_DIGITS = 16

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_DASHES = {ord(char): "-" for char in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}
_GROUP = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?([0-9A-Fa-f]+)(?![0-9A-Za-z])")
_TIGHT_SEPARATORS = frozenset("-:._")
_DATE_OR_TIME = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}|\d{2}[-.]\d{2}[-.]\d{4}|\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$"
)
_NON_HEX = re.compile(r"[^0-9A-F]")


@dataclass
class _Chunk:
    """Hex groups joined by single tight separators (``-:._``)."""

    groups: list[str] = field(default_factory=list)
    separators: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def digits(self) -> str:
        return "".join(self.groups)

    @property
    def unit(self) -> int | None:
        """The common group length, if every group has the same."""
        lengths = {len(group) for group in self.groups}
        return lengths.pop() if len(lengths) == 1 else None

    @property
    def has_decimal(self) -> bool:
        return any(char.isdigit() for char in self.digits)

    @property
    def is_pairs(self) -> bool:
        return len(self.groups) >= 2 and self.unit == 2

    @property
    def is_device_id(self) -> bool:
        return len(self.groups) == 8 and self.unit == 2 and set(self.separators) == {"-"}

    @property
    def is_date_or_time(self) -> bool:
        return bool(_DATE_OR_TIME.match(self.text))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_DASHES)


def _runs(text: str) -> list[list[_Chunk]]:
    """The text's hex chunks, grouped into runs (chunks joined by one or two whitespace characters)."""
    runs: list[list[_Chunk]] = []
    chunk_start = previous_end = 0
    for match in _GROUP.finditer(text):
        gap = text[previous_end:match.start()]
        if runs and len(gap) == 1 and gap in _TIGHT_SEPARATORS:
            runs[-1][-1].separators.append(gap)
        else:
            if runs:
                runs[-1][-1].text = text[chunk_start:previous_end]
            if runs and 1 <= len(gap) <= 2 and gap.isspace():
                runs[-1].append(_Chunk())
            else:
                runs.append([_Chunk()])
            chunk_start = match.start()
        runs[-1][-1].groups.append(match.group(1).upper())
        previous_end = match.end()
    if runs:
        runs[-1][-1].text = text[chunk_start:previous_end]
    return runs


def _joined(before: _Chunk, after: _Chunk) -> bool:
    """Do two neighbouring chunks of a run belong to one segment?"""
    if before.is_device_id or after.is_device_id:
        return (before.is_device_id or before.is_pairs) and (after.is_device_id or after.is_pairs)
    if before.is_date_or_time or after.is_date_or_time:
        return False
    return (before.unit is not None and before.unit == after.unit) or (before.has_decimal and after.has_decimal)


def _segments(run: list[_Chunk]) -> list[list[_Chunk]]:
    segments = [[run[0]]]
    for before, after in zip(run, run[1:], strict=False):
        if _joined(before, after):
            segments[-1].append(after)
        else:
            segments.append([after])
    return segments


def _is_code(segment: list[_Chunk], own_device_hex: str) -> bool:
    digits = "".join(chunk.digits for chunk in segment)
    if len(digits) < MIN_HEX_DIGITS:
        return False
    if len(segment) == 1 and segment[0].is_device_id:
        return False
    if own_device_hex and digits == own_device_hex:
        return False
    one_block = len(segment) == 1 and len(segment[0].groups) == 1
    return one_block or any(char.isdigit() for char in digits)


def looks_like_install_code(text: str | None, *, device_id: str | None = None) -> bool:
    """True when ``text`` holds something that looks like an install code (see the module docstring).

    ``device_id`` is the incident's own Device ID, allowed in any written form.
    """
    if not text:
        return False
    own_device_hex = _NON_HEX.sub("", (device_id or "").upper())
    segments = (segment for run in _runs(_normalise(text)) for segment in _segments(run))
    return any(_is_code(segment, own_device_hex) for segment in segments)


def refuse_install_code_in_text(text: str | None, *, field: str, label: str, device_id: str | None = None,
                                code: str = "install_code_in_text") -> None:
    """Raise ``ValidationFailed`` (nothing is stored) when ``text`` looks like it holds an install code.

    ``field`` names the form/API field for the error, ``label`` the field as people call it ("The note").
    """
    if not looks_like_install_code(text, device_id=device_id):
        return
    raise ValidationFailed(
        f"{label} looks like it contains an install code (16 or more hexadecimal digits). Put the code in the "
        "install code field of a note, where it is stored encrypted and shown only to the two parties. "
        "Device IDs are fine written as 00-DB-12-34-56-78-90-A0, separated by commas. Nothing was saved.",
        code=code, errors={field: ["Do not write install codes in this text; use the install code field."]},
    )


# --- the install code itself (SRV 8.11) -----------------------------------------------------

#: DUIS SRV 8.11 ``InstallCode`` is ``xs:hexBinary`` of 6 to 16 octets: 12 to 32 hex characters, even.
INSTALL_CODE_PATTERN = re.compile(r"^(?:[0-9A-F]{2}){6,16}$")
INSTALL_CODE_FORMAT = "6 to 16 bytes written as 12 to 32 hexadecimal characters (the SRV 8.11 InstallCode format)"


def normalise_install_code(value: str) -> str:
    """Upper-case hex without spaces, or ``ValidationFailed`` naming the expected format."""
    candidate = re.sub(r"\s+", "", value or "").upper()
    if not INSTALL_CODE_PATTERN.match(candidate):
        raise ValidationFailed(
            f"The install code is not valid: expected {INSTALL_CODE_FORMAT}.",
            code="invalid_install_code", errors={"install_code": [f"Expected {INSTALL_CODE_FORMAT}."]},
        )
    return candidate


# --- who reads a code, and key rotation -----------------------------------------------------

def incident_can_reveal(*, incident: Incident, party: Party | None, note: IncidentNote) -> bool:
    """Only the two parties of the incident see a code: the raiser and the supplier who supplied it."""
    return party is not None and party.pk in (incident.raised_by_id, note.party_id)


@transaction.atomic
def incident_reveal_install_code(*, incident: Incident, actor: User, note: IncidentNote | None = None) -> str:
    """Return the clear install code (the latest one unless ``note`` is given) and record who revealed it."""
    party = party_of(actor)
    if note is None:
        note = incident.notes.exclude(install_code_ciphertext="").order_by("-created_at", "-id").first()
    elif note.incident_id != incident.pk:
        raise NotFound("That note is not part of this incident.")
    if note is None or not note.install_code_ciphertext:
        raise NotFound(f"No install code has been supplied on incident {incident.reference} yet.",
                       code="no_install_code")
    if not incident_can_reveal(incident=incident, party=party, note=note):
        raise PermissionDenied("Only the raising party and the supplier that provided it can see an install code.")
    code = decrypt_text(note.install_code_ciphertext)
    incident_event_record(incident, IncidentEventKind.CODE_REVEALED, actor=actor, party=party, note=note,
                 detail=f"Install code revealed to {actor.username} ({party.code}).")
    return code


def incident_notes_reencrypt(*, batch_size: int = 1000) -> int:
    """Re-encrypt every stored install code (notes and deposits) with the newest key. Returns the count."""
    return sum(_reencrypt(model, batch_size=batch_size) for model in (IncidentNote, InstallCodeDeposit))


def _reencrypt(model, *, batch_size: int) -> int:
    done = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                model.objects.select_for_update().exclude(install_code_ciphertext="")
                .filter(pk__gt=last_id).order_by("pk").only("pk", "install_code_ciphertext")[:batch_size]
            )
            if not batch:
                return done
            for row in batch:
                row.install_code_ciphertext = reencrypt_text(row.install_code_ciphertext)
            model.objects.bulk_update(batch, ["install_code_ciphertext"])
        done += len(batch)
        last_id = batch[-1].pk
