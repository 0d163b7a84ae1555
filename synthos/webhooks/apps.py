from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "synthos.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"
