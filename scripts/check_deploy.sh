#!/usr/bin/env bash
# Check the deployment files of docs/deploy/: the nginx configuration with
# `nginx -t` and the systemd units with `systemd-analyze verify` (where those
# tools are installed; a missing tool is reported, not hidden).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  # A self-signed certificate where the configuration expects the real one,
  # and a main configuration that includes the site as /etc/nginx/nginx.conf would.
  mkdir -p "$tmp/tls" "$tmp/static" "$tmp/cache"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=market.example.cn" \
    -keyout "$tmp/tls/market.example.cn.key" -out "$tmp/tls/market.example.cn.crt" >/dev/null 2>&1
  sed -e "s#/etc/nginx/tls/#$tmp/tls/#g" -e "s#/var/cache/nginx/#$tmp/cache/#g" docs/deploy/nginx.conf >"$tmp/site.conf"
  mime=""
  [ -f /etc/nginx/mime.types ] && mime="include /etc/nginx/mime.types;"
  cat >"$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events {}
http {
    $mime
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/site.conf;
}
CONF
  if "$nginx_bin" -t -q -p "$tmp" -c "$tmp/nginx.conf"; then
    echo "nginx -t: docs/deploy/nginx.conf is valid"
  else
    echo "nginx -t: docs/deploy/nginx.conf is NOT valid" >&2
    status=1
  fi
else
  echo "nginx is not installed: docs/deploy/nginx.conf not checked (apt-get install nginx)" >&2
  status=1
fi

if command -v systemd-analyze >/dev/null 2>&1; then
  # The units name /srv/marketplace/current; check them against this checkout.
  mkdir -p "$tmp/units"
  for unit in docs/deploy/*.service; do
    sed -e "s#/srv/marketplace/current#$root#g" "$unit" >"$tmp/units/$(basename "$unit")"
  done
  if [ ! -x "$root/.venv/bin/gunicorn" ]; then
    echo "no $root/.venv/bin/gunicorn: install requirements.txt first" >&2
    status=1
  fi
  out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp"/units/*.service 2>&1 || true)
  # Outside a booted systemd (containers, CI) it may warn about the host; only
  # messages about our units count.
  problems=$(printf '%s\n' "$out" | grep -E "marketplace[^ ]*\.service" || true)
  if [ -n "$problems" ]; then
    printf '%s\n' "$problems" >&2
    status=1
  else
    echo "systemd-analyze verify: docs/deploy/*.service are valid"
  fi
else
  echo "systemd-analyze is not available: the units were not checked" >&2
fi
exit $status
