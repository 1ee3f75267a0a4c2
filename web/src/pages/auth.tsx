// Sign up, sign in, sign out. The API's messages appear beside their fields ("Email must be
// valid", "Password must be between 8 and 128 characters"); "Email in use" belongs to the email;
// "Invalid credentials" to the form.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { Api } from '../api/endpoints';
import { ErrorView, Field, FormErrors, Loading, PageTitle } from '../components/ui';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';

// Where to go after signing in: ?next= when it is a path of this app, else the landing page.
function nextPath(query: URLSearchParams): string {
  const next = query.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

interface Errors {
  fields: Record<string, string>;
  form: string[];
}

const noErrors: Errors = { fields: {}, form: [] };

function toErrors(e: unknown): Errors {
  if (e instanceof ApiError) {
    const fields = e.fieldErrors();
    const form = e.formErrors().filter((m) => {
      if (m === 'Email in use') {
        fields.email ??= m;
        return false;
      }
      return true;
    });
    if (e.status === 429) return { fields, form: ['Too many attempts: wait a few seconds and retry.'] };
    return { fields, form };
  }
  return { fields: {}, form: [e instanceof Error ? e.message : 'Something went wrong'] };
}

function AuthForm({ mode }: { mode: 'signup' | 'signin' }) {
  const { refresh } = useSession();
  const { query } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>(noErrors);
  const [sending, setSending] = useState(false);
  const signup = mode === 'signup';

  const submit = async (e: Event) => {
    e.preventDefault();
    setSending(true);
    try {
      if (signup) await Api.signUp(email, password);
      else await Api.signIn(email, password);
      setErrors(noErrors);
      await refresh();
      navigate(nextPath(query), { replace: true });
    } catch (err) {
      setErrors(toErrors(err));
      setSending(false);
    }
  };

  return (
    <section class="narrow">
      <PageTitle>{signup ? 'Sign up' : 'Sign in'}</PageTitle>
      <form onSubmit={submit} noValidate>
        <FormErrors messages={errors.form} />
        <Field
          id="email"
          label="Email"
          type="email"
          autocomplete="email"
          value={email}
          onInput={setEmail}
          error={errors.fields.email}
          required
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autocomplete={signup ? 'new-password' : 'current-password'}
          value={password}
          onInput={setPassword}
          error={errors.fields.password}
          hint={signup ? '8 to 128 characters' : undefined}
          required
        />
        <button type="submit" class="primary" disabled={sending}>
          {signup ? 'Sign up' : 'Sign in'}
        </button>
      </form>
      <p>
        {signup ? (
          <>
            Already have an account? <Link href="/auth/signin">Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link href="/auth/signup">Sign up</Link>
          </>
        )}
      </p>
    </section>
  );
}

export const SignUp = () => <AuthForm mode="signup" />;
export const SignIn = () => <AuthForm mode="signin" />;

// /auth/signout (the course's page): signs out, then goes to the landing page.
export function SignOut() {
  const { refresh } = useSession();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    Api.signOut()
      .then(refresh)
      .then(() => navigate('/', { replace: true }), setError);
  }, [refresh]);
  if (error) return <ErrorView error={error} />;
  return <Loading what="signing you out" />;
}

// Renders its children for a signed-in user; otherwise sends to sign-in and back here after.
export function RequireUser({ children }: { children: ComponentChildren }) {
  const { user } = useSession();
  const { path } = useLocation();
  useEffect(() => {
    if (user === null) {
      navigate(`/auth/signin?next=${encodeURIComponent(path + location.search)}`, {
        replace: true,
      });
    }
  }, [user, path]);
  if (!user) return <Loading what="your account" />;
  return <>{children}</>;
}
