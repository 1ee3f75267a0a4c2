// The header on every page: the brand, and either sign up / sign in, or the signed-in email
// with sell, my tickets, my orders and sign out.
import { useState } from 'preact/hooks';
import { Api } from '../api/endpoints';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';

function NavLink({ href, children }: { href: string; children: string }) {
  const { path } = useLocation();
  const current = path === href;
  return (
    <li>
      <Link href={href} aria-current={current ? 'page' : undefined}>
        {children}
      </Link>
    </li>
  );
}

export function Header() {
  const { user, refresh } = useSession();
  const [signingOut, setSigningOut] = useState(false);
  const [failed, setFailed] = useState(false);
  const signOut = async () => {
    setSigningOut(true);
    setFailed(false);
    try {
      await Api.signOut();
      await refresh();
      navigate('/');
    } catch {
      // Still signed in (the cookie is cleared only by the answer): say so, let them retry.
      setFailed(true);
    } finally {
      setSigningOut(false);
    }
  };
  return (
    <header class="site-header">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="site-header__inner">
        <Link href="/" class="brand">
          Ticketing
        </Link>
        <nav aria-label="Main">
          {user === undefined ? null : user ? (
            <ul>
              <li class="who" data-testid="signed-in-as">
                <span class="visually-hidden">Signed in as </span>
                {user.email}
              </li>
              <NavLink href="/tickets/new">Sell a ticket</NavLink>
              <NavLink href="/my/tickets">My tickets</NavLink>
              <NavLink href="/orders">My orders</NavLink>
              <li>
                <button type="button" class="link-button" onClick={signOut} disabled={signingOut}>
                  Sign out
                </button>
                {failed && (
                  <span class="header-error" role="alert">
                    {' '}
                    Sign-out failed, retry
                  </span>
                )}
              </li>
            </ul>
          ) : (
            <ul>
              <NavLink href="/auth/signup">Sign up</NavLink>
              <NavLink href="/auth/signin">Sign in</NavLink>
            </ul>
          )}
        </nav>
      </div>
    </header>
  );
}
