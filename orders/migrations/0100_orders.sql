-- The orders service's own orders, and its replica of the tickets it can sell (kept from
-- ticket:created / ticket:updated with the version rule). Money in cents, times in epoch ms.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    price BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    status TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- At most one active order per ticket: two buyers racing for one ticket, on any number of
-- replicas, get exactly one insert.
CREATE UNIQUE INDEX orders_one_active_per_ticket ON orders (ticket_id)
    WHERE status IN ('created', 'awaiting:payment', 'complete');

-- GET /api/orders: the caller's orders, oldest first.
CREATE INDEX orders_by_user ON orders (user_id, created_at, id);
