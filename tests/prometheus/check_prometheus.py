#!/usr/bin/env python3
"""PrometheusAlerts.Validate: checks infra/prometheus offline with promtool.

  promtool check rules   alerts.yml       the rules parse, the PromQL is valid
  promtool test rules    alerts_test.yml  the rules' unit tests pass
  promtool check config  prometheus.yml   the local stack's scrape configuration (and its rules)

and, since promtool accepts a test of an alert name that does not exist and does not ask for
tests at all: every alert has a `severity` label, `summary` and `description` annotations, a
test case where it fires and one where it must not (exp_alerts: []), and every tested alert
name exists. Prints what failed; exits 1 if anything did.
Usage: check_prometheus.py <infra/prometheus directory>. Needs promtool (Debian package
prometheus, installed by scripts/setup.sh) and PyYAML (python3-yaml).
"""
import os
import shutil
import subprocess
import sys

import yaml


def promtool(failures, *args):
    command = ["promtool", *args]
    print("== " + " ".join(command), flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        failures.append("%s (exit %d)" % (" ".join(command), result.returncode))


def check_coverage(failures, rules_path, tests_path):
    print("== every alert labelled, annotated and tested both ways", flush=True)
    with open(rules_path) as f:
        rules = yaml.safe_load(f)
    with open(tests_path) as f:
        tests = yaml.safe_load(f)
    alerts = []
    for group in rules.get("groups") or []:
        for rule in group.get("rules") or []:
            if "alert" not in rule:
                continue
            name = rule["alert"]
            alerts.append(name)
            if not (rule.get("labels") or {}).get("severity"):
                failures.append("%s has no severity label" % name)
            for key in ("summary", "description"):
                if not (rule.get("annotations") or {}).get(key):
                    failures.append("%s has no %s annotation" % (name, key))
    fires, quiet = set(), set()
    for case in tests.get("tests") or []:
        for check in case.get("alert_rule_test") or []:
            name = check.get("alertname")
            unknown = "%s (test %r) is not an alert of %s" % (name, case.get("name", "?"),
                                                              rules_path)
            if name not in alerts and unknown not in failures:
                failures.append(unknown)
            (fires if check.get("exp_alerts") else quiet).add(name)
    for name in alerts:
        if name not in fires:
            failures.append("%s has no test case where it fires" % name)
        if name not in quiet:
            failures.append("%s has no test case where it must not fire (exp_alerts: [])" % name)
    print("  %d alerts: %s" % (len(alerts), ", ".join(alerts)), flush=True)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = sys.argv[1]
    if shutil.which("promtool") is None:
        print("FAILED: promtool not found (Debian package prometheus: scripts/setup.sh installs it)")
        return 1
    rules = os.path.join(directory, "alerts.yml")
    tests = os.path.join(directory, "alerts_test.yml")
    config = os.path.join(directory, "prometheus.yml")
    failures = []
    promtool(failures, "check", "rules", rules)
    promtool(failures, "test", "rules", tests)
    promtool(failures, "check", "config", config)
    check_coverage(failures, rules, tests)
    if failures:
        print("\nFAILED:")
        for failure in failures:
            print("  " + failure)
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
