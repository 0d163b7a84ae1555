import threading

import pytest
from django.db import connection

from support import services
from support.models import Ticket
from synthos.errors import Conflict


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_closes_close_once_and_refuse_the_other(owner, make_ticket):
    ticket = make_ticket(owner=owner)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close() -> None:
        try:
            barrier.wait()
            services.ticket_close(ticket=ticket)
            outcomes.append("closed")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["closed", "conflict"]
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CLOSED
