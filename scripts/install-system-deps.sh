#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when missing: Postfix + Dovecot (a real mail
# system on loopback), LibreOffice Writer (DOCX -> PDF, and forms re-saved as another suite would)
# and poppler (pdftotext), LibreOffice Calc, Chromium + chromedriver, systemd (systemd-analyze). Needs root; otherwise it says what to install and carries on.
set -euo pipefail
need=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd dovecot-lmtpd)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
# Calc: forms filled as XLSX and re-saved as Calc/Excel would (number formats, SPEC §6.2).
[ -e /usr/lib/libreoffice/program/libsclo.so ] || need+=(libreoffice-calc-nogui)
# A real browser for the web dashboard's tests (SPEC §8), and systemd-analyze for the units.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The templates use Arial: Liberation Sans has its metrics, so LibreOffice's PDFs break lines
# where Word would (without it, DejaVu Sans is wider and the letterhead wraps). Carlito/Caladea
# do the same for Calibri/Cambria in documents that people upload.
[ -e /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ] || need+=(fonts-liberation2)
[ -d /usr/share/fonts/truetype/crosextra ] || need+=(fonts-crosextra-carlito fonts-crosextra-caladea)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "Paket sistem belum terpasang: ${need[*]}" >&2
  echo "Pasang sebagai root: apt-get install ${need[*]}  (uji surel/dokumen nyata akan dilewati)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "Memasang: ${need[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
