"""Mail: reading (MIME, classification, replies), trust (DKIM/ARC), composing, transports."""
