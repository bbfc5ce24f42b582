"""TLS with a client certificate (mutual TLS, RFC 5425) to a syslog server.

What it shows:

- `tls://host:6514` verifies the server's certificate and host name by default;
- `tls_ca_file` trusts a private CA (instead of the system CAs);
- `tls_cert_file` / `tls_key_file` present a client certificate, for servers that require one;
- bad paths fail at construction (SyslogConfigError), not later while logging;
- `logger.remove()` stops the sink: it delivers what waits, sends TLS close_notify, closes.

Run it (--ca, --cert, --key and --server-name default to the SYSLOG_TLS_CA_FILE,
SYSLOG_TLS_CERT_FILE, SYSLOG_TLS_KEY_FILE and SYSLOG_TLS_SERVER_NAME variables):

    python examples/tls_client_cert.py --host logs.example.com --port 6514 \\
        --ca ca.pem --cert client.pem --key client.key

A server that requires client certificates, for a try (rsyslog 8.2302 with the ossl driver;
the same stanza as the project's integration tests):

    module(load="imtcp")
    input(type="imtcp" port="6514" streamDriver.name="ossl" streamDriver.mode="1"
          streamDriver.authMode="x509/certvalid" streamDriver.CAFile="ca.pem"
          streamDriver.certFile="server.pem" streamDriver.keyFile="server.key")

Exit status 0 when every message was handed to the TLS connection, 1 otherwise (2 for a
configuration error). That is
not proof of delivery: with TLS 1.3 a server that rejects the client certificate does so
after the handshake, and the first message written is lost (see docs/transports.md).
"""

from __future__ import annotations

import argparse
import os
import sys

from loguru import logger

from loguru_syslog import SyslogConfigError, SyslogSink


def main() -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="localhost", help="server host (localhost)")
    parser.add_argument("--port", type=int, default=6514, help="server port (6514, the RFC 5425 port)")
    parser.add_argument("--ca", default=env("SYSLOG_TLS_CA_FILE"), help="CA file (PEM); default: the system CAs")
    parser.add_argument("--cert", default=env("SYSLOG_TLS_CERT_FILE"), help="client certificate (PEM)")
    parser.add_argument("--key", default=env("SYSLOG_TLS_KEY_FILE"), help="client key (PEM), if not in --cert")
    parser.add_argument("--server-name", default=env("SYSLOG_TLS_SERVER_NAME"), help="name to verify (--host)")
    parser.add_argument("--count", type=int, default=3, help="messages to send (3)")
    args = parser.parse_args()

    host = f"[{args.host}]" if ":" in args.host else args.host  # an IPv6 literal needs brackets in a URL
    try:
        sink = SyslogSink(
            f"tls://{host}:{args.port}",
            facility="local0",
            app_name="tls-example",
            tls_ca_file=args.ca,
            tls_cert_file=args.cert,
            tls_key_file=args.key,
            tls_server_name=args.server_name,
        )
    except SyslogConfigError as exc:  # a missing file, a key without its certificate...
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logger.remove()
    logger.add(sink, format="{message}")
    logger.add(sys.stderr, level="INFO")  # and a local copy, as usual

    # Nothing is connected yet: the first message opens the connection (and does the handshake).
    for number in range(1, args.count + 1):
        logger.bind(seq=number).info("message {} of {} over mutual TLS", number, args.count)
    logger.remove()  # stop(): delivers what waits (at most stop_timeout=5 s), then closes

    stats = sink.stats
    print(f"{sink.address}: {stats}")
    return 0 if stats.sent == args.count and not stats.dropped else 1


if __name__ == "__main__":
    sys.exit(main())
