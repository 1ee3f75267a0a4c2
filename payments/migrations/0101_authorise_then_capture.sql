-- Authorise, then capture (DESIGN.md section 4): a payment is now an authorisation that is
-- captured when its order completes or released when its order is cancelled. `status` is
-- authorized, captured, released or failed (`failure`: the gateway's message); `amount` is the
-- authorised amount in cents; `settled_at` when it left `authorized`; `refund_id` is the
-- release's refund.
ALTER TABLE payments ADD COLUMN status TEXT NOT NULL DEFAULT 'authorized';
ALTER TABLE payments ADD COLUMN amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN failure TEXT;
ALTER TABLE payments ADD COLUMN settled_at BIGINT;

-- Payments made before this were charges captured at once, and refunded when their order was
-- cancelled: captured, or released once refunded. One of a cancelled order still owed its refund
-- stays authorized, so the settlement sweep releases (refunds) it.
UPDATE payments SET status = 'captured', settled_at = created_at
    WHERE refund_id IS NULL AND order_id NOT IN (SELECT id FROM orders WHERE status = 'cancelled');
UPDATE payments SET status = 'released', settled_at = refunded_at WHERE refund_id IS NOT NULL;
UPDATE payments SET amount = (SELECT a.amount FROM payment_attempts a WHERE a.id = payments.attempt_id);

-- The settlements still due are found among the authorised payments.
DROP INDEX payments_not_refunded;
CREATE INDEX payments_authorized ON payments (created_at) WHERE status = 'authorized';
