"""Real syslog daemons (rsyslog, syslog-ng) as test peers: a pytest plugin.

Load it with ``pytest_plugins = ["daemons"]`` (``tests/`` on ``sys.path``). It provides the
fixtures ``rsyslog_factory``, ``syslog_ng_factory``, ``daemon_factory`` (parametrised over
``"rsyslog"`` and ``"syslog-ng"``) and ``tls_certs``, and the classes :class:`Rsyslog` and
:class:`SyslogNg`, which share one interface::

    d = Rsyslog(workdir)                      # or SyslogNg(workdir), or a factory fixture
    d.add_input("net", "udp")                 # before start(); ports are picked at start()
    d.add_input("sec", "tls", cert_file=..., key_file=..., ca_file=..., require_client_cert=True)
    d.start()
    d.port("net"), d.address("net"), d.path("sock"), d.url("net")
    d.wait_for(2)        # -> list of decoded messages (dicts), waits until there are >= 2
    d.kill(signal.SIGKILL); d.restart()       # restart() reuses the same ports and paths
    d.stop()

Input kinds (``d.kinds`` tells which one a daemon has):

=============  =======================================  ===================================
kind           rsyslog 8.2302                           syslog-ng 3.38
=============  =======================================  ===================================
udp            imudp                                    network(transport(udp))
tcp            imtcp, auto-detects octet-count / LF     NotImplementedError (no auto-detect)
tcp-octet      alias of tcp                             syslog(transport(tcp)), octets only
tcp-lf         alias of tcp                             network(transport(tcp)), LF only
tls            imtcp + ossl driver, octet-counted       syslog(transport(tls)), octets only
relp           imrelp (RELP, acked)                     NotImplementedError (no RELP)
relp-tls       imrelp with tls="on"                     NotImplementedError (no RELP)
unix-dgram     imuxsock (stock /dev/log parsing)        unix-dgram() (stock /dev/log parsing)
unix-stream    NotImplementedError (imuxsock: dgram)    unix-stream() (stock parsing)
=============  =======================================  ===================================

RELP inputs (rsyslog only, the ``imrelp`` module of the package ``rsyslog-relp``) take
``maxDataSize`` from the daemon's ``max_message_size`` and ``oversize_mode=`` (``"truncate"``,
imrelp's default, ``"abort"`` or ``"accept"``). Their ruleset runs in the input's own thread
(``queue.type="Direct"``) and the shared file action flushes at the end of each transaction
(``flushOnTXEnd="on" asyncWriting="off"``): when imrelp acks a message, its JSON line is in
the file, so a SIGKILL loses nothing that was acked. ``relp-tls`` takes the TLS options of
``tls`` (``cert_file``/``key_file``, optional ``ca_file``, ``require_client_cert``) and
``permitted_peers``: with ``require_client_cert`` the client certificate must chain to
``ca_file`` and carry one of these names (imrelp ``tls.authMode="name"``; default the name of
the ``tls_certs`` client certificate, :data:`CLIENT_CERT_NAME`). Measured with librelp 1.11:
``certvalid`` is unusable (openssl refuses every chain, gnutls accepts a foreign CA's
certificate) and a ``permittedPeer`` of ``"*"`` matches nothing, hence names. TLS uses
librelp's openssl backend (``tls.tlslib="openssl"``), TLS 1.3; that backend keeps one
certificate store for all listeners of a process (the first listener's CA wins), so the
relp-tls inputs of one rsyslog must use the same cert, key and CA files (start() refuses
others).

Network inputs listen on ``host`` (default ``127.0.0.1``; ``"::1"`` for IPv6 on udp and the
TCP kinds) on a free port, or on ``port=`` when given. ``protocol=`` picks how network
messages are parsed: ``"auto"`` (default: RFC 5424 when the message starts ``<PRI>1 ``,
else RFC 3164, like rsyslog does by itself), ``"rfc5424"`` or ``"rfc3164"``. Unix socket
inputs always use the daemon's stock local-socket parser (``<PRI>Mmm dd hh:mm:ss
TAG[PID]: MSG``), which mangles RFC 5424 exactly like a stock ``/dev/log`` does.

Every message is written by the daemon as one JSON line to ``<workdir>/messages.jsonl``
and decoded into a dict with the same keys for both daemons:

``input`` (the name given to add_input), ``facility`` (int), ``severity`` (int),
``hostname``, ``app_name``, ``procid``, ``msgid`` (str; NILVALUE and absent are ``""``),
``sd`` (``{sd_id: {param: value}}``, escapes decoded), ``msg`` (str), ``raw`` (the
received message before parsing, without framing; ``""`` when the daemon made the message
itself).

Normalisations, so one assertion fits both daemons (``raw`` keeps everything as received):

- rsyslog: NILVALUE ``-`` becomes ``""``; the one space after an RFC 3164 ``TAG:`` is
  dropped from msg (syslog-ng drops it too); a UTF-8 BOM that starts an RFC 5424 MSG is
  dropped (syslog-ng drops it itself).
- syslog-ng: the ``[meta sequenceId="N"]`` that syslog-ng adds to messages from local
  sources (unix sockets, its own errors) is removed unless the sender sent one.

Differences that stay (daemon behaviour the tests may meet):

- Invalid UTF-8: rsyslog writes the bytes as they came (decoded here with
  ``surrogateescape``: byte 0xff becomes ``"\\udcff"``); syslog-ng writes the text ``\\xff``.
- NUL in MSG: rsyslog ``#000``, syslog-ng the text ``\\x00``. Other control characters
  (LF, TAB) are kept by both (rsyslog's escapeControlCharactersOnReceive is turned off).
- An unescaped ``]`` inside an SD value: rsyslog keeps it; syslog-ng replaces the whole
  message by one of its own (app_name ``syslog-ng``, msg ``Error processing log message:``).
- NIL HOSTNAME in RFC 5424 over the network: rsyslog ``""``, syslog-ng ``"localhost"``.
- Unix socket inputs: the hostname is the local host name (the message carries none).

Both daemons send their own diagnostics to ``<workdir>/internal.log``
(:meth:`SyslogDaemon.internal_log`); their stdout and stderr go to ``<workdir>/stderr.log``.
Start failures and wait_for timeouts quote both.

systemd-journald (:class:`Journald`, fixtures ``journald`` (started) and ``journald_factory``
(un-started)): a private journald in its own mount namespace (``unshare -m``, as root), its
native socket at ``j.socket_path`` (``j.url`` is ``journald://<that path>``), entries read
back with ``j.wait_for(n, identifier="app")`` through ``journalctl --directory -o json``.

The daemon binaries: rsyslogd from PATH or /usr/sbin; syslog-ng from the private prefix
``/opt/loguru-syslog/syslog-ng`` (``LOGURU_SYSLOG_NG_PREFIX`` overrides) that
``.ci/install-daemons.sh`` fills. A missing binary is an error, never a skip.
"""

from __future__ import annotations

import abc
import contextlib
import ctypes
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator

import pytest

Message = Dict[str, Any]

SYSLOG_NG_PREFIX_ENV = "LOGURU_SYSLOG_NG_PREFIX"
DEFAULT_SYSLOG_NG_PREFIX = "/opt/loguru-syslog/syslog-ng"
INSTALL_HINT = "install it with: sudo bash .ci/install-daemons.sh"
#: The subject name of the ``tls_certs`` client certificate (RELP inputs permit it by default).
CLIENT_CERT_NAME = "client.example"

