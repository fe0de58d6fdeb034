"""The monitor host: Prometheus and Alertmanager (Debian's), on loopback behind the TLS proxy
under /prometheus/ and /alertmanager/, where an API token with the admin scope signs in (HTTP
basic auth, the token as the password). Rules: monitoring/alerts.yml, as committed."""

prometheus_port = 9090
alertmanager_port = 9093
scrape_interval = "15s"  # also how often the rules are evaluated
prometheus_retention = "30d"
# An api host that is not the monitor serves the API's /metrics on its private_address at this
# port, to the monitor hosts only.
api_metrics_port = 9180
# A cluster: this host's nginx passes each member's Patroni /metrics on, on loopback at this
# port (it mends Patroni 3.0.2's "None"; templates/nginx-vedb.conf.j2). So a cluster's monitor
# must be an api host.
patroni_metrics_port = 9108

# Where Alertmanager sends alerts (firing and resolved). Neither set: alerts show only in
# Alertmanager's UI and API (/alertmanager/ through the proxy) and `amtool` on this host.
# A webhook (Slack-compatible relays, ntfy, a chat bridge, ...): its URL. A URL that carries
# a token belongs in the secrets as alert_webhook_url, which wins over this one.
alert_webhook_url: str | None = None
# Email through a relay (smarthost "host:port", STARTTLS required); the relay's password is the
# secret alert_smtp_password.
alert_email_to: str | None = None
alert_email_from: str | None = None
alert_email_smarthost: str | None = None
alert_email_username: str | None = None
# How long Alertmanager gathers a group's first alerts before it sends them.
alert_group_wait = "30s"
alert_repeat_interval = "4h"
