-- Whether the order holding the ticket completed (order:completed), for the seller's list of
-- their tickets (GET /api/tickets/mine: available, reserved or sold). 0 or 1; not part of the
-- ticket's version or events: nothing else changes when a ticket is sold.
ALTER TABLE tickets ADD COLUMN sold BIGINT NOT NULL DEFAULT 0;

-- GET /api/tickets/mine: one seller's tickets, newest first.
CREATE INDEX tickets_user ON tickets (user_id, id);
