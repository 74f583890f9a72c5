"""The events of the licence lifecycle that an upper layer acts on.

Licensing sits below invoicing and never imports it. Where the lifecycle's
change needs invoicing's work in the same transaction, it sends one of these
signals; ``invoicing/receivers.py`` handles them (connected in
``InvoicingConfig.ready``). Receivers run synchronously inside the sender's
transaction: an exception in a receiver rolls the lifecycle change back.

``licence_year_started``
    sender ``LicenceYear``; ``year`` (the new ``LicenceYear``: the first year of a
    confirmed order or a renewal), ``on`` (the day of the confirmation or of the
    nightly run). Invoicing drafts the year's consolidated invoice (R9).

``licence_years_started``
    sender ``LicenceYear``; ``years`` (new ``LicenceYear`` rows of the nightly
    renewals, saved, ``order`` loaded), ``terms`` (their ``LicenceTerm`` rows, saved,
    in school-number order, ``licence`` with its ``school`` and ``product``
    loaded), ``on`` (the day of the nightly run). The set-based form of
    ``licence_year_started``: invoicing drafts every year's invoice from these
    rows without reading them again.

``individual_licences_superseded``
    sender ``IndividualLicence``; ``licences`` (the superseded
    ``IndividualLicence`` rows), ``bulk_start`` (the bulk licence's first day),
    ``on`` (the day of the confirmation). Invoicing makes the refunds (R8).
"""

from django.dispatch import Signal

licence_year_started = Signal()
licence_years_started = Signal()
individual_licences_superseded = Signal()