RELP_KINDS = frozenset({"relp", "relp-tls"})
TLS_KINDS = frozenset({"tls", "relp-tls"})
NETWORK_KINDS = frozenset({"udp", "tcp", "tcp-octet", "tcp-lf", "tls"}) | RELP_KINDS
UNIX_KINDS = frozenset({"unix-dgram", "unix-stream"})
PROTOCOLS = ("auto", "rfc5424", "rfc3164")
#: imrelp's oversizeMode values (what it does with a frame over maxDataSize).
OVERSIZE_MODES = ("truncate", "abort", "accept")
# A sun_path holds 108 bytes including the NUL.
MAX_UNIX_PATH = 107
# How long a polling loop sleeps between looks.
POLL_INTERVAL = 0.01


class DaemonError(RuntimeError):
    """A daemon could not be started or configured."""


class DaemonTimeout(AssertionError):
    """wait_for() did not see enough messages in time (an assertion failure in a test)."""


@dataclasses.dataclass(frozen=True)
class TlsCerts:
    """PEM files written by the ``tls_certs`` fixture."""

    ca_file: Path
    server_cert_file: Path  # for "localhost", "127.0.0.1" and "::1"
    server_key_file: Path
    client_cert_file: Path  # for "client.example", signed by the same CA
    client_key_file: Path


@dataclasses.dataclass
class TlsOptions:
    cert_file: Path
    key_file: Path
    ca_file: Path | None
    require_client_cert: bool
    permitted_peers: tuple[str, ...] = (CLIENT_CERT_NAME,)  # relp-tls with require_client_cert


@dataclasses.dataclass
class Input:
    """One listener of a daemon. ``port`` 0 means "pick a free one at start"."""

    name: str
    kind: str
    host: str = "127.0.0.1"
    port: int = 0
    fixed_port: bool = False
    path: Path | None = None
    protocol: str = "auto"
    tls: TlsOptions | None = None
    oversize_mode: str | None = None  # RELP kinds only; None: imrelp's default (truncate)

    @property
    def is_network(self) -> bool:
        return self.kind in NETWORK_KINDS

    @property
    def is_udp(self) -> bool:
        return self.kind == "udp"

    @property
    def is_relp(self) -> bool:
        return self.kind in RELP_KINDS


# --------------------------------------------------------------------------------------
# Structured data


def parse_sd(text: str) -> dict[str, dict[str, str]]:
    """Decode RFC 5424 STRUCTURED-DATA text (``-``, ``""`` or ``[id p="v"]...``).

    PARAM-VALUE escapes ``\\"``, ``\\\\`` and ``\\]`` are decoded; any other backslash is
    kept as it is (RFC 5424 section 6.3.3).
    """
    result: dict[str, dict[str, str]] = {}
    if text in ("", "-"):
        return result
    pos = 0
    while pos < len(text):
        if not text.startswith("[", pos):
            raise ValueError(f"SD element must start with '[' at {pos}: {text!r}")
        end_id = _find_any(text, " ]", pos + 1)
        params = result.setdefault(text[pos + 1 : end_id], {})
        pos = end_id
        while text.startswith(" ", pos):
            eq = text.index("=", pos)
            if not text.startswith('"', eq + 1):
                raise ValueError(f"PARAM-VALUE must be quoted at {eq + 1}: {text!r}")
            name = text[pos + 1 : eq]
            params[name], pos = _sd_value(text, eq + 2)
        if not text.startswith("]", pos):
            raise ValueError(f"SD element must end with ']' at {pos}: {text!r}")
        pos += 1
    return result


def _find_any(text: str, chars: str, start: int) -> int:
    for i in range(start, len(text)):
        if text[i] in chars:
            return i
    raise ValueError(f"unterminated SD element: {text!r}")


def _sd_value(text: str, start: int) -> tuple[str, int]:
    """Decode a PARAM-VALUE starting after its opening quote; return it and the index
    after the closing quote."""
    out: list[str] = []
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\]':
            out.append(text[i + 1])
            i += 2
        elif char == '"':
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    raise ValueError(f"unterminated PARAM-VALUE: {text!r}")


# --------------------------------------------------------------------------------------
# Sockets of a process, from /proc (Linux)


@dataclasses.dataclass(frozen=True)
class _Listener:
    port: int
    path: str
    inode: int


