// Every route the app calls, typed with the shapes of api/openapi.yaml (./types).
import { api, retrying } from './client';
import type {
  CurrentUserBody,
  MyTicket,
  Order,
  Payment,
  PaymentConfig,
  PaymentCreated,
  Ticket,
  User,
} from './types';

export interface Page {
  limit: number;
  before?: string;
}

function pageQuery(p: Page): string {
  const q = new URLSearchParams({ limit: String(p.limit) });
  if (p.before) q.set('before', p.before);
  return q.toString();
}

const enc = encodeURIComponent;

export const Api = {
  currentUser: () => api<CurrentUserBody>('GET', '/api/users/currentuser'),
  signUp: (email: string, password: string) =>
    api<User>('POST', '/api/users/signup', { email, password }),
  signIn: (email: string, password: string) =>
    api<User>('POST', '/api/users/signin', { email, password }),
  signOut: () => api<Record<string, never>>('POST', '/api/users/signout', {}),

  // Unreserved tickets, newest first; `before` is the last id of the previous page.
  tickets: (p: Page) => api<Ticket[]>('GET', `/api/tickets?${pageQuery(p)}`),
  // The signed-in user's tickets, newest first, each with its state.
  myTickets: (p: Page) => api<MyTicket[]>('GET', `/api/tickets/mine?${pageQuery(p)}`),
  ticket: (id: string) => api<Ticket>('GET', `/api/tickets/${enc(id)}`),
  createTicket: (title: string, price: string) =>
    api<Ticket>('POST', '/api/tickets', { title, price }),
  updateTicket: (id: string, title: string, price: string) =>
    api<Ticket>('PUT', `/api/tickets/${enc(id)}`, { title, price }),

  // A ticket just created reaches orders a moment later (an event): 404 is retried.
  createOrder: (ticketId: string) =>
    retrying(() => api<Order>('POST', '/api/orders', { ticketId }), [404]),
  orders: () => api<Order[]>('GET', '/api/orders'),
  order: (id: string) => api<Order>('GET', `/api/orders/${enc(id)}`),
  cancelOrder: (id: string) => api<void>('DELETE', `/api/orders/${enc(id)}`),

  // An order just created reaches payments a moment later: 404 is retried.
  pay: (orderId: string, token: string) =>
    retrying(() => api<PaymentCreated>('POST', '/api/payments', { token, orderId }), [404]),
  payment: (id: string) => api<Payment>('GET', `/api/payments/${enc(id)}`),
  paymentConfig: () => api<PaymentConfig>('GET', '/api/payments/config'),
};
