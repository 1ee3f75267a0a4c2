#!/usr/bin/env python3
"""Tests of the two parts of ingress_tool.py that scripts/bench-ingress.sh prints from and no
other test runs: the broker alone (a real nats-server) and the CPU per request by command."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ingress_tool.py")

# A child that names itself (comm), burns CPU when told, and says when it is done; it lives until
# its stdin closes, so that a snapshot taken after it burned still finds it.
CHILD = r"""
import ctypes, sys, time
libc = ctypes.CDLL(None)
for line in sys.stdin:
    name, seconds = line.split()
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
    start = time.process_time()
    while time.process_time() - start < float(seconds):
        pass
    print("done", flush=True)
"""


def tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], check=True, capture_output=True,
                          text=True, timeout=120).stdout


class BusyChild:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def burn(self, name, seconds):
        self.proc.stdin.write("%s %s\n" % (name, seconds))
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "done"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def per_request(before, after, requests):
    """{command: microseconds} and the machine's figures from cpu-per-request's line."""
    line = tool("cpu-per-request", "--before", before, "--after", after,
                "--requests", str(requests), "--top", "50")
    commands, machine = line.strip().split("; machine ")
    shown = {}
    for item in commands.split(", "):
        name, _, value = item.rpartition(" ")
        shown[name] = float(value)
    return shown, machine


class CpuPerRequestTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.child = BusyChild()

    def tearDown(self):
        self.child.close()
        self.dir.cleanup()

    def snapshot(self, name):
        path = os.path.join(self.dir.name, name)
        tool("cpu-snapshot", "--out", path)
        return path

    def spent_in_between(self, name, seconds, requests):
        """What cpu-per-request shows when the child burns `seconds` as `name` between two
        snapshots."""
        before = self.snapshot("before.json")
        self.child.burn(name, seconds)
        after = self.snapshot("after.json")
        return per_request(before, after, requests)

    def test_a_busy_process_is_counted_by_its_command_divided_by_the_requests(self):
        shown, machine = self.spent_in_between("bench-busy", 0.4, 4)
        # 0.4 s of CPU over 4 requests: 100,000 us each (the kernel counts in clock ticks)
        self.assertIn("bench-busy", shown)
        self.assertGreaterEqual(shown["bench-busy"], 90_000)
        self.assertLess(shown["bench-busy"], 200_000)
        self.assertRegex(machine, r"^busy \d+, idle \d+, stolen \d+$")

    def test_a_process_that_changed_its_name_counts_only_what_it_spent_in_between(self):
        # Kernel workers rename themselves with each work item: a new name is not a new process,
        # and its CPU before the first snapshot is not the run's.
        self.child.burn("bench-early", 0.5)
        shown, _ = self.spent_in_between("bench-later", 0.2, 1)
        self.assertIn("bench-later", shown)
        self.assertGreaterEqual(shown["bench-later"], 180_000)
        self.assertLess(shown["bench-later"], 450_000)  # not the 0.7 s of its whole life
        self.assertNotIn("bench-early", shown)

    def test_no_requests_is_refused(self):
        before = self.snapshot("before.json")
        result = subprocess.run([sys.executable, TOOL, "cpu-per-request", "--before", before,
                                 "--after", before, "--requests", "0"], capture_output=True,
                                text=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("no requests", result.stderr)


class BrokerTest(unittest.TestCase):
    def test_every_message_is_timed_to_its_delivery_and_its_acknowledgement(self):
        # A real nats-server of the tool's own, on a port it picks.
        result = json.loads(tool("broker", "--rate", "200", "--seconds", "0.5"))
        self.assertEqual(result["samples"], 100)
        self.assertGreater(result["p50_ms"], 0)
        self.assertLessEqual(result["p50_ms"], result["p99_ms"])
        # The acknowledgement is read after the delivery, from the same publish.
        self.assertGreaterEqual(result["ack_p50_ms"], result["p50_ms"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
