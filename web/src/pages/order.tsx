// An order's page: the ticket, a live countdown to expiresAt, the pay form, and the outcome as it
// happens, without a reload: the page polls the order (and the payment, once there is one) with
// a backoff (1 s doubling to 8 s, sooner right after paying and when the time is up) until
// nothing more can change: complete with the payment captured, or expired/cancelled.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { Api } from '../api/endpoints';
import type { Order, Payment, PaymentConfig } from '../api/types';
import { ErrorView, formatCents, formatPrice, Loading, PageTitle } from '../components/ui';
import { useNow, usePolling } from '../hooks';
import { Link } from '../router';
import { RequireUser } from './auth';
import { SandboxPay, StripePay } from './pay';
import { markCancelled, orderOutcome, outcomeLabel, paymentLabel } from './status';

// The id of the payment made for an order, remembered in this browser (the API has no
// "payment of an order" route), so its status still shows after a reload.
const paymentKey = (orderId: string) => `ticketing.payment.${orderId}`;

function remaining(expiresAt: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - now) / 1000));
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

function settled(order: Order, payment: Payment | undefined, paymentId: string | null): boolean {
  if (order.status === 'created' || order.status === 'awaiting:payment') return false;
  if (!paymentId) return true;
  if (!payment) return false;
  return order.status === 'complete'
    ? payment.status !== 'authorized'
    : payment.status === 'released' || payment.status === 'failed';
}

function OrderView({ id }: { id: string }) {
  const [order, setOrder] = useState<Order>();
  const [loadError, setLoadError] = useState<unknown>(null);
  const [payment, setPayment] = useState<Payment>();
  const [paymentId, setPaymentId] = useState<string | null>(() => localStorage.getItem(paymentKey(id)));
  const [config, setConfig] = useState<PaymentConfig>();
  const [cardError, setCardError] = useState('');
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [paying, setPaying] = useState(false);
  const [cancelling, setCancelling] = useState(false);

  const refresh = useCallback(async () => {
    const o = await Api.order(id);
    setOrder(o);
    if (paymentId) setPayment(await Api.payment(paymentId));
    return o;
  }, [id, paymentId]);

  useEffect(() => {
    refresh().catch(setLoadError);
    // No gateway configuration (an older payments service): the sandbox is the local default.
    Api.paymentConfig().then(setConfig, () => setConfig({ gateway: 'sandbox' }));
  }, [refresh]);

  const awaiting = order?.status === 'created' || order?.status === 'awaiting:payment';
  const now = useNow(1000, awaiting);
  const left = order ? remaining(order.expiresAt, now) : 0;
  const done = order ? settled(order, payment, paymentId) : false;

  const { kick } = usePolling(
    async () => {
      const o = await Api.order(id);
      setOrder(o);
      let p: Payment | undefined;
      if (paymentId) {
        p = await Api.payment(paymentId);
        setPayment(p);
      }
      return !settled(o, p, paymentId);
    },
    !!order && !done,
  );

  // When the time is up, look again soon: the order is about to turn expired.
  useEffect(() => {
    if (awaiting && left === 0) kick();
  }, [awaiting, left === 0, kick]);

  const pay = async (token: string) => {
    if (!order) return;
    setPaying(true);
    setCardError('');
    setFormErrors([]);
    try {
      const created = await Api.pay(order.id, token);
      localStorage.setItem(paymentKey(order.id), created.id);
      setPaymentId(created.id);
      kick();
    } catch (e) {
      if (e instanceof ApiError && e.status === 402) setCardError(e.errors[0]?.message ?? 'Declined');
      else if (e instanceof ApiError) setFormErrors(e.errors.map((x) => x.message));
      else setFormErrors(['Something went wrong']);
      throw e;
    } finally {
      setPaying(false);
    }
  };

  const cancel = async () => {
    if (!order) return;
    setCancelling(true);
    try {
      markCancelled(order.id);
      await Api.cancelOrder(order.id);
      await refresh();
    } catch (e) {
      setFormErrors(e instanceof ApiError ? e.errors.map((x) => x.message) : ['Something went wrong']);
    } finally {
      setCancelling(false);
    }
  };

  if (loadError) return <ErrorView error={loadError} retry={() => refresh().then(() => setLoadError(null), setLoadError)} />;
  if (!order) return <Loading what="the order" />;

  const outcome = orderOutcome(order);
  const canPay = awaiting && left > 0 && !paymentId;
  return (
    <section class="narrow order">
      <PageTitle title={`Order for ${order.ticket.title}`}>
        Order for <Link href={`/tickets/${order.ticket.id}`}>{order.ticket.title}</Link>
      </PageTitle>
      <p class="price">{formatPrice(order.ticket.price)}</p>
      <p class="status" role="status" aria-live="polite">
        Status:{' '}
        <strong class={`badge badge--${outcome}`} data-testid="order-status">
          {outcomeLabel[outcome]}
        </strong>
      </p>
      {awaiting && (
        <p class="countdown" data-testid="countdown">
          {left > 0 ? (
            <>
              Time left to pay: <time role="timer" dateTime={`PT${left}S`}>{clock(left)}</time>
            </>
          ) : (
            'Time is up: the reservation is expiring…'
          )}
        </p>
      )}
      {outcome === 'complete' && (
        <p class="alert alert--ok">Your order is complete: the ticket is yours.</p>
      )}
      {outcome === 'expired' && (
        <p class="alert">
          This order expired before it was paid. The ticket is for sale again:{' '}
          <Link href={`/tickets/${order.ticket.id}`}>see the ticket</Link>.
        </p>
      )}
      {outcome === 'cancelled' && <p class="alert">This order was cancelled.</p>}
      {paymentId && (
        <p class="payment" aria-live="polite">
          Payment:{' '}
          <span data-testid="payment-status">
            {payment ? paymentLabel[payment.status] : 'Sent, waiting for the payment service…'}
          </span>
          {payment && <> ({formatCents(payment.amount)})</>}
          {awaiting && payment?.status === 'authorized' && <> · completing your order…</>}
        </p>
      )}
      {canPay && config && (
        config.gateway === 'stripe' && !config.publishableKey ? (
          <p class="alert alert--error" role="alert">
            Card payments are not set up: the payment service has no Stripe publishable key
            (STRIPE_PUBLISHABLE_KEY).
          </p>
        ) : config.gateway === 'stripe' ? (
          <StripePay
            price={order.ticket.price}
            pay={pay}
            cardError={cardError}
            formErrors={formErrors}
            busy={paying}
            publishableKey={config.publishableKey ?? ''}
          />
        ) : (
          <SandboxPay price={order.ticket.price} pay={pay} cardError={cardError} formErrors={formErrors} busy={paying} />
        )
      )}
      {canPay && (
        <p>
          <button type="button" onClick={cancel} disabled={cancelling || paying}>
            Cancel order
          </button>
        </p>
      )}
    </section>
  );
}

export function OrderPage({ id }: { id: string }) {
  return (
    <RequireUser>
      <OrderView id={id} />
    </RequireUser>
  );
}
