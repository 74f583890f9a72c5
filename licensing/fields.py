"""Model fields of the licensing app."""

import json

import orjson
from django.db import models

# What orjson would write differently from the json module is handed to the json
# module instead (it raises TypeError for these): dataclasses, dates and times,
# subclasses of str, int, dict and list, dict keys that are not strings, integers
# beyond 64 bits. (Only a float NaN or infinity comes out differently: as null,
# which is what JSON has for it, where the json module writes the non-JSON NaN.)
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class JSONTextField(models.JSONField):
    """A ``JSONField`` whose column is ``text``, not PostgreSQL's ``jsonb``: for a
    large document that is only ever written and read whole (the check result of
    a registration list, ~150 kB at 1,000 rows). PostgreSQL then neither parses it
    into jsonb when it is stored nor writes it back out as text when it is read
    (1,000 rows: ~2.5 ms less to store, ~1.5 ms less to read). In Python it is a
    ``JSONField`` (dicts and lists in and out, the admin shows it as JSON); the
    database cannot look inside it (no ``field__key`` lookups).

    The text is written and read with orjson (1,000 rows: 1.4 → 0.3 ms to write,
    1.1 → 0.6 ms to read); a value orjson refuses or would write differently, and
    a text it cannot read (``NaN``, a lone surrogate), go through the json module
    as with a plain ``JSONField``."""

    def db_type(self, connection) -> str:
        return "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        if self.encoder is None:
            try:
                return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
            except TypeError:
                pass
        return json.dumps(value, cls=self.encoder, separators=(",", ":"))

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str) and self.decoder is None:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return super().from_db_value(value, expression, connection)
