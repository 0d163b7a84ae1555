from django.contrib.admin.utils import quote, unquote

from synthos.ids import make_id


def test_ids_are_prefixed_and_never_repeat():
    ids = {make_id("ds") for _ in range(2000)}
    assert len(ids) == 2000
    assert all(value.startswith("ds_") and len(value) == 23 and value[3:].isalnum() for value in ids)


def test_ids_survive_the_admins_url_quoting_unchanged():
    for _ in range(5000):
        value = make_id("usr")
        assert unquote(value) == value and unquote(quote(value)) == value
