"""Usage and savings of an organization over a period, in one pass over its history."""

from __future__ import annotations

from datetime import datetime

from psycopg2.extensions import connection
from psycopg2.extras import Json

from refinery.queries.run import fetch_all

SUMMARIZE = """
SELECT provider,
       (created_at AT TIME ZONE 'UTC')::date AS day,
       GROUPING(provider, (created_at AT TIME ZONE 'UTC')::date) AS grouping,
       count(*) FILTER (WHERE status = 'completed') AS optimizations,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       coalesce(sum(original_tokens) FILTER (WHERE status = 'completed'), 0)
           AS original_tokens,
       coalesce(sum(refined_tokens), 0) AS refined_tokens,
       coalesce(sum(tokens_saved), 0) AS tokens_saved,
       coalesce(sum(tokens_saved * (%(prices)s::jsonb ->> strategy)::numeric), 0)
           AS saved_usd
FROM optimizations
WHERE organization_id = %(organization_id)s
  AND created_at >= %(start)s
  AND created_at < %(end)s
GROUP BY GROUPING SETS (
    (),
    (provider),
    ((created_at AT TIME ZONE 'UTC')::date)
)
ORDER BY grouping DESC, provider, day
"""


def summarize(
    conn: connection,
    organization_id: str,
    start: datetime,
    end: datetime,
    price_per_token: dict[str, float],
) -> list[dict]:
    """Totals, per provider and per UTC day, as GROUPING SETS rows.

    A row's `grouping` says which it is: 3 the total, 1 a provider, 2 a day.
    price_per_token maps each strategy to the USD value of one saved token.
    """
    return fetch_all(
        conn,
        SUMMARIZE,
        {
            "organization_id": organization_id,
            "start": start,
            "end": end,
            "prices": Json(price_per_token),
        },
    )
