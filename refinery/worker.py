"""The worker: batch items (claimed in chunks under a lease, each finished once) and webhooks.

Any number of worker processes, on any number of machines, share the work through
PostgreSQL alone (refinery_claim_batch_items: FOR UPDATE SKIP LOCKED, fair across
organizations). An item is finished by one statement that marks it, stores its history row
and settles its charge, and only while the claim still holds it: a worker that died lets
its lease lapse, another claims the item, and the first one's late finish (if it ever
comes) changes nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid

from refinery import db, pipeline
from refinery.config import Config
from refinery.errors import DatabaseUnavailable
from refinery.optimization import Optimization
from refinery.queries import batches
from refinery.webhook_delivery import deliver_due

log = logging.getLogger("refinery.worker")
# How often a worker looks for batches past their expiry.
EXPIRY_SWEEP_SECONDS = 30


def item_request(item: dict) -> pipeline.OptimizeRequest:
    """The optimize request a claimed item stands for."""
    return pipeline.OptimizeRequest(
        item["input_text"],
        item["provider"],
        item["strategy"],
        item["compression_level"],
        item["output_format"],
        item["model"],
    )


def item_principal(item: dict) -> dict:
    """Who the item's history row is recorded for: the batch's creator (member or key)."""
    return {
        "organization_id": str(item["organization_id"]),
        "user_id": item["created_by"] and str(item["created_by"]),
        "api_key_id": item["api_key_id"] and str(item["api_key_id"]),
    }


def refine_item(config: Config, item: dict) -> tuple[Optimization, str | None]:
    """Refine one item with the optimize pipeline; an unexpected error is a failed record."""
    principal = item_principal(item)
    request = item_request(item)
    try:
        return pipeline.refine_reserved(config, principal, request)
    except Exception:  # one bad item must not stop the worker; the item fails, refunded
        log.exception("batch item %s failed unexpectedly", item["id"])
        failed = Optimization(
            organization_id=principal["organization_id"],
            user_id=principal["user_id"],
            api_key_id=principal["api_key_id"],
            provider=request.provider,
            model=request.model,
            strategy=request.strategy,
            compression_level=request.level,
            output_format=request.output_format,
            status="failed",
            tokenizer="o200k_base",
            original_text=request.text,
            original_tokens=0,
            error_code="internal_error",
        )
        return failed, "The item could not be processed."


class Worker:
    """One worker process's loop; stop() (or SIGTERM) ends it after the current item."""

    def __init__(self, config: Config, parent_pid: int | None = None) -> None:
        self.config = config
        self.parent_pid = parent_pid  # stop when this process is no longer the parent
        self.stopping = threading.Event()
        self.processed = 0
        self._next_sweep = 0.0

    def stop(self, *_args) -> None:
        """Finish the item in hand, give the rest of the chunk back, then return from run()."""
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the worker gracefully."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        """Claim and process chunks until stopped."""
        log.info("worker started")
        while not self.stopping.is_set():
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                log.info("the parent process has exited; the worker stops")
                break
            try:
                self._sweep_expired()
                worked = self.run_once()
                worked = deliver_due(self.config, self.stopping) or worked
            except DatabaseUnavailable:
                log.warning("database unavailable; the worker waits and tries again")
                worked = False
            except Exception:  # the loop outlives any one failure; leases cover the items
                log.exception("the worker's loop failed; it waits and tries again")
                worked = False
            if not worked:
                self.stopping.wait(self.config.worker_poll_interval)
        log.info("worker stopped after %d item(s)", self.processed)

    def run_once(self) -> bool:
        """Claim one chunk and process it; False when there was nothing to claim."""
        token = str(uuid.uuid4())
        with db.single_statement(None) as conn:
            items = batches.claim(
                conn, token, self.config.worker_chunk_size, self.config.worker_lease_seconds
            )
        if not items:
            return False
        self._process_chunk(items, token)
        return True

    def _process_chunk(self, items: list[dict], token: str) -> None:
        """Finish each item in order, renewing the lease; on stop, release what is left."""
        organization_id = str(items[0]["organization_id"])
        lease = self.config.worker_lease_seconds
        renew_at = time.monotonic() + lease / 2
        for index, item in enumerate(items):
            if self.stopping.is_set():
                with db.single_statement(organization_id) as conn:
                    batches.release(conn, organization_id, [i["id"] for i in items[index:]], token)
                return
            if time.monotonic() >= renew_at:
                with db.single_statement(organization_id) as conn:
                    held = batches.renew(
                        conn, organization_id, [i["id"] for i in items[index:]], token, lease
                    )
                renew_at = time.monotonic() + lease / 2
                if held == 0:
                    return  # every item left was taken over: nothing of ours to finish
            self._finish(item, token)

    def _finish(self, item: dict, token: str) -> None:
        """Refine one item and finish it in one statement (only if still ours)."""
        record, message = refine_item(self.config, item)
        organization_id = str(item["organization_id"])
        with db.single_statement(organization_id) as conn:
            outcome = batches.finish_item(
                conn, item, token, {**record.columns(), "error_message": message}
            )
        if outcome["applied"]:
            self.processed += 1
        else:
            log.info("batch item %s was taken over by another worker", item["id"])

    def _sweep_expired(self) -> None:
        """Every so often, expire live batches past their expiry (refunding their items)."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + EXPIRY_SWEEP_SECONDS
        with db.reading(None) as conn:
            found = batches.expired(conn, 100)
        for batch in found:
            organization_id = str(batch["organization_id"])
            with db.transaction(organization_id) as conn:
                batches.stop(conn, organization_id, batch["id"], "expired")
