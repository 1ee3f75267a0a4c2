#!/usr/bin/env python3
"""Security.Probes (ctest -L security): the system attacked from outside as the review of issue 16
did, against a stack started by the project's own run command (scripts/run.sh). One line per
probe, `PASS name: detail` or `FAIL name: detail`, then a count; exit status 1 when any fails.

    python3 tests/security/probes.py --bin build/ci      start a stack from a build, probe, stop it
    python3 tests/security/probes.py --stack-dir .data   probe a stack already running from that
                                                         data directory (left running)
    --only name,name   run only these probes (the accounts and slow clients are prepared anyway)

The probes live by topic in ingress_probes, session_probes, api_probes, internal_probes,
limit_probes and closing_probes (run in that order); harness.py holds what they share, client.py
how they talk (HTTP, raw sockets, hand-made tokens, NATS and Redis by hand), stack.py the stack.

The review's findings (issue 16, "Why") and the probes that cover them:
  one request takes replicas out of rotation: ingress_unknown_methods_405,
    ingress_keeps_serving_after_rejected_requests, direct_unknown_method_answered,
    direct_malformed_request_answered
  the sign-in limit bypassed with a trailing slash, the Argon2id queue unbounded:
    rate_limit_signin_*, rate_limit_signup_* (every spelling), direct_noncanonical_paths_404,
    auth_throttles_without_ingress, input_password_length
  nginx's own errors are HTML with its version, no nosniff, no no-store: nginx_error_*,
    headers_nosniff_api, headers_nosniff_storefront, headers_no_store_private
  any service can mint a session, a token outlives sign-out: session_only_auth_signs,
    session_forged_hs256, session_forged_es256, session_alg_none, session_hs256_with_public_key,
    session_expired, session_wrong_kid, session_garbage_cookie, session_signout_revokes
  the bus and Redis trust everyone, credentials would be logged: nats_requires_credentials,
    nats_publish_permissions, redis_requires_password, logs_hold_no_secrets
  services on 0.0.0.0 without a connection cap, 75 s read timeouts: services_bind_loopback,
    direct_connection_cap, direct_slow_client_dropped
  titles with NUL, controls, bidi overrides; huge passwords and payment tokens: input_title_*,
    input_password_length, input_payment_token_length
  PAYMENT_GATEWAY defaults to sandbox: payments_gateway_required, payments_stripe_needs_key
and beyond the review: other users' resources (idor_*), malformed, mistyped, deep and huge bodies
(body_*), slow clients at the ingress (slow_client_*), the per-address connection limit
(ingress_connection_limit), the ingress's 503 (nginx_error_service_down). The Kubernetes findings
are checked by tests/k8s (K8sManifests.Validate).

Every wait has a deadline; nothing sleeps to synchronise. TICKETING_KEEP_TEMP=1 keeps the stack's
data and logs.
"""

import argparse
import signal
import sys
import traceback
from pathlib import Path

# The modules beside this one, imported without leaving a __pycache__ in the checkout.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_probes  # noqa: E402
import closing_probes  # noqa: E402
import ingress_probes  # noqa: E402
import internal_probes  # noqa: E402
import limit_probes  # noqa: E402
import session_probes  # noqa: E402
from harness import Context, Failed, NotHere, prepare  # noqa: E402
from stack import LocalStack  # noqa: E402

# In this order: the rate-limit probes spend the sign-in allowance the others need, the limit
# probes open thousands of connections, and the closing ones stop a service and read the logs.
ALL_PROBES = (ingress_probes.PROBES + session_probes.PROBES + api_probes.PROBES +
              internal_probes.PROBES + limit_probes.PROBES + closing_probes.PROBES)


def run_probes(ctx, only):
    passed = failed = skipped = 0
    for fn in ALL_PROBES:
        name = fn.__name__
        if only and name not in only:
            continue
        try:
            detail = fn(ctx)
            print(f"PASS {name}: {detail}", flush=True)
            passed += 1
        except Failed as e:
            print(f"FAIL {name}: {e}", flush=True)
            failed += 1
        except NotHere as e:
            print(f"SKIP {name}: {e}", flush=True)
            skipped += 1
        except Exception as e:  # a probe that breaks is a failure, with where it broke
            where = traceback.extract_tb(e.__traceback__)[-1]
            print(f"FAIL {name}: {type(e).__name__}: {e} "
                  f"({Path(where.filename).name} line {where.lineno})", flush=True)
            failed += 1
    return passed, failed, skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bin", help="CMake build directory with the services' binaries")
    where.add_argument("--stack-dir", help="data directory of a stack already running")
    parser.add_argument("--only", default="", help="comma-separated probe names")
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = only - {fn.__name__ for fn in ALL_PROBES}
    if unknown:
        parser.error(f"unknown probes: {', '.join(sorted(unknown))}")

    stack = None

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        if args.bin:
            print(f"starting a stack from {args.bin} (scripts/run.sh)", flush=True)
            try:
                stack = LocalStack.start(Path(args.bin).resolve())
            except RuntimeError as e:
                print(f"FAIL stack: {e}", flush=True)
                return 1
        else:
            stack = LocalStack.attach(args.stack_dir)
        print(f"stack: ingress 127.0.0.1:{stack.ingress_port}, data {stack.dir}", flush=True)
        ctx = Context(stack)
        limit_probes.start_slow_clients(ctx)
        prepare(ctx)
        passed, failed, skipped = run_probes(ctx, only)
    except KeyboardInterrupt as e:
        print(f"interrupted ({e}): stopping the stack", flush=True)
        return 2
    finally:
        if stack is not None:
            stack.stop()
    note = f", {skipped} skipped" if skipped else ""
    print(f"{passed + failed} probes: {passed} passed, {failed} failed{note}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
