"""Render the demo's hoofdlijnenrapportage and save some of its pages as PNG, for the README and reviews.

    .venv/bin/python docs/report/make_pages.py [--seed 3] [--dpi 70]

The demo's register is replayed purely (the same decide/evolve the workflows run; the demo's replay
checks that its events equal this simulation's, event for event), the report computed as of 21-02-2023
with the survey's cut-off 20-02-2023, and written as PDF and DOCX exactly as
`cbct report period ... --format pdf|docx` writes them. The pages are rendered with pdftoppm
(poppler-utils). Writes docs/report/page-*.png; the PDF and DOCX go to a temporary folder unless
--keep DIR is given.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from application.demo import REFERENCE_MOMENT, load_register, plan_register, run_simulation
from application.reports.as_of import facts_from_events
from application.reports.document import build
from application.reports.docx_writer import write_docx
from application.reports.pdf_writer import write_pdf
from application.reports.period import Membership, compute

HERE = Path(__file__).resolve().parent
PEIL, SURVEY = date(2023, 2, 21), date(2023, 2, 20)
#: The pages shown, found by text on them: the title page, a score table, a chart, the appendix.
PAGES = {
    "page-1-titelblad": "Hoofdlijnenrapportage",
    "page-2-scoretabel": "Tabel 2: Gemiddelde score per norm",
    "page-3-grafiek": "Figuur 4: Scores per norm",
    "page-4-bijlage": "Bijlage 1 Register per verenigingsgroep",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--dpi", type=int, default=70)
    parser.add_argument("--keep", type=Path, help="folder for the PDF and DOCX (default: a temporary one)")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm not found: install poppler-utils")
    simulation = run_simulation(plan_register(load_register(), seed=args.seed), REFERENCE_MOMENT)
    events = [e for stream in simulation.events.values() for e in stream]
    members = Membership(date(2022, 12, 31), {"VOB": 138, "Cultuurconnectie": 134})
    survey = (SURVEY, facts_from_events(events, SURVEY))
    report = compute(
        facts_from_events(events, PEIL), date(2018, 1, 1), date(2022, 12, 31), PEIL, members, survey=survey
    )
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        document = build(report, Path(scratch) / "grafieken", issued=date(2023, 3, 15))
        pdf = write_pdf(document, out / "hoofdlijnenrapportage.pdf")
        write_docx(document, out / "hoofdlijnenrapportage.docx")
        texts = _page_texts(pdf)
        for name, marker in PAGES.items():
            number = next(i for i, text in enumerate(texts, start=1) if marker in text)
            target = HERE / name
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    str(args.dpi),
                    "-png",
                    "-singlefile",
                    "-f",
                    str(number),
                    "-l",
                    str(number),
                    str(pdf),
                    str(target),
                ],
                check=True,
            )
            print(f"{target}.png (pagina {number})")


def _page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(pdf)).pages]


if __name__ == "__main__":
    main()