def _socket_inodes(pid: int) -> set[int]:
    """Inodes of all sockets the process has open."""
    inodes: set[int] = set()
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _inet_listeners(udp: bool) -> list[_Listener]:
    """Bound UDP sockets or listening TCP sockets of the machine, IPv4 and IPv6."""
    proto = "udp" if udp else "tcp"
    # UDP: every bound socket (state 07, "closed", is the unconnected server socket).
    # TCP: LISTEN (0A) only; TIME_WAIT rows of old connections carry inode 0 anyway.
    wanted_state = "07" if udp else "0A"
    listeners: list[_Listener] = []
    for table in (f"/proc/net/{proto}", f"/proc/net/{proto}6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == wanted_state and fields[9] != "0":
                    port = int(fields[1].rsplit(":", 1)[1], 16)
                    listeners.append(_Listener(port, "", int(fields[9])))
    return listeners


def _unix_listeners() -> list[_Listener]:
    listeners: list[_Listener] = []
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8:
            listeners.append(_Listener(0, fields[7], int(fields[6])))
    return listeners


def _ephemeral_low() -> int:
    """The first port the kernel hands to client sockets (Linux default 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free_port(inp: Input) -> int:
    """A port that is free now for the input's protocol and address family.

    Taken below the ephemeral range: a port from bind(0) is one the kernel may give
    to any client socket (ours included) before the daemon binds it, and syslog-ng
    then exits with "Address already in use". Below the range only explicit binds
    compete, and start() picks again if one wins.
    """
    family = socket.AF_INET6 if ":" in inp.host else socket.AF_INET
    kind = socket.SOCK_DGRAM if inp.is_udp else socket.SOCK_STREAM
    high = min(_ephemeral_low(), 65536) - 1
    for _ in range(100):
        port = random.randint(max(1024, high - 12000), high)
        with socket.socket(family, kind) as sock:
            try:
                sock.bind((inp.host, port))
            except OSError:
                continue
            return port
    with socket.socket(family, kind) as sock:  # a crowded range: let the kernel choose
        sock.bind((inp.host, 0))
        free: int = sock.getsockname()[1]
        return free


# Loaded here, in the parent: loading a library between fork and exec can deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _set_pdeathsig() -> None:
    """In the child before exec: die with the test process, even if pytest is SIGKILLed
    (a daemon started from a thread dies when that thread ends: start them from the
    main thread)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _quote(value: object) -> str:
    """A config string literal. Both config languages use C-like escapes; refusing the
    two special characters is simpler than escaping them and never hits our own paths."""
    text = str(value)
    if '"' in text or "\\" in text or "\n" in text:
        raise DaemonError(f"unsupported character in config value {text!r}")
    return f'"{text}"'


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------------------
# The common daemon


class SyslogDaemon(abc.ABC):
    """One daemon process with its own config, workdir, ports and sockets.

    Nothing is shared with another instance, so many run in parallel. Sockets live in a
    short private directory under the temp dir (a sun_path is at most 107 bytes, pytest's
    tmp_path often longer); ``close()`` removes it.
    """

    #: "rsyslog" or "syslog-ng"
    name: ClassVar[str]
    #: the input kinds add_input() accepts
    kinds: ClassVar[frozenset[str]]

    def __init__(self, workdir: Path | str, *, max_message_size: int = 65536) -> None:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.max_message_size = max_message_size
        self.inputs: dict[str, Input] = {}
        self.sockdir = Path(tempfile.mkdtemp(prefix="lsd-"))
        self.messages_file = self.workdir / "messages.jsonl"
        self.internal_file = self.workdir / "internal.log"
        self.stderr_file = self.workdir / "stderr.log"
        self.config_file = self.workdir / f"{self.name}.conf"
        self.pid_file = self.workdir / f"{self.name}.pid"
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False
        # messages() reads the file incrementally: bytes already parsed and their result.
        self._read_offset = 0
        self._parsed: list[Message] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pid={self.pid} workdir={self.workdir}>"

    def __enter__(self) -> SyslogDaemon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- configuration ------------------------------------------------------------------

    def add_input(
        self,
        name: str,
        kind: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        protocol: str = "auto",
        cert_file: Path | str | None = None,
        key_file: Path | str | None = None,
        ca_file: Path | str | None = None,
        require_client_cert: bool = False,
        oversize_mode: str | None = None,
        permitted_peers: tuple[str, ...] | list[str] | None = None,
    ) -> Input:
        """Declare a listener; it takes effect at the next start()/restart().

        ``name``: letters, digits and ``_`` (it names config objects). ``kind``: see the
        module docstring. ``host``/``port``: network kinds only; port 0 picks a free one.
        ``protocol``: ``auto``/``rfc5424``/``rfc3164``, network kinds only. TLS:
        ``cert_file``/``key_file`` (server, required), ``ca_file`` (to verify clients),
        ``require_client_cert`` (reject clients without a certificate signed by ca_file).
        ``oversize_mode``: RELP kinds only, imrelp's ``oversizeMode`` (see OVERSIZE_MODES).
        ``permitted_peers``: relp-tls with ``require_client_cert`` only, the client
        certificate names imrelp accepts (default ``(CLIENT_CERT_NAME,)``).
        """
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ValueError(f"input name must be [A-Za-z0-9_]+: {name!r}")
        if name in self.inputs:
            raise ValueError(f"duplicate input name {name!r}")
        self._check_kind(kind)
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}: {protocol!r}")
        if kind in UNIX_KINDS and protocol != "auto":
            raise ValueError("unix socket inputs always use the stock local-socket parser")
        if oversize_mode is not None:
            if kind not in RELP_KINDS:
                raise ValueError(f"oversize_mode is for RELP inputs only, not {kind!r}")
            if oversize_mode not in OVERSIZE_MODES:
                raise ValueError(f"oversize_mode must be one of {OVERSIZE_MODES}: {oversize_mode!r}")
        inp = Input(name, kind, host=host, port=port, fixed_port=port != 0, protocol=protocol)
        inp.oversize_mode = oversize_mode
        if kind in UNIX_KINDS:
            inp.path = self.sockdir / f"{name}.sock"
            if len(str(inp.path)) > MAX_UNIX_PATH:
                raise DaemonError(f"socket path too long for sun_path: {inp.path}")
        if kind in TLS_KINDS:
            inp.tls = self._tls_options(cert_file, key_file, ca_file, require_client_cert)
        if permitted_peers is not None:
            if kind != "relp-tls" or not require_client_cert:
                raise ValueError("permitted_peers is for relp-tls inputs with require_client_cert")
            if not permitted_peers:
                raise ValueError("permitted_peers must name at least one peer")
            assert inp.tls is not None
            inp.tls.permitted_peers = tuple(permitted_peers)
        self.inputs[name] = inp
        return inp

    def _check_kind(self, kind: str) -> None:
        if kind in self.kinds:
            return
        if kind in NETWORK_KINDS | UNIX_KINDS:
            raise NotImplementedError(f"{self.name} has no {kind!r} input: {self._why_not(kind)}")
        raise ValueError(f"unknown input kind {kind!r}; {self.name} has {sorted(self.kinds)}")

    def _why_not(self, kind: str) -> str:
        return "not supported"

    @staticmethod
    def _tls_options(
        cert_file: Path | str | None,
        key_file: Path | str | None,
        ca_file: Path | str | None,
        require_client_cert: bool,
    ) -> TlsOptions:
        if cert_file is None or key_file is None:
            raise ValueError("a TLS input needs cert_file and key_file")
        if require_client_cert and ca_file is None:
            raise ValueError("require_client_cert needs ca_file to verify clients against")
        return TlsOptions(
            Path(cert_file).resolve(),
            Path(key_file).resolve(),
            Path(ca_file).resolve() if ca_file is not None else None,
            require_client_cert,
        )

    # ---- where to send ------------------------------------------------------------------

    def _input(self, name: str) -> Input:
        try:
            return self.inputs[name]
        except KeyError:
            raise KeyError(f"{self.name} has no input {name!r}: {sorted(self.inputs)}") from None

    def port(self, name: str) -> int:
        inp = self._input(name)
        if not inp.is_network:
            raise ValueError(f"input {name!r} is a unix socket: use path()")
        if inp.port == 0:
            raise DaemonError(f"input {name!r} has no port before the first start()")
        return inp.port

    def address(self, name: str) -> tuple[str, int]:
        """``(host, port)`` to connect/send to."""
        return self._input(name).host, self.port(name)

    def path(self, name: str) -> str:
        inp = self._input(name)
        if inp.path is None:
            raise ValueError(f"input {name!r} is a network input: use port()")
        return str(inp.path)

    def url(self, name: str) -> str:
        """The address in loguru-syslog's URL syntax (``udp://127.0.0.1:1234``, ...)."""
        inp = self._input(name)
        if inp.kind == "unix-dgram":
            return f"unixgram://{self.path(name)}"
        if inp.kind == "unix-stream":
            return f"unixstream://{self.path(name)}"
        scheme = {"udp": "udp", "tls": "tls", "relp": "relp", "relp-tls": "relp+tls"}.get(inp.kind, "tcp")
        host = f"[{inp.host}]" if ":" in inp.host else inp.host
        return f"{scheme}://{host}:{self.port(name)}"

    # ---- lifecycle ----------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start the daemon and return once every input is listening in this process.

        The first start picks free ports; should another process take one in between
        (rsyslog would just run without that listener), it picks again, at most 3 times.
        Later starts (restart()) reuse the same ports and paths, or fail.
        """
        if self.running:
            raise DaemonError(f"{self.name} is already running (pid {self.pid})")
        if not self.inputs:
            raise DaemonError(f"{self.name}: add_input() before start()")
        binary = self.binary()  # raises when missing, before any port is picked
        attempts = 1 if self._started_once else 3
        for attempt in range(1, attempts + 1):
            self._pick_ports()
            self._launch(binary)
            try:
                stolen = self._wait_listening(timeout)
            except DaemonError as exc:
                self._terminate(timeout)  # a daemon that never got ready must not linger
                if attempt == attempts or "already in use" not in str(exc):
                    raise
                # syslog-ng exits when a port was taken between our pick and its bind.
                stolen = [inp for inp in self.inputs.values() if inp.is_network and not inp.fixed_port]
                for inp in stolen:
                    inp.port = 0
                continue
            if not stolen:
                self._started_once = True
                return
            self._terminate(timeout)
            if attempt == attempts or any(inp.fixed_port for inp in stolen):
                break
            for inp in stolen:
                inp.port = 0
        raise DaemonError(
            f"{self.name}: ports taken by another process: "
            + ", ".join(f"{inp.name}={inp.port}" for inp in stolen)
            + self._diagnostics()
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``. No-op when not running."""
        if self.running:
            self._terminate(timeout)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        """Send ``sig`` to the daemon's pid. For SIGKILL, SIGTERM, SIGINT and SIGQUIT wait
        until it has exited (so restart() can bind again); other signals (SIGSTOP to
        freeze it, SIGCONT, SIGHUP) return at once."""
        if self._proc is None or self._proc.poll() is not None:
            raise DaemonError(f"{self.name} is not running")
        os.kill(self._proc.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            # A frozen (SIGSTOPped) daemon must run again to act on SIGTERM.
            os.kill(self._proc.pid, signal.SIGCONT)
            self._proc.wait(timeout)

    def restart(self, timeout: float = 10.0) -> None:
        """stop() if running, then start() on the same ports and socket paths."""
        self.stop(timeout)
        self.start(timeout)

    def close(self) -> None:
        """stop() and remove the private socket directory. Idempotent."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.sockdir, ignore_errors=True)

    def _pick_ports(self) -> None:
        for inp in self.inputs.values():
            if inp.is_network and inp.port == 0:
                inp.port = _free_port(inp)

    def _launch(self, binary: Path) -> None:
        self.config_file.write_text(self.config())
        # Left-overs of a killed run: a pid file makes a daemon think it already runs,
        # and a stale socket file could pass for a listener.
        self.pid_file.unlink(missing_ok=True)
        for inp in self.inputs.values():
            if inp.path is not None:
                inp.path.unlink(missing_ok=True)
        with open(self.stderr_file, "ab") as err:
            err.write(f"--- {time.strftime('%H:%M:%S')} starting {self.name}\n".encode())
            err.flush()
            self._proc = subprocess.Popen(
                self.command(binary),
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                cwd=self.workdir,
                # Own session: a ^C in the terminal reaches pytest, which then stops us.
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )

    def _wait_listening(self, timeout: float) -> list[Input]:
        """Wait until each input's socket is open in the daemon's own process (that is,
        a TCP port in LISTEN and so accepting, a UDP port bound, a unix socket bound).
        Return the inputs whose port another process holds; raise on exit or timeout."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            pending, stolen = self._listening_state()
            if not pending or stolen:
                return stolen
            if self._proc.poll() is not None:
                raise DaemonError(
                    f"{self.name} exited with status {self._proc.returncode} during start" + self._diagnostics()
                )
            if time.monotonic() > deadline:
                names = ", ".join(self._describe(inp) for inp in pending)
                raise DaemonError(
                    f"{self.name} (pid {self._proc.pid}) not listening after {timeout}s on: "
                    f"{names}" + self._diagnostics()
                )
            time.sleep(POLL_INTERVAL)

    def _listening_state(self) -> tuple[list[Input], list[Input]]:
        """The inputs not yet listening in the daemon's process, and those of them whose
        port another process holds."""
        assert self._proc is not None
        # The machine's sockets first, the daemon's own after: a socket the daemon opens
        # in between is then never taken for another process's.
        tcp, udp, unix = _inet_listeners(udp=False), _inet_listeners(udp=True), _unix_listeners()
        own = _socket_inodes(self._proc.pid)
        pending, stolen = [], []
        for inp in self.inputs.values():
            if inp.path is not None:
                holders = {ls.inode for ls in unix if ls.path == str(inp.path)}
            else:
                holders = {ls.inode for ls in (udp if inp.is_udp else tcp) if ls.port == inp.port}
            if holders & own:
                continue
            pending.append(inp)
            if inp.is_network and holders:
                stolen.append(inp)
        return pending, stolen

    @staticmethod
    def _describe(inp: Input) -> str:
        where = inp.path if inp.path is not None else f"{inp.host}:{inp.port}"
        return f"{inp.name} ({inp.kind} {where})"

    def _terminate(self, timeout: float) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
            os.kill(proc.pid, signal.SIGCONT)  # in case a test froze it
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    # ---- what the daemon received ---------------------------------------------------------

    def messages(self) -> list[Message]:
        """All messages written so far (across restarts), decoded, oldest first."""
        with contextlib.suppress(FileNotFoundError), open(self.messages_file, "rb") as fh:
            fh.seek(self._read_offset)
            data = fh.read()
            # Only whole lines: the daemon may be in the middle of writing the last one.
            complete = data[: data.rfind(b"\n") + 1]
            self._read_offset += len(complete)
            for line in complete.splitlines():
                if line.strip():
                    self._parsed.append(self._decode_line(line))
        return list(self._parsed)

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Message]:
        """Wait until at least ``n`` messages were written; return all of them."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages()
            if len(got) >= n:
                return got
            if time.monotonic() > deadline:
                shown = "\n".join(json.dumps(m, ensure_ascii=False) for m in got[-10:])
                raise DaemonTimeout(
                    f"{self.name}: {len(got)} of {n} messages after {timeout}s; last ones:\n"
                    f"{shown}" + self._diagnostics()
                )
            time.sleep(POLL_INTERVAL)

    def internal_log(self) -> str:
        """The daemon's own log messages (errors, connections), for debugging."""
        return self._read_text(self.internal_file)

    def stderr(self) -> str:
        return self._read_text(self.stderr_file)

    @staticmethod
    def _read_text(path: Path) -> str:
        try:
            return path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def _diagnostics(self) -> str:
        return (
            f"\n--- {self.name} stderr ({self.stderr_file}):\n{_tail(self.stderr())}"
            f"\n--- {self.name} internal log ({self.internal_file}):\n{_tail(self.internal_log())}"
        )

    def _decode_line(self, line: bytes) -> Message:
        # rsyslog writes invalid UTF-8 as it came: keep those bytes as lone surrogates.
        record = json.loads(line.decode("utf-8", "surrogateescape"))
        return self.decode(record)

    # ---- per daemon ---------------------------------------------------------------------

    @abc.abstractmethod
    def binary(self) -> Path:
        """The daemon executable; raises DaemonError when it is not installed."""

    @abc.abstractmethod
    def command(self, binary: Path) -> list[str]: ...

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    @abc.abstractmethod
    def config(self) -> str:
        """The config file text for the current inputs."""

    @abc.abstractmethod
    def decode(self, record: dict[str, Any]) -> Message:
        """Turn one JSON record of the daemon into the common message dict."""


