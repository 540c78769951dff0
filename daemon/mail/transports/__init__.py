"""Mail transports: the embedded Maildir directory, IMAP+SMTP, and Exchange (EWS)."""
