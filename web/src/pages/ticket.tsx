// A ticket's page: title, price and Purchase. Purchase is disabled, with the reason beside it,
// for the seller's own ticket and for a reserved one; a buyer who loses a race sees the API's
// "Ticket is already reserved".
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { Api } from '../api/endpoints';
import { ErrorView, formatPrice, Loading, PageTitle } from '../components/ui';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';

export function TicketPage({ id }: { id: string }) {
  const { user } = useSession();
  const ticket = useLoad(() => Api.ticket(id), [id]);
  const [error, setError] = useState('');
  const [buying, setBuying] = useState(false);

  if (ticket.error) return <ErrorView error={ticket.error} retry={ticket.reload} />;
  if (!ticket.data) return <Loading what="the ticket" />;
  const t = ticket.data;
  const mine = !!user && user.id === t.userId;

  const purchase = async () => {
    setBuying(true);
    setError('');
    try {
      const order = await Api.createOrder(t.id);
      navigate(`/orders/${order.id}`);
    } catch (e) {
      setError(
        e instanceof ApiError ? e.errors.map((x) => x.message).join(' ') : 'Something went wrong',
      );
      setBuying(false);
    }
  };

  let reason = '';
  if (mine) reason = t.orderId ? 'This is your ticket; an order holds it.' : 'This is your ticket.';
  else if (t.orderId) reason = 'This ticket is reserved: another buyer holds it or has bought it.';

  return (
    <section class="narrow">
      <PageTitle>{t.title}</PageTitle>
      <p class="price" data-testid="price">
        {formatPrice(t.price)}
      </p>
      {user === null ? (
        <p>
          <Link href={`/auth/signin?next=${encodeURIComponent(`/tickets/${t.id}`)}`} class="button primary">
            Sign in to purchase
          </Link>
        </p>
      ) : (
        <div class="actions">
          <button
            type="button"
            class="primary"
            onClick={purchase}
            disabled={!user || !!reason || buying}
            aria-describedby={reason ? 'purchase-reason' : error ? 'purchase-error' : undefined}
          >
            Purchase
          </button>
          {reason && (
            <p id="purchase-reason" class="hint">
              {reason}
            </p>
          )}
          {error && (
            <p id="purchase-error" class="error" role="alert">
              {error}
            </p>
          )}
          {mine && !t.orderId && (
            <p>
              <Link href={`/tickets/${t.id}/edit`}>Edit this ticket</Link>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
