"""Seed the default credit packages. Staff edit or retire them in the admin afterwards."""

from django.db import migrations

DEFAULT_PACKAGES = [
    # name, credits, price in cents, sort order
    ("Starter", 500, 4900, 10),
    ("Team", 2500, 19900, 20),
    ("Scale", 10000, 69900, 30),
]


def seed(apps, schema_editor):
    CreditPackage = apps.get_model("billing", "CreditPackage")
    from billing.models import new_package_id

    for name, credits, price_cents, sort_order in DEFAULT_PACKAGES:
        if not CreditPackage.objects.filter(name=name).exists():
            CreditPackage.objects.create(
                id=new_package_id(), name=name, credits=credits, price_cents=price_cents, currency="usd", sort_order=sort_order
            )


def unseed(apps, schema_editor):
    CreditPackage = apps.get_model("billing", "CreditPackage")
    CreditPackage.objects.filter(name__in=[name for name, *_ in DEFAULT_PACKAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
