"""Writes to the partner registry: import (upsert) and export of partner configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import TradingPartner

# Keys of one partner entry in the configuration file, in export order.
SIMPLE_FIELDS = (
    "code",
    "name",
    "active",
    "their_isa_qualifier",
    "their_isa_id",
    "our_isa_qualifier",
    "our_isa_id",
    "their_gs_code",
    "our_gs_code",
    "usage_indicator",
    "ta1_policy",
)
OPTIONAL_FIELDS = ("control_number_scope", "version_fallback")
# Validation options: a number (or null for the site default) / true or false.
NUMBER_FIELDS = ("snip_level", "max_file_mb", "max_interchanges", "max_sets")
BOOLEAN_FIELDS = ("active", "code_sets")
DELIMITER_FIELDS = {
    "element": "element_separator",
    "component": "component_separator",
    "repetition": "repetition_separator",
    "segment": "segment_terminator",
}
REQUIRED_KEYS = (
    "code",
    "name",
    "their_isa_qualifier",
    "their_isa_id",
    "our_isa_qualifier",
    "our_isa_id",
    "their_gs_code",
    "our_gs_code",
)


class PartnerImportError(Exception):
    """The file was rejected as a whole; ``messages`` says where and why, per field."""

    def __init__(self, messages: list[str]):
        super().__init__(f"{len(messages)} problem(s) in the partner file")
        self.messages = messages


@dataclass
class PartnerImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _entry_values(entry: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    known = set(SIMPLE_FIELDS) | set(OPTIONAL_FIELDS) | set(NUMBER_FIELDS) | {"delimiters"}
    known.add("code_sets")
    for key in sorted(set(entry) - known):
        problems.append(f"{where}: unknown key '{key}'")
    for key in REQUIRED_KEYS:
        if key not in entry:
            problems.append(f"{where}: {key}: required")
    names = (*SIMPLE_FIELDS, *OPTIONAL_FIELDS, *NUMBER_FIELDS, "code_sets")
    values = {k: entry[k] for k in names if k in entry}
    for key, value in values.items():
        if key in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                problems.append(f"{where}: {key}: must be true or false")
        elif key in NUMBER_FIELDS:
            ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
            if not ok or (key == "snip_level" and value is None):
                problems.append(f"{where}: {key}: must be a whole number")
        elif not isinstance(value, str):
            problems.append(f"{where}: {key}: must be a string")
    delimiters = entry.get("delimiters", {})
    if not isinstance(delimiters, dict):
        problems.append(f"{where}: delimiters: must be an object")
        delimiters = {}
    for key in sorted(set(delimiters) - set(DELIMITER_FIELDS)):
        problems.append(f"{where}: delimiters.{key}: unknown delimiter")
    for key, model_field in DELIMITER_FIELDS.items():
        if key in delimiters:
            values[model_field] = delimiters[key]
    return values


def partners_import(*, entries: Any) -> PartnerImportResult:
    """Upsert partners from configuration entries, all or nothing.

    Every entry is validated (model rules, database constraints, clashes inside the file)
    before anything is written; any problem rejects the whole file with per-field messages.
    """
    if not isinstance(entries, list):
        raise PartnerImportError(["the file must contain a JSON list of partner objects"])
    problems: list[str] = []
    plans: list[tuple[TradingPartner, str]] = []
    seen_codes: dict[str, int] = {}
    seen_senders: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(entries, start=1):
        code = entry.get("code") if isinstance(entry, dict) else None
        where = f"entry {number}" + (f" ({code})" if isinstance(code, str) else "")
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object")
            continue
        before = len(problems)
        values = _entry_values(entry, where, problems)
        if len(problems) > before:
            continue
        if code in seen_codes:
            problems.append(f"{where}: code: also used by entry {seen_codes[code]}")
            continue
        seen_codes[code] = number
        sender = (values["their_isa_qualifier"], values["their_isa_id"])
        if sender in seen_senders:
            problems.append(
                f"{where}: their_isa_id: ISA sender {sender[0]}/{sender[1]} also used by "
                f"entry {seen_senders[sender]}"
            )
            continue
        seen_senders[sender] = number
        partner = TradingPartner.objects.filter(code=code).first()
        if partner is None:
            partner, action = TradingPartner(**values), "created"
        else:
            changed = any(getattr(partner, k) != v for k, v in values.items())
            for key, value in values.items():
                setattr(partner, key, value)
            action = "updated" if changed else "unchanged"
        try:
            # Unique checks against the table would flag swaps inside one file; the
            # in-file checks above plus the database constraints cover uniqueness.
            partner.full_clean(validate_unique=False, validate_constraints=False)
            partner.validate_constraints(exclude={"their_isa_qualifier", "their_isa_id"})
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                label = "entry" if field_name == "__all__" else field_name
                problems.extend(f"{where}: {label}: {m}" for m in messages)
            continue
        plans.append((partner, action))
    for sender, number in seen_senders.items():
        owner = (
            TradingPartner.objects.filter(their_isa_qualifier=sender[0], their_isa_id=sender[1])
            .exclude(code__in=seen_codes)
            .values_list("code", flat=True)
            .first()
        )
        if owner:
            problems.append(
                f"entry {number}: their_isa_id: ISA sender {sender[0]}/{sender[1]} already "
                f"belongs to partner {owner}"
            )
    if problems:
        raise PartnerImportError(problems)

    result = PartnerImportResult()
    try:
        with transaction.atomic():
            for partner, action in plans:
                if action != "unchanged":
                    partner.save()
                getattr(result, action).append(partner.code)
    except IntegrityError as exc:
        raise PartnerImportError(
            [f"the database refused the file (a uniqueness rule): {exc.__class__.__name__}"]
        ) from None
    return result


def partner_to_entry(partner: TradingPartner) -> dict[str, Any]:
    """One partner in the configuration-file format."""
    entry: dict[str, Any] = {key: getattr(partner, key) for key in SIMPLE_FIELDS}
    entry.update({key: getattr(partner, key) for key in OPTIONAL_FIELDS})
    entry.update({key: getattr(partner, key) for key in (*NUMBER_FIELDS, "code_sets")})
    entry["delimiters"] = {key: getattr(partner, f) for key, f in DELIMITER_FIELDS.items()}
    return entry


def partners_export() -> list[dict[str, Any]]:
    """Every partner, ordered by code, in the format ``partners_import`` reads."""
    return [partner_to_entry(p) for p in TradingPartner.objects.order_by("code")]
