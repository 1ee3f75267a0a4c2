// Sign up, sign in, sign out, and the API's validation messages beside their fields.
import { checkPage, expect, PASSWORD, signUp, test, uniqueEmail } from './support';

test('validation errors appear beside their fields; sign up, sign out, sign in', async ({ user }) => {
  const page = await user();
  await page.goto('/auth/signup');
  await checkPage(page, 'signup');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('#email-error')).toHaveText('Email must be valid');
  await expect(page.locator('#password-error')).toHaveText(
    'Password must be between 8 and 128 characters',
  );
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-describedby', /email-error/);
  await checkPage(page, 'signup-errors');

  const email = uniqueEmail('forms');
  await signUp(page, email);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0);

  // The same address again: "Email in use", beside the email.
  await page.goto('/auth/signup');
  await page.getByLabel('Email').fill(email.toUpperCase());
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('#email-error')).toHaveText('Email in use');

  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await checkPage(page, 'signin');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#password-error')).toHaveText('You must supply a password');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Invalid credentials' })).toBeVisible();
  await checkPage(page, 'signin-errors');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toContainText(email);

  // Selling: title and price rules, each beside its field.
  await page.getByRole('link', { name: 'Sell a ticket' }).click();
  await page.getByLabel('Price (USD)').fill('0');
  await page.getByRole('button', { name: 'Sell' }).click();
  await expect(page.locator('#title-error')).toHaveText('Title is required');
  await expect(page.locator('#price-error')).toHaveText('Price must be greater than 0');
  await page.getByLabel('Title').fill('Jazz night');
  await page.getByLabel('Price (USD)').fill('10.999');
  await page.getByRole('button', { name: 'Sell' }).click();
  await expect(page.locator('#price-error')).toHaveText('Price must have at most 2 decimal places');
  await expect(page.locator('#title-error')).toHaveCount(0);
  await checkPage(page, 'sell-errors');

  // Signed out, a private page sends to sign-in, and back after it.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await page.goto('/orders');
  await expect(page).toHaveURL(/\/auth\/signin\?next=%2Forders$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/orders$/);
  await expect(page.getByRole('heading', { level: 1, name: 'My orders' })).toBeVisible();
  await checkPage(page, 'my-orders-empty');
});
