// The pay forms. Each turns the buyer's card into a token for POST /api/payments.
// - sandbox (PAYMENT_GATEWAY=sandbox, the local stack): no card leaves the browser; the form
//   offers Stripe's test cards and sends the test token each stands for, which the sandbox
//   gateway understands as Stripe does.
// - stripe: Stripe.js Elements in the page (card details go to Stripe, never to us), loaded only
//   when the payments service says it uses Stripe. Not exercised by the tests here (no network).
import { useEffect, useRef, useState } from 'preact/hooks';
import { Field, FormErrors, formatPrice } from '../components/ui';

export interface PayProps {
  price: number;
  // Resolves when the payment was accepted; rejects with the errors to show.
  pay: (token: string) => Promise<void>;
  // The message of a decline (402) or of the card, shown beside the card field.
  cardError: string;
  formErrors: string[];
  busy: boolean;
}

export const TEST_CARDS = [
  { number: '4242 4242 4242 4242', token: 'tok_visa', outcome: 'succeeds' },
  { number: '4000 0000 0000 0002', token: 'tok_chargeDeclined', outcome: 'is declined' },
  {
    number: '4000 0000 0000 9995',
    token: 'tok_chargeDeclinedInsufficientFunds',
    outcome: 'is declined: insufficient funds',
  },
] as const;

function tokenFor(number: string): string | undefined {
  const digits = number.replace(/[\s-]/g, '');
  return TEST_CARDS.find((c) => c.number.replace(/\s/g, '') === digits)?.token;
}

export function SandboxPay({ price, pay, cardError, formErrors, busy }: PayProps) {
  const [number, setNumber] = useState('');
  const [localError, setLocalError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = tokenFor(number);
    if (!token) {
      setLocalError('In the sandbox, use one of the test cards listed above.');
      return;
    }
    setLocalError('');
    await pay(token).catch(() => undefined);
  };
  return (
    <form class="pay" onSubmit={submit} noValidate aria-labelledby="pay-heading">
      <h2 id="pay-heading">Pay</h2>
      <p class="sandbox-note" data-testid="sandbox-note">
        <strong>Sandbox:</strong> no real card is charged. Use one of Stripe's test cards:
      </p>
      <ul class="test-cards">
        {TEST_CARDS.map((c) => (
          <li key={c.token}>
            <button type="button" class="link-button" onClick={() => setNumber(c.number)}>
              Use {c.number}
            </button>{' '}
            ({c.outcome})
          </li>
        ))}
      </ul>
      <FormErrors messages={formErrors} />
      <Field
        id="card"
        label="Card number"
        inputMode="numeric"
        autocomplete="cc-number"
        value={number}
        onInput={setNumber}
        error={localError || cardError || undefined}
      />
      <button type="submit" class="primary" disabled={busy}>
        Pay {formatPrice(price)}
      </button>
    </form>
  );
}

// The part of Stripe.js this form uses.
interface StripeCardElement {
  mount(el: HTMLElement): void;
  destroy(): void;
}
interface StripeJs {
  elements(): { create(type: 'card'): StripeCardElement };
  createToken(card: StripeCardElement): Promise<{ token?: { id: string }; error?: { message?: string } }>;
}
declare global {
  interface Window {
    Stripe?: (publishableKey: string) => StripeJs;
  }
}

let stripeScript: Promise<void> | undefined;

function loadStripeJs(): Promise<void> {
  stripeScript ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = 'https://js.stripe.com/v3/';
    s.onload = () => resolve();
    s.onerror = () => reject(new Error('Stripe.js could not be loaded'));
    document.head.appendChild(s);
  });
  return stripeScript;
}

export function StripePay({ price, pay, cardError, formErrors, busy, publishableKey }: PayProps & { publishableKey: string }) {
  const mount = useRef<HTMLDivElement>(null);
  const [stripe, setStripe] = useState<{ js: StripeJs; card: StripeCardElement } | null>(null);
  const [localError, setLocalError] = useState('');
  useEffect(() => {
    let card: StripeCardElement | undefined;
    loadStripeJs().then(
      () => {
        if (!window.Stripe || !mount.current) return;
        const js = window.Stripe(publishableKey);
        card = js.elements().create('card');
        card.mount(mount.current);
        setStripe({ js, card });
      },
      (e: Error) => setLocalError(e.message),
    );
    return () => card?.destroy();
  }, [publishableKey]);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!stripe) return;
    const { token, error } = await stripe.js.createToken(stripe.card);
    if (!token) {
      setLocalError(error?.message ?? 'The card was not accepted');
      return;
    }
    setLocalError('');
    await pay(token.id).catch(() => undefined);
  };
  const message = localError || cardError;
  return (
    <form class="pay" onSubmit={submit} noValidate aria-labelledby="pay-heading">
      <h2 id="pay-heading">Pay</h2>
      <FormErrors messages={formErrors} />
      <div class={`field${message ? ' field--invalid' : ''}`}>
        <span class="label" id="card-label">
          Card
        </span>
        <div ref={mount} class="stripe-card" aria-labelledby="card-label" />
        {message && (
          <p class="error" role="alert" data-field="card">
            {message}
          </p>
        )}
      </div>
      <button type="submit" class="primary" disabled={busy || !stripe}>
        Pay {formatPrice(price)}
      </button>
    </form>
  );
}
