-- The tickets service's tickets. Money in cents, times in epoch ms. `version` starts at 0 and
-- rises by 1 with every change published (ticket:created / ticket:updated); writers update with
-- `WHERE id = :id AND version = :v`, so a stale write matches no row.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    price BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    order_id TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- GET /api/tickets: unreserved tickets in id order (ObjectIds are time-ordered), paged with
-- `WHERE order_id IS NULL AND id > :after ORDER BY id LIMIT :n`. The partial index holds only
-- the free tickets, so a page reads at most n index entries whatever the table's size.
CREATE INDEX tickets_unreserved ON tickets (id) WHERE order_id IS NULL;

-- Orders whose order:cancelled this service has handled. order:created and order:cancelled
-- travel on different consumers and may be handled in either order; a cancelled order must
-- never reserve a ticket afterwards (see listeners/listeners.hpp).
CREATE TABLE cancelled_orders (
    order_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL
);
