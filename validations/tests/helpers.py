"""Shared steps for the validations tests: ready datasets backed by real files, ledger sums."""

from django.db.models import Sum

from billing.models import CreditAccount, CreditTransaction
from datasets.storage import LocalStorage
from datasets.tests.factories import DatasetFactory


def sample_csv(rows: int = 60) -> bytes:
    lines = ["id,text,label,score"]
    words = ["apple", "river", "stone", "cloud", "ember", "maple", "quartz", "tundra", "violet", "willow"]
    for i in range(rows):
        text = " ".join(words[(i * k) % len(words)] for k in (1, 3, 7, 9)) + f" item {i}"
        lines.append(f"{i},{text},{'yes' if i % 3 else 'no'},{(i * 37) % 100 / 10}")
    lines.append(lines[5])  # one exact duplicate: a finding, not a failure
    return ("\n".join(lines) + "\n").encode()


COLUMNS = [
    {"name": "id", "dtype": "integer", "null_fraction": 0.0, "distinct": 60},
    {"name": "text", "dtype": "string", "null_fraction": 0.0, "distinct": 60},
    {"name": "label", "dtype": "string", "null_fraction": 0.0, "distinct": 2},
    {"name": "score", "dtype": "float", "null_fraction": 0.0, "distinct": 50},
]


def ready_dataset(owner, content: bytes | None = None, **fields):
    """A ready dataset whose file is really in (local) storage."""
    content = sample_csv() if content is None else content
    fields = {"row_count": 61, "columns": COLUMNS, **fields}
    dataset = DatasetFactory(owner=owner, size_bytes=len(content), **fields)
    path = LocalStorage().path_for(dataset.storage_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return dataset


def balance(user) -> int:
    return CreditAccount.objects.get(user=user).balance


def ledger(user, reference: str) -> list[tuple[str, int]]:
    rows = CreditTransaction.objects.filter(account__user=user, reference=reference).order_by("created_at", "pk")
    return [(row.kind, row.amount) for row in rows]


def ledger_sum(user) -> int:
    return CreditTransaction.objects.filter(account__user=user).aggregate(total=Sum("amount"))["total"] or 0


def start(client, dataset_id: str, tier: str = "quick", **fields):
    return client.post("/api/v1/validations", {"dataset_id": dataset_id, "tier": tier, **fields}, format="json")
