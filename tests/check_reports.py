#!/usr/bin/env python3
"""Checks tessel-conformance end to end (ctest conformance_reports and
conformance_hook).

  check_reports.py reports TOOL OUTDIR [DEVICE]
      runs TOOL --quick --device DEVICE --json --junit, which must exit 0,
      and validates both files: the JSON schema of issue 5 and counts that
      agree with each other, JUnit XML that parses with one testsuite per
      device, and every op of the registry present.
  check_reports.py hook TOOL OUTDIR [DEVICE]
      runs TOOL --op add with TESSEL_TEST_HOOK=corrupt:add, which must exit 1
      and print a FAIL line with a rerun command for an add case that
      carries every TESSEL_* variable; that command must run exactly that
      case and fail again, and pass without the hook. Its JSON and JUnit
      must parse, record the failures and the run's TESSEL_* variables.
  check_reports.py fake TOOL OUTDIR [DEVICE]
      TOOL is tessel-conformance linked to tools/conformance/
      test_fake_registry.c: its fixed pass / fail (NaN, inf) / unsupported /
      error / fallback outcomes and names full of quotes, markup, a control byte and
      invalid UTF-8 must come out exactly right in both files, and
      --op add --case NAME must pick the add case, not add_rows. The
      same run with --no-isolate gives the same results; in --full, a case
      that crashes its worker process and one that hangs past --timeout are
      errors that say so, and the cases after each still run.
"""
import json
import math
import os
import shlex
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

# fallback: passed through core's composition of an op the device has no
# kernel for; a pass, counted apart.
# ftz: matched only with f32 subnormals flushed, on a device that does not
# promise to keep them (docs/numerics.md); a deviation, not a failure.
STATUSES = {"pass", "fallback", "ftz", "fail", "unsupported", "error"}
PASSING = {"pass", "fallback", "ftz"}
DEVICE_KEYS = ["id", "backend", "name", "vendor", "driver", "features"]
RESULT_KEYS = ["device", "op", "dtype", "case", "status", "max_abs_err", "max_rel_err", "tol",
               "seed"]
COUNT_KEYS = ["pass", "fallback", "ftz", "fail", "unsupported"]


def fail(msg):
    print("check_reports: FAIL: " + msg)
    sys.exit(1)


def run(cmd, env=None, timeout=1100):
    print("$ " + " ".join(shlex.quote(c) for c in cmd))
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       encoding="utf-8", errors="replace", timeout=timeout)
    return p.returncode, p.stdout


def listed_ops(tool):
    rc, out = run([tool, "--list", "--quick"])
    if rc != 0:
        fail("--list exited %d:\n%s" % (rc, out))
    ops, in_cases = set(), False
    for line in out.splitlines():
        if line.startswith("cases"):
            in_cases = True
        elif in_cases and line.startswith("  "):
            ops.add(line.split()[1])
    if not ops:
        fail("--list printed no case:\n" + out)
    return ops


def is_number_or_null(v):
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)
                         and math.isfinite(v))


def tessel_env(env):
    """The variables a report records and a rerun carries: TESSEL_* but the
    test suite's own TESSEL_REQUIRE_BACKENDS."""
    return {k: v for k, v in env.items()
            if k.startswith("TESSEL_") and k != "TESSEL_REQUIRE_BACKENDS"}


def split_rerun(line):
    """The rerun command of a FAIL/ERROR line: (environment, argv)."""
    words = shlex.split(line.split(" | rerun: ", 1)[1])
    renv = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith("-"):
        k, v = words.pop(0).split("=", 1)
        renv[k] = v
    return renv, words


