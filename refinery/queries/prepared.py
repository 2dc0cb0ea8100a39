"""Statements PREPAREd once per connection and run with EXECUTE (db.TenantCursor)."""

from __future__ import annotations


class Prepared:
    """A named statement whose parsing and planning PostgreSQL keeps per connection.

    query uses %(field)s placeholders; types maps each field, in order, to its SQL type.
    The first run on a connection sends the PREPARE (its own round trip, once per pooled
    connection); every run after that sends only EXECUTE with the values.
    """

    def __init__(self, name: str, query: str, types: dict[str, str]) -> None:
        text = query
        for number, field in enumerate(types, 1):
            text = text.replace(f"%({field})s", f"${number}")
        if "%" in text:
            raise ValueError(f"{name}: a placeholder without a type, or a literal %")
        self.name = name
        self.query = query  # the plain statement, for connections that cannot keep one
        self.fields = tuple(types)
        self.definition = f"PREPARE {name} ({', '.join(types.values())}) AS {text}"
        self.call = f"EXECUTE {name} ({', '.join(['%s'] * len(types))})"

    def values(self, params: dict) -> list:
        """The parameters in the statement's order."""
        return [params[field] for field in self.fields]
