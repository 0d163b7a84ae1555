from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"

    def ready(self) -> None:
        from accounts.services import ACCOUNT_ERASERS
        from datasets.services import dataset_erase_all_for_user

        def erase_datasets(user) -> None:
            dataset_erase_all_for_user(user=user)

        ACCOUNT_ERASERS.append(erase_datasets)