def check_json(path, want_devices, env=None):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for key in ["version", "run", "devices", "results", "summary"]:
        if key not in doc:
            fail("%s: no key %r" % (path, key))
    # The run: its case set, seed and every TESSEL_* variable it ran with.
    r = doc["run"]
    if r.get("set") not in ("quick", "full") or not isinstance(r.get("seed"), int):
        fail("%s: run %r lacks its set or seed" % (path, r))
    if tessel_env(r.get("environment") or {}) != r.get("environment"):
        fail("%s: run environment %r is not TESSEL_* strings" % (path, r.get("environment")))
    want_env = tessel_env(env if env is not None else os.environ)
    if r["environment"] != want_env:
        fail("%s: run environment %r, the tool ran with %r" % (path, r["environment"], want_env))
    if not isinstance(doc["version"], str) or not doc["version"]:
        fail("%s: version is not a non-empty string" % path)
    ids = []
    for d in doc["devices"]:
        for key in DEVICE_KEYS:
            if not isinstance(d.get(key), str):
                fail("%s: device %r lacks string %r" % (path, d, key))
        ids.append(d["id"])
    if ids != want_devices:
        fail("%s: devices %r, expected %r" % (path, ids, want_devices))
    counts = {i: {s: 0 for s in STATUSES} for i in ids}
    for r in doc["results"]:
        if sorted(r.keys()) != sorted(RESULT_KEYS):
            fail("%s: result keys %r, expected %r" % (path, sorted(r.keys()), RESULT_KEYS))
        if r["device"] not in counts:
            fail("%s: result on unknown device %r" % (path, r["device"]))
        if r["status"] not in STATUSES:
            fail("%s: bad status %r" % (path, r["status"]))
        for key in ["device", "op", "dtype", "case"]:
            if not isinstance(r[key], str) or not r[key]:
                fail("%s: %s is not a non-empty string in %r" % (path, key, r))
        for key in ["max_abs_err", "max_rel_err", "tol"]:
            if not is_number_or_null(r[key]):
                fail("%s: %s is not a number or null in %r" % (path, key, r))
        if not isinstance(r["seed"], int):
            fail("%s: seed is not an integer in %r" % (path, r))
        if r["status"] in PASSING and (r["max_rel_err"] is None or r["tol"] is None
                                       or r["max_rel_err"] > r["tol"]):
            fail("%s: a %s with max_rel_err above tol: %r" % (path, r["status"], r))
        counts[r["device"]][r["status"]] += 1
    for i in ids:
        s = doc["summary"].get(i)
        if not isinstance(s, dict):
            fail("%s: summary lacks device %r" % (path, i))
        for key in COUNT_KEYS + (["error"] if "error" in s else []):
            if s.get(key) != counts[i][key]:
                fail("%s: summary[%r][%r] is %r, results count %d" % (path, i, key, s.get(key),
                                                                      counts[i][key]))
    return doc


