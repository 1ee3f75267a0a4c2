// The buyer's and seller's journeys through the storefront, against the stack started by
// tests/browser/run.sh (sandbox gateway).
import {
  buy,
  checkPage,
  escape,
  expect,
  openFromLanding,
  payWith,
  sell,
  signUp,
  test,
  uniqueEmail,
  uniqueTitle,
} from './support';

const SUCCESS = '4242 4242 4242 4242';
const DECLINED = '4000 0000 0000 0002';
// The stack's EXPIRATION_WINDOW_SECONDS (run.sh sets both).
const WINDOW_S = Number(process.env.TICKETING_EXPIRATION_WINDOW_SECONDS ?? '900');

test('seller sells and edits a ticket; a buyer finds it, buys, pays; the order completes and the ticket is sold', async ({
  user,
}) => {
  const seller = await user();
  await signUp(seller, uniqueEmail('seller'));
  const title = uniqueTitle('Concert');
  const id = await sell(seller, title, '20');
  await expect(seller.getByTestId('price')).toHaveText('$20.00');
  // The seller cannot buy their own ticket, and is told why.
  await expect(seller.getByRole('button', { name: 'Purchase' })).toBeDisabled();
  await expect(seller.getByText('This is your ticket.')).toBeVisible();
  await checkPage(seller, 'ticket-own');

  await seller.getByRole('link', { name: 'Edit this ticket' }).click();
  await expect(seller.getByLabel('Title')).toHaveValue(title);
  await checkPage(seller, 'ticket-edit');
  const edited = `${title} (front row)`;
  await seller.getByLabel('Title').fill(edited);
  await seller.getByLabel('Price (USD)').fill('25.50');
  await seller.getByRole('button', { name: 'Save' }).click();
  await expect(seller.getByRole('heading', { level: 1, name: edited })).toBeVisible();
  await expect(seller.getByTestId('price')).toHaveText('$25.50');

  await seller.getByRole('link', { name: 'My tickets' }).click();
  const row = seller.locator(`[data-ticket-id="${id}"]`);
  await expect(row.getByTestId('state')).toHaveText('For sale');
  await checkPage(seller, 'my-tickets');

  const buyer = await user();
  await signUp(buyer, uniqueEmail('buyer'));
  await buyer.goto('/');
  await expect(buyer.getByRole('link', { name: new RegExp(escape(edited)) })).toBeVisible();
  await checkPage(buyer, 'landing');
  await openFromLanding(buyer, edited);
  await expect(buyer.getByRole('button', { name: 'Purchase' })).toBeEnabled();
  await checkPage(buyer, 'ticket');

  await buy(buyer);
  // A live countdown: it shows minutes and seconds and moves by itself.
  const countdown = buyer.getByTestId('countdown');
  await expect(countdown).toHaveText(/Time left to pay: \d+:\d\d/);
  const first = await countdown.textContent();
  await expect(countdown).not.toHaveText(first ?? '');
  await expect(buyer.getByTestId('sandbox-note')).toContainText('Sandbox');
  await checkPage(buyer, 'order-awaiting-payment');

  await payWith(buyer, SUCCESS);
  await expect(buyer.getByTestId('order-status')).toHaveText('Complete');
  await expect(buyer.getByTestId('payment-status')).toHaveText(/^Captured/);
  await expect(buyer.getByTestId('countdown')).toHaveCount(0);
  await checkPage(buyer, 'order-complete');

  await buyer.getByRole('link', { name: 'My orders' }).click();
  await expect(buyer.getByTestId('my-orders').locator('li').first().getByTestId('status')).toHaveText(
    'Complete',
  );
  await checkPage(buyer, 'my-orders');

  // Sold: the seller sees it so, and nobody can buy it again.
  await seller.reload();
  await expect(row.getByTestId('state')).toHaveText('Sold');
  await buyer.goto(`/tickets/${id}`);
  await expect(buyer.getByRole('button', { name: 'Purchase' })).toBeDisabled();
  await expect(buyer.getByText(/This ticket is reserved/)).toBeVisible();
  await checkPage(buyer, 'ticket-reserved');
});

