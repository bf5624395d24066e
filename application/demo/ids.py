"""The demo's deterministic names: trajectory ids and certificate numbers per register row and scale copy."""

from __future__ import annotations


def trajectory_id_for(certificate_number: str, scale_index: int = 0) -> str:
    """'kib2018-1036' for the register row, 'kib2018-1036-3' for its fourth scale copy."""
    suffix = f"-{scale_index}" if scale_index else ""
    return f"kib2018-{certificate_number}{suffix}"


def certificate_number_for(certificate_number: str, scale_index: int = 0) -> str:
    """The register's number for the row itself, a derived one ('1036-3') for a scale copy."""
    return f"{certificate_number}-{scale_index}" if scale_index else certificate_number
