-- When each cancelled order was recorded (milliseconds since the epoch), so the relay can prune
-- the table after INBOX_RETENTION_SECONDS like the inbox (common/include/common/bus/outbox.hpp).
-- Rows recorded before this migration keep 0 and are never pruned.
ALTER TABLE cancelled_orders ADD COLUMN cancelled_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cancelled_orders_cancelled_at ON cancelled_orders (cancelled_at);
