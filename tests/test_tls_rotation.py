"""TLS credentials that rotate, and pinned server certificates (issue 15, item 3).

Real handshakes only: certificates are made now with trustme; the peers are rsyslog's TLS
inputs (imtcp with the ossl driver, imrelp with TLS) and, where the test must see which
client certificate came, a small Python `ssl` server that records it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import trustme

from conftest import started, tls_input
from loguru_syslog import (
    PinMismatchError,
    RELPTransport,
    SyslogConfigError,
    SyslogConfigWarning,
    SyslogSink,
    TLSCredentials,
    TLSTransport,
)

DEADLINE = 10.0


def until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll `condition` until it holds; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.01)


def der_sha256(pem_file: Path | str) -> str:
    """SHA-256 of the DER of the first certificate in a PEM file (the leaf)."""
    text = Path(pem_file).read_text()
    end = "-----END CERTIFICATE-----"
    first = text[: text.index(end) + len(end)] + "\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest()


def with_colons(pin: str) -> str:
    """The pin as `openssl x509 -fingerprint -sha256` prints it."""
    return ":".join(pin[i : i + 2] for i in range(0, len(pin), 2)).upper()


class ClientCert:
    """A client certificate issued by its own CA, with its name and serial number."""

    def __init__(self, name: str) -> None:
        self.ca = trustme.CA()
        self.name = name
        self.issued = self.ca.issue_cert(name)
        der = ssl.PEM_cert_to_DER_cert(self.issued.cert_chain_pems[0].bytes().decode())
        self.serial = _serial_of(der)

    def write_ca(self, path: Path) -> None:
        self.ca.cert_pem.write_to_path(str(path))

    def install(self, cert_file: Path, key_file: Path) -> None:
        """Put this certificate and key at the paths the way certbot and cert-manager do:
        written beside them, then renamed over them (the key first)."""
        for pem, path in ((self.issued.private_key_pem, key_file), (self.issued.cert_chain_pems[0], cert_file)):
            new = path.with_name(path.name + ".new")
            pem.write_to_path(str(new))
            os.replace(new, path)


def _serial_of(der: bytes) -> int:
    """The serial number of a DER certificate (what ssl's getpeercert() shows, as an int)."""
    from cryptography import x509  # trustme's dependency

    return x509.load_der_x509_certificate(der).serial_number


class MutualTLSServer:
    """A syslog-over-TLS server (octet-counted) that requires a client certificate signed
    by the CA in `ca_file`, and records, for each message, who sent it: the client
    certificate's name and serial number."""

    def __init__(self, server_cert: Path, server_key: Path, ca_file: Path) -> None:
        self._server_files = (server_cert, server_key)
        self.context = self._context(ca_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        #: (client certificate's DNS name, its serial, message) for each message received.
        self.received: list[tuple[str, int, bytes]] = []
        #: Connections whose client certificate was refused.
        self.refused = 0
        self._connections: list[ssl.SSLSocket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _context(self, ca_file: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*map(str, self._server_files))
        context.load_verify_locations(cafile=str(ca_file))
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    def require(self, ca_file: Path) -> None:
        """From now on accept only client certificates of this CA; end the connections."""
        self.context = self._context(ca_file)
        self.drop()

    def drop(self) -> None:
        """End every open connection (the clients must connect again)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def messages(self) -> list[tuple[str, int, bytes]]:
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.listener.close()
        self.drop()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(DEADLINE)
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            with self._lock:
                self.refused += 1
            raw.close()
            return
        with self._lock:
            self._connections.append(conn)
        peer = conn.getpeercert()
        names = [str(value) for kind, value in peer.get("subjectAltName", ()) if kind == "DNS"]
        who = (",".join(names), int(str(peer["serialNumber"]), 16))
        inbox = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except (OSError, ValueError):
                    return
                if not data:
                    return
                inbox += data
                while b" " in inbox:
                    length, _, rest = inbox.partition(b" ")
                    if len(rest) < int(length):
                        break
                    with self._lock:
                        self.received.append((*who, rest[: int(length)]))
                    inbox = rest[int(length) :]


@pytest.fixture
def client_files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "client.pem", tmp_path / "client.key"


@pytest.fixture
def mtls_server(tls_certs: Any, tmp_path: Path) -> Iterator[Callable[[ClientCert], MutualTLSServer]]:
    servers: list[MutualTLSServer] = []

    def make(accepted: ClientCert) -> MutualTLSServer:
        ca_file = tmp_path / f"accepts-{accepted.name}.pem"
        accepted.write_ca(ca_file)
        server = MutualTLSServer(tls_certs.server_cert_file, tls_certs.server_key_file, ca_file)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def tls_sink(url: str, tls_certs: Any, client_files: tuple[Path, Path], **options: Any) -> SyslogSink:
    cert_file, key_file = client_files
    return SyslogSink(
        url,
        tls_ca_file=str(tls_certs.ca_file),
        tls_cert_file=str(cert_file),
        tls_key_file=str(key_file),
        backoff_min=0.01,
        backoff_max=0.05,
        background=True,  # retries on its own after a broken connection, as in production
        **options,
    )


# -- rotation ------------------------------------------------------------------------------


def test_a_swapped_client_certificate_is_presented_at_the_next_connection(
    mtls_server: Callable[[ClientCert], MutualTLSServer],
    tls_certs: Any,
    client_files: tuple[Path, Path],
    fresh_logger: Any,
) -> None:
    old, new = ClientCert("old-client.example"), ClientCert("new-client.example")
    old.install(*client_files)
    server = mtls_server(old)
    sink = tls_sink(f"tls://localhost:{server.port}", tls_certs, client_files)
    fresh_logger.add(sink, format="{message}", catch=False)
    for i in range(3):
        fresh_logger.info(f"before {i}")
    until(lambda: len(server.messages()) == 3, "the messages before the swap")

    # cert-manager renews the certificate; the server now trusts only the new one's CA
    # and its connections end (as at a server restart).
    new.install(*client_files)
    ca_file = client_files[0].with_name("new-ca.pem")
    new.write_ca(ca_file)
    server.require(ca_file)

    for i in range(5):
        fresh_logger.info(f"after {i}")
    until(lambda: len(server.messages()) == 8, "the messages after the swap")
    seen = server.messages()
    assert [text.rsplit(b" ", 2)[-2:] for _, _, text in seen] == [
        *([b"before", str(i).encode()] for i in range(3)),
        *([b"after", str(i).encode()] for i in range(5)),
    ]
    assert {(cn, serial) for cn, serial, _ in seen[:3]} == {(old.name, old.serial)}
    assert {(cn, serial) for cn, serial, _ in seen[3:]} == {(new.name, new.serial)}
    assert server.refused == 0  # the old certificate was never offered to the new CA
    transport = sink.transport
    assert isinstance(transport, TLSTransport)
    assert transport.credentials.builds == 2
    until(lambda: sink.stats.sent == 8, "8 counted as sent")


def test_rotation_against_rsyslog_that_accepts_only_the_new_certificate(
    rsyslog_factory: Any, tls_certs: Any, client_files: tuple[Path, Path], tmp_path: Path, fresh_logger: Any
) -> None:
    old, new = ClientCert("client.example"), ClientCert("client.example")
    old.install(*client_files)
    trusted = tmp_path / "rsyslog-client-ca.pem"  # what rsyslog verifies clients against
    old.write_ca(trusted)
    rsyslog = started(
        rsyslog_factory(),
        "tls",
        "tls",
        cert_file=tls_certs.server_cert_file,
        key_file=tls_certs.server_key_file,
        ca_file=trusted,
        require_client_cert=True,
    )
    sink = tls_sink(f"tls://localhost:{rsyslog.port('tls')}", tls_certs, client_files)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("with the old certificate")
    rsyslog.wait_for(1)

    new.install(*client_files)
    new.write_ca(trusted)
    rsyslog.restart()  # it reads its CA file again: now only the new certificate is accepted
    assert _refused(rsyslog.address("tls"), _client_context(tls_certs, old))
    assert not _refused(rsyslog.address("tls"), _client_context(tls_certs, new))

    for i in range(3):
        fresh_logger.info(f"with the new certificate {i}")
    got = rsyslog.wait_for(4)
    assert [m["msg"] for m in got] == ["with the old certificate", *(f"with the new certificate {i}" for i in range(3))]
    until(lambda: sink.stats.sent == 4, "4 counted as sent")
    transport = sink.transport
    assert isinstance(transport, TLSTransport)
    assert transport.credentials.builds == 2


def _client_context(tls_certs: Any, cert: ClientCert) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(tls_certs.ca_file))
    cert.issued.configure_cert(context)
    return context


def _refused(address: tuple[str, int], context: ssl.SSLContext) -> bool:
    """Did the server refuse this client certificate? (TLS 1.3: the refusal comes on the
    first read after the handshake; a server that keeps the connection open accepted it.)"""
    try:
        with (
            socket.create_connection(address, timeout=DEADLINE) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as sock,
        ):
            sock.settimeout(1.0)
            return sock.recv(1) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_nothing_is_read_again_when_nothing_changed(
    mtls_server: Callable[[ClientCert], MutualTLSServer], tls_certs: Any, client_files: tuple[Path, Path]
) -> None:
    cert = ClientCert("client.example")
    cert.install(*client_files)
    server = mtls_server(cert)
    credentials = TLSCredentials(
        ca_file=str(tls_certs.ca_file), cert_file=str(client_files[0]), key_file=str(client_files[1])
    )
    transport = TLSTransport("localhost", server.port, context=credentials)
    first = transport.context
    for _ in range(5):
        transport.open()
        transport.close()
    assert credentials.builds == 1
    assert transport.context is first

    # The same bytes, but a new modification time: read again (rotation tools rewrite).
    stat = os.stat(client_files[0])
    os.utime(client_files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    transport.open()
    transport.close()
    assert credentials.builds == 2
    assert transport.context is not first
    transport.open()
    transport.close()
    assert credentials.builds == 2


def test_a_half_written_file_keeps_the_old_context_and_is_reported_once(
    mtls_server: Callable[[ClientCert], MutualTLSServer],
    tls_certs: Any,
    client_files: tuple[Path, Path],
    tmp_path: Path,
    fresh_logger: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = ClientCert("old-client.example"), ClientCert("new-client.example")
    old.install(*client_files)
    server = mtls_server(old)
    sink = tls_sink(f"tls://localhost:{server.port}", tls_certs, client_files)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("first")
    until(lambda: len(server.messages()) == 1, "the first message")

    # A tool that writes in place: the new certificate, half of it, for now.
    text = new.issued.cert_chain_pems[0].bytes()
    client_files[0].write_bytes(text[: len(text) // 2])
    for i in range(3):  # three new connections, all with the old certificate (still accepted)
        server.drop()
        fresh_logger.info(f"during {i}")
        want = 2 + i
        until(lambda: len(server.messages()) == want, f"message during {i}")  # noqa: B023
    err = capsys.readouterr().err
    assert err.count("loguru-syslog: cannot read the changed TLS files again") == 1, err
    assert "keeping the previous certificate" in err
    assert {(cn, serial) for cn, serial, _ in server.messages()} == {(old.name, old.serial)}

    # The rotation completes (certificate and key); the server moves to the new CA.
    new.install(*client_files)
    ca_file = tmp_path / "new-ca.pem"
    new.write_ca(ca_file)
    server.require(ca_file)
    fresh_logger.info("after")
    until(lambda: len(server.messages()) == 5, "the message after the rotation")
    assert server.messages()[-1][:2] == (new.name, new.serial)
    assert "cannot read" not in capsys.readouterr().err


def test_a_user_context_is_used_as_it_is(tls_certs: Any) -> None:
    context = ssl.create_default_context(cafile=str(tls_certs.ca_file))
    sink = SyslogSink("tls://localhost:1", tls_context=context)
    transport = sink.transport
    assert isinstance(transport, TLSTransport)
    assert transport.context is context and transport.credentials.context() is context
    assert not transport.credentials.rotates and transport.credentials.builds == 0
    with pytest.raises(SyslogConfigError, match="tls_cert_file"):
        SyslogSink("tls://localhost:1", tls_context=context, tls_cert_file=str(tls_certs.client_cert_file))


def test_bad_files_at_construction_are_still_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(SyslogConfigError, match="tls_cert_file"):
        SyslogSink("tls://localhost:1", tls_cert_file=str(bad))
    with pytest.raises(SyslogConfigError, match="tls_ca_file"):
        TLSCredentials(ca_file=str(tmp_path / "missing.pem"))


# -- pinning -------------------------------------------------------------------------------


def log_until_errors(logger: Any, sink: SyslogSink, errors: int) -> None:
    """Log until the sink has counted `errors` failed attempts (each after the backoff)."""
    deadline = time.monotonic() + DEADLINE
    i = 0
    while sink.stats.errors < errors:
        assert time.monotonic() < deadline, f"not {errors} errors within {DEADLINE}s: {sink.stats}"
        logger.info(f"must not arrive {i}")
        i += 1
        time.sleep(0.02)


@pytest.fixture
def rsyslog_tls(rsyslog_factory: Any, tls_certs: Any) -> Any:
    return started(rsyslog_factory(), "tls", "tls", **tls_input(tls_certs))


def test_the_right_pin_delivers(rsyslog_tls: Any, tls_certs: Any, fresh_logger: Any) -> None:
    pin = der_sha256(tls_certs.server_cert_file)
    url = f"tls://localhost:{rsyslog_tls.port('tls')}"
    sink = SyslogSink(url, tls_ca_file=str(tls_certs.ca_file), tls_pin_sha256=pin)
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("pinned")
    assert [m["msg"] for m in rsyslog_tls.wait_for(1)] == ["pinned"]
    transport = sink.transport
    assert isinstance(transport, TLSTransport)
    assert transport.peer_sha256 == pin


def test_a_valid_chain_with_the_wrong_pin_is_refused_and_reported_once(
    rsyslog_tls: Any, tls_certs: Any, fresh_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    actual = der_sha256(tls_certs.server_cert_file)
    wrong = der_sha256(tls_certs.client_cert_file)  # a real certificate, not the server's
    url = f"tls://localhost:{rsyslog_tls.port('tls')}"
    sink = SyslogSink(url, tls_ca_file=str(tls_certs.ca_file), tls_pin_sha256=wrong, backoff_min=0.01, backoff_max=0.02)
    fresh_logger.add(sink, format="{message}", catch=False)
    log_until_errors(fresh_logger, sink, 4)
    stats = sink.stats
    assert stats.sent == 0 and stats.buffered > 0
    err = capsys.readouterr().err
    assert err.count("loguru-syslog: ") == 1, err
    line = err.strip()
    assert "cannot send to" in line and "PinMismatchError" in line
    assert actual in line and wrong in line
    transport = sink.transport
    assert isinstance(transport, TLSTransport)
    assert transport.peer_sha256 == actual  # what `check` shows, to copy into the pin
    assert rsyslog_tls.messages() == []
    fresh_logger.remove()

    # The operator fixes the pin: a new sink delivers.
    fixed = SyslogSink(url, tls_ca_file=str(tls_certs.ca_file), tls_pin_sha256=f"{wrong},{actual}")
    fresh_logger.add(fixed, format="{message}", catch=False)
    fresh_logger.info("with the right pin")
    assert [m["msg"] for m in rsyslog_tls.wait_for(1)] == ["with the right pin"]


def test_pins_with_colons_and_upper_case(rsyslog_tls: Any, tls_certs: Any, fresh_logger: Any) -> None:
    pin = with_colons(der_sha256(tls_certs.server_cert_file))
    url = f"tls://localhost:{rsyslog_tls.port('tls')}?tls_pin_sha256={pin}"
    sink = SyslogSink(url, tls_ca_file=str(tls_certs.ca_file))
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("colons")
    assert [m["msg"] for m in rsyslog_tls.wait_for(1)] == ["colons"]


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed server certificate (a CA's own) and its key: no chain to verify."""
    ca = trustme.CA()
    cert, key = tmp_path / "self-signed.pem", tmp_path / "self-signed.key"
    ca.cert_pem.write_to_path(str(cert))
    ca.private_key_pem.write_to_path(str(key))
    return cert, key


def test_no_verification_but_a_pin_delivers_without_the_warning(
    rsyslog_factory: Any, self_signed: tuple[Path, Path], fresh_logger: Any
) -> None:
    cert, key = self_signed
    rsyslog = started(rsyslog_factory(), "tls", "tls", cert_file=cert, key_file=key)
    url = f"tls://127.0.0.1:{rsyslog.port('tls')}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sink = SyslogSink(url, tls_verify=False, tls_pin_sha256=der_sha256(cert))
    assert not [w for w in caught if issubclass(w.category, SyslogConfigWarning)]
    fresh_logger.add(sink, format="{message}", catch=False)
    fresh_logger.info("self-signed, pinned")
    assert [m["msg"] for m in rsyslog.wait_for(1)] == ["self-signed, pinned"]
    # Without a pin, no verification still warns.
    with pytest.warns(SyslogConfigWarning, match="tls_verify is off"):
        SyslogSink(url, tls_verify=False)


def test_no_verification_and_the_wrong_pin_is_refused(
    rsyslog_factory: Any, self_signed: tuple[Path, Path], tls_certs: Any, fresh_logger: Any
) -> None:
    cert, key = self_signed
    rsyslog = started(rsyslog_factory(), "tls", "tls", cert_file=cert, key_file=key)
    sink = SyslogSink(
        f"tls://127.0.0.1:{rsyslog.port('tls')}",
        tls_verify=False,
        tls_pin_sha256=der_sha256(tls_certs.server_cert_file),
        backoff_min=0.01,
        backoff_max=0.02,
    )
    fresh_logger.add(sink, format="{message}", catch=False)
    log_until_errors(fresh_logger, sink, 2)
    assert sink.stats.sent == 0
    assert rsyslog.messages() == []


def test_pins_on_a_transport_built_directly(rsyslog_tls: Any, tls_certs: Any) -> None:
    actual = der_sha256(tls_certs.server_cert_file)
    context = ssl.create_default_context(cafile=str(tls_certs.ca_file))
    port = rsyslog_tls.port("tls")
    good = TLSTransport("localhost", port, context=context, pins=[with_colons(actual)])
    good.open()
    assert good.peer_sha256 == actual
    good.close()

    bad = TLSTransport("localhost", port, context=context, pins="00" * 32)
    assert bad.peer_sha256 is None
    with pytest.raises(PinMismatchError) as caught:
        bad.open()
    exc = caught.value
    assert isinstance(exc, OSError) and exc.errno is not None and bad.is_failure(exc)
    assert exc.actual == actual and exc.pins == ("00" * 32,)
    assert bad.peer_sha256 == actual
    bad.close()
    with pytest.raises(SyslogConfigError, match="pins"):
        TLSTransport("localhost", port, pins="not hex")


@pytest.fixture
def rsyslog_relp_tls(rsyslog_factory: Any, tls_certs: Any) -> Any:
    return started(rsyslog_factory(), "relp", "relp-tls", **tls_input(tls_certs))


def test_relp_tls_with_a_pin(rsyslog_relp_tls: Any, tls_certs: Any, fresh_logger: Any) -> None:
    actual = der_sha256(tls_certs.server_cert_file)
    url = f"relp+tls://localhost:{rsyslog_relp_tls.port('relp')}"
    wrong = SyslogSink(
        url, tls_ca_file=str(tls_certs.ca_file), tls_pin_sha256="ab" * 32, backoff_min=0.01, backoff_max=0.02
    )
    fresh_logger.add(wrong, format="{message}", catch=False)
    log_until_errors(fresh_logger, wrong, 2)
    assert wrong.stats.sent == 0
    transport = wrong.transport
    assert isinstance(transport, RELPTransport) and transport.peer_sha256 == actual
    fresh_logger.remove()
    assert rsyslog_relp_tls.messages() == []

    right = SyslogSink(url, tls_ca_file=str(tls_certs.ca_file), tls_pin_sha256=actual)
    fresh_logger.add(right, format="{message}", catch=False)
    fresh_logger.info("relp, pinned")
    assert [m["msg"] for m in rsyslog_relp_tls.wait_for(1)] == ["relp, pinned"]


def test_relp_transport_built_directly_with_pins(rsyslog_relp_tls: Any, tls_certs: Any) -> None:
    actual = der_sha256(tls_certs.server_cert_file)
    context = ssl.create_default_context(cafile=str(tls_certs.ca_file))
    port = rsyslog_relp_tls.port("relp")
    good = RELPTransport("localhost", port, context=context, pins=actual)
    good.open()
    assert good.peer_sha256 == actual
    good.close()
    bad = RELPTransport("localhost", port, context=context, pins=["cd" * 32])
    with pytest.raises(PinMismatchError, match=actual):
        bad.open()
    bad.close()
    with pytest.raises(SyslogConfigError, match="pins"):
        RELPTransport("localhost", port, pins=actual)  # pins without TLS


def test_a_rebuild_never_warns_again(tls_certs: Any, client_files: tuple[Path, Path]) -> None:
    ClientCert("client.example").install(*client_files)
    with pytest.warns(SyslogConfigWarning, match="tls_verify is off"):
        credentials = TLSCredentials(cert_file=str(client_files[0]), key_file=str(client_files[1]), verify=False)
    ClientCert("client.example").install(*client_files)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rebuilt = credentials.context()
    assert credentials.builds == 2 and rebuilt.verify_mode == ssl.CERT_NONE


def test_pins_given_to_a_transport_override_the_credentials_without_changing_them(tls_certs: Any) -> None:
    credentials = TLSCredentials(ca_file=str(tls_certs.ca_file), pins="aa" * 32)
    assert TLSTransport("localhost", context=credentials).pins == ("aa" * 32,)
    transport = TLSTransport("localhost", context=credentials, pins=["BB:" * 31 + "BB"])
    assert transport.pins == ("bb" * 32,) and credentials.pins == ("aa" * 32,)
    relp = RELPTransport("localhost", context=credentials, pins="cc" * 32)
    assert relp.pins == ("cc" * 32,) and RELPTransport("localhost").pins is None
