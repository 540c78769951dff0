"""The office's runners, one per source of work: the inbox (`incoming`), the outbox
(`outgoing`), time (`timers`), and `scheduler`, the `pantau run` loop that drives them in rounds.
"""
