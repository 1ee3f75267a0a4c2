// "My tickets": the signed-in user's tickets, newest first, each with its state
// (GET /api/tickets/mine), and an edit link while one is for sale.
import { Api } from '../api/endpoints';
import type { TicketState } from '../api/types';
import { ErrorView, formatPrice, Loading, PageTitle, ShowMore } from '../components/ui';
import { usePagedList } from '../hooks';
import { Link } from '../router';
import { RequireUser } from './auth';
import { PAGE_SIZE } from './landing';

const stateLabel: Record<TicketState, string> = {
  available: 'For sale',
  reserved: 'Reserved',
  sold: 'Sold',
};

function List() {
  const list = usePagedList((page) => Api.myTickets(page), PAGE_SIZE);
  const { items: tickets, loading, error } = list;

  if (error && !tickets.length) return <ErrorView error={error} retry={list.reload} />;
  return (
    <section>
      <PageTitle>My tickets</PageTitle>
      {loading && !tickets.length ? (
        <Loading what="your tickets" />
      ) : tickets.length === 0 ? (
        <p class="empty">
          You have not sold any ticket yet. <Link href="/tickets/new">Sell one</Link>
        </p>
      ) : (
        <ul class="rows" data-testid="my-tickets">
          {tickets.map((t) => (
            <li key={t.id} class="row" data-ticket-id={t.id}>
              <Link href={`/tickets/${t.id}`} class="row__title">
                {t.title}
              </Link>
              <span class="row__price">{formatPrice(t.price)}</span>
              <span class={`badge badge--${t.state}`} data-testid="state">
                {stateLabel[t.state]}
              </span>
              <span class="row__action">
                {t.state === 'available' ? (
                  <Link href={`/tickets/${t.id}/edit`} aria-label={`Edit ${t.title}`}>
                    Edit
                  </Link>
                ) : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      <ShowMore list={list} />
    </section>
  );
}

export function MyTickets() {
  return (
    <RequireUser>
      <List />
    </RequireUser>
  );
}
