// How an order's and a payment's states read to a buyer.
import type { Order, PaymentStatus } from '../api/types';

export type OrderOutcome = 'awaiting' | 'complete' | 'expired' | 'cancelled';

// The order JSON has no cancellation time, so a cancelled order reads as expired once its time
// is up, unless the buyer cancelled it in this browser (remembered by markCancelled).
const cancelledKey = (orderId: string) => `ticketing.cancelled.${orderId}`;

export function markCancelled(orderId: string) {
  localStorage.setItem(cancelledKey(orderId), '1');
}

export function orderOutcome(o: Order): OrderOutcome {
  switch (o.status) {
    case 'complete':
      return 'complete';
    case 'cancelled':
      return Date.parse(o.expiresAt) <= Date.now() && !localStorage.getItem(cancelledKey(o.id))
        ? 'expired'
        : 'cancelled';
    default:
      return 'awaiting';
  }
}

export const outcomeLabel: Record<OrderOutcome, string> = {
  awaiting: 'Awaiting payment',
  complete: 'Complete',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

export const paymentLabel: Record<PaymentStatus, string> = {
  authorized: 'Authorized: the amount is held on the card',
  captured: 'Captured: the payment is taken',
  released: 'Released: the hold on the card was given back',
  failed: 'Failed at the payment gateway',
};
