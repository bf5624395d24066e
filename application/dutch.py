"""The Dutch wording of dates, numbers and lists, shared with the domain's event summaries."""

from domain.dutch import dag, datum, datums, getal, kader, normen, opsomming

__all__ = ["dag", "datum", "datums", "getal", "kader", "normen", "opsomming"]
