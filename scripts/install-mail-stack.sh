#!/bin/sh
# Install the Debian packages that the real-mail tests need: Postfix (SMTP) and Dovecot
# (IMAP + LMTP), plus openssl for the stack's test certificate. Idempotent: does nothing when
# they are there already. Installs only: the system-wide daemons are not started (the tests
# run private instances, see tests/mailstack.py) and /etc is left as the packages ship it.
# As a non-root user it only says what to install, and exits 0.
set -eu

PACKAGES="postfix dovecot-imapd dovecot-lmtpd openssl"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "mail stack: already installed ($PACKAGES)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "mail stack: not root; install these as root to run the real-mail tests:"
    echo "    apt-get install -y$missing"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix asks which kind of mail system to configure: none (we leave /etc alone).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# Never start services from maintainer scripts (there is no init system here anyway).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# Another apt run may hold the dpkg lock (parallel installs): wait for it rather than fail.
apt_opts="-q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
# Update the package lists only when they are absent or the install fails without them.
if ! apt-get install $apt_opts --no-install-recommends $missing; then
    apt-get update -q -o DPkg::Lock::Timeout=600
    apt-get install $apt_opts --no-install-recommends $missing
fi
echo "mail stack: installed$missing"
