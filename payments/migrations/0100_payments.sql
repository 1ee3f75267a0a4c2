-- The payments service's replica of the orders it can be paid for (kept from order:created /
-- order:cancelled / order:completed with the version rule), its payment attempts (one claim per
-- gateway call) and its payments. Money in cents, times in epoch ms.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    price BIGINT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL
);

-- One row per try at charging an order. `source` (the card token) is kept only while the attempt
-- is pending, because resuming it must resend the same parameters with the same idempotency key;
-- it is cleared when the attempt settles. `lease_until`: while it is in the future a request is
-- working on the attempt; after it, a new request or the recovery sweep may resume it.
CREATE TABLE payment_attempts (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    amount BIGINT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    charge_id TEXT,
    failure TEXT,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Exactly one charge per order: at most one attempt per order is pending or succeeded, on any
-- number of replicas. A declined attempt becomes 'failed' and frees the order for another card.
CREATE UNIQUE INDEX payment_attempts_one_active_per_order ON payment_attempts (order_id)
    WHERE status IN ('pending', 'succeeded');

-- The recovery sweep: pending attempts whose lease ran out.
CREATE INDEX payment_attempts_pending ON payment_attempts (lease_until)
    WHERE status = 'pending';

-- A succeeded charge. `refund_id` is set once the charge was refunded (its order was cancelled).
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    attempt_id TEXT NOT NULL REFERENCES payment_attempts (id),
    stripe_id TEXT NOT NULL,
    refund_id TEXT,
    created_at BIGINT NOT NULL,
    refunded_at BIGINT
);

CREATE UNIQUE INDEX payments_one_per_order ON payments (order_id);

-- Refunds still owed are found among the payments not refunded yet.
CREATE INDEX payments_not_refunded ON payments (order_id) WHERE refund_id IS NULL;
