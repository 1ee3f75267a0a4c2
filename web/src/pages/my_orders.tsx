// "My orders" (GET /api/orders), newest first, each with its status.
import { Api } from '../api/endpoints';
import { ErrorView, formatPrice, Loading, PageTitle } from '../components/ui';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { RequireUser } from './auth';
import { orderOutcome, outcomeLabel } from './status';

function List() {
  const orders = useLoad(() => Api.orders(), []);
  if (orders.error) return <ErrorView error={orders.error} retry={orders.reload} />;
  const list = orders.data ? [...orders.data].reverse() : undefined;
  return (
    <section>
      <PageTitle>My orders</PageTitle>
      {!list ? (
        <Loading what="your orders" />
      ) : list.length === 0 ? (
        <p class="empty">
          No orders yet. <Link href="/">Find a ticket</Link>
        </p>
      ) : (
        <ul class="rows" data-testid="my-orders">
          {list.map((o) => {
            const outcome = orderOutcome(o);
            return (
              <li key={o.id} class="row" data-order-id={o.id}>
                <Link href={`/orders/${o.id}`} class="row__title">
                  {o.ticket.title}
                </Link>
                <span class="row__price">{formatPrice(o.ticket.price)}</span>
                <span class={`badge badge--${outcome}`} data-testid="status">
                  {outcomeLabel[outcome]}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

export function MyOrders() {
  return (
    <RequireUser>
      <List />
    </RequireUser>
  );
}
