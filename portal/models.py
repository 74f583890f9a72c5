"""What each nightly run did (``NightlyRun``), for the publisher's staff."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NightlyRun(models.Model):
    """One run of the nightly work (renewal notices, renewals, expiries, invoice
    issuing, overdue checks) for a date, with what it did and what failed."""

    on = models.DateField(_("Stichtag"))
    started_at = models.DateTimeField(_("begonnen"), auto_now_add=True)
    finished_at = models.DateTimeField(_("beendet"), null=True, blank=True)
    notices = models.PositiveIntegerField(_("Verlängerungshinweise"), default=0)
    renewals = models.PositiveIntegerField(_("Verlängerungen"), default=0)
    expiries = models.PositiveIntegerField(_("Abläufe"), default=0)
    invoices_issued = models.PositiveIntegerField(_("gestellte Rechnungen"), default=0)
    overdue = models.PositiveIntegerField(_("überfällige Rechnungen"), default=0)
    failures = models.PositiveIntegerField(_("Fehler"), default=0)
    log = models.JSONField(_("Protokoll"), default=dict, blank=True)

    class Meta:
        # Moved here from licensing; the table keeps its name and its rows.
        db_table = "licensing_nightlyrun"
        verbose_name = _("nächtlicher Lauf")
        verbose_name_plural = _("nächtliche Läufe")
        ordering = ["-started_at"]
        permissions = [("start_nightlyrun", _("Nachtlauf jetzt starten"))]

    def __str__(self) -> str:
        return _("Lauf für %(on)s") % {"on": f"{self.on:%d.%m.%Y}"}

    def invoice_documents(self) -> dict[str, int]:
        """Of the invoices this run issued: how many have their documents and how
        many were sent, by now (the workers make them after the run)."""
        from invoicing.issuing import invoices_documents_progress

        numbers = self.log.get("steps", {}).get("invoices_issued", {}).get("done", [])
        return invoices_documents_progress(numbers=numbers)

    def summary(self) -> str:
        return _(
            "Nachtlauf %(on)s: %(notices)d Verlängerungshinweise, %(renewals)d Verlängerungen, "
            "%(expiries)d Abläufe, %(invoices)d Rechnungen gestellt, %(overdue)d überfällig, "
            "%(failures)d Fehler"
        ) % {
            "on": f"{self.on:%d.%m.%Y}",
            "notices": self.notices,
            "renewals": self.renewals,
            "expiries": self.expiries,
            "invoices": self.invoices_issued,
            "overdue": self.overdue,
            "failures": self.failures,
        }


class NightlyLock(models.Model):
    """The one row that lets only one nightly run work at a time (``portal.nightly``):
    a run takes it with a conditional UPDATE (atomic on PostgreSQL and SQLite) and
    gives it back when it ends; a holder older than the stale limit (a crashed run)
    is taken over."""

    name = models.CharField(_("Name"), max_length=50, primary_key=True)
    holder = models.CharField(_("Inhaber"), max_length=32, blank=True)
    acquired_at = models.DateTimeField(_("genommen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Sperre des Nachtlaufs")
        verbose_name_plural = _("Sperren des Nachtlaufs")

    def __str__(self) -> str:
        return self.name
