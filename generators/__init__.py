"""One module per output kind, each with ``pages(ctx)`` (Markdown for MkDocs) and/or
``files(ctx)`` (files written straight into site/ or print/). Adding an output kind
is adding a module and one line here; they run in this order."""

from generators import regulation_pages as regulation
from generators import catalog_pages as catalog
from generators import verification_pages as verification
from generators import certificate_pdfs as certificates
from generators import form_pdfs as forms
from generators import report_files as reports
from generators import check_pages as check

GENERATORS = [
    regulation,  # regulations/: Order 95 and the organisations' rules in full, every paragraph anchored
    catalog,  # index, programmes/, organisations/, catalog.json, *.ics
    verification,  # site/v/<token>/: certificate verification pages and signed credentials
    certificates,  # print/certificates/: certificate + annex PDFs, cohort batches, blank-form overlays
    forms,  # site/forms/: blank forms (public); print/forms/: filled forms (personal data)
    check,  # check/: find a certificate by the control code on its paper; site/check/<sha256>.json
    reports,  # print/reports/: the staff calendar (also .ics), lists, support, monitoring, KAZGUU, NOBD
]