def check_junit(path, doc):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        fail("%s: root is <%s>, not <testsuites>" % (path, root.tag))
    suites = root.findall("testsuite")
    if [s.get("name") for s in suites] != [d["id"] for d in doc["devices"]]:
        fail("%s: testsuites %r do not match the devices" % (path, [s.get("name") for s in suites]))
    total = 0
    for s in suites:
        cases = s.findall("testcase")
        total += len(cases)
        want = {"tests": len(cases),
                "failures": sum(1 for c in cases if c.find("failure") is not None),
                "errors": sum(1 for c in cases if c.find("error") is not None),
                "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for key, n in want.items():
            if s.get(key) != str(n):
                fail("%s: suite %s says %s=%r, has %d" % (path, s.get("name"), key, s.get(key), n))
        for c in cases:
            if not c.get("classname") or not c.get("name"):
                fail("%s: testcase without classname/name" % path)
            for tag in ["failure", "error"]:
                e = c.find(tag)
                if e is not None and "rerun:" not in (e.text or ""):
                    fail("%s: <%s> without a rerun command" % (path, tag))
            out = c.find("system-out")
            if out is not None and len(list(c)) != 1:
                fail("%s: a fallback testcase must pass (only <system-out>)" % path)
    if total != len(doc["results"]):
        fail("%s: %d testcases, JSON has %d results" % (path, total, len(doc["results"])))
    return root


def mode_reports(tool, outdir, device):
    js, xml = os.path.join(outdir, "quick.json"), os.path.join(outdir, "quick.xml")
    rc, out = run([tool, "--quick", "--device", device, "--json", js, "--junit", xml])
    print(out)
    if rc != 0:
        fail("tessel-conformance exited %d" % rc)
    doc = check_json(js, [device])
    check_junit(xml, doc)
    missing = listed_ops(tool) - {r["op"] for r in doc["results"]}
    if missing:
        fail("ops of the registry missing from the results: %s" % sorted(missing))
    if any(r["status"] == "pass" for r in doc["results"]) is False:
        fail("no case passed")
    print("check_reports: OK: %d results, JSON and JUnit valid" % len(doc["results"]))


def mode_hook(tool, outdir, device):
    js, xml = os.path.join(outdir, "hook.json"), os.path.join(outdir, "hook.xml")
    # TESSEL_RERUN_PROBE: no knob of the library; the rerun line must carry
    # every TESSEL_* variable all the same.
    env = dict(os.environ, TESSEL_TEST_HOOK="corrupt:add", TESSEL_RERUN_PROBE="a b")
    rc, out = run([tool, "--op", "add", "--device", device, "--json", js, "--junit", xml], env)
    print(out)
    if rc != 1:
        fail("with corrupt:add the tool exited %d, expected 1" % rc)
    lines = [l for l in out.splitlines()
             if l.startswith("FAIL %s add [" % device) and " | rerun: " in l]
    if not lines:
        fail("no 'FAIL %s add [...] | rerun: ...' line in the output" % device)
    doc = check_json(js, [device], env)
    check_junit(xml, doc)
    if not any(r["status"] == "fail" and r["op"] == "add" for r in doc["results"]):
        fail("the JSON records no failed add case")

    # The rerun command reproduces exactly one case, and the hook is the cause.
    renv, words = split_rerun(lines[0])
    if renv.get("TESSEL_TEST_HOOK") != "corrupt:add" or renv.get("TESSEL_RERUN_PROBE") != "a b":
        fail("the rerun command does not carry every TESSEL_* variable")
    rc, out = run(words, renv)
    print(out)
    if rc != 1 or " 1 fail" not in out or "1 selected cases" not in out:
        fail("the rerun command did not fail exactly one case (exit %d)" % rc)
    renv.pop("TESSEL_TEST_HOOK")
    rc, out = run(words, renv)
    print(out)
    if rc != 0:
        fail("without the hook the rerun command exited %d" % rc)
    print("check_reports: OK: the broken add was caught and reproduced")


def mode_fake(tool, outdir, device):
    js, xml = os.path.join(outdir, "fake.json"), os.path.join(outdir, "fake.xml")
    rc, out = run([tool, "--device", device, "--json", js, "--junit", xml])
    print(out)
    if rc != 1:
        fail("the fake registry has failures; the tool exited %d" % rc)
    doc = check_json(js, [device])
    root = check_junit(xml, doc)
    want = [("add", "f32/4x5", "pass"), ("add", "f16/bcast 1x5 + 4x5", "fail"),
            ("add_rows", "f32/4x5", "pass"), ("mul", "bf16/odd 7", "unsupported"),
            ("softmax", "f32/causal \"q\" <&> it's", "error"),
            ("argmax", "i32/weird \x01?", "fail"), ("swiglu", "bf16/3x7", "fallback")]
    got = [(r["op"], r["case"], r["status"]) for r in doc["results"]]
    if got != want:
        fail("results %r, expected %r" % (got, want))
    nan_fail = doc["results"][1]
    if nan_fail["max_abs_err"] is not None or nan_fail["max_rel_err"] is not None:
        fail("NaN errors must be null: %r" % nan_fail)
    if doc["results"][5]["max_abs_err"] is not None or doc["results"][5]["tol"] != 0:
        fail("an infinite error must be null and tol 0 kept: %r" % doc["results"][5])
    if doc["summary"][device] != {"pass": 2, "fallback": 1, "ftz": 0, "fail": 2,
                                  "unsupported": 1, "error": 1}:
        fail("summary %r" % doc["summary"][device])
    names = [c.get("name") for c in root.iter("testcase")]
    if names[4] != "f32/causal \"q\" <&> it's" or names[5] != "i32/weird ??":
        fail("JUnit names %r" % names)
    err = list(root.iter("error"))
    if len(err) != 1 or "\"<bad> & 'worse'\"" not in err[0].get("message") \
            or "\u00e9" not in err[0].get("message"):
        fail("the error message did not survive XML: %r" % [e.attrib for e in err])
    if len(list(root.iter("skipped"))) != 1 or len(list(root.iter("failure"))) != 2:
        fail("JUnit outcome elements do not match")
    outs = list(root.iter("system-out"))
    if len(outs) != 1 or not outs[0].text.startswith("fallback: ") \
            or "<composition>" not in outs[0].text:
        fail("the fallback case must be a passing testcase with a <system-out> note: %r"
             % [o.text for o in outs])
    rows = [l.split() for l in out.splitlines() if l.split()[:2] == [device, "glu"]]
    if len(rows) != 1 or rows[0][2:4] != ["0", "1"]:
        fail("the table must show the glu case under fallback (pass 0, fallback 1):\n" + out)
    if " 2 pass, 1 fallback, 0 ftz, 2 fail, 1 unsupported, 1 error" not in out:
        fail("the summary line must count the fallback apart:\n" + out)
    fails = [l for l in out.splitlines() if l.startswith(("FAIL ", "ERROR "))]
    if len(fails) != 3 or any(" | rerun: " not in l for l in fails):
        fail("expected 3 FAIL/ERROR lines with rerun commands:\n" + "\n".join(fails))
    if any(ord(ch) < 0x20 for l in fails for ch in l):
        fail("a control byte reached the terminal")

    # The quoted rerun command of the error case selects exactly that case.
    error_line = [l for l in fails if l.startswith("ERROR ")][0]
    renv, words = split_rerun(error_line)
    rc, out = run(words, renv)
    print(out)
    if rc != 1 or "1 selected cases" not in out or " 1 error" not in out:
        fail("the error's rerun command did not rerun exactly that case")
    rc, out = run([tool, "--device", device, "--op", "add", "--case", "f32/4x5"])
    print(out)
    if rc != 0 or "1 selected cases" not in out:
        fail("--op add --case f32/4x5 must run the add case alone")
    rc, out = run([tool, "--device", device, "--op", "nothing"])
    if rc != 2:
        fail("a filter matching nothing must exit 2, not %d" % rc)
    rc, out = run([tool, "--device", "nope:9"])
    if rc != 2:
        fail("an unknown device must exit 2, not %d" % rc)
    rc, out = run([tool, "--device", device, "--no-isolate", "--timeout", "1"])
    if rc != 2:
        fail("--timeout with --no-isolate must exit 2, not %d" % rc)

    # In this process (--no-isolate) the results are the worker's.
    js1 = os.path.join(outdir, "fake-in-process.json")
    rc, out = run([tool, "--device", device, "--no-isolate", "--json", js1])
    if rc != 1 or [(r["op"], r["case"], r["status"]) for r in check_json(js1, [device])["results"]] \
            != want:
        fail("--no-isolate exited %d with other results:\n%s" % (rc, out))

    # A crash and a hang cost one case each; the run goes on.
    js2, xml2 = os.path.join(outdir, "process.json"), os.path.join(outdir, "process.xml")
    rc, out = run([tool, "--device", device, "--full", "--op", "process", "--timeout", "2",
                   "--json", js2, "--junit", xml2], timeout=300)
    print(out)
    if rc != 1:
        fail("a crashed and a hung case must fail the run (exit 1), not %d" % rc)
    doc = check_json(js2, [device])
    check_junit(xml2, doc)
    got = [(r["op"], r["case"], r["status"]) for r in doc["results"]]
    want = [("crash", "f32/segfault", "error"), ("crash", "f32/after it", "pass"),
            ("hang", "f32/never returns", "error"), ("hang", "f32/after it", "pass")]
    if got != want:
        fail("results %r, expected %r" % (got, want))
    errors = [l for l in out.splitlines() if l.startswith("ERROR ")]
    if len(errors) != 2 or "crashed: the worker process died from signal %d" % signal.SIGSEGV \
            not in errors[0] or "timed out: no result after 2 s" not in errors[1] \
            or any(" | rerun: " not in l for l in errors):
        fail("the crash and the timeout must be ERROR lines that say so:\n" + "\n".join(errors))
    if "worker processes restarted 2 times" not in out:
        fail("the summary must say that workers were restarted:\n" + out)
    renv, words = split_rerun(errors[0])
    rc, out = run(words, renv)
    print(out)
    if rc != 1 or "1 selected cases" not in out or " 1 error" not in out:
        fail("the crash's rerun command must report it again as one error (exit %d)" % rc)
    print("check_reports: OK: fake outcomes and odd names reported exactly; a crash and a hang "
          "cost one case each")


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("reports", "hook", "fake"):
        print(__doc__)
        return 2
    mode, tool, outdir = sys.argv[1:4]
    device = sys.argv[4] if len(sys.argv) > 4 else "cpu:0"
    os.makedirs(outdir, exist_ok=True)
    {"reports": mode_reports, "hook": mode_hook, "fake": mode_fake}[mode](tool, outdir, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
