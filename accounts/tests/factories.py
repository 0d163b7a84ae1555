import factory
from django.utils import timezone

from accounts.models import User
from billing.services import credit_account_open, welcome_grant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_verified_user(*, email: str, password: str, balance: int | None = None, **extra) -> User:
    """A verified user with a credit account holding the welcome grant (or `balance` credits)."""
    user = UserFactory(email=email, password=password, **extra)
    credit_account_open(user=user)
    if balance is None:
        welcome_grant(user=user)
    elif balance > 0:
        from billing.services import credits_grant

        credits_grant(user=user, amount=balance, reference="test")
    return user
