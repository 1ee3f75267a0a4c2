#!/usr/bin/env python3
"""Checks what `ctest -L unit` promises (STYLE.md "Tests", issue 18): a unit test starts no
thread, opens no SQLite file and serves nothing. Runs every unit-test executable of the build
once under strace and looks at its system calls:
  thread   clone/clone3 with CLONE_THREAD (a child process, such as the harness's own tests
           spawning `sh`, is not a thread)
  sqlite   an open of a *.db, *.db-wal, *.db-shm or *.db-journal file
  server   a bind(2) or listen(2)
Prints one line per executable and a summary; exits 1 when any executable does any of them.
Usage: check_isolation.py <build dir>"""
import json
import os
import re
import subprocess
import sys
import tempfile

SQLITE_FILE = re.compile(r'openat\(.*"[^"]*\.db(-wal|-shm|-journal)?"')


def unit_executables(build_dir):
    out = subprocess.run(["ctest", "--test-dir", build_dir, "-L", "unit", "--show-only=json-v1"],
                         check=True, capture_output=True, text=True).stdout
    exes = []
    for test in json.loads(out).get("tests", []):
        command = test.get("command") or []
        if command and command[0] not in exes:
            exes.append(command[0])
    return exes


def inspect(exe):
    with tempfile.NamedTemporaryFile(prefix="strace-", suffix=".txt") as trace:
        run = subprocess.run(
            ["strace", "-f", "-qq", "-o", trace.name,
             "-e", "trace=clone,clone3,openat,bind,listen", exe, "--gtest_brief=1"],
            capture_output=True, text=True, timeout=600)
        lines = open(trace.name, errors="replace").read().splitlines()
    found = {"thread": [], "sqlite": [], "server": []}
    for line in lines:
        if ("clone(" in line or "clone3(" in line) and "CLONE_THREAD" in line:
            found["thread"].append(line)
        elif SQLITE_FILE.search(line):
            found["sqlite"].append(line)
        elif re.search(r"\b(bind|listen)\(", line) and "= -1" not in line:
            found["server"].append(line)
    return run.returncode, found


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    build_dir = sys.argv[1]
    exes = unit_executables(build_dir)
    if not exes:
        print("FAIL no unit-test executable found")
        return 1
    failures = 0
    for exe in exes:
        code, found = inspect(exe)
        name = os.path.relpath(exe, build_dir)
        bad = {k: v for k, v in found.items() if v}
        if code != 0:
            print(f"FAIL {name}: the tests failed (exit {code})")
            failures += 1
        elif bad:
            failures += 1
            print(f"FAIL {name}: " + ", ".join(f"{len(v)} {k}" for k, v in bad.items()))
            for kind, calls in bad.items():
                for call in calls[:3]:
                    print(f"     {kind}: {call[:160]}")
        else:
            print(f"PASS {name}: no thread, no SQLite file, no server")
    print(f"{len(exes) - failures} of {len(exes)} unit-test executables isolated")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
