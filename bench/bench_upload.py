"""The upload pipeline end to end: a 1 GiB attachment sent over HTTP to `redress serve`.

The reporter's POST /report goes through gunicorn, Werkzeug's multipart parser and
:class:`redress.cases.uploads.EncryptedUpload` (secretstream into a pending blob, fsynced on
commit), then the submission is stored and its receipt derived with Argon2id. Beside it, in the same
run and over the same bytes:

- ``gpg --encrypt`` with default settings to a throwaway key: what OpenPGP-based intake systems
  do with an attachment (the target is at least 3x its throughput);
- :class:`crypto.streams.StreamEncryptor` into a discard sink: the cryptography alone, the
  ceiling the HTTP pipeline can approach.

The intake runs a single gunicorn worker (``GUNICORN_CMD_ARGS=--workers 1``), whose resident set
is sampled every 50 ms: before the upload, while the body is arriving, and over the whole request
(which ends with the receipt's 64 MiB Argon2id derivation). The target is under 100 MB.

A smoke run does all of this with a 16 KiB attachment.
"""

from __future__ import annotations

import random
import resource
import secrets
import subprocess  # noqa: S404 - runs gpg with fixed arguments
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import Result, Settings, compared, size_label
from bench.server import Client, Served, hidden_field, init_instance, serving
from crypto.fields import FieldContext
from crypto.keys import random_key
from crypto.streams import StreamEncryptor, encrypted_size
from tests.support.processes import cpu_seconds, peak_rss_bytes, rss_bytes
from tests.support.servers import clean_environment

KIB, MIB, GIB = 1024, 1024 * 1024, 1024 * 1024 * 1024
MB = 1_000_000  # rates and memory are reported in decimal megabytes


@dataclass(frozen=True)
class Sizes:
    file_size: int  # a multiple of block_size
    block_size: int


FULL = Sizes(file_size=1 * GIB, block_size=1 * MIB)
SMOKE = Sizes(file_size=16 * KIB, block_size=4 * KIB)
# Distinct pseudo-random blocks, cycled: 16 MiB apart, far beyond any compressor's window, so the
# data is as incompressible as random data while the client holds only 16 MiB of it.
POOL_BLOCKS = 16
SEED = 20250101
SAMPLE_SECONDS = 0.05
RSS_TARGET_MB = 100
THROUGHPUT_TARGET = 3  # times gpg's
GPG_USER = "bench <bench@example.invalid>"
CONTEXT = FieldContext("attachment", "bench-upload", "")


def _blocks(sizes: Sizes) -> Iterator[bytes]:
    """The same pseudo-random data (1 GiB in a full run) every time, in block_size pieces."""
    generator = random.Random(SEED)  # noqa: S311 - benchmark data, not a secret
    pool = [generator.randbytes(sizes.block_size) for _ in range(POOL_BLOCKS)]
    for index in range(sizes.file_size // sizes.block_size):
        yield pool[index % POOL_BLOCKS]


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def _raw_secretstream(sizes: Sizes) -> float:
    """Seconds to encrypt the data with StreamEncryptor into a sink that keeps nothing."""
    blocks = list(_blocks(sizes))  # references into the pool: generated before timing
    start = time.perf_counter()
    encryptor = StreamEncryptor(random_key(), _Discard(), CONTEXT)  # type: ignore[arg-type]
    for block in blocks:
        encryptor.write(block)
    encryptor.finish()
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _gpg(scratch: Path, sizes: Sizes) -> tuple[float, float]:
    """Wall and CPU seconds for `gpg --encrypt` (default settings) of the data in a file."""
    home = scratch / "gnupg"
    home.mkdir(mode=0o700)
    environ = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    plaintext = scratch / "attachment.bin"
    try:
        subprocess.run(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", GPG_USER]
            + ["default", "default", "never"],
            env=environ,
            check=True,
            capture_output=True,
            timeout=120,
        )
        with plaintext.open("wb") as handle:
            for block in _blocks(sizes):
                handle.write(block)
        cpu = _children_cpu()
        start = time.perf_counter()
        subprocess.run(
            ["gpg", "--batch", "--yes", "--trust-model", "always", "--encrypt"]
            + ["--recipient", "bench@example.invalid", "--output", "-", str(plaintext)],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
            timeout=600,
        )
        return time.perf_counter() - start, _children_cpu() - cpu
    finally:
        plaintext.unlink(missing_ok=True)
        # The agent gpg started for this home; it would otherwise outlive the benchmark.
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"], env=environ, capture_output=True, check=False
        )


