"""Twelve-factor configuration: a sink from SYSLOG_* environment variables.

Precedence, highest first: keyword overrides, the dedicated variable
(SYSLOG_FACILITY...), the query parameters of SYSLOG_URL, the defaults. Every
value goes through the same parser as the constructor's (the OPTIONS table), so
what is valid is decided in one place; errors name the variable. An empty
variable counts as unset. A variable with the prefix that means nothing gets a
warning naming the closest known one.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ._config import (
    ARGUMENT,
    DEFAULT,
    URL_QUERY,
    AddressLike,
    SyslogConfig,
    closest,
    merged_query,
    parse_addresses,
    query_parameters,
    resolve,
)
from ._errors import SyslogConfigError, warn_config
from ._options import OPTIONS

__all__ = ["ARGUMENT", "DEFAULT", "URL_QUERY", "config_from_env", "query_parameters", "read_environment"]

DEFAULT_PREFIX = "SYSLOG_"
#: The suffix of the address variable (SYSLOG_URL); the others are option names in upper case.
URL_SUFFIX = "URL"


def variable_names(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """Every variable `from_env` reads -> what it sets ("address" or an option name)."""
    names = {prefix + URL_SUFFIX: "address"}
    names.update({prefix + name.upper(): name for name, option in OPTIONS.items() if option.textual})
    return names


def read_environment(
    prefix: str, environ: Mapping[str, str], skip: frozenset[str] = frozenset()
) -> tuple[str | None, dict[str, str]]:
    """SYSLOG_URL's value and {option: text} of the dedicated variables that are set (not empty).

    Warns about variables with the prefix that `from_env` does not read. Options
    in `skip` (overridden) are left out.
    """
    names = variable_names(prefix)
    url: str | None = None
    texts: dict[str, str] = {}
    for variable in sorted(environ):
        if not variable.startswith(prefix):
            continue
        value = environ[variable]
        if variable not in names:
            _warn_unknown(prefix, variable)
            continue
        if value == "":  # empty = unset (docker run -e NAME=, templated .env files)
            continue
        target = names[variable]
        if target == "address":
            url = value
        elif target not in skip:
            texts[target] = value
    return url, texts


def _warn_unknown(prefix: str, variable: str) -> None:
    suffix = variable[len(prefix) :]
    option = OPTIONS.get(suffix.lower())
    if option is not None and not option.textual:  # an option that only Python can give
        text = (
            f"{variable} is ignored: {suffix.lower()} cannot come from the environment "
            f"(use the {prefix}TLS_* file variables, or pass it to from_env())"
        )
    else:
        guess = closest(suffix, [URL_SUFFIX, *(name.upper() for name in query_parameters())])
        hint = f"did you mean {prefix}{guess}?" if guess else f"known variables: {', '.join(variable_names(prefix))}"
        text = f"{variable} is not a loguru-syslog variable and is ignored; {hint}"
    warn_config(text)


def config_from_env(
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> SyslogConfig:
    """Resolve a configuration from the environment; the engine of `from_env`.

    `overrides` are constructor keywords (and `address`); None means "not given",
    as in the constructor. `labels` name where each override came from (the
    command line passes "--facility"...): errors and `sources` use them;
    without one an override is an "argument".
    """
    if not isinstance(prefix, str) or not prefix:
        raise SyslogConfigError("prefix", prefix, 'a non-empty string such as "SYSLOG_"')
    environ = os.environ if environ is None else environ
    labels = dict(labels or {})
    given: dict[str, Any] = {}
    for name, value in (overrides or {}).items():
        if name not in ("address", "transport") and name not in OPTIONS:
            guess = closest(name, ["address", "transport", *OPTIONS])
            hint = f"; did you mean {guess}?" if guess else ""
            raise TypeError(f"from_env() got an unexpected keyword argument {name!r}{hint}")
        if value is not None:
            given[name] = value

    url, texts = read_environment(prefix, environ, skip=frozenset(given))
    url_variable = prefix + URL_SUFFIX
    # Where each value comes from; the resolver names them in its errors.
    sources: dict[str, str] = {name: labels[name] for name in given if name in labels}
    address: AddressLike = given.pop("address", None)
    if address is not None or "transport" in given:
        sources["address"] = labels.get("address", ARGUMENT)
        if isinstance(address, str) and "address" in labels:  # --url: errors name the flag
            flag = labels["address"]
            merged_query(parse_addresses(address, flag), flag, frozenset(given) | frozenset(texts))
    elif url is not None:
        merged_query(parse_addresses(url, url_variable), url_variable, skip=frozenset(given) | frozenset(texts))
        address = url
        sources["address"] = url_variable
    for name, text in texts.items():
        given[name] = text
        sources[name] = prefix + name.upper()
    try:
        return resolve(address, given, sources)
    except SyslogConfigError as exc:
        query = merged_query(parse_addresses(address), "address") if isinstance(address, str) else {}
        raise _renamed(exc, sources, url_variable, {**query, **texts, "address": address}) from None


def _renamed(
    exc: SyslogConfigError, sources: Mapping[str, str], url_variable: str, texts: Mapping[str, Any]
) -> SyslogConfigError:
    """The same error, naming the variable (or flag) the bad value came from.

    `_init` names options by their argument name in checks that span several
    options (backoff bounds, TLS-only options, TLS files); here they get the
    name the user actually typed.
    """
    name = exc.name
    if name in OPTIONS:
        # The text as the user wrote it, not the parsed value (SYSLOG_TLS_VERIFY='no', not False).
        source, url_source = sources.get(name), sources.get("address")
        if source == URL_QUERY and url_source not in (None, ARGUMENT, DEFAULT):  # SYSLOG_URL?name, --url?name
            return SyslogConfigError(f"{url_source}?{name}", texts.get(name, exc.value), exc.accepted)
        if source is not None and source not in (ARGUMENT, DEFAULT, URL_QUERY):
            return SyslogConfigError(source, texts.get(name, exc.value), exc.accepted)
    elif name == "address":
        source = sources.get("address", DEFAULT)
        if source == DEFAULT:  # no local socket: say which variable to set
            return SyslogConfigError(name, exc.value, exc.accepted.replace("SYSLOG_URL", url_variable))
        if source not in (None, ARGUMENT):
            return SyslogConfigError(source, texts["address"], exc.accepted)
    return exc
