"""Signed webhook delivery: events are queued for matching endpoints in the same transaction as the event
(the outbox), then sent in order per endpoint, retried with backoff, and every attempt recorded."""
