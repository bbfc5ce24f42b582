#!/usr/bin/env bash
# Install the real syslog daemons the integration tests talk to, on Debian 12, as root.
#
# - rsyslog (+ gnutls/openssl stream drivers, + imrelp for RELP) from apt, the normal way.
# - syslog-ng: the syslog-ng-core package conflicts with rsyslog (both provide
#   system-log-daemon), so installing it would remove rsyslog. Instead its .deb is
#   unpacked with `dpkg -x` into a private prefix and only its shared libraries are
#   apt-installed. tests/daemons.py runs it from there (LOGURU_SYSLOG_NG_PREFIX overrides).
#
# - systemd-journald, journalctl (package systemd) and unshare (util-linux): the journald
#   tests start a private journald in its own mount namespace (never as a service: systemd
#   need not be PID 1, and nothing is enabled or started here).
#
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail

PREFIX="${LOGURU_SYSLOG_NG_PREFIX:-/opt/loguru-syslog/syslog-ng}"
export DEBIAN_FRONTEND=noninteractive
APT_INSTALL=(apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0)
# Shared libraries of syslog-ng-core 3.38 on bookworm (verified below with ldd).
NG_LIBS=(libivykis0 libnet1 libpcre3 libwrap0 libcap2 libglib2.0-0 libjson-c5)
RSYSLOG_PKGS=(rsyslog rsyslog-gnutls rsyslog-openssl rsyslog-relp)
JOURNALD_PKGS=(systemd util-linux)

log() { printf 'install-daemons: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root" >&2
    exit 1
fi

# Packages (from the given list) that are not installed yet.
missing_pkgs() {
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            printf '%s\n' "$p"
        fi
    done
}

# `apt-get update` at most once per run, and only when something must be fetched.
APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        apt-get update -q
        APT_UPDATED=1
    fi
}

apt_install() {
    local missing
    mapfile -t missing < <(missing_pkgs "$@")
    if [ "${#missing[@]}" -eq 0 ]; then
        log "already installed: $*"
        return
    fi
    # Lists of a fresh image are empty or stale: always update before installing.
    apt_update_once
    log "apt-get install ${missing[*]}"
    "${APT_INSTALL[@]}" "${missing[@]}"
}

# --- rsyslog --------------------------------------------------------------------------
apt_install "${RSYSLOG_PKGS[@]}"
command -v rsyslogd >/dev/null || { log "rsyslogd not on PATH after install" >&2; exit 1; }
# imrelp (package rsyslog-relp) is a module of rsyslogd: its file must be there.
imrelp_so=$(dpkg -L rsyslog-relp | grep '/imrelp\.so$' || true)
[ -n "$imrelp_so" ] && [ -f "$imrelp_so" ] || { log "imrelp.so missing after installing rsyslog-relp" >&2; exit 1; }

# --- systemd-journald, journalctl, unshare ---------------------------------------------
apt_install "${JOURNALD_PKGS[@]}"
JOURNALD_BIN=""
for candidate in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
    if [ -x "$candidate" ]; then JOURNALD_BIN=$candidate; break; fi
done
[ -n "$JOURNALD_BIN" ] || { log "systemd-journald missing after installing systemd" >&2; exit 1; }
for tool in journalctl unshare; do
    command -v "$tool" >/dev/null || { log "$tool not on PATH after installing ${JOURNALD_PKGS[*]}" >&2; exit 1; }
done
# (Never run `systemd-journald --help`: it starts a journald namespace named "--help".)

# --- syslog-ng into a private prefix ----------------------------------------------------
NG_BIN="$PREFIX/usr/sbin/syslog-ng"
if [ -x "$NG_BIN" ]; then
    log "syslog-ng already unpacked in $PREFIX"
else
    # apt-get download drops privileges to _apt: the directory must be writable by it.
    dl_dir=$(mktemp -d /tmp/syslog-ng-deb.XXXXXX)
    trap 'rm -rf "$dl_dir"' EXIT
    chmod 0777 "$dl_dir"
    # `apt-get download` needs package lists; an un-updated fresh image has none.
    if ! (cd "$dl_dir" && apt-get download -q syslog-ng-core) 2>/dev/null; then
        apt_update_once
        (cd "$dl_dir" && apt-get download -q syslog-ng-core)
    fi
    deb=$(ls "$dl_dir"/syslog-ng-core_*.deb)
    log "unpacking $(basename "$deb") into $PREFIX"
    # Unpack to a staging dir first so an interrupted run never leaves a half prefix
    # that the -x check above would take for complete.
    stage="$PREFIX.partial"
    rm -rf "$stage"
    mkdir -p "$stage"
    dpkg -x "$deb" "$stage"
    rm -rf "$PREFIX"
    mv "$stage" "$PREFIX"
fi

apt_install "${NG_LIBS[@]}"

# Every ELF file of the prefix (binaries, libsyslog-ng, every module) must resolve all its
# libraries, with the private library dir on the path as tests/daemons.py sets it.
NG_LIBDIR="$PREFIX/usr/lib/syslog-ng"
unresolved=""
while IFS= read -r -d '' f; do
    # ldd fails on files that are not ELF (scripts): those have nothing to resolve.
    out=$(LD_LIBRARY_PATH="$NG_LIBDIR" ldd "$f" 2>/dev/null) || continue
    not_found=$(grep 'not found' <<<"$out" || true)
    [ -z "$not_found" ] || unresolved+="$f:"$'\n'"$not_found"$'\n'
done < <(find "$PREFIX/usr/sbin" "$PREFIX/usr/bin" "$NG_LIBDIR" -type f -print0)
if [ -n "$unresolved" ]; then
    log "unresolved shared libraries (add their packages to NG_LIBS):" >&2
    printf '%s' "$unresolved" >&2
    exit 1
fi
log "ldd: all libraries of $PREFIX resolve"

# Smoke test: both binaries run. (Whole output captured, then cut: `| head -n 1` could
# SIGPIPE the writer, which pipefail would turn into a failure.)
ng_version=$(LD_LIBRARY_PATH="$NG_LIBDIR" "$NG_BIN" --version)
rs_version=$(rsyslogd -v)
jd_version=$(journalctl --version)
log "ok: ${rs_version%%$'\n'*}; ${ng_version%%$'\n'*} ($NG_BIN); journald ${jd_version%%$'\n'*} ($JOURNALD_BIN)"