# --------------------------------------------------------------------------------------
# rsyslog


class Rsyslog(SyslogDaemon):
    """rsyslogd 8.x in the foreground (``-n``) with a generated config.

    TLS uses the ``ossl`` stream driver: it negotiates TLS 1.3 with or without client
    certificates and answers close_notify (gtls does not, and uses TLS 1.2 in anon mode).
    """

    name = "rsyslog"
    kinds = frozenset({"udp", "tcp", "tcp-octet", "tcp-lf", "tls", "unix-dgram"}) | RELP_KINDS

    def _why_not(self, kind: str) -> str:
        return "imuxsock only listens on datagram sockets; use unix-dgram or syslog-ng"

    def binary(self) -> Path:
        found = shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin:/sbin")
        if found is None:
            raise DaemonError(f"rsyslogd not found on PATH, /usr/sbin or /sbin; {INSTALL_HINT}")
        return Path(found)

    def command(self, binary: Path) -> list[str]:
        return [str(binary), "-n", "-f", str(self.config_file), "-i", str(self.pid_file)]

    def config(self) -> str:
        kinds = {inp.kind for inp in self.inputs.values()}
        parts = [
            # processInternalMessages: rsyslog's own errors go through the rules (into
            # internal.log) instead of a system log socket that does not exist here.
            # escapeControlCharactersOnReceive off: report LF/TAB as sent, like syslog-ng.
            f'global(workDirectory={_quote(self.workdir)} processInternalMessages="on"\n'
            f'       maxMessageSize="{self.max_message_size}"\n'
            '       parser.escapeControlCharactersOnReceive="off")',
            'main_queue(queue.size="200000")',
            'module(load="mmpstrucdata")',
        ]
        if "udp" in kinds:
            parts.append('module(load="imudp")')
        if kinds & {"tcp", "tcp-octet", "tcp-lf", "tls"}:
            parts.append('module(load="imtcp" maxSessions="1000")')
        if "unix-dgram" in kinds:
            # SysSock.Use off: do not take /dev/log of the machine.
            parts.append('module(load="imuxsock" SysSock.Use="off")')
        if kinds & RELP_KINDS:
            self._check_relp_tls()
            # openssl rather than librelp's default gnutls: like the ossl driver of "tls".
            parts.append('module(load="imrelp" tls.tlslib="openssl")')
        parts.append(self._template())
        # One file action for every input (two actions on one file could interleave lines).
        # flushOnTXEnd on, asyncWriting off (rsyslog's defaults, spelled out): the line is
        # written when the batch ends; with a Direct ruleset queue (RELP inputs) that is
        # before imrelp sends the ack.
        parts.append(
            'ruleset(name="collect") {\n'
            '  action(type="mmpstrucdata" sd_name.lowercase="off")\n'
            f'  action(type="omfile" file={_quote(self.messages_file)} template="loguru_json"\n'
            '         flushOnTXEnd="on" asyncWriting="off")\n'
            "}"
        )
        for inp in self.inputs.values():
            parts.append(self._ruleset(inp))
            parts.append(self._input_stanza(inp))
        # Inputs are bound to their own rulesets, so the default one sees only rsyslog's
        # internal messages.
        parts.append(f'*.* action(type="omfile" file={_quote(self.internal_file)})')
        return "\n".join(parts) + "\n"

    @staticmethod
    def _template() -> str:
        fields = [
            ("input", "$.input", ""),
            ("facility", "syslogfacility", ' datatype="number"'),
            ("severity", "syslogseverity", ' datatype="number"'),
            ("hostname", "hostname", ""),
            ("app_name", "app-name", ""),
            ("procid", "procid", ""),
            ("msgid", "msgid", ""),
            # mmpstrucdata's decoded SD, as JSON text inside a JSON string ("" if none).
            ("sd", "$!rfc5424-sd", ""),
            ("msg", "msg", ""),
            ("raw", "rawmsg", ""),
            ("protocol_version", "protocol-version", ""),
        ]
        props = "\n".join(
            f'  property(outname="{out}" name="{prop}" format="jsonf"{extra})' for out, prop, extra in fields
        )
        return f'template(name="loguru_json" type="list" option.jsonf="on") {{\n{props}\n}}'

    @staticmethod
    def _ruleset(inp: Input) -> str:
        parser = {
            "auto": "",
            "rfc5424": ' parser=["rsyslog.rfc5424"]',
            "rfc3164": ' parser=["rsyslog.rfc3164"]',
        }[inp.protocol]
        # RELP: no queue between imrelp and the file action (the ack comes after the write).
        queue = ' queue.type="Direct"' if inp.is_relp else ""
        return f'ruleset(name="in_{inp.name}"{parser}{queue}) {{\n  set $.input = "{inp.name}";\n  call collect\n}}'

    def _input_stanza(self, inp: Input) -> str:
        bind = f'ruleset="in_{inp.name}"'
        if inp.kind == "unix-dgram":
            return f'input(type="imuxsock" Socket={_quote(inp.path)} {bind} RateLimit.Interval="0")'
        addr = f'address={_quote(inp.host)} port="{inp.port}" {bind}'
        if inp.kind == "udp":
            # A big receive buffer so bursts are not dropped (forced beyond rmem_max as root).
            return f'input(type="imudp" {addr} rcvBufSize="32m")'
        if inp.kind == "tls":
            return f'input(type="imtcp" {addr}\n      {self._tls_params(inp)})'
        if inp.is_relp:
            params = [f'maxDataSize="{self.max_message_size}"']
            if inp.oversize_mode is not None:
                params.append(f'oversizeMode="{inp.oversize_mode}"')
            if inp.tls is not None:
                params.append(self._relp_tls_params(inp.tls))
            return f'input(type="imrelp" {addr}\n      ' + " ".join(params) + ")"
        return f'input(type="imtcp" {addr})'

    @staticmethod
    def _tls_params(inp: Input) -> str:
        tls = inp.tls
        assert tls is not None
        # anon: no client certificate needed; x509/certvalid: a client certificate that
        # chains to CAFile is required (no name check, like syslog-ng required-trusted).
        auth = "x509/certvalid" if tls.require_client_cert else "anon"
        params = [
            'streamDriver.name="ossl"',
            'streamDriver.mode="1"',
            f'streamDriver.authMode="{auth}"',
            f"streamDriver.certFile={_quote(tls.cert_file)}",
            f"streamDriver.keyFile={_quote(tls.key_file)}",
        ]
        if tls.ca_file is not None:
            params.append(f"streamDriver.CAFile={_quote(tls.ca_file)}")
        return " ".join(params)

    def _check_relp_tls(self) -> None:
        files = {
            (tls.cert_file, tls.key_file, tls.ca_file)
            for tls in (inp.tls for inp in self.inputs.values() if inp.kind == "relp-tls")
            if tls is not None
        }
        if len(files) > 1:
            raise DaemonError(
                "librelp (openssl) shares one certificate store between the listeners of a "
                "process: give every relp-tls input of one rsyslog the same cert_file, key_file "
                "and ca_file (or use one daemon per set)"
            )

    @staticmethod
    def _relp_tls_params(tls: TlsOptions) -> str:
        params = ['tls="on"', f"tls.myCert={_quote(tls.cert_file)}", f"tls.myPrivKey={_quote(tls.key_file)}"]
        if tls.ca_file is not None:
            params.append(f"tls.caCert={_quote(tls.ca_file)}")
        if tls.require_client_cert:
            # name: the client certificate must chain to caCert and carry a permitted name.
            peers = ", ".join(_quote(peer) for peer in tls.permitted_peers)
            params.append(f'tls.authMode="name" tls.permittedPeer=[{peers}]')
        return " ".join(params)

    def decode(self, record: dict[str, Any]) -> Message:
        msg = str(record.get("msg", ""))
        # What syslog-ng drops and rsyslog keeps: a BOM before an RFC 5424 MSG (it marks
        # UTF-8, it is not content), the one space after an RFC 3164 "TAG:".
        prefix = "\ufeff" if record.get("protocol_version") == "1" else " "
        if msg.startswith(prefix):
            msg = msg[1:]
        sd_json = record.get("sd") or ""
        return {
            "input": record.get("input", ""),
            "facility": int(record["facility"]),
            "severity": int(record["severity"]),
            "hostname": _nil(record.get("hostname")),
            "app_name": _nil(record.get("app_name")),
            "procid": _nil(record.get("procid")),
            "msgid": _nil(record.get("msgid")),
            "sd": json.loads(sd_json) if sd_json else {},
            "msg": msg,
            "raw": str(record.get("raw", "")),
        }


