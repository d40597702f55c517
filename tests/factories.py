import factory
from django.contrib.auth import get_user_model

from accounts.models import ApiKey, Membership, Service, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tenant-{n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service; its telemetry_key is the model's random default (store rows under it, not the name)."""

    class Meta:
        model = Service
        django_get_or_create = ["tenant", "name"]  # names are unique per tenant

    name = factory.Sequence(lambda n: f"service-{n}")
    tenant = factory.SubFactory(TenantFactory)
    description = "A service under test"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Membership.Role.VIEWER


def service_key(service, **kwargs) -> str:
    return ApiKey.issue(service=service, **kwargs)[1]


def user_key(user, **kwargs) -> str:
    return ApiKey.issue(user=user, **kwargs)[1]
