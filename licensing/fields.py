"""Model fields of the licensing app."""

import json

from django.db import models


class JSONTextField(models.JSONField):
    """A ``JSONField`` whose column is ``text``, not PostgreSQL's ``jsonb``: for a
    large document that is only ever written and read whole (the check result of
    a registration list, ~160 kB at 1,000 rows). PostgreSQL then neither parses it
    into jsonb when it is stored nor writes it back out as text when it is read
    (1,000 rows: ~2.5 ms less to store, ~1.5 ms less to read). In Python it is a
    ``JSONField`` (dicts and lists in and out, the admin shows it as JSON); the
    database cannot look inside it (no ``field__key`` lookups)."""

    def db_type(self, connection) -> str:
        return "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return json.dumps(value, cls=self.encoder, separators=(",", ":"))
