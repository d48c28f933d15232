"""intake/static/proof.js computes what the server checks: its SHA-256 against hashlib, and its
proofs against redress.reporting.challenges, run with Node.js (installed for the axe-core tests).

tests/test_browser_intake.py runs the same script in Chromium under the page's policy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess  # noqa: S404 - runs node on our own script with fixed arguments

from redress.reporting.challenges import LoginChallenges
from tests.support.availability import unavailable
from tests.support.servers import REPO_ROOT

SCRIPT = REPO_ROOT / "intake" / "static" / "proof.js"

# Reads {"prefixes": [...], "counters": [...], "solve": [challenge, ...]} on stdin; prints the
# digest of every prefix + counter, and the first counter reaching each challenge's bits.
_DRIVER = """
const { Hasher, zeroBits } = require(process.argv[1]);
const hex = (words) => Array.from(words, (w) => w.toString(16).padStart(8, "0")).join("");
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const digests = job.prefixes.map((prefix) => {
    const hasher = new Hasher(prefix);
    return job.counters.map((counter) => hex(hasher.hash(counter)));
  });
  const proofs = job.solve.map((challenge) => {
    const bits = parseInt(challenge.split(".")[1], 10);
    const hasher = new Hasher(challenge + ".");
    let counter = 0;
    while (zeroBits(hasher.hash(counter)) < bits) counter++;
    return String(counter);
  });
  process.stdout.write(JSON.stringify({ digests, proofs }));
});
"""


def run_node(job: dict[str, list[object]]) -> dict[str, list[object]]:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js is not installed (Debian: nodejs); it runs the login page's script")
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [node, "-e", _DRIVER, str(SCRIPT)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[object]] = json.loads(done.stdout)
    return result


def test_the_script_hashes_and_solves_as_the_server_checks() -> None:
    challenges = LoginChallenges(bytes(32), 10)
    issued = [challenges.issue() for _ in range(3)]
    # Every tail length around the 64-byte block boundaries, and real challenges.
    prefixes = ["", "a", *("x" * n for n in (54, 55, 56, 63, 64, 65, 119, 120, 128)), *issued]
    counters = [0, 9, 10, 65_535, 10**15 - 1]
    result = run_node({"prefixes": prefixes, "counters": counters, "solve": issued})
    expected = [
        [hashlib.sha256(f"{prefix}{counter}".encode()).hexdigest() for counter in counters]
        for prefix in prefixes
    ]
    assert result["digests"] == expected
    for challenge, proof in zip(issued, result["proofs"], strict=True):
        assert isinstance(proof, str)
        assert challenges.redeem(challenge, proof)