@dataclass
class _Sampler:
    """Samples the intake workers' resident set every SAMPLE_SECONDS in a thread."""

    workers: list[int]
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> int:
        return max(rss_bytes(pid) for pid in self.workers)

    def mark(self) -> float:
        """Take a sample now (so every interval has one); returns its time."""
        rss = self.sample()
        at = time.perf_counter()
        self.samples.append((at, rss))
        return at

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self.sample()))
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> _Sampler:
        self._thread = threading.Thread(target=self._run, name="rss sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter(), self.sample()))

    def peak(self, start: float, end: float) -> int:
        return max(rss for at, rss in self.samples if start <= at <= end)


@dataclass(frozen=True)
class _Upload:
    seconds: float  # first byte sent to whole response received
    after_body: float  # last byte sent to whole response received
    cpu: float  # CPU seconds the intake worker(s) used for the request
    rss_before: int
    rss_body_peak: int
    rss_request_peak: int
    rss_high_water: int  # the kernel's VmHWM of the worker(s), since they started


def _multipart(boundary: str, fields: dict[str, str]) -> tuple[bytes, bytes]:
    """The body before the file's content (fields, then the file part's head) and after it."""
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="attachments"; filename="evidence.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


def _upload(served: Served, sizes: Sizes) -> _Upload:
    client = Client(served.intake_port)
    status, page = client.get("/report")
    if status != 200:
        raise RuntimeError(f"GET /report answered {status}")
    head, tail = _multipart(
        boundary := secrets.token_hex(16),
        {
            "csrf_token": hidden_field(page, "csrf_token"),
            "submission_token": hidden_field(page, "submission_token"),
            "what_happened": "A benchmark report with one large attachment.",
        },
    )
    blocks = list(_blocks(sizes))
    workers = served.intake_workers()
    connection = client.connect()
    cpu = sum(cpu_seconds(pid) for pid in workers)
    with _Sampler(workers) as sampler:
        time.sleep(4 * SAMPLE_SECONDS)
        rss_before = sampler.sample()
        sampler.mark()
        start = time.perf_counter()
        connection.putrequest("POST", "/report")
        headers = client.headers(
            **{
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + sizes.file_size + len(tail)),
            }
        )
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(head)
        for block in blocks:
            connection.send(block)
        connection.send(tail)
        body_sent = sampler.mark()
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        end = sampler.mark()
        connection.close()
        time.sleep(2 * SAMPLE_SECONDS)
    if response.status != 201 or 'id="receipt"' not in page:
        raise RuntimeError(f"POST /report answered {response.status}, not a receipt")
    return _Upload(
        seconds=end - start,
        after_body=end - body_sent,
        cpu=sum(cpu_seconds(pid) for pid in workers) - cpu,
        rss_before=rss_before,
        rss_body_peak=sampler.peak(start, body_sent),
        rss_request_peak=sampler.peak(start, end),
        rss_high_water=max(peak_rss_bytes(pid) for pid in workers),
    )


def _check_stored(instance: Path, sizes: Sizes) -> None:
    """The attachment really was stored: one committed blob of the right size."""
    expected = encrypted_size(sizes.file_size)
    stored = [path.stat().st_size for path in (instance / "blobs").glob("??/*")]
    if expected not in stored:
        raise RuntimeError(f"no blob of {expected} bytes was stored (found {stored})")


def run(settings: Settings) -> list[Result]:
    """Upload 1 GiB over HTTP; encrypt the same bytes with gpg and with bare secretstream."""
    sizes = settings.sizes(FULL, SMOKE)
    with tempfile.TemporaryDirectory(prefix="redress-bench-upload-") as scratch_name:
        scratch = Path(scratch_name)
        raw = _raw_secretstream(sizes)
        gpg, gpg_cpu = _gpg(scratch, sizes)
        instance = scratch / "instance"
        home = scratch / "home"
        home.mkdir()
        environ = clean_environment(
            home,
            # The default per-file limit is 500 MiB: allow a 1 GiB attachment.
            REDRESS_MAX_FILE_BYTES=str(sizes.file_size + MIB),
            REDRESS_MAX_SUBMISSION_BYTES=str(sizes.file_size + 16 * MIB),
            # One intake worker, so the one being measured is the one receiving the upload.
            GUNICORN_CMD_ARGS="--workers 1",
        )
        init_instance(instance, environ)
        try:
            with serving(instance, environ, scratch / "serve.log") as served:
                upload = _upload(served, sizes)
            _check_stored(instance, sizes)
        except (RuntimeError, OSError) as error:
            logs = [scratch / "serve.log", *sorted((instance / "logs").glob("*.log"))]
            details = "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs)
            raise RuntimeError(f"{error}\n{details}") from None

    size_mb, size = sizes.file_size / MB, size_label(sizes.file_size)
    rate, gpg_rate, raw_rate = size_mb / upload.seconds, size_mb / gpg, size_mb / raw
    return [
        compared(
            f"upload {size} over HTTP (1 gunicorn worker) vs gpg (target {THROUGHPUT_TARGET}x)",
            rate,
            "MB/s",
            gpg_rate,
        ),
        compared(f"upload {size} over HTTP vs raw secretstream", rate, "MB/s", raw_rate),
        Result(f"gpg --encrypt {size}, default settings", gpg_rate, "MB/s"),
        Result(f"raw secretstream (StreamEncryptor) {size}", raw_rate, "MB/s"),
        Result("upload: last byte sent to receipt (commit, Argon2id)", upload.after_body, "s"),
        # CPU time is steadier than wall time on a busy machine; below 1 the upload costs less.
        compared(f"upload: intake worker CPU time vs gpg's, {size}", upload.cpu, "s", gpg_cpu),
        Result("intake worker RSS before upload", upload.rss_before / MB, "MB"),
        Result(
            f"intake worker peak RSS while the body arrives (target < {RSS_TARGET_MB} MB)",
            upload.rss_body_peak / MB,
            "MB",
        ),
        Result(
            f"intake worker peak RSS, whole request incl. Argon2id (target < {RSS_TARGET_MB} MB)",
            upload.rss_request_peak / MB,
            "MB",
        ),
        Result("intake worker VmHWM (kernel high-water mark)", upload.rss_high_water / MB, "MB"),
    ]
