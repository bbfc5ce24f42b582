"""Twelve-factor configuration: a sink from SYSLOG_* environment variables.

Precedence, highest first: keyword overrides, the dedicated variable
(SYSLOG_FACILITY...), the query parameters of SYSLOG_URL, the defaults. Every
value goes through the same parser as the constructor's (the OPTIONS table), so
what is valid is decided in one place; errors name the variable. An empty
variable counts as unset. A variable with the prefix that means nothing gets a
warning naming the closest known one.
"""

from __future__ import annotations

import difflib
import os
import warnings
from typing import TYPE_CHECKING, Any, Mapping, TypeVar

from ._address import Address, parse_url
from ._errors import SyslogConfigError, SyslogConfigWarning
from ._options import OPTIONS

if TYPE_CHECKING:
    from ._sink import SyslogSink

S = TypeVar("S", bound="SyslogSink")

DEFAULT_PREFIX = "SYSLOG_"
#: The suffix of the address variable (SYSLOG_URL); the others are option names in upper case.
URL_SUFFIX = "URL"
#: `sink.sources` values besides variable names and CLI flags.
ARGUMENT, URL_QUERY, DEFAULT = "argument", "URL query", "default"


def variable_names(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """Every variable `from_env` reads -> what it sets ("address" or an option name)."""
    names = {prefix + URL_SUFFIX: "address"}
    names.update({prefix + name.upper(): name for name, option in OPTIONS.items() if option.textual})
    return names


def query_parameters() -> tuple[str, ...]:
    """The query parameters an address URL may carry: every option that can be written as text."""
    return tuple(name for name, option in OPTIONS.items() if option.textual)


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate a typo most likely meant, or None."""
    matches = difflib.get_close_matches(word.lower(), [c.lower() for c in candidates], n=1, cutoff=0.6)
    if not matches:
        return None
    return next(c for c in candidates if c.lower() == matches[0])


def check_query(address: Address, name: str, skip: frozenset[str] = frozenset()) -> None:
    """Validate the URL's query parameters now, so that errors name `name` (the variable).

    Unknown parameters are errors (with the closest known one); values go through
    the OPTIONS parsers. Parameters in `skip` are overridden and not looked at.
    """
    known = query_parameters()
    for key, text in address.query.items():
        if key not in known:
            guess = closest(key, list(known))
            hint = f"did you mean {guess}? " if guess else ""
            raise SyslogConfigError(
                f"{name}?{key}", text, f"{hint}it is an unknown query parameter; known ones are {', '.join(known)}"
            )
        if key not in skip:
            OPTIONS[key].parse(text, f"{name}?{key}")


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
    # stacklevel: _warn_unknown < read_environment < sink_from_env < SyslogSink.from_env < the caller
    warnings.warn(text, SyslogConfigWarning, stacklevel=5)


def sink_from_env(
    cls: type[S],
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> S:
    """Build `cls` from the environment; the engine of `SyslogSink.from_env`.

    `overrides` are constructor keywords (and `address`); None means "not given",
    as in the constructor. `labels` name where each override came from (the
    command line passes "--facility"...): errors and `sink.sources` use them;
    without one an override is an "argument".
    """
    if not isinstance(prefix, str) or not prefix:
        raise SyslogConfigError("prefix", prefix, 'a non-empty string such as "SYSLOG_"')
    environ = os.environ if environ is None else environ
    labels = dict(labels or {})
    given: dict[str, Any] = {}
    for name, value in (overrides or {}).items():
        if name != "address" and name not in OPTIONS:
            guess = closest(name, ["address", *OPTIONS])
            hint = f"; did you mean {guess}?" if guess else ""
            raise TypeError(f"from_env() got an unexpected keyword argument {name!r}{hint}")
        if value is not None:
            given[name] = value

    url, texts = read_environment(prefix, environ, skip=frozenset(given))
    url_variable = prefix + URL_SUFFIX
    # Where each value comes from; _init uses these names in its errors.
    sources: dict[str, str] = {name: labels[name] for name in given if name in labels}
    address: Any = given.pop("address", None)
    if address is not None:
        sources["address"] = labels.get("address", ARGUMENT)
        if isinstance(address, str) and "address" in labels:  # --url: errors name the flag
            label = labels["address"]
            check_query(parse_url(address, label), label, skip=frozenset(given) | frozenset(texts))
    elif url is not None:
        parsed = parse_url(url, url_variable)
        check_query(parsed, url_variable, skip=frozenset(given) | frozenset(texts))
        address = url
        sources["address"] = url_variable
    else:
        sources["address"] = DEFAULT
    for name, text in texts.items():
        given[name] = text
        sources[name] = prefix + name.upper()

    sink = cls.__new__(cls)
    try:
        sink._init(address, given, sources)
    except SyslogConfigError as exc:
        query = parse_url(address).query if isinstance(address, str) else {}
        raise _renamed(exc, sources, url_variable, {**query, **texts, "address": address}) from None
    return sink


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
        source = sources.get("address")
        if source == DEFAULT:  # no local socket: say which variable to set
            return SyslogConfigError(name, exc.value, exc.accepted.replace("SYSLOG_URL", url_variable))
        if source not in (None, ARGUMENT):
            return SyslogConfigError(source, texts["address"], exc.accepted)
    return exc
