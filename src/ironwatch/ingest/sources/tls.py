"""TLS server contexts for syslog over TLS (RFC 5425) and RELP over TLS."""

from __future__ import annotations

import ssl
from pathlib import Path

from ironwatch.core.errors import ConfigurationError


def server_tls_context(
    *, cert_file: Path, key_file: Path, ca_file: Path | None = None, require_client_cert: bool = False
) -> ssl.SSLContext:
    """A TLS 1.2+ server context with our certificate; with ``ca_file``, client certificates are checked.

    ``require_client_cert`` refuses clients without a certificate signed by ``ca_file``
    (mutual TLS, as RFC 5425 recommends); without it a presented certificate is still verified.
    """
    if require_client_cert and ca_file is None:
        raise ConfigurationError(
            "client certificates are required but no CA file is configured",
            hint="set the CA file that signed the senders' certificates, or stop requiring them",
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile=str(cert_file), keyfile=str(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"cannot load TLS certificate {cert_file} with key {key_file}: {exc}",
            hint="give a PEM certificate (chain) and its matching unencrypted PEM private key",
        ) from exc
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"cannot load CA file {ca_file}: {exc}", hint="give PEM CA certificate(s)"
            ) from exc
        context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return context
