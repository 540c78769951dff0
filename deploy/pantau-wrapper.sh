#!/bin/sh
# /usr/local/bin/pantau — menjalankan perintah `pantau` untuk kantor yang dipasang sebagai layanan:
# sebagai pengguna layanan `pantau` (agar berkas di /var/lib/pantau tetap miliknya), dengan
# konfigurasi kantor dan rahasia dari /etc/pantau/pantau.env.
# Pasang: install -m 755 deploy/pantau-wrapper.sh /usr/local/bin/pantau
# Pakai:  sudo pantau status | sudo pantau triage | sudo pantau check | ...
# Berkas yang disebut (mis. untuk `pantau inspect`) harus dapat dibaca pengguna `pantau`.
set -e
PANTAU_BIN=${PANTAU_BIN:-/opt/pantau/venv/bin/pantau}
OFFICE=${PANTAU_OFFICE:-/var/lib/pantau}
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
if [ -r /etc/pantau/pantau.env ]; then
    set -a
    . /etc/pantau/pantau.env
    set +a
fi
exec runuser -u pantau -- "$PANTAU_BIN" --config "$OFFICE/config/pantau.toml" "$@"