def _nil(value: object) -> str:
    text = "" if value is None else str(value)
    return "" if text == "-" else text


# --------------------------------------------------------------------------------------
# syslog-ng


class SyslogNg(SyslogDaemon):
    """syslog-ng 3.38 in the foreground (``-F``) from a private prefix.

    Network sources take the message unparsed (``flags(no-parse)``) and a
    ``syslog-parser()`` in the log path parses it: that is what makes ``protocol="auto"``
    possible (3.38's sources parse either RFC 5424 or RFC 3164, never both) and lets
    octet-counted inputs take RFC 3164 too.
    """

    name = "syslog-ng"
    kinds = frozenset({"udp", "tcp-octet", "tcp-lf", "tls", "unix-dgram", "unix-stream"})

    def _why_not(self, kind: str) -> str:
        if kind in RELP_KINDS:
            return "syslog-ng OSE has no RELP (no RELP source at all); use rsyslog (imrelp)"
        return "syslog-ng 3.38 cannot auto-detect TCP framing; use tcp-octet or tcp-lf"

    @staticmethod
    def prefix() -> Path:
        return Path(os.environ.get(SYSLOG_NG_PREFIX_ENV) or DEFAULT_SYSLOG_NG_PREFIX)

    def binary(self) -> Path:
        path = self.prefix() / "usr/sbin/syslog-ng"
        if not os.access(path, os.X_OK):
            raise DaemonError(
                f"syslog-ng not found at {path} (prefix from ${SYSLOG_NG_PREFIX_ENV} or "
                f"{DEFAULT_SYSLOG_NG_PREFIX}); {INSTALL_HINT}"
            )
        return path

    def command(self, binary: Path) -> list[str]:
        return [
            str(binary),
            "-F",  # foreground
            "--no-caps",  # no capability juggling: runs the same as root or not
            f"--module-path={self.prefix() / 'usr/lib/syslog-ng/3.38'}",
            "-f",
            str(self.config_file),
            "-p",
            str(self.pid_file),
            "-R",
            str(self.workdir / "syslog-ng.persist"),
            "-c",
            str(self.sockdir / "ctl"),
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        libdir = str(self.prefix() / "usr/lib/syslog-ng")
        env["LD_LIBRARY_PATH"] = ":".join(filter(None, [libdir, env.get("LD_LIBRARY_PATH")]))
        return env

    def config(self) -> str:
        template = (
            "$(format-json --scope none input=$SOURCE facility=int($FACILITY_NUM)"
            " severity=int($LEVEL_NUM) hostname=$HOST app_name=$PROGRAM procid=$PID"
            " msgid=$MSGID sd=$SDATA msg=$MSG raw=$RAWMSG)\\n"
        )
        parts = [
            "@version: 3.38",
            # keep-hostname: report the HOSTNAME field, not the peer address. use-dns(no):
            # no lookups of peers. stats-freq(0): no periodic stats in internal.log.
            # log-fifo-size: room for bursts, so nothing is dropped between source and file.
            "options { keep-hostname(yes); chain-hostnames(no); use-dns(no); dns-cache(no);\n"
            f"  log-msg-size({self.max_message_size}); stats-freq(0); log-fifo-size(200000); }};",
            "source s_internal { internal(); };",
            f"destination d_internal {{ file({_quote(self.internal_file)}); }};",
            "log { source(s_internal); destination(d_internal); };",
            f'destination d_messages {{ file({_quote(self.messages_file)} template("{template}")); }};',
        ]
        for inp in self.inputs.values():
            parts.append(f"source in_{inp.name} {{ {self._source(inp)} }};")
            parts.append(f"log {{ source(in_{inp.name}); {self._parser(inp)} destination(d_messages); }};")
        return "\n".join(parts) + "\n"

    def _source(self, inp: Input) -> str:
        if inp.kind == "unix-dgram":
            return f"unix-dgram({_quote(inp.path)} flags(store-raw-message));"
        if inp.kind == "unix-stream":
            return f"unix-stream({_quote(inp.path)} max-connections(1000) flags(store-raw-message));"
        driver, transport = {
            "udp": ("network", "udp"),
            "tcp-lf": ("network", "tcp"),
            "tcp-octet": ("syslog", "tcp"),
            "tls": ("syslog", "tls"),
        }[inp.kind]
        family = 6 if ":" in inp.host else 4
        opts = [
            f"transport({transport})",
            f"ip({_quote(inp.host)})",
            f"ip-protocol({family})",
            f"port({inp.port})",
            "flags(no-parse, store-raw-message)",
        ]
        if inp.is_udp:
            # Without a big window the UDP source stops reading under load; and a big
            # socket buffer for bursts.
            opts += ["log-iw-size(100000)", "so-rcvbuf(33554432)"]
        else:
            # Default is 10 connections: too few for tests with many senders.
            opts.append("max-connections(1000)")
        if inp.tls is not None:
            opts.append(self._tls(inp.tls))
        return f"{driver}({' '.join(opts)});"

    @staticmethod
    def _tls(tls: TlsOptions) -> str:
        # required-trusted: a client certificate chaining to ca-file is required.
        # optional-untrusted: none needed and any accepted (like rsyslog's anon).
        verify = "required-trusted" if tls.require_client_cert else "optional-untrusted"
        opts = [
            f"key-file({_quote(tls.key_file)})",
            f"cert-file({_quote(tls.cert_file)})",
            f"peer-verify({verify})",
        ]
        if tls.ca_file is not None:
            opts.append(f"ca-file({_quote(tls.ca_file)})")
        return f"tls({' '.join(opts)})"

    @staticmethod
    def _parser(inp: Input) -> str:
        rfc5424 = "parser { syslog-parser(flags(syslog-protocol)); };"
        rfc3164 = "parser { syslog-parser(); };"
        if not inp.is_network:
            return ""  # the unix sources parse the local form themselves
        if inp.protocol == "rfc5424":
            return rfc5424
        if inp.protocol == "rfc3164":
            return rfc3164
        # no-parse left the whole message in MSG: "<PRI>1 " starts RFC 5424.
        return f'if (message("^<[0-9]{{1,3}}>1 ")) {{ {rfc5424} }} else {{ {rfc3164} }};'

    def decode(self, record: dict[str, Any]) -> Message:
        raw = str(record.get("raw", ""))
        sd = parse_sd(str(record.get("sd", "")))
        # syslog-ng invents [meta sequenceId="N"] for messages of local sources.
        meta = sd.get("meta")
        if meta is not None and "sequenceId" in meta and "sequenceId=" not in raw:
            del meta["sequenceId"]
            if not meta:
                del sd["meta"]
        source = str(record.get("input", ""))
        return {
            "input": source[3:] if source.startswith("in_") else source,
            "facility": int(record["facility"]),
            "severity": int(record["severity"]),
            "hostname": str(record.get("hostname", "")),
            "app_name": str(record.get("app_name", "")),
            "procid": str(record.get("procid", "")),
            "msgid": str(record.get("msgid", "")),
            "sd": sd,
            "msg": str(record.get("msg", "")),
            "raw": raw,
        }


DAEMONS: dict[str, type[SyslogDaemon]] = {"rsyslog": Rsyslog, "syslog-ng": SyslogNg}


# --------------------------------------------------------------------------------------
# pytest fixtures


class DaemonFactory:
    """Makes daemons in numbered subdirectories of one tmp dir; closes them all."""

    def __init__(self, cls: type[SyslogDaemon], base: Path) -> None:
        self.cls = cls
        self.base = base
        self.made: list[SyslogDaemon] = []

    def __call__(self, **kwargs: Any) -> SyslogDaemon:
        workdir = self.base / f"{self.cls.name}-{len(self.made)}"
        daemon = self.cls(workdir, **kwargs)
        self.made.append(daemon)
        return daemon

    def close_all(self) -> None:
        errors = []
        for daemon in self.made:
            try:
                daemon.close()
            except Exception as exc:  # one failing stop must not leak the others
                errors.append(exc)
        if errors:
            raise errors[0]


@contextlib.contextmanager
def _factory(cls: type[SyslogDaemon], base: Path) -> Iterator[DaemonFactory]:
    factory = DaemonFactory(cls, base)
    try:
        yield factory
    finally:
        factory.close_all()


@pytest.fixture
def rsyslog_factory(tmp_path: Path) -> Iterator[DaemonFactory]:
    """``rsyslog_factory(max_message_size=...)`` -> an un-started :class:`Rsyslog`."""
    with _factory(Rsyslog, tmp_path) as factory:
        yield factory


@pytest.fixture
def syslog_ng_factory(tmp_path: Path) -> Iterator[DaemonFactory]:
    """``syslog_ng_factory(max_message_size=...)`` -> an un-started :class:`SyslogNg`."""
    with _factory(SyslogNg, tmp_path) as factory:
        yield factory


@pytest.fixture(params=list(DAEMONS))
def daemon_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DaemonFactory]:
    """Like the two factories, once per daemon (test ids ``[rsyslog]``, ``[syslog-ng]``).
    ``factory.cls.kinds`` tells which input kinds it has."""
    with _factory(DAEMONS[request.param], tmp_path) as factory:
        yield factory


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> TlsCerts:
    """A throw-away CA (trustme), a server certificate for localhost/127.0.0.1/::1 and a
    client certificate, as PEM files."""
    import trustme  # only the TLS tests need it

    base = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    client = ca.issue_cert(CLIENT_CERT_NAME)
    certs = TlsCerts(
        ca_file=base / "ca.pem",
        server_cert_file=base / "server.pem",
        server_key_file=base / "server.key",
        client_cert_file=base / "client.pem",
        client_key_file=base / "client.key",
    )
    ca.cert_pem.write_to_path(str(certs.ca_file))
    _write_chain(server, certs.server_cert_file)
    server.private_key_pem.write_to_path(str(certs.server_key_file))
    _write_chain(client, certs.client_cert_file)
    client.private_key_pem.write_to_path(str(certs.client_key_file))
    return certs