test('a declined card shows the gateway\'s message beside the card; a second card succeeds', async ({
  user,
}) => {
  const seller = await user();
  await signUp(seller, uniqueEmail('seller'));
  const id = await sell(seller, uniqueTitle('Match'), '35');

  const buyer = await user();
  await signUp(buyer, uniqueEmail('buyer'));
  await buyer.goto(`/tickets/${id}`);
  await buy(buyer);

  await payWith(buyer, DECLINED);
  const cardError = buyer.locator('[data-field="card"]');
  await expect(cardError).toHaveText('Your card was declined.');
  await expect(buyer.getByLabel('Card number')).toHaveAttribute('aria-invalid', 'true');
  await expect(buyer.getByTestId('order-status')).toHaveText('Awaiting payment');
  await checkPage(buyer, 'order-declined');

  await payWith(buyer, SUCCESS);
  await expect(buyer.getByTestId('order-status')).toHaveText('Complete');
  await expect(buyer.getByTestId('payment-status')).toHaveText(/^Captured/);
  await expect(buyer.getByTestId('payment-status').locator('..')).toContainText('$35.00');
});

test('an unpaid order turns expired on the page by itself and the ticket is for sale again', async ({
  user,
}) => {
  test.setTimeout((WINDOW_S + 300) * 1000);
  const seller = await user();
  await signUp(seller, uniqueEmail('seller'));
  const title = uniqueTitle('Opera');
  const id = await sell(seller, title, '12.5');

  const buyer = await user();
  await signUp(buyer, uniqueEmail('buyer'));
  await buyer.goto(`/tickets/${id}`);
  await buy(buyer);
  await expect(buyer.getByTestId('countdown')).toBeVisible();

  // No reload, no click: the page follows the order until it expires.
  await expect(buyer.getByTestId('order-status')).toHaveText('Expired', {
    timeout: (WINDOW_S + 60) * 1000,
  });
  await expect(buyer.getByTestId('countdown')).toHaveCount(0);
  await expect(buyer.getByRole('button', { name: /^Pay \$/ })).toHaveCount(0);
  await checkPage(buyer, 'order-expired');

  // For sale again: on the landing page and purchasable.
  await expect(async () => {
    await buyer.goto('/');
    await expect(buyer.getByRole('link', { name: new RegExp(escape(title)) })).toBeVisible({
      timeout: 1000,
    });
  }).toPass({ timeout: 15_000 });
  await openFromLanding(buyer, title);
  await expect(buyer.getByRole('button', { name: 'Purchase' })).toBeEnabled();
});

test('two buyers race for one ticket: exactly one gets the order, the other sees "Ticket is already reserved"', async ({
  user,
}) => {
  const seller = await user();
  await signUp(seller, uniqueEmail('seller'));
  const id = await sell(seller, uniqueTitle('Final'), '99');

  const [a, b] = await Promise.all([user(), user()]);
  await Promise.all([signUp(a, uniqueEmail('racer-a')), signUp(b, uniqueEmail('racer-b'))]);
  await Promise.all([a.goto(`/tickets/${id}`), b.goto(`/tickets/${id}`)]);
  for (const p of [a, b]) await expect(p.getByRole('button', { name: 'Purchase' })).toBeEnabled();

  await Promise.all([
    a.getByRole('button', { name: 'Purchase' }).click(),
    b.getByRole('button', { name: 'Purchase' }).click(),
  ]);
  const outcome = async (p: typeof a) => {
    const refused = p.getByText('Ticket is already reserved');
    await expect(refused.or(p.getByTestId('order-status'))).toBeVisible();
    return (await refused.isVisible()) ? 'refused' : 'ordered';
  };
  const [oa, ob] = await Promise.all([outcome(a), outcome(b)]);
  expect([oa, ob].sort()).toEqual(['ordered', 'refused']);
  await checkPage(oa === 'refused' ? a : b, 'ticket-already-reserved');
});
