"""`pantau web`: the dashboard of SPEC §8.

It shows, it does not decide: decisions stay in e-mail, where they become letters in the
registers. It reads the office's SQLite (WAL) while the daemon writes, through daemon/store/ and
daemon/operator/views.py, and works whether the daemon runs or not. Its own writes are the
sign-in links and sessions (tables of migration m009_web). Sign-in is by one-time e-mail links
sent through the office's own transport (or printed by `pantau web link EMAIL`).

Modules: `settings` ([web] keys), `people` (who may sign in and what they see), `signin`
(links, sessions, CSRF, rate limits), `pages` (what each page shows, filtered by person),
`chart` (server-drawn SVG), `app` (the Starlette application and `serve`), assembled from
`context` (the `Office` every request needs), `templating` (the Jinja environment), `site` (the
helpers the routes share), `routes_signin` and `routes_pages` (the routes) and `guard`
(security headers, request log, error handlers).
"""

from daemon.web.app import create_app, serve  # noqa: F401