def _write_chain(cert: Any, path: Path) -> None:
    """Leaf first, then any intermediates: what both daemons and ssl expect."""
    path.write_bytes(b"".join(pem.bytes() for pem in cert.cert_chain_pems))


# --------------------------------------------------------------------------------------
# systemd-journald (without systemd as PID 1)

#: Where Debian (and most distributions) keep the daemon; not on PATH.
JOURNALD_BINARIES = ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
JOURNALD_INSTALL_HINT = "install the packages systemd and util-linux (sudo bash .ci/install-daemons.sh)"

# Run by `unshare -m` as `sh -c SCRIPT sh CONF SOCKDIR JOURNALDIR BINARY`, as root, in a
# private mount namespace: nothing it mounts is seen outside, and every mount goes away
# with the process. Fresh tmpfs on journald's directories, so neither a journald of the
# host nor a run before this one is seen; the private config over the host's (and empty
# drop-in directories over the host's drop-ins); then two directories of the test bind
# over /run/systemd/journal (its sockets) and /run/log/journal (the volatile journal):
# their paths outside stay the same across restarts, the socket path is known before
# the first start, and the journal can be read after the daemon stopped. No directory
# is created outside the namespace (a missing /run/systemd or /run/log is made inside a
# tmpfs over /run; a missing /var/log/journal is left alone: Storage=volatile never
# looks there). `exec`: the pid we started is journald's.
_JOURNALD_SCRIPT = r"""
set -eu
conf=$1 sockdir=$2 journaldir=$3 binary=$4
if [ ! -d /run/systemd ] || [ ! -d /run/log ]; then
    mount -t tmpfs -o mode=0755 tmpfs /run
    mkdir -p /run/systemd /run/log
fi
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mount -t tmpfs -o mode=0755 tmpfs /run/log
if [ -d /var/log/journal ]; then mount -t tmpfs -o mode=2755 tmpfs /var/log/journal; fi
mount --bind "$conf" /etc/systemd/journald.conf
for d in /etc/systemd/journald.conf.d /usr/local/lib/systemd/journald.conf.d /usr/lib/systemd/journald.conf.d \
         /lib/systemd/journald.conf.d; do
    if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 tmpfs "$d"; fi
done
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$sockdir" /run/systemd/journal
mount --bind "$journaldir" /run/log/journal
exec "$binary"
"""

