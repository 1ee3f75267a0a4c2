// The landing page: tickets for sale, newest first, 20 a page; "Show older tickets" appends the
// next page (GET /api/tickets?limit=20&before=<last id>).
import { Api } from '../api/endpoints';
import { ErrorView, formatPrice, Loading, PageTitle, ShowMore } from '../components/ui';
import { usePagedList } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';

export const PAGE_SIZE = 20;

export function Landing() {
  const { user } = useSession();
  const list = usePagedList((page) => Api.tickets(page), PAGE_SIZE);
  const { items: tickets, loading, error } = list;

  if (error && !tickets.length) return <ErrorView error={error} retry={list.reload} />;
  return (
    <section>
      <PageTitle title="Tickets for sale">Tickets for sale</PageTitle>
      {loading && !tickets.length ? (
        <Loading what="tickets" />
      ) : tickets.length === 0 ? (
        <p class="empty">
          No tickets for sale right now.{' '}
          {user ? <Link href="/tickets/new">Sell one</Link> : <Link href="/auth/signup">Sign up to sell one</Link>}
        </p>
      ) : (
        <ul class="cards" aria-label="Tickets for sale" data-testid="ticket-list">
          {tickets.map((t) => (
            <li key={t.id} class="card">
              <Link href={`/tickets/${t.id}`} class="card__link">
                <span class="card__title">{t.title}</span>
                <span class="card__price">{formatPrice(t.price)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <ShowMore list={list} />
    </section>
  );
}
