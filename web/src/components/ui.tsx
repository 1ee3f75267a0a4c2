// Small building blocks shared by the pages: page heading (title and focus on navigation),
// labelled fields with their API error beside them, form-level alerts, money, loading.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, NetworkError, subscribeInFlight } from '../api/client';
import type { PagedList } from '../hooks';
import { Link, navigatedInApp } from '../router';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatPrice(dollars: number): string {
  return money.format(dollars);
}

export function formatCents(cents: number): string {
  return money.format(cents / 100);
}

// The page's <h1>: sets the document title and, after a navigation inside the app, takes the
// focus, so a keyboard or screen-reader user starts reading the new page, not the old link (on
// the first load the focus stays at the top, where the skip link is).
export function PageTitle({ children, title }: { children: ComponentChildren; title?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const text = title ?? ref.current?.textContent ?? '';
    document.title = text ? `${text} · Ticketing` : 'Ticketing';
    const focused = document.activeElement;
    const elsewhere = focused && focused !== document.body && !focused.closest('header');
    if (navigatedInApp() && !elsewhere) ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

type FieldProps = {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string;
  hint?: string;
} & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput' | 'id' | 'label'>;

// A labelled input whose error (the API's message for this field) is shown right under it,
// announced, and tied to the input with aria-describedby.
export function Field({ id, label, value, onInput, error, hint, ...rest }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return (
    <div class={`field${error ? ' field--invalid' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        id={id}
        name={id}
        value={value}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy.length ? describedBy.join(' ') : undefined}
        {...rest}
      />
      {error && (
        <p class="error" id={`${id}-error`} role="alert" data-field={id}>
          {error}
        </p>
      )}
    </div>
  );
}

// Messages that belong to no field (e.g. "Invalid credentials").
export function FormErrors({ messages }: { messages: string[] }) {
  if (!messages.length) return null;
  return (
    <div class="alert alert--error" role="alert">
      <ul>
        {messages.map((m) => (
          <li key={m}>{m}</li>
        ))}
      </ul>
    </div>
  );
}

// The bar at the top of every page while any request is in flight.
export function BusyIndicator() {
  const [busy, setBusy] = useState(false);
  useEffect(
    () =>
      subscribeInFlight((n) => {
        setBusy(n > 0);
        document.documentElement.toggleAttribute('data-busy', n > 0);
      }),
    [],
  );
  return (
    <div class={`busy${busy ? ' busy--on' : ''}`} data-testid="busy" aria-hidden="true">
      <div class="busy__bar" />
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

// An error the page cannot handle itself: not found, not allowed, server or network trouble.
export function ErrorView({ error, retry }: { error: unknown; retry?: () => void }) {
  if (error instanceof ApiError && error.status === 404) return <NotFound />;
  const message =
    error instanceof ApiError
      ? error.status === 401
        ? 'You are not allowed to see this page. Sign in with the account it belongs to.'
        : error.errors.map((e) => e.message).join(' ')
      : error instanceof NetworkError
        ? error.message
        : 'Something went wrong.';
  return (
    <section class="error-page">
      <PageTitle>Something went wrong</PageTitle>
      <p role="alert">{message}</p>
      <p>
        {retry && (
          <button type="button" onClick={retry}>
            Try again
          </button>
        )}{' '}
        <Link href="/">Back to the tickets for sale</Link>
      </p>
    </section>
  );
}

export function NotFound() {
  return (
    <section class="error-page">
      <PageTitle>Page not found</PageTitle>
      <p>There is nothing at this address. The ticket or order may not exist, or the link is wrong.</p>
      <p>
        <Link href="/">Back to the tickets for sale</Link>
      </p>
    </section>
  );
}

// Under a paged list: "Show older tickets" while there may be more, and a failed page's error.
export function ShowMore<T>({ list }: { list: PagedList<T> }) {
  return (
    <>
      {list.error !== null && list.items.length > 0 && (
        <p class="error" role="alert">
          The next page could not be loaded.
        </p>
      )}
      {list.more && (
        <p>
          <button type="button" onClick={list.loadMore} disabled={list.loading}>
            Show older tickets
          </button>
        </p>
      )}
    </>
  );
}
