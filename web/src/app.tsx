// The app's frame (header, busy bar, main) and its routes.
import type { ComponentChildren } from 'preact';
import { BusyIndicator, NotFound } from './components/ui';
import { Header } from './components/header';
import { match, useLocation } from './router';
import { SessionProvider } from './session';
import { Landing } from './pages/landing';
import { SignIn, SignOut, SignUp } from './pages/auth';
import { EditTicket, SellTicket } from './pages/sell';
import { MyTickets } from './pages/my_tickets';
import { TicketPage } from './pages/ticket';
import { OrderPage } from './pages/order';
import { MyOrders } from './pages/my_orders';

type Route = [string, (params: Record<string, string>) => ComponentChildren];

const routes: Route[] = [
  ['/', () => <Landing />],
  ['/auth/signup', () => <SignUp />],
  ['/auth/signin', () => <SignIn />],
  ['/auth/signout', () => <SignOut />],
  ['/tickets/new', () => <SellTicket />],
  ['/tickets/:id', (p) => <TicketPage key={p.id} id={p.id} />],
  ['/tickets/:id/edit', (p) => <EditTicket key={p.id} id={p.id} />],
  ['/my/tickets', () => <MyTickets />],
  ['/orders', () => <MyOrders />],
  ['/orders/:id', (p) => <OrderPage key={p.id} id={p.id} />],
];

function Routes() {
  const { path } = useLocation();
  for (const [pattern, render] of routes) {
    const params = match(pattern, path);
    if (params) return <>{render(params)}</>;
  }
  return <NotFound />;
}

export function App() {
  return (
    <SessionProvider>
      <BusyIndicator />
      <Header />
      <main id="main" class="site-main">
        <Routes />
      </main>
      <footer class="site-footer">
        <p>
          Ticketing · <a href="/api/docs">API</a>
        </p>
      </footer>
    </SessionProvider>
  );
}