# Volatile storage, nothing forwarded or read from elsewhere, no rate limit (tests send
# bursts), a cap on the journal, LineMax only matters for the stdout socket.
JOURNALD_CONF = """\
[Journal]
Storage=volatile
Compress=yes
Seal=no
ReadKMsg=no
Audit=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
RateLimitBurst=0
RuntimeMaxUse=256M
RuntimeMaxFileSize=64M
LineMax=1M
MaxLevelStore=debug
"""

Entry = Dict[str, Any]


def decode_journal_value(value: Any) -> Any:
    """One field of ``journalctl -o json``: a string as it is; an array of byte values (a
    value that is not UTF-8 or holds control characters journalctl will not print) as
    text, its invalid bytes as lone surrogates (``surrogateescape``: byte 0xff becomes
    ``"\\udcff"``); a field given more than once in the entry (an array of those) as a
    list; ``None`` (a value journalctl left out) as ``None``."""
    if isinstance(value, list):
        if all(isinstance(item, int) for item in value):
            return bytes(value).decode("utf-8", "surrogateescape")
        return [decode_journal_value(item) for item in value]
    return value


class Journald:
    """A private systemd-journald: ``start()``, ``socket_path`` (where the native protocol
    goes, also as ``url``), ``entries()``/``wait_for()`` (what ``journalctl -o json``
    reads back), ``stop()``/``kill()``/``restart()``, ``close()``.

    ``socket_path`` (``<sockdir>/socket``, the namespace's ``/run/systemd/journal/socket``)
    exists from the first start on and stays the same across restarts;
    ``proc_socket_path`` is the same socket seen through ``/proc/<pid>/root``.
    ``stdout_path`` and ``dev_log_path`` are its other two sockets (the stdout stream
    protocol, syslog datagrams). The journal files live in ``<workdir>/journal`` and
    survive stop() and restart(). Entries are dicts of field -> str (see
    :func:`decode_journal_value`), journald's own fields (``_PID``, ``_TRANSPORT``,
    ``__CURSOR``...) included.
    """

    name = "journald"

    def __init__(self, workdir: Path | str) -> None:
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.journal_dir = self.workdir / "journal"
        self.journal_dir.mkdir(exist_ok=True)
        self.config_file = self.workdir / "journald.conf"
        self.stderr_file = self.workdir / "stderr.log"
        # Short, outside tmp_path: a sun_path holds 107 bytes.
        self.sockdir = Path(tempfile.mkdtemp(prefix="ljd-"))
        self.socket_path = str(self.sockdir / "socket")
        self.stdout_path = str(self.sockdir / "stdout")
        self.dev_log_path = str(self.sockdir / "dev-log")
        self.url = f"journald://{self.socket_path}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<Journald pid={self.pid} socket={self.socket_path}>"

    def __enter__(self) -> Journald:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- tools ----------------------------------------------------------------------------

    @staticmethod
    def binary() -> Path:
        for candidate in JOURNALD_BINARIES:
            if os.access(candidate, os.X_OK):
                return Path(candidate)
        raise DaemonError(f"systemd-journald not found at {' or '.join(JOURNALD_BINARIES)}; {JOURNALD_INSTALL_HINT}")

    @staticmethod
    def _tool(name: str) -> str:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
        if found is None:
            raise DaemonError(f"{name} not found on PATH; {JOURNALD_INSTALL_HINT}")
        return found

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def proc_socket_path(self) -> str:
        if self.pid is None:
            raise DaemonError("journald was never started")
        return f"/proc/{self.pid}/root/run/systemd/journal/socket"

    def start(self, timeout: float = 10.0) -> None:
        """Start journald; return once its native socket is bound in its own process."""
        if self.running:
            raise DaemonError(f"journald is already running (pid {self.pid})")
        if os.geteuid() != 0:
            raise DaemonError("journald in a private mount namespace needs root (unshare -m, mount)")
        binary = self.binary()
        unshare = self._tool("unshare")
        self._tool("journalctl")  # reading back needs it: fail now rather than at wait_for()
        self.config_file.write_text(JOURNALD_CONF)
        command = [
            unshare, "-m", "--propagation", "private", "sh", "-c", _JOURNALD_SCRIPT, "sh",
            str(self.config_file), str(self.sockdir), str(self.journal_dir), str(binary),
        ]  # fmt: skip
        with open(self.stderr_file, "ab") as err:
            err.write(f"--- {time.strftime('%H:%M:%S')} starting journald\n".encode())
            err.flush()
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                cwd=self.workdir,
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self._proc.poll() is not None:
                raise DaemonError(
                    f"journald exited with status {self._proc.returncode} during start" + self._diagnostics()
                )
            if time.monotonic() > deadline:
                self._terminate(timeout)
                raise DaemonError(
                    f"journald (pid {self.pid}) has no native socket after {timeout}s" + self._diagnostics()
                )
            time.sleep(POLL_INTERVAL)

    def _listening(self) -> bool:
        """The native socket is bound by our journald (not a stale file of a previous run:
        /proc/net/unix shows the path as bound inside the namespace, and the inode must be
        one of the process's own sockets)."""
        assert self._proc is not None
        if not os.path.exists(self.socket_path):
            return False
        own = _socket_inodes(self._proc.pid)
        return any(ls.path == "/run/systemd/journal/socket" and ls.inode in own for ls in _unix_listeners())

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``. No-op when not running."""
        if self.running:
            self._terminate(timeout)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        """Send ``sig``; for SIGKILL/SIGTERM/SIGINT/SIGQUIT wait until it exited."""
        if not self.running:
            raise DaemonError("journald is not running")
        assert self._proc is not None
        os.kill(self._proc.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            os.kill(self._proc.pid, signal.SIGCONT)
            self._proc.wait(timeout)

    def restart(self, timeout: float = 10.0) -> None:
        self.stop(timeout)
        self.start(timeout)

    def close(self) -> None:
        """stop() and remove the socket directory. Idempotent."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.sockdir, ignore_errors=True)

    def _terminate(self, timeout: float) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
            os.kill(proc.pid, signal.SIGCONT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    # ---- reading back ---------------------------------------------------------------------

    def entries(self, *matches: str, **fields: str) -> list[Entry]:
        """Every entry of the journal, oldest first, through ``journalctl --directory
        -o json --all``; ``matches`` (``"FIELD=value"``) and ``fields`` (FIELD=value)
        are journalctl matches (AND of different fields)."""
        args = [*matches, *(f"{name}={value}" for name, value in fields.items())]
        proc = subprocess.run(
            [self._tool("journalctl"), f"--directory={self.journal_dir}", "-o", "json", "--all",
             "--no-pager", "--quiet", *args],
            capture_output=True,
            timeout=30,
        )  # fmt: skip
        # No journal file yet (nothing written) is no entries and status 0.
        if proc.returncode != 0:
            raise DaemonError(f"journalctl failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
        out: list[Entry] = []
        for line in proc.stdout.splitlines():
            if line.strip():
                record = json.loads(line)
                out.append({key: decode_journal_value(value) for key, value in record.items()})
        return out

    def wait_for(self, n: int, timeout: float = 10.0, *, identifier: str | None = None, **fields: str) -> list[Entry]:
        """Wait until at least ``n`` entries match (``identifier``: SYSLOG_IDENTIFIER;
        ``fields``: more journalctl matches); return all that match."""
        if identifier is not None:
            fields["SYSLOG_IDENTIFIER"] = identifier
        deadline = time.monotonic() + timeout
        while True:
            got = self.entries(**fields)
            if len(got) >= n:
                return got
            if time.monotonic() > deadline:
                shown = "\n".join(json.dumps(e, ensure_ascii=False)[:2000] for e in self.entries()[-10:])
                raise DaemonTimeout(
                    f"journald: {len(got)} of {n} entries matching {fields} after {timeout}s; "
                    f"last entries of the journal:\n{shown}" + self._diagnostics()
                )
            time.sleep(0.05)

    def stderr(self) -> str:
        try:
            return self.stderr_file.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def _diagnostics(self) -> str:
        return f"\n--- journald stderr ({self.stderr_file}):\n{_tail(self.stderr())}"


class JournaldFactory:
    """``factory()`` -> an un-started :class:`Journald` in its own subdirectory; all closed
    at teardown."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.made: list[Journald] = []

    def __call__(self) -> Journald:
        journald = Journald(self.base / f"journald-{len(self.made)}")
        self.made.append(journald)
        return journald

    def close_all(self) -> None:
        errors = []
        for journald in self.made:
            try:
                journald.close()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


@pytest.fixture
def journald_factory(tmp_path: Path) -> Iterator[JournaldFactory]:
    """Un-started private journalds (``j = journald_factory(); ... j.start()``)."""
    factory = JournaldFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close_all()


@pytest.fixture
def journald(journald_factory: JournaldFactory) -> Journald:
    """A started private systemd-journald (see :class:`Journald`). Missing systemd-journald,
    journalctl or unshare, or not root: the test fails (never skips)."""
    j = journald_factory()
    j.start()
    return j
